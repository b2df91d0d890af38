package httpapi_test

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/contactd/contactd/internal/storetest"
)

// ext is an extension entry of a request body.
func ext(number string, kv ...any) map[string]any {
	m := map[string]any{"extension": number}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

// directoryNames lists a directory's display names, every page.
func (e *env) directoryNames(token, query string) []string {
	e.t.Helper()
	var names []string
	cursor := ""
	for {
		u := "/v1/directory?limit=2&" + query
		if cursor != "" {
			u += "&cursor=" + url.QueryEscape(cursor)
		}
		p := decodePage(e.t, e.do("GET", u, token, nil))
		for _, c := range p.Data {
			names = append(names, jStr(c["displayName"]))
		}
		if p.NextCursor == nil {
			return names
		}
		cursor = *p.NextCursor
	}
}

// TestDirectoryVisibility: the directory's rules, contact by contact, on
// desk phones and in the auto attendant, as writes change them.
func TestDirectoryVisibility(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin := e.tokens["A"]["all"]
		read := e.tokens["A"]["contacts:read"]
		cases := []struct {
			name       string
			body       map[string]any
			phones, aa bool
		}{
			{"Corp listed", map[string]any{"contactType": "corporate", "extensions": []any{ext("2001", "displayInDirectory", true)}}, true, true},
			{"Corp unlisted ext", map[string]any{"contactType": "corporate", "extensions": []any{ext("2002")}}, false, false},
			{"Corp hidden in AA", map[string]any{"contactType": "corporate", "extensions": []any{ext("2003", "displayInDirectory", true, "hideInAutoAttendant", true)}}, true, false},
			{"Corp one of two hidden", map[string]any{"contactType": "corporate", "extensions": []any{
				ext("2004", "displayInDirectory", true, "hideInAutoAttendant", true), ext("2005", "displayInDirectory", true)}}, true, true},
			{"Corp no ext shown", map[string]any{"contactType": "corporate", "displayWhenNoExtension": true}, true, true},
			{"Corp no ext", map[string]any{"contactType": "corporate"}, false, false},
			{"Corp no ext hidden in AA", map[string]any{"contactType": "corporate", "displayWhenNoExtension": true, "hideInAutoAttendant": true}, true, false},
			// displayWhenNoExtension is ignored when the contact has extensions.
			{"Corp flag ignored", map[string]any{"contactType": "corporate", "displayWhenNoExtension": true, "extensions": []any{ext("2006")}}, false, false},
			{"Service queue", map[string]any{"contactType": "service", "subscription": map[string]any{"id": "sub-1", "type": "CQ", "name": "Helpdesk"}}, true, true},
			{"Service hidden ext", map[string]any{"contactType": "service", "extensions": []any{ext("2007", "hideInAutoAttendant", true)}}, true, false},
			{"Service hidden", map[string]any{"contactType": "service", "hideInAutoAttendant": true}, true, false},
			{"Company person", map[string]any{"location": "New York Office"}, false, false},
		}
		var wantPhones, wantAA []string
		for _, tc := range cases {
			body := map[string]any{"displayName": tc.name}
			for k, v := range tc.body {
				body[k] = v
			}
			e.create("A", body)
			if tc.phones {
				wantPhones = append(wantPhones, tc.name)
			}
			if tc.aa {
				wantAA = append(wantAA, tc.name)
			}
		}
		slices.Sort(wantPhones)
		slices.Sort(wantAA)
		if got := e.directoryNames(read, ""); !slices.Equal(got, wantPhones) {
			t.Errorf("directory:\n got %q\nwant %q", got, wantPhones)
		}
		if got := e.directoryNames(read, "for=phones"); !slices.Equal(got, wantPhones) {
			t.Errorf("for=phones: got %q, want %q", got, wantPhones)
		}
		if got := e.directoryNames(read, "for=auto-attendant"); !slices.Equal(got, wantAA) {
			t.Errorf("auto attendant:\n got %q\nwant %q", got, wantAA)
		}
		// The list conventions: a filter, q, a sort.
		if got := e.directoryNames(read, "filter="+url.QueryEscape(`{"contactType":"service"}`)); !slices.Equal(got, []string{"Service hidden", "Service hidden ext", "Service queue"}) {
			t.Errorf("services: %q", got)
		}
		if got := e.directoryNames(read, "q=queue"); !slices.Equal(got, []string{"Service queue"}) {
			t.Errorf("q=queue: %q", got)
		}
		backward := slices.Clone(wantAA)
		slices.Reverse(backward)
		if got := e.directoryNames(read, "sort=-displayName&for=auto-attendant"); !slices.Equal(got, backward) {
			t.Errorf("sorted descending: %q", got)
		}

		// A write moves a contact in and out.
		id := e.listContactIDs("A", `{"displayName":"Corp unlisted ext"}`)[0]
		r := e.do("PATCH", "/v1/contacts/"+id, admin, map[string]any{"extensions": []any{ext("2002", "displayInDirectory", true)}})
		wantStatus(t, r, http.StatusOK)
		if got := e.directoryNames(read, "for=auto-attendant"); !slices.Contains(got, "Corp unlisted ext") {
			t.Errorf("after listing its extension: %q", got)
		}
		wantStatus(t, e.do("DELETE", "/v1/contacts/"+id, admin, nil), http.StatusNoContent)
		if got := e.directoryNames(read, ""); slices.Contains(got, "Corp unlisted ext") {
			t.Errorf("a deleted contact is listed: %q", got)
		}
		wantStatus(t, e.do("POST", "/v1/contacts/"+id+"/restore", admin, nil), http.StatusOK)
		if got := e.directoryNames(read, ""); !slices.Contains(got, "Corp unlisted ext") {
			t.Errorf("a restored contact is not listed: %q", got)
		}

		requireProblem(t, e.do("GET", "/v1/directory?for=everyone", read, nil), http.StatusBadRequest, "query.for")
		requireProblem(t, e.do("GET", "/v1/directory?includeDeleted=true", read, nil), http.StatusBadRequest, "query.includeDeleted")

		// Tenant B's directory lists none of A's contacts.
		if got := e.directoryNames(e.tokens["B"]["all"], ""); len(got) != 0 {
			t.Errorf("tenant B's directory lists %q", got)
		}
	})
}

// yealinkPhonebook is the published shape of a Yealink remote phonebook.
type yealinkPhonebook struct {
	XMLName xml.Name `xml:"YealinkIPPhoneDirectory"`
	Entries []struct {
		Name       string   `xml:"Name"`
		Telephones []string `xml:"Telephone"`
	} `xml:"DirectoryEntry"`
}

// TestDirectoryPhonebook: the phonebook XML has the format Yealink phones
// read, with the directory's contacts and their numbers, and desk phones
// may authenticate with Basic.
func TestDirectoryPhonebook(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		read := e.tokens["A"]["contacts:read"]
		e.create("A", map[string]any{"displayName": "Ann & <Co>", "contactType": "corporate", "phone": "+14155550100",
			"extensions": []any{ext("2001", "displayInDirectory", true), ext("2002"), ext("2003", "displayInDirectory", true, "hideInAutoAttendant", true)}})
		e.create("A", map[string]any{"displayName": "Support queue", "contactType": "service", "extensions": []any{ext("3000")}})
		e.create("A", map[string]any{"displayName": "Outsider", "phone": "+14155550101"})

		parse := func(r resp) yealinkPhonebook {
			t.Helper()
			wantStatus(t, r, http.StatusOK)
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/xml") {
				t.Errorf("Content-Type %q", ct)
			}
			if !strings.HasPrefix(string(r.body), `<?xml version="1.0" encoding="UTF-8"?>`) {
				t.Errorf("no XML declaration: %.60s", r.body)
			}
			var pb yealinkPhonebook
			if err := xml.Unmarshal(r.body, &pb); err != nil {
				t.Fatalf("%v: %s", err, r.body)
			}
			for _, en := range pb.Entries {
				if en.Name == "" || len(en.Telephones) == 0 || len(en.Telephones) > 3 {
					t.Errorf("entry %+v: a Name and one to three Telephone numbers", en)
				}
			}
			return pb
		}
		pb := parse(e.do("GET", "/v1/directory/phonebook.xml", read, nil))
		if len(pb.Entries) != 2 || pb.Entries[0].Name != "Ann & <Co>" || pb.Entries[1].Name != "Support queue" {
			t.Fatalf("entries %+v", pb.Entries)
		}
		if got := pb.Entries[0].Telephones; !slices.Equal(got, []string{"2001", "2003", "+14155550100"}) {
			t.Errorf("Ann's numbers %q: the listed extensions, then the primary phone", got)
		}
		aa := parse(e.do("GET", "/v1/directory/phonebook.xml?for=auto-attendant", read, nil))
		if got := aa.Entries[0].Telephones; !slices.Equal(got, []string{"2001", "+14155550100"}) {
			t.Errorf("Ann's numbers for the auto attendant %q", got)
		}

		// A desk phone sends the token by Basic; without one it is
		// challenged for both.
		req, _ := http.NewRequest("GET", e.srv.URL+"/v1/directory/phonebook.xml", nil)
		req.SetBasicAuth("deskphone", read)
		res, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("Basic: status %d", res.StatusCode)
		}
		r := e.do("GET", "/v1/directory/phonebook.xml", "", nil)
		problem(t, r, http.StatusUnauthorized, "phonebook without a token")
		if ch := r.header.Values("WWW-Authenticate"); len(ch) != 2 || !strings.HasPrefix(ch[1], "Basic ") {
			t.Errorf("challenges %q, want Bearer and Basic", ch)
		}
		// Basic is for the phonebook only.
		req, _ = http.NewRequest("GET", e.srv.URL+"/v1/directory", nil)
		req.SetBasicAuth("deskphone", read)
		if res, err = e.srv.Client().Do(req); err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized {
			t.Errorf("Basic on /v1/directory: status %d, want 401", res.StatusCode)
		}
		// Another tenant's phonebook is its own.
		if pb := parse(e.do("GET", "/v1/directory/phonebook.xml", e.tokens["B"]["all"], nil)); len(pb.Entries) != 0 {
			t.Errorf("tenant B's phonebook: %+v", pb.Entries)
		}
	})
}

// TestExtensions: uniqueness per tenant and PBX, fully qualified
// extensions per tenant, validation, and admin-only writes.
func TestExtensions(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin := e.tokens["A"]["all"]
		write := e.tokens["A"]["contacts:write"]
		pbx1 := map[string]any{"id": "pbx-1", "name": "Main"}
		a := e.create("A", map[string]any{"firstName": "Ext", "lastName": "Holder", "contactType": "corporate", "pbx": pbx1,
			"site": map[string]any{"id": "br_301", "name": "Tech Support Division"}, "location": "New York Office",
			"extensions": []any{ext("2041", "fqExtension", "142041", "type", "CC", "subscription", map[string]any{"id": "s1", "type": "ue"})}})
		x := jObj(jList(a["extensions"])[0])
		if x["type"] != "cc" || jObj(x["subscription"])["type"] != "UE" || jStr(x["id"]) == "" || jStr(x["createdAt"]) == "" {
			t.Errorf("extension as stored: %v", x)
		}

		// The same extension on the same PBX (the contact's) is taken...
		r := e.do("POST", "/v1/contacts", admin, map[string]any{"firstName": "Other", "contactType": "corporate", "pbx": pbx1,
			"extensions": []any{ext("2041")}})
		p := requireProblem(t, r, http.StatusConflict, "body.extensions[0].extension")
		if p["conflictingId"] != a["id"] || p["conflictingField"] != "extension" {
			t.Errorf("conflict %v", p)
		}
		// ... also when the extension names the PBX itself ...
		r = e.do("POST", "/v1/contacts", admin, map[string]any{"firstName": "Other", "contactType": "corporate",
			"extensions": []any{ext("2041", "pbx", map[string]any{"id": "pbx-1"})}})
		requireProblem(t, r, http.StatusConflict, "body.extensions[0].extension")
		// ... and so is the fully qualified one, whatever the PBX.
		r = e.do("POST", "/v1/contacts", admin, map[string]any{"firstName": "Other", "contactType": "corporate",
			"extensions": []any{ext("9999", "fqExtension", "142041")}})
		if p := requireProblem(t, r, http.StatusConflict, "body.extensions[0].fqExtension"); p["conflictingField"] != "fqExtension" {
			t.Errorf("conflict %v", p)
		}
		// On another PBX, the extension is free.
		other := e.create("A", map[string]any{"firstName": "Other", "contactType": "corporate",
			"extensions": []any{ext("2041", "pbx", map[string]any{"id": "pbx-2"})}})
		// Within one contact, and within one batch, a claim counts once.
		r = e.do("POST", "/v1/contacts", admin, map[string]any{"firstName": "Twice", "contactType": "corporate",
			"extensions": []any{ext("3001"), ext("3001")}})
		requireProblem(t, r, http.StatusBadRequest, "body.extensions[1].extension")
		res := e.batch(admin, false,
			map[string]any{"op": "create", "contact": map[string]any{"firstName": "B1", "contactType": "corporate", "extensions": []any{ext("3002")}}},
			map[string]any{"op": "create", "contact": map[string]any{"firstName": "B2", "contactType": "corporate", "extensions": []any{ext("3002")}}})
		if res[0]["status"] != "created" || res[1]["status"] != "error" || jObj(res[1]["error"])["conflictingField"] != "extension" {
			t.Errorf("batch: %v", res)
		}
		// Deleting the holder frees its extension.
		wantStatus(t, e.do("DELETE", "/v1/contacts/"+jStr(other["id"]), admin, nil), http.StatusNoContent)
		e.create("A", map[string]any{"firstName": "Heir", "contactType": "corporate", "extensions": []any{ext("2041", "pbx", map[string]any{"id": "pbx-2"})}})
		// Restoring the old holder now conflicts.
		requireProblem(t, e.do("POST", "/v1/contacts/"+jStr(other["id"])+"/restore", admin, nil), http.StatusConflict, "")

		// Validation names the field.
		for _, tc := range []struct {
			body map[string]any
			loc  string
		}{
			{map[string]any{"contactType": "corporate", "extensions": []any{ext("20a1")}}, "body.extensions[0].extension"},
			{map[string]any{"contactType": "corporate", "extensions": []any{ext("")}}, "body.extensions[0].extension"},
			{map[string]any{"contactType": "corporate", "extensions": []any{ext(strings.Repeat("1", 17))}}, "body.extensions[0].extension"},
			{map[string]any{"contactType": "corporate", "extensions": []any{ext("1", "type", "pstn")}}, "body.extensions[0].type"},
			{map[string]any{"contactType": "corporate", "extensions": []any{ext("1", "pbx", map[string]any{"id": "a b"})}}, "body.extensions[0].pbx.id"},
			{map[string]any{"contactType": "corporate", "extensions": []any{ext("1", "color", "red")}}, "body.extensions[0].color"},
			{map[string]any{"extensions": []any{ext("1")}}, "body.extensions"},
			{map[string]any{"contactType": "corporate", "subscription": map[string]any{"id": "s", "type": "CQ"}}, "body.subscription"},
			{map[string]any{"contactType": "service", "subscription": map[string]any{"id": "s", "type": "XX"}}, "body.subscription.type"},
			{map[string]any{"contactType": "service", "subscription": map[string]any{"type": "RG"}}, "body.subscription.id"},
			{map[string]any{"contactType": "service", "displayWhenNoExtension": true}, "body.displayWhenNoExtension"},
			{map[string]any{"site": map[string]any{"name": "No id"}}, "body.site.id"},
			{map[string]any{"pbx": map[string]any{"id": strings.Repeat("p", 33)}}, "body.pbx.id"},
			{map[string]any{"site": "Paris"}, "body.site"},
			{map[string]any{"location": strings.Repeat("l", 129)}, "body.location"},
		} {
			body := map[string]any{"firstName": "Invalid"}
			for k, v := range tc.body {
				body[k] = v
			}
			requireProblem(t, e.do("POST", "/v1/contacts", admin, body), http.StatusBadRequest, tc.loc)
		}

		// Only contacts:admin writes the directory's fields, of any contact.
		company := e.create("A", map[string]any{"firstName": "Company", "lastName": "Person"})
		for _, patch := range []map[string]any{
			{"site": map[string]any{"id": "br_1"}}, {"pbx": map[string]any{"id": "pbx-1"}}, {"hideInAutoAttendant": true},
		} {
			r := e.do("PATCH", "/v1/contacts/"+jStr(company["id"]), write, patch)
			if r.status != http.StatusForbidden {
				t.Errorf("contacts:write patching %v: status %d, want 403: %s", patch, r.status, r.body)
			}
		}
		r = e.do("POST", "/v1/contacts", write, map[string]any{"firstName": "Sited", "site": map[string]any{"id": "br_1"}})
		if r.status != http.StatusForbidden {
			t.Errorf("contacts:write creating with a site: status %d", r.status)
		}
		// The location is anyone's; a PATCH of what was read passes.
		r = e.do("PATCH", "/v1/contacts/"+jStr(company["id"]), write, map[string]any{"location": "Paris Office"})
		wantStatus(t, r, http.StatusOK)
		sited := e.create("A", map[string]any{"firstName": "Sited", "site": map[string]any{"id": "br_1", "name": "Branch"}})
		got := e.do("GET", "/v1/contacts/"+jStr(sited["id"]), admin, nil).json(t)
		got["lastName"] = "Edited"
		delete(got, "photo")
		wantStatus(t, e.do("PATCH", "/v1/contacts/"+jStr(sited["id"]), write, got), http.StatusOK)
	})
}

// TestLookupExtension: caller-ID by extension, on a PBX or any, and by
// fully qualified extension through phone=, with read-your-writes.
func TestLookupExtension(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin := e.tokens["A"]["all"]
		read := e.tokens["A"]["contacts:read"]
		a := e.create("A", map[string]any{"firstName": "Ann", "contactType": "corporate", "pbx": map[string]any{"id": "pbx-1"},
			"extensions": []any{ext("2041", "fqExtension", "1460002041"), ext("2042")}})
		bb := e.create("A", map[string]any{"firstName": "Ben", "contactType": "corporate",
			"extensions": []any{ext("2041", "pbx", map[string]any{"id": "pbx-2"})}})
		svc := e.create("A", map[string]any{"firstName": "Queue", "contactType": "service", "extensions": []any{ext("5000")}})
		aExt := jStr(jObj(jList(a["extensions"])[0])["id"])

		cases := []struct {
			kv    []string
			match string
			ids   []any
		}{
			{[]string{"extension", "2041", "pbx", "pbx-1"}, "exact", []any{a["id"]}},
			{[]string{"extension", "2041", "pbx", "pbx-2"}, "exact", []any{bb["id"]}},
			{[]string{"extension", "2041", "pbx", "pbx-3"}, "none", nil},
			{[]string{"extension", "2041"}, "ambiguous", []any{bb["id"], a["id"]}},
			{[]string{"extension", "2042"}, "exact", []any{a["id"]}},
			{[]string{"extension", "5000", "pbx", ""}, "exact", []any{svc["id"]}},
			{[]string{"extension", "5000", "pbx", "pbx-1"}, "none", nil},
			{[]string{"extension", "1460002041"}, "none", nil},
			{[]string{"phone", "1460002041"}, "exact", []any{a["id"]}},
			{[]string{"phone", "+1460002041"}, "exact", []any{a["id"]}},
			{[]string{"phone", "2041"}, "none", nil},
		}
		for _, tc := range cases {
			got := e.lookup(read, tc.kv...)
			ids := []any{}
			for _, d := range got.Data {
				ids = append(ids, d["id"])
			}
			if got.Match != tc.match || !slices.Equal(ids, append([]any{}, tc.ids...)) {
				t.Errorf("%v: %s %v, want %s %v", tc.kv, got.Match, ids, tc.match, tc.ids)
			}
		}
		if got := e.lookup(read, "phone", "1460002041"); !slices.Equal(matched(t, got.Data[0]), []string{aExt}) {
			t.Errorf("matchedEntries %v, want the extension %s", matched(t, got.Data[0]), aExt)
		}
		for _, tc := range []struct {
			kv  []string
			loc string
		}{
			{[]string{"extension", "20x1"}, "query.extension"},
			{[]string{"extension", "2041", "phone", "+14155550100"}, "query.extension"},
			{[]string{"pbx", "pbx-1"}, "query.pbx"},
			{[]string{"phone", "+14155550100", "pbx", "pbx-1"}, "query.pbx"},
		} {
			requireProblem(t, e.do("GET", lookupPath(tc.kv...), read, nil), http.StatusBadRequest, tc.loc)
		}

		// Read-your-writes: a moved extension is found at once where it went.
		r := e.do("PATCH", "/v1/contacts/"+jStr(bb["id"]), admin, map[string]any{"extensions": []any{ext("2077", "pbx", map[string]any{"id": "pbx-2"})}})
		wantStatus(t, r, http.StatusOK)
		if got := e.lookup(read, "extension", "2077"); got.Match != "exact" || got.Data[0]["id"] != bb["id"] {
			t.Errorf("after the move: %v", answerIDs(got))
		}
		if got := e.lookup(read, "extension", "2041", "pbx", "pbx-2"); got.Match != "none" {
			t.Errorf("the old extension still finds %v", answerIDs(got))
		}
		// Deleted contacts are not found; tenant B finds nothing of A's.
		wantStatus(t, e.do("DELETE", "/v1/contacts/"+jStr(svc["id"]), admin, nil), http.StatusNoContent)
		if got := e.lookup(read, "extension", "5000"); got.Match != "none" {
			t.Errorf("a deleted contact is found: %v", answerIDs(got))
		}
		if got := e.lookup(e.tokens["B"]["all"], "extension", "2042"); got.Match != "none" {
			t.Errorf("tenant B finds %v", answerIDs(got))
		}
	})
}

// TestReferenceFields: links with their filters, emails' verified,
// phones' region and source, and the entries' createdAt.
func TestReferenceFields(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		c := e.create("A", map[string]any{"firstName": "Ref", "lastName": "Fields",
			"emails": []any{map[string]any{"address": "ref@example.com", "verified": true}},
			"phones": []any{map[string]any{"number": "+44 20 7946 0000", "source": "EXTERNAL"}, map[string]any{"number": "+1 415 555 2671"}, map[string]any{"number": "+800 1234 5678"}},
			"links": []any{map[string]any{"type": "ticket", "externalId": "T-1001", "url": "https://help.example.com/t/1001", "title": "Broken phone"},
				map[string]any{"type": "deal", "externalId": "D-7"}}})
		e.create("A", map[string]any{"firstName": "Other", "links": []any{map[string]any{"type": "task", "externalId": "T-1001"}}})
		phones := jList(c["phones"])
		if got := []any{jObj(phones[0])["region"], jObj(phones[1])["region"], jObj(phones[2])["region"]}; !slices.Equal(got, []any{"GB", "US", nil}) {
			t.Errorf("regions %v, want GB, US and none for a non-geographic number", got)
		}
		if jObj(phones[0])["source"] != "external" || jObj(phones[1])["source"] != nil {
			t.Errorf("sources %v %v", jObj(phones[0])["source"], jObj(phones[1])["source"])
		}
		if jObj(jList(c["emails"])[0])["verified"] != true {
			t.Errorf("email %v", jList(c["emails"])[0])
		}
		created := jStr(jObj(phones[0])["createdAt"])
		if created != jStr(c["createdAt"]) {
			t.Errorf("phone createdAt %q, contact's %q", created, c["createdAt"])
		}
		// An update keeps the entries' times and stamps a new entry's.
		laterThan(t, c)
		r := e.do("POST", "/v1/contacts/"+jStr(c["id"])+"/phones", tok, map[string]any{"number": "+33 1 42 68 53 00"})
		wantStatus(t, r, http.StatusCreated)
		u := r.json(t)
		up := jList(u["phones"])
		if jStr(jObj(up[0])["createdAt"]) != created || jStr(jObj(up[3])["createdAt"]) == created || jObj(up[3])["region"] != "FR" {
			t.Errorf("after adding a phone: %v", up)
		}
		// A client may send the read-only fields back unchanged.
		got := e.do("GET", "/v1/contacts/"+jStr(c["id"]), tok, nil).json(t)
		delete(got, "photo")
		wantStatus(t, e.do("PATCH", "/v1/contacts/"+jStr(c["id"]), tok, got), http.StatusOK)

		for _, tc := range []struct {
			filter string
			want   int
		}{
			{`{"links.externalId":"T-1001"}`, 2},
			{`{"links.type":"ticket"}`, 1},
			{`{"links.type":{"$in":["deal","task"]}}`, 2},
			{`{"links.externalId":"T-1001","links.type":"ticket"}`, 1},
			{`{"links.type":{"$exists":false}}`, 0},
		} {
			if got := e.listContactIDs("A", tc.filter); len(got) != tc.want {
				t.Errorf("%s: %d contacts, want %d", tc.filter, len(got), tc.want)
			}
		}
		for _, tc := range []struct {
			links []any
			loc   string
		}{
			{[]any{map[string]any{"type": "ticket"}}, "body.links[0].externalId"},
			{[]any{map[string]any{"type": "incident", "externalId": "1"}}, "body.links[0].type"},
			{[]any{map[string]any{"externalId": "1", "url": "javascript:alert(1)"}}, "body.links[0].url"},
			{[]any{map[string]any{"externalId": "1"}, map[string]any{"externalId": "1"}}, "body.links[1].externalId"},
			{make([]any, 51), "body.links"},
		} {
			for i, l := range tc.links {
				if l == nil {
					tc.links[i] = map[string]any{"externalId": strings.Repeat("x", i+1)}
				}
			}
			requireProblem(t, e.do("POST", "/v1/contacts", tok, map[string]any{"firstName": "Bad", "links": tc.links}), http.StatusBadRequest, tc.loc)
		}
		requireProblem(t, e.do("POST", "/v1/contacts", tok, map[string]any{"firstName": "Bad",
			"phones": []any{map[string]any{"number": "+14155550100", "source": "crm"}}}), http.StatusBadRequest, "body.phones[0].source")
	})
}

// TestDirectoryFilters: the directory's fields filter and sort every list.
func TestDirectoryFilters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		mk := func(name, ext, site, pbx, location, subType string) {
			body := map[string]any{"displayName": name, "contactType": "corporate", "location": location}
			if subType != "" {
				body["contactType"] = "service"
				body["subscription"] = map[string]any{"id": "sub-" + name, "type": subType}
			}
			if ext != "" {
				body["extensions"] = []any{map[string]any{"extension": ext, "fqExtension": "9" + ext}}
			}
			if site != "" {
				body["site"] = map[string]any{"id": site}
			}
			if pbx != "" {
				body["pbx"] = map[string]any{"id": pbx}
			}
			e.create("A", body)
		}
		mk("Alpha", "300", "s1", "p1", "Paris", "")
		mk("Bravo", "100", "s2", "p1", "Berlin", "")
		mk("Charlie", "200", "s1", "p2", "", "RG")
		mk("Delta", "", "", "", "Austin", "")
		names := func(kv ...string) []string {
			t.Helper()
			var out []string
			for _, c := range e.list(e.tokens["A"]["contacts:read"], kv...).Data {
				out = append(out, jStr(c["displayName"]))
			}
			return out
		}
		for _, tc := range []struct {
			kv   []string
			want []string
		}{
			{[]string{"filter", `{"extensions":"100"}`}, []string{"Bravo"}},
			{[]string{"filter", `{"extensions":"9200"}`}, []string{"Charlie"}},
			{[]string{"filter", `{"extensions":{"$exists":false}}`}, []string{"Delta"}},
			{[]string{"filter", `{"site.id":"s1"}`, "sort", "displayName"}, []string{"Alpha", "Charlie"}},
			{[]string{"filter", `{"pbx.id":{"$ne":"p1"}}`, "sort", "displayName"}, []string{"Charlie", "Delta"}},
			{[]string{"filter", `{"location":{"$prefix":"B"}}`}, []string{"Bravo"}},
			{[]string{"filter", `{"subscription.type":"RG"}`}, []string{"Charlie"}},
			{[]string{"sort", "extensions"}, []string{"Delta", "Bravo", "Charlie", "Alpha"}},
			{[]string{"sort", "-location"}, []string{"Alpha", "Bravo", "Delta", "Charlie"}},
			{[]string{"sort", "site.id,displayName", "limit", "1"}, []string{"Delta"}},
		} {
			if got := names(tc.kv...); !slices.Equal(got, tc.want) {
				t.Errorf("%v: %q, want %q", tc.kv, got, tc.want)
			}
		}
		// A sort by a directory field pages by cursor like any other.
		if got := e.walk(e.tokens["A"]["contacts:read"], nil, "sort", "location", "limit", "1"); len(got) != 4 {
			t.Errorf("walking by location: %d contacts", len(got))
		}
		requireProblem(t, e.do("GET", listPath("filter", `{"subscription.type":"XX"}`), e.tokens["A"]["contacts:read"], nil), http.StatusBadRequest, "")
	})
}

// TestMergeLinksAndLocation: a merge unions the links and takes the
// location, site and PBX from a source when the target has none; undo
// gives them back.
func TestMergeLinksAndLocation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		target := e.create("A", map[string]any{"firstName": "Mia", "lastName": "Merge", "email": "mia@example.com",
			"links": []any{map[string]any{"type": "ticket", "externalId": "T-1"}}})
		source := e.create("A", map[string]any{"firstName": "Mia", "lastName": "Merge", "phone": "+14155550142", "email": "mia@example.org",
			"location": "Lisbon", "site": map[string]any{"id": "br_9"},
			"links": []any{map[string]any{"type": "ticket", "externalId": "T-1"}, map[string]any{"type": "deal", "externalId": "D-2"}}})
		r := e.do("POST", "/v1/contacts/merge", tok, map[string]any{"targetId": target["id"], "sourceIds": []any{source["id"]}, "force": true})
		wantStatus(t, r, http.StatusOK)
		res := r.json(t)
		c := jObj(res["contact"])
		var links []string
		for _, l := range jList(c["links"]) {
			links = append(links, jStr(jObj(l)["type"])+":"+jStr(jObj(l)["externalId"]))
		}
		if !slices.Equal(links, []string{"ticket:T-1", "deal:D-2"}) || c["location"] != "Lisbon" || jObj(c["site"])["id"] != "br_9" {
			t.Errorf("survivor: links %v, location %v, site %v", links, c["location"], c["site"])
		}
		// (The source, deleted by the merge, keeps its links.)
		var live []string
		for _, c := range e.list(tok, "filter", `{"links.externalId":"D-2"}`).Data {
			live = append(live, jStr(c["id"]))
		}
		if !slices.Equal(live, []string{jStr(target["id"])}) {
			t.Errorf("the merged link finds %v among live contacts", live)
		}
		wantStatus(t, e.do("POST", "/v1/contacts/"+jStr(target["id"])+"/unmerge", tok, nil), http.StatusOK)
		back := e.do("GET", "/v1/contacts/"+jStr(target["id"]), tok, nil).json(t)
		if len(jList(back["links"])) != 1 || back["location"] != nil || back["site"] != nil {
			t.Errorf("after undo: links %v, location %v, site %v", back["links"], back["location"], back["site"])
		}
	})
}
