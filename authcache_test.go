package contactd

import (
	"fmt"
	"testing"
	"time"
)

func TestTokenCache(t *testing.T) {
	t.Parallel()
	var c tokenCache
	now := time.Now()
	a, b := Principal{TenantID: "tn_a", TokenID: "tok_1"}, Principal{TenantID: "tn_b", TokenID: "tok_2"}
	c.put([]byte("ha"), a, now, 0)
	c.put([]byte("hb"), b, now, 0)
	if p, _, ok := c.get([]byte("ha"), now); !ok || p.TokenID != "tok_1" {
		t.Fatalf("get: %v %v", p, ok)
	}
	if _, _, ok := c.get([]byte("ha"), now.Add(tokenCacheTTL+time.Millisecond)); ok {
		t.Errorf("an expired entry is returned")
	}
	c.forget(func(p Principal) bool { return p.TenantID == "tn_a" })
	if _, _, ok := c.get([]byte("ha"), now); ok {
		t.Errorf("a forgotten entry is returned")
	}
	if _, _, ok := c.get([]byte("hb"), now); !ok {
		t.Errorf("forget dropped another tenant's entry")
	}
	_, epoch, _ := c.get(nil, now)
	for i := range maxCachedTokens + 1 {
		c.put(fmt.Appendf(nil, "h%d", i), a, now, epoch)
	}
	if len(c.m) > maxCachedTokens {
		t.Errorf("%d entries, more than the bound %d", len(c.m), maxCachedTokens)
	}
}

// TestTokenCacheWatched: the cache of a watching store keeps nothing until
// the store listens and while it does not, forgets everything when it
// stops or starts again, and keeps no principal read before something was
// forgotten (it may have been read before a revocation it would outlive).
func TestTokenCacheWatched(t *testing.T) {
	t.Parallel()
	var c tokenCache
	w := c.watch()
	now := time.Now()
	a := Principal{TenantID: "tn_a", TokenID: "tok_1"}
	put := func(h string) {
		_, epoch, _ := c.get([]byte(h), now)
		c.put([]byte(h), a, now, epoch)
	}
	has := func(h string) bool {
		_, _, ok := c.get([]byte(h), now)
		return ok
	}
	put("h1")
	if has("h1") {
		t.Fatalf("kept before listening")
	}
	w.Listening(true)
	put("h1")
	if !has("h1") {
		t.Fatalf("not kept while listening")
	}
	_, epoch, _ := c.get([]byte("h2"), now) // a read of h2 begins
	w.Changed("tn_other", "")               // news of another tenant arrives meanwhile
	c.put([]byte("h2"), a, now, epoch)
	if has("h2") {
		t.Errorf("kept a principal read before news arrived")
	}
	w.Changed("tn_a", "tok_2")
	if !has("h1") {
		t.Errorf("news of another token dropped h1")
	}
	w.Changed("tn_a", "tok_1")
	if has("h1") {
		t.Errorf("kept a revoked token")
	}
	put("h1")
	w.Changed("tn_a", "")
	if has("h1") {
		t.Errorf("kept a token of a changed tenant")
	}
	put("h1")
	w.Listening(false)
	if has("h1") {
		t.Errorf("answered after listening stopped")
	}
	put("h1")
	w.Listening(true)
	if has("h1") {
		t.Errorf("kept while not listening, or not emptied on listening again")
	}
}
