package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/httpapi"
	"github.com/contactd/contactd/internal/storetest"
	"github.com/contactd/contactd/internal/webhook"
)

// env is a running API over a fresh store with two tenants, A and B, and
// tokens for each scope in each.
type env struct {
	t      *testing.T
	svc    *contactd.Service
	store  contactd.Store
	api    *httpapi.Server
	srv    *httptest.Server
	logs   *bytes.Buffer
	logMu  *sync.Mutex
	tenant map[string]*contactd.Tenant // "A", "B"
	// tokens["A"]["contacts:read"] is a token of tenant A with that scope
	// alone; tokens["A"]["all"] has every scope.
	tokens map[string]map[string]string
}

func newEnv(t *testing.T, b storetest.Backend) *env {
	t.Helper()
	return newEnvWith(t, b, httpapi.Config{Version: "test"})
}

// newEnvWith is newEnv with the API configured by cfg.
func newEnvWith(t *testing.T, b storetest.Backend, cfg httpapi.Config) *env {
	t.Helper()
	store := b.Open(t)
	logs := &bytes.Buffer{}
	lw := &lockedWriter{w: logs}
	log := slog.New(slog.NewJSONHandler(lw, nil))
	svc := contactd.NewService(store, log)
	svc.UseWebhooks(webhook.NewTransport(true)) // receivers here listen on 127.0.0.1
	api := httpapi.New(svc, log, cfg)
	t.Cleanup(api.Close) // the imports it runs end before the store closes
	e := &env{t: t, svc: svc, store: store, api: api, logs: logs, logMu: &lw.mu, tenant: map[string]*contactd.Tenant{}, tokens: map[string]map[string]string{}}
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
		secret, _, err := svc.CreateToken(ctx, contactd.TokenParams{TenantID: ten.ID, Kind: contactd.TokenPersonal, UserID: "user-" + name, Scopes: contactd.AllScopes})
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[name]["all"] = secret
	}
	e.srv = httptest.NewServer(api)
	t.Cleanup(e.srv.Close)
	return e
}

// resp is a response with its body read.
type resp struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic value.
func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

// do sends a request with a token ("" for none) and optional headers given
// as alternating names and values. A string body is sent as JSON.
func (e *env) do(method, path, token string, body any, headers ...string) resp {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
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
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// create creates a contact in a tenant with an all-scope token and returns
// its JSON.
func (e *env) create(tenant string, body any) map[string]any {
	e.t.Helper()
	r := e.do("POST", "/v1/contacts", e.tokens[tenant]["all"], body)
	if r.status != http.StatusCreated {
		e.t.Fatalf("create: status %d: %s", r.status, r.body)
	}
	return r.json(e.t)
}

// lockedWriter serializes writes of concurrent request logs.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// logText returns the logs written so far.
func (e *env) logText() string {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	return e.logs.String()
}
