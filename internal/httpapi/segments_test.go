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
		// The membership operations take ids the case cannot know (the
		// target is made afterwards): an empty list changes nothing and
		// answers the segment.
		noMembers := map[string]any{"contactIds": []string{}}
		return map[string]routeCase{
			"GET /v1/segments": {query: "?kind=static&limit=5", ok: 200},
			"POST /v1/segments": {body: map[string]any{"name": "Made by matrix", "kind": "dynamic",
				"filter": map[string]any{"tags": map[string]any{"$in": []string{"vip"}}, "doNotCall": false}}, ok: 201},
			"GET /v1/segments/{segmentId}":            {ok: 200},
			"PATCH /v1/segments/{segmentId}":          {body: map[string]any{"name": "Renamed by matrix", "description": nil}, ok: 200},
			"DELETE /v1/segments/{segmentId}":         {ok: 204},
			"POST /v1/segments/{segmentId}/members":   {body: noMembers, ok: 200},
			"DELETE /v1/segments/{segmentId}/members": {body: noMembers, ok: 200},
			"GET /v1/segments/{segmentId}/contacts":   {query: "?limit=5&sort=-updatedAt", ok: 200},
		}
	})
	// Every target is a member of a static segment of its tenant.
	targetHooks = append(targetHooks, func(m mx, tenant string, tg *target) {
		m.t.Helper()
		tok := m.e.tokens[tenant]["all"]
		r := m.do("POST /v1/segments", true, "POST", "/v1/segments", tok, map[string]any{"name": "Matrix " + tg.ID, "description": "the target's"})
		if r.status != http.StatusCreated {
			m.t.Fatalf("create target segment: status %d: %s", r.status, r.body)
		}
		tg.SegmentID = jStr(r.json(m.t)["id"])
		r = m.do("POST /v1/segments/{segmentId}/members", true, "POST", "/v1/segments/"+tg.SegmentID+"/members", tok, map[string]any{"contactIds": []string{tg.ID}})
		if r.status != http.StatusOK || jNum(r.json(m.t)["memberCount"]) != 1 {
			m.t.Fatalf("add the target to its segment: status %d: %s", r.status, r.body)
		}
	})
}

// newSegment creates a segment in a tenant and returns its JSON.
func (e *env) newSegment(tenant string, body any) map[string]any {
	e.t.Helper()
	r := e.do("POST", "/v1/segments", e.tokens[tenant]["all"], body)
	if r.status != http.StatusCreated {
		e.t.Fatalf("create segment: status %d: %s", r.status, r.body)
	}
	return r.json(e.t)
}

// segmentContactIDs lists the ids of a segment's contacts.
func (e *env) segmentContactIDs(tenant, id string) []string {
	e.t.Helper()
	r := e.do("GET", "/v1/segments/"+id+"/contacts?limit=1000&sort=id", e.tokens[tenant]["all"], nil)
	wantStatus(e.t, r, http.StatusOK)
	ids := []string{}
	for _, c := range jList(r.json(e.t)["data"]) {
		ids = append(ids, jStr(jObj(c)["id"]))
	}
	return ids
}

func memberIDs(cs ...map[string]any) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, jStr(c["id"]))
	}
	slices.Sort(out)
	return out
}

func TestSegmentCRUD(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		r := e.do("POST", "/v1/segments", tok, map[string]any{"name": " Newsletter ", "description": "Monthly", "memberCount": 5})
		wantStatus(t, r, http.StatusCreated)
		st := r.json(t)
		sid := jStr(st["id"])
		if !strings.HasPrefix(sid, "seg_") || st["name"] != "Newsletter" || st["kind"] != "static" || jNum(st["memberCount"]) != 0 ||
			st["filter"] != nil || r.header.Get("Location") != "/v1/segments/"+sid {
			t.Errorf("created static segment: %s", r.body)
		}
		dyn := e.newSegment("A", map[string]any{"name": "VIPs", "kind": "dynamic", "filter": map[string]any{"tags": "vip"}})
		did := jStr(dyn["id"])
		if dyn["kind"] != "dynamic" || !tagJSONEqual(dyn["filter"], map[string]any{"tags": "vip"}) || dyn["memberCount"] != nil {
			t.Errorf("created dynamic segment: %v", dyn)
		}
		if g := e.do("GET", "/v1/segments/"+did, tok, nil); g.status != http.StatusOK || !tagJSONEqual(g.json(t), dyn) {
			t.Errorf("GET the dynamic segment: %d %s", g.status, g.body)
		}
		r = e.do("GET", "/v1/segments?limit=1", tok, nil)
		wantStatus(t, r, http.StatusOK)
		page := r.json(t)
		if data := jList(page["data"]); len(data) != 1 || jObj(data[0])["id"] != sid || jNum(page["total"]) != 2 || page["nextCursor"] == nil {
			t.Errorf("first page of segments: %s", r.body)
		}
		r = e.do("GET", "/v1/segments?limit=1&cursor="+url.QueryEscape(jStr(page["nextCursor"])), tok, nil)
		if data := jList(r.json(t)["data"]); len(data) != 1 || jObj(data[0])["id"] != did || r.json(t)["nextCursor"] != nil {
			t.Errorf("second page of segments: %s", r.body)
		}
		if r := e.do("GET", "/v1/segments?kind=dynamic", tok, nil); len(jList(r.json(t)["data"])) != 1 {
			t.Errorf("dynamic segments: %s", r.body)
		}

		r = e.do("PATCH", "/v1/segments/"+did, tok, map[string]any{"name": "Top", "description": "d", "filter": map[string]any{"tags": "gold"}, "kind": "dynamic", "id": did})
		wantStatus(t, r, http.StatusOK)
		if p := r.json(t); p["name"] != "Top" || p["description"] != "d" || !tagJSONEqual(p["filter"], map[string]any{"tags": "gold"}) {
			t.Errorf("patched segment: %s", r.body)
		}
		if r := e.do("PATCH", "/v1/segments/"+did, tok, map[string]any{"description": nil}); r.status != http.StatusOK || r.json(t)["description"] != nil {
			t.Errorf("clearing the description: %d %s", r.status, r.body)
		}

		// Validation names the field, filters included.
		for _, tt := range []struct {
			method, path, body, loc string
		}{
			{"POST", "", `{}`, "body.name"},
			{"POST", "", `{"name": ""}`, "body.name"},
			{"POST", "", `{"name": "` + strings.Repeat("n", 129) + `"}`, "body.name"},
			{"POST", "", `{"name": "x", "description": "` + strings.Repeat("d", 256) + `"}`, "body.description"},
			{"POST", "", `{"name": "x", "kind": "smart"}`, "body.kind"},
			{"POST", "", `{"name": "x", "kind": "dynamic"}`, "body.filter"},
			{"POST", "", `{"name": "x", "kind": "static", "filter": {"tags": "vip"}}`, "body.filter"},
			{"POST", "", `{"name": "x", "kind": "dynamic", "filter": "tags=vip"}`, "body.filter"},
			{"POST", "", `{"name": "x", "kind": "dynamic", "filter": {"nope": 1}}`, "body.filter.nope"},
			{"POST", "", `{"name": "x", "kind": "dynamic", "filter": {"tags": {"$gt": "a"}}}`, "body.filter.tags.$gt"},
			{"POST", "", `{"name": "x", "kind": "dynamic", "filter": {"segments": "seg_nosuchsegment"}}`, "body.filter"},
			{"POST", "", `{"name": "x", "members": []}`, "body.members"},
			{"POST", "", `{"name": 1}`, "body.name"},
			{"PATCH", "/" + did, `{"kind": "static"}`, "body.kind"},
			{"PATCH", "/" + did, `{"filter": null}`, "body.filter"},
			{"PATCH", "/" + did, `{"filter": {"segments": "` + did + `"}}`, "body.filter"},
			{"PATCH", "/" + did, `{"memberCount": 3}`, "body.memberCount"},
			{"PATCH", "/" + sid, `{"filter": {"tags": "vip"}}`, "body.filter"},
			{"PATCH", "/" + sid, `{"name": null}`, "body.name"},
		} {
			wantProblemAt(t, e.do(tt.method, "/v1/segments"+tt.path, tok, tt.body), tt.loc, tt.method+" "+tt.path+" "+tt.body)
		}
		// A cycle through another segment is refused too.
		via := e.newSegment("A", map[string]any{"name": "Via", "kind": "dynamic", "filter": map[string]any{"segments": did}})
		wantProblemAt(t, e.do("PATCH", "/v1/segments/"+did, tok, map[string]any{"filter": map[string]any{"$or": []any{
			map[string]any{"tags": "x"}, map[string]any{"segments": map[string]any{"$in": []string{jStr(via["id"])}}}}}}), "body.filter", "a cycle of two segments")

		for _, m := range []string{"GET", "PATCH", "DELETE"} {
			var body any
			if m == "PATCH" {
				body = map[string]any{"name": "x"}
			}
			if r := e.do(m, "/v1/segments/seg_nosuchsegment", tok, body); r.status != http.StatusNotFound {
				t.Errorf("%s an unknown segment: %d, want 404", m, r.status)
			}
			if r := e.do(m, "/v1/segments/"+sid, e.tokens["B"]["all"], body); r.status != http.StatusNotFound {
				t.Errorf("tenant B: %s A's segment: %d, want 404", m, r.status)
			}
		}
		wantStatus(t, e.do("DELETE", "/v1/segments/"+sid, tok, nil), http.StatusNoContent)
		wantStatus(t, e.do("GET", "/v1/segments/"+sid, tok, nil), http.StatusNotFound)
	})
}

func TestSegmentStaticMembers(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		sg := e.newSegment("A", map[string]any{"name": "Static"})
		sid := jStr(sg["id"])
		members := "/v1/segments/" + sid + "/members"
		var cs []map[string]any
		for i := range 4 {
			cs = append(cs, e.create("A", map[string]any{"firstName": fmt.Sprintf("Member%d", i)}))
		}
		theirs := e.create("B", map[string]any{"firstName": "Theirs"})

		r := e.do("POST", members, e.tokens["A"]["contacts:write"], map[string]any{"contactIds": memberIDs(cs[0], cs[1], cs[0])})
		if r.status != http.StatusOK || jNum(r.json(t)["memberCount"]) != 2 {
			t.Fatalf("add two: %d %s", r.status, r.body)
		}
		r = e.do("POST", members, tok, map[string]any{"contactIds": memberIDs(cs[1], cs[2])})
		if r.status != http.StatusOK || jNum(r.json(t)["memberCount"]) != 3 {
			t.Errorf("add a member again and another: %d %s", r.status, r.body)
		}
		// Another tenant's contacts and unknown ids are named; nobody is added.
		r = e.do("POST", members, tok, map[string]any{"contactIds": []string{jStr(cs[3]["id"]), jStr(theirs["id"]), "ct_nobody"}})
		wantProblemAt(t, r, "body.contactIds[1]", "adding tenant B's contact")
		wantProblemAt(t, r, "body.contactIds[2]", "adding an unknown id")
		if strings.Contains(string(r.body), `"body.contactIds[0]"`) || !strings.Contains(string(r.body), jStr(theirs["id"])) {
			t.Errorf("the problem names the wrong ids: %s", r.body)
		}
		if got := e.segmentContactIDs("A", sid); !slices.Equal(got, memberIDs(cs[0], cs[1], cs[2])) {
			t.Errorf("members after a refused add: %v", got)
		}
		// Limits and shapes.
		many := make([]string, 1001)
		for i := range many {
			many[i] = jStr(cs[0]["id"])
		}
		wantProblemAt(t, e.do("POST", members, tok, map[string]any{"contactIds": many}), "body.contactIds", "1001 ids")
		for body, loc := range map[string]string{
			`{}`:                         "body.contactIds",
			`{"contactIds": "ct_x"}`:     "body.contactIds",
			`{"contactIds": null}`:       "body.contactIds",
			`{"contactIds": [""]}`:       "body.contactIds[0]",
			`{"contactIds": [], "x": 1}`: "body.x",
		} {
			wantProblemAt(t, e.do("POST", members, tok, body), loc, "POST members "+body)
		}
		if r := e.do("POST", members, tok, map[string]any{"contactIds": many[:1000]}); r.status != http.StatusOK {
			t.Errorf("1000 ids: %d %s", r.status, r.body)
		}
		// A deleted contact cannot be added, is no longer counted, and can
		// be removed.
		wantStatus(t, e.do("DELETE", "/v1/contacts/"+jStr(cs[3]["id"]), tok, nil), http.StatusNoContent)
		wantProblemAt(t, e.do("POST", members, tok, map[string]any{"contactIds": memberIDs(cs[3])}), "body.contactIds[0]", "adding a deleted contact")
		wantStatus(t, e.do("DELETE", "/v1/contacts/"+jStr(cs[2]["id"]), tok, nil), http.StatusNoContent)
		if r := e.do("GET", "/v1/segments/"+sid, tok, nil); jNum(r.json(t)["memberCount"]) != 2 {
			t.Errorf("member count after deleting a member: %s, want 2", r.body)
		}
		r = e.do("DELETE", members, tok, map[string]any{"contactIds": memberIDs(cs[2], cs[0])})
		if r.status != http.StatusOK || jNum(r.json(t)["memberCount"]) != 1 {
			t.Errorf("remove two: %d %s", r.status, r.body)
		}
		wantProblemAt(t, e.do("DELETE", members, tok, map[string]any{"contactIds": []string{jStr(theirs["id"])}}), "body.contactIds[0]", "removing tenant B's contact")
		if got := e.segmentContactIDs("A", sid); !slices.Equal(got, memberIDs(cs[1])) {
			t.Errorf("members after removing: %v", got)
		}
		// Tenant B can neither use A's segment nor add A's contacts to its own.
		for _, m := range []string{"POST", "DELETE"} {
			if r := e.do(m, members, e.tokens["B"]["all"], map[string]any{"contactIds": []string{jStr(theirs["id"])}}); r.status != http.StatusNotFound {
				t.Errorf("tenant B: %s A's members: %d, want 404", m, r.status)
			}
		}
		bs := e.newSegment("B", map[string]any{"name": "B's"})
		wantProblemAt(t, e.do("POST", "/v1/segments/"+jStr(bs["id"])+"/members", e.tokens["B"]["all"], map[string]any{"contactIds": memberIDs(cs[1])}),
			"body.contactIds[0]", "tenant B adding A's contact")
		if r := e.do("GET", "/v1/segments/"+sid+"/contacts", e.tokens["B"]["all"], nil); r.status != http.StatusNotFound {
			t.Errorf("tenant B listing A's segment: %d, want 404", r.status)
		}
		if got := e.listContactIDs("B", `{"segments":"`+sid+`"}`); len(got) != 0 {
			t.Errorf("tenant B filtering on A's segment: %v", got)
		}
		// A dynamic segment has no members to edit.
		dyn := e.newSegment("A", map[string]any{"name": "Dyn", "kind": "dynamic", "filter": map[string]any{"firstName": "x"}})
		wantProblemAt(t, e.do("POST", "/v1/segments/"+jStr(dyn["id"])+"/members", tok, map[string]any{"contactIds": memberIDs(cs[1])}), "body.contactIds", "adding to a dynamic segment")
		// Erasing a member ends its membership.
		wantStatus(t, e.do("DELETE", "/v1/contacts/"+jStr(cs[1]["id"])+"?permanent=true", tok, nil), http.StatusNoContent)
		if r := e.do("GET", "/v1/segments/"+sid, tok, nil); jNum(r.json(t)["memberCount"]) != 0 {
			t.Errorf("member count after erasing the member: %s", r.body)
		}
	})
}

func TestSegmentContactsList(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		sg := e.newSegment("A", map[string]any{"name": "Static"})
		sid := jStr(sg["id"])
		var cs []map[string]any
		for i := range 5 {
			cs = append(cs, e.create("A", map[string]any{"firstName": fmt.Sprintf("P%d", i), "lastName": "Page", "status": []string{"a", "b"}[i%2]}))
		}
		e.create("A", map[string]any{"firstName": "Outsider"})
		wantStatus(t, e.do("POST", "/v1/segments/"+sid+"/members", tok, map[string]any{"contactIds": memberIDs(cs...)}), http.StatusOK)

		var got []string
		cursor := ""
		for range 5 {
			r := e.do("GET", "/v1/segments/"+sid+"/contacts?limit=2&sort=firstName&fields=firstName&cursor="+url.QueryEscape(cursor), tok, nil)
			wantStatus(t, r, http.StatusOK)
			page := r.json(t)
			if jNum(page["total"]) != 5 {
				t.Errorf("total %v, want 5", page["total"])
			}
			for _, c := range jList(page["data"]) {
				if len(jObj(c)) != 2 {
					t.Errorf("fields=firstName answered %v", c)
				}
				got = append(got, jStr(jObj(c)["firstName"]))
			}
			if page["nextCursor"] == nil {
				break
			}
			cursor = jStr(page["nextCursor"])
		}
		if want := []string{"P0", "P1", "P2", "P3", "P4"}; !slices.Equal(got, want) {
			t.Errorf("pages of the segment: %v, want %v", got, want)
		}
		// A filter narrows the list, its errors point into it, and a filter
		// on segments combines with the membership.
		r := e.do("GET", "/v1/segments/"+sid+"/contacts?filter="+url.QueryEscape(`{"status":"a"}`), tok, nil)
		if data := jList(r.json(t)["data"]); len(data) != 3 {
			t.Errorf("filtered segment list: %s", r.body)
		}
		wantProblemAt(t, e.do("GET", "/v1/segments/"+sid+"/contacts?filter="+url.QueryEscape(`{"status":{"$gt":1}}`), tok, nil), "query.filter.status.$gt", "a bad filter")
		other := e.newSegment("A", map[string]any{"name": "Other"})
		wantStatus(t, e.do("POST", "/v1/segments/"+jStr(other["id"])+"/members", tok, map[string]any{"contactIds": memberIDs(cs[0])}), http.StatusOK)
		r = e.do("GET", "/v1/segments/"+sid+"/contacts?filter="+url.QueryEscape(`{"segments":"`+jStr(other["id"])+`"}`), tok, nil)
		if data := jList(r.json(t)["data"]); len(data) != 1 || jObj(data[0])["id"] != cs[0]["id"] {
			t.Errorf("segment list filtered on another segment: %s", r.body)
		}
		for _, q := range []string{"limit=0", "cursor=nope", "fields=nope", "sort=nope", "page=0"} {
			if r := e.do("GET", "/v1/segments/"+sid+"/contacts?"+q, tok, nil); r.status != http.StatusBadRequest {
				t.Errorf("GET segment contacts ?%s: %d, want 400", q, r.status)
			}
		}
		if r := e.do("GET", "/v1/segments/seg_nosuchsegment/contacts", tok, nil); r.status != http.StatusNotFound {
			t.Errorf("contacts of an unknown segment: %d, want 404", r.status)
		}
	})
}

// TestDynamicSegments: a dynamic segment is evaluated whenever it is read,
// and the segments filter field works for both kinds, nested ones included.
func TestDynamicSegments(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		ann := e.create("A", map[string]any{"firstName": "Ann", "tags": []string{"vip"}, "properties": map[string]any{"tier": 3}})
		bob := e.create("A", map[string]any{"firstName": "Bob", "tags": []string{"customer"}})
		cat := e.create("A", map[string]any{"firstName": "Cat"})
		vips := e.newSegment("A", map[string]any{"name": "VIPs", "kind": "dynamic", "filter": map[string]any{"tags": "VIP"}})
		vid := jStr(vips["id"])
		static := e.newSegment("A", map[string]any{"name": "Picked"})
		sid := jStr(static["id"])
		wantStatus(t, e.do("POST", "/v1/segments/"+sid+"/members", tok, map[string]any{"contactIds": memberIDs(cat)}), http.StatusOK)
		// A dynamic segment of segments: in Picked or a VIP with tier ≥ 3.
		nested := e.newSegment("A", map[string]any{"name": "Nested", "kind": "dynamic",
			"filter": map[string]any{"$or": []any{map[string]any{"segments": sid},
				map[string]any{"segments": vid, "properties.tier": map[string]any{"$gte": 3}}}}})
		nid := jStr(nested["id"])

		if got := e.segmentContactIDs("A", vid); !slices.Equal(got, memberIDs(ann)) {
			t.Errorf("VIPs: %v, want Ann", got)
		}
		// Evaluated at read time: a contact tagged now is in it now.
		wantStatus(t, e.do("PATCH", "/v1/contacts/"+jStr(bob["id"]), tok, map[string]any{"tags": []string{"Vip"}}), http.StatusOK)
		if got := e.segmentContactIDs("A", vid); !slices.Equal(got, memberIDs(ann, bob)) {
			t.Errorf("VIPs after tagging Bob: %v, want Ann and Bob", got)
		}
		if got := e.segmentContactIDs("A", nid); !slices.Equal(got, memberIDs(ann, cat)) {
			t.Errorf("Nested: %v, want Ann and Cat", got)
		}
		for filter, want := range map[string][]string{
			`{"segments":"` + vid + `"}`:                             memberIDs(ann, bob),
			`{"segments":{"$in":["` + vid + `","` + sid + `"]}}`:     memberIDs(ann, bob, cat),
			`{"segments":{"$all":["` + vid + `","` + nid + `"]}}`:    memberIDs(ann),
			`{"segments":{"$ne":"` + vid + `"}}`:                     memberIDs(cat),
			`{"segments":{"$nin":["` + vid + `","` + sid + `"]}}`:    {},
			`{"segments":{"$exists":true}}`:                          memberIDs(ann, bob, cat),
			`{"segments":{"$exists":false}}`:                         {},
			`{"$not":{"segments":"` + nid + `"}}`:                    memberIDs(bob),
			`{"segments":"` + nid + `","firstName":{"$prefix":"C"}}`: memberIDs(cat),
			`{"segments":"seg_nosuchsegment"}`:                       {},
		} {
			if got := e.listContactIDs("A", filter); !slices.Equal(got, want) {
				t.Errorf("filter %s: %v, want %v", filter, got, want)
			}
		}
		// Changing the filter changes the members at once.
		wantStatus(t, e.do("PATCH", "/v1/segments/"+vid, tok, map[string]any{"filter": map[string]any{"firstName": "Bob"}}), http.StatusOK)
		if got := e.segmentContactIDs("A", vid); !slices.Equal(got, memberIDs(bob)) {
			t.Errorf("VIPs after changing the filter: %v, want Bob", got)
		}
		// expand=segments lists the static segments holding the contact and
		// the dynamic ones matching it.
		expand := func(c map[string]any) []string {
			t.Helper()
			r := e.do("GET", "/v1/contacts/"+jStr(c["id"])+"?expand=segments", tok, nil)
			wantStatus(t, r, http.StatusOK)
			out := []string{}
			for _, s := range jList(r.json(t)["segments"]) {
				out = append(out, jStr(jObj(s)["id"]))
			}
			return out
		}
		if got, want := expand(cat), sortedIDList(sid, nid); !slices.Equal(got, want) {
			t.Errorf("Cat's segments: %v, want %v", got, want)
		}
		if got, want := expand(bob), sortedIDList(vid); !slices.Equal(got, want) {
			t.Errorf("Bob's segments: %v, want %v", got, want)
		}
		if got := expand(ann); len(got) != 0 {
			t.Errorf("Ann's segments: %v, want none", got)
		}
		r := e.do("GET", "/v1/contacts/"+jStr(cat["id"])+"?expand=segments&fields=firstName", tok, nil)
		var body map[string]json.RawMessage
		if err := json.Unmarshal(r.body, &body); err != nil || len(body) != 3 || !strings.Contains(string(body["segments"]), `"memberCount":1`) {
			t.Errorf("expand with fields: %s", r.body)
		}
		// Deleting a segment that another names leaves the other working.
		wantStatus(t, e.do("DELETE", "/v1/segments/"+sid, tok, nil), http.StatusNoContent)
		if got := e.segmentContactIDs("A", nid); len(got) != 0 {
			t.Errorf("Nested after deleting Picked and changing VIPs: %v, want none", got)
		}
		// Tenant B's filter on A's dynamic segment matches nothing of B's.
		e.create("B", map[string]any{"firstName": "Bob", "tags": []string{"vip"}})
		if got := e.listContactIDs("B", `{"segments":"`+vid+`"}`); len(got) != 0 {
			t.Errorf("tenant B filtering on A's dynamic segment: %v", got)
		}
	})
}
