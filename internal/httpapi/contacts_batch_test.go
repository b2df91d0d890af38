package httpapi_test

import (
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/contactd/contactd/internal/storetest"
)

// batch posts a batch and returns its results.
func (e *env) batch(token string, atomic bool, ops ...any) []map[string]any {
	e.t.Helper()
	path := "/v1/contacts/batch"
	if atomic {
		path += "?atomic=true"
	}
	r := e.do("POST", path, token, map[string]any{"operations": ops})
	wantStatus(e.t, r, http.StatusOK)
	var out []map[string]any
	for _, x := range jList(r.json(e.t)["results"]) {
		out = append(out, jObj(x))
	}
	if len(out) != len(ops) {
		e.t.Fatalf("%d results for %d operations: %s", len(out), len(ops), r.body)
	}
	for i, res := range out {
		if jNum(res["index"]) != float64(i) {
			e.t.Errorf("result %d has index %v", i, res["index"])
		}
	}
	return out
}

// statuses lists the status of each result.
func statuses(rs []map[string]any) []string {
	var out []string
	for _, r := range rs {
		out = append(out, jStr(r["status"]))
	}
	return out
}

// wantResultProblem fails unless result r failed with status and (when
// loc is not "") a field problem at loc.
func wantResultProblem(t *testing.T, r map[string]any, status int, loc string) map[string]any {
	t.Helper()
	p := jObj(r["error"])
	if r["status"] != "error" || int(jNum(p["status"])) != status {
		t.Errorf("result %v: want status error with a %d problem", r, status)
		return p
	}
	if _, ok := r["id"]; ok {
		t.Errorf("a failed result has an id: %v", r)
	}
	if loc == "" {
		return p
	}
	for _, f := range jList(p["errors"]) {
		if jObj(f)["location"] == loc {
			return p
		}
	}
	t.Errorf("result %v: no problem at %s", r, loc)
	return p
}

func TestBatchOperations(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		ada := e.create("A", map[string]any{"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.org", "externalId": "crm-ada"})
		bob := e.create("A", map[string]any{"firstName": "Bob", "email": "bob@example.org"})
		cyd := e.create("A", map[string]any{"firstName": "Cyd", "externalId": "crm-cyd"})
		dee := e.create("A", map[string]any{"firstName": "Dee", "lastName": "Dee", "jobTitle": "Chief", "email": "dee@example.org", "externalId": "crm-dee"})
		eve := e.create("A", map[string]any{"firstName": "Eve"})
		feedBefore := len(e.feed(tok, ""))

		rs := e.batch(tok, false,
			map[string]any{"op": "create", "contact": map[string]any{"firstName": "New", "lastName": "One", "tags": []any{"batched"}}},
			map[string]any{"op": "update", "id": jStr(ada["id"]), "contact": map[string]any{"jobTitle": "Countess", "notes": "wrote the first program"}},
			map[string]any{"op": "update", "email": "BOB@example.org", "contact": map[string]any{"company": "Builders"}},
			map[string]any{"op": "upsert", "externalId": "crm-new", "contact": map[string]any{"firstName": "Upserted", "phone": "+14155550123"}},
			map[string]any{"op": "upsert", "externalId": "crm-dee", "contact": map[string]any{"firstName": "Deirdre", "email": "dee@example.org"}},
			map[string]any{"op": "upsert", "email": "fresh@example.org", "contact": map[string]any{"firstName": "Fresh"}},
			map[string]any{"op": "delete", "externalId": "crm-cyd"},
			map[string]any{"op": "update", "id": jStr(eve["id"]), "contact": map[string]any{"firstName": "Eve"}},
		)
		want := []string{"created", "updated", "updated", "created", "updated", "created", "deleted", "unchanged"}
		if got := statuses(rs); !slices.Equal(got, want) {
			t.Fatalf("statuses %v, want %v: %v", got, want, rs)
		}
		get := func(id string) map[string]any {
			return e.do("GET", "/v1/contacts/"+id+"?includeDeleted=true", tok, nil).json(t)
		}
		for i, r := range rs {
			c := get(jStr(r["id"]))
			if c["version"] != r["version"] {
				t.Errorf("result %d: version %v, the contact is at %v", i, r["version"], c["version"])
			}
		}
		if c := get(jStr(rs[0]["id"])); c["firstName"] != "New" || !reflect.DeepEqual(c["tags"], []any{"batched"}) || c["source"] != "api" {
			t.Errorf("created %v", c)
		}
		if c := get(jStr(ada["id"])); c["jobTitle"] != "Countess" || c["firstName"] != "Ada" || c["version"] != 2.0 {
			t.Errorf("ada after the update: %v", c)
		}
		if c := get(jStr(dee["id"])); c["jobTitle"] != nil || c["firstName"] != "Deirdre" || c["lastName"] != nil || c["externalId"] != "crm-dee" || c["version"] != 2.0 {
			// The upsert replaced the contact: absent fields cleared.
			t.Errorf("dee after the upsert: %v", c)
		}
		if rs[7]["id"] != eve["id"] || rs[7]["version"] != 1.0 {
			t.Errorf("unchanged %v", rs[7])
		}
		if c := get(jStr(bob["id"])); c["company"] != "Builders" {
			t.Errorf("bob %v", c)
		}
		if c := get(jStr(rs[3]["id"])); c["externalId"] != "crm-new" || jStr(jObj(jList(c["phones"])[0])["e164"]) != "+14155550123" {
			t.Errorf("upsert-created %v", c)
		}
		if c := get(jStr(rs[5]["id"])); jStr(jObj(jList(c["emails"])[0])["address"]) != "fresh@example.org" {
			t.Errorf("upsert by email: the key email is not the contact's: %v", c)
		}
		if rs[6]["id"] != cyd["id"] || get(jStr(cyd["id"]))["deletedAt"] == nil {
			t.Errorf("cyd not deleted: %v", rs[6])
		}
		// Each write has its change, in the batch's order, numbered on.
		feed := e.feed(tok, "")[feedBefore:]
		var got []string
		for _, ch := range feed {
			got = append(got, jStr(ch["type"])+" "+jStr(ch["contactId"]))
		}
		var wantFeed []string
		for i, r := range rs[:7] {
			wantFeed = append(wantFeed, map[int]string{0: "created", 3: "created", 5: "created", 6: "deleted"}[i]+" "+jStr(r["id"]))
			if wantFeed[i][0] == ' ' {
				wantFeed[i] = "updated" + wantFeed[i]
			}
		}
		if !slices.Equal(got, wantFeed) {
			t.Errorf("feed %v, want %v", got, wantFeed)
		}
		for i := 1; i < len(feed); i++ {
			if jNum(feed[i]["seq"]) != jNum(feed[i-1]["seq"])+1 {
				t.Errorf("change numbers %v then %v: a gap", feed[i-1]["seq"], feed[i]["seq"])
			}
		}
		if h := e.historyOf(tok, jStr(ada["id"])); len(h) != 2 || jObj(jObj(h[1]["fields"])["notes"])["new"] != "wrote the first program" {
			t.Errorf("ada's history %v", h)
		}
		if got := pageIDs(e.list(tok, "q", "program")); !slices.Equal(got, []string{jStr(ada["id"])}) {
			t.Errorf("q=program finds %v, want ada by her notes", got)
		}
	})
}

func TestBatchFailuresStandAlone(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		taken := e.create("A", map[string]any{"firstName": "Taken", "email": "taken@example.org", "externalId": "crm-taken"})
		gone := e.create("A", map[string]any{"firstName": "Gone"})
		wantStatus(t, e.do("DELETE", "/v1/contacts/"+jStr(gone["id"]), tok, nil), http.StatusNoContent)
		total := func() int { return len(e.feed(tok, "")) }
		before := total()

		rs := e.batch(tok, false,
			map[string]any{"op": "create", "contact": map[string]any{"firstName": "Good", "email": "good@example.org"}},
			map[string]any{"op": "create", "contact": map[string]any{"firstName": "Bad", "emails": []any{map[string]any{"address": "not an email"}}}},
			map[string]any{"op": "create", "contact": map[string]any{"firstName": "Clash", "email": "TAKEN@example.org"}},
			map[string]any{"op": "update", "id": "ct_01nosuchcontact000000000000", "contact": map[string]any{"firstName": "X"}},
			map[string]any{"op": "delete", "id": jStr(gone["id"])},
			map[string]any{"op": "merge", "id": jStr(taken["id"])},
			map[string]any{"op": "update", "contact": map[string]any{"firstName": "No key"}},
			map[string]any{"op": "create", "id": "ct_x", "contact": map[string]any{"firstName": "Keyed"}},
			map[string]any{"op": "upsert", "id": jStr(taken["id"]), "contact": map[string]any{"firstName": "By id"}},
			map[string]any{"op": "update", "id": jStr(taken["id"]), "contact": map[string]any{"firstName": 7}},
			map[string]any{"op": "create", "contact": map[string]any{"firstName": "Unknown", "shoeSize": 44}},
			map[string]any{"op": "create"},
			"not an object",
			map[string]any{"op": "upsert", "externalId": "crm-other", "contact": map[string]any{"firstName": "Other", "externalId": "crm-else"}},
			map[string]any{"op": "create", "contact": map[string]any{"firstName": "Ref", "accountId": "acc_01nosuchaccount000000000000"}},
			map[string]any{"op": "create", "contact": map[string]any{"firstName": "Good too", "email": "good2@example.org"}},
		)
		if rs[0]["status"] != "created" || rs[15]["status"] != "created" {
			t.Fatalf("the good operations failed with the bad: %v", rs)
		}
		wantResultProblem(t, rs[1], 400, "body.operations[1].contact.emails[0].address")
		p := wantResultProblem(t, rs[2], 409, "body.operations[2].contact.emails[0].address")
		if p["conflictingId"] != taken["id"] || p["conflictingField"] != "email" {
			t.Errorf("conflict %v, want taken's id and email", p)
		}
		wantResultProblem(t, rs[3], 404, "")
		wantResultProblem(t, rs[4], 404, "")
		wantResultProblem(t, rs[5], 400, "body.operations[5].op")
		wantResultProblem(t, rs[6], 400, "body.operations[6]")
		wantResultProblem(t, rs[7], 400, "body.operations[7]")
		wantResultProblem(t, rs[8], 400, "body.operations[8]")
		wantResultProblem(t, rs[9], 400, "body.operations[9].contact.firstName")
		wantResultProblem(t, rs[10], 400, "body.operations[10].contact.shoeSize")
		wantResultProblem(t, rs[11], 400, "body.operations[11].contact")
		wantResultProblem(t, rs[12], 400, "body.operations[12]")
		wantResultProblem(t, rs[13], 400, "body.operations[13].contact.externalId")
		wantResultProblem(t, rs[14], 400, "body.operations[14].contact.accountId")
		if n := total() - before; n != 2 {
			t.Errorf("%d changes written, want 2 (the good creates)", n)
		}
		if c := e.do("GET", "/v1/contacts/"+jStr(taken["id"]), tok, nil).json(t); c["version"] != 1.0 {
			t.Errorf("a failed operation changed its contact: %v", c)
		}
	})
}

func TestBatchClaimsWithin(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		x := e.create("A", map[string]any{"firstName": "X", "email": "x@example.org"})
		rs := e.batch(tok, false,
			map[string]any{"op": "create", "contact": map[string]any{"firstName": "First", "email": "dup@example.org"}},
			map[string]any{"op": "create", "contact": map[string]any{"firstName": "Second", "emails": []any{map[string]any{"address": "other@example.org"}, map[string]any{"address": "Dup@example.org"}}}},
			map[string]any{"op": "upsert", "externalId": "crm-1", "contact": map[string]any{"firstName": "One"}},
			map[string]any{"op": "create", "contact": map[string]any{"firstName": "Also one", "externalId": "crm-1"}},
			map[string]any{"op": "update", "id": jStr(x["id"]), "contact": map[string]any{"jobTitle": "Boss"}},
			map[string]any{"op": "delete", "email": "x@example.org"},
			// Moving an address from one contact to another in one batch
			// is two claims of it: take it away first, in its own batch.
			map[string]any{"op": "update", "id": jStr(x["id"]), "contact": map[string]any{"emails": nil}},
		)
		if got, want := statuses(rs), []string{"created", "error", "created", "error", "updated", "error", "error"}; !slices.Equal(got, want) {
			t.Fatalf("statuses %v, want %v: %v", got, want, rs)
		}
		p := wantResultProblem(t, rs[1], 409, "body.operations[1].contact.emails[1].address")
		if p["conflictingId"] != rs[0]["id"] || p["conflictingField"] != "email" || !strings.Contains(jStr(p["detail"]), "operation 0") {
			t.Errorf("in-batch email clash %v, want operation 0's contact", p)
		}
		p = wantResultProblem(t, rs[3], 409, "body.operations[3].contact.externalId")
		if p["conflictingId"] != rs[2]["id"] {
			t.Errorf("in-batch external id clash %v", p)
		}
		for _, i := range []int{5, 6} {
			if p := wantResultProblem(t, rs[i], 409, ""); p["conflictingId"] != x["id"] {
				t.Errorf("second operation on one contact: %v", p)
			}
		}
		if got := pageIDs(e.list(tok, "q", "second")); len(got) != 0 {
			t.Errorf("the clashing create was written: %v", got)
		}
	})
}

func TestBatchAtomic(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		e.create("A", map[string]any{"firstName": "Taken", "email": "taken@example.org"})
		x := e.create("A", map[string]any{"firstName": "X"})
		before := len(e.feed(tok, ""))
		for name, bad := range map[string]map[string]any{
			"invalid":  {"op": "create", "contact": map[string]any{"birthday": "soon", "firstName": "B"}},
			"conflict": {"op": "create", "contact": map[string]any{"firstName": "B", "email": "taken@example.org"}},
			"missing":  {"op": "delete", "id": "ct_01nosuchcontact000000000000"},
		} {
			rs := e.batch(tok, true,
				map[string]any{"op": "create", "contact": map[string]any{"firstName": "A " + name, "tags": []any{"atomic-" + name}}},
				map[string]any{"op": "update", "id": jStr(x["id"]), "contact": map[string]any{"jobTitle": name}},
				bad,
			)
			for i := range 2 {
				p := wantResultProblem(t, rs[i], 424, "")
				if !strings.Contains(jStr(p["detail"]), "operation 2") {
					t.Errorf("%s: aborted operation %d: %v", name, i, p)
				}
			}
			if rs[2]["status"] != "error" || jNum(jObj(rs[2]["error"])["status"]) == 424 {
				t.Errorf("%s: the failing operation %v", name, rs[2])
			}
			if n := len(e.feed(tok, "")); n != before {
				t.Errorf("%s: an atomic batch that failed wrote %d changes", name, n-before)
			}
			if r := e.do("GET", "/v1/tags?limit=100", tok, nil); strings.Contains(string(r.body), "atomic-"+name) {
				t.Errorf("%s: the failed batch's tag was created", name)
			}
		}
		if c := e.do("GET", "/v1/contacts/"+jStr(x["id"]), tok, nil).json(t); c["version"] != 1.0 {
			t.Errorf("x changed: %v", c)
		}
		rs := e.batch(tok, true,
			map[string]any{"op": "create", "contact": map[string]any{"firstName": "All"}},
			map[string]any{"op": "update", "id": jStr(x["id"]), "contact": map[string]any{"jobTitle": "ok"}},
		)
		if got := statuses(rs); !slices.Equal(got, []string{"created", "updated"}) {
			t.Errorf("an atomic batch that holds: %v", rs)
		}
	})
}

func TestBatchRequest(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		many := make([]any, 1001)
		for i := range many {
			many[i] = map[string]any{"op": "create", "contact": map[string]any{"firstName": "N"}}
		}
		for _, tc := range []struct {
			body any
			loc  string
		}{
			{map[string]any{"operations": many}, "body.operations"},
			{map[string]any{"operations": []any{}}, "body.operations"},
			{map[string]any{"operations": nil}, "body.operations"},
			{map[string]any{}, "body.operations"},
			{map[string]any{"operations": "all"}, "body.operations"},
			{map[string]any{"operations": []any{}, "atomic": true}, "body.atomic"},
			{`[1, 2]`, "body"},
			{`{"operations": [`, "body"},
		} {
			requireProblem(t, e.do("POST", "/v1/contacts/batch", tok, tc.body), http.StatusBadRequest, tc.loc)
		}
		requireProblem(t, e.do("POST", "/v1/contacts/batch?atomic=maybe", tok, map[string]any{"operations": many[:1]}), http.StatusBadRequest, "query.atomic")
		if n := len(e.feed(tok, "")); n != 0 {
			t.Errorf("refused batches wrote %d changes", n)
		}

		// 1,000 operations are accepted.
		rs := e.batch(tok, false, many[:1000]...)
		if got := statuses(rs); len(got) != 1000 || slices.ContainsFunc(got, func(s string) bool { return s != "created" }) {
			t.Errorf("1000 creates: %v", got[:5])
		}

		// An Idempotency-Key replays the first answer and writes once.
		body := map[string]any{"operations": []any{map[string]any{"op": "create", "contact": map[string]any{"firstName": "Once"}}}}
		r1 := e.do("POST", "/v1/contacts/batch", tok, body, "Idempotency-Key", "batch-1")
		r2 := e.do("POST", "/v1/contacts/batch", tok, body, "Idempotency-Key", "batch-1")
		wantStatus(t, r2, http.StatusOK)
		if string(r1.body) != string(r2.body) || r2.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay %s, first %s", r2.body, r1.body)
		}
		if got := pageIDs(e.list(tok, "q", "once")); len(got) != 1 {
			t.Errorf("a replayed batch wrote again: %v", got)
		}
		body["operations"] = append(body["operations"].([]any), map[string]any{"op": "create", "contact": map[string]any{"firstName": "Twice"}})
		requireProblem(t, e.do("POST", "/v1/contacts/batch", tok, body, "Idempotency-Key", "batch-1"), http.StatusConflict, "")
	})
}

// TestBatchScopesAndTenants: the route needs contacts:admin, and each
// operation the scope of its own request; another tenant's contacts are
// not found, its external ids and emails are free to use.
func TestBatchScopesAndTenants(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		a := e.create("A", map[string]any{"firstName": "A's", "email": "shared@example.org", "externalId": "crm-shared"})
		ops := []any{
			map[string]any{"op": "create", "contact": map[string]any{"firstName": "C"}},
			map[string]any{"op": "delete", "id": jStr(a["id"])},
		}
		adminOnly := e.tokens["A"]["contacts:admin"]
		rs := e.batch(adminOnly, false, ops...)
		wantResultProblem(t, rs[0], 403, "")
		wantResultProblem(t, rs[1], 403, "")

		bTok := e.tokens["B"]["all"]
		rs = e.batch(bTok, false,
			map[string]any{"op": "update", "id": jStr(a["id"]), "contact": map[string]any{"firstName": "Hijacked"}},
			map[string]any{"op": "update", "email": "shared@example.org", "contact": map[string]any{"firstName": "Hijacked"}},
			map[string]any{"op": "delete", "externalId": "crm-shared"},
			map[string]any{"op": "upsert", "externalId": "crm-shared", "contact": map[string]any{"firstName": "B's own", "email": "shared@example.org"}},
		)
		for i := range 3 {
			wantResultProblem(t, rs[i], 404, "")
		}
		if rs[3]["status"] != "created" || rs[3]["id"] == a["id"] {
			t.Errorf("B's upsert of A's external id: %v, want a new contact of B", rs[3])
		}
		if c := e.do("GET", "/v1/contacts/"+jStr(a["id"]), e.tokens["A"]["all"], nil).json(t); c["version"] != 1.0 || c["firstName"] != "A's" {
			t.Errorf("A's contact changed: %v", c)
		}
		for _, ch := range e.feed(bTok, "") {
			if ch["contactId"] == a["id"] {
				t.Errorf("B's feed mentions A's contact: %v", ch)
			}
		}
		if got := fmt.Sprint(statuses(e.batch(e.tokens["A"]["all"], false, ops...))); got != "[created deleted]" {
			t.Errorf("with every scope: %s", got)
		}
	})
}
