package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/httpapi"
	"github.com/contactd/contactd/internal/storetest"
	"github.com/contactd/contactd/internal/web"
	"github.com/contactd/contactd/internal/webhook"
)

// password is every test user's password.
const password = "correct horse battery staple"

// env is the API and the address book over a fresh store, as serve wires
// them, with two tenants, A and B, each with a user of every role.
type env struct {
	t      *testing.T
	svc    *contactd.Service
	store  contactd.Store
	srv    *httptest.Server
	tenant map[string]*contactd.Tenant
	// users["A"]["editor"] is tenant A's editor; its email is
	// editor@a.example.
	users map[string]map[string]*contactd.User
	admin map[string]contactd.Principal
}

func newEnv(t *testing.T, b storetest.Backend, opt web.Options) *env {
	t.Helper()
	store := b.Open(t)
	svc := contactd.NewService(store, slog.New(slog.DiscardHandler))
	svc.UseWebhooks(webhook.NewTransport(true)) // receivers here listen on 127.0.0.1
	api := httpapi.New(svc, nil, httpapi.Config{Version: "test"})
	t.Cleanup(api.Close)
	mux := http.NewServeMux()
	mux.Handle("/", api)
	web.New(svc, api, nil, opt).Register(mux)
	e := &env{t: t, svc: svc, store: store, tenant: map[string]*contactd.Tenant{}, users: map[string]map[string]*contactd.User{},
		admin: map[string]contactd.Principal{}}
	ctx := context.Background()
	for _, name := range []string{"A", "B"} {
		ten, err := svc.CreateTenant(ctx, "tenant-"+name, "US")
		if err != nil {
			t.Fatal(err)
		}
		e.tenant[name] = ten
		e.admin[name] = contactd.Principal{TenantID: ten.ID, Actor: "test", Scopes: contactd.AllScopes, Region: "US"}
		e.users[name] = map[string]*contactd.User{}
		for _, role := range contactd.Roles {
			u, err := svc.CreateUser(ctx, e.admin[name], &contactd.UserInput{Email: role + "@" + strings.ToLower(name) + ".example",
				Name: strings.ToUpper(role[:1]) + role[1:] + " " + name, Role: role, Password: password,
				Set: map[string]bool{"email": true, "name": true, "role": true, "password": true}})
			if err != nil {
				t.Fatal(err)
			}
			e.users[name][role] = u
		}
	}
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// browser is an HTTP client with its own cookies that does not follow
// redirects, so that tests see them.
type browser struct {
	e   *env
	c   *http.Client
	jar *cookiejar.Jar
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, jar: jar, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) page {
	b.e.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

func (b *browser) get(path string) page {
	req, _ := http.NewRequest("GET", b.e.srv.URL+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) page {
	req, _ := http.NewRequest("POST", b.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf returns the CSRF token of a page's forms.
func (p page) csrf(t *testing.T) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF token on the page (%d): %.300s", p.status, p.body)
	}
	return m[1]
}

// signIn signs in with the sign-in form; it returns the answer to the
// form's POST.
func (b *browser) signIn(email, pw string) page {
	b.e.t.Helper()
	form := b.get("/signin")
	return b.post("/signin", url.Values{"csrf": {form.csrf(b.e.t)}, "email": {email}, "password": {pw}})
}

// mustSignIn signs in as a user of the env and fails unless it worked.
func (b *browser) mustSignIn(tenant, role string) {
	b.e.t.Helper()
	p := b.signIn(b.e.users[tenant][role].Email, password)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/contacts" {
		b.e.t.Fatalf("sign-in as %s of %s: %d %s %.300s", role, tenant, p.status, p.header.Get("Location"), p.body)
	}
}

func (b *browser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.e.srv.URL)
	for _, c := range b.jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func jsonOf(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}
