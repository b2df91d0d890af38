package httpapi

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/contactd/contactd"
)

// Rate limits. Each token has a token bucket: its rate is the server's
// Config.RateLimit requests per second (lowered by its tenant's rateLimit)
// and its burst twice that. Each client address has a bucket for requests
// without a valid token (failed or missing authentication), which slows
// down guessing tokens and the lookups it costs; a valid token from the
// same address is not held back. Config.RateLimit 0 turns both off. Each token may also have at most TokenConcurrency of
// the expensive requests (lists, searches, exports) in flight at once.
// The buckets are this node's: with several nodes behind a load balancer,
// a token may use up to the rate on each.

// failedAuthRate and failedAuthBurst bound the requests without a valid
// token from one client address: 20 at once, then one a second.
const (
	failedAuthRate  = 1
	failedAuthBurst = 20
)

// limiterIdle is how long an unused bucket is kept.
const limiterIdle = 10 * time.Minute

type bucket struct {
	lim    *rate.Limiter
	perSec int
	used   time.Time
}

// rateLimits holds the buckets of one server.
type rateLimits struct {
	perToken    int // requests per second; 0: no limit
	concurrency int // expensive requests in flight per token; 0: no limit
	mu          sync.Mutex
	tokens      map[string]*bucket
	addrs       map[string]*bucket
	inFlight    map[string]int // expensive requests in flight, by token
	swept       time.Time
}

func newRateLimits(perToken, concurrency int) *rateLimits {
	return &rateLimits{perToken: perToken, concurrency: concurrency,
		tokens: map[string]*bucket{}, addrs: map[string]*bucket{}, inFlight: map[string]int{}}
}

// rateFor is the rate of a principal's tokens: the server's, lowered by
// the tenant's own; 0 for none.
func (l *rateLimits) rateFor(p contactd.Principal) int {
	r := l.perToken
	if p.RateLimit != nil && (r == 0 || *p.RateLimit < r) {
		r = *p.RateLimit
	}
	return r
}

// sweep drops the buckets unused for limiterIdle; l.mu is held.
func (l *rateLimits) sweep(now time.Time) {
	if now.Sub(l.swept) < time.Minute {
		return
	}
	l.swept = now
	for _, m := range []map[string]*bucket{l.tokens, l.addrs} {
		for k, b := range m {
			if now.Sub(b.used) > limiterIdle {
				delete(m, k)
			}
		}
	}
}

// get returns the bucket of key in m at perSec, making or resetting it;
// l.mu is held.
func (l *rateLimits) get(m map[string]*bucket, key string, perSec, burst int, now time.Time) *bucket {
	b := m[key]
	if b == nil || b.perSec != perSec {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(perSec), burst), perSec: perSec}
		m[key] = b
	}
	b.used = now
	return b
}

// verdict is what a bucket says of one request.
type verdict struct {
	ok         bool
	limit      int           // the bucket's size (the burst)
	window     int           // seconds the bucket takes to fill from empty
	remaining  int           // requests left now
	reset      int           // seconds until the bucket is full again
	retryAfter time.Duration // when !ok, the wait for the next request
}

func take(b *bucket, now time.Time) verdict {
	ok := b.lim.AllowN(now, 1)
	tokens := b.lim.TokensAt(now)
	burst := b.lim.Burst()
	perSec := float64(b.lim.Limit())
	v := verdict{ok: ok, limit: burst, window: int(math.Ceil(float64(burst) / perSec)),
		remaining: max(0, int(math.Floor(tokens))), reset: int(math.Ceil((float64(burst) - tokens) / perSec))}
	if !ok {
		v.retryAfter = time.Duration(math.Ceil((1-tokens)/perSec*1000)) * time.Millisecond
	}
	return v
}

// token spends one request of p's token; the zero verdict with ok when
// the token has no limit.
func (l *rateLimits) token(p contactd.Principal, now time.Time) (verdict, bool) {
	perSec := l.rateFor(p)
	if perSec <= 0 {
		return verdict{ok: true}, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	return take(l.get(l.tokens, p.TokenID, perSec, 2*perSec, now), now), true
}

// blocked reports whether a client address has no request without a
// valid token left, and then when it may try again.
func (l *rateLimits) blocked(addr string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.addrs[addr]
	if b == nil {
		return 0, false
	}
	if t := b.lim.TokensAt(now); t < 1 {
		return time.Duration(math.Ceil((1-t)/failedAuthRate*1000)) * time.Millisecond, true
	}
	return 0, false
}

// failed spends one request without a valid token of a client address.
func (l *rateLimits) failed(addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	l.get(l.addrs, addr, failedAuthRate, failedAuthBurst, now).lim.AllowN(now, 1)
}

// enter admits an expensive request of a token while fewer than the
// concurrency limit are in flight; leave must follow an admission.
func (l *rateLimits) enter(tokenID string) bool {
	if l.concurrency <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inFlight[tokenID] >= l.concurrency {
		return false
	}
	l.inFlight[tokenID]++
	return true
}

func (l *rateLimits) leave(tokenID string) {
	if l.concurrency <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inFlight[tokenID]--; l.inFlight[tokenID] <= 0 {
		delete(l.inFlight, tokenID)
	}
}

// setHeaders writes the IETF RateLimit-Policy and RateLimit fields
// (draft-ietf-httpapi-ratelimit-headers) of a verdict.
func (v verdict) setHeaders(h http.Header) {
	h.Set("RateLimit-Policy", `"token";q=`+strconv.Itoa(v.limit)+";w="+strconv.Itoa(v.window))
	h.Set("RateLimit", `"token";r=`+strconv.Itoa(v.remaining)+";t="+strconv.Itoa(v.reset))
}

// tooMany is the 429 problem, with Retry-After in whole seconds.
func tooMany(h http.Header, wait time.Duration, detail string) error {
	h.Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	return errStatus(http.StatusTooManyRequests, "rate_limited", detail)
}

// clientAddr is the address a request came from (the peer's IP).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Limiter applies the API's rate limits to the requests of another
// transport served beside it (CardDAV), so that a token and an address
// have one budget whichever way they come.
type Limiter struct{ l *rateLimits }

// Limiter returns the server's rate limits, to share.
func (s *Server) Limiter() Limiter { return Limiter{s.limits} }

// Blocked reports whether the request's address has sent too many
// requests without a valid token, and then how long it must wait.
func (lm Limiter) Blocked(r *http.Request) (time.Duration, bool) {
	if lm.l.perToken <= 0 {
		return 0, false
	}
	return lm.l.blocked(clientAddr(r), time.Now())
}

// Failed counts a request without a valid token from the request's address.
func (lm Limiter) Failed(r *http.Request) {
	if lm.l.perToken > 0 {
		lm.l.failed(clientAddr(r), time.Now())
	}
}

// Allow spends one request of p's token, writing the RateLimit fields to
// h; when it is over its rate, it reports how long to wait.
func (lm Limiter) Allow(p contactd.Principal, h http.Header) (time.Duration, bool) {
	v, limited := lm.l.token(p, time.Now())
	if !limited {
		return 0, true
	}
	v.setHeaders(h)
	return v.retryAfter, v.ok
}
