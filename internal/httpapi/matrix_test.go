package httpapi_test

// The matrices here are driven by the route table itself: every route of
// the table must have a case in matrixCases, so a new route is covered (or
// the test fails) without anyone remembering to add it.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/httpapi"
	"github.com/contactd/contactd/internal/storetest"
)

func TestScopeMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		runScopeMatrix(t, newEnv(t, b), nil)
	})
}

func TestAuthMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		runAuthMatrix(t, newEnv(t, b), nil)
	})
}

func TestPermanentDeleteMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		runPermanentDeleteMatrix(t, newEnv(t, b), nil)
	})
}

func TestTenantIsolationMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		runIsolationMatrix(t, newEnv(t, b), nil)
	})
}

// scopeNames are the single-scope tokens of newEnv.
var scopeNames = func() []string {
	var out []string
	for _, s := range contactd.AllScopes {
		out = append(out, string(s))
	}
	return out
}()

// routeCase says how to exercise one route: a valid minimal request and
// the success status a token with the route's scope gets for it on a
// freshly created contact of tenant A.
// testPNG is an image whose bytes say PNG.
var testPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01")

type routeCase struct {
	// body is the request body, or a func() any making a fresh one, or a
	// func(target) any making it for the route's target.
	body  any
	query string
	// setup prepares tenant A's fresh contact (with A's all-scope token).
	setup func(m mx, tg target)
	ok    int
	// contentType is the body's media type (default application/json).
	contentType string
}

// headers are the request headers of the case's body.
func (rc routeCase) headers(more ...string) []string {
	if rc.contentType == "" {
		return more
	}
	return append([]string{"Content-Type", rc.contentType}, more...)
}

func (rc routeCase) reqBody(tg target) any {
	switch f := rc.body.(type) {
	case func() any:
		return f()
	case func(target) any:
		return f(tg)
	}
	return rc.body
}

const upsertKey = "PUT /v1/contacts/by-external-id/{externalId}"

// matrixCases has one case per route of the table, keyed "METHOD path".
func matrixCases() map[string]routeCase {
	softDelete := func(m mx, tg target) {
		m.t.Helper()
		r := m.do("DELETE /v1/contacts/{id}", true, "DELETE", "/v1/contacts/"+tg.ID, m.e.tokens["A"]["all"], nil)
		if r.status != http.StatusNoContent {
			m.t.Fatalf("setup: soft delete: status %d: %s", r.status, r.body)
		}
	}
	block := func(m mx, tg target) {
		m.t.Helper()
		r := m.do("POST /v1/contacts/{id}/block", true, "POST", "/v1/contacts/"+tg.ID+"/block", m.e.tokens["A"]["all"], map[string]any{"reason": "setup"})
		if r.status != http.StatusOK {
			m.t.Fatalf("setup: block: status %d: %s", r.status, r.body)
		}
	}
	putPhoto := func(m mx, tg target) {
		m.t.Helper()
		r := m.do("PUT /v1/contacts/{id}/photo", true, "PUT", "/v1/contacts/"+tg.ID+"/photo", m.e.tokens["A"]["all"], testPNG, "Content-Type", "image/png")
		if r.status != http.StatusOK {
			m.t.Fatalf("setup: photo: status %d: %s", r.status, r.body)
		}
	}
	cases := map[string]routeCase{
		"PUT /v1/contacts/{id}/photo":                    {body: testPNG, contentType: "image/png", ok: 200},
		"GET /v1/contacts/{id}/photo":                    {setup: putPhoto, ok: 200},
		"DELETE /v1/contacts/{id}/photo":                 {setup: putPhoto, ok: 200},
		"POST /v1/contacts":                              {body: map[string]any{"firstName": "Created", "lastName": "By Matrix"}, ok: 201},
		"GET /v1/contacts/{id}":                          {ok: 200},
		"PATCH /v1/contacts/{id}":                        {body: map[string]any{"jobTitle": "Engineer", "addresses": nil}, ok: 200},
		"DELETE /v1/contacts/{id}":                       {ok: 204},
		"POST /v1/contacts/{id}/restore":                 {setup: softDelete, ok: 200},
		"GET /v1/contacts/by-email/{email}":              {ok: 200},
		"PATCH /v1/contacts/by-email/{email}":            {body: map[string]any{"jobTitle": "Engineer"}, ok: 200},
		"GET /v1/contacts/by-external-id/{externalId}":   {ok: 200},
		"PATCH /v1/contacts/by-external-id/{externalId}": {body: map[string]any{"jobTitle": "Engineer"}, ok: 200},
		upsertKey: {body: map[string]any{"firstName": "Upserted"}, ok: 200},
		"DELETE /v1/contacts/by-external-id/{externalId}": {ok: 204},
		"POST /v1/contacts/{id}/block":                    {body: map[string]any{"reason": "spam calls"}, ok: 200},
		"DELETE /v1/contacts/{id}/block":                  {setup: block, ok: 200},
		"GET /v1/contacts/{id}/history":                   {ok: 200},
		"GET /v1/changes":                                 {ok: 200},
		"GET /v1/contacts/lookup":                         {query: "?phone=%2B14155550100", ok: 200},
		"GET /v1/directory":                               {query: "?for=auto-attendant&q=matrix", ok: 200},
		"GET /v1/directory/phonebook.xml":                 {ok: 200},
		"GET /v1/tokens":                                  {ok: 200},
		"POST /v1/tokens":                                 {body: map[string]any{"name": "made-by-matrix", "scopes": []string{"contacts:read"}}, ok: 201},
		"DELETE /v1/tokens/{tokenId}":                     {ok: 204},
		"GET /v1/contacts":                                {query: "?limit=5&sort=-updatedAt", ok: 200},
		"POST /v1/contacts/search":                        {body: map[string]any{"q": "matrix", "filter": map[string]any{"tags": "vip"}}, ok: 200},
		"GET /v1/contacts/export":                         {query: "?filter=%7B%22tags%22%3A%22vip%22%7D", ok: 200},
		"POST /v1/contacts/batch": {body: map[string]any{"operations": []any{
			map[string]any{"op": "create", "contact": map[string]any{"firstName": "Batched"}},
			map[string]any{"op": "delete", "id": "ct_01nosuchcontact000000000000"},
		}}, ok: 200},
		"POST /v1/contacts/{id}/phones":             {body: map[string]any{"number": "+14155550199", "type": "work"}, ok: 201},
		"PATCH /v1/contacts/{id}/phones/{phoneId}":  {body: map[string]any{"type": "home", "extension": nil}, ok: 200},
		"DELETE /v1/contacts/{id}/phones/{phoneId}": {ok: 200},
		"POST /v1/contacts/{id}/emails": {body: func() any {
			return map[string]any{"address": fmt.Sprintf("added%d@example.org", uniqSeq.Add(1)), "type": "work"}
		}, ok: 201},
		"PATCH /v1/contacts/{id}/emails/{emailId}":       {body: map[string]any{"type": "personal"}, ok: 200},
		"DELETE /v1/contacts/{id}/emails/{emailId}":      {ok: 200},
		"POST /v1/contacts/{id}/addresses":               {body: map[string]any{"type": "work", "city": "Lyon"}, ok: 201},
		"PATCH /v1/contacts/{id}/addresses/{addressId}":  {body: map[string]any{"city": "Paris"}, ok: 200},
		"DELETE /v1/contacts/{id}/addresses/{addressId}": {ok: 200},
		"GET /healthz":      {ok: 200},
		"GET /readyz":       {ok: 200},
		"GET /openapi.json": {ok: 200},
		"GET /docs":         {ok: 200},
	}
	for _, more := range extraCases {
		for k, v := range more() {
			cases[k] = v
		}
	}
	return cases
}

func routeKey(rt httpapi.RouteInfo) string { return rt.Method + " " + rt.Path }

// casesFor returns the cases of the route table, failing the test for a
// route without a case or a case without a route.
func casesFor(t *testing.T, routes []httpapi.RouteInfo) map[string]routeCase {
	t.Helper()
	cases := matrixCases()
	inTable := map[string]bool{}
	for _, rt := range routes {
		inTable[routeKey(rt)] = true
		if _, ok := cases[routeKey(rt)]; !ok {
			t.Errorf("route %s has no case in matrixCases: add one so the matrices cover it", routeKey(rt))
		}
	}
	for k := range cases {
		if !inTable[k] {
			t.Errorf("matrixCases has a case for %s, which is not in the route table", k)
		}
	}
	if len(routes) == 0 {
		t.Fatal("the route table is empty")
	}
	if t.Failed() {
		t.FailNow()
	}
	return cases
}

// target is a contact of tenant A and the keys the routes address it by.
type target struct {
	ID, PhoneID, EmailID, AddressID, Email, ExternalID string
	// TokenID is a fresh token of the target's tenant, for the token routes.
	TokenID string
	// ImportID is an import of the target's tenant, for the import routes.
	ImportID string
	// WebhookID is a subscription of the target's tenant, and DeliveryID an
	// attempt in its log.
	WebhookID, DeliveryID string
	// AccountID, TagID and SegmentID are objects of the target's tenant
	// made by targetHooks, for the routes of those resources.
	AccountID, TagID, SegmentID string
	// UserID is a user of the target's tenant, for the user routes.
	UserID string
}

// extraCases and targetHooks let the tests of other resources add their
// routes' cases and make their objects for every target, in their own files.
var (
	extraCases  []func() map[string]routeCase
	targetHooks []func(m mx, tenant string, tg *target)
)

var uniqSeq atomic.Int64

// fill substitutes a target's keys into a route's path template.
func fill(t *testing.T, path string, tg target) string {
	t.Helper()
	out := strings.NewReplacer(
		"{id}", url.PathEscape(tg.ID),
		"{phoneId}", url.PathEscape(tg.PhoneID),
		"{emailId}", url.PathEscape(tg.EmailID),
		"{addressId}", url.PathEscape(tg.AddressID),
		"{email}", url.PathEscape(tg.Email),
		"{externalId}", url.PathEscape(tg.ExternalID),
		"{tokenId}", url.PathEscape(tg.TokenID),
		"{importId}", url.PathEscape(tg.ImportID),
		"{accountId}", url.PathEscape(tg.AccountID),
		"{tagId}", url.PathEscape(tg.TagID),
		"{segmentId}", url.PathEscape(tg.SegmentID),
		"{webhookId}", url.PathEscape(tg.WebhookID),
		"{deliveryId}", url.PathEscape(tg.DeliveryID),
		"{userId}", url.PathEscape(tg.UserID),
	).Replace(path)
	if strings.ContainsAny(out, "{}") {
		t.Fatalf("route %s has a path parameter the matrix does not know: teach fill about it", path)
	}
	return out
}

// exchange is one request the matrices sent and its response.
type exchange struct {
	key    string // the route, "METHOD path"
	method string
	url    string // path and query
	header http.Header
	body   []byte
	// valid says the request is well-formed by the OpenAPI document (it
	// may still be refused, e.g. for a missing scope).
	valid bool
	resp  resp
}

// observer records exchanges, for checking them against the document.
type observer struct {
	mu sync.Mutex
	ex []exchange
}

func (o *observer) add(x exchange) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ex = append(o.ex, x)
}

func (o *observer) exchanges() []exchange {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.ex)
}

// mx sends requests from one (sub)test and records them.
type mx struct {
	e   *env
	t   *testing.T
	obs *observer
}

// do is env.do reporting to m.t (safe in parallel subtests), recording the
// exchange under the route key.
func (m mx) do(key string, valid bool, method, target, token string, body any, headers ...string) resp {
	m.t.Helper()
	ec := *m.e
	ec.t = m.t
	r := ec.do(method, target, token, body, headers...)
	if m.obs == nil {
		return r
	}
	h := http.Header{}
	if token != "" {
		h.Set("Authorization", "Bearer "+token)
	}
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	case []byte:
		raw = b
	default:
		raw, _ = json.Marshal(b)
	}
	if body != nil {
		h.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			h.Del(headers[i])
		} else {
			h.Set(headers[i], headers[i+1])
		}
	}
	m.obs.add(exchange{key: key, method: method, url: target, header: h, body: raw, valid: valid, resp: r})
	return r
}

// newTarget creates a contact with a phone, an email, an address and an
// external id in a tenant.
func (m mx) newTarget(tenant string) target {
	m.t.Helper()
	n := uniqSeq.Add(1)
	email := fmt.Sprintf("matrix%d.%s@example.com", n, strings.ToLower(tenant))
	r := m.do("POST /v1/contacts", true, "POST", "/v1/contacts", m.e.tokens[tenant]["all"], map[string]any{
		"firstName": "Matrix", "lastName": fmt.Sprintf("Target%d", n), "externalId": fmt.Sprintf("crm-%d", n),
		"phones":    []any{map[string]any{"number": fmt.Sprintf("+1415555%04d", n%10000), "type": "mobile"}},
		"emails":    []any{map[string]any{"address": email, "type": "work"}},
		"addresses": []any{map[string]any{"type": "home", "street": "1 Main St", "city": "Springfield"}},
	})
	if r.status != http.StatusCreated {
		m.t.Fatalf("create target: status %d: %s", r.status, r.body)
	}
	var c contactd.Contact
	if err := json.Unmarshal(r.body, &c); err != nil {
		m.t.Fatalf("create target: %v: %s", err, r.body)
	}
	if len(c.Phones) != 1 || len(c.Emails) != 1 || len(c.Addresses) != 1 || c.ID == "" || c.ExternalID == "" {
		m.t.Fatalf("create target: unexpected contact %s", r.body)
	}
	_, tok, err := m.e.svc.CreateToken(m.t.Context(), contactd.TokenParams{TenantID: m.e.tenant[tenant].ID, Name: "matrix", Scopes: []contactd.Scope{contactd.ScopeRead}})
	if err != nil {
		m.t.Fatalf("create target token: %v", err)
	}
	tg := target{ID: c.ID, PhoneID: c.Phones[0].ID, EmailID: c.Emails[0].ID, AddressID: c.Addresses[0].ID,
		Email: c.Emails[0].Address, ExternalID: c.ExternalID, TokenID: tok.ID}
	for _, hook := range targetHooks {
		hook(m, tenant, &tg)
	}
	return tg
}

// prepared creates a target in tenant A and runs the case's setup on it.
func (m mx) prepared(rc routeCase) target {
	m.t.Helper()
	tg := m.newTarget("A")
	if rc.setup != nil {
		rc.setup(m, tg)
	}
	return tg
}

// snapshot is a contact as its own tenant reads it.
type snapshot struct {
	status int
	etag   string
	body   string
}

func (m mx) snapshot(tenant, id string) snapshot {
	m.t.Helper()
	r := m.do("GET /v1/contacts/{id}", true, "GET", "/v1/contacts/"+id+"?includeDeleted=true", m.e.tokens[tenant]["all"], nil)
	return snapshot{status: r.status, etag: r.header.Get("ETag"), body: string(r.body)}
}

// unchanged fails unless the contact reads as it did before.
func (m mx) unchanged(tenant, id string, before snapshot, what string) {
	m.t.Helper()
	after := m.snapshot(tenant, id)
	if before.status != http.StatusOK {
		m.t.Fatalf("%s: the contact could not be read before: status %d: %s", what, before.status, before.body)
	}
	if after != before {
		m.t.Errorf("%s changed tenant %s's contact %s:\nbefore: %d %s %s\nafter:  %d %s %s",
			what, tenant, id, before.status, before.etag, before.body, after.status, after.etag, after.body)
	}
}

// problem fails unless r is an RFC 9457 problem with the status.
func problem(t *testing.T, r resp, status int, what string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d: %s", what, r.status, status, r.body)
		return
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("%s: Content-Type %q, want application/problem+json", what, ct)
	}
	var p struct {
		Type   string `json:"type"`
		Title  string `json:"title"`
		Status int    `json:"status"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Errorf("%s: the body is not a problem document: %v: %s", what, err, r.body)
		return
	}
	if p.Status != status || p.Type == "" || p.Title == "" || p.Detail == "" {
		t.Errorf("%s: incomplete problem document (want status %d, type, title, detail): %s", what, status, r.body)
	}
	if r.header.Get("X-Request-Id") == "" {
		t.Errorf("%s: no X-Request-Id", what)
	}
}

// junkQuery is a query string that no route accepts.
const junkQuery = "?includeDeleted=maybe&permanent=maybe&limit=0&cursor=nope&fields=nope"

// directoryWrites are contact fields only contacts:admin writes, on any
// contact (the phone system's directory).
var directoryWrites = []map[string]any{
	{"site": map[string]any{"id": "br_matrix"}},
	{"pbx": map[string]any{"id": "pbx-matrix"}},
	{"hideInAutoAttendant": true},
	{"contactType": "corporate", "extensions": []any{map[string]any{"extension": "4242"}}, "displayWhenNoExtension": true},
	{"contactType": "service", "subscription": map[string]any{"id": "sub-matrix", "type": "RG"}},
}

// runDirectoryScopes: every route that writes a contact from a client's
// document refuses the directory's fields to a token without
// contacts:admin (403, nothing written) and takes them from one with it.
func runDirectoryScopes(t *testing.T, e *env, obs *observer) {
	m := mx{e: e, t: t, obs: obs}
	write, admin := e.tokens["A"]["contacts:write"], e.tokens["A"]["all"]
	for i, fields := range directoryWrites {
		body := func(extra ...any) map[string]any {
			b := map[string]any{"firstName": "Directory"}
			for k, v := range fields {
				b[k] = v
			}
			for j := 0; j+1 < len(extra); j += 2 {
				b[extra[j].(string)] = extra[j+1]
			}
			return b
		}
		tg := m.newTarget("A")
		before := m.snapshot("A", tg.ID)
		ext := fmt.Sprintf("crm-directory-%d-%d", i, uniqSeq.Add(1))
		for _, w := range []struct{ key, method, path string }{
			{"POST /v1/contacts", "POST", "/v1/contacts"},
			{"PATCH /v1/contacts/{id}", "PATCH", "/v1/contacts/" + tg.ID},
			{upsertKey, "PUT", "/v1/contacts/by-external-id/" + ext},
		} {
			r := m.do(w.key, true, w.method, w.path, write, body())
			problem(t, r, http.StatusForbidden, fmt.Sprintf("%s of %v with contacts:write", w.key, fields))
		}
		m.unchanged("A", tg.ID, before, fmt.Sprintf("PATCH of %v with contacts:write", fields))
		if r := m.do("GET /v1/contacts/by-external-id/{externalId}", true, "GET", "/v1/contacts/by-external-id/"+ext, admin, nil); r.status != http.StatusNotFound {
			t.Errorf("a refused upsert of %v wrote a contact: %d", fields, r.status)
		}
		r := m.do("POST /v1/contacts", true, "POST", "/v1/contacts", admin, body("lastName", fmt.Sprintf("Admin%d", uniqSeq.Add(1))))
		if fields["extensions"] != nil {
			// (Extensions are unique: the admin's write claims its own.)
			r = m.do("POST /v1/contacts", true, "POST", "/v1/contacts", admin, body("extensions", []any{map[string]any{"extension": fmt.Sprint(5000 + uniqSeq.Add(1))}}))
		}
		if r.status != http.StatusCreated {
			t.Errorf("%v with contacts:admin: status %d: %s", fields, r.status, r.body)
		}
	}
}

// runScopeMatrix: for every authenticated route and every single-scope
// token, a token without the route's scope gets a 403 problem (even for a
// request that is also invalid in other ways) and changes nothing; a token
// with it gets the route's success status. The fields only contacts:admin
// writes are refused on every route that writes a client's contact.
func runScopeMatrix(t *testing.T, e *env, obs *observer) {
	routes := e.api.RouteList()
	cases := casesFor(t, routes)
	t.Run("directory fields need contacts:admin", func(t *testing.T) {
		t.Parallel()
		runDirectoryScopes(t, e, obs)
	})
	for _, rt := range routes {
		if rt.Scope == "" {
			continue
		}
		if !slices.Contains(scopeNames, rt.Scope) {
			t.Errorf("route %s needs the unknown scope %q", routeKey(rt), rt.Scope)
			continue
		}
		key, rc := routeKey(rt), cases[routeKey(rt)]
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			m := mx{e: e, t: t, obs: obs}
			tg := m.prepared(rc)
			before := m.snapshot("A", tg.ID)
			u := fill(t, rt.Path, tg)
			for _, sc := range scopeNames {
				if sc == rt.Scope {
					continue
				}
				tok := e.tokens["A"][sc]
				r := m.do(key, true, rt.Method, u+rc.query, tok, rc.reqBody(tg), rc.headers()...)
				problem(t, r, http.StatusForbidden, fmt.Sprintf("%s with only %s", key, sc))
				// A missing scope is reported before anything else is
				// looked at: the body, the query, the headers.
				var junk any
				if rt.HasBody {
					junk = `{"noSuchField": true}`
				}
				r = m.do(key, false, rt.Method, u+junkQuery, tok, junk, "If-Match", "garbage", "Idempotency-Key", fmt.Sprintf("k-%d", uniqSeq.Add(1)))
				problem(t, r, http.StatusForbidden, fmt.Sprintf("%s with only %s and an invalid request", key, sc))
			}
			m.unchanged("A", tg.ID, before, key+" without its scope")
			for _, tok := range []string{rt.Scope, "all"} {
				tg := m.prepared(rc)
				r := m.do(key, true, rt.Method, fill(t, rt.Path, tg)+rc.query, e.tokens["A"][tok], rc.reqBody(tg), rc.headers()...)
				if r.status != rc.ok {
					t.Errorf("%s with %s: status %d, want %d: %s", key, tok, r.status, rc.ok, r.body)
				}
			}
		})
	}
}

// runAuthMatrix: every authenticated route answers 401 with
// WWW-Authenticate to a request without a usable token and changes
// nothing; the unauthenticated routes ignore credentials.
func runAuthMatrix(t *testing.T, e *env, obs *observer) {
	routes := e.api.RouteList()
	cases := casesFor(t, routes)
	valid := e.tokens["A"]["all"]
	last := byte('A')
	if valid[len(valid)-1] == last {
		last = 'B'
	}
	tampered := valid[:len(valid)-1] + string(last)
	bad := []struct {
		name    string
		headers []string
	}{
		{"no Authorization", nil},
		{"empty bearer", []string{"Authorization", "Bearer"}},
		{"basic scheme", []string{"Authorization", "Basic dXNlcjpwYXNz"}},
		{"token without scheme", []string{"Authorization", valid}},
		{"malformed token", []string{"Authorization", "Bearer not-a-token"}},
		{"unknown token", []string{"Authorization", "Bearer cdt_" + strings.Repeat("x", 43)}},
		{"tampered token", []string{"Authorization", "Bearer " + tampered}},
		{"overlong token", []string{"Authorization", "Bearer cdt_" + strings.Repeat("a", 300)}},
	}
	for _, rt := range routes {
		key, rc := routeKey(rt), cases[routeKey(rt)]
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			m := mx{e: e, t: t, obs: obs}
			if rt.Scope == "" {
				for _, b := range bad {
					r := m.do(key, b.name == "no Authorization", rt.Method, rt.Path+rc.query, "", rc.reqBody(target{}), rc.headers(b.headers...)...)
					if r.status != rc.ok {
						t.Errorf("%s with %s: status %d, want %d", key, b.name, r.status, rc.ok)
					}
				}
				return
			}
			tg := m.prepared(rc)
			before := m.snapshot("A", tg.ID)
			u := fill(t, rt.Path, tg) + rc.query
			for _, b := range bad {
				r := m.do(key, false, rt.Method, u, "", rc.reqBody(target{}), rc.headers(b.headers...)...)
				problem(t, r, http.StatusUnauthorized, key+" with "+b.name)
				if h := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(h, "Bearer") {
					t.Errorf("%s with %s: WWW-Authenticate %q, want a Bearer challenge", key, b.name, h)
				}
			}
			m.unchanged("A", tg.ID, before, key+" without a valid token")
		})
	}
}

// runPermanentDeleteMatrix: for every route with a permanent query
// parameter, erasing needs contacts:admin in addition to contacts:delete.
func runPermanentDeleteMatrix(t *testing.T, e *env, obs *observer) {
	routes := e.api.RouteList()
	cases := casesFor(t, routes)
	secret, _, err := e.svc.CreateToken(context.Background(), contactd.TokenParams{TenantID: e.tenant["A"].ID,
		Name: "delete-admin", Kind: contactd.TokenService, Scopes: []contactd.Scope{contactd.ScopeDelete, contactd.ScopeAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, rt := range routes {
		if !slices.Contains(rt.Query, "permanent") {
			continue
		}
		n++
		key, rc := routeKey(rt), cases[routeKey(rt)]
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			m := mx{e: e, t: t, obs: obs}
			tg := m.prepared(rc)
			before := m.snapshot("A", tg.ID)
			u := fill(t, rt.Path, tg) + "?permanent=true"
			for _, sc := range scopeNames {
				r := m.do(key, true, rt.Method, u, e.tokens["A"][sc], nil)
				problem(t, r, http.StatusForbidden, key+"?permanent=true with only "+sc)
			}
			m.unchanged("A", tg.ID, before, key+"?permanent=true without delete and admin")
			for _, tok := range []string{secret, e.tokens["A"]["all"]} {
				tg := m.prepared(rc)
				r := m.do(key, true, rt.Method, fill(t, rt.Path, tg)+"?permanent=true", tok, nil)
				if r.status != http.StatusNoContent {
					t.Errorf("%s?permanent=true with delete and admin: status %d, want 204: %s", key, r.status, r.body)
					continue
				}
				if s := m.snapshot("A", tg.ID); s.status != http.StatusNotFound {
					t.Errorf("after erasing, the contact reads with status %d, want 404: %s", s.status, s.body)
				}
				r = m.do("GET /v1/contacts/{id}/history", true, "GET", "/v1/contacts/"+tg.ID+"/history", e.tokens["A"]["all"], nil)
				problem(t, r, http.StatusNotFound, "history of an erased contact")
			}
		})
	}
	if n == 0 {
		t.Error("no route has a permanent parameter")
	}
}

// runIsolationMatrix: tenant B's all-scope token addressing tenant A's
// objects gets 404 on every route (the upsert creates B's own contact
// instead), A's contact stays as it was, and B's change feed never
// mentions A's contacts.
func runIsolationMatrix(t *testing.T, e *env, obs *observer) {
	routes := e.api.RouteList()
	cases := casesFor(t, routes)
	var mu sync.Mutex
	aIDs := map[string]bool{}
	var bIDs []string
	bTok := e.tokens["B"]["all"]
	t.Run("routes", func(t *testing.T) {
		n := 0
		for _, rt := range routes {
			if rt.Scope == "" || !strings.Contains(rt.Path, "{") {
				continue
			}
			n++
			key, rc := routeKey(rt), cases[routeKey(rt)]
			t.Run(key, func(t *testing.T) {
				t.Parallel()
				m := mx{e: e, t: t, obs: obs}
				tg := m.prepared(rc)
				mu.Lock()
				aIDs[tg.ID] = true
				mu.Unlock()
				before := m.snapshot("A", tg.ID)
				u := fill(t, rt.Path, tg)
				queries := []string{rc.query}
				if slices.Contains(rt.Query, "permanent") {
					queries = append(queries, "?permanent=true")
				}
				if slices.Contains(rt.Query, "includeDeleted") {
					queries = append(queries, "?includeDeleted=true")
				}
				for _, q := range queries {
					r := m.do(key, true, rt.Method, u+q, bTok, rc.reqBody(tg), rc.headers()...)
					if key != upsertKey {
						problem(t, r, http.StatusNotFound, "tenant B: "+key+q+" on tenant A's contact")
						continue
					}
					if r.status != http.StatusCreated {
						t.Errorf("tenant B: upsert of tenant A's external id: status %d, want 201 (a new contact of B): %s", r.status, r.body)
						continue
					}
					var c contactd.Contact
					if err := json.Unmarshal(r.body, &c); err != nil {
						t.Fatal(err)
					}
					if c.ID == tg.ID || c.ExternalID != tg.ExternalID || c.FirstName != "Upserted" {
						t.Errorf("tenant B's upsert answered %s, want a new contact with external id %s", r.body, tg.ExternalID)
					}
					mu.Lock()
					bIDs = append(bIDs, c.ID)
					mu.Unlock()
					got := m.do("GET /v1/contacts/by-external-id/{externalId}", true, "GET", "/v1/contacts/by-external-id/"+url.PathEscape(tg.ExternalID), bTok, nil)
					if !strings.Contains(string(got.body), `"id":"`+c.ID+`"`) {
						t.Errorf("tenant B's external id %s reads %d %s, want its own contact %s", tg.ExternalID, got.status, got.body, c.ID)
					}
					got = m.do("GET /v1/contacts/by-external-id/{externalId}", true, "GET", "/v1/contacts/by-external-id/"+url.PathEscape(tg.ExternalID), e.tokens["A"]["all"], nil)
					if !strings.Contains(string(got.body), `"id":"`+tg.ID+`"`) {
						t.Errorf("tenant A's external id %s reads %d %s, want A's contact %s", tg.ExternalID, got.status, got.body, tg.ID)
					}
				}
				m.unchanged("A", tg.ID, before, "tenant B's "+key)
			})
		}
		if n == 0 {
			t.Error("no route addresses an object")
		}
		t.Run("create with A's email and external id", func(t *testing.T) {
			t.Parallel()
			m := mx{e: e, t: t, obs: obs}
			tg := m.newTarget("A")
			before := m.snapshot("A", tg.ID)
			r := m.do("POST /v1/contacts", true, "POST", "/v1/contacts", bTok, map[string]any{"firstName": "Other", "email": tg.Email, "externalId": tg.ExternalID})
			if r.status != http.StatusCreated {
				t.Errorf("tenant B creating a contact with tenant A's email and external id: status %d, want 201 (uniqueness is per tenant): %s", r.status, r.body)
			} else {
				var c contactd.Contact
				if err := json.Unmarshal(r.body, &c); err != nil {
					t.Fatal(err)
				}
				mu.Lock()
				aIDs[tg.ID] = true
				bIDs = append(bIDs, c.ID)
				mu.Unlock()
			}
			m.unchanged("A", tg.ID, before, "tenant B's create")
		})
	})
	m := mx{e: e, t: t, obs: obs}
	feedA, feedB := m.feed("A"), m.feed("B")
	for id := range feedB {
		if aIDs[id] {
			t.Errorf("tenant B's change feed mentions tenant A's contact %s", id)
		}
	}
	for id := range aIDs {
		if !feedA[id] {
			t.Errorf("tenant A's change feed lacks its contact %s", id)
		}
	}
	for _, id := range bIDs {
		if !feedB[id] {
			t.Errorf("tenant B's change feed lacks its contact %s", id)
		}
	}
	if len(aIDs) == 0 || len(bIDs) == 0 {
		t.Errorf("the isolation matrix made %d contacts in A and %d in B; want some in each", len(aIDs), len(bIDs))
	}
}

// feed reads a tenant's whole change feed and returns the contact ids it
// mentions.
func (m mx) feed(tenant string) map[string]bool {
	m.t.Helper()
	ids := map[string]bool{}
	cursor := ""
	for range 1000 {
		r := m.do("GET /v1/changes", true, "GET", "/v1/changes?limit=1000&cursor="+url.QueryEscape(cursor), m.e.tokens[tenant]["all"], nil)
		if r.status != http.StatusOK {
			m.t.Fatalf("change feed of %s: status %d: %s", tenant, r.status, r.body)
		}
		var page contactd.Page[contactd.Change]
		if err := json.Unmarshal(r.body, &page); err != nil {
			m.t.Fatal(err)
		}
		if len(page.Data) == 0 {
			return ids
		}
		if page.NextCursor == nil || *page.NextCursor == "" || *page.NextCursor == cursor {
			m.t.Fatalf("change feed of %s: a page of %d changes without a new cursor", tenant, len(page.Data))
		}
		for _, c := range page.Data {
			ids[c.ContactID] = true
		}
		cursor = *page.NextCursor
	}
	m.t.Fatalf("change feed of %s does not end", tenant)
	return nil
}
