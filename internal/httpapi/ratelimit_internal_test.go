package httpapi

import (
	"net/http"
	"testing"
	"time"

	"github.com/contactd/contactd"
)

// TestRateLimitBuckets: a token's bucket holds twice its rate, refills at
// the rate, and the headers and Retry-After say so; a tenant's rateLimit
// lowers the server's and never raises it.
func TestRateLimitBuckets(t *testing.T) {
	l := newRateLimits(10, 2)
	now := time.Unix(1_000_000, 0)
	p := contactd.Principal{TokenID: "tk_1"}
	for i := range 20 {
		v, limited := l.token(p, now)
		if !limited || !v.ok || v.remaining != 19-i || v.limit != 20 || v.window != 2 {
			t.Fatalf("request %d: %+v", i, v)
		}
	}
	v, _ := l.token(p, now)
	if v.ok || v.retryAfter != 100*time.Millisecond || v.remaining != 0 || v.reset != 2 {
		t.Fatalf("over the burst: %+v", v)
	}
	h := http.Header{}
	v.setHeaders(h)
	if h.Get("RateLimit-Policy") != `"token";q=20;w=2` || h.Get("RateLimit") != `"token";r=0;t=2` {
		t.Fatalf("headers: %v", h)
	}
	if err := tooMany(h, v.retryAfter, "x"); h.Get("Retry-After") != "1" || problemFor(err, "").Status != 429 {
		t.Fatalf("429: %v %v", h, err)
	}
	if v, _ := l.token(p, now.Add(time.Second)); !v.ok || v.remaining != 9 {
		t.Fatalf("a second later: %+v", v)
	}
	// Another token has its own bucket.
	if v, _ := l.token(contactd.Principal{TokenID: "tk_2"}, now); !v.ok || v.remaining != 19 {
		t.Fatalf("another token: %+v", v)
	}
	low, high := 2, 50
	if r := l.rateFor(contactd.Principal{RateLimit: &low}); r != 2 {
		t.Errorf("tenant lowering to 2: %d", r)
	}
	if r := l.rateFor(contactd.Principal{RateLimit: &high}); r != 10 {
		t.Errorf("tenant asking 50 of a server at 10: %d", r)
	}
	if r := newRateLimits(0, 0).rateFor(contactd.Principal{RateLimit: &high}); r != 50 {
		t.Errorf("tenant at 50 on a server without a limit: %d", r)
	}
	if _, limited := newRateLimits(0, 0).token(p, now); limited {
		t.Error("a server without a limit limited a token")
	}
	// A changed rate starts a new bucket at it.
	if v, _ := l.token(contactd.Principal{TokenID: "tk_1", RateLimit: &low}, now); !v.ok || v.limit != 4 {
		t.Fatalf("after the tenant lowered it: %+v", v)
	}

	// Expensive requests: two in flight per token, then 429 until one leaves.
	if !l.enter("tk_1") || !l.enter("tk_1") || l.enter("tk_1") || !l.enter("tk_2") {
		t.Fatal("concurrency: the third of tk_1 was admitted, or tk_2 was not")
	}
	l.leave("tk_1")
	if !l.enter("tk_1") {
		t.Fatal("a place freed was not given")
	}

	// Addresses: 20 requests without a valid token, then one a second.
	for range 20 {
		if _, blocked := l.blocked("192.0.2.1", now); blocked {
			t.Fatal("blocked within the burst")
		}
		l.failed("192.0.2.1", now)
	}
	if wait, blocked := l.blocked("192.0.2.1", now); !blocked || wait != time.Second {
		t.Fatalf("after 20 failures: %v %v", wait, blocked)
	}
	if _, blocked := l.blocked("192.0.2.2", now); blocked {
		t.Fatal("another address is blocked")
	}
	if _, blocked := l.blocked("192.0.2.1", now.Add(time.Second)); blocked {
		t.Fatal("still blocked a second later")
	}
	// Idle buckets are dropped.
	l.token(p, now.Add(time.Hour))
	if len(l.addrs) != 0 || len(l.tokens) != 1 {
		t.Fatalf("after an hour: %d addresses, %d tokens", len(l.addrs), len(l.tokens))
	}
}
