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
			"GET /v1/tags": {query: "?limit=5&q=matrix", ok: 200},
			"POST /v1/tags": {body: func() any {
				return map[string]any{"name": fmt.Sprintf("made-by-matrix-%d", uniqSeq.Add(1)), "color": "#336699", "description": "from the matrix"}
			}, ok: 201},
			"GET /v1/tags/{tagId}": {ok: 200},
			"PATCH /v1/tags/{tagId}": {body: func() any {
				return map[string]any{"name": fmt.Sprintf("Renamed-%d", uniqSeq.Add(1)), "color": nil}
			}, ok: 200},
			"DELETE /v1/tags/{tagId}": {ok: 204},
		}
	})
	// Every target carries a tag of its own, so that renaming or deleting
	// it (from the right tenant only) changes the target.
	targetHooks = append(targetHooks, func(m mx, tenant string, tg *target) {
		m.t.Helper()
		tok := m.e.tokens[tenant]["all"]
		name := fmt.Sprintf("Matrix-Tag-%d", uniqSeq.Add(1))
		r := m.do("POST /v1/tags", true, "POST", "/v1/tags", tok, map[string]any{"name": name, "color": "#AA0000"})
		if r.status != http.StatusCreated {
			m.t.Fatalf("create target tag: status %d: %s", r.status, r.body)
		}
		tg.TagID = jStr(r.json(m.t)["id"])
		r = m.do("PATCH /v1/contacts/{id}", true, "PATCH", "/v1/contacts/"+tg.ID, tok, map[string]any{"tags": []string{strings.ToLower(name)}})
		if r.status != http.StatusOK {
			m.t.Fatalf("tag the target: status %d: %s", r.status, r.body)
		}
	})
}

// newTag creates a tag in a tenant and returns its JSON.
func (e *env) newTag(tenant string, body any) map[string]any {
	e.t.Helper()
	r := e.do("POST", "/v1/tags", e.tokens[tenant]["all"], body)
	if r.status != http.StatusCreated {
		e.t.Fatalf("create tag: status %d: %s", r.status, r.body)
	}
	return r.json(e.t)
}

// tagsOf returns a contact's tags as its tenant reads them.
func (e *env) tagsOf(tenant, id string) []string {
	e.t.Helper()
	r := e.do("GET", "/v1/contacts/"+id+"?includeDeleted=true", e.tokens[tenant]["all"], nil)
	wantStatus(e.t, r, http.StatusOK)
	out := []string{}
	for _, v := range jList(r.json(e.t)["tags"]) {
		out = append(out, jStr(v))
	}
	return out
}

// listContactIDs lists the ids of a tenant's contacts matching a filter.
func (e *env) listContactIDs(tenant, filter string) []string {
	e.t.Helper()
	r := e.do("GET", "/v1/contacts?limit=1000&sort=id&includeDeleted=true&filter="+url.QueryEscape(filter), e.tokens[tenant]["all"], nil)
	wantStatus(e.t, r, http.StatusOK)
	ids := []string{}
	for _, c := range jList(r.json(e.t)["data"]) {
		ids = append(ids, jStr(jObj(c)["id"]))
	}
	return ids
}

func sortedIDList(ids ...string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// wantProblemAt fails unless r is a 400 naming location.
func wantProblemAt(t *testing.T, r resp, location, what string) {
	t.Helper()
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), `"location":"`+location+`"`) {
		t.Errorf("%s: %d %s, want 400 naming %s", what, r.status, r.body, location)
	}
}

func TestTagCRUD(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		r := e.do("POST", "/v1/tags", tok, map[string]any{"name": "  VIP  ", "color": "#ff8800", "description": "Best customers", "id": "tag_ignored"})
		wantStatus(t, r, http.StatusCreated)
		vip := r.json(t)
		id := jStr(vip["id"])
		if !strings.HasPrefix(id, "tag_") || vip["name"] != "VIP" || vip["color"] != "#FF8800" || vip["description"] != "Best customers" ||
			r.header.Get("Location") != "/v1/tags/"+id || jStr(vip["createdAt"]) == "" || vip["updatedAt"] != vip["createdAt"] {
			t.Errorf("created tag: %s (Location %q)", r.body, r.header.Get("Location"))
		}
		if g := e.do("GET", "/v1/tags/"+id, tok, nil); g.status != http.StatusOK || !tagJSONEqual(g.json(t), vip) {
			t.Errorf("GET the tag: %d %s, want %v", g.status, g.body, vip)
		}

		// Names are unique without regard to case; the conflict names the tag.
		for _, name := range []string{"vip", "Vip", " VIP"} {
			r := e.do("POST", "/v1/tags", tok, map[string]any{"name": name})
			if r.status != http.StatusConflict || r.json(t)["conflictingId"] != id || r.json(t)["conflictingField"] != "name" {
				t.Errorf("POST a tag named %q: %d %s, want 409 naming %s", name, r.status, r.body, id)
			}
		}
		// Another tenant has its own registry.
		if r := e.do("POST", "/v1/tags", e.tokens["B"]["all"], map[string]any{"name": "vip"}); r.status != http.StatusCreated {
			t.Errorf("tenant B creating vip: %d %s", r.status, r.body)
		}
		if r := e.do("GET", "/v1/tags/"+id, e.tokens["B"]["all"], nil); r.status != http.StatusNotFound {
			t.Errorf("tenant B reading A's tag: %d, want 404", r.status)
		}

		// PATCH: a merge patch; null clears; read-only fields sent back
		// unchanged are ignored, changed ones are refused.
		r = e.do("PATCH", "/v1/tags/"+id, tok, map[string]any{"color": nil, "description": "Top tier", "id": id, "createdAt": vip["createdAt"]})
		wantStatus(t, r, http.StatusOK)
		if p := r.json(t); p["name"] != "VIP" || p["color"] != nil || p["description"] != "Top tier" {
			t.Errorf("patched tag: %s", r.body)
		}
		wantProblemAt(t, e.do("PATCH", "/v1/tags/"+id, tok, map[string]any{"id": "tag_other"}), "body.id", "PATCH changing the id")
		other := e.newTag("A", map[string]any{"name": "Gold"})
		r = e.do("PATCH", "/v1/tags/"+id, tok, map[string]any{"name": "GOLD"})
		if r.status != http.StatusConflict || r.json(t)["conflictingId"] != other["id"] {
			t.Errorf("renaming to another tag's name: %d %s, want 409 naming %v", r.status, r.body, other["id"])
		}
		if r := e.do("PATCH", "/v1/tags/"+id, tok, map[string]any{"name": "vip"}); r.status != http.StatusOK || r.json(t)["name"] != "vip" {
			t.Errorf("respelling the tag: %d %s", r.status, r.body)
		}

		// Validation names every field.
		long := strings.Repeat("x", 65)
		for _, tt := range []struct {
			method, body, loc string
		}{
			{"POST", `{}`, "body.name"},
			{"POST", `{"name": ""}`, "body.name"},
			{"POST", `{"name": "   "}`, "body.name"},
			{"POST", `{"name": "` + long + `"}`, "body.name"},
			{"POST", `{"name": 7}`, "body.name"},
			{"POST", `{"name": null}`, "body.name"},
			{"POST", `{"name": "ok", "color": "red"}`, "body.color"},
			{"POST", `{"name": "ok", "color": "#12345"}`, "body.color"},
			{"POST", `{"name": "ok", "description": "` + strings.Repeat("d", 256) + `"}`, "body.description"},
			{"POST", `{"name": "ok", "colour": "#123456"}`, "body.colour"},
			{"POST", `["name"]`, "body"},
			{"PATCH", `{"name": null}`, "body.name"},
			{"PATCH", `{"name": ""}`, "body.name"},
			{"PATCH", `{"nmae": "x"}`, "body.nmae"},
			{"PATCH", `{"updatedAt": "2001-01-01T00:00:00.000Z"}`, "body.updatedAt"},
		} {
			path := "/v1/tags"
			if tt.method == "PATCH" {
				path += "/" + id
			}
			wantProblemAt(t, e.do(tt.method, path, tok, tt.body), tt.loc, tt.method+" "+tt.body)
		}
		for _, m := range []string{"GET", "PATCH", "DELETE"} {
			var body any
			if m == "PATCH" {
				body = map[string]any{"color": "#000000"}
			}
			if r := e.do(m, "/v1/tags/tag_nosuchtag", tok, body); r.status != http.StatusNotFound {
				t.Errorf("%s an unknown tag: %d, want 404", m, r.status)
			}
		}
		if r := e.do("DELETE", "/v1/tags/"+jStr(other["id"]), tok, nil); r.status != http.StatusNoContent {
			t.Errorf("DELETE: %d %s", r.status, r.body)
		}
		if r := e.do("GET", "/v1/tags/"+jStr(other["id"]), tok, nil); r.status != http.StatusNotFound {
			t.Errorf("GET a deleted tag: %d, want 404", r.status)
		}
	})
}

func TestTagList(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		for _, n := range []string{"beta", "Alpha", "alps", "Gamma", "delta"} {
			e.newTag("A", map[string]any{"name": n})
		}
		e.newTag("B", map[string]any{"name": "also"})
		var names []string
		cursor := ""
		for pages := 0; ; pages++ {
			r := e.do("GET", "/v1/tags?limit=2&cursor="+url.QueryEscape(cursor), tok, nil)
			wantStatus(t, r, http.StatusOK)
			page := r.json(t)
			if jNum(page["total"]) != 5 || jNum(page["limit"]) != 2 {
				t.Errorf("page %d: %s, want total 5 and limit 2", pages, r.body)
			}
			for _, tg := range jList(page["data"]) {
				names = append(names, jStr(jObj(tg)["name"]))
			}
			if page["nextCursor"] == nil {
				break
			}
			cursor = jStr(page["nextCursor"])
			if pages > 5 {
				t.Fatal("the list does not end")
			}
		}
		if want := []string{"Alpha", "alps", "beta", "delta", "Gamma"}; !slices.Equal(names, want) {
			t.Errorf("tags in pages: %v, want %v", names, want)
		}
		r := e.do("GET", "/v1/tags?q=AL&count=false", tok, nil)
		wantStatus(t, r, http.StatusOK)
		if page := r.json(t); len(jList(page["data"])) != 2 || page["total"] != nil {
			t.Errorf("GET /v1/tags?q=AL&count=false: %s, want Alpha and alps without a total", r.body)
		}
		for _, q := range []string{"limit=0", "limit=1001", "cursor=nope", "count=maybe"} {
			if r := e.do("GET", "/v1/tags?"+q, tok, nil); r.status != http.StatusBadRequest {
				t.Errorf("GET /v1/tags?%s: %d, want 400", q, r.status)
			}
		}
	})
}

// TestTagRegistrySpelling: tagging a contact uses the registry's spelling
// and creates unknown tags.
func TestTagRegistrySpelling(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		e.newTag("A", map[string]any{"name": "VIP"})
		c := e.create("A", map[string]any{"firstName": "Ann", "tags": []string{"vip", "Enterprise", "enterprise"}})
		if got := jList(c["tags"]); len(got) != 2 || got[0] != "VIP" || got[1] != "Enterprise" {
			t.Errorf("tags of a new contact: %v, want [VIP Enterprise]", got)
		}
		r := e.do("GET", "/v1/tags?q=enter", tok, nil)
		wantStatus(t, r, http.StatusOK)
		if data := jList(r.json(t)["data"]); len(data) != 1 || jObj(data[0])["name"] != "Enterprise" {
			t.Errorf("the tag created by tagging: %s", r.body)
		}
		// PATCH and the bulk path resolve alike; another tenant's registry
		// is not consulted.
		r = e.do("PATCH", "/v1/contacts/"+jStr(c["id"]), tok, map[string]any{"tags": []string{"ENTERPRISE", "new one"}})
		wantStatus(t, r, http.StatusOK)
		if got := jList(r.json(t)["tags"]); len(got) != 2 || got[0] != "Enterprise" || got[1] != "new one" {
			t.Errorf("tags after PATCH: %v", got)
		}
		other := e.create("B", map[string]any{"firstName": "Bob", "tags": []string{"vip"}})
		if got := jList(other["tags"]); len(got) != 1 || got[0] != "vip" {
			t.Errorf("tenant B's contact tagged vip: %v, want its own spelling", got)
		}
		if r := e.do("GET", "/v1/contacts?filter="+url.QueryEscape(`{"tags":"ENTERPRISE"}`), tok, nil); len(jList(r.json(t)["data"])) != 1 {
			t.Errorf("filter tags=ENTERPRISE: %s", r.body)
		}
	})
}

// TestTagRenameAndDeletePropagate: renaming or deleting a tag changes every
// contact carrying it, with history and change-feed entries.
func TestTagRenameAndDeletePropagate(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		vip := e.newTag("A", map[string]any{"name": "vip"})
		id := jStr(vip["id"])
		c1 := e.create("A", map[string]any{"firstName": "One", "tags": []string{"vip", "customer"}})
		c2 := e.create("A", map[string]any{"firstName": "Two", "tags": []string{"customer"}})
		c3 := e.create("A", map[string]any{"firstName": "Three", "tags": []string{"VIP"}})
		wantStatus(t, e.do("DELETE", "/v1/contacts/"+jStr(c3["id"]), tok, nil), http.StatusNoContent)
		theirs := e.create("B", map[string]any{"firstName": "Theirs", "tags": []string{"vip"}})
		feedBefore := len(e.feed(tok, ""))

		r := e.do("PATCH", "/v1/tags/"+id, e.tokens["A"]["contacts:write"], map[string]any{"name": "Premium"})
		wantStatus(t, r, http.StatusOK)
		if got := e.tagsOf("A", jStr(c1["id"])); !slices.Equal(got, []string{"Premium", "customer"}) {
			t.Errorf("c1 after the rename: %v", got)
		}
		if got := e.tagsOf("A", jStr(c3["id"])); !slices.Equal(got, []string{"Premium"}) {
			t.Errorf("the deleted c3 after the rename: %v", got)
		}
		if got := e.tagsOf("A", jStr(c2["id"])); !slices.Equal(got, []string{"customer"}) {
			t.Errorf("c2 after the rename: %v", got)
		}
		if got := e.tagsOf("B", jStr(theirs["id"])); !slices.Equal(got, []string{"vip"}) {
			t.Errorf("tenant B's contact after A's rename: %v", got)
		}
		g := e.do("GET", "/v1/contacts/"+jStr(c1["id"]), tok, nil)
		if g.header.Get("ETag") != `"2"` || g.json(t)["updatedBy"] != "svc-contacts:write" {
			t.Errorf("c1 after the rename: ETag %s, %s; want version 2 updated by the renamer", g.header.Get("ETag"), g.body)
		}
		h := e.historyOf(tok, jStr(c1["id"]))
		last := h[len(h)-1]
		tags := jObj(jObj(last["fields"])["tags"])
		if last["type"] != "updated" || last["actor"] != "svc-contacts:write" || !tagJSONEqual(tags["old"], []any{"vip", "customer"}) ||
			!tagJSONEqual(tags["new"], []any{"Premium", "customer"}) || len(jObj(last["fields"])) != 1 {
			t.Errorf("c1's history entry for the rename: %v", last)
		}
		if n := len(e.feed(tok, "")); n != feedBefore+2 {
			t.Errorf("the change feed grew by %d, want 2 (c1 and c3)", n-feedBefore)
		}
		if got, want := e.listContactIDs("A", `{"tags":"premium"}`), sortedIDList(jStr(c1["id"]), jStr(c3["id"])); !slices.Equal(got, want) {
			t.Errorf("contacts tagged premium: %v, want %v", got, want)
		}
		// A contact tagged again with the old spelling gets the new one.
		r = e.do("PATCH", "/v1/contacts/"+jStr(c2["id"]), tok, map[string]any{"tags": []string{"PREMIUM"}})
		if got := jList(r.json(t)["tags"]); len(got) != 1 || got[0] != "Premium" {
			t.Errorf("tagging PREMIUM after the rename: %v", got)
		}

		wantStatus(t, e.do("DELETE", "/v1/tags/"+id, e.tokens["A"]["contacts:write"], nil), http.StatusForbidden)
		wantStatus(t, e.do("DELETE", "/v1/tags/"+id, e.tokens["A"]["contacts:delete"], nil), http.StatusNoContent)
		for _, c := range []map[string]any{c1, c2, c3} {
			if got := e.tagsOf("A", jStr(c["id"])); slices.Contains(got, "Premium") {
				t.Errorf("%s still tagged after the delete: %v", c["firstName"], got)
			}
		}
		h = e.historyOf(tok, jStr(c1["id"]))
		last = h[len(h)-1]
		tags = jObj(jObj(last["fields"])["tags"])
		if len(h) != 3 || last["actor"] != "svc-contacts:delete" || !tagJSONEqual(tags["new"], []any{"customer"}) {
			t.Errorf("c1's history after the delete: %v", h)
		}
		if got := e.listContactIDs("A", `{"tags":"premium"}`); len(got) != 0 {
			t.Errorf("contacts tagged premium after the delete: %v", got)
		}
		if got := e.tagsOf("B", jStr(theirs["id"])); !slices.Equal(got, []string{"vip"}) {
			t.Errorf("tenant B's contact after A's delete: %v", got)
		}
	})
}

// tagJSONEqual reports whether two decoded JSON values are equal.
func tagJSONEqual(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}
