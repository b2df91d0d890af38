package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/contactd/contactd/internal/storetest"
)

func TestTokenLifecycle(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin := e.tokens["A"]["contacts:admin"]
		r := e.do("POST", "/v1/tokens", admin, map[string]any{"name": "agent-app", "userId": "agent-17", "scopes": []string{"contacts:read", "contacts:write"}})
		if r.status != http.StatusCreated {
			t.Fatalf("create token: %d %s", r.status, r.body)
		}
		var created struct {
			Token struct {
				ID     string   `json:"id"`
				Kind   string   `json:"kind"`
				Scopes []string `json:"scopes"`
			} `json:"token"`
			Secret string `json:"secret"`
		}
		if err := json.Unmarshal(r.body, &created); err != nil || !strings.HasPrefix(created.Secret, "cdt_") {
			t.Fatalf("created token: %s", r.body)
		}
		if created.Token.Kind != "personal" || len(created.Token.Scopes) != 2 {
			t.Errorf("created token: %s, want a personal token with two scopes", r.body)
		}
		// The new token works, acts as its user, and has only its scopes.
		c := e.do("POST", "/v1/contacts", created.Secret, map[string]any{"firstName": "Made", "lastName": "ByAgent"})
		if c.status != http.StatusCreated || c.json(t)["createdBy"] != "agent-17" {
			t.Errorf("create with the new token: %d %s, want 201 created by agent-17", c.status, c.body)
		}
		if d := e.do("DELETE", "/v1/contacts/"+c.json(t)["id"].(string), created.Secret, nil); d.status != http.StatusForbidden {
			t.Errorf("delete without contacts:delete: %d, want 403", d.status)
		}
		// Listing never shows a secret.
		l := e.do("GET", "/v1/tokens", admin, nil)
		if l.status != http.StatusOK || strings.Contains(string(l.body), "cdt_") || strings.Contains(string(l.body), "hash") ||
			!strings.Contains(string(l.body), created.Token.ID) {
			t.Errorf("token list: %d %s", l.status, l.body)
		}
		// Revoked: rejected on the very next request.
		if d := e.do("DELETE", "/v1/tokens/"+created.Token.ID, admin, nil); d.status != http.StatusNoContent {
			t.Fatalf("revoke: %d %s", d.status, d.body)
		}
		if g := e.do("GET", "/v1/changes", created.Secret, nil); g.status != http.StatusUnauthorized {
			t.Errorf("request with a revoked token: %d, want 401", g.status)
		}
		if !strings.Contains(string(e.do("GET", "/v1/tokens", admin, nil).body), `"revokedAt"`) {
			t.Errorf("the revoked token is not listed as revoked")
		}
		if d := e.do("DELETE", "/v1/tokens/"+created.Token.ID, admin, nil); d.status != http.StatusNoContent {
			t.Errorf("revoking again: %d, want 204", d.status)
		}
		// Bad requests name the field.
		for body, loc := range map[string]string{
			`{"scopes": ["contacts:everything"]}`:               "body.scopes",
			`{"scopes": []}`:                                    "body.scopes",
			`{"scopes": ["contacts:read"], "x": 1}`:             "body.x",
			`{"scopes": "contacts:read"}`:                       "body.scopes",
			`{"scopes": ["contacts:read"], "kind": "personal"}`: "body.userId",
		} {
			r := e.do("POST", "/v1/tokens", admin, body)
			if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), `"location":"`+loc+`"`) {
				t.Errorf("POST /v1/tokens %s: %d %s, want 400 naming %s", body, r.status, r.body, loc)
			}
		}
	})
}
