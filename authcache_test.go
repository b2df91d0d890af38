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
	c.put([]byte("ha"), a, now)
	c.put([]byte("hb"), b, now)
	if p, ok := c.get([]byte("ha"), now); !ok || p.TokenID != "tok_1" {
		t.Fatalf("get: %v %v", p, ok)
	}
	if _, ok := c.get([]byte("ha"), now.Add(tokenCacheTTL+time.Millisecond)); ok {
		t.Errorf("an expired entry is returned")
	}
	c.forget(func(p Principal) bool { return p.TenantID == "tn_a" })
	if _, ok := c.get([]byte("ha"), now); ok {
		t.Errorf("a forgotten entry is returned")
	}
	if _, ok := c.get([]byte("hb"), now); !ok {
		t.Errorf("forget dropped another tenant's entry")
	}
	for i := range maxCachedTokens + 1 {
		c.put(fmt.Appendf(nil, "h%d", i), a, now)
	}
	if len(c.m) > maxCachedTokens {
		t.Errorf("%d entries, more than the bound %d", len(c.m), maxCachedTokens)
	}
}
