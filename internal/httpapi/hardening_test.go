package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/httpapi"
	"github.com/contactd/contactd/internal/storetest"
)

// TestHostileText: text no store can keep exactly as sent (U+0000,
// invalid UTF-8, lone surrogates), repeated keys and numbers out of range
// are the same 400 on both stores, naming where they are, and nothing is
// written.
func TestHostileText(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		ct := e.create("A", map[string]any{"firstName": "Ada", "emails": []any{map[string]any{"address": "ada@example.com"}}, "externalId": "crm-1"})
		id := jStr(ct["id"])
		bodies := []struct {
			method, path, body, loc string
		}{
			{"POST", "/v1/contacts", `{"firstName":"a\u0000b"}`, "body.firstName"},
			{"POST", "/v1/contacts", "{\"firstName\":\"a\xffb\"}", "body.firstName"},
			{"POST", "/v1/contacts", `{"firstName":"\ud800"}`, "body.firstName"},
			{"POST", "/v1/contacts", `{"firstName":"a","firstName":"b"}`, "body.firstName"},
			{"POST", "/v1/contacts", `{"firstName":"a","properties":{"n":1e999}}`, "body.properties.n"},
			{"POST", "/v1/contacts", `{"firstName":"a","properties":{"k\u0000":1}}`, "body.properties"},
			{"POST", "/v1/contacts", `{"firstName":"a","tags":["v\u0000ip"]}`, "body.tags[0]"},
			{"POST", "/v1/contacts", `{"firstName":"a","phones":[{"number":"+14155550100","label":"\u0000"}]}`, "body.phones[0].label"},
			{"PATCH", "/v1/contacts/" + id, `{"notes":"\u0000"}`, "body.notes"},
			{"PATCH", "/v1/contacts/" + id, `{"properties":{"a":1,"a":2}}`, "body.properties.a"},
			{"POST", "/v1/contacts/batch", `{"operations":[{"op":"create","contact":{"lastName":"\u0000"}}]}`, "body.operations[0].contact.lastName"},
			{"POST", "/v1/contacts/search", `{"q":"\u0000"}`, "body.q"},
			{"POST", "/v1/accounts", `{"name":"Acme\u0000"}`, "body.name"},
			{"POST", "/v1/tags", `{"name":"t\u0000"}`, "body.name"},
			{"POST", "/v1/segments", `{"name":"s\u0000","kind":"static"}`, "body.name"},
			{"POST", "/v1/tokens", `{"name":"n\u0000","scopes":["contacts:read"]}`, "body.name"},
			{"PATCH", "/v1/tenant", `{"name":"\u0000"}`, "body.name"},
			{"POST", "/v1/webhooks", `{"url":"https://example.com/\u0000","events":["contact.created"]}`, "body.url"},
		}
		for _, tc := range bodies {
			r := e.do(tc.method, tc.path, tok, tc.body)
			t.Run(tc.method+" "+tc.loc, func(t *testing.T) { requireProblem(t, r, http.StatusBadRequest, tc.loc) })
		}
		paths := []struct{ path, loc string }{
			{"/v1/contacts/%00", "path.id"},
			{"/v1/contacts/%FF", "path.id"},
			{"/v1/contacts/by-email/a%00@example.com", "path.email"},
			{"/v1/contacts/by-email/%C3", "path.email"},
			{"/v1/contacts/by-external-id/crm%00", "path.externalId"},
			{"/v1/contacts/by-external-id/%FF%FE", "path.externalId"},
			{"/v1/accounts/%00", "path.accountId"},
			{"/v1/tags/%FF", "path.tagId"},
			{"/v1/contacts?q=%00", "query.q"},
			{"/v1/contacts?q=%FF", "query.q"},
			{"/v1/contacts?filter=%7B%22firstName%22%3A%22%00%22%7D", "query.filter"},
			{"/v1/contacts/lookup?phone=%00", "query.phone"},
		}
		for _, tc := range paths {
			r := e.do("GET", tc.path, tok, nil)
			t.Run("GET "+tc.path, func(t *testing.T) { requireProblem(t, r, http.StatusBadRequest, tc.loc) })
		}
		r := e.do("POST", "/v1/contacts", tok, `{"firstName":"x"}`, "Idempotency-Key", "k\xff")
		t.Run("Idempotency-Key", func(t *testing.T) { requireProblem(t, r, http.StatusBadRequest, "header.Idempotency-Key") })

		// A pair of surrogate escapes is one character, and is kept.
		r = e.do("POST", "/v1/contacts", tok, `{"firstName":"\ud83d\ude00"}`)
		if r.status != http.StatusCreated || jStr(r.json(t)["firstName"]) != "😀" {
			t.Fatalf("surrogate pair: %d %s", r.status, r.body)
		}
		// Nothing refused was written: Ada and the emoji are all there is.
		r = e.do("GET", "/v1/contacts?count=true", tok, nil)
		if n := jNum(r.json(t)["total"]); n != 2 {
			t.Fatalf("%v contacts after the refusals, want 2: %s", n, r.body)
		}
		r = e.do("GET", "/v1/contacts/"+id, tok, nil)
		if p := r.json(t); jStr(p["notes"]) != "" || p["properties"] != nil {
			t.Fatalf("the refused patches changed the contact: %s", r.body)
		}
	})
}

// TestUnknownQueryParameters: a parameter an endpoint does not take is a
// 400 naming it, where it used to be ignored (filtr= listed everything).
func TestUnknownQueryParameters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		id := jStr(e.create("A", ada())["id"])
		for _, tc := range []struct{ path, loc string }{
			{"/v1/contacts?filtr=%7B%7D", "query.filtr"},
			{"/v1/contacts?limit=5&sortt=lastName", "query.sortt"},
			{"/v1/contacts/" + id + "?expnd=account", "query.expnd"},
			{"/v1/tags?limit=1&x=", "query.x"},
			{"/v1/changes?curser=abc", "query.curser"},
		} {
			r := e.do("GET", tc.path, tok, nil)
			p := requireProblem(t, r, http.StatusBadRequest, tc.loc)
			if jStr(p["detail"]) == "" {
				t.Errorf("%s: no detail", tc.path)
			}
		}
		if r := e.do("GET", "/v1/contacts?limit=5&filter=%7B%7D&sort=lastName", tok, nil); r.status != http.StatusOK {
			t.Fatalf("declared parameters: %d %s", r.status, r.body)
		}
	})
}

// TestRequestBudget: a request over its time budget is stopped and
// answered 503 (type timeout), logged as a warning, not as an internal
// error; the long routes keep their own bounds.
func TestRequestBudget(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnvWith(t, b, httpapi.Config{Version: "test", RequestTimeout: time.Nanosecond})
		tok := e.tokens["A"]["all"]
		for _, path := range []string{"/v1/contacts", "/v1/contacts/lookup?phone=%2B14155550100", "/v1/tags"} {
			r := e.do("GET", path, tok, nil)
			p := requireProblem(t, r, http.StatusServiceUnavailable, "")
			if !strings.HasSuffix(jStr(p["type"]), "/timeout") || !strings.Contains(jStr(p["detail"]), "time budget") {
				t.Fatalf("%s: %s", path, r.body)
			}
		}
		// The export streams past the budget by design.
		if r := e.do("GET", "/v1/contacts/export", tok, nil); r.status != http.StatusOK {
			t.Fatalf("export: %d %s", r.status, r.body)
		}
		logs := e.logText()
		if strings.Contains(logs, `"internal error"`) || !strings.Contains(logs, `"unavailable"`) {
			t.Fatalf("logs:\n%s", logs)
		}
	})
}

// TestClientGoneIsNotAServerError: a client that hangs up is logged as
// what it is (499, at info level), never as a 500 internal error.
func TestClientGoneIsNotAServerError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/v1/changes?from=now&wait=30s", nil)
		req.Header.Set("Authorization", "Bearer "+e.tokens["A"]["all"])
		done := make(chan error, 1)
		go func() {
			res, err := e.srv.Client().Do(req)
			if err == nil {
				res.Body.Close()
			}
			done <- err
		}()
		time.Sleep(200 * time.Millisecond) // the poll is waiting
		cancel()
		if err := <-done; err == nil {
			t.Fatal("the cancelled request was answered")
		}
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(e.logText(), `"client closed request"`) {
			if time.Now().After(deadline) {
				t.Fatalf("no client-closed line in the logs:\n%s", e.logText())
			}
			time.Sleep(10 * time.Millisecond)
		}
		logs := e.logText()
		if strings.Contains(logs, `"internal error"`) || strings.Contains(logs, `"status":500`) || !strings.Contains(logs, `"status":499`) {
			t.Fatalf("logs:\n%s", logs)
		}
	})
}

// TestIfNoneMatch: every single-object GET has an ETag, and sending it
// back in If-None-Match answers 304 with no body until the object changes.
func TestIfNoneMatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		ct := e.create("A", map[string]any{"firstName": "Ada", "email": "ada@example.com", "externalId": "crm-7"})
		id := jStr(ct["id"])
		mk := func(path string, body any) string {
			r := e.do("POST", path, tok, body)
			if r.status != http.StatusCreated {
				t.Fatalf("POST %s: %d %s", path, r.status, r.body)
			}
			if loc := r.header.Get("Location"); loc != "" {
				return loc[strings.LastIndexByte(loc, '/')+1:]
			}
			return jStr(r.json(t)["id"])
		}
		acc := mk("/v1/accounts", map[string]any{"name": "Acme"})
		tag := mk("/v1/tags", map[string]any{"name": "vip"})
		seg := mk("/v1/segments", map[string]any{"name": "All", "kind": "static"})
		hook := mk("/v1/webhooks", map[string]any{"url": "https://example.com/hook", "events": []string{"contact.created"}})
		paths := []string{"/v1/contacts/" + id, "/v1/contacts/by-email/ada@example.com", "/v1/contacts/by-external-id/crm-7",
			"/v1/contacts/" + id + "?fields=firstName", "/v1/accounts/" + acc, "/v1/tags/" + tag, "/v1/segments/" + seg,
			"/v1/webhooks/" + hook, "/v1/tenant"}
		for _, path := range paths {
			r := e.do("GET", path, tok, nil)
			etag := r.header.Get("ETag")
			if r.status != http.StatusOK || etag == "" {
				t.Fatalf("GET %s: %d, ETag %q", path, r.status, etag)
			}
			for _, inm := range []string{etag, `"x", ` + etag, "*", strings.TrimPrefix(etag, "W/")} {
				r2 := e.do("GET", path, tok, nil, "If-None-Match", inm)
				if r2.status != http.StatusNotModified || len(r2.body) != 0 || r2.header.Get("ETag") != etag {
					t.Fatalf("GET %s If-None-Match %s: %d %q, ETag %q", path, inm, r2.status, r2.body, r2.header.Get("ETag"))
				}
			}
			if r2 := e.do("GET", path, tok, nil, "If-None-Match", `"other"`); r2.status != http.StatusOK {
				t.Fatalf("GET %s with a stale tag: %d", path, r2.status)
			}
		}
		// A change makes the old tag stale.
		old := e.do("GET", "/v1/tags/"+tag, tok, nil).header.Get("ETag")
		if r := e.do("PATCH", "/v1/tags/"+tag, tok, map[string]any{"description": "big spenders"}); r.status != http.StatusOK {
			t.Fatalf("patch tag: %d %s", r.status, r.body)
		}
		if r := e.do("GET", "/v1/tags/"+tag, tok, nil, "If-None-Match", old); r.status != http.StatusOK {
			t.Fatalf("changed tag: %d", r.status)
		}
		old = e.do("GET", "/v1/contacts/"+id, tok, nil).header.Get("ETag")
		e.do("PATCH", "/v1/contacts/"+id, tok, map[string]any{"jobTitle": "Countess"})
		if r := e.do("GET", "/v1/contacts/"+id, tok, nil, "If-None-Match", old); r.status != http.StatusOK {
			t.Fatalf("changed contact: %d", r.status)
		}
	})
}

// TestPatchScalarsReplacePrimary: on an update, phone and email replace
// the primary entry's value (keeping its id and type), as SPEC §2 says;
// they add an entry only to a contact that has none.
func TestPatchScalarsReplacePrimary(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		ct := e.create("A", map[string]any{"firstName": "Ada",
			"phones": []any{map[string]any{"number": "+14155550100", "type": "mobile"}, map[string]any{"number": "+14155550101", "type": "work"}},
			"emails": []any{map[string]any{"address": "ada@example.com", "type": "work"}, map[string]any{"address": "ada@home.example"}}})
		id := jStr(ct["id"])
		primaryPhone, primaryEmail := jObj(jList(ct["phones"])[0]), jObj(jList(ct["emails"])[0])
		r := e.do("PATCH", "/v1/contacts/"+id, tok, map[string]any{"phone": "+1 415 555 0199", "email": "Countess@Example.com"})
		if r.status != http.StatusOK {
			t.Fatalf("patch: %d %s", r.status, r.body)
		}
		got := r.json(t)
		phones, emails := jList(got["phones"]), jList(got["emails"])
		if len(phones) != 2 || len(emails) != 2 {
			t.Fatalf("the scalars added entries: %s", r.body)
		}
		p0, e0 := jObj(phones[0]), jObj(emails[0])
		if p0["e164"] != "+14155550199" || p0["id"] != primaryPhone["id"] || p0["type"] != "mobile" || p0["primary"] != true {
			t.Errorf("primary phone: %v, was %v", p0, primaryPhone)
		}
		if e0["address"] != "countess@example.com" || e0["id"] != primaryEmail["id"] || e0["type"] != "work" || e0["primary"] != true {
			t.Errorf("primary email: %v, was %v", e0, primaryEmail)
		}
		if jObj(phones[1])["e164"] != "+14155550101" || jObj(emails[1])["address"] != "ada@home.example" {
			t.Errorf("the other entries changed: %s", r.body)
		}
		// A value the contact already has becomes the primary; nothing is lost.
		r = e.do("PATCH", "/v1/contacts/"+id, tok, map[string]any{"email": "ada@home.example"})
		emails = jList(r.json(t)["emails"])
		if len(emails) != 2 || jObj(emails[1])["address"] != "ada@home.example" || jObj(emails[1])["primary"] != true || jObj(emails[0])["primary"] != false {
			t.Errorf("promote an existing email: %s", r.body)
		}
		// The old primary number is free again, and findable as the new one.
		if a := e.lookup(tok, "phone", "+14155550100"); a.Match != "none" {
			t.Errorf("the replaced number still matches")
		}
		if a := e.lookup(tok, "phone", "+14155550199"); a.Match != "exact" {
			t.Errorf("the new number does not match")
		}
		// A contact with no phone gains one.
		bare := e.create("A", map[string]any{"firstName": "Bare"})
		r = e.do("PATCH", "/v1/contacts/"+jStr(bare["id"]), tok, map[string]any{"phone": "+14155550177"})
		if phones := jList(r.json(t)["phones"]); len(phones) != 1 || jObj(phones[0])["primary"] != true {
			t.Errorf("phone on a contact without one: %s", r.body)
		}
	})
}

// TestSegmentKindInferred: a segment sent without a kind is dynamic when
// it has a filter and static otherwise, and a static one may come with its
// first members.
func TestSegmentKindInferred(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		a, c := jStr(e.create("A", ada())["id"]), jStr(e.create("A", ada("lastName", "Byron"))["id"])
		r := e.do("POST", "/v1/segments", tok, map[string]any{"name": "Byrons", "filter": map[string]any{"lastName": "Byron"}})
		if r.status != http.StatusCreated || jStr(r.json(t)["kind"]) != "dynamic" {
			t.Fatalf("filter without kind: %d %s", r.status, r.body)
		}
		r = e.do("POST", "/v1/segments", tok, map[string]any{"name": "Picked", "contactIds": []string{a, c, a}})
		if r.status != http.StatusCreated || jStr(r.json(t)["kind"]) != "static" || jNum(r.json(t)["memberCount"]) != 2 {
			t.Fatalf("contactIds without kind: %d %s", r.status, r.body)
		}
		seg := jStr(r.json(t)["id"])
		r = e.do("GET", "/v1/segments/"+seg+"/contacts?count=true", tok, nil)
		if jNum(r.json(t)["total"]) != 2 {
			t.Fatalf("members: %s", r.body)
		}
		if r := e.do("POST", "/v1/segments", tok, map[string]any{"name": "Empty"}); r.status != http.StatusCreated || jStr(r.json(t)["kind"]) != "static" {
			t.Fatalf("neither: %d %s", r.status, r.body)
		}
		// Wrong members make no segment; B's contact is no member of A's.
		other := jStr(e.create("B", ada())["id"])
		requireProblem(t, e.do("POST", "/v1/segments", tok, map[string]any{"name": "Bad", "contactIds": []string{a, other}}), http.StatusBadRequest, "body.contactIds[1]")
		requireProblem(t, e.do("POST", "/v1/segments", tok, map[string]any{"name": "Both", "kind": "dynamic", "filter": map[string]any{"lastName": "x"}, "contactIds": []string{a}}), http.StatusBadRequest, "body.contactIds")
		requireProblem(t, e.do("PATCH", "/v1/segments/"+seg, tok, map[string]any{"contactIds": []string{a}}), http.StatusBadRequest, "body.contactIds")
		r = e.do("GET", "/v1/segments?count=true", tok, nil)
		if jNum(r.json(t)["total"]) != 3 {
			t.Fatalf("segments after the refusals: %s", r.body)
		}
	})
}

// TestExpandOnLists: expand works on lists (GET and POST search, and the
// lists of an account or a segment) as on single reads, and fields may
// name an expanded object.
func TestExpandOnLists(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		acc := e.do("POST", "/v1/accounts", tok, map[string]any{"name": "Acme"}).json(t)
		accID := jStr(acc["id"])
		a := jStr(e.create("A", map[string]any{"firstName": "Ann", "accountId": accID, "tags": []string{"vip"}})["id"])
		bb := jStr(e.create("A", map[string]any{"firstName": "Bob", "accountId": accID})["id"])
		c := jStr(e.create("A", map[string]any{"firstName": "Cid"})["id"])
		vip := jStr(e.do("POST", "/v1/segments", tok, map[string]any{"name": "VIPs", "filter": map[string]any{"tags": "vip"}}).json(t)["id"])
		picked := jStr(e.do("POST", "/v1/segments", tok, map[string]any{"name": "Picked", "contactIds": []string{bb, c}}).json(t)["id"])
		want := map[string]struct {
			account  string
			segments []string
		}{a: {accID, []string{vip}}, bb: {accID, []string{picked}}, c: {"", []string{picked}}}
		check := func(what string, r resp, onlyID bool) {
			t.Helper()
			if r.status != http.StatusOK {
				t.Fatalf("%s: %d %s", what, r.status, r.body)
			}
			for _, it := range jList(r.json(t)["data"]) {
				m := jObj(it)
				w, ok := want[jStr(m["id"])]
				if !ok {
					t.Fatalf("%s: unexpected %v", what, m["id"])
				}
				if got := jStr(jObj(m["account"])["id"]); got != w.account {
					t.Errorf("%s: %s's account %q, want %q", what, m["firstName"], got, w.account)
				}
				if _, present := m["account"]; !present {
					t.Errorf("%s: no account member: %v", what, m)
				}
				var segs []string
				for _, sg := range jList(m["segments"]) {
					segs = append(segs, jStr(jObj(sg)["id"]))
				}
				if strings.Join(segs, ",") != strings.Join(w.segments, ",") {
					t.Errorf("%s: %v's segments %v, want %v", what, m["id"], segs, w.segments)
				}
				if onlyID {
					if len(m) != 3 {
						t.Errorf("%s: fields=account,segments gave %v", what, m)
					}
				} else if m["firstName"] == nil {
					t.Errorf("%s: projection lost firstName: %v", what, m)
				}
			}
		}
		check("GET expand", e.do("GET", "/v1/contacts?expand=account,segments", tok, nil), false)
		check("GET fields", e.do("GET", "/v1/contacts?fields=account,segments", tok, nil), true)
		check("GET fields+expand", e.do("GET", "/v1/contacts?fields=firstName,account&expand=segments", tok, nil), false)
		check("POST search", e.do("POST", "/v1/contacts/search", tok, map[string]any{"expand": []string{"account", "segments"}}), false)
		check("account contacts", e.do("GET", "/v1/accounts/"+accID+"/contacts?expand=account,segments", tok, nil), false)
		check("segment contacts", e.do("GET", "/v1/segments/"+picked+"/contacts?fields=firstName,segments,account", tok, nil), false)
		r := e.do("GET", "/v1/contacts/"+a+"?fields=firstName,account", tok, nil)
		if m := r.json(t); jStr(jObj(m["account"])["id"]) != accID || m["lastName"] != nil || len(m) != 3 {
			t.Fatalf("single read with fields=account: %s", r.body)
		}
		requireProblem(t, e.do("GET", "/v1/contacts?expand=owner", tok, nil), http.StatusBadRequest, "query.expand")
		requireProblem(t, e.do("POST", "/v1/contacts/search", tok, map[string]any{"expand": []string{"bogus"}}), http.StatusBadRequest, "body.expand")
	})
}

// TestTagAndPropertyFilter: a list that requires a tag, read through the
// tag's index, compiles the rest of its filter, custom fields included
// (it was a 500: the README's own example).
func TestTagAndPropertyFilter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		want := jStr(e.create("A", ada("tags", []string{"vip"}, "properties", map[string]any{"tier": 2}))["id"])
		e.create("A", ada("tags", []string{"vip"}, "properties", map[string]any{"tier": 1}))
		e.create("A", ada("properties", map[string]any{"tier": 3}))
		for _, sort := range []string{"-updatedAt", "updatedAt", ""} {
			r := e.do("GET", "/v1/contacts?sort="+sort+"&filter="+url.QueryEscape(`{"tags":{"$in":["vip"]},"properties.tier":{"$gte":2},"address.city":{"$exists":false}}`), tok, nil)
			if r.status != http.StatusOK {
				t.Fatalf("sort %q: %d %s", sort, r.status, r.body)
			}
			data := jList(r.json(t)["data"])
			if len(data) != 1 || jStr(jObj(data[0])["id"]) != want {
				t.Fatalf("sort %q: %s", sort, r.body)
			}
		}
	})
}

// TestRateLimits: over HTTP, on both stores: a token over its rate gets
// 429 with Retry-After while other tokens go on, every answer carries the
// RateLimit fields, a tenant lowers its own rate (and cannot raise it past
// the server's), and an address sending bad tokens is slowed down while a
// valid token from it is not.
func TestRateLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnvWith(t, b, httpapi.Config{Version: "test", RateLimit: 1, TokenConcurrency: 4})
		read, all := e.tokens["A"]["contacts:read"], e.tokens["A"]["all"]
		start := time.Now()
		ok, limited := 0, 0
		for range 6 {
			r := e.do("GET", "/v1/contacts?limit=1", read, nil)
			switch r.status {
			case http.StatusOK:
				ok++
				if r.header.Get("RateLimit-Policy") != `"token";q=2;w=2` || !strings.HasPrefix(r.header.Get("RateLimit"), `"token";r=`) {
					t.Fatalf("RateLimit fields: %v", r.header)
				}
			case http.StatusTooManyRequests:
				limited++
				requireProblem(t, r, http.StatusTooManyRequests, "")
				if r.header.Get("Retry-After") != "1" {
					t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
				}
			default:
				t.Fatalf("status %d: %s", r.status, r.body)
			}
		}
		if extra := int(time.Since(start).Seconds()); ok < 2 || ok > 2+extra || limited == 0 {
			t.Fatalf("%d answered and %d refused of 6 in %v at 1/s with a burst of 2", ok, limited, time.Since(start))
		}
		// The admin token of the same tenant has its own bucket.
		if r := e.do("GET", "/v1/tenant", all, nil); r.status != http.StatusOK {
			t.Fatalf("another token: %d", r.status)
		}
		// A tenant may lower its rate but not raise it past the server's.
		admin := e.tokens["A"]["contacts:admin"]
		requireProblem(t, e.do("PATCH", "/v1/tenant", admin, map[string]any{"rateLimit": 0}), http.StatusBadRequest, "body.rateLimit")
		requireProblem(t, e.do("PATCH", "/v1/tenant", admin, map[string]any{"rateLimit": 2_000_000}), http.StatusBadRequest, "body.rateLimit")
		time.Sleep(2 * time.Second) // the admin tokens' buckets refill
		r := e.do("PATCH", "/v1/tenant", all, map[string]any{"rateLimit": 100})
		if r.status != http.StatusOK || jNum(r.json(t)["rateLimit"]) != 100 {
			t.Fatalf("rateLimit 100: %d %s", r.status, r.body)
		}
		if r := e.do("GET", "/v1/tenant", e.tokens["A"]["contacts:write"], nil); r.header.Get("RateLimit-Policy") != `"token";q=2;w=2` {
			t.Fatalf("a tenant raised its rate past the server's: %v", r.header.Get("RateLimit-Policy"))
		}
		if r := e.do("PATCH", "/v1/tenant", admin, map[string]any{"rateLimit": nil}); r.status != http.StatusOK || r.json(t)["rateLimit"] != nil {
			t.Fatalf("rateLimit null: %d %s", r.status, r.body)
		}
		// Bad tokens from one address: 20, then 429; a valid token still works.
		refused := 0
		for i := range 25 {
			r := e.do("GET", "/v1/contacts", "cdt_nope"+strings.Repeat("x", i), nil)
			if r.status == http.StatusTooManyRequests {
				refused++
			} else if r.status != http.StatusUnauthorized {
				t.Fatalf("bad token: %d", r.status)
			}
		}
		if refused < 4 {
			t.Fatalf("%d of 25 bad tokens refused with 429", refused)
		}
		if r := e.do("GET", "/v1/tenant", read, nil); r.status != http.StatusOK {
			t.Fatalf("a valid token from the same address: %d %s", r.status, r.body)
		}
	})
}

// TestSortByProperty: contacts sort by a custom field, numbers first (by
// value), then strings (bytewise), then the rest, ties by id, in both
// directions, paged by cursor without losing or repeating anyone.
func TestSortByProperty(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		values := []any{10, 2.5, -1, 100, "b", "a", "B", true, nil, map[string]any{"x": 1}, 2.5, "a"}
		var ids []string
		for i, v := range values {
			props := map[string]any{"crm": map[string]any{"score": v}}
			ids = append(ids, jStr(e.create("A", ada("lastName", fmt.Sprintf("P%02d", i), "properties", props))["id"]))
		}
		ids = append(ids, jStr(e.create("A", ada("lastName", "none"))["id"])) // no such property
		// The expected order: numbers, strings bytewise, then the rest; ids break ties.
		rank := func(i int) (int, float64, string) {
			if i >= len(values) {
				return 2, 0, ""
			}
			switch v := values[i].(type) {
			case int:
				return 0, float64(v), ""
			case float64:
				return 0, v, ""
			case string:
				return 1, 0, v
			}
			return 2, 0, ""
		}
		want := make([]int, len(ids))
		for i := range want {
			want[i] = i
		}
		sort.SliceStable(want, func(x, y int) bool {
			rx, nx, tx := rank(want[x])
			ry, ny, ty := rank(want[y])
			if rx != ry {
				return rx < ry
			}
			if nx != ny {
				return nx < ny
			}
			if tx != ty {
				return tx < ty
			}
			return ids[want[x]] < ids[want[y]]
		})
		for _, desc := range []bool{false, true} {
			var expect []string
			for _, i := range want {
				expect = append(expect, ids[i])
			}
			spec := "properties.crm.score"
			if desc {
				spec = "-" + spec
				slices.Reverse(expect)
			}
			var got []string
			cursor := ""
			for range 20 {
				r := e.do("GET", "/v1/contacts?limit=3&sort="+url.QueryEscape(spec)+cursor, tok, nil)
				if r.status != http.StatusOK {
					t.Fatalf("sort %s: %d %s", spec, r.status, r.body)
				}
				page := r.json(t)
				for _, c := range jList(page["data"]) {
					got = append(got, jStr(jObj(c)["id"]))
				}
				next := jStr(page["nextCursor"])
				if next == "" {
					break
				}
				cursor = "&cursor=" + url.QueryEscape(next)
			}
			if strings.Join(got, ",") != strings.Join(expect, ",") {
				t.Fatalf("sort %s:\n got %v\nwant %v", spec, got, expect)
			}
		}
		// With another key after it, and through the search body.
		if r := e.do("POST", "/v1/contacts/search", tok, map[string]any{"sort": "properties.crm.score,lastName", "limit": 1}); r.status != http.StatusOK {
			t.Fatalf("search sort: %d %s", r.status, r.body)
		}
		requireProblem(t, e.do("GET", "/v1/contacts?sort=properties.a..b", tok, nil), http.StatusBadRequest, "query.sort")
		requireProblem(t, e.do("GET", "/v1/contacts?sort=properties", tok, nil), http.StatusBadRequest, "query.sort")
		requireProblem(t, e.do("GET", "/v1/contacts?sort=address.city", tok, nil), http.StatusBadRequest, "query.sort")
	})
}
