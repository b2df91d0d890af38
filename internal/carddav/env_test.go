package carddav_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/carddav"
	"github.com/contactd/contactd/internal/httpapi"
	"github.com/contactd/contactd/internal/storetest"
)

// env is a server with the API and the CardDAV handler, as contactd serve
// mounts them, over a fresh store with two tenants, A and B, and a token
// for each scope in each ("all" has every scope).
type env struct {
	t      testing.TB
	svc    *contactd.Service
	store  contactd.Store
	srv    *httptest.Server
	tenant map[string]*contactd.Tenant
	tokens map[string]map[string]string
}

func newEnv(t testing.TB, b storetest.Backend) *env {
	t.Helper()
	store := b.Open(t)
	log := slog.New(slog.DiscardHandler)
	svc := contactd.NewService(store, log)
	api := httpapi.New(svc, log, httpapi.Config{Version: "test"})
	t.Cleanup(api.Close)
	mux := http.NewServeMux()
	mux.Handle("/", api)
	carddav.New(svc, log, carddav.Options{Limiter: api.Limiter()}).Register(mux)
	e := &env{t: t, svc: svc, store: store, tenant: map[string]*contactd.Tenant{}, tokens: map[string]map[string]string{}}
	ctx := context.Background()
	for _, name := range []string{"A", "B"} {
		ten, err := svc.CreateTenant(ctx, "tenant-"+name, "US")
		if err != nil {
			t.Fatal(err)
		}
		e.tenant[name] = ten
		e.tokens[name] = map[string]string{}
		for _, sc := range contactd.AllScopes {
			secret, _, err := svc.CreateToken(ctx, contactd.TokenParams{TenantID: ten.ID, Name: "svc-" + string(sc), Kind: contactd.TokenService, Scopes: []contactd.Scope{sc}})
			if err != nil {
				t.Fatal(err)
			}
			e.tokens[name][string(sc)] = secret
		}
		secret, _, err := svc.CreateToken(ctx, contactd.TokenParams{TenantID: ten.ID, Name: "all", Kind: contactd.TokenService, Scopes: contactd.AllScopes})
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[name]["all"] = secret
	}
	e.srv = httptest.NewServer(mux)
	t.Cleanup(e.srv.Close)
	return e
}

// resp is an answer with its body read.
type resp struct {
	status int
	header http.Header
	body   string
}

// dav sends a request with the token as the Basic password ("" for no
// credentials) and headers as alternating names and values.
func (e *env) dav(method, path, token, body string, headers ...string) resp {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.SetBasicAuth("someone", token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: string(b)}
}

// api calls the REST API with a bearer token and a JSON body.
func (e *env) api(method, path, token string, body any) (int, map[string]any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		if method == http.MethodPatch {
			req.Header.Set("Content-Type", "application/merge-patch+json")
		}
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(res.Body)
	json.Unmarshal(b, &m)
	return res.StatusCode, m
}

// create makes a contact through the API and returns its id.
func (e *env) create(tenant string, body any) string {
	e.t.Helper()
	st, m := e.api("POST", "/v1/contacts", e.tokens[tenant]["all"], body)
	if st != http.StatusCreated {
		e.t.Fatalf("create: %d %v", st, m)
	}
	return m["id"].(string)
}

// put writes a card with an all-scope token and returns the answer.
func (e *env) put(tenant, name, card string, headers ...string) resp {
	e.t.Helper()
	return e.dav("PUT", bookPath+name, e.tokens[tenant]["all"], card, append([]string{"Content-Type", "text/vcard; charset=utf-8"}, headers...)...)
}

const bookPath = "/dav/addressbooks/contacts/"

// crlf turns a card written with \n into one with CRLF line ends.
func crlf(s string) string { return strings.ReplaceAll(strings.TrimLeft(s, "\n"), "\n", "\r\n") }
