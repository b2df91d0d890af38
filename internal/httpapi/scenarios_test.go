package httpapi_test

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/contactd/contactd/internal/storetest"
)

// wantStatus fails the test unless r has the given status.
func wantStatus(t *testing.T, r resp, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
}

// feed returns every change of the token's tenant (or, with a contact id,
// that contact's changes) from the change feed.
func (e *env) feed(token, contactID string) []map[string]any {
	e.t.Helper()
	r := e.do("GET", "/v1/changes?limit=1000", token, nil)
	wantStatus(e.t, r, http.StatusOK)
	var out []map[string]any
	for _, c := range jList(r.json(e.t)["data"]) {
		if m := jObj(c); contactID == "" || m["contactId"] == contactID {
			out = append(out, m)
		}
	}
	return out
}

// historyOf returns every history entry of a contact.
func (e *env) historyOf(token, id string) []map[string]any {
	e.t.Helper()
	r := e.do("GET", "/v1/contacts/"+id+"/history?limit=1000", token, nil)
	wantStatus(e.t, r, http.StatusOK)
	var out []map[string]any
	for _, c := range jList(r.json(e.t)["data"]) {
		out = append(out, jObj(c))
	}
	return out
}

func changeTypes(changes []map[string]any) []string {
	var out []string
	for _, c := range changes {
		out = append(out, jStr(c["type"]))
	}
	return out
}

func TestCreateHeaders(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]

		r := e.do("POST", "/v1/contacts", tok, ada())
		wantStatus(t, r, http.StatusCreated)
		c := r.json(t)
		id := jStr(c["id"])
		if loc := r.header.Get("Location"); loc != "/v1/contacts/"+id {
			t.Errorf("Location %q, want /v1/contacts/%s", loc, id)
		}
		if et := r.header.Get("ETag"); et != `"1"` || c["version"] != 1.0 {
			t.Errorf("ETag %q, version %v; want \"1\" and 1", et, c["version"])
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type %q", ct)
		}

		// ETag follows the version.
		r = e.do("PATCH", "/v1/contacts/"+id, tok, map[string]any{"lastName": "Lovelace"})
		wantStatus(t, r, http.StatusOK)
		if et := r.header.Get("ETag"); et != `"2"` {
			t.Errorf("ETag after PATCH %q, want \"2\"", et)
		}
		r = e.do("GET", "/v1/contacts/"+id, tok, nil)
		if et := r.header.Get("ETag"); et != `"`+strconv.Itoa(int(jNum(r.json(t)["version"])))+`"` {
			t.Errorf("GET ETag %q does not match version %v", et, r.json(t)["version"])
		}

		// X-Request-Id on every response, success or error.
		seen := map[string]bool{}
		for _, r := range []resp{
			e.do("GET", "/v1/contacts/"+id, tok, nil),
			e.do("GET", "/v1/contacts/ct_nope", tok, nil),
			e.do("GET", "/v1/contacts/"+id, "", nil),
			e.do("GET", "/v1/contacts/"+id, "cdt_wrong", nil),
			e.do("POST", "/v1/contacts", tok, `{`),
			e.do("GET", "/v1/nowhere", tok, nil),
			e.do("PUT", "/v1/contacts/"+id, tok, ada()),
			e.do("DELETE", "/v1/contacts/"+id, tok, nil, "If-Match", `"99"`),
			e.do("GET", "/healthz", "", nil),
		} {
			rid := r.header.Get("X-Request-Id")
			if rid == "" || seen[rid] {
				t.Errorf("status %d: X-Request-Id %q missing or reused", r.status, rid)
			}
			seen[rid] = true
			if r.status >= 400 {
				p := r.json(t)
				if p["instance"] != rid {
					t.Errorf("problem instance %v, want the request id %s", p["instance"], rid)
				}
			}
		}

		// An incoming X-Request-Id is echoed, on success and on error.
		for _, path := range []string{"/v1/contacts/" + id, "/v1/contacts/ct_nope"} {
			r = e.do("GET", path, tok, nil, "X-Request-Id", "client-req-42")
			if got := r.header.Get("X-Request-Id"); got != "client-req-42" {
				t.Errorf("GET %s: X-Request-Id %q, want the client's", path, got)
			}
		}
		// A hostile one is replaced.
		for _, bad := range []string{strings.Repeat("x", 200), "has space", "ünïcode"} {
			r = e.do("GET", "/v1/contacts/"+id, tok, nil, "X-Request-Id", bad)
			if got := r.header.Get("X-Request-Id"); got == bad || got == "" {
				t.Errorf("X-Request-Id %q was echoed or dropped: %q", bad, got)
			}
		}
	})
}

func TestGetContact(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["contacts:read"]
		c := e.create("A", ada("lastName", "Lovelace", "email", "Ada@Example.com", "externalId", "sf/001 ü",
			"phones", []any{map[string]any{"number": "+14155552671"}}))
		id := jStr(c["id"])

		t.Run("by id", func(t *testing.T) {
			r := e.do("GET", "/v1/contacts/"+id, tok, nil)
			wantStatus(t, r, http.StatusOK)
			if !reflect.DeepEqual(r.json(t), c) {
				t.Errorf("GET %s differs from the create response", r.body)
			}
		})
		t.Run("by email, case-insensitive", func(t *testing.T) {
			for _, em := range []string{"ada@example.com", "ADA@EXAMPLE.COM", "Ada%40Example.com"} {
				r := e.do("GET", "/v1/contacts/by-email/"+em, tok, nil)
				wantStatus(t, r, http.StatusOK)
				if r.json(t)["id"] != id {
					t.Errorf("by-email %s found %v", em, r.json(t)["id"])
				}
				if r.header.Get("ETag") != `"1"` {
					t.Errorf("by-email ETag %q", r.header.Get("ETag"))
				}
			}
			requireProblem(t, e.do("GET", "/v1/contacts/by-email/nobody@example.com", tok, nil), http.StatusNotFound, "")
		})
		t.Run("by external id", func(t *testing.T) {
			r := e.do("GET", "/v1/contacts/by-external-id/"+url.PathEscape("sf/001 ü"), tok, nil)
			wantStatus(t, r, http.StatusOK)
			if r.json(t)["id"] != id {
				t.Errorf("by-external-id found %v", r.json(t)["id"])
			}
			requireProblem(t, e.do("GET", "/v1/contacts/by-external-id/SF%2F001", tok, nil), http.StatusNotFound, "")
		})
		t.Run("fields projection", func(t *testing.T) {
			r := e.do("GET", "/v1/contacts/"+id+"?fields=firstName,emails,%20company", tok, nil)
			wantStatus(t, r, http.StatusOK)
			m := r.json(t)
			var keys []string
			for k := range m {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if want := []string{"company", "emails", "firstName", "id"}; !slices.Equal(keys, want) {
				t.Errorf("fields %v, want %v", keys, want)
			}
			if m["firstName"] != "Ada" || m["id"] != id || len(jList(m["emails"])) != 1 || m["company"] != nil {
				t.Errorf("projection %s", r.body)
			}
			r = e.do("GET", "/v1/contacts/by-email/ada@example.com?fields=lastName", tok, nil)
			if m := r.json(t); len(m) != 2 || m["lastName"] != "Lovelace" {
				t.Errorf("by-email projection %s", r.body)
			}
			r = e.do("GET", "/v1/contacts/"+id+"?fields=firstName,bogus", tok, nil)
			requireProblem(t, r, http.StatusBadRequest, "query.fields")
		})
		t.Run("includeDeleted", func(t *testing.T) {
			d := e.create("A", map[string]any{"company": "Gone Ltd"})
			did := jStr(d["id"])
			wantStatus(t, e.do("DELETE", "/v1/contacts/"+did, e.tokens["A"]["all"], nil), http.StatusNoContent)
			requireProblem(t, e.do("GET", "/v1/contacts/"+did, tok, nil), http.StatusNotFound, "")
			requireProblem(t, e.do("GET", "/v1/contacts/"+did+"?includeDeleted=false", tok, nil), http.StatusNotFound, "")
			r := e.do("GET", "/v1/contacts/"+did+"?includeDeleted=true", tok, nil)
			wantStatus(t, r, http.StatusOK)
			m := r.json(t)
			if m["id"] != did || jStr(m["deletedAt"]) == "" || m["deletedBy"] != "user-A" {
				t.Errorf("deleted contact %s", r.body)
			}
			requireProblem(t, e.do("GET", "/v1/contacts/"+did+"?includeDeleted=maybe", tok, nil), http.StatusBadRequest, "query.includeDeleted")
		})
		t.Run("other tenant", func(t *testing.T) {
			requireProblem(t, e.do("GET", "/v1/contacts/"+id, e.tokens["B"]["all"], nil), http.StatusNotFound, "")
			requireProblem(t, e.do("GET", "/v1/contacts/by-email/ada@example.com", e.tokens["B"]["all"], nil), http.StatusNotFound, "")
		})
	})
}

func TestPatchMergeSemantics(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		c := e.create("A", map[string]any{"firstName": "Ada", "lastName": "Lovelace", "company": "Analytical Engines",
			"jobTitle": "Programmer", "tags": []any{"math", "poetry"}, "doNotCall": true,
			"properties": map[string]any{"tier": 1, "prefs": map[string]any{"lang": "en", "tz": "GMT"}},
			"phones": []any{
				map[string]any{"number": "+14155552671", "type": "work"},
				map[string]any{"number": "+14155552672", "type": "home"},
			}})
		id := jStr(c["id"])
		path := "/v1/contacts/" + id
		phones := jList(c["phones"])

		r := e.do("PATCH", path, tok, map[string]any{"company": nil, "tags": []any{"science"}, "doNotCall": false,
			"properties": map[string]any{"tier": nil, "prefs": map[string]any{"tz": "Europe/London"}, "new": true}})
		wantStatus(t, r, http.StatusOK)
		m := r.json(t)
		if _, ok := m["company"]; ok {
			t.Errorf("company not cleared: %v", m["company"])
		}
		if m["firstName"] != "Ada" || m["lastName"] != "Lovelace" || m["jobTitle"] != "Programmer" {
			t.Errorf("absent fields changed: %s", r.body)
		}
		if !reflect.DeepEqual(m["tags"], []any{"science"}) {
			t.Errorf("tags %v, want replaced whole", m["tags"])
		}
		if m["doNotCall"] != false {
			t.Errorf("doNotCall %v", m["doNotCall"])
		}
		wantProps := map[string]any{"prefs": map[string]any{"lang": "en", "tz": "Europe/London"}, "new": true}
		if !reflect.DeepEqual(m["properties"], wantProps) {
			t.Errorf("properties %v, want RFC 7386 merge %v", m["properties"], wantProps)
		}
		if !reflect.DeepEqual(m["phones"], c["phones"]) {
			t.Errorf("phones changed by a PATCH without phones")
		}
		if m["version"] != 2.0 {
			t.Errorf("version %v, want 2", m["version"])
		}

		// Arrays are replaced whole; entries sent back with their ids keep them.
		kept := jObj(phones[1])
		r = e.do("PATCH", path, tok, map[string]any{"phones": []any{
			map[string]any{"id": kept["id"], "number": kept["number"], "type": "mobile"},
			map[string]any{"number": "+442079460000"},
		}})
		wantStatus(t, r, http.StatusOK)
		got := jList(r.json(t)["phones"])
		if len(got) != 2 {
			t.Fatalf("phones %v", got)
		}
		if jObj(got[0])["id"] != kept["id"] || jObj(got[0])["type"] != "mobile" {
			t.Errorf("sent-back phone %v lost its id %v", got[0], kept["id"])
		}
		if nid := jStr(jObj(got[1])["id"]); nid == "" || nid == jStr(jObj(phones[0])["id"]) || nid == kept["id"] {
			t.Errorf("new phone id %q", nid)
		}
		if jObj(got[0])["primary"] != true || jObj(got[1])["primary"] != false {
			t.Errorf("primaries %v", got)
		}
		// An id the contact never had is not adopted.
		r = e.do("PATCH", path, tok, map[string]any{"phones": []any{map[string]any{"id": "ph_01forged", "number": "+14155550000"}}})
		wantStatus(t, r, http.StatusOK)
		if pid := jObj(jList(r.json(t)["phones"])[0])["id"]; pid == "ph_01forged" {
			t.Errorf("a forged entry id was kept")
		}

		// A PATCH that changes nothing adds no version and no history.
		before := e.do("GET", path, tok, nil).json(t)
		nHist, nFeed := len(e.historyOf(tok, id)), len(e.feed(tok, ""))
		for _, p := range []any{
			map[string]any{},
			map[string]any{"firstName": "Ada"},
			map[string]any{"firstName": "  Ada "},
			map[string]any{"company": nil},
			map[string]any{"tags": []any{"science"}},
			map[string]any{"properties": map[string]any{"new": true}},
			map[string]any{"version": before["version"], "id": id},
		} {
			r = e.do("PATCH", path, tok, p)
			wantStatus(t, r, http.StatusOK)
			if v := r.json(t)["version"]; v != before["version"] || r.header.Get("ETag") != fmt.Sprintf(`"%v"`, before["version"]) {
				t.Errorf("no-op PATCH %v: version %v, ETag %s; want %v", p, v, r.header.Get("ETag"), before["version"])
			}
		}
		if after := e.do("GET", path, tok, nil).json(t); !reflect.DeepEqual(after, before) {
			t.Errorf("no-op PATCHes changed the contact")
		}
		if n := len(e.historyOf(tok, id)); n != nHist {
			t.Errorf("history has %d entries, want %d", n, nHist)
		}
		if n := len(e.feed(tok, "")); n != nFeed {
			t.Errorf("change feed has %d entries, want %d", n, nFeed)
		}

		// Custom data whose keys are not in Go's order is not "changed" by
		// a PATCH that does not touch it.
		r = e.do("POST", "/v1/contacts", tok, `{"firstName":"Unsorted","properties":{"zeta":1,"alpha":{"y":1.50,"x":[2,1]},"big":12345678901234567890},"metadata":{"b":"<&>","a":null}}`)
		wantStatus(t, r, http.StatusCreated)
		u := r.json(t)
		for _, p := range []any{map[string]any{}, map[string]any{"firstName": "Unsorted"}, map[string]any{"properties": map[string]any{"zeta": 1}}} {
			r = e.do("PATCH", "/v1/contacts/"+jStr(u["id"]), tok, p)
			wantStatus(t, r, http.StatusOK)
			if v := r.json(t)["version"]; v != 1.0 {
				t.Errorf("PATCH %v of a contact with unsorted properties: version %v, want 1", p, v)
			}
		}
		if !strings.Contains(string(r.body), "12345678901234567890") || !strings.Contains(string(r.body), "1.50") {
			t.Errorf("numbers in properties lost precision: %s", r.body)
		}

		// A PATCH through the other addresses of the contact.
		e.do("PATCH", path, tok, map[string]any{"email": "ada@example.com", "externalId": "crm-9"})
		r = e.do("PATCH", "/v1/contacts/by-email/ADA@example.com", tok, map[string]any{"nickName": "Countess"})
		wantStatus(t, r, http.StatusOK)
		r = e.do("PATCH", "/v1/contacts/by-external-id/crm-9", tok, map[string]any{"suffix": "FRS"})
		wantStatus(t, r, http.StatusOK)
		if m := r.json(t); m["nickName"] != "Countess" || m["suffix"] != "FRS" || m["id"] != id {
			t.Errorf("PATCH by email/external id: %s", r.body)
		}
		requireProblem(t, e.do("PATCH", "/v1/contacts/ct_nope", tok, map[string]any{"nickName": "x"}), http.StatusNotFound, "")
		requireProblem(t, e.do("PATCH", path, e.tokens["B"]["all"], map[string]any{"nickName": "x"}), http.StatusNotFound, "")
	})
}

func TestIfMatch(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		c := e.create("A", ada())
		path := "/v1/contacts/" + jStr(c["id"])

		r := e.do("PATCH", path, tok, map[string]any{"lastName": "Lovelace"}, "If-Match", `"1"`)
		wantStatus(t, r, http.StatusOK)
		if v := r.json(t)["version"]; v != 2.0 || r.header.Get("ETag") != `"2"` {
			t.Errorf("version %v ETag %s, want 2", v, r.header.Get("ETag"))
		}

		before := e.do("GET", path, tok, nil).body
		r = e.do("PATCH", path, tok, map[string]any{"lastName": "Byron"}, "If-Match", `"1"`)
		requireProblem(t, r, http.StatusPreconditionFailed, "")
		r = e.do("PATCH", path, tok, map[string]any{"lastName": "Byron"}, "If-Match", `W/"2"`)
		requireProblem(t, r, http.StatusPreconditionFailed, "")
		if after := e.do("GET", path, tok, nil).body; string(after) != string(before) {
			t.Errorf("a 412 changed the contact:\n%s\n%s", before, after)
		}
		if n := len(e.historyOf(tok, jStr(c["id"]))); n != 2 {
			t.Errorf("history has %d entries after a 412, want 2", n)
		}

		r = e.do("PATCH", path, tok, map[string]any{"lastName": "Byron"}, "If-Match", "*")
		wantStatus(t, r, http.StatusOK)
		if v := r.json(t)["version"]; v != 3.0 {
			t.Errorf("If-Match * : version %v, want 3", v)
		}
		r = e.do("PATCH", path, tok, map[string]any{"lastName": "King"}, "If-Match", `"1", "3"`)
		wantStatus(t, r, http.StatusOK)
		requireProblem(t, e.do("PATCH", path, tok, map[string]any{"lastName": "X"}, "If-Match", `4`), http.StatusBadRequest, "header.If-Match")

		// DELETE with a stale If-Match is refused and deletes nothing.
		requireProblem(t, e.do("DELETE", path, tok, nil, "If-Match", `"3"`), http.StatusPreconditionFailed, "")
		wantStatus(t, e.do("GET", path, tok, nil), http.StatusOK)
		requireProblem(t, e.do("DELETE", path+"?permanent=true", tok, nil, "If-Match", `"3"`), http.StatusPreconditionFailed, "")
		wantStatus(t, e.do("GET", path, tok, nil), http.StatusOK)
		wantStatus(t, e.do("DELETE", path, tok, nil, "If-Match", `"4"`), http.StatusNoContent)
		requireProblem(t, e.do("GET", path, tok, nil), http.StatusNotFound, "")
	})
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		body := `{"firstName":"Ada","email":"ada@example.com"}`

		first := e.do("POST", "/v1/contacts", tok, body, "Idempotency-Key", "key-1")
		wantStatus(t, first, http.StatusCreated)
		id := jStr(first.json(t)["id"])
		for range 2 {
			again := e.do("POST", "/v1/contacts", tok, body, "Idempotency-Key", "key-1")
			if again.status != first.status || string(again.body) != string(first.body) {
				t.Errorf("replay: %d %s, want %d %s", again.status, again.body, first.status, first.body)
			}
			for _, h := range []string{"Location", "ETag", "Content-Type"} {
				if again.header.Get(h) != first.header.Get(h) {
					t.Errorf("replay %s %q, want %q", h, again.header.Get(h), first.header.Get(h))
				}
			}
			if again.header.Get("X-Request-Id") == "" {
				t.Errorf("replay without X-Request-Id")
			}
		}
		var created []string
		for _, c := range e.feed(tok, "") {
			if c["type"] == "created" {
				created = append(created, jStr(c["contactId"]))
			}
		}
		if !slices.Equal(created, []string{id}) {
			t.Errorf("created changes %v, want exactly [%s]", created, id)
		}

		// Same key, another body: 409, nothing created.
		r := e.do("POST", "/v1/contacts", tok, `{"firstName":"Eve"}`, "Idempotency-Key", "key-1")
		requireProblem(t, r, http.StatusConflict, "")
		// Same key on another endpoint is another request too.
		r = e.do("POST", "/v1/contacts/"+id+"/block", tok, body, "Idempotency-Key", "key-1")
		requireProblem(t, r, http.StatusConflict, "")

		// A 400 is replayed as the same 400.
		bad := `{"firstName":"Ada","birthday":"2023-02-29"}`
		r1 := e.do("POST", "/v1/contacts", tok, bad, "Idempotency-Key", "key-bad")
		requireProblem(t, r1, http.StatusBadRequest, "body.birthday")
		r2 := e.do("POST", "/v1/contacts", tok, bad, "Idempotency-Key", "key-bad")
		requireProblem(t, r2, http.StatusBadRequest, "body.birthday")
		if string(r1.body) != string(r2.body) {
			t.Errorf("replayed 400 differs:\n%s\n%s", r1.body, r2.body)
		}

		// Keys are per tenant.
		rb := e.do("POST", "/v1/contacts", e.tokens["B"]["all"], body, "Idempotency-Key", "key-1")
		wantStatus(t, rb, http.StatusCreated)
		bid := jStr(rb.json(t)["id"])
		if bid == id || bid == "" {
			t.Errorf("tenant B got A's contact %s", bid)
		}
		wantStatus(t, e.do("GET", "/v1/contacts/"+bid, e.tokens["B"]["all"], nil), http.StatusOK)
		requireProblem(t, e.do("GET", "/v1/contacts/"+bid, tok, nil), http.StatusNotFound, "")
		if n := len(e.feed(e.tokens["B"]["all"], "")); n != 1 {
			t.Errorf("tenant B feed has %d changes, want 1", n)
		}
		if n := len(e.feed(tok, "")); n != 1 {
			t.Errorf("tenant A feed has %d changes, want 1", n)
		}

		// Without a key, a retry creates again (here: a 409 on the email).
		r = e.do("POST", "/v1/contacts", tok, body)
		requireProblem(t, r, http.StatusConflict, "")
		requireProblem(t, e.do("POST", "/v1/contacts", tok, body, "Idempotency-Key", strings.Repeat("k", 256)), http.StatusBadRequest, "header.Idempotency-Key")
	})
}

func TestUniqueness(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		first := e.create("A", ada("email", "ada@example.com", "externalId", "crm-1"))
		fid := jStr(first["id"])

		r := e.do("POST", "/v1/contacts", tok, map[string]any{"firstName": "Eve", "emails": []any{
			map[string]any{"address": "eve@example.com"}, map[string]any{"address": "ADA@example.com"}}})
		p := requireProblem(t, r, http.StatusConflict, "")
		if p["conflictingId"] != fid || p["conflictingField"] != "email" {
			t.Errorf("conflict %s, want conflictingId %s and conflictingField email", r.body, fid)
		}
		r = e.do("POST", "/v1/contacts", tok, map[string]any{"firstName": "Eve", "externalId": "crm-1"})
		p = requireProblem(t, r, http.StatusConflict, "")
		if p["conflictingId"] != fid || p["conflictingField"] != "externalId" {
			t.Errorf("conflict %s, want conflictingId %s and conflictingField externalId", r.body, fid)
		}
		// Through PATCH too.
		other := e.create("A", map[string]any{"firstName": "Eve"})
		r = e.do("PATCH", "/v1/contacts/"+jStr(other["id"]), tok, map[string]any{"email": "Ada@Example.com"})
		p = requireProblem(t, r, http.StatusConflict, "")
		if p["conflictingId"] != fid || p["conflictingField"] != "email" {
			t.Errorf("PATCH conflict %s", r.body)
		}
		// Another tenant may have the same email and external id.
		e.create("B", ada("email", "ada@example.com", "externalId", "crm-1"))

		// After a soft delete, the email and external id are free again...
		wantStatus(t, e.do("DELETE", "/v1/contacts/"+fid, tok, nil), http.StatusNoContent)
		second := e.create("A", map[string]any{"firstName": "Ada II", "email": "ada@example.com", "externalId": "crm-1"})
		r = e.do("GET", "/v1/contacts/by-email/ada@example.com", tok, nil)
		if r.json(t)["id"] != second["id"] {
			t.Errorf("by-email finds %v, want the live contact %v", r.json(t)["id"], second["id"])
		}
		// ...so restoring the first is a conflict.
		r = e.do("POST", "/v1/contacts/"+fid+"/restore", tok, nil)
		p = requireProblem(t, r, http.StatusConflict, "")
		if p["conflictingId"] != second["id"] {
			t.Errorf("restore conflict %s, want conflictingId %v", r.body, second["id"])
		}
		requireProblem(t, e.do("GET", "/v1/contacts/"+fid, tok, nil), http.StatusNotFound, "")
	})
}

func TestDeleteRestoreErase(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		c := e.create("A", ada("lastName", "Lovelace", "email", "ada@example.com"))
		id := jStr(c["id"])
		path := "/v1/contacts/" + id

		requireProblem(t, e.do("DELETE", path, e.tokens["A"]["contacts:write"], nil), http.StatusForbidden, "")
		wantStatus(t, e.do("DELETE", path, e.tokens["A"]["contacts:delete"], nil), http.StatusNoContent)
		requireProblem(t, e.do("GET", path, tok, nil), http.StatusNotFound, "")
		requireProblem(t, e.do("DELETE", path, tok, nil), http.StatusNotFound, "")
		requireProblem(t, e.do("PATCH", path, tok, map[string]any{"nickName": "x"}), http.StatusNotFound, "")
		if got := changeTypes(e.historyOf(tok, id)); !slices.Equal(got, []string{"created", "deleted"}) {
			t.Errorf("history %v", got)
		}
		r := e.do("POST", path+"/restore", tok, nil)
		wantStatus(t, r, http.StatusOK)
		if m := r.json(t); m["deletedAt"] != nil || m["version"] != 3.0 {
			t.Errorf("restored %s", r.body)
		}
		wantStatus(t, e.do("GET", path, tok, nil), http.StatusOK)
		requireProblem(t, e.do("POST", path+"/restore", tok, nil), http.StatusConflict, "")
		if got := changeTypes(e.historyOf(tok, id)); !slices.Equal(got, []string{"created", "deleted", "restored"}) {
			t.Errorf("history %v", got)
		}

		// Erase needs contacts:admin.
		requireProblem(t, e.do("DELETE", path+"?permanent=true", e.tokens["A"]["contacts:delete"], nil), http.StatusForbidden, "")
		wantStatus(t, e.do("GET", path, tok, nil), http.StatusOK)
		requireProblem(t, e.do("DELETE", path+"?permanent=perhaps", tok, nil), http.StatusBadRequest, "query.permanent")

		wantStatus(t, e.do("DELETE", path+"?permanent=true", tok, nil), http.StatusNoContent)
		requireProblem(t, e.do("GET", path+"?includeDeleted=true", tok, nil), http.StatusNotFound, "")
		requireProblem(t, e.do("GET", path+"/history", tok, nil), http.StatusNotFound, "")
		requireProblem(t, e.do("POST", path+"/restore", tok, nil), http.StatusNotFound, "")
		requireProblem(t, e.do("GET", "/v1/contacts/by-email/ada@example.com", tok, nil), http.StatusNotFound, "")
		chs := e.feed(tok, id)
		if len(chs) != 1 || chs[0]["type"] != "erased" {
			t.Fatalf("feed entries of the erased contact: %v, want one erased", chs)
		}
		if _, ok := chs[0]["fields"]; ok {
			t.Errorf("the erased entry carries field values: %v", chs[0])
		}
		raw := e.do("GET", "/v1/changes?limit=1000", tok, nil).body
		for _, s := range []string{"Lovelace", "ada@example.com"} {
			if strings.Contains(string(raw), s) {
				t.Errorf("the change feed still contains %q after erasure", s)
			}
		}
		// The email is free again.
		e.create("A", map[string]any{"email": "ada@example.com"})

		// A soft-deleted contact can be erased too.
		d := e.create("A", map[string]any{"company": "Gone"})
		wantStatus(t, e.do("DELETE", "/v1/contacts/"+jStr(d["id"]), tok, nil), http.StatusNoContent)
		wantStatus(t, e.do("DELETE", "/v1/contacts/"+jStr(d["id"])+"?permanent=true", tok, nil), http.StatusNoContent)
		requireProblem(t, e.do("GET", "/v1/contacts/"+jStr(d["id"])+"?includeDeleted=true", tok, nil), http.StatusNotFound, "")
	})
}

func TestUpsertByExternalID(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		path := "/v1/contacts/by-external-id/crm-42"
		body := map[string]any{"firstName": "Ada", "company": "Acme", "tags": []any{"vip"},
			"emails": []any{map[string]any{"address": "ada@example.com"}},
			"phones": []any{map[string]any{"number": "+14155552671"}}}

		r := e.do("PUT", path, tok, body)
		wantStatus(t, r, http.StatusCreated)
		c := r.json(t)
		if loc := r.header.Get("Location"); loc != "/v1/contacts/"+jStr(c["id"]) {
			t.Errorf("Location %q", loc)
		}
		if c["externalId"] != "crm-42" || c["version"] != 1.0 || r.header.Get("ETag") != `"1"` {
			t.Errorf("created %s", r.body)
		}

		r = e.do("PUT", path, tok, body)
		wantStatus(t, r, http.StatusOK)
		if m := r.json(t); m["id"] != c["id"] || m["version"] != 1.0 {
			t.Errorf("same body: id %v version %v, want %v and 1", m["id"], m["version"], c["id"])
		}
		if r.header.Get("Location") != "" {
			t.Errorf("200 with Location %q", r.header.Get("Location"))
		}

		r = e.do("PUT", path, tok, map[string]any{"firstName": "Ada", "lastName": "Lovelace", "externalId": "crm-42"})
		wantStatus(t, r, http.StatusOK)
		m := r.json(t)
		if m["id"] != c["id"] || m["version"] != 2.0 || m["lastName"] != "Lovelace" {
			t.Errorf("changed body: %s", r.body)
		}
		for _, k := range []string{"company"} {
			if _, ok := m[k]; ok {
				t.Errorf("%s not cleared by PUT: %v", k, m[k])
			}
		}
		for _, k := range []string{"tags", "emails", "phones"} {
			if len(jList(m[k])) != 0 {
				t.Errorf("%s not cleared by PUT: %v", k, m[k])
			}
		}

		requireProblem(t, e.do("PUT", path, tok, map[string]any{"firstName": "Ada", "externalId": "crm-43"}), http.StatusBadRequest, "body.externalId")
		requireProblem(t, e.do("PUT", path, tok, map[string]any{"firstName": "Ada", "bogus": 1}), http.StatusBadRequest, "body.bogus")
		requireProblem(t, e.do("PUT", path, tok, map[string]any{"firstName": "Ada"}, "If-Match", `"1"`), http.StatusPreconditionFailed, "")
		wantStatus(t, e.do("PUT", path, tok, map[string]any{"firstName": "Ada"}, "If-Match", `"2"`), http.StatusOK)
		requireProblem(t, e.do("PUT", "/v1/contacts/by-external-id/crm-new", tok, map[string]any{"firstName": "Ada"}, "If-Match", `"1"`), http.StatusPreconditionFailed, "")
		requireProblem(t, e.do("GET", "/v1/contacts/by-external-id/crm-new", tok, nil), http.StatusNotFound, "")

		// An external id with a slash, escaped in the path.
		r = e.do("PUT", "/v1/contacts/by-external-id/sf%2F001", tok, map[string]any{"company": "Slash"})
		wantStatus(t, r, http.StatusCreated)
		if m := r.json(t); m["externalId"] != "sf/001" {
			t.Errorf("externalId %v, want sf/001", m["externalId"])
		}
		wantStatus(t, e.do("GET", "/v1/contacts/by-external-id/sf%2F001", tok, nil), http.StatusOK)

		// Delete by external id.
		wantStatus(t, e.do("DELETE", path, tok, nil), http.StatusNoContent)
		requireProblem(t, e.do("GET", path, tok, nil), http.StatusNotFound, "")
		r = e.do("PUT", path, tok, body)
		wantStatus(t, r, http.StatusCreated)
		if r.json(t)["id"] == c["id"] {
			t.Errorf("PUT after delete reused the deleted contact")
		}
	})
}

// entryByID returns the entry of a list with the given id.
func entryByID(c map[string]any, listName, id string) map[string]any {
	for _, e := range jList(c[listName]) {
		if m := jObj(e); m["id"] == id {
			return m
		}
	}
	return nil
}

// entryWhere returns the first entry of a list whose key has value v.
func entryWhere(c map[string]any, listName, key string, v any) map[string]any {
	for _, e := range jList(c[listName]) {
		if m := jObj(e); m[key] == v {
			return m
		}
	}
	return nil
}

func TestSubEntries(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		c := e.create("A", ada("phones", []any{map[string]any{"number": "+14155552671", "type": "work"}},
			"emails", []any{map[string]any{"address": "ada@example.com"}},
			"addresses", []any{map[string]any{"city": "London"}}))
		id := jStr(c["id"])
		base := "/v1/contacts/" + id
		e.create("A", map[string]any{"firstName": "Eve", "email": "eve@example.com"})
		oldPhone := jStr(jObj(jList(c["phones"])[0])["id"])

		t.Run("phones", func(t *testing.T) {
			r := e.do("POST", base+"/phones", tok, map[string]any{"number": "(415) 555-2672", "type": "mobile", "primary": true})
			wantStatus(t, r, http.StatusCreated)
			m := r.json(t)
			added := entryWhere(m, "phones", "e164", "+14155552672")
			if len(jList(m["phones"])) != 2 || added == nil || added["primary"] != true || added["type"] != "mobile" {
				t.Fatalf("added phone: %s", r.body)
			}
			if old := entryByID(m, "phones", oldPhone); old == nil || old["primary"] != false {
				t.Errorf("the old primary %v kept primary", old)
			}
			if r.header.Get("ETag") != fmt.Sprintf(`"%v"`, m["version"]) {
				t.Errorf("ETag %s", r.header.Get("ETag"))
			}
			pid := jStr(added["id"])

			r = e.do("PATCH", base+"/phones/"+pid, tok, map[string]any{"type": "home", "extension": "9"})
			wantStatus(t, r, http.StatusOK)
			m = r.json(t)
			if p := entryByID(m, "phones", pid); p == nil || p["type"] != "home" || p["extension"] != "9" || p["e164"] != "+14155552672" || p["primary"] != true {
				t.Errorf("patched phone %v", p)
			}
			if p := entryByID(m, "phones", oldPhone); p == nil || p["type"] != "work" {
				t.Errorf("the other phone changed: %v", p)
			}
			r = e.do("PATCH", base+"/phones/"+pid, tok, map[string]any{"extension": nil})
			if p := entryByID(r.json(t), "phones", pid); p == nil || p["extension"] != nil {
				t.Errorf("null did not clear the extension: %v", p)
			}
			requireProblem(t, e.do("PATCH", base+"/phones/"+pid, tok, map[string]any{"number": "12"}), http.StatusBadRequest, "body.number")
			requireProblem(t, e.do("PATCH", base+"/phones/"+pid, tok, map[string]any{"bogus": 1}), http.StatusBadRequest, "body.bogus")
			p := requireProblem(t, e.do("PATCH", base+"/phones/ph_unknown", tok, map[string]any{"type": "home"}), http.StatusNotFound, "")
			if !strings.Contains(jStr(p["detail"]), "no phone entry") {
				t.Errorf("detail %q", p["detail"])
			}
			requireProblem(t, e.do("DELETE", base+"/phones/ph_unknown", tok, nil), http.StatusNotFound, "")
			requireProblem(t, e.do("POST", base+"/phones", tok, map[string]any{"number": "123"}), http.StatusBadRequest, "body.number")
			requireProblem(t, e.do("POST", base+"/phones", tok, map[string]any{"number": "+14155552673", "type": "cell"}), http.StatusBadRequest, "body.type")
			requireProblem(t, e.do("POST", base+"/phones", tok, map[string]any{"number": "+14155552673", "bogus": 1}), http.StatusBadRequest, "body.bogus")
			requireProblem(t, e.do("POST", base+"/phones", tok, `"+14155552673"`), http.StatusBadRequest, "body")
			requireProblem(t, e.do("POST", "/v1/contacts/ct_nope/phones", tok, map[string]any{"number": "+14155552673"}), http.StatusNotFound, "")

			r = e.do("DELETE", base+"/phones/"+pid, tok, nil)
			wantStatus(t, r, http.StatusOK)
			m = r.json(t)
			if len(jList(m["phones"])) != 1 || entryByID(m, "phones", pid) != nil {
				t.Errorf("phone not removed: %s", r.body)
			}
			if p := entryByID(m, "phones", oldPhone); p == nil || p["primary"] != true {
				t.Errorf("the remaining phone is not primary: %v", p)
			}
			requireProblem(t, e.do("DELETE", base+"/phones/"+pid, tok, nil), http.StatusNotFound, "")
		})

		t.Run("emails", func(t *testing.T) {
			r := e.do("POST", base+"/emails", tok, map[string]any{"address": "Ada.Work@Example.com", "type": "work"})
			wantStatus(t, r, http.StatusCreated)
			m := r.json(t)
			added := entryWhere(m, "emails", "address", "ada.work@example.com")
			if added == nil || added["primary"] != false || added["type"] != "work" {
				t.Fatalf("added email: %s", r.body)
			}
			eid := jStr(added["id"])
			r = e.do("POST", base+"/emails", tok, map[string]any{"address": "EVE@example.com"})
			p := requireProblem(t, r, http.StatusConflict, "")
			if p["conflictingField"] != "email" || jStr(p["conflictingId"]) == "" || p["conflictingId"] == id {
				t.Errorf("conflict %s", r.body)
			}
			requireProblem(t, e.do("POST", base+"/emails", tok, map[string]any{"address": "ADA@example.com"}), http.StatusBadRequest, "body.address")
			requireProblem(t, e.do("POST", base+"/emails", tok, map[string]any{"address": "nope"}), http.StatusBadRequest, "body.address")
			r = e.do("PATCH", base+"/emails/"+eid, tok, map[string]any{"primary": true})
			wantStatus(t, r, http.StatusOK)
			m = r.json(t)
			if entryByID(m, "emails", eid)["primary"] != true || entryWhere(m, "emails", "address", "ada@example.com")["primary"] != false {
				t.Errorf("primary did not move: %s", r.body)
			}
			requireProblem(t, e.do("PATCH", base+"/emails/"+eid, tok, map[string]any{"address": "eve@example.com"}), http.StatusConflict, "")
			p = requireProblem(t, e.do("PATCH", base+"/emails/em_unknown", tok, map[string]any{"type": "work"}), http.StatusNotFound, "")
			if !strings.Contains(jStr(p["detail"]), "no email entry") {
				t.Errorf("detail %q", p["detail"])
			}
			r = e.do("DELETE", base+"/emails/"+eid, tok, nil)
			wantStatus(t, r, http.StatusOK)
			if m := r.json(t); len(jList(m["emails"])) != 1 || entryByID(m, "emails", eid) != nil {
				t.Errorf("email not removed: %s", r.body)
			}
			requireProblem(t, e.do("GET", "/v1/contacts/by-email/ada.work@example.com", tok, nil), http.StatusNotFound, "")
		})

		t.Run("addresses", func(t *testing.T) {
			r := e.do("POST", base+"/addresses", tok, map[string]any{"city": "Paris", "type": "home"})
			wantStatus(t, r, http.StatusCreated)
			added := entryWhere(r.json(t), "addresses", "city", "Paris")
			if added == nil || added["type"] != "home" {
				t.Fatalf("added address: %s", r.body)
			}
			aid := jStr(added["id"])
			r = e.do("PATCH", base+"/addresses/"+aid, tok, map[string]any{"postalCode": "75001"})
			wantStatus(t, r, http.StatusOK)
			if a := entryByID(r.json(t), "addresses", aid); a["postalCode"] != "75001" || a["city"] != "Paris" {
				t.Errorf("patched address %v", a)
			}
			requireProblem(t, e.do("POST", base+"/addresses", tok, map[string]any{"type": "work"}), http.StatusBadRequest, "body")
			requireProblem(t, e.do("POST", base+"/addresses", tok, map[string]any{"city": "Rome", "postalCode": strings.Repeat("1", 17)}), http.StatusBadRequest, "body.postalCode")
			requireProblem(t, e.do("PATCH", base+"/addresses/ad_unknown", tok, map[string]any{"city": "Rome"}), http.StatusNotFound, "")
			r = e.do("DELETE", base+"/addresses/"+aid, tok, nil)
			wantStatus(t, r, http.StatusOK)
			if a := entryByID(r.json(t), "addresses", aid); a != nil {
				t.Errorf("address not removed")
			}
		})

		t.Run("other tenant", func(t *testing.T) {
			requireProblem(t, e.do("POST", base+"/phones", e.tokens["B"]["all"], map[string]any{"number": "+14155552679"}), http.StatusNotFound, "")
			requireProblem(t, e.do("DELETE", base+"/phones/"+oldPhone, e.tokens["B"]["all"], nil), http.StatusNotFound, "")
		})
	})
}

func TestBlockUnblock(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		c := e.create("A", ada())
		path := "/v1/contacts/" + jStr(c["id"])

		r := e.do("POST", path+"/block", tok, map[string]any{"reason": "  robocaller "})
		wantStatus(t, r, http.StatusOK)
		m := r.json(t)
		if jStr(m["blockedAt"]) == "" || m["blockedBy"] != "user-A" || m["blockReason"] != "robocaller" {
			t.Errorf("blocked: %s", r.body)
		}
		blockedAt := m["blockedAt"]

		// Blocking again with another token updates the reason, not the time.
		r = e.do("POST", path+"/block", e.tokens["A"]["contacts:write"], nil)
		wantStatus(t, r, http.StatusOK)
		m = r.json(t)
		if m["blockedAt"] != blockedAt || m["blockedBy"] != "svc-contacts:write" || m["blockReason"] != nil {
			t.Errorf("blocked again with an empty body: %s", r.body)
		}
		wantStatus(t, e.do("POST", path+"/block", tok, `{}`), http.StatusOK)
		requireProblem(t, e.do("POST", path+"/block", tok, map[string]any{"reason": "x", "until": "never"}), http.StatusBadRequest, "body.until")
		requireProblem(t, e.do("POST", path+"/block", tok, map[string]any{"reason": 5}), http.StatusBadRequest, "body.reason")
		requireProblem(t, e.do("POST", path+"/block", tok, `["x"]`), http.StatusBadRequest, "body")
		requireProblem(t, e.do("POST", "/v1/contacts/ct_nope/block", tok, nil), http.StatusNotFound, "")
		requireProblem(t, e.do("POST", path+"/block", e.tokens["A"]["contacts:read"], nil), http.StatusForbidden, "")

		r = e.do("DELETE", path+"/block", tok, nil)
		wantStatus(t, r, http.StatusOK)
		m = r.json(t)
		for _, k := range []string{"blockedAt", "blockedBy", "blockReason"} {
			if _, ok := m[k]; ok {
				t.Errorf("%s not cleared: %v", k, m[k])
			}
		}
		if got := changeTypes(e.historyOf(tok, jStr(c["id"]))); !slices.Equal(got, []string{"created", "blocked", "blocked", "blocked", "unblocked"}) {
			t.Errorf("history %v", got)
		}
		// Unblocking an unblocked contact changes nothing.
		r = e.do("DELETE", path+"/block", tok, nil)
		wantStatus(t, r, http.StatusOK)
		if r.json(t)["version"] != m["version"] {
			t.Errorf("a no-op unblock bumped the version")
		}
	})
}

func TestHistory(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		c := e.create("A", ada("lastName", "Lovelace"))
		id := jStr(c["id"])
		path := "/v1/contacts/" + id
		wantStatus(t, e.do("PATCH", path, e.tokens["A"]["contacts:write"], map[string]any{"firstName": "Augusta", "company": "Analytical"}), http.StatusOK)
		wantStatus(t, e.do("PATCH", path, tok, map[string]any{"company": nil}), http.StatusOK)
		wantStatus(t, e.do("DELETE", path, e.tokens["A"]["contacts:delete"], nil), http.StatusNoContent)
		other := e.create("A", map[string]any{"company": "Other"})

		h := e.historyOf(e.tokens["A"]["contacts:read"], id)
		if got := changeTypes(h); !slices.Equal(got, []string{"created", "updated", "updated", "deleted"}) {
			t.Fatalf("history types %v", got)
		}
		for i, want := range []string{"user-A", "svc-contacts:write", "user-A", "svc-contacts:delete"} {
			if h[i]["actor"] != want {
				t.Errorf("entry %d actor %v, want %s", i, h[i]["actor"], want)
			}
			if h[i]["contactId"] != id || h[i]["version"] != float64(i+1) || jStr(h[i]["at"]) == "" {
				t.Errorf("entry %d: %v", i, h[i])
			}
			if i > 0 && jNum(h[i]["seq"]) <= jNum(h[i-1]["seq"]) {
				t.Errorf("entries out of order: %v", h)
			}
		}
		fields := func(i int) map[string]any { return jObj(h[i]["fields"]) }
		if f := jObj(fields(0)["firstName"]); f["old"] != nil || f["new"] != "Ada" {
			t.Errorf("created firstName %v", f)
		}
		if f := jObj(fields(1)["firstName"]); f["old"] != "Ada" || f["new"] != "Augusta" {
			t.Errorf("updated firstName %v", f)
		}
		if f := jObj(fields(1)["company"]); f["old"] != nil || f["new"] != "Analytical" {
			t.Errorf("updated company %v", f)
		}
		if f := jObj(fields(1)["displayName"]); f["old"] != "Ada Lovelace" || f["new"] != "Augusta Lovelace" {
			t.Errorf("updated displayName %v", f)
		}
		if _, ok := fields(1)["lastName"]; ok {
			t.Errorf("an unchanged field is listed: %v", fields(1))
		}
		for _, k := range []string{"version", "updatedAt", "updatedBy"} {
			if _, ok := fields(1)[k]; ok {
				t.Errorf("bookkeeping field %s is listed", k)
			}
		}
		if f := jObj(fields(2)["company"]); f["old"] != "Analytical" || f["new"] != nil || len(fields(2)) != 1 {
			t.Errorf("cleared company %v", fields(2))
		}
		if f := jObj(fields(3)["deletedBy"]); f["new"] != "svc-contacts:delete" {
			t.Errorf("deleted %v", fields(3))
		}

		// Pagination with limit=1 visits every entry exactly once.
		var seqs []float64
		cursor := ""
		for i := 0; ; i++ {
			if i > 10 {
				t.Fatalf("pagination does not end: %v", seqs)
			}
			r := e.do("GET", path+"/history?limit=1&cursor="+url.QueryEscape(cursor), tok, nil)
			wantStatus(t, r, http.StatusOK)
			p := r.json(t)
			if p["limit"] != 1.0 {
				t.Errorf("limit %v", p["limit"])
			}
			data := jList(p["data"])
			if len(data) > 1 {
				t.Fatalf("page of %d entries with limit=1", len(data))
			}
			if jStr(p["nextCursor"]) == "" {
				t.Fatalf("page without nextCursor: %s", r.body)
			}
			if len(data) == 0 {
				break
			}
			seqs = append(seqs, jNum(jObj(data[0])["seq"]))
			if jObj(data[0])["contactId"] != id {
				t.Errorf("history lists another contact: %v", data[0])
			}
			cursor = jStr(p["nextCursor"])
		}
		var want []float64
		for _, c := range h {
			want = append(want, jNum(c["seq"]))
		}
		if !slices.Equal(seqs, want) {
			t.Errorf("paged seqs %v, want %v", seqs, want)
		}

		for _, q := range []string{"cursor=bogus", "cursor=" + url.QueryEscape("Y2hnOi0x"), "cursor=%FF"} {
			requireProblem(t, e.do("GET", path+"/history?"+q, tok, nil), http.StatusBadRequest, "query.cursor")
		}
		for _, q := range []string{"0", "1001", "-1", "ten"} {
			requireProblem(t, e.do("GET", path+"/history?limit="+q, tok, nil), http.StatusBadRequest, "query.limit")
		}
		requireProblem(t, e.do("GET", "/v1/contacts/ct_nope/history", tok, nil), http.StatusNotFound, "")
		requireProblem(t, e.do("GET", path+"/history", e.tokens["B"]["all"], nil), http.StatusNotFound, "")
		if got := changeTypes(e.historyOf(tok, jStr(other["id"]))); !slices.Equal(got, []string{"created"}) {
			t.Errorf("other history %v", got)
		}
	})
}

func TestChangeFeed(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["contacts:read"]
		var ids []string
		for i := range 3 {
			ids = append(ids, jStr(e.create("A", map[string]any{"company": fmt.Sprintf("Co %d", i)})["id"]))
		}
		wantStatus(t, e.do("PATCH", "/v1/contacts/"+ids[0], e.tokens["A"]["all"], map[string]any{"status": "vip"}), http.StatusOK)
		e.create("B", map[string]any{"company": "B's"})

		all := e.feed(tok, "")
		if got := changeTypes(all); !slices.Equal(got, []string{"created", "created", "created", "updated"}) {
			t.Fatalf("feed %v", got)
		}
		for i, c := range all {
			if i > 0 && jNum(c["seq"]) <= jNum(all[i-1]["seq"]) {
				t.Errorf("seqs out of order: %v", all)
			}
		}
		if all[3]["contactId"] != ids[0] || jObj(jObj(all[3]["fields"])["status"])["new"] != "vip" {
			t.Errorf("updated change %v", all[3])
		}

		// Pages of 2 continue where the last ended; the last page is empty
		// and still carries a cursor to poll with.
		r := e.do("GET", "/v1/changes?limit=2", tok, nil)
		p1 := r.json(t)
		r = e.do("GET", "/v1/changes?limit=2&cursor="+url.QueryEscape(jStr(p1["nextCursor"])), tok, nil)
		p2 := r.json(t)
		r = e.do("GET", "/v1/changes?limit=2&cursor="+url.QueryEscape(jStr(p2["nextCursor"])), tok, nil)
		wantStatus(t, r, http.StatusOK)
		p3 := r.json(t)
		var seqs []float64
		for _, p := range []map[string]any{p1, p2, p3} {
			for _, c := range jList(p["data"]) {
				seqs = append(seqs, jNum(jObj(c)["seq"]))
			}
		}
		var want []float64
		for _, c := range all {
			want = append(want, jNum(c["seq"]))
		}
		if !slices.Equal(seqs, want) {
			t.Errorf("paged seqs %v, want %v", seqs, want)
		}
		if d, ok := p3["data"].([]any); !ok || len(d) != 0 {
			t.Errorf("last page data %s, want []", r.body)
		}
		if jStr(p3["nextCursor"]) == "" {
			t.Fatalf("empty last page without nextCursor: %s", r.body)
		}
		// Polling with the empty page's cursor finds the next write.
		e.create("A", map[string]any{"company": "Later"})
		r = e.do("GET", "/v1/changes?cursor="+url.QueryEscape(jStr(p3["nextCursor"])), tok, nil)
		if d := jList(r.json(t)["data"]); len(d) != 1 || jObj(d[0])["type"] != "created" {
			t.Errorf("poll after a write: %s", r.body)
		}

		requireProblem(t, e.do("GET", "/v1/changes?cursor=bogus", tok, nil), http.StatusBadRequest, "query.cursor")
		requireProblem(t, e.do("GET", "/v1/changes?limit=0", tok, nil), http.StatusBadRequest, "query.limit")
		requireProblem(t, e.do("GET", "/v1/changes?limit=1001", tok, nil), http.StatusBadRequest, "query.limit")
		if n := len(e.feed(e.tokens["B"]["contacts:read"], "")); n != 1 {
			t.Errorf("tenant B sees %d changes, want 1", n)
		}
	})
}

func TestTransportErrors(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		c := e.create("A", ada())
		path := "/v1/contacts/" + jStr(c["id"])

		big := `{"firstName":"` + strings.Repeat("a", 1<<20) + `"}`
		requireProblem(t, e.do("POST", "/v1/contacts", tok, big), http.StatusRequestEntityTooLarge, "")
		requireProblem(t, e.do("PATCH", path, tok, big), http.StatusRequestEntityTooLarge, "")
		requireProblem(t, e.do("POST", "/v1/contacts", tok, `{"firstName":"Ada"}`, "Content-Type", "text/plain"), http.StatusUnsupportedMediaType, "header.Content-Type")
		requireProblem(t, e.do("PATCH", path, tok, `{"firstName":"Ada"}`, "Content-Type", "application/x-www-form-urlencoded"), http.StatusUnsupportedMediaType, "")
		wantStatus(t, e.do("PATCH", path, tok, `{"lastName":"L"}`, "Content-Type", "application/merge-patch+json"), http.StatusOK)
		wantStatus(t, e.do("POST", "/v1/contacts", tok, `{"firstName":"Ada"}`, "Content-Type", "application/json; charset=utf-8"), http.StatusCreated)

		requireProblem(t, e.do("GET", "/v1/nowhere", tok, nil), http.StatusNotFound, "")
		requireProblem(t, e.do("GET", "/nowhere", "", nil), http.StatusNotFound, "")
		r := e.do("PUT", path, tok, ada())
		requireProblem(t, r, http.StatusMethodNotAllowed, "")
		allow := r.header.Get("Allow")
		for _, m := range []string{"GET", "PATCH", "DELETE"} {
			if !strings.Contains(allow, m) {
				t.Errorf("405 Allow %q lacks %s", allow, m)
			}
		}
		requireProblem(t, e.do("DELETE", "/v1/contacts", tok, nil), http.StatusMethodNotAllowed, "")
		requireProblem(t, e.do("GET", path, "", nil), http.StatusUnauthorized, "")
		requireProblem(t, e.do("GET", path, e.tokens["A"]["contacts:write"], nil), http.StatusForbidden, "")
	})
}

func TestRequestLogs(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		c := e.create("A", ada())
		e.do("GET", "/v1/contacts/"+jStr(c["id"]), e.tokens["A"]["contacts:read"], nil, "X-Request-Id", "log-probe-1")
		e.do("GET", "/v1/contacts/"+jStr(c["id"]), "cdt_not_a_real_token_secret", nil, "X-Request-Id", "log-probe-2")
		e.do("POST", "/v1/contacts", e.tokens["B"]["all"], `{`, "X-Request-Id", "log-probe-3")
		for _, toks := range e.tokens {
			for _, sc := range []string{"contacts:write", "contacts:delete", "contacts:admin"} {
				e.do("GET", "/v1/changes", toks[sc], nil)
			}
			e.do("GET", "/v1/changes", toks["all"]+"x", nil)
		}

		logs := e.logText()
		found := map[string]bool{}
		for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
			for _, id := range []string{"log-probe-1", "log-probe-2", "log-probe-3"} {
				if !strings.Contains(line, `"request_id":"`+id+`"`) {
					continue
				}
				found[id] = true
				for _, k := range []string{`"method":"`, `"route":"/v1/`, `"status":`, `"duration_ms":`} {
					if !strings.Contains(line, k) {
						t.Errorf("log line of %s lacks %s: %s", id, k, line)
					}
				}
			}
		}
		if len(found) != 3 {
			t.Errorf("request logs found for %v, want 3:\n%s", found, logs)
		}
		for _, want := range []string{`"route":"/v1/contacts/{id}"`, `"status":200`, `"status":401`, `"status":400`, `"status":201`} {
			if !strings.Contains(logs, want) {
				t.Errorf("logs lack %s", want)
			}
		}
		for _, toks := range e.tokens {
			for _, secret := range toks {
				if strings.Contains(logs, secret) || strings.Contains(logs, strings.TrimPrefix(secret, "cdt_")) {
					t.Errorf("logs contain a token secret")
				}
			}
		}
		if strings.Contains(logs, "cdt_not_a_real_token_secret") {
			t.Errorf("logs contain a presented token")
		}
	})
}
