package contactd

import (
	"sync"
	"time"
)

// SoleWriter is implemented by a store whose tokens and tenants change
// only through the Service of the process that serves it (the embedded
// SQLite store: the admin commands beside a running server only add
// tenants and tokens). The Service then keeps the principals of tokens it
// has authenticated in memory, and forgets them when it revokes a token or
// changes a tenant, so that a revocation still takes effect on the next
// request. A store shared by several processes (PostgreSQL) must not
// implement it: a token revoked through one node would stay valid on the
// others.
type SoleWriter interface {
	SoleWriter() bool
}

// tokenCacheTTL bounds how long a cached principal is trusted without
// reading the token again, in case the rule above is broken (a second
// server on the same file).
const tokenCacheTTL = 10 * time.Second

// maxCachedTokens bounds the cache; when it is full it starts over.
const maxCachedTokens = 10000

// tokenCache maps a token's hash to the principal it authenticates.
type tokenCache struct {
	mu sync.RWMutex
	m  map[string]cachedToken
}

type cachedToken struct {
	p       Principal
	expires time.Time
}

func (c *tokenCache) get(hash []byte, now time.Time) (Principal, bool) {
	c.mu.RLock()
	e, ok := c.m[string(hash)]
	c.mu.RUnlock()
	if !ok || now.After(e.expires) {
		return Principal{}, false
	}
	return e.p, true
}

func (c *tokenCache) put(hash []byte, p Principal, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedTokens {
		c.m = map[string]cachedToken{}
	}
	c.m[string(hash)] = cachedToken{p: p, expires: now.Add(tokenCacheTTL)}
}

// forget drops the principals for which drop is true.
func (c *tokenCache) forget(drop func(Principal) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		if drop(e.p) {
			delete(c.m, k)
		}
	}
}
