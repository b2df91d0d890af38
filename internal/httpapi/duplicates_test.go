package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/storetest"
)

// twins are, by target id, the second contact the duplicate routes' cases
// made for the target: the same number, another email.
var twins sync.Map

func init() {
	twin := func(m mx, tg target) {
		m.t.Helper()
		r := m.do("GET /v1/contacts/{id}", true, "GET", "/v1/contacts/"+tg.ID, m.e.tokens["A"]["all"], nil)
		number := jStr(r.json(m.t)["phones"].([]any)[0].(map[string]any)["e164"])
		r = m.do("POST /v1/contacts", true, "POST", "/v1/contacts", m.e.tokens["A"]["all"], map[string]any{
			"firstName": "Matrix", "lastName": "Twin", "phone": number})
		if r.status != http.StatusCreated {
			m.t.Fatalf("setup: twin: status %d: %s", r.status, r.body)
		}
		twins.Store(tg.ID, jStr(r.json(m.t)["id"]))
	}
	twinOf := func(tg target) string {
		id, _ := twins.Load(tg.ID)
		s, _ := id.(string)
		return s
	}
	merged := func(m mx, tg target) {
		m.t.Helper()
		twin(m, tg)
		r := m.do("POST /v1/contacts/merge", true, "POST", "/v1/contacts/merge", m.e.tokens["A"]["all"],
			map[string]any{"targetId": tg.ID, "sourceIds": []string{twinOf(tg)}})
		if r.status != http.StatusOK {
			m.t.Fatalf("setup: merge: status %d: %s", r.status, r.body)
		}
	}
	// A tenant runs one rescan at a time: the cases wait for the last.
	rescanned := func(m mx, tg target) {
		m.t.Helper()
		waitRescan(m.t, m.e, "A")
	}
	// The status route needs a rescan on record; the start route's case
	// starts them (one at a time), so this one records an ended one.
	rescan := func(m mx, tg target) {
		m.t.Helper()
		at := time.Now()
		err := m.e.store.StartRescan(m.t.Context(), &contactd.Rescan{TenantID: m.e.tenant["A"].ID, Status: contactd.RescanSucceeded,
			StartedAt: at, UpdatedAt: at, FinishedAt: &at}, at.Add(-time.Hour))
		if err != nil && contactd.ErrorCodeOf(err) != contactd.EConflict {
			m.t.Fatalf("setup: record a rescan: %v", err)
		}
	}
	extraCases = append(extraCases, func() map[string]routeCase {
		return map[string]routeCase{
			"GET /v1/contacts/duplicates":      {query: "?minScore=0.5&limit=5", ok: 200},
			"GET /v1/contacts/{id}/duplicates": {setup: twin, ok: 200},
			"POST /v1/contacts/duplicates/dismiss": {setup: twin, ok: 204,
				body: func(tg target) any { return map[string]any{"contactIds": []string{tg.ID, twinOf(tg)}} }},
			"POST /v1/contacts/duplicates/rescan": {setup: rescanned, ok: 202},
			"GET /v1/contacts/duplicates/rescan":  {setup: rescan, ok: 200},
			"POST /v1/contacts/merge": {setup: twin, ok: 200,
				body: func(tg target) any { return map[string]any{"targetId": tg.ID, "sourceIds": []string{twinOf(tg)}} }},
			"POST /v1/contacts/{id}/unmerge": {setup: merged, ok: 200},
		}
	})
}

func TestDuplicatesAndMerge(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		ann := e.create("A", map[string]any{"firstName": "Ann", "lastName": "Lee", "company": "Acme", "externalId": "crm-ann",
			"phones": []any{map[string]any{"number": "+14155550100", "type": "work"}}, "emails": []any{map[string]any{"address": "ann@acme.com"}},
			"tags": []string{"vip"}, "properties": map[string]any{"tier": "gold"}})
		dup := e.create("A", map[string]any{"firstName": "Ann", "lastName": "Lee", "jobTitle": "CTO", "externalId": "crm-ann-2",
			"phones":     []any{map[string]any{"number": "(415) 555-0100", "type": "mobile"}, map[string]any{"number": "+14155550111", "type": "home"}},
			"emails":     []any{map[string]any{"address": "ann.lee@gmail.com"}},
			"tags":       []string{"VIP", "lead"},
			"properties": map[string]any{"tier": "silver", "source": "webinar"}})
		board := e.create("A", map[string]any{"firstName": "Bo", "lastName": "Park", "phones": []any{map[string]any{"number": "+14155550100"}}})
		stranger := e.create("A", map[string]any{"firstName": "Cy", "lastName": "Nobody", "email": "cy@example.org"})
		annID, dupID, boardID := jStr(ann["id"]), jStr(dup["id"]), jStr(board["id"])

		// Candidates of one contact, most likely first: the same number
		// and name is strong, the switchboard weak.
		r := e.do("GET", "/v1/contacts/"+annID+"/duplicates", tok, nil)
		wantStatus(t, r, http.StatusOK)
		data := r.json(t)["data"].([]any)
		if len(data) != 2 {
			t.Fatalf("candidates of ann: %s", r.body)
		}
		first, second := data[0].(map[string]any), data[1].(map[string]any)
		if jStr(first["contact"].(map[string]any)["id"]) != dupID || jNum(first["score"]) < 0.9 ||
			jStr(second["contact"].(map[string]any)["id"]) != boardID || jNum(second["score"]) > 0.5 {
			t.Fatalf("candidates of ann, want the duplicate strong then the switchboard weak: %s", r.body)
		}
		r = e.do("GET", "/v1/contacts/"+annID+"/duplicates?minScore=0.9", tok, nil)
		if data := r.json(t)["data"].([]any); len(data) != 1 {
			t.Fatalf("minScore=0.9: %s", r.body)
		}
		r = e.do("GET", "/v1/contacts/"+jStr(stranger["id"])+"/duplicates", tok, nil)
		if data := r.json(t)["data"].([]any); len(data) != 0 {
			t.Fatalf("a contact with no duplicates: %s", r.body)
		}
		problem(t, e.do("GET", "/v1/contacts/"+annID+"/duplicates?minScore=2", tok, nil), http.StatusBadRequest, "minScore=2")
		problem(t, e.do("GET", "/v1/contacts/"+annID+"/duplicates?reason=vibes", tok, nil), http.StatusBadRequest, "reason=vibes")

		// Groups: the three that share the number make one group.
		r = e.do("GET", "/v1/contacts/duplicates", tok, nil)
		wantStatus(t, r, http.StatusOK)
		groups := r.json(t)["data"].([]any)
		if len(groups) != 1 || len(groups[0].(map[string]any)["contacts"].([]any)) != 3 {
			t.Fatalf("groups: %s", r.body)
		}
		r = e.do("GET", "/v1/contacts/duplicates?minScore=0.9", tok, nil)
		groups = r.json(t)["data"].([]any)
		if len(groups) != 1 || len(groups[0].(map[string]any)["contacts"].([]any)) != 2 {
			t.Fatalf("strong groups: %s", r.body)
		}
		// Tenant B sees none of it.
		r = e.do("GET", "/v1/contacts/duplicates", e.tokens["B"]["all"], nil)
		if groups := r.json(t)["data"].([]any); len(groups) != 0 {
			t.Fatalf("tenant B's groups: %s", r.body)
		}

		// Dismissing the switchboard pair makes it go away for good.
		wantStatus(t, e.do("POST", "/v1/contacts/duplicates/dismiss", tok, map[string]any{"contactIds": []string{annID, boardID}}), http.StatusNoContent)
		r = e.do("GET", "/v1/contacts/"+annID+"/duplicates", tok, nil)
		if data := r.json(t)["data"].([]any); len(data) != 1 {
			t.Fatalf("after dismissing: %s", r.body)
		}
		wantStatus(t, e.do("PATCH", "/v1/contacts/"+boardID, tok, map[string]any{"jobTitle": "Reception"}), http.StatusOK)
		if data := e.do("GET", "/v1/contacts/"+annID+"/duplicates", tok, nil).json(t)["data"].([]any); len(data) != 1 {
			t.Fatalf("a dismissed pair came back after a write")
		}
		problem(t, e.do("POST", "/v1/contacts/duplicates/dismiss", tok, map[string]any{"contactIds": []string{annID}}), http.StatusBadRequest, "one id")
		problem(t, e.do("POST", "/v1/contacts/duplicates/dismiss", e.tokens["B"]["all"], map[string]any{"contactIds": []string{annID, dupID}}),
			http.StatusNotFound, "tenant B dismissing A's contacts")

		// A dry run shows the survivor and the provenance, and writes nothing.
		before := e.do("GET", "/v1/contacts/"+annID, tok, nil)
		r = e.do("POST", "/v1/contacts/merge", tok, map[string]any{"targetId": annID, "sourceIds": []string{dupID}, "dryRun": true})
		wantStatus(t, r, http.StatusOK)
		res := r.json(t)
		c := res["contact"].(map[string]any)
		prov := res["provenance"].(map[string]any)
		if len(c["phones"].([]any)) != 2 || len(c["emails"].([]any)) != 2 || jStr(c["jobTitle"]) != "CTO" || jStr(c["externalId"]) != "crm-ann" ||
			jStr(prov["jobTitle"]) != dupID || jStr(prov["firstName"]) != annID || res["mergeId"] != nil {
			t.Fatalf("dry run: %s", r.body)
		}
		if tags := c["tags"].([]any); len(tags) != 2 {
			t.Fatalf("dry run tags, want vip and lead once each: %v", tags)
		}
		if props := c["properties"].(map[string]any); props["tier"] != "gold" || props["source"] != "webinar" {
			t.Fatalf("dry run properties, key by key with the target's first: %v", props)
		}
		if after := e.do("GET", "/v1/contacts/"+annID, tok, nil); string(after.body) != string(before.body) {
			t.Fatalf("a dry run wrote: %s", after.body)
		}

		// Per-field choices.
		r = e.do("POST", "/v1/contacts/merge", tok, map[string]any{"targetId": annID, "sourceIds": []string{dupID}, "dryRun": true,
			"fields": map[string]any{"externalId": dupID, "company": "Acme Corp"}})
		c = r.json(t)["contact"].(map[string]any)
		if jStr(c["externalId"]) != "crm-ann-2" || jStr(c["company"]) != "Acme Corp" {
			t.Fatalf("field choices: %s", r.body)
		}
		problem(t, e.do("POST", "/v1/contacts/merge", tok, map[string]any{"targetId": annID, "sourceIds": []string{dupID}, "fields": map[string]any{"id": dupID}}),
			http.StatusBadRequest, "choosing a read-only field")

		// Sharing no identity needs force.
		r = e.do("POST", "/v1/contacts/merge", tok, map[string]any{"targetId": annID, "sourceIds": []string{jStr(stranger["id"])}, "dryRun": true})
		problem(t, r, http.StatusBadRequest, "merging strangers")
		if !strings.Contains(string(r.body), "sourceIds[0]") {
			t.Errorf("the refusal does not name the source: %s", r.body)
		}
		wantStatus(t, e.do("POST", "/v1/contacts/merge", tok, map[string]any{"targetId": annID, "sourceIds": []string{jStr(stranger["id"])}, "dryRun": true, "force": true}), http.StatusOK)
		// Another tenant's, or a scope short of admin.
		problem(t, e.do("POST", "/v1/contacts/merge", e.tokens["B"]["all"], map[string]any{"targetId": annID, "sourceIds": []string{dupID}}), http.StatusNotFound, "tenant B merging A's")
		problem(t, e.do("POST", "/v1/contacts/merge", e.tokens["A"]["contacts:write"], map[string]any{"targetId": annID, "sourceIds": []string{dupID}}), http.StatusForbidden, "merge without admin")

		// The merge.
		sg := e.newSegment("A", map[string]any{"name": "Webinar"})
		wantStatus(t, e.do("POST", "/v1/segments/"+jStr(sg["id"])+"/members", tok, map[string]any{"contactIds": []string{dupID}}), http.StatusOK)
		r = e.do("POST", "/v1/contacts/merge", tok, map[string]any{"targetId": annID, "sourceIds": []string{dupID}})
		wantStatus(t, r, http.StatusOK)
		res = r.json(t)
		if jStr(res["mergeId"]) == "" || jNum(res["contact"].(map[string]any)["version"]) != jNum(ann["version"])+1 {
			t.Fatalf("merge: %s", r.body)
		}
		// The merged id answers with the survivor; with includeDeleted,
		// the merged contact itself.
		r = e.do("GET", "/v1/contacts/"+dupID, tok, nil)
		wantStatus(t, r, http.StatusOK)
		if jStr(r.json(t)["id"]) != annID || r.header.Get("Content-Location") != "/v1/contacts/"+annID {
			t.Fatalf("GET of a merged id: %v %s", r.header, r.body)
		}
		r = e.do("GET", "/v1/contacts/"+dupID+"?fields=id,jobTitle", tok, nil)
		if jStr(r.json(t)["id"]) != annID {
			t.Fatalf("GET of a merged id with fields: %s", r.body)
		}
		r = e.do("GET", "/v1/contacts/"+dupID+"?includeDeleted=true", tok, nil)
		if m := r.json(t); jStr(m["id"]) != dupID || jStr(m["mergedInto"]) != annID || m["deletedAt"] == nil {
			t.Fatalf("the merged contact: %s", r.body)
		}
		// Lookups find the survivor: the source's number, email and external id.
		for _, u := range []string{"/v1/contacts/lookup?phone=%2B14155550111", "/v1/contacts/by-email/ann.lee@gmail.com", "/v1/contacts/by-external-id/crm-ann-2"} {
			r = e.do("GET", u, tok, nil)
			if r.status != http.StatusOK || !strings.Contains(string(r.body), `"id":"`+annID+`"`) {
				t.Errorf("%s after the merge: %d %s", u, r.status, r.body)
			}
		}
		// The survivor joined the source's segment.
		if ids := e.segmentContactIDs("A", jStr(sg["id"])); !slices.Contains(ids, annID) {
			t.Errorf("the survivor is not in the source's segment: %v", ids)
		}
		// History and the feed.
		r = e.do("GET", "/v1/contacts/"+annID+"/history", tok, nil)
		mergeID := jStr(res["mergeId"])
		if !strings.Contains(string(r.body), `"type":"merged"`) ||
			!strings.Contains(string(r.body), `"mergedFrom":{"old":null,"new":{"mergeId":"`+mergeID+`","sourceIds":["`+dupID+`"],"provenance":{`) ||
			!strings.Contains(string(r.body), `"jobTitle":"`+dupID+`"`) {
			t.Errorf("survivor's history does not record the merge with its provenance: %s", r.body)
		}
		r = e.do("GET", "/v1/changes?limit=1000", tok, nil)
		if n := strings.Count(string(r.body), `"type":"merged"`); n != 2 {
			t.Errorf("the feed has %d merged changes, want 2 (source and survivor): %s", n, r.body)
		}
		// The merged pair is no longer a candidate.
		if data := e.do("GET", "/v1/contacts/"+annID+"/duplicates", tok, nil).json(t)["data"].([]any); len(data) != 0 {
			t.Errorf("candidates after the merge: %v", data)
		}
		// Merging a merged contact again is a 404.
		problem(t, e.do("POST", "/v1/contacts/merge", tok, map[string]any{"targetId": annID, "sourceIds": []string{dupID}}), http.StatusNotFound, "merging a merged source")

		// Undo: refused after an edit unless forced; then the source is
		// back as it was and the survivor gives back what was the source's.
		wantStatus(t, e.do("PATCH", "/v1/contacts/"+annID, tok, map[string]any{"department": "R&D"}), http.StatusOK)
		problem(t, e.do("POST", "/v1/contacts/"+annID+"/unmerge", tok, nil), http.StatusConflict, "unmerge after an edit")
		problem(t, e.do("POST", "/v1/contacts/"+annID+"/unmerge", e.tokens["B"]["all"], nil), http.StatusNotFound, "tenant B unmerging")
		r = e.do("POST", "/v1/contacts/"+annID+"/unmerge?force=true", tok, nil)
		wantStatus(t, r, http.StatusOK)
		s := r.json(t)
		if len(s["phones"].([]any)) != 1 || len(s["emails"].([]any)) != 1 || s["jobTitle"] != nil || jStr(s["department"]) != "R&D" {
			t.Fatalf("survivor after a forced unmerge, want its own entries and its later edit: %s", r.body)
		}
		r = e.do("GET", "/v1/contacts/"+dupID, tok, nil)
		wantStatus(t, r, http.StatusOK)
		back := r.json(t)
		if jStr(back["id"]) != dupID || back["mergedInto"] != nil || jStr(back["jobTitle"]) != "CTO" || len(back["phones"].([]any)) != 2 {
			t.Fatalf("source after the unmerge: %s", r.body)
		}
		if ids := e.segmentContactIDs("A", jStr(sg["id"])); slices.Contains(ids, annID) || !slices.Contains(ids, dupID) {
			t.Errorf("segment after the unmerge: %v", ids)
		}
		problem(t, e.do("POST", "/v1/contacts/"+annID+"/unmerge", tok, nil), http.StatusConflict, "a second unmerge")

		// An unedited merge comes undone exactly.
		annNow := e.do("GET", "/v1/contacts/"+annID, tok, nil).json(t)
		wantStatus(t, e.do("POST", "/v1/contacts/merge", tok, map[string]any{"targetId": annID, "sourceIds": []string{dupID}}), http.StatusOK)
		r = e.do("POST", "/v1/contacts/"+annID+"/unmerge", tok, nil)
		wantStatus(t, r, http.StatusOK)
		got := r.json(t)
		for _, k := range []string{"version", "updatedAt", "updatedBy"} {
			delete(got, k)
			delete(annNow, k)
		}
		if fmt.Sprint(got) != fmt.Sprint(annNow) {
			t.Errorf("an unedited merge undone:\n got %v\nwant %v", got, annNow)
		}
	})
}

// TestImportUpsertMatchesAsDuplicates: in upsert mode a record matches an
// address as its domain delivers it, and a merged contact's external id
// leads to the survivor, as duplicates are found.
func TestImportUpsertMatchesAsDuplicates(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		gmail := e.create("A", map[string]any{"firstName": "Jo", "email": "j.smith@gmail.com"})
		survivor := e.create("A", map[string]any{"firstName": "Kim", "externalId": "crm-8", "phone": "+14155550123"})
		merged := e.create("A", map[string]any{"firstName": "Kim", "externalId": "crm-9", "phone": "+14155550123"})
		wantStatus(t, e.do("POST", "/v1/contacts/merge", tok, map[string]any{"targetId": jStr(survivor["id"]), "sourceIds": []string{jStr(merged["id"])}}), http.StatusOK)
		file := `{"email":"JSmith+news@googlemail.com","company":"Gmail"}` + "\n" + `{"externalId":"crm-9","jobTitle":"Merged"}` + "\n"
		job := e.importFile("A", "?format=ndjson&mode=upsert", "application/x-ndjson", file)
		wantCounts(t, job, map[string]float64{"processed": 2, "created": 0, "updated": 2, "failed": 0})
		if c := e.do("GET", "/v1/contacts/"+jStr(gmail["id"]), tok, nil).json(t); c["company"] != "Gmail" {
			t.Errorf("the address as delivered did not match: %v", c)
		}
		if c := e.do("GET", "/v1/contacts/"+jStr(survivor["id"]), tok, nil).json(t); c["jobTitle"] != "Merged" || c["externalId"] != "crm-8" {
			t.Errorf("the merged external id did not lead to the survivor: %v", c)
		}
	})
}

// TestMergedExternalID: the external id of a merged contact names the
// survivor for reads and patches; a PUT of it is refused, naming the
// survivor, rather than making the duplicate again.
func TestMergedExternalID(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		sv := e.create("A", map[string]any{"firstName": "Kim", "externalId": "crm-8", "email": "kim@acme.com"})
		gone := e.create("A", map[string]any{"firstName": "Kim", "externalId": "crm-9", "email": "kim@acme.com.invalid", "phone": "+14155550177"})
		wantStatus(t, e.do("POST", "/v1/contacts/merge", tok, map[string]any{"targetId": jStr(sv["id"]), "sourceIds": []string{jStr(gone["id"])}, "force": true}), http.StatusOK)
		r := e.do("PATCH", "/v1/contacts/by-external-id/crm-9", tok, map[string]any{"jobTitle": "Lead"})
		wantStatus(t, r, http.StatusOK)
		if m := r.json(t); m["id"] != sv["id"] || m["externalId"] != "crm-8" {
			t.Errorf("PATCH by a merged external id: %s", r.body)
		}
		r = e.do("PUT", "/v1/contacts/by-external-id/crm-9", tok, map[string]any{"firstName": "Kim"})
		problem(t, r, http.StatusConflict, "PUT by a merged external id")
		if !strings.Contains(string(r.body), jStr(sv["id"])) {
			t.Errorf("the refusal does not name the survivor: %s", r.body)
		}
		problem(t, e.do("GET", "/v1/contacts/by-external-id/crm-9", e.tokens["B"]["all"], nil), http.StatusNotFound, "tenant B")
	})
}

// TestMergeWebhooks: a subscription to contact.merged and
// contact.unmerged hears both sides of a merge and of its undoing; the
// survivor's message names the sources.
func TestMergeWebhooks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin := e.tokens["A"]["all"]
		rv := newReceiver(t)
		r := e.do("POST", "/v1/webhooks", admin, map[string]any{"url": rv.srv.URL + "/in", "events": []string{"contact.merged", "contact.unmerged"}})
		wantStatus(t, r, http.StatusCreated)
		rv.set(func() { rv.secrets = []string{jStr(r.json(t)["secret"])} })
		deliverer(t, e, contactd.WebhookOptions{Node: "test", MaxFailures: 3, Delay: func(int) time.Duration { return 50 * time.Millisecond }})
		sv := e.create("A", map[string]any{"firstName": "Ann", "phone": "+14155550142"})
		src := e.create("A", map[string]any{"firstName": "Ann", "phone": "+14155550142", "jobTitle": "CTO"})
		svID, srcID := jStr(sv["id"]), jStr(src["id"])
		wantStatus(t, e.do("POST", "/v1/contacts/merge", admin, map[string]any{"targetId": svID, "sourceIds": []string{srcID}}), http.StatusOK)
		wantStatus(t, e.do("POST", "/v1/contacts/"+svID+"/unmerge", admin, nil), http.StatusOK)
		got := rv.wait(4)
		want := []struct{ typ, id string }{{"contact.merged", srcID}, {"contact.merged", svID}, {"contact.unmerged", svID}, {"contact.unmerged", srcID}}
		for i, m := range got[:4] {
			data := m.payload["data"].(map[string]any)
			if m.payload["type"] != want[i].typ || data["contactId"] != want[i].id {
				t.Errorf("message %d: %v %v, want %s of %s", i, m.payload["type"], data["contactId"], want[i].typ, want[i].id)
			}
		}
		fields := fmt.Sprint(got[1].payload["data"].(map[string]any)["fields"])
		if !strings.Contains(fields, "mergedFrom") || !strings.Contains(fields, srcID) {
			t.Errorf("the survivor's message does not name the source: %s", fields)
		}
	})
}

// TestMergePhoto: a survivor without a photo takes its source's, and
// gives it back on undo; the source keeps its own throughout.
func TestMergePhoto(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		sv := e.create("A", map[string]any{"firstName": "Ann", "phone": "+14155550163"})
		src := e.create("A", map[string]any{"firstName": "Ann", "phone": "+14155550163"})
		svID, srcID := jStr(sv["id"]), jStr(src["id"])
		wantStatus(t, e.do("PUT", "/v1/contacts/"+srcID+"/photo", tok, testPNG, "Content-Type", "image/png"), http.StatusOK)
		r := e.do("POST", "/v1/contacts/merge", tok, map[string]any{"targetId": svID, "sourceIds": []string{srcID}})
		wantStatus(t, r, http.StatusOK)
		if prov := r.json(t)["provenance"].(map[string]any); prov["photo"] != srcID {
			t.Errorf("photo provenance: %v", prov)
		}
		r = e.do("GET", "/v1/contacts/"+svID+"/photo", tok, nil)
		if r.status != http.StatusOK || string(r.body) != string(testPNG) {
			t.Fatalf("the survivor's photo after the merge: %d %q", r.status, r.body)
		}
		wantStatus(t, e.do("POST", "/v1/contacts/"+svID+"/unmerge", tok, nil), http.StatusOK)
		problem(t, e.do("GET", "/v1/contacts/"+svID+"/photo", tok, nil), http.StatusNotFound, "the survivor's photo after the undo")
		if c := e.do("GET", "/v1/contacts/"+svID, tok, nil).json(t); c["photo"] != nil {
			t.Errorf("the survivor still describes a photo: %v", c["photo"])
		}
		r = e.do("GET", "/v1/contacts/"+srcID+"/photo", tok, nil)
		if r.status != http.StatusOK || string(r.body) != string(testPNG) {
			t.Errorf("the source's photo after the undo: %d", r.status)
		}
	})
}

// waitRescan waits until no rescan of the tenant runs, and returns the
// latest (nil when there was none).
func waitRescan(t *testing.T, e *env, tenant string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ec := *e
		ec.t = t
		r := ec.do("GET", "/v1/contacts/duplicates/rescan", e.tokens[tenant]["all"], nil)
		if r.status == http.StatusNotFound {
			return nil
		}
		if r.status != http.StatusOK {
			t.Fatalf("rescan status: %d %s", r.status, r.body)
		}
		if m := r.json(t); m["status"] != "running" {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("the rescan still runs: %s", r.body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRescan: a rescan writes every contact's keys again (deleted ones
// included), after which candidates written before the keys were kept are
// found; it is the tenant's own, and needs contacts:admin.
func TestRescan(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		a := e.create("A", map[string]any{"firstName": "Ann", "phone": "+14155550188"})
		c := e.create("A", map[string]any{"firstName": "Ann", "phone": "+14155550188"})
		gone := e.create("A", map[string]any{"firstName": "Old", "externalId": "crm-old"})
		wantStatus(t, e.do("DELETE", "/v1/contacts/"+jStr(gone["id"]), tok, nil), http.StatusNoContent)
		problem(t, e.do("GET", "/v1/contacts/duplicates/rescan", tok, nil), http.StatusNotFound, "no rescan yet")
		// Keys lost (as before the upgrade that keeps them): the first
		// page of a rescan with no contacts removes every key.
		if err := e.store.IndexDuplicates(t.Context(), e.tenant["A"].ID, nil, true); err != nil {
			t.Fatal(err)
		}
		if d := e.do("GET", "/v1/contacts/"+jStr(a["id"])+"/duplicates", tok, nil).json(t)["data"].([]any); len(d) != 0 {
			t.Fatalf("candidates without keys: %v", d)
		}
		r := e.do("POST", "/v1/contacts/duplicates/rescan", tok, nil)
		wantStatus(t, r, http.StatusAccepted)
		if r.header.Get("Location") != "/v1/contacts/duplicates/rescan" || r.json(t)["status"] != "running" {
			t.Fatalf("start: %v %s", r.header, r.body)
		}
		done := waitRescan(t, e, "A")
		if done["status"] != "succeeded" || jNum(done["scanned"]) != 3 || done["finishedAt"] == nil || done["startedBy"] == "" {
			t.Fatalf("the rescan: %v", done)
		}
		d := e.do("GET", "/v1/contacts/"+jStr(a["id"])+"/duplicates", tok, nil).json(t)["data"].([]any)
		if len(d) != 1 || jStr(d[0].(map[string]any)["contact"].(map[string]any)["id"]) != jStr(c["id"]) {
			t.Fatalf("candidates after the rescan: %v", d)
		}
		// The deleted contact's key was written again too: a contact made
		// again in its place meets it.
		again := e.create("A", map[string]any{"firstName": "New", "externalId": "crm-old"})
		d = e.do("GET", "/v1/contacts/"+jStr(again["id"])+"/duplicates", tok, nil).json(t)["data"].([]any)
		if len(d) != 1 || jStr(d[0].(map[string]any)["contact"].(map[string]any)["id"]) != jStr(gone["id"]) {
			t.Fatalf("candidates of a contact made again: %v", d)
		}
		problem(t, e.do("GET", "/v1/contacts/duplicates/rescan", e.tokens["B"]["all"], nil), http.StatusNotFound, "tenant B's rescan")
		problem(t, e.do("POST", "/v1/contacts/duplicates/rescan", e.tokens["A"]["contacts:write"], nil), http.StatusForbidden, "rescan without admin")
	})
}

// TestDuplicateGroupPages: groups page with a cursor, each once, and the
// last page has no cursor; a cursor of another filter is refused.
func TestDuplicateGroupPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		for i := range 5 {
			num := fmt.Sprintf("+1415555%04d", 7000+i)
			e.create("A", map[string]any{"firstName": "Pat", "lastName": fmt.Sprint("Twin", i), "phone": num})
			e.create("A", map[string]any{"firstName": "Pat", "lastName": fmt.Sprint("Twin", i), "phone": num})
		}
		seen := map[string]bool{}
		url := "/v1/contacts/duplicates?limit=2"
		var sizes []int
		for range 5 {
			r := e.do("GET", url, tok, nil)
			wantStatus(t, r, http.StatusOK)
			page := r.json(t)
			for _, g := range page["data"].([]any) {
				for _, c := range g.(map[string]any)["contacts"].([]any) {
					id := jStr(c.(map[string]any)["id"])
					if seen[id] {
						t.Errorf("contact %s in two groups", id)
					}
					seen[id] = true
				}
			}
			sizes = append(sizes, len(page["data"].([]any)))
			if page["nextCursor"] == nil {
				break
			}
			url = "/v1/contacts/duplicates?limit=2&cursor=" + jStr(page["nextCursor"])
		}
		if fmt.Sprint(sizes) != "[2 2 1]" || len(seen) != 10 {
			t.Errorf("pages of %v groups, %d contacts; want [2 2 1] and 10", sizes, len(seen))
		}
		r := e.do("GET", "/v1/contacts/duplicates?limit=2", tok, nil)
		cur := jStr(r.json(t)["nextCursor"])
		problem(t, e.do("GET", "/v1/contacts/duplicates?limit=2&minScore=0.5&cursor="+cur, tok, nil), http.StatusBadRequest, "a cursor of another filter")
		problem(t, e.do("GET", "/v1/contacts/duplicates?limit=2&cursor="+cur, e.tokens["B"]["all"], nil), http.StatusBadRequest, "another tenant's cursor")
	})
}
