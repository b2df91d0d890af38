package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/storetest"
	"github.com/contactd/contactd/internal/web"
)

// findSetCookie returns the Set-Cookie header of a cookie.
func findSetCookie(p page, name string) string {
	for _, sc := range p.header.Values("Set-Cookie") {
		if strings.HasPrefix(sc, name+"=") {
			return sc
		}
	}
	return ""
}

func TestSessionCookie(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, web.Options{})
		br := e.browser()
		p := br.signIn("Editor@A.example", password) // emails match in any case
		sc := findSetCookie(p, "contactd_session")
		if p.status != http.StatusSeeOther || sc == "" {
			t.Fatalf("sign-in: %d, Set-Cookie %q", p.status, sc)
		}
		for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
			if !strings.Contains(sc, want) {
				t.Errorf("session cookie %q lacks %s", sc, want)
			}
		}
		if strings.Contains(sc, "Secure") {
			t.Errorf("session cookie over plain HTTP is Secure (the browser would drop it): %q", sc)
		}
		if !strings.Contains(findSetCookie(p, "contactd_signin"), "Max-Age=0") {
			t.Errorf("the sign-in form's cookie is not cleared: %q", p.header.Values("Set-Cookie"))
		}
		if got := br.get("/contacts"); got.status != http.StatusOK || !strings.Contains(got.body, "Editor A") {
			t.Fatalf("signed in, /contacts: %d", got.status)
		}

		// Behind a proxy that ends TLS, the cookie is Secure.
		es := newEnv(t, b, web.Options{Secure: true})
		p = es.browser().signIn(es.users["A"]["viewer"].Email, password)
		if sc := findSetCookie(p, "contactd_session"); !strings.Contains(sc, "Secure") {
			t.Errorf("with Secure, the session cookie is %q", sc)
		}
	})
}

func TestSignInFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, web.Options{})
		br := e.browser()
		for _, c := range []struct{ email, pw string }{
			{"editor@a.example", "wrong password!"},
			{"nobody@a.example", password},
			{"", ""},
		} {
			p := br.signIn(c.email, c.pw)
			if p.status != http.StatusUnauthorized || !strings.Contains(p.body, "The email or the password is wrong") || findSetCookie(p, "contactd_session") != "" {
				t.Errorf("sign-in %q/%q: %d, no session expected", c.email, c.pw, p.status)
			}
		}
		// Without the form's token (a cross-site post), nothing is checked.
		p := br.post("/signin", url.Values{"email": {"editor@a.example"}, "password": {password}})
		if p.status != http.StatusForbidden || findSetCookie(p, "contactd_session") != "" {
			t.Errorf("sign-in without the form's token: %d", p.status)
		}
		// Five failures for one email: the right password waits too.
		for i := 0; i < 5; i++ {
			br.signIn("viewer@a.example", "not it, try again")
		}
		p = br.signIn("viewer@a.example", password)
		if p.status != http.StatusTooManyRequests || p.header.Get("Retry-After") == "" || findSetCookie(p, "contactd_session") != "" {
			t.Errorf("after five failures: %d, Retry-After %q", p.status, p.header.Get("Retry-After"))
		}
		// Another email from the same address is not held back by them.
		br.mustSignIn("A", "admin")
	})
}

func TestSessionFixation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, web.Options{})
		br := e.browser()
		u, _ := url.Parse(e.srv.URL)
		planted := "cds_" + strings.Repeat("A", 43)
		br.jar.SetCookies(u, []*http.Cookie{{Name: "contactd_session", Value: planted, Path: "/"}})
		if p := br.get("/contacts"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/signin") {
			t.Fatalf("a planted session is accepted: %d", p.status)
		}
		br.jar.SetCookies(u, []*http.Cookie{{Name: "contactd_session", Value: planted, Path: "/"}})
		br.mustSignIn("A", "editor")
		first := br.cookie("contactd_session").Value
		if first == planted {
			t.Fatal("sign-in kept the session id the browser had")
		}
		// Signing in again gives a new session and ends the old one.
		other := e.browser()
		other.jar.SetCookies(u, []*http.Cookie{{Name: "contactd_session", Value: first, Path: "/"}})
		// (A signed-in browser is sent on from the form's page; the form
		// itself may still be posted, from an open tab.)
		br.jar.SetCookies(u, []*http.Cookie{{Name: "contactd_signin", Value: "tab-token", Path: "/"}})
		if p := br.post("/signin", url.Values{"csrf": {"tab-token"}, "email": {"editor@a.example"}, "password": {password}}); p.status != http.StatusSeeOther {
			t.Fatalf("second sign-in: %d", p.status)
		}
		if second := br.cookie("contactd_session").Value; second == first {
			t.Fatal("a second sign-in kept the session")
		}
		if p := other.get("/contacts"); p.status != http.StatusSeeOther {
			t.Errorf("the session replaced by a new sign-in still works: %d", p.status)
		}
	})
}

func TestSessionExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, web.Options{})
		ctx := context.Background()
		for _, lim := range []contactd.SessionLimits{{Idle: time.Millisecond}, {Max: time.Millisecond}} {
			e.svc.SetSessionLimits(lim)
			br := e.browser()
			br.mustSignIn("A", "editor")
			secret := br.cookie("contactd_session").Value
			time.Sleep(20 * time.Millisecond)
			p := br.get("/contacts")
			if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/signin") {
				t.Errorf("limits %+v: an expired session answered %d", lim, p.status)
			}
			if !strings.Contains(findSetCookie(p, "contactd_session"), "Max-Age=0") {
				t.Errorf("limits %+v: the expired session's cookie is not cleared", lim)
			}
			if _, err := e.store.SessionByHash(ctx, contactd.HashToken(secret)); contactd.ErrorCodeOf(err) != contactd.ENotFound {
				t.Errorf("limits %+v: the expired session is still stored (%v)", lim, err)
			}
		}
		// Within its limits, a session works, and pruning leaves it.
		e.svc.SetSessionLimits(contactd.SessionLimits{})
		br := e.browser()
		br.mustSignIn("A", "editor")
		if n, err := e.svc.PruneSessions(ctx); err != nil || n != 0 {
			t.Errorf("prune: %d, %v", n, err)
		}
		if p := br.get("/contacts"); p.status != http.StatusOK {
			t.Errorf("a live session answered %d", p.status)
		}
	})
}

func TestSignOutAndPasswordChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, web.Options{})
		one, two, admin := e.browser(), e.browser(), e.browser()
		one.mustSignIn("A", "editor")
		two.mustSignIn("A", "editor")
		admin.mustSignIn("A", "admin")

		acct := one.get("/account")
		p := one.post("/account/password", url.Values{"csrf": {acct.csrf(t)}, "currentPassword": {"wrong"}, "newPassword": {"a new password 123"}, "confirmPassword": {"a new password 123"}})
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "is not the current password") {
			t.Errorf("a wrong current password: %d", p.status)
		}
		p = one.post("/account/password", url.Values{"csrf": {acct.csrf(t)}, "currentPassword": {password}, "newPassword": {"a new password 123"}, "confirmPassword": {"a new password 123"}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("change password: %d %.300s", p.status, p.body)
		}
		if p := one.get("/contacts"); p.status != http.StatusOK {
			t.Errorf("the session that changed the password ended: %d", p.status)
		}
		if p := two.get("/contacts"); p.status != http.StatusSeeOther {
			t.Errorf("the user's other session survived a password change: %d", p.status)
		}
		if p := admin.get("/contacts"); p.status != http.StatusOK {
			t.Errorf("another user's session ended: %d", p.status)
		}
		if p := two.signIn("editor@a.example", password); p.status != http.StatusUnauthorized {
			t.Errorf("the old password still signs in: %d", p.status)
		}
		// An admin's reset through the API ends every session of the user.
		if _, err := e.svc.UpdateUser(context.Background(), e.admin["A"], e.users["A"]["editor"].ID,
			&contactd.UserInput{Password: "reset by the admin", Set: map[string]bool{"password": true}}); err != nil {
			t.Fatal(err)
		}
		if p := one.get("/contacts"); p.status != http.StatusSeeOther {
			t.Errorf("a session survived an admin's password reset: %d", p.status)
		}

		// Sign-out ends the session on the server, not only in the browser.
		secret := admin.cookie("contactd_session").Value
		pg := admin.get("/contacts")
		if p := admin.post("/signout", url.Values{"csrf": {pg.csrf(t)}}); p.status != http.StatusSeeOther || p.header.Get("Location") != "/signin" {
			t.Fatalf("sign out: %d", p.status)
		}
		if _, _, err := e.svc.CheckSession(context.Background(), secret); contactd.ErrorCodeOf(err) != contactd.EUnauthorized {
			t.Errorf("the signed-out session still checks: %v", err)
		}
	})
}

func TestCSRF(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, web.Options{})
		br := e.browser()
		br.mustSignIn("A", "admin")
		c, err := e.svc.CreateContact(context.Background(), e.admin["A"], &contactd.ContactInput{FirstName: "Keep"})
		if err != nil {
			t.Fatal(err)
		}
		token := br.get("/contacts").csrf(t)
		for name, form := range map[string]url.Values{"no token": {}, "another token": {"csrf": {"x" + token[1:]}}} {
			if p := br.post("/contacts/"+c.ID+"/delete", form); p.status != http.StatusForbidden {
				t.Errorf("%s: delete answered %d", name, p.status)
			}
		}
		// The right token from another site's page (Origin) is refused.
		req, _ := http.NewRequest("POST", e.srv.URL+"/contacts/"+c.ID+"/delete", strings.NewReader(url.Values{"csrf": {token}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		if p := br.do(req); p.status != http.StatusForbidden {
			t.Errorf("another origin: delete answered %d", p.status)
		}
		// A script's API call needs the token in its header.
		req, _ = http.NewRequest("DELETE", e.srv.URL+"/app/api/v1/contacts/"+c.ID, nil)
		if p := br.do(req); p.status != http.StatusForbidden {
			t.Errorf("API call without X-CSRF-Token: %d", p.status)
		}
		if _, err := e.svc.Contact(context.Background(), e.admin["A"], contactd.Selector{ID: c.ID}, contactd.GetOptions{}); err != nil {
			t.Fatalf("a refused request deleted the contact: %v", err)
		}
		if p := br.post("/contacts/"+c.ID+"/delete", url.Values{"csrf": {token}}); p.status != http.StatusSeeOther {
			t.Errorf("with the token, delete answered %d", p.status)
		}
	})
}

// Each role sees and does what its scopes allow, in its own tenant only.
func TestRolesAndTenants(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, web.Options{})
		ctx := context.Background()
		c, err := e.svc.CreateContact(ctx, e.admin["A"], &contactd.ContactInput{FirstName: "Jordan", LastName: "Reyes"})
		if err != nil {
			t.Fatal(err)
		}
		viewer := e.browser()
		viewer.mustSignIn("A", "viewer")
		if p := viewer.get("/contacts/" + c.ID); p.status != http.StatusOK || strings.Contains(p.body, "/edit\"") || !strings.Contains(p.body, "<h1>Jordan Reyes</h1>") {
			t.Errorf("viewer's contact page: %d, edit link shown: %v", p.status, strings.Contains(p.body, "/edit\""))
		}
		token := viewer.get("/contacts").csrf(t)
		for path, form := range map[string]url.Values{
			"/contacts/" + c.ID:             {"firstName": {"Changed"}},
			"/contacts":                     {"firstName": {"New"}},
			"/contacts/" + c.ID + "/delete": {},
			"/admin/users":                  {"email": {"x@a.example"}, "password": {"long enough pw"}},
		} {
			form.Set("csrf", token)
			if p := viewer.post(path, form); p.status != http.StatusForbidden {
				t.Errorf("viewer POST %s: %d", path, p.status)
			}
		}
		for _, path := range []string{"/contacts/new", "/contacts/" + c.ID + "/edit", "/admin/users", "/admin/tokens", "/import"} {
			if p := viewer.get(path); p.status != http.StatusForbidden {
				t.Errorf("viewer GET %s: %d", path, p.status)
			}
		}
		editor := e.browser()
		editor.mustSignIn("A", "editor")
		for _, path := range []string{"/admin/users", "/admin/settings", "/duplicates/merge?ids=" + c.ID} {
			if p := editor.get(path); p.status != http.StatusForbidden {
				t.Errorf("editor GET %s: %d", path, p.status)
			}
		}
		if p := editor.get("/contacts/" + c.ID + "/edit"); p.status != http.StatusOK {
			t.Errorf("editor's edit page: %d", p.status)
		}
		// Tenant B's admin finds nothing of A's, by page or through the API.
		other := e.browser()
		other.mustSignIn("B", "admin")
		if p := other.get("/contacts/" + c.ID); p.status != http.StatusNotFound {
			t.Errorf("B's admin sees A's contact: %d", p.status)
		}
		if p := other.get("/app/api/v1/contacts/" + c.ID); p.status != http.StatusNotFound {
			t.Errorf("B's admin reads A's contact through the API: %d", p.status)
		}
		if p := other.get("/contacts?q=jordan"); strings.Contains(p.body, c.ID) {
			t.Error("B's search finds A's contact")
		}
		// The API under /app/api is the signed-in user's: its writes are
		// the user's, by name.
		token = editor.get("/contacts").csrf(t)
		req, _ := http.NewRequest("POST", e.srv.URL+"/app/api/v1/contacts", strings.NewReader(`{"firstName":"Via","lastName":"Script"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", token)
		p := editor.do(req)
		var made contactd.Contact
		if p.status != http.StatusCreated || json.Unmarshal([]byte(p.body), &made) != nil || made.CreatedBy != e.users["A"]["editor"].ID {
			t.Fatalf("create through /app/api: %d %.300s", p.status, p.body)
		}
		if p := editor.get("/contacts/" + made.ID); !strings.Contains(p.body, "by Editor A") {
			t.Errorf("the contact page does not name the user who created it")
		}
		// Without a session the API under /app/api answers 401, not a page.
		if p := e.browser().get("/app/api/v1/contacts"); p.status != http.StatusUnauthorized {
			t.Errorf("/app/api without a session: %d", p.status)
		}
	})
}

// A personal token of a user acts as the user, within the user's role.
func TestPersonalTokenOfUser(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, web.Options{})
		ctx := context.Background()
		editor := e.users["A"]["editor"]
		if _, _, err := e.svc.IssueToken(ctx, e.admin["A"], contactd.TokenRequest{UserID: editor.ID, Scopes: []string{"contacts:admin"}}); contactd.ErrorCodeOf(err) != contactd.EInvalid {
			t.Errorf("a token beyond the user's role: %v", err)
		}
		if _, _, err := e.svc.IssueToken(ctx, e.admin["A"], contactd.TokenRequest{UserID: e.users["B"]["editor"].ID, Scopes: []string{"contacts:read"}}); contactd.ErrorCodeOf(err) != contactd.EInvalid {
			t.Errorf("a token for another tenant's user: %v", err)
		}
		secret, _, err := e.svc.IssueToken(ctx, e.admin["A"], contactd.TokenRequest{UserID: editor.ID, Scopes: []string{"contacts:read", "contacts:write"}})
		if err != nil {
			t.Fatal(err)
		}
		p, err := e.svc.Authenticate(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		c, err := e.svc.CreateContact(ctx, p, &contactd.ContactInput{FirstName: "Tokened"})
		if err != nil || c.CreatedBy != editor.ID {
			t.Fatalf("created by %q, %v", c.CreatedBy, err)
		}
		// Lowered to viewer, the user keeps only tokens a viewer could
		// have: the read-only one stays, the writing one is revoked.
		reader, _, err := e.svc.IssueToken(ctx, e.admin["A"], contactd.TokenRequest{UserID: editor.ID, Scopes: []string{"contacts:read"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.UpdateUser(ctx, e.admin["A"], editor.ID, &contactd.UserInput{Role: "viewer", Set: map[string]bool{"role": true}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Authenticate(ctx, secret); contactd.ErrorCodeOf(err) != contactd.EUnauthorized {
			t.Errorf("a writing token of a user lowered to viewer: %v", err)
		}
		if _, err := e.svc.Authenticate(ctx, reader); err != nil {
			t.Errorf("the read-only token of a user lowered to viewer: %v", err)
		}
		names, err := e.svc.ActorNames(ctx, e.admin["A"], []string{c.CreatedBy, "svc-import"})
		if err != nil || names[editor.ID] != editor.Name || names["svc-import"] != "" {
			t.Errorf("actor names: %v, %v", names, err)
		}
		if names, _ := e.svc.ActorNames(ctx, e.admin["B"], []string{editor.ID}); names[editor.ID] != editor.ID {
			t.Errorf("another tenant learns the user's name: %v", names)
		}
	})
}
