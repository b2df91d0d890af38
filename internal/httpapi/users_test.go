package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/storetest"
)

// matrixPasswordHash is a user's password hash made once: hashing is
// slow by design, and the matrices make a user for every target.
var matrixPasswordHash = contactd.HashPassword("matrix password 1")

func init() {
	extraCases = append(extraCases, func() map[string]routeCase {
		return map[string]routeCase{
			"GET /v1/users": {query: "?limit=5", ok: 200},
			"POST /v1/users": {body: func() any {
				return map[string]any{"email": fmt.Sprintf("made%d@example.com", uniqSeq.Add(1)), "password": "a long enough password", "role": "editor"}
			}, ok: 201},
			"GET /v1/users/{userId}":    {ok: 200},
			"PATCH /v1/users/{userId}":  {body: map[string]any{"name": "Patched", "role": "admin"}, ok: 200},
			"DELETE /v1/users/{userId}": {ok: 204},
		}
	})
	// Every target has a user of its tenant (written to the store, with a
	// hash made once).
	targetHooks = append(targetHooks, func(m mx, tenant string, tg *target) {
		m.t.Helper()
		u := &contactd.User{ID: contactd.NewID(contactd.PrefixUser), TenantID: m.e.tenant[tenant].ID,
			Email: fmt.Sprintf("user.%s@example.com", strings.ToLower(tg.ID)), Role: "viewer", PasswordHash: matrixPasswordHash}
		if err := m.e.store.CreateUser(m.t.Context(), u); err != nil {
			m.t.Fatalf("create target user: %v", err)
		}
		tg.UserID = u.ID
	})
}

// TestUsers: create, read, list, change and delete users; the email is
// unique per tenant, the password never shown and stored as argon2id, and
// deleting a user revokes its personal tokens.
func TestUsers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin := e.tokens["A"]["all"]
		r := e.do("POST", "/v1/users", admin, map[string]any{"email": "Ann@Example.com", "name": "Ann", "password": "correct horse battery", "role": "editor"})
		wantStatus(t, r, http.StatusCreated)
		ann := r.json(t)
		if ann["email"] != "ann@example.com" || ann["role"] != "editor" || r.header.Get("Location") != "/v1/users/"+jStr(ann["id"]) {
			t.Errorf("created %v (Location %q)", ann, r.header.Get("Location"))
		}
		if strings.Contains(string(r.body), "password") || strings.Contains(string(r.body), "argon2") {
			t.Errorf("the answer shows the password: %s", r.body)
		}
		id := jStr(ann["id"])
		stored, err := e.store.User(t.Context(), e.tenant["A"].ID, id)
		if err != nil || !strings.HasPrefix(stored.PasswordHash, "$argon2id$v=19$m=65536,t=3,p=2$") ||
			!contactd.CheckPassword(stored.PasswordHash, "correct horse battery") || contactd.CheckPassword(stored.PasswordHash, "wrong horse battery") {
			t.Errorf("stored hash %q, %v", stored.PasswordHash, err)
		}
		// The default role is viewer; the email is unique per tenant.
		r = e.do("POST", "/v1/users", admin, map[string]any{"email": "bob@example.com", "password": "another long password"})
		wantStatus(t, r, http.StatusCreated)
		if r.json(t)["role"] != "viewer" {
			t.Errorf("default role: %s", r.body)
		}
		p := requireProblem(t, e.do("POST", "/v1/users", admin, map[string]any{"email": "ANN@example.com", "password": "yet another password"}), http.StatusConflict, "body.email")
		if p["conflictingId"] != id {
			t.Errorf("conflict %v", p)
		}
		e.do("POST", "/v1/users", e.tokens["B"]["all"], map[string]any{"email": "ann@example.com", "password": "tenant b's password"})

		for _, tc := range []struct {
			body map[string]any
			loc  string
		}{
			{map[string]any{"email": "x@example.com", "password": "short"}, "body.password"},
			{map[string]any{"email": "not an email", "password": "a long enough password"}, "body.email"},
			{map[string]any{"password": "a long enough password"}, "body.email"},
			{map[string]any{"email": "y@example.com"}, "body.password"},
			{map[string]any{"email": "z@example.com", "password": "a long enough password", "role": "owner"}, "body.role"},
			{map[string]any{"email": "w@example.com", "password": "a long enough password", "scopes": "all"}, "body.scopes"},
		} {
			requireProblem(t, e.do("POST", "/v1/users", admin, tc.body), http.StatusBadRequest, tc.loc)
		}

		// Change: the role, the password.
		r = e.do("PATCH", "/v1/users/"+id, admin, map[string]any{"role": "admin", "password": "a brand new password"})
		wantStatus(t, r, http.StatusOK)
		if r.json(t)["role"] != "admin" {
			t.Errorf("patched %s", r.body)
		}
		stored, _ = e.store.User(t.Context(), e.tenant["A"].ID, id)
		if !contactd.CheckPassword(stored.PasswordHash, "a brand new password") {
			t.Error("the new password does not check")
		}
		requireProblem(t, e.do("PATCH", "/v1/users/"+id, admin, map[string]any{"email": "bob@example.com"}), http.StatusConflict, "body.email")
		requireProblem(t, e.do("PATCH", "/v1/users/"+id, admin, map[string]any{"role": nil}), http.StatusBadRequest, "body.role")

		// Lists page by cursor; another tenant sees only its own.
		if ids := e.walkPages(admin, "/v1/users?limit=1"); len(ids) != 2 {
			t.Errorf("users of A: %v", ids)
		}
		if ids := e.walkPages(e.tokens["B"]["all"], "/v1/users"); len(ids) != 1 || ids[0] == id {
			t.Errorf("users of B: %v", ids)
		}
		requireProblem(t, e.do("GET", "/v1/users/"+id, e.tokens["B"]["all"], nil), http.StatusNotFound, "")

		// Deleting a user revokes the personal tokens that act as it.
		secret, _, err := e.svc.CreateToken(t.Context(), contactd.TokenParams{TenantID: e.tenant["A"].ID, Kind: contactd.TokenPersonal, UserID: id, Scopes: contactd.AllScopes})
		if err != nil {
			t.Fatal(err)
		}
		wantStatus(t, e.do("GET", "/v1/tenant", secret, nil), http.StatusOK)
		wantStatus(t, e.do("DELETE", "/v1/users/"+id, admin, nil), http.StatusNoContent)
		wantStatus(t, e.do("GET", "/v1/tenant", secret, nil), http.StatusUnauthorized)
		requireProblem(t, e.do("GET", "/v1/users/"+id, admin, nil), http.StatusNotFound, "")
		wantStatus(t, e.do("GET", "/v1/tenant", admin, nil), http.StatusOK)
	})
}

// TestPasswordHash: a hash checks its password only, and a malformed or
// other-algorithm hash checks nothing.
func TestPasswordHash(t *testing.T) {
	t.Parallel()
	h := contactd.HashPassword("correct horse battery")
	if h == contactd.HashPassword("correct horse battery") {
		t.Error("two hashes of one password are equal: no salt")
	}
	if !contactd.CheckPassword(h, "correct horse battery") || contactd.CheckPassword(h, "correct horse batterY") || contactd.CheckPassword(h, "") {
		t.Error("the hash checks the wrong passwords")
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA", "$argon2id$v=18$m=65536,t=3,p=2$c2FsdA$aGFzaA",
		"$argon2id$v=19$m=99999999,t=3,p=2$c2FsdA$aGFzaA", "$argon2id$v=19$m=65536,t=3,p=2$!!$aGFzaA"} {
		if contactd.CheckPassword(bad, "anything") {
			t.Errorf("%q checks a password", bad)
		}
	}
}
