package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/contactd/contactd/internal/storetest"
)

func init() {
	extraCases = append(extraCases, func() map[string]routeCase {
		return map[string]routeCase{
			"POST /v1/accounts": {body: map[string]any{"name": "Matrix Account", "domain": "matrix.example.com",
				"phones": []any{map[string]any{"number": "+14155550123", "type": "work"}}}, ok: 201},
			"GET /v1/accounts":                      {query: "?limit=5&sort=-updatedAt", ok: 200},
			"GET /v1/accounts/{accountId}":          {ok: 200},
			"PATCH /v1/accounts/{accountId}":        {body: map[string]any{"domain": "patched.example.com", "addresses": nil}, ok: 200},
			"DELETE /v1/accounts/{accountId}":       {query: "?detach=true", ok: 204},
			"GET /v1/accounts/{accountId}/contacts": {query: "?limit=5&sort=lastName", ok: 200},
		}
	})
	// Every target belongs to an account of its tenant.
	targetHooks = append(targetHooks, func(m mx, tenant string, tg *target) {
		m.t.Helper()
		tok := m.e.tokens[tenant]["all"]
		r := m.do("POST /v1/accounts", true, "POST", "/v1/accounts", tok, map[string]any{
			"name": "Matrix Org " + tg.ID, "domain": "matrix.example.com", "externalId": "acc-" + tg.ExternalID,
			"phones":    []any{map[string]any{"number": "(415) 555-0142", "type": "work"}},
			"addresses": []any{map[string]any{"type": "work", "city": "Springfield"}},
		})
		if r.status != http.StatusCreated {
			m.t.Fatalf("create target account: status %d: %s", r.status, r.body)
		}
		tg.AccountID = jStr(r.json(m.t)["id"])
		r = m.do("PATCH /v1/contacts/{id}", true, "PATCH", "/v1/contacts/"+tg.ID, tok, map[string]any{"accountId": tg.AccountID})
		if r.status != http.StatusOK {
			m.t.Fatalf("link target to its account: status %d: %s", r.status, r.body)
		}
	})
}

// newAccount creates an account in a tenant with an all-scope token and
// returns its JSON.
func (e *env) newAccount(tenant string, body any) map[string]any {
	e.t.Helper()
	r := e.do("POST", "/v1/accounts", e.tokens[tenant]["all"], body)
	if r.status != http.StatusCreated {
		e.t.Fatalf("create account: status %d: %s", r.status, r.body)
	}
	return r.json(e.t)
}

// accountPage is a decoded list response.
type accountPage struct {
	Data       []map[string]any `json:"data"`
	NextCursor *string          `json:"nextCursor"`
	Total      *int             `json:"total"`
	Limit      int              `json:"limit"`
}

func (e *env) accountPage(token, path string) accountPage {
	e.t.Helper()
	r := e.do("GET", path, token, nil)
	wantStatus(e.t, r, http.StatusOK)
	var p accountPage
	if err := json.Unmarshal(r.body, &p); err != nil || p.Data == nil {
		e.t.Fatalf("page of %s: %v: %s", path, err, r.body)
	}
	return p
}

// walkPages follows nextCursor from path and returns the ids in order.
func (e *env) walkPages(token, path string) []string {
	e.t.Helper()
	var ids []string
	cursor := ""
	for range 100 {
		u := path
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		p := e.accountPage(token, u)
		for _, d := range p.Data {
			ids = append(ids, jStr(d["id"]))
		}
		if p.NextCursor == nil {
			return ids
		}
		cursor = *p.NextCursor
	}
	e.t.Fatalf("%s: the pages do not end", path)
	return nil
}

func ids(items []map[string]any) []string {
	out := []string{}
	for _, d := range items {
		out = append(out, jStr(d["id"]))
	}
	return out
}

// problemAt fails unless r is a 400 naming location among its errors.
func problemAt(t *testing.T, r resp, location string) {
	t.Helper()
	if r.status != http.StatusBadRequest {
		t.Errorf("status %d, want 400 at %s: %s", r.status, location, r.body)
		return
	}
	var p struct {
		Errors []struct{ Location, Message string } `json:"errors"`
	}
	_ = json.Unmarshal(r.body, &p)
	for _, e := range p.Errors {
		if e.Location == location {
			return
		}
	}
	t.Errorf("400 without an error at %s: %s", location, r.body)
}

func TestAccountCRUD(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]

		r := e.do("POST", "/v1/accounts", tok, map[string]any{
			"name": "  Acme Corp ", "domain": "WWW.Acme.COM.", "externalId": "crm-acme",
			"phones":     []any{map[string]any{"number": "(415) 555-2671 x12", "type": "work"}, map[string]any{"number": "+44 20 7946 0958"}},
			"addresses":  []any{map[string]any{"type": "billing", "city": "Springfield", "country": "US"}},
			"properties": map[string]any{"tier": "gold", "seats": 40},
			// Read-only fields are ignored on create.
			"id": "acc_mine", "version": 7,
		})
		wantStatus(t, r, http.StatusCreated)
		a := r.json(t)
		id := jStr(a["id"])
		if !strings.HasPrefix(id, "acc_") || id == "acc_mine" {
			t.Errorf("id %q, want a new acc_ id", id)
		}
		if loc := r.header.Get("Location"); loc != "/v1/accounts/"+id {
			t.Errorf("Location %q", loc)
		}
		if et := r.header.Get("ETag"); et != `"1"` || a["version"] != 1.0 {
			t.Errorf("ETag %q version %v, want \"1\" and 1", et, a["version"])
		}
		if a["name"] != "Acme Corp" || a["domain"] != "www.acme.com" || a["externalId"] != "crm-acme" {
			t.Errorf("name/domain/externalId not normalized: %s", r.body)
		}
		phones := jList(a["phones"])
		if len(phones) != 2 || jObj(phones[0])["e164"] != "+14155552671" || jObj(phones[0])["extension"] != "12" ||
			jObj(phones[0])["primary"] != true || jObj(phones[1])["e164"] != "+442079460958" || jObj(phones[1])["primary"] != false {
			t.Errorf("phones not normalized with the tenant's region: %v", phones)
		}
		if ad := jList(a["addresses"]); len(ad) != 1 || !strings.HasPrefix(jStr(jObj(ad[0])["id"]), "ad_") || jObj(ad[0])["primary"] != true {
			t.Errorf("addresses: %v", ad)
		}
		if a["createdBy"] != "user-A" || a["updatedBy"] != "user-A" || a["createdAt"] != a["updatedAt"] || !strings.HasSuffix(jStr(a["createdAt"]), "Z") {
			t.Errorf("timestamps: %s", r.body)
		}

		r = e.do("GET", "/v1/accounts/"+id, tok, nil)
		wantStatus(t, r, http.StatusOK)
		if got := r.json(t); !jsonSame(got, a) || r.header.Get("ETag") != `"1"` {
			t.Errorf("GET answered %s, want %v", r.body, a)
		}

		// A merge patch: absent unchanged, null clears, arrays replaced
		// whole (entries sent back keep their ids), objects merged.
		phoneID := jStr(jObj(phones[1])["id"])
		r = e.do("PATCH", "/v1/accounts/"+id, tok, map[string]any{
			"domain": nil, "phones": []any{map[string]any{"id": phoneID, "number": "+44 20 7946 0958", "primary": true}},
			"properties": map[string]any{"seats": nil, "region": "emea"},
		}, "Content-Type", "application/merge-patch+json")
		wantStatus(t, r, http.StatusOK)
		p := r.json(t)
		if _, ok := p["domain"]; ok || p["name"] != "Acme Corp" || p["version"] != 2.0 || r.header.Get("ETag") != `"2"` {
			t.Errorf("after PATCH: %s", r.body)
		}
		if ph := jList(p["phones"]); len(ph) != 1 || jObj(ph[0])["id"] != phoneID || jObj(ph[0])["primary"] != true {
			t.Errorf("phones after PATCH: %v (want only %s, primary)", ph, phoneID)
		}
		if props := jObj(p["properties"]); len(props) != 2 || props["tier"] != "gold" || props["region"] != "emea" {
			t.Errorf("properties after PATCH: %v", props)
		}
		if p["createdAt"] != a["createdAt"] || p["createdBy"] != "user-A" {
			t.Errorf("PATCH changed the creation fields: %s", r.body)
		}

		// What was read may be sent back: read-only fields are ignored when
		// unchanged, and a patch that changes nothing makes no version.
		r = e.do("PATCH", "/v1/accounts/"+id, tok, p)
		wantStatus(t, r, http.StatusOK)
		if got := r.json(t); got["version"] != 2.0 {
			t.Errorf("a PATCH of what was read made version %v, want 2", got["version"])
		}
		r = e.do("PATCH", "/v1/accounts/"+id, tok, map[string]any{"version": 9, "createdBy": "mallory"})
		problemAt(t, r, "body.version")
		problemAt(t, r, "body.createdBy")
		r = e.do("PATCH", "/v1/accounts/"+id, tok, map[string]any{"name": nil})
		problemAt(t, r, "body.name")
		r = e.do("PATCH", "/v1/accounts/"+id, tok, `[1]`)
		problemAt(t, r, "body")

		// If-Match on PATCH and DELETE.
		r = e.do("PATCH", "/v1/accounts/"+id, tok, map[string]any{"name": "Acme"}, "If-Match", `"1"`)
		problem(t, r, http.StatusPreconditionFailed, "PATCH with a stale If-Match")
		r = e.do("PATCH", "/v1/accounts/"+id, tok, map[string]any{"name": "Acme"}, "If-Match", `"2"`)
		wantStatus(t, r, http.StatusOK)
		if r.header.Get("ETag") != `"3"` {
			t.Errorf("ETag %q after PATCH with If-Match, want \"3\"", r.header.Get("ETag"))
		}
		r = e.do("DELETE", "/v1/accounts/"+id, tok, nil, "If-Match", `"2"`)
		problem(t, r, http.StatusPreconditionFailed, "DELETE with a stale If-Match")
		r = e.do("DELETE", "/v1/accounts/"+id, tok, nil, "If-Match", `"3"`)
		wantStatus(t, r, http.StatusNoContent)

		for _, m := range []string{"GET", "PATCH", "DELETE"} {
			var body any
			if m == "PATCH" {
				body = map[string]any{"name": "x"}
			}
			problem(t, e.do(m, "/v1/accounts/"+id, tok, body), http.StatusNotFound, m+" of a deleted account")
		}
		problem(t, e.do("GET", "/v1/accounts/acc_nope/contacts", tok, nil), http.StatusNotFound, "contacts of an unknown account")
	})
}

// jsonSame compares two decoded JSON values.
func jsonSame(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestAccountValidation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		long := strings.Repeat("x", 256)
		tests := []struct {
			name string
			body any
			loc  string
		}{
			{"no name", map[string]any{"domain": "acme.com"}, "body.name"},
			{"blank name", map[string]any{"name": "  "}, "body.name"},
			{"long name", map[string]any{"name": long}, "body.name"},
			{"name not a string", map[string]any{"name": 42}, "body.name"},
			{"unknown field", map[string]any{"name": "Acme", "website": "acme.com"}, "body.website"},
			{"contact field", map[string]any{"name": "Acme", "firstName": "Ann"}, "body.firstName"},
			{"domain with scheme", map[string]any{"name": "Acme", "domain": "https://acme.com"}, "body.domain"},
			{"domain with path", map[string]any{"name": "Acme", "domain": "acme.com/about"}, "body.domain"},
			{"domain with port", map[string]any{"name": "Acme", "domain": "acme.com:443"}, "body.domain"},
			{"single-label domain", map[string]any{"name": "Acme", "domain": "localhost"}, "body.domain"},
			{"ip address", map[string]any{"name": "Acme", "domain": "192.168.0.1"}, "body.domain"},
			{"underscore", map[string]any{"name": "Acme", "domain": "my_host.com"}, "body.domain"},
			{"hyphen at the end of a label", map[string]any{"name": "Acme", "domain": "acme-.com"}, "body.domain"},
			{"long label", map[string]any{"name": "Acme", "domain": strings.Repeat("a", 64) + ".com"}, "body.domain"},
			{"long domain", map[string]any{"name": "Acme", "domain": strings.Repeat("abcdefgh.", 29) + "com"}, "body.domain"},
			{"unicode domain", map[string]any{"name": "Acme", "domain": "bücher.de"}, "body.domain"},
			{"bad phone", map[string]any{"name": "Acme", "phones": []any{map[string]any{"number": "12"}}}, "body.phones[0].number"},
			{"phone without number", map[string]any{"name": "Acme", "phones": []any{map[string]any{"type": "work"}}}, "body.phones[0].number"},
			{"phone type", map[string]any{"name": "Acme", "phones": []any{map[string]any{"number": "+14155550100", "type": "car"}}}, "body.phones[0].type"},
			{"unknown phone field", map[string]any{"name": "Acme", "phones": []any{map[string]any{"number": "+14155550100", "label": "x"}}}, "body.phones[0].label"},
			{"two primaries", map[string]any{"name": "Acme", "phones": []any{
				map[string]any{"number": "+14155550100", "primary": true}, map[string]any{"number": "+14155550101", "primary": true}}}, "body.phones[1].primary"},
			{"empty address", map[string]any{"name": "Acme", "addresses": []any{map[string]any{"type": "work"}}}, "body.addresses[0]"},
			{"long postal code", map[string]any{"name": "Acme", "addresses": []any{map[string]any{"postalCode": strings.Repeat("1", 17)}}}, "body.addresses[0].postalCode"},
			{"phones not an array", map[string]any{"name": "Acme", "phones": "+14155550100"}, "body.phones"},
			{"long external id", map[string]any{"name": "Acme", "externalId": long}, "body.externalId"},
			{"properties not an object", map[string]any{"name": "Acme", "properties": []any{1}}, "body.properties"},
			{"properties too deep", map[string]any{"name": "Acme", "properties": map[string]any{"a": map[string]any{"b": map[string]any{"c": map[string]any{"d": map[string]any{"e": map[string]any{"f": 1}}}}}}}, "body.properties"},
			{"properties too big", map[string]any{"name": "Acme", "properties": map[string]any{"blob": strings.Repeat("x", 17<<10)}}, "body.properties"},
			{"not an object", `"Acme"`, "body"},
			{"malformed", `{"name": `, "body"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				problemAt(t, e.do("POST", "/v1/accounts", tok, tt.body), tt.loc)
			})
		}
		// Nothing was created.
		if p := e.accountPage(tok, "/v1/accounts"); len(p.Data) != 0 {
			t.Errorf("invalid creates left %d accounts", len(p.Data))
		}
		// The same rules on PATCH, located the same way.
		a := e.newAccount("A", map[string]any{"name": "Acme"})
		id := jStr(a["id"])
		problemAt(t, e.do("PATCH", "/v1/accounts/"+id, tok, map[string]any{"domain": "not a domain"}), "body.domain")
		problemAt(t, e.do("PATCH", "/v1/accounts/"+id, tok, map[string]any{"phones": []any{map[string]any{"number": "x"}}}), "body.phones[0].number")
		problemAt(t, e.do("PATCH", "/v1/accounts/"+id, tok, map[string]any{"nope": 1}), "body.nope")
		if r := e.do("GET", "/v1/accounts/"+id, tok, nil); r.json(t)["version"] != 1.0 {
			t.Errorf("invalid patches changed the account: %s", r.body)
		}
		// A national number is read with the tenant's region (US).
		a = e.newAccount("A", map[string]any{"name": "Globex", "domain": "globex.io", "phones": []any{map[string]any{"number": "415.555.0199"}}})
		if ph := jList(a["phones"]); len(ph) != 1 || jObj(ph[0])["e164"] != "+14155550199" {
			t.Errorf("national number: %v", ph)
		}
	})
}

func TestAccountExternalIDConflict(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		first := e.newAccount("A", map[string]any{"name": "Acme", "externalId": "crm-1"})
		second := e.newAccount("A", map[string]any{"name": "Globex", "externalId": "crm-2"})
		check := func(r resp, what string) {
			t.Helper()
			problem(t, r, http.StatusConflict, what)
			p := r.json(t)
			if p["conflictingId"] != first["id"] || p["conflictingField"] != "externalId" {
				t.Errorf("%s: conflictingId %v conflictingField %v, want %v externalId", what, p["conflictingId"], p["conflictingField"], first["id"])
			}
		}
		check(e.do("POST", "/v1/accounts", tok, map[string]any{"name": "Other", "externalId": "crm-1"}), "create with a taken external id")
		check(e.do("PATCH", "/v1/accounts/"+jStr(second["id"]), tok, map[string]any{"externalId": "crm-1"}), "PATCH to a taken external id")
		// Contacts and other tenants have their own external ids.
		e.create("A", map[string]any{"firstName": "Ann", "externalId": "crm-2"})
		e.newAccount("B", map[string]any{"name": "Acme B", "externalId": "crm-1"})
		// An account keeps its own external id, and a freed one is free.
		wantStatus(t, e.do("PATCH", "/v1/accounts/"+jStr(first["id"]), tok, map[string]any{"name": "Acme Inc", "externalId": "crm-1"}), http.StatusOK)
		wantStatus(t, e.do("DELETE", "/v1/accounts/"+jStr(first["id"]), tok, nil), http.StatusNoContent)
		wantStatus(t, e.do("PATCH", "/v1/accounts/"+jStr(second["id"]), tok, map[string]any{"externalId": "crm-1"}), http.StatusOK)
	})
}

func TestAccountListFilterSortCursor(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		names := []string{"Acme", "Acme Labs", "Beta", "acme lowercase", "Zeta", "Globex", "Initech", "Umbrella"}
		byName := map[string]map[string]any{}
		var all []map[string]any
		for i, n := range names {
			body := map[string]any{"name": n, "externalId": fmt.Sprintf("crm-%d", i)}
			if i%2 == 0 {
				body["domain"] = strings.ToLower(strings.ReplaceAll(n, " ", "")) + ".com"
			}
			a := e.newAccount("A", body)
			byName[n] = a
			all = append(all, a)
		}
		e.newAccount("B", map[string]any{"name": "Acme"}) // never listed for A
		idsOf := func(ns ...string) []string {
			out := []string{}
			for _, n := range ns {
				out = append(out, jStr(byName[n]["id"]))
			}
			return out
		}
		list := func(kv ...string) accountPage {
			q := url.Values{}
			for i := 0; i+1 < len(kv); i += 2 {
				q.Set(kv[i], kv[i+1])
			}
			return e.accountPage(tok, "/v1/accounts?"+q.Encode())
		}
		// Several accounts may share a millisecond: expectations on times
		// are computed from what was stored (all is in createdAt, id order).
		mid := jStr(byName["Zeta"]["createdAt"])
		where := func(keep func(a map[string]any) bool) []string {
			out := []string{}
			for _, a := range all {
				if keep(a) {
					out = append(out, jStr(a["id"]))
				}
			}
			return out
		}
		filters := []struct {
			filter string
			want   []string
		}{
			{`{"name":"Acme"}`, idsOf("Acme")},
			{`{"name":{"$prefix":"Acme"}}`, idsOf("Acme", "Acme Labs")},
			{`{"name":{"$in":["Beta","Zeta","Nope"]}}`, idsOf("Beta", "Zeta")},
			{`{"name":{"$contains":"cme"}}`, idsOf("Acme", "Acme Labs", "acme lowercase")},
			{`{"domain":"ACME.com"}`, idsOf("Acme")},
			{`{"domain":{"$exists":false}}`, idsOf("Acme Labs", "acme lowercase", "Globex", "Umbrella")},
			{`{"domain":null}`, idsOf("Acme Labs", "acme lowercase", "Globex", "Umbrella")},
			{`{"externalId":"crm-2"}`, idsOf("Beta")},
			{`{"id":"` + jStr(byName["Globex"]["id"]) + `"}`, idsOf("Globex")},
			{`{"createdAt":{"$gte":"` + mid + `"}}`, where(func(a map[string]any) bool { return jStr(a["createdAt"]) >= mid })},
			{`{"createdAt":{"$lt":"` + mid + `"},"name":{"$prefix":"A"}}`, where(func(a map[string]any) bool {
				return jStr(a["createdAt"]) < mid && strings.HasPrefix(jStr(a["name"]), "A")
			})},
			{`{"$or":[{"name":"Beta"},{"externalId":"crm-7"}]}`, idsOf("Beta", "Umbrella")},
			{`{"$not":{"name":{"$prefix":"A"}},"domain":{"$exists":true}}`, idsOf("Beta", "Zeta", "Initech")},
			{`{"$and":[{"name":{"$gte":"B"}},{"name":{"$lt":"Z"}}]}`, idsOf("Beta", "Globex", "Initech", "Umbrella")},
			{`{"updatedAt":{"$gt":"2999-01-01T00:00:00Z"}}`, []string{}},
		}
		for _, f := range filters {
			p := list("filter", f.filter, "sort", "createdAt")
			if got := ids(p.Data); !slices.Equal(got, f.want) {
				t.Errorf("filter %s: got %v, want %v", f.filter, got, f.want)
			}
			if p.Total == nil || *p.Total != len(f.want) {
				t.Errorf("filter %s: total %v, want %d", f.filter, p.Total, len(f.want))
			}
		}

		// Sorts, each walked page by page with cursors.
		sorts := map[string][]string{
			"name":       idsOf("Acme", "Acme Labs", "Beta", "Globex", "Initech", "Umbrella", "Zeta", "acme lowercase"),
			"-name":      idsOf("acme lowercase", "Zeta", "Umbrella", "Initech", "Globex", "Beta", "Acme Labs", "Acme"),
			"createdAt":  ids(all),
			"-updatedAt": byUpdatedDesc(all),
		}
		for spec, want := range sorts {
			if got := ids(list("sort", spec).Data); !slices.Equal(got, want) {
				t.Errorf("sort %s: got %v, want %v", spec, got, want)
			}
			if got := e.walkPages(tok, "/v1/accounts?limit=3&sort="+url.QueryEscape(spec)); !slices.Equal(got, want) {
				t.Errorf("sort %s in pages of 3: got %v, want %v", spec, got, want)
			}
		}
		byID := ids(all)
		slices.Sort(byID)
		if got := e.walkPages(tok, "/v1/accounts?limit=2"); !slices.Equal(got, byID) {
			t.Errorf("default order (id) in pages: got %v, want %v", got, byID)
		}
		// Sort by domain, among the accounts that have one.
		if got := ids(list("sort", "domain,name", "filter", `{"domain":{"$exists":true}}`).Data); !slices.Equal(got, idsOf("Acme", "Beta", "Initech", "Zeta")) {
			t.Errorf("sort domain: got %v", got)
		}
		// Pages, counts and a full last page.
		p := list("limit", "4", "sort", "createdAt", "page", "2")
		if !slices.Equal(ids(p.Data), ids(all[4:])) || p.NextCursor != nil || p.Total == nil || *p.Total != 8 || p.Limit != 4 {
			t.Errorf("page 2 of 4: %v next %v total %v", ids(p.Data), p.NextCursor, p.Total)
		}
		p = list("limit", "8", "count", "false")
		if len(p.Data) != 8 || p.NextCursor != nil || p.Total != nil {
			t.Errorf("a full last page: %d items, next %v, total %v", len(p.Data), p.NextCursor, p.Total)
		}

		// Bad parameters name themselves.
		cursor := *list("limit", "1", "sort", "name").NextCursor
		bad := []struct {
			query, loc string
		}{
			{"filter=" + url.QueryEscape(`{"firstName":"Ann"}`), "query.filter.firstName"},
			{"filter=" + url.QueryEscape(`{"name":{"$all":["a"]}}`), "query.filter.name.$all"},
			{"filter=" + url.QueryEscape(`{"createdAt":{"$prefix":"2024"}}`), "query.filter.createdAt.$prefix"},
			{"filter=" + url.QueryEscape(`{"createdAt":{"$gt":"yesterday"}}`), "query.filter.createdAt.$gt"},
			{"filter=" + url.QueryEscape(`{"name":{"$in":[1]}}`), "query.filter.name.$in[0]"},
			{"filter=" + url.QueryEscape(`{"$or":[{"name":"a"},{}]}`), "query.filter.$or[1]"},
			{"filter=" + url.QueryEscape(`{"$nor":[]}`), "query.filter.$nor"},
			{"filter=" + url.QueryEscape(`{"name":`), "query.filter"},
			{"filter=" + url.QueryEscape(`[]`), "query.filter"},
			{"sort=lastName", "query.sort"},
			{"sort=name,name", "query.sort"},
			{"limit=0", "query.limit"},
			{"limit=1001", "query.limit"},
			{"page=0", "query.page"},
			{"cursor=nope", "query.cursor"},
			{"sort=-name&cursor=" + url.QueryEscape(cursor), "query.cursor"},
			{"page=2&cursor=" + url.QueryEscape(cursor), "query.page"},
			{"count=maybe", "query.count"},
		}
		for _, bq := range bad {
			problemAt(t, e.do("GET", "/v1/accounts?"+bq.query, tok, nil), bq.loc)
		}
		deep := `{"name":"x"}`
		for range 9 {
			deep = `{"$not":` + deep + `}`
		}
		if r := e.do("GET", "/v1/accounts?filter="+url.QueryEscape(deep), tok, nil); r.status != http.StatusBadRequest {
			t.Errorf("a filter nested 9 deep: status %d", r.status)
		}
	})
}

// byUpdatedDesc returns the ids of accounts in -updatedAt order, with id
// breaking ties in the same (descending) direction.
func byUpdatedDesc(accounts []map[string]any) []string {
	s := slices.Clone(accounts)
	slices.SortFunc(s, func(a, b map[string]any) int {
		if c := strings.Compare(jStr(b["updatedAt"]), jStr(a["updatedAt"])); c != 0 {
			return c
		}
		return strings.Compare(jStr(b["id"]), jStr(a["id"]))
	})
	return ids(s)
}

// TestAccountContacts covers accountId on contacts: it must name an
// account of the same tenant, expand=account embeds it, and the account's
// contacts list with the contact list conventions.
func TestAccountContacts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		acme := e.newAccount("A", map[string]any{"name": "Acme", "domain": "acme.com"})
		globex := e.newAccount("A", map[string]any{"name": "Globex"})
		other := e.newAccount("B", map[string]any{"name": "Tenant B's"})
		acmeID, globexID, otherID := jStr(acme["id"]), jStr(globex["id"]), jStr(other["id"])

		// accountId must name an account of the tenant, on create and PATCH.
		for _, bad := range []string{"acc_nope", otherID, "ct_not_an_account"} {
			problemAt(t, e.do("POST", "/v1/contacts", tok, map[string]any{"firstName": "X", "accountId": bad}), "body.accountId")
		}
		var members []string
		for i, n := range []string{"Cole", "Abbot", "Bryce", "Dunn"} {
			c := e.create("A", map[string]any{"firstName": "Ann", "lastName": n, "accountId": acmeID, "status": []string{"active", "vip"}[i%2]})
			if c["accountId"] != acmeID {
				t.Fatalf("create with accountId: %v", c)
			}
			members = append(members, jStr(c["id"]))
		}
		loner := e.create("A", map[string]any{"firstName": "Lone", "lastName": "Wolf"})
		lonerID := jStr(loner["id"])
		problemAt(t, e.do("PATCH", "/v1/contacts/"+lonerID, tok, map[string]any{"accountId": otherID}), "body.accountId")
		r := e.do("PATCH", "/v1/contacts/"+lonerID, tok, map[string]any{"accountId": "acc_missing"})
		problemAt(t, r, "body.accountId")
		if !strings.Contains(string(r.body), "no such account") {
			t.Errorf("message: %s", r.body)
		}
		wantStatus(t, e.do("PATCH", "/v1/contacts/"+lonerID, tok, map[string]any{"accountId": globexID}), http.StatusOK)
		wantStatus(t, e.do("PATCH", "/v1/contacts/"+lonerID, tok, map[string]any{"jobTitle": "Lead"}), http.StatusOK)
		// Batch-style upsert by external id goes through the same check.
		problemAt(t, e.do("PUT", "/v1/contacts/by-external-id/crm-9", tok, map[string]any{"firstName": "Up", "accountId": otherID}), "body.accountId")

		// expand=account embeds the account, or null.
		r = e.do("GET", "/v1/contacts/"+members[0]+"?expand=account", tok, nil)
		wantStatus(t, r, http.StatusOK)
		if got := jObj(r.json(t)["account"]); got["id"] != acmeID || got["name"] != "Acme" || got["domain"] != "acme.com" {
			t.Errorf("expand=account: %s", r.body)
		}
		r = e.do("GET", "/v1/contacts/"+members[0]+"?expand=account&fields=lastName", tok, nil)
		if m := r.json(t); jObj(m["account"])["id"] != acmeID || m["lastName"] != "Cole" || m["firstName"] != nil {
			t.Errorf("expand with fields: %s", r.body)
		}
		plain := e.create("A", map[string]any{"firstName": "No", "lastName": "Account"})
		r = e.do("GET", "/v1/contacts/"+jStr(plain["id"])+"?expand=account", tok, nil)
		if m := r.json(t); m["account"] != nil || !strings.Contains(string(r.body), `"account":null`) {
			t.Errorf("expand=account without one: %s", r.body)
		}

		// The account's contacts, with filter, sort, cursor and total.
		base := "/v1/accounts/" + acmeID + "/contacts"
		p := e.accountPage(tok, base+"?sort=lastName")
		if got := ids(p.Data); !slices.Equal(got, []string{members[1], members[2], members[0], members[3]}) || *p.Total != 4 {
			t.Errorf("contacts of acme by lastName: %v total %v", got, *p.Total)
		}
		if got := e.walkPages(tok, base+"?sort=-lastName&limit=1"); !slices.Equal(got, []string{members[3], members[0], members[2], members[1]}) {
			t.Errorf("contacts of acme, one per page: %v", got)
		}
		p = e.accountPage(tok, base+"?filter="+url.QueryEscape(`{"status":"vip"}`)+"&sort=lastName")
		if got := ids(p.Data); !slices.Equal(got, []string{members[1], members[3]}) || *p.Total != 2 {
			t.Errorf("vip contacts of acme: %v", got)
		}
		// A filter naming another account cannot escape the account.
		p = e.accountPage(tok, base+"?filter="+url.QueryEscape(`{"accountId":"`+globexID+`"}`))
		if len(p.Data) != 0 {
			t.Errorf("acme's contacts filtered to globex: %v", ids(p.Data))
		}
		p = e.accountPage(tok, base+"?filter="+url.QueryEscape(`{"$or":[{"accountId":"`+globexID+`"},{"lastName":"Dunn"}]}`))
		if got := ids(p.Data); !slices.Equal(got, []string{members[3]}) {
			t.Errorf("acme's contacts with an $or: %v", got)
		}
		p = e.accountPage(tok, base+"?q=bry&fields=lastName")
		if len(p.Data) != 1 || p.Data[0]["lastName"] != "Bryce" || p.Data[0]["firstName"] != nil {
			t.Errorf("q and fields: %v", p.Data)
		}
		if p := e.accountPage(tok, "/v1/accounts/"+globexID+"/contacts"); !slices.Equal(ids(p.Data), []string{lonerID}) {
			t.Errorf("contacts of globex: %v", ids(p.Data))
		}
		problemAt(t, e.do("GET", base+"?filter="+url.QueryEscape(`{"status":{"$bogus":1}}`), tok, nil), "query.filter.status.$bogus")
		problemAt(t, e.do("GET", base+"?filter="+url.QueryEscape(`{"nope":1}`), tok, nil), "query.filter.nope")
		problemAt(t, e.do("GET", base+"?sort=name", tok, nil), "query.sort")
		// Soft-deleted contacts only with includeDeleted.
		wantStatus(t, e.do("DELETE", "/v1/contacts/"+members[3], tok, nil), http.StatusNoContent)
		if p := e.accountPage(tok, base); len(p.Data) != 3 {
			t.Errorf("after a soft delete: %d contacts", len(p.Data))
		}
		if p := e.accountPage(tok, base+"?includeDeleted=true"); len(p.Data) != 4 {
			t.Errorf("with includeDeleted: %d contacts", len(p.Data))
		}
		// Tenant B sees neither the account nor its contacts.
		problem(t, e.do("GET", base, e.tokens["B"]["all"], nil), http.StatusNotFound, "tenant B listing A's account's contacts")
	})
}

func TestAccountDeleteAndDetach(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		acme := e.newAccount("A", map[string]any{"name": "Acme"})
		acmeID := jStr(acme["id"])
		keep := e.newAccount("A", map[string]any{"name": "Keep"})
		var members []map[string]any
		for _, n := range []string{"One", "Two", "Three"} {
			members = append(members, e.create("A", map[string]any{"firstName": n, "accountId": acmeID}))
		}
		bystander := e.create("A", map[string]any{"firstName": "Bystander", "accountId": jStr(keep["id"])})
		// A soft-deleted member does not count, but is detached too.
		wantStatus(t, e.do("DELETE", "/v1/contacts/"+jStr(members[2]["id"]), tok, nil), http.StatusNoContent)

		r := e.do("DELETE", "/v1/accounts/"+acmeID, tok, nil)
		problem(t, r, http.StatusConflict, "deleting an account with contacts")
		if d := jStr(r.json(t)["detail"]); !strings.Contains(d, "2 contacts") || !strings.Contains(d, "detach=true") {
			t.Errorf("the 409 should say how many contacts and how to go on: %q", d)
		}
		wantStatus(t, e.do("GET", "/v1/accounts/"+acmeID, tok, nil), http.StatusOK)
		problemAt(t, e.do("DELETE", "/v1/accounts/"+acmeID+"?detach=maybe", tok, nil), "query.detach")
		feedBefore := len(e.feed(tok, ""))

		wantStatus(t, e.do("DELETE", "/v1/accounts/"+acmeID+"?detach=true", tok, nil, "If-Match", `"1"`), http.StatusNoContent)
		problem(t, e.do("GET", "/v1/accounts/"+acmeID, tok, nil), http.StatusNotFound, "the deleted account")
		for i, m := range members {
			id := jStr(m["id"])
			r := e.do("GET", "/v1/contacts/"+id+"?includeDeleted=true", tok, nil)
			c := r.json(t)
			if _, ok := c["accountId"]; ok || c["version"] != m["version"].(float64)+1+float64(i/2) || c["updatedBy"] != "user-A" {
				t.Errorf("member %d after detach: %s", i, r.body)
			}
			if r.header.Get("ETag") != fmt.Sprintf(`"%v"`, c["version"]) {
				t.Errorf("ETag %s for version %v", r.header.Get("ETag"), c["version"])
			}
			h := e.historyOf(tok, id)
			last := h[len(h)-1]
			f := jObj(last["fields"])
			if last["type"] != "updated" || last["actor"] != "user-A" || last["version"] != c["version"] || len(f) != 1 ||
				jObj(f["accountId"])["old"] != acmeID || jObj(f["accountId"])["new"] != nil {
				t.Errorf("member %d: last history entry %v, want updated with accountId %s → null", i, last, acmeID)
			}
		}
		// One change per detached contact, in the feed, nothing else.
		feed := e.feed(tok, "")
		if got := len(feed) - feedBefore; got != 3 {
			t.Errorf("the detach added %d changes to the feed, want 3", got)
		}
		if c := e.do("GET", "/v1/contacts/"+jStr(bystander["id"]), tok, nil).json(t); c["version"] != 1.0 || c["accountId"] != keep["id"] {
			t.Errorf("a contact of another account changed: %v", c)
		}
		// A restored member names no account; expand says null.
		wantStatus(t, e.do("POST", "/v1/contacts/"+jStr(members[2]["id"])+"/restore", tok, nil), http.StatusOK)
		if m := e.do("GET", "/v1/contacts/"+jStr(members[2]["id"])+"?expand=account", tok, nil).json(t); m["account"] != nil || m["accountId"] != nil {
			t.Errorf("restored member: %v", m)
		}
		// An account without contacts goes without detach; twice is a 404.
		wantStatus(t, e.do("DELETE", "/v1/accounts/"+jStr(keep["id"])+"?detach=true", tok, nil), http.StatusNoContent)
		empty := e.newAccount("A", map[string]any{"name": "Empty"})
		wantStatus(t, e.do("DELETE", "/v1/accounts/"+jStr(empty["id"]), tok, nil), http.StatusNoContent)
		problem(t, e.do("DELETE", "/v1/accounts/"+jStr(empty["id"]), tok, nil), http.StatusNotFound, "deleting twice")
	})
}

func TestAccountTenantIsolation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		a := e.newAccount("A", map[string]any{"name": "Acme", "externalId": "crm-1", "domain": "acme.com"})
		id := jStr(a["id"])
		e.create("A", map[string]any{"firstName": "Ann", "accountId": id})
		bTok := e.tokens["B"]["all"]
		for _, tc := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/v1/accounts/" + id, nil},
			{"PATCH", "/v1/accounts/" + id, map[string]any{"name": "Mine"}},
			{"DELETE", "/v1/accounts/" + id, nil},
			{"DELETE", "/v1/accounts/" + id + "?detach=true", nil},
			{"GET", "/v1/accounts/" + id + "/contacts", nil},
		} {
			problem(t, e.do(tc.method, tc.path, bTok, tc.body), http.StatusNotFound, "tenant B: "+tc.method+" "+tc.path)
		}
		for _, f := range []string{`{}`, `{"name":"Acme"}`, `{"externalId":"crm-1"}`, `{"id":"` + id + `"}`} {
			if p := e.accountPage(bTok, "/v1/accounts?filter="+url.QueryEscape(f)); len(p.Data) != 0 || *p.Total != 0 {
				t.Errorf("tenant B lists A's accounts with %s: %v", f, ids(p.Data))
			}
		}
		if p := e.accountPage(bTok, "/v1/contacts?filter="+url.QueryEscape(`{"accountId":"`+id+`"}`)); len(p.Data) != 0 {
			t.Errorf("tenant B lists A's account's contacts: %v", ids(p.Data))
		}
		r := e.do("GET", "/v1/accounts/"+id, e.tokens["A"]["all"], nil)
		if !jsonSame(r.json(t), a) {
			t.Errorf("A's account changed: %s", r.body)
		}
	})
}

func TestAccountScopes(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		a := e.newAccount("A", map[string]any{"name": "Acme"})
		id := jStr(a["id"])
		read, write, del := e.tokens["A"]["contacts:read"], e.tokens["A"]["contacts:write"], e.tokens["A"]["contacts:delete"]
		wantStatus(t, e.do("GET", "/v1/accounts/"+id, read, nil), http.StatusOK)
		wantStatus(t, e.do("GET", "/v1/accounts", read, nil), http.StatusOK)
		problem(t, e.do("POST", "/v1/accounts", read, map[string]any{"name": "x"}), http.StatusForbidden, "create with read")
		problem(t, e.do("PATCH", "/v1/accounts/"+id, del, map[string]any{"name": "x"}), http.StatusForbidden, "PATCH with delete")
		problem(t, e.do("DELETE", "/v1/accounts/"+id, write, nil), http.StatusForbidden, "DELETE with write")
		wantStatus(t, e.do("PATCH", "/v1/accounts/"+id, write, map[string]any{"name": "Acme 2"}), http.StatusOK)
		wantStatus(t, e.do("DELETE", "/v1/accounts/"+id, del, nil), http.StatusNoContent)
	})
}

// TestAccountSchemas checks that account bodies use the contact entries'
// request forms.
func TestAccountSchemas(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		doc, _ := served(t, e)
		schemas := jObj(jObj(doc["components"])["schemas"])
		w := jObj(jObj(schemas["AccountWrite"])["properties"])
		for field, want := range map[string]string{"phones": "PhoneWrite", "addresses": "AddressWrite"} {
			if ref := jObj(jObj(w[field])["items"])["$ref"]; ref != "#/components/schemas/"+want {
				t.Errorf("AccountWrite.%s items: %v, want a $ref to %s", field, ref, want)
			}
			if jObj(schemas[want])["additionalProperties"] != false {
				t.Errorf("%s is not the entries' request form: %v", want, schemas[want])
			}
		}
		acc := jObj(jObj(schemas["Account"])["properties"])
		if jObj(acc["id"])["readOnly"] != true || jObj(acc["name"])["maxLength"] != 255.0 {
			t.Errorf("Account schema lacks its annotations: %v", acc)
		}
	})
}
