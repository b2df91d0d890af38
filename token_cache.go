package contactd

import (
	"sync"
	"time"
)

// The Service keeps the principals of tokens it has authenticated in
// memory when it is sure to hear of every change that could make one of
// them wrong: a revocation, or a change to the tenant (a principal carries
// the tenant's settings). Two kinds of store make it sure.

// SoleWriter is implemented by a store whose tokens and tenants change
// only through the Service of the process that serves it (the embedded
// SQLite store: the admin commands beside a running server only add
// tenants and tokens). The Service forgets a principal when it revokes the
// token or changes the tenant itself.
type SoleWriter interface {
	SoleWriter() bool
}

// TokenWatcher is implemented by a store shared by several processes that
// tells each of them of every revocation and tenant change, whichever
// process made it (PostgreSQL: LISTEN/NOTIFY). The Service caches
// principals while the store is listening, and not otherwise.
type TokenWatcher interface {
	// WatchTokens starts telling w of changes, until the store is closed.
	WatchTokens(w TokenWatch)
}

// TokenWatch receives a TokenWatcher's news. Its functions are called from
// one goroutine at a time.
type TokenWatch struct {
	// Changed: a token (every token of the tenant when tokenID is "") may
	// no longer authenticate as it did.
	Changed func(tenantID, tokenID string)
	// Listening: true once the store hears of every change made from then
	// on; false when it may miss some (its connection was lost).
	Listening func(bool)
}

// tokenCacheTTL bounds how long a cached principal is trusted without
// reading the token again, in case the rules above are broken (a second
// server on the same SQLite file, a notification lost without the
// connection that carries it).
const tokenCacheTTL = 10 * time.Second

// maxCachedTokens bounds the cache; when it is full it starts over.
const maxCachedTokens = 10000

// tokenCache maps a token's hash to the principal it authenticates.
type tokenCache struct {
	mu sync.RWMutex
	m  map[string]cachedToken
	// off: the cache neither answers nor keeps (a TokenWatcher not
	// listening).
	off bool
	// epoch counts forgetting. A principal read from the store is kept
	// only if nothing was forgotten since the read began (put's epoch):
	// otherwise it may have been read before a revocation that was
	// forgotten before it arrived.
	epoch uint64
}

type cachedToken struct {
	p       Principal
	expires time.Time
}

// get returns the cached principal of a token's hash, and the epoch to
// pass to put if there is none.
func (c *tokenCache) get(hash []byte, now time.Time) (Principal, uint64, bool) {
	c.mu.RLock()
	e, ok := c.m[string(hash)]
	epoch := c.epoch
	c.mu.RUnlock()
	if !ok || now.After(e.expires) {
		return Principal{}, epoch, false
	}
	return e.p, epoch, true
}

// put keeps a principal read from the store since get returned epoch.
func (c *tokenCache) put(hash []byte, p Principal, now time.Time, epoch uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.off || epoch != c.epoch {
		return
	}
	if c.m == nil || len(c.m) >= maxCachedTokens {
		c.m = map[string]cachedToken{}
	}
	c.m[string(hash)] = cachedToken{p: p, expires: now.Add(tokenCacheTTL)}
}

// forget drops the principals for which drop is true.
func (c *tokenCache) forget(drop func(Principal) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for k, e := range c.m {
		if drop(e.p) {
			delete(c.m, k)
		}
	}
}

// setOn empties the cache, and turns it on or off.
func (c *tokenCache) setOn(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	c.m, c.off = nil, !on
}

// watch is the TokenWatch of a TokenWatcher's cache, which starts off.
func (c *tokenCache) watch() TokenWatch {
	c.setOn(false)
	return TokenWatch{
		Changed: func(tenantID, tokenID string) {
			c.forget(func(p Principal) bool { return p.TenantID == tenantID && (tokenID == "" || p.TokenID == tokenID) })
		},
		Listening: c.setOn,
	}
}
