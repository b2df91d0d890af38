package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"go/parser"
	"go/token"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/client"
	"github.com/contactd/contactd/internal/httpapi"
	"github.com/contactd/contactd/internal/storetest"
	"github.com/contactd/contactd/internal/webhook"
)

// server is a running contactd over a fresh store, with one tenant and an
// all-scope token, whose successful requests are recorded by operation.
type server struct {
	url   string
	token string
	svc   *contactd.Service
	p     contactd.Principal
	// ops are the operations ("GET /v1/contacts/{id}") the client's
	// requests reached with a 2xx answer.
	mu  sync.Mutex
	ops map[string]bool
}

func newServer(t *testing.T, b storetest.Backend) *server {
	t.Helper()
	store := b.Open(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := contactd.NewService(store, log)
	svc.UseWebhooks(webhook.NewTransport(true)) // the receivers here listen on 127.0.0.1
	api := httpapi.New(svc, log, httpapi.Config{Version: "test"})
	t.Cleanup(api.Close)
	ctx := context.Background()
	ten, err := svc.CreateTenant(ctx, "client-test", "US")
	if err != nil {
		t.Fatal(err)
	}
	secret, _, err := svc.CreateToken(ctx, contactd.TokenParams{TenantID: ten.ID, Kind: contactd.TokenPersonal, UserID: "dev", Scopes: contactd.AllScopes})
	if err != nil {
		t.Fatal(err)
	}
	p, err := svc.Authenticate(ctx, secret)
	if err != nil {
		t.Fatal(err)
	}
	s := &server{token: secret, svc: svc, p: p, ops: map[string]bool{}}
	routes := operations(t, api)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		api.ServeHTTP(rec, r)
		if rec.status < 300 {
			if op := routes.match(r.Method, r.URL.EscapedPath()); op != "" {
				s.mu.Lock()
				s.ops[op] = true
				s.mu.Unlock()
			}
		}
	}))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	return s
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// routeSet is the API's operations, from its OpenAPI document.
type routeSet []struct {
	key string
	re  *regexp.Regexp
}

func (rs routeSet) match(method, path string) string {
	for _, r := range rs {
		if strings.HasPrefix(r.key, method+" ") && r.re.MatchString(path) {
			return r.key
		}
	}
	return ""
}

// operations reads the operations of the API's OpenAPI document, the
// service's own endpoints (/healthz, /docs…) left out.
func operations(t *testing.T, api http.Handler) routeSet {
	t.Helper()
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, httptest.NewRequest("GET", "/openapi.json", nil))
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var rs routeSet
	for path, ops := range doc.Paths {
		if !strings.HasPrefix(path, "/v1/") {
			continue
		}
		// Literal segments before parameters: /v1/contacts/lookup is not
		// /v1/contacts/{id}.
		re := regexp.MustCompile("^" + regexp.MustCompile(`\\\{[A-Za-z]+\\\}`).ReplaceAllString(regexp.QuoteMeta(path), "[^/]+") + "$")
		for m := range ops {
			rs = append(rs, struct {
				key string
				re  *regexp.Regexp
			}{strings.ToUpper(m) + " " + path, re})
		}
	}
	slices.SortFunc(rs, func(a, b struct {
		key string
		re  *regexp.Regexp
	}) int {
		// Paths with fewer parameters first.
		return strings.Count(a.key, "{") - strings.Count(b.key, "{")
	})
	return rs
}

// clientMethods maps each operation of the API to the client method that
// calls it.
var clientMethods = map[string]string{
	"GET /v1/accounts":                                                "Accounts.List Accounts.All",
	"POST /v1/accounts":                                               "Accounts.Create",
	"DELETE /v1/accounts/{accountId}":                                 "Accounts.Delete",
	"GET /v1/accounts/{accountId}":                                    "Accounts.Get",
	"PATCH /v1/accounts/{accountId}":                                  "Accounts.Update",
	"GET /v1/accounts/{accountId}/contacts":                           "Accounts.Contacts Accounts.AllContacts",
	"GET /v1/changes":                                                 "Changes.List Changes.Follow",
	"GET /v1/contacts":                                                "Contacts.List Contacts.All",
	"POST /v1/contacts":                                               "Contacts.Create",
	"POST /v1/contacts/batch":                                         "Contacts.Batch",
	"GET /v1/contacts/by-email/{email}":                               "Contacts.GetByEmail",
	"PATCH /v1/contacts/by-email/{email}":                             "Contacts.UpdateByEmail",
	"DELETE /v1/contacts/by-external-id/{externalId}":                 "Contacts.DeleteByExternalID",
	"GET /v1/contacts/by-external-id/{externalId}":                    "Contacts.GetByExternalID",
	"PATCH /v1/contacts/by-external-id/{externalId}":                  "Contacts.UpdateByExternalID",
	"PUT /v1/contacts/by-external-id/{externalId}":                    "Contacts.Upsert",
	"GET /v1/contacts/duplicates":                                     "Duplicates.Groups Duplicates.AllGroups",
	"POST /v1/contacts/duplicates/dismiss":                            "Duplicates.Dismiss",
	"GET /v1/contacts/duplicates/rescan":                              "Duplicates.RescanStatus",
	"POST /v1/contacts/duplicates/rescan":                             "Duplicates.Rescan",
	"GET /v1/contacts/export":                                         "Contacts.Export",
	"GET /v1/contacts/lookup":                                         "Contacts.Lookup",
	"POST /v1/contacts/merge":                                         "Duplicates.Merge",
	"POST /v1/contacts/search":                                        "Contacts.Search Contacts.SearchAll",
	"DELETE /v1/contacts/{id}":                                        "Contacts.Delete Contacts.Erase",
	"GET /v1/contacts/{id}":                                           "Contacts.Get Contacts.GetDeleted",
	"PATCH /v1/contacts/{id}":                                         "Contacts.Update",
	"POST /v1/contacts/{id}/addresses":                                "Contacts.AddAddress",
	"DELETE /v1/contacts/{id}/addresses/{addressId}":                  "Contacts.DeleteAddress",
	"PATCH /v1/contacts/{id}/addresses/{addressId}":                   "Contacts.UpdateAddress",
	"DELETE /v1/contacts/{id}/block":                                  "Contacts.Unblock",
	"POST /v1/contacts/{id}/block":                                    "Contacts.Block",
	"GET /v1/contacts/{id}/duplicates":                                "Duplicates.Of",
	"POST /v1/contacts/{id}/emails":                                   "Contacts.AddEmail",
	"DELETE /v1/contacts/{id}/emails/{emailId}":                       "Contacts.DeleteEmail",
	"PATCH /v1/contacts/{id}/emails/{emailId}":                        "Contacts.UpdateEmail",
	"GET /v1/contacts/{id}/history":                                   "Contacts.History Contacts.HistoryAll",
	"POST /v1/contacts/{id}/phones":                                   "Contacts.AddPhone",
	"DELETE /v1/contacts/{id}/phones/{phoneId}":                       "Contacts.DeletePhone",
	"PATCH /v1/contacts/{id}/phones/{phoneId}":                        "Contacts.UpdatePhone",
	"DELETE /v1/contacts/{id}/photo":                                  "Contacts.DeletePhoto",
	"GET /v1/contacts/{id}/photo":                                     "Contacts.Photo",
	"PUT /v1/contacts/{id}/photo":                                     "Contacts.SetPhoto",
	"POST /v1/contacts/{id}/restore":                                  "Contacts.Restore",
	"POST /v1/contacts/{id}/unmerge":                                  "Duplicates.Unmerge",
	"GET /v1/directory":                                               "Directory.List Directory.All",
	"GET /v1/directory/phonebook.xml":                                 "Directory.Phonebook",
	"GET /v1/imports":                                                 "Imports.List Imports.All",
	"POST /v1/imports":                                                "Imports.Upload",
	"DELETE /v1/imports/{importId}":                                   "Imports.Cancel",
	"GET /v1/imports/{importId}":                                      "Imports.Get Imports.Wait",
	"GET /v1/imports/{importId}/errors":                               "Imports.Errors Imports.AllErrors Imports.FailedRows",
	"GET /v1/segments":                                                "Segments.List Segments.All",
	"POST /v1/segments":                                               "Segments.Create",
	"DELETE /v1/segments/{segmentId}":                                 "Segments.Delete",
	"GET /v1/segments/{segmentId}":                                    "Segments.Get",
	"PATCH /v1/segments/{segmentId}":                                  "Segments.Update",
	"GET /v1/segments/{segmentId}/contacts":                           "Segments.Contacts Segments.AllContacts",
	"DELETE /v1/segments/{segmentId}/members":                         "Segments.RemoveMembers",
	"POST /v1/segments/{segmentId}/members":                           "Segments.AddMembers",
	"GET /v1/tags":                                                    "Tags.List Tags.All",
	"POST /v1/tags":                                                   "Tags.Create",
	"DELETE /v1/tags/{tagId}":                                         "Tags.Delete",
	"GET /v1/tags/{tagId}":                                            "Tags.Get",
	"PATCH /v1/tags/{tagId}":                                          "Tags.Update",
	"GET /v1/tenant":                                                  "Tenant.Get",
	"PATCH /v1/tenant":                                                "Tenant.Update",
	"GET /v1/tokens":                                                  "Tokens.List Tokens.All",
	"POST /v1/tokens":                                                 "Tokens.Create",
	"DELETE /v1/tokens/{tokenId}":                                     "Tokens.Revoke",
	"GET /v1/webhooks":                                                "Webhooks.List Webhooks.All",
	"POST /v1/webhooks":                                               "Webhooks.Create",
	"DELETE /v1/webhooks/{webhookId}":                                 "Webhooks.Delete",
	"GET /v1/webhooks/{webhookId}":                                    "Webhooks.Get",
	"PATCH /v1/webhooks/{webhookId}":                                  "Webhooks.Update",
	"GET /v1/webhooks/{webhookId}/deliveries":                         "Webhooks.Deliveries Webhooks.AllDeliveries",
	"POST /v1/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver": "Webhooks.Redeliver",
	"POST /v1/webhooks/{webhookId}/rotate-secret":                     "Webhooks.RotateSecret",
	"POST /v1/webhooks/{webhookId}/test":                              "Webhooks.Test",
	"GET /v1/users":                                                   "Users.List Users.All",
	"POST /v1/users":                                                  "Users.Create",
	"GET /v1/users/{userId}":                                          "Users.Get",
	"PATCH /v1/users/{userId}":                                        "Users.Update",
	"DELETE /v1/users/{userId}":                                       "Users.Delete",
}

// TestClientCoversTheRouteTable: every operation of the API has a client
// method, and every method the table names exists.
func TestClientCoversTheRouteTable(t *testing.T) {
	t.Parallel()
	store := storetest.Backends()[0].Open(t)
	api := httpapi.New(contactd.NewService(store, nil), slog.New(slog.NewTextHandler(io.Discard, nil)), httpapi.Config{})
	defer api.Close()
	cl := reflect.ValueOf(client.New("http://127.0.0.1", "t")).Elem()
	seen := map[string]bool{}
	for _, r := range operations(t, api) {
		seen[r.key] = true
		methods, ok := clientMethods[r.key]
		if !ok {
			t.Errorf("%s has no client method: add one, and name it in clientMethods", r.key)
			continue
		}
		for _, m := range strings.Fields(methods) {
			svc, name, _ := strings.Cut(m, ".")
			f := cl.FieldByName(svc)
			if !f.IsValid() || !f.MethodByName(name).IsValid() {
				t.Errorf("%s: the client has no %s", r.key, m)
			}
		}
	}
	for k := range clientMethods {
		if !seen[k] {
			t.Errorf("clientMethods names %s, which the API lacks", k)
		}
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func collect[T any](t *testing.T, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

// TestEveryEndpoint drives every endpoint's main path through the client,
// on every store, and checks at the end that each operation of the API
// answered a request of the client with success.
func TestEveryEndpoint(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		s := newServer(t, b)
		ctx := context.Background()
		cl := client.New(s.url, s.token)

		// The tenant and its tokens.
		ten := must[*client.Tenant](t)(cl.Tenant.Get(ctx))
		if ten.DefaultRegion != "US" {
			t.Errorf("tenant %+v", ten)
		}
		must[*client.Tenant](t)(cl.Tenant.Update(ctx, map[string]any{"changeRetentionDays": 60}))
		tok, secret, err := cl.Tokens.Create(ctx, client.TokenRequest{Name: "reader", Scopes: []string{"contacts:read"}})
		if err != nil || secret == "" || tok.Name != "reader" {
			t.Fatalf("token %+v %q %v", tok, secret, err)
		}
		reader := client.New(s.url, secret)
		if toks := collect(t, cl.Tokens.All(ctx, client.ListOptions{})); len(toks) != 2 {
			t.Errorf("%d tokens", len(toks))
		}
		must[*client.Page[client.Token]](t)(cl.Tokens.List(ctx, client.ListOptions{Limit: 1}))

		// Tags and accounts.
		vip := must[*client.Tag](t)(cl.Tags.Create(ctx, &client.Tag{Name: "vip", Color: "#aa0000"}))
		must[*client.Tag](t)(cl.Tags.Get(ctx, vip.ID))
		must[*client.Tag](t)(cl.Tags.Update(ctx, vip.ID, map[string]any{"description": "Very important"}))
		if tags := collect(t, cl.Tags.All(ctx, client.ListOptions{})); len(tags) != 1 {
			t.Errorf("tags %v", tags)
		}
		must[*client.Page[client.Tag]](t)(cl.Tags.List(ctx, client.ListOptions{Q: "v"}))
		acme := must[*client.Account](t)(cl.Accounts.Create(ctx, &client.Account{Name: "Acme", Domain: "acme.example"}))
		must[*client.Account](t)(cl.Accounts.Get(ctx, acme.ID))
		must[*client.Account](t)(cl.Accounts.Update(ctx, acme.ID, map[string]any{"externalId": "acc-1"}))
		must[*client.Page[client.Account]](t)(cl.Accounts.List(ctx, client.ListOptions{Sort: "name"}))
		if as := collect(t, cl.Accounts.All(ctx, client.ListOptions{})); len(as) != 1 {
			t.Errorf("accounts %v", as)
		}

		// Contacts: create, read every way, change every way.
		ada := must[*client.Contact](t)(cl.Contacts.Create(ctx, &client.Contact{FirstName: "Ada", LastName: "Lovelace",
			Email: "ada@example.com", Phone: "+1 415 555 0100", Tags: []string{"VIP"}, AccountID: acme.ID, ExternalID: "crm-ada"}))
		if ada.ID == "" || ada.Version != 1 || ada.Tags[0] != "vip" || ada.Phones[0].E164 != "+14155550100" || ada.Phones[0].Region != "US" {
			t.Fatalf("created %+v", ada)
		}
		for _, got := range []*client.Contact{
			must[*client.Contact](t)(cl.Contacts.Get(ctx, ada.ID)),
			must[*client.Contact](t)(cl.Contacts.GetByEmail(ctx, "ADA@example.com")),
			must[*client.Contact](t)(cl.Contacts.GetByExternalID(ctx, "crm-ada")),
		} {
			if got.ID != ada.ID {
				t.Errorf("read %s, want %s", got.ID, ada.ID)
			}
		}
		ada = must[*client.Contact](t)(cl.Contacts.Update(ctx, ada.ID, map[string]any{"jobTitle": "Analyst"}, client.IfVersion(ada.Version)))
		// A stale If-Match is a 412 problem.
		_, err = cl.Contacts.Update(ctx, ada.ID, map[string]any{"jobTitle": "x"}, client.IfVersion(1))
		var p *client.Problem
		if !errors.As(err, &p) || p.Status != http.StatusPreconditionFailed {
			t.Errorf("stale If-Match: %v", err)
		}
		must[*client.Contact](t)(cl.Contacts.UpdateByEmail(ctx, "ada@example.com", map[string]any{"department": "Engines"}))
		ada = must[*client.Contact](t)(cl.Contacts.UpdateByExternalID(ctx, "crm-ada", map[string]any{"nickName": "Countess"}))
		if ada.JobTitle != "Analyst" || ada.Department != "Engines" || ada.NickName != "Countess" {
			t.Errorf("after the patches: %+v", ada)
		}
		grace, created, err := cl.Contacts.Upsert(ctx, "crm-grace", &client.Contact{FirstName: "Grace", LastName: "Hopper", Email: "grace@example.com"})
		if err != nil || !created {
			t.Fatalf("upsert: %v %v", created, err)
		}
		if g, created, err := cl.Contacts.Upsert(ctx, "crm-grace", &client.Contact{FirstName: "Grace", LastName: "Hopper", Company: "Navy"}); err != nil || created || g.ID != grace.ID {
			t.Errorf("second upsert: %v %v %v", created, g, err)
		}
		// A conflict names the contact that has the value.
		_, err = cl.Contacts.Create(ctx, &client.Contact{FirstName: "Other", Email: "ada@example.com"})
		if !errors.As(err, &p) || p.Status != http.StatusConflict || p.ConflictingID != ada.ID || p.ConflictingField != "email" || !client.IsConflict(err) {
			t.Errorf("conflict: %#v", err)
		}
		_, err = cl.Contacts.Create(ctx, &client.Contact{FirstName: "Bad", Emails: []client.Email{{Address: "not-an-email"}}})
		if !errors.As(err, &p) || p.Status != http.StatusBadRequest || len(p.Errors) == 0 || p.Errors[0].Location != "body.emails[0].address" {
			t.Errorf("invalid: %#v", err)
		}

		// Entries, one at a time.
		ada = must[*client.Contact](t)(cl.Contacts.AddPhone(ctx, ada.ID, client.Phone{Number: "+44 20 7946 0000", Type: "work"}))
		ph := ada.Phones[1].ID
		ada = must[*client.Contact](t)(cl.Contacts.UpdatePhone(ctx, ada.ID, ph, map[string]any{"type": "mobile"}))
		ada = must[*client.Contact](t)(cl.Contacts.DeletePhone(ctx, ada.ID, ph))
		ada = must[*client.Contact](t)(cl.Contacts.AddEmail(ctx, ada.ID, client.Email{Address: "ada@work.example", Type: "work"}))
		em := ada.Emails[1].ID
		ada = must[*client.Contact](t)(cl.Contacts.UpdateEmail(ctx, ada.ID, em, map[string]any{"verified": true}))
		ada = must[*client.Contact](t)(cl.Contacts.DeleteEmail(ctx, ada.ID, em))
		ada = must[*client.Contact](t)(cl.Contacts.AddAddress(ctx, ada.ID, client.Address{City: "London", Country: "GB"}))
		ad := ada.Addresses[0].ID
		ada = must[*client.Contact](t)(cl.Contacts.UpdateAddress(ctx, ada.ID, ad, map[string]any{"postalCode": "W1"}))
		ada = must[*client.Contact](t)(cl.Contacts.DeleteAddress(ctx, ada.ID, ad))
		if len(ada.Phones) != 1 || len(ada.Emails) != 1 || len(ada.Addresses) != 0 {
			t.Errorf("after the entries: %+v", ada)
		}

		// A photo.
		png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
		ada = must[*client.Contact](t)(cl.Contacts.SetPhoto(ctx, ada.ID, png, "image/png"))
		if ada.Photo == nil || ada.Photo.ContentType != "image/png" {
			t.Errorf("photo %+v", ada.Photo)
		}
		data, ct, err := cl.Contacts.Photo(ctx, ada.ID)
		if err != nil || ct != "image/png" || !bytes.Equal(data, png) {
			t.Errorf("photo read: %q %d bytes %v", ct, len(data), err)
		}
		must[*client.Contact](t)(cl.Contacts.DeletePhoto(ctx, ada.ID))

		// Block, delete, restore, erase.
		if c := must[*client.Contact](t)(cl.Contacts.Block(ctx, ada.ID, "spam calls")); c.BlockReason != "spam calls" || c.BlockedAt == nil {
			t.Errorf("blocked %+v", c)
		}
		must[*client.Contact](t)(cl.Contacts.Unblock(ctx, ada.ID))
		if err := cl.Contacts.Delete(ctx, grace.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := cl.Contacts.Get(ctx, grace.ID); !client.IsNotFound(err) {
			t.Errorf("a deleted contact reads %v", err)
		}
		if c := must[*client.Contact](t)(cl.Contacts.GetDeleted(ctx, grace.ID)); c.DeletedAt == nil {
			t.Errorf("deleted %+v", c)
		}
		must[*client.Contact](t)(cl.Contacts.Restore(ctx, grace.ID))
		temp := must[*client.Contact](t)(cl.Contacts.Create(ctx, &client.Contact{FirstName: "Temp", ExternalID: "crm-temp"}))
		if err := cl.Contacts.DeleteByExternalID(ctx, "crm-temp", false); err != nil {
			t.Fatal(err)
		}
		if err := cl.Contacts.Erase(ctx, temp.ID); err != nil {
			t.Fatal(err)
		}

		// Lists, search, lookup, history.
		if got := collect(t, cl.Contacts.All(ctx, client.ListOptions{Filter: map[string]any{"tags": "vip"}, Limit: 1})); len(got) != 1 || got[0].ID != ada.ID {
			t.Errorf("filtered list %v", got)
		}
		if p := must[*client.Page[client.Contact]](t)(cl.Contacts.List(ctx, client.ListOptions{Sort: "lastName", Fields: []string{"lastName"}, Limit: 1})); len(p.Data) != 1 || p.NextCursor == nil || p.Data[0].FirstName != "" {
			t.Errorf("first page %+v", p)
		}
		if got := collect(t, cl.Contacts.SearchAll(ctx, client.ListOptions{Q: "hopper", Filter: `{"company":"Navy"}`})); len(got) != 1 || got[0].ID != grace.ID {
			t.Errorf("search %v", got)
		}
		must[*client.Page[client.Contact]](t)(cl.Contacts.Search(ctx, client.ListOptions{Q: "ada"}))
		res := must[*client.LookupResult](t)(cl.Contacts.Lookup(ctx, client.LookupQuery{Phone: "(415) 555-0100"}))
		if res.Match != "exact" || res.Data[0].ID != ada.ID || len(res.Data[0].MatchedEntries) != 1 {
			t.Errorf("lookup %+v", res)
		}
		if h := collect(t, cl.Contacts.HistoryAll(ctx, ada.ID, client.ListOptions{})); len(h) < 10 || h[0].Type != "created" {
			t.Errorf("history: %d changes", len(h))
		}
		must[*client.Page[client.Change]](t)(cl.Contacts.History(ctx, ada.ID, client.ListOptions{Limit: 2}))
		if ac := collect(t, cl.Accounts.AllContacts(ctx, acme.ID, client.ListOptions{})); len(ac) != 1 {
			t.Errorf("account's contacts %v", ac)
		}
		must[*client.Page[client.Contact]](t)(cl.Accounts.Contacts(ctx, acme.ID, client.ListOptions{}))

		// A batch, and an export of everything.
		results, err := cl.Contacts.Batch(ctx, []client.BatchOperation{
			{Op: "create", Contact: &client.Contact{FirstName: "Batched", Email: "batched@example.com"}},
			{Op: "update", ExternalID: "crm-grace", Contact: &client.Contact{JobTitle: "Rear Admiral"}},
			{Op: "delete", ID: "ct_01nosuchcontact000000000000"},
		}, false)
		if err != nil || results[0].Status != "created" || results[1].Status != "updated" || results[2].Error == nil || results[2].Error.Status != 404 {
			t.Fatalf("batch %+v %v", results, err)
		}
		rc := must[io.ReadCloser](t)(cl.Contacts.Export(ctx, client.ExportOptions{}))
		body, _ := io.ReadAll(rc)
		rc.Close()
		if n := bytes.Count(body, []byte("\n")); n != 3 {
			t.Errorf("export: %d lines", n)
		}

		// Segments.
		static := must[*client.Segment](t)(cl.Segments.Create(ctx, &client.Segment{Name: "Pioneers"}))
		must[*client.Segment](t)(cl.Segments.AddMembers(ctx, static.ID, []string{ada.ID, grace.ID}))
		must[*client.Segment](t)(cl.Segments.RemoveMembers(ctx, static.ID, []string{grace.ID}))
		if m := collect(t, cl.Segments.AllContacts(ctx, static.ID, client.ListOptions{})); len(m) != 1 || m[0].ID != ada.ID {
			t.Errorf("members %v", m)
		}
		must[*client.Page[client.Contact]](t)(cl.Segments.Contacts(ctx, static.ID, client.ListOptions{}))
		dyn := must[*client.Segment](t)(cl.Segments.Create(ctx, &client.Segment{Name: "VIPs", Filter: json.RawMessage(`{"tags":"vip"}`)}))
		must[*client.Segment](t)(cl.Segments.Update(ctx, dyn.ID, map[string]any{"description": "tagged"}))
		must[*client.Segment](t)(cl.Segments.Get(ctx, dyn.ID))
		if sg := collect(t, cl.Segments.All(ctx, "dynamic", client.ListOptions{})); len(sg) != 1 {
			t.Errorf("dynamic segments %v", sg)
		}
		must[*client.Page[client.Segment]](t)(cl.Segments.List(ctx, "", client.ListOptions{}))
		if err := cl.Segments.Delete(ctx, dyn.ID); err != nil {
			t.Fatal(err)
		}

		// Imports: a CSV with a bad row, followed to the end.
		csv := "First Name,Last Name,E-mail Address\nAlan,Turing,alan@example.com\nBad,Row,not-an-email\n"
		im := must[*client.Import](t)(cl.Imports.Upload(ctx, strings.NewReader(csv), client.ImportOptions{Format: "csv"}))
		im = must[*client.Import](t)(cl.Imports.Wait(ctx, im.ID, 20*time.Millisecond))
		if im.Status != "succeeded" || im.Created != 1 || im.Failed != 1 {
			t.Errorf("import %+v", im)
		}
		if errs := collect(t, cl.Imports.AllErrors(ctx, im.ID, client.ListOptions{})); len(errs) != 1 || errs[0].Record != 3 || errs[0].Location != "emails[0].address" {
			t.Errorf("import errors %+v", errs)
		}
		must[*client.Page[client.ImportRowError]](t)(cl.Imports.Errors(ctx, im.ID, client.ListOptions{}))
		rows := must[io.ReadCloser](t)(cl.Imports.FailedRows(ctx, im.ID))
		failed, _ := io.ReadAll(rows)
		rows.Close()
		if !strings.Contains(string(failed), "not-an-email") {
			t.Errorf("failed rows %q", failed)
		}
		must[*client.Import](t)(cl.Imports.Get(ctx, im.ID))
		must[*client.Import](t)(cl.Imports.Cancel(ctx, im.ID))
		if ims := collect(t, cl.Imports.All(ctx, client.ListOptions{})); len(ims) != 1 {
			t.Errorf("imports %v", ims)
		}
		must[*client.Page[client.Import]](t)(cl.Imports.List(ctx, client.ListOptions{}))

		// The change feed, and following it.
		feed := must[*client.Page[client.Change]](t)(cl.Changes.List(ctx, client.ChangeOptions{Limit: 5}))
		if len(feed.Data) != 5 || feed.NextCursor == nil {
			t.Errorf("feed %+v", feed)
		}
		fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		n := 0
		for ch, err := range cl.Changes.Follow(fctx, client.ChangeOptions{Cursor: *feed.NextCursor, Wait: time.Second}) {
			if err != nil {
				t.Fatalf("follow: %v", err)
			}
			if n++; n == 3 || ch.Seq == 0 {
				break
			}
		}
		cancel()

		// Webhooks, to a receiver that verifies what it gets.
		var mu sync.Mutex
		var events []*client.WebhookEvent
		var whSecret string
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			ev, err := client.ParseWebhook(whSecret, r.Header, b)
			if err != nil {
				t.Errorf("webhook: %v", err)
				w.WriteHeader(http.StatusBadRequest)
				return
			}
			events = append(events, ev)
		}))
		defer recv.Close()
		nw := must[*client.NewWebhook](t)(cl.Webhooks.Create(ctx, &client.Webhook{URL: recv.URL, Events: []string{"contact.created"}}))
		mu.Lock()
		whSecret = nw.Secret
		mu.Unlock()
		wid := nw.Webhook.ID
		d := must[*client.WebhookDelivery](t)(cl.Webhooks.Test(ctx, wid))
		if d.StatusCode != http.StatusOK {
			t.Errorf("test delivery %+v", d)
		}
		must[*client.WebhookDelivery](t)(cl.Webhooks.Redeliver(ctx, wid, d.ID))
		if ds := collect(t, cl.Webhooks.AllDeliveries(ctx, wid, client.ListOptions{})); len(ds) != 2 {
			t.Errorf("deliveries %v", ds)
		}
		must[*client.Page[client.WebhookDelivery]](t)(cl.Webhooks.Deliveries(ctx, wid, client.ListOptions{}))
		rot := must[*client.NewWebhook](t)(cl.Webhooks.RotateSecret(ctx, wid, ""))
		mu.Lock()
		whSecret = rot.Secret // the old secret signs beside it for a day: either verifies
		mu.Unlock()
		must[*client.WebhookDelivery](t)(cl.Webhooks.Test(ctx, wid))
		must[*client.Webhook](t)(cl.Webhooks.Update(ctx, wid, map[string]any{"description": "CRM"}))
		must[*client.Webhook](t)(cl.Webhooks.Get(ctx, wid))
		must[*client.Page[client.Webhook]](t)(cl.Webhooks.List(ctx, client.ListOptions{}))
		if ws := collect(t, cl.Webhooks.All(ctx, client.ListOptions{})); len(ws) != 1 {
			t.Errorf("webhooks %v", ws)
		}
		mu.Lock()
		if len(events) != 3 || events[0].Type != "webhook.ping" {
			t.Errorf("received %d events", len(events))
		}
		mu.Unlock()
		if err := cl.Webhooks.Delete(ctx, wid); err != nil {
			t.Fatal(err)
		}

		// Duplicates and merges.
		twin := must[*client.Contact](t)(cl.Contacts.Create(ctx, &client.Contact{FirstName: "Ada", LastName: "Lovelace", Phone: "+14155550100"}))
		if cands := must[[]client.Candidate](t)(cl.Duplicates.Of(ctx, twin.ID, client.DuplicateOptions{MinScore: 0.5})); len(cands) != 1 || cands[0].Contact.ID != ada.ID {
			t.Errorf("candidates %+v", cands)
		}
		if gs := collect(t, cl.Duplicates.AllGroups(ctx, client.DuplicateOptions{})); len(gs) == 0 {
			t.Error("no duplicate groups")
		}
		must[*client.Page[client.DuplicateGroup]](t)(cl.Duplicates.Groups(ctx, client.DuplicateOptions{Reasons: []string{"phone"}}))
		preview := must[*client.MergeResult](t)(cl.Duplicates.Merge(ctx, client.MergeRequest{TargetID: ada.ID, SourceIDs: []string{twin.ID}, DryRun: true}))
		if !preview.DryRun || preview.Contact.ID != ada.ID {
			t.Errorf("preview %+v", preview)
		}
		must[*client.MergeResult](t)(cl.Duplicates.Merge(ctx, client.MergeRequest{TargetID: ada.ID, SourceIDs: []string{twin.ID}}))
		must[*client.Contact](t)(cl.Duplicates.Unmerge(ctx, ada.ID, false))
		if err := cl.Duplicates.Dismiss(ctx, []string{ada.ID, twin.ID}); err != nil {
			t.Fatal(err)
		}
		must[*client.Rescan](t)(cl.Duplicates.Rescan(ctx))
		for {
			r := must[*client.Rescan](t)(cl.Duplicates.RescanStatus(ctx))
			if r.Status != "running" {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}

		// The phone system's directory.
		must[*client.Contact](t)(cl.Contacts.Create(ctx, &client.Contact{FirstName: "Desk", LastName: "User", ContactType: "corporate",
			Extensions: []client.Extension{{Extension: "2041", DisplayInDirectory: true}}}))
		if dir := collect(t, cl.Directory.All(ctx, client.DirectoryOptions{For: "auto-attendant"})); len(dir) != 1 || dir[0].Extensions[0].Extension != "2041" {
			t.Errorf("directory %+v", dir)
		}
		must[*client.Page[client.Contact]](t)(cl.Directory.List(ctx, client.DirectoryOptions{}))
		if pb := must[[]byte](t)(cl.Directory.Phonebook(ctx, client.DirectoryOptions{})); !bytes.Contains(pb, []byte("<Telephone>2041</Telephone>")) {
			t.Errorf("phonebook %s", pb)
		}
		if r := must[*client.LookupResult](t)(cl.Contacts.Lookup(ctx, client.LookupQuery{Extension: "2041"})); r.Match != "exact" {
			t.Errorf("lookup by extension %+v", r)
		}

		// Users.
		u := must[*client.User](t)(cl.Users.Create(ctx, client.NewUser{Email: "Ann@example.com", Name: "Ann", Password: "a long enough password", Role: "editor"}))
		if u.Email != "ann@example.com" || u.Role != "editor" {
			t.Errorf("user %+v", u)
		}
		must[*client.User](t)(cl.Users.Get(ctx, u.ID))
		if u = must[*client.User](t)(cl.Users.Update(ctx, u.ID, map[string]any{"role": "admin"})); u.Role != "admin" {
			t.Errorf("patched user %+v", u)
		}
		if us := collect(t, cl.Users.All(ctx, client.ListOptions{})); len(us) != 1 {
			t.Errorf("users %v", us)
		}
		must[*client.Page[client.User]](t)(cl.Users.List(ctx, client.ListOptions{}))
		if err := cl.Users.Delete(ctx, u.ID); err != nil {
			t.Fatal(err)
		}

		// A read-only token is refused writes, with the scope named.
		_, err = reader.Contacts.Create(ctx, &client.Contact{FirstName: "Nope"})
		if !errors.As(err, &p) || p.Status != http.StatusForbidden {
			t.Errorf("reader's create: %v", err)
		}
		must[*client.Contact](t)(reader.Contacts.Get(ctx, ada.ID))

		// What is left: cleanups.
		if err := cl.Tokens.Revoke(ctx, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := reader.Contacts.Get(ctx, ada.ID); err == nil {
			t.Error("a revoked token still reads")
		}
		if err := cl.Tags.Delete(ctx, vip.ID); err != nil {
			t.Fatal(err)
		}
		if err := cl.Segments.Delete(ctx, static.ID); err != nil {
			t.Fatal(err)
		}
		if err := cl.Accounts.Delete(ctx, acme.ID, true); err != nil {
			t.Fatal(err)
		}

		s.mu.Lock()
		defer s.mu.Unlock()
		for op := range clientMethods {
			if !s.ops[op] {
				t.Errorf("%s answered no request of the client with success", op)
			}
		}
	})
}

// TestStandardLibraryOnly: the package imports nothing but the standard
// library, so a program that uses it depends on nothing of the server.
func TestStandardLibraryOnly(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			path := strings.Trim(imp.Path.Value, `"`)
			if first, _, _ := strings.Cut(path, "/"); strings.Contains(first, ".") {
				t.Errorf("%s imports %s, which is not the standard library", f, path)
			}
		}
	}
}
