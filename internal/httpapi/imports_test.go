package httpapi_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/storetest"
)

func init() {
	extraCases = append(extraCases, func() map[string]routeCase {
		return map[string]routeCase{
			"POST /v1/imports": {query: "?format=ndjson", body: func() any {
				return fmt.Sprintf(`{"firstName":"Imported","email":"imported%d@example.org"}`+"\n", uniqSeq.Add(1))
			}, contentType: "application/x-ndjson", ok: 202},
			"GET /v1/imports":                   {ok: 200},
			"GET /v1/imports/{importId}":        {ok: 200},
			"DELETE /v1/imports/{importId}":     {ok: 200},
			"GET /v1/imports/{importId}/errors": {ok: 200},
		}
	})
	// Every target's tenant has an import of the target's own.
	targetHooks = append(targetHooks, func(m mx, tenant string, tg *target) {
		m.t.Helper()
		r := m.do("POST /v1/imports", true, "POST", "/v1/imports?format=ndjson", m.e.tokens[tenant]["all"],
			`{"firstName":"Hooked"}`+"\n", "Content-Type", "application/x-ndjson")
		if r.status != http.StatusAccepted {
			m.t.Fatalf("create target import: status %d: %s", r.status, r.body)
		}
		tg.ImportID = jStr(r.json(m.t)["id"])
	})
}

// upload posts a file to /v1/imports and returns the job.
func (e *env) upload(tenant, query, contentType, file string) map[string]any {
	e.t.Helper()
	r := e.do("POST", "/v1/imports"+query, e.tokens[tenant]["all"], file, "Content-Type", contentType)
	if r.status != http.StatusAccepted || r.header.Get("Location") != "/v1/imports/"+jStr(r.json(e.t)["id"]) {
		e.t.Fatalf("upload: %d %s", r.status, r.body)
	}
	return r.json(e.t)
}

// waitImport polls a job until it has ended and returns it.
func (e *env) waitImport(tenant, id string) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := e.do("GET", "/v1/imports/"+id, e.tokens[tenant]["all"], nil)
		wantStatus(e.t, r, http.StatusOK)
		im := r.json(e.t)
		switch im["status"] {
		case "succeeded", "failed", "cancelled":
			return im
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("import %s still %v", id, im["status"])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// importFile uploads a file and waits for its job.
func (e *env) importFile(tenant, query, contentType, file string) map[string]any {
	e.t.Helper()
	return e.waitImport(tenant, jStr(e.upload(tenant, query, contentType, file)["id"]))
}

func wantCounts(t *testing.T, im map[string]any, want map[string]float64) {
	t.Helper()
	for k, v := range want {
		if im[k] != v {
			t.Errorf("%s: %v, want %v (job %v)", k, im[k], v, im)
		}
	}
}

// googleCSV is a Google Contacts export: the real header, and rows.
func googleCSV(t *testing.T, rows ...map[string]string) string {
	t.Helper()
	b, err := os.ReadFile("../../../shared/testdata/csv/headers/google_contacts_current_export.header.csv")
	if err != nil {
		t.Skip("../shared/testdata is not beside the checkout")
	}
	h, _ := csv.NewReader(bytes.NewReader(b)).Read()
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	_ = w.Write(h)
	for _, r := range rows {
		row := make([]string, len(h))
		for i, col := range h {
			row[i] = r[col]
		}
		_ = w.Write(row)
	}
	w.Flush()
	return out.String()
}

// TestImportGoogleCSV: the README's walk-through. A Google export goes in,
// the rows that fail are listed and can be had as CSV, fixed and imported
// again.
func TestImportGoogleCSV(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		file := googleCSV(t,
			map[string]string{"First Name": "Ada", "Last Name": "Lovelace", "Organization Name": "Engines", "Labels": "* myContacts ::: VIP",
				"E-mail 1 - Label": "* Work", "E-mail 1 - Value": "ada@example.org", "Phone 1 - Label": "Mobile", "Phone 1 - Value": "+44 7700 900123",
				"Notes": "met at\nthe fair", "Birthday": "1815-12-10"},
			map[string]string{"First Name": "Bad", "E-mail 1 - Value": "not an email"},
			map[string]string{"First Name": "Grace", "Last Name": "Hopper", "Phone 1 - Value": "(415) 555-2671", "Custom Field 1 - Label": "externalId", "Custom Field 1 - Value": "crm-7"},
			map[string]string{},
			map[string]string{"First Name": "Twin", "E-mail 1 - Value": "ada@example.org"},
		)
		im := e.importFile("A", "", "text/csv", file)
		wantCounts(t, im, map[string]float64{"processed": 5, "created": 2, "failed": 2, "skipped": 1, "updated": 0})
		if im["status"] != "succeeded" || im["layout"] != "google" || im["format"] != "csv" || im["total"] != 5.0 {
			t.Errorf("job %v", im)
		}
		tok := e.tokens["A"]["all"]
		ada := e.list(tok, "q", "lovelace")
		if len(ada.Data) != 1 {
			t.Fatalf("ada: %v", ada.raw)
		}
		c := ada.Data[0]
		if c["source"] != "import" || c["company"] != "Engines" || c["notes"] != "met at\nthe fair" || c["birthday"] != "1815-12-10" ||
			!slices.Equal(anyStrings(c["tags"]), []string{"VIP"}) || jStr(jObj(jList(c["phones"])[0])["e164"]) != "+447700900123" {
			t.Errorf("ada imported as %v", c)
		}
		id := jStr(im["id"])
		r := e.do("GET", "/v1/imports/"+id+"/errors", tok, nil)
		wantStatus(t, r, http.StatusOK)
		errs := jList(r.json(t)["data"])
		if len(errs) != 2 {
			t.Fatalf("errors %s", r.body)
		}
		first, second := jObj(errs[0]), jObj(errs[1])
		// (Ada's notes take two lines of the file: Bad is on line 4.)
		if first["record"] != 4.0 || first["location"] != "emails[0].address" || first["code"] != "invalid" || !slices.Contains(anyStrings(first["raw"]), "not an email") {
			t.Errorf("first error %v", first)
		}
		if second["record"] != 7.0 || second["code"] != "conflict" || second["conflictingId"] != c["id"] {
			t.Errorf("second error %v", second)
		}

		// The failed rows as CSV: the file's own columns and what is wrong.
		r = e.do("GET", "/v1/imports/"+id+"/errors?format=csv", tok, nil)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Fatalf("errors as CSV: %d %s", r.status, r.body)
		}
		rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
		if err != nil || len(rows) != 3 || rows[0][len(rows[0])-1] != "contactd error" || rows[1][0] != "Bad" ||
			!strings.Contains(rows[1][len(rows[1])-1], "emails[0].address") {
			t.Fatalf("errors as CSV: %v %q", err, rows)
		}
		// Fixed and imported again: the first row goes in, the second is
		// still a duplicate of Ada.
		fixed := strings.Replace(string(r.body), "not an email", "bad@example.org", 1)
		im = e.importFile("A", "", "text/csv", fixed)
		wantCounts(t, im, map[string]float64{"processed": 2, "created": 1, "failed": 1})
		if len(im["warnings"].([]any)) != 0 {
			t.Errorf("the error column was not left aside: %v", im["warnings"])
		}
		// Another tenant sees none of it.
		if r := e.do("GET", "/v1/imports/"+id, e.tokens["B"]["all"], nil); r.status != http.StatusNotFound {
			t.Errorf("B reads A's import: %d", r.status)
		}
		if r := e.do("GET", "/v1/imports/"+id+"/errors", e.tokens["B"]["all"], nil); r.status != http.StatusNotFound {
			t.Errorf("B reads A's import errors: %d", r.status)
		}
	})
}

func anyStrings(v any) []string {
	var out []string
	for _, x := range jList(v) {
		out = append(out, jStr(x))
	}
	return out
}

// TestImportVCards: every card of ../shared/testdata imports, one file at
// a time; a card with nothing that names anyone (issue64.vcf: a photo
// alone) is a failed record.
func TestImportVCards(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("../../../shared/testdata/vcard/*/*.vcf")
	if len(files) == 0 {
		t.Skip("../shared/testdata is not beside the checkout")
	}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			im := e.importFile("A", "", "text/vcard", string(data))
			if im["status"] != "succeeded" || im["format"] != "vcard" {
				t.Errorf("%s: %v", f, im)
			}
			failed := 0.0
			if strings.HasSuffix(f, "issue64.vcf") {
				failed = 1 // a photo and nothing that names anyone
			}
			if im["failed"] != failed || im["skipped"] != 0.0 || im["created"].(float64)+failed != im["processed"] {
				t.Errorf("%s: %v", filepath.Base(f), im)
			}
		}
		full := e.list(e.tokens["A"]["all"], "q", "quinlan")
		if len(full.Data) != 1 || full.Data[0]["jobTitle"] != "CEO" || jObj(full.Data[0]["properties"])["vcard"] == nil {
			t.Errorf("vcard40_full: %v", full.raw)
		}
	})
}

// TestImportRoundTrip: a tenant's export, in each format, imported into
// another tenant gives back the same contacts (but for what the format
// does not carry, and the ids, times and source an import gives).
func TestImportRoundTrip(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		for i := range 12 {
			e.create("A", map[string]any{"firstName": fmt.Sprintf("Round%02d", i), "lastName": "Trip", "company": "Acme",
				"email": fmt.Sprintf("rt%d@example.org", i), "phone": fmt.Sprintf("+1 415 555 %04d", i), "notes": "a note",
				"tags": []any{"rt"}, "externalId": fmt.Sprintf("rt-%d", i), "jobTitle": "Tester", "birthday": "--02-29", "anniversary": "2011-06-18",
				"properties": map[string]any{"tier": i}, "addresses": []any{map[string]any{"type": "home", "city": "Paris", "country": "France"}},
				"location": "Floor 3", "links": []any{map[string]any{"type": "ticket", "externalId": fmt.Sprintf("T-%d", i), "url": "https://help.example.com/t"}},
				"contactType": "corporate", "site": map[string]any{"id": "br_1", "name": "HQ"}, "pbx": map[string]any{"id": "pbx-1"},
				"extensions": []any{map[string]any{"extension": fmt.Sprintf("20%02d", i), "fqExtension": fmt.Sprintf("1420%02d", i), "displayInDirectory": i%2 == 0}}})
		}
		// The fields each format carries.
		carried := map[string][]string{
			"ndjson": {"firstName", "lastName", "company", "emails", "phones", "notes", "tags", "externalId", "jobTitle", "birthday", "anniversary", "properties", "addresses", "displayName",
				"location", "links", "contactType", "site", "pbx", "extensions"},
			"vcard": {"firstName", "lastName", "company", "emails", "phones", "notes", "tags", "externalId", "jobTitle", "birthday", "anniversary", "properties", "addresses", "displayName",
				"location", "links", "contactType", "site", "pbx", "extensions"},
			"csv": {"firstName", "lastName", "company", "emails", "phones", "notes", "tags", "externalId", "jobTitle", "birthday", "anniversary", "addresses", "displayName"},
		}
		comparable := func(c map[string]any, fields []string) string {
			out := map[string]any{}
			for _, f := range fields {
				v := c[f]
				switch f {
				case "emails", "phones", "addresses", "links", "extensions":
					var l []any
					for _, x := range jList(v) {
						m := jObj(x)
						delete(m, "id")
						delete(m, "createdAt")
						delete(m, "number") // phones come back as their E.164
						l = append(l, m)
					}
					v = l
				}
				out[f] = v
			}
			return fmt.Sprint(out)
		}
		exported := map[string]string{}
		for _, c := range e.list(e.tokens["A"]["all"], "limit", "100").Data {
			exported[jStr(c["externalId"])] = jStr(c["id"])
		}
		for i, format := range []string{"ndjson", "vcard", "csv"} {
			tenant := []string{"B", "C", "D"}[i]
			if _, ok := e.tokens[tenant]; !ok {
				tenant = "B"
				// Each format into a clean tenant: remove what the last left.
				for _, c := range e.list(e.tokens["B"]["all"], "limit", "100").Data {
					wantStatus(t, e.do("DELETE", "/v1/contacts/"+jStr(c["id"])+"?permanent=true", e.tokens["B"]["all"], nil), http.StatusNoContent)
				}
			}
			r := e.do("GET", "/v1/contacts/export?format="+format, e.tokens["A"]["contacts:read"], nil)
			wantStatus(t, r, http.StatusOK)
			im := e.importFile(tenant, "?format="+format, "application/octet-stream", string(r.body))
			wantCounts(t, im, map[string]float64{"processed": 12, "created": 12, "failed": 0})
			got := e.list(e.tokens[tenant]["all"], "limit", "100").Data
			if len(got) != 12 {
				t.Fatalf("%s: %d contacts", format, len(got))
			}
			for _, c := range got {
				if c["source"] != "import" {
					t.Errorf("%s: source %v", format, c["source"])
				}
				orig := e.do("GET", "/v1/contacts/"+exported[jStr(c["externalId"])], e.tokens["A"]["all"], nil).json(t)
				if a, b := comparable(c, carried[format]), comparable(orig, carried[format]); a != b {
					t.Errorf("%s: round trip\n got %s\nwant %s", format, a, b)
				}
			}
		}
	})
}

// TestImportUpsertAndDryRun: in upsert mode a record updates the contact
// it matches by external id, else email, else number; a dry run reports
// what the real run then does, and writes nothing.
func TestImportUpsertAndDryRun(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		byExt := e.create("A", map[string]any{"firstName": "Ext", "externalId": "crm-1", "jobTitle": "Keeps"})
		byEmail := e.create("A", map[string]any{"firstName": "Mail", "email": "mail@example.org"})
		byPhone := e.create("A", map[string]any{"firstName": "Tel", "phone": "+1 415 555 0101"})
		e.create("A", map[string]any{"firstName": "Shared1", "phone": "+1 415 555 0202"})
		e.create("A", map[string]any{"firstName": "Shared2", "phone": "+1 415 555 0202"})
		e.create("A", map[string]any{"firstName": "Same", "email": "same@example.org"})
		file := strings.Join([]string{
			`{"externalId":"crm-1","company":"By Ext"}`,
			`{"email":"MAIL@example.org","company":"By Email"}`,
			`{"phones":[{"number":"(415) 555-0101"}],"company":"By Phone"}`,
			`{"firstName":"New","email":"new@example.org"}`,
			`{"phones":[{"number":"+1 415 555 0202"}],"company":"Which?"}`,
			`{"firstName":"Ext","externalId":"crm-1"}`,
			`{"firstName":"Same","email":"same@example.org"}`,
			`{"firstName":"Bad","birthday":"soon"}`,
			`not json`,
		}, "\n") + "\n"
		feed := len(e.feed(tok, ""))
		// The sixth record names the contact the first updates: a
		// duplicate within the file, which fails.
		want := map[string]float64{"processed": 9, "created": 1, "updated": 3, "unchanged": 1, "failed": 4}
		dry := e.importFile("A", "?format=ndjson&mode=upsert&dryRun=true", "application/x-ndjson", file)
		wantCounts(t, dry, want)
		if dry["dryRun"] != true {
			t.Errorf("dry run %v", dry)
		}
		if n := len(e.feed(tok, "")); n != feed {
			t.Errorf("a dry run wrote %d changes", n-feed)
		}
		if got := pageIDs(e.list(tok, "q", "new")); len(got) != 0 {
			t.Errorf("a dry run created %v", got)
		}
		real := e.importFile("A", "?format=ndjson&mode=upsert", "application/x-ndjson", file)
		wantCounts(t, real, want)
		if m := jObj(real["matchedBy"]); m["externalId"] != 1.0 || m["email"] != 2.0 || m["phone"] != 1.0 {
			t.Errorf("matchedBy %v", real["matchedBy"])
		}
		for id, company := range map[string]string{jStr(byExt["id"]): "By Ext", jStr(byEmail["id"]): "By Email", jStr(byPhone["id"]): "By Phone"} {
			c := e.do("GET", "/v1/contacts/"+id, tok, nil).json(t)
			if c["company"] != company {
				t.Errorf("%s: company %v, want %s", id, c["company"], company)
			}
		}
		if c := e.do("GET", "/v1/contacts/"+jStr(byExt["id"]), tok, nil).json(t); c["jobTitle"] != "Keeps" {
			t.Errorf("an upsert cleared what the record lacks: %v", c)
		}
		dryErrs := e.do("GET", "/v1/imports/"+jStr(dry["id"])+"/errors", tok, nil).json(t)["data"]
		realErrs := e.do("GET", "/v1/imports/"+jStr(real["id"])+"/errors", tok, nil).json(t)["data"]
		if fmt.Sprint(dryErrs) != fmt.Sprint(realErrs) || len(jList(realErrs)) != 4 {
			t.Errorf("errors: dry run %v, real run %v", dryErrs, realErrs)
		}
	})
}

func TestImportRequests(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		for _, tc := range []struct {
			query, contentType, body, loc string
			status                        int
		}{
			{"?format=xml", "text/csv", "Name\nA\n", "query.format", 400},
			{"?mode=merge", "text/csv", "Name\nA\n", "query.mode", 400},
			{"?dryRun=maybe", "text/csv", "Name\nA\n", "query.dryRun", 400},
			{"?mapping=" + url.QueryEscape("{nope"), "text/csv", "Name\nA\n", "query.mapping", 400},
			{"?mapping=" + url.QueryEscape(`{"Nope":"firstName"}`), "text/csv", "Name\nA\n", "query.mapping.Nope", 400},
			{"?charset=klingon", "text/csv", "Name\nA\n", "query.charset", 400},
			{"?format=vcard&charset=latin1", "", "BEGIN:VCARD\n", "query.charset", 400},
			{"", "text/csv", "", "body", 400},
		} {
			r := e.do("POST", "/v1/imports"+tc.query, tok, tc.body, "Content-Type", tc.contentType)
			requireProblem(t, r, tc.status, tc.loc)
		}
		if r := e.do("POST", "/v1/imports", e.tokens["A"]["contacts:write"], "Name\nA\n", "Content-Type", "text/csv"); r.status != http.StatusForbidden {
			t.Errorf("an import with contacts:write: %d", r.status)
		}
		// The format is told by the file when not given.
		for file, format := range map[string]string{
			"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Sniffed Card\r\nEND:VCARD\r\n": "vcard",
			`{"firstName":"Sniffed"}` + "\n":                                 "ndjson",
			"First Name\nSniffed CSV\n":                                      "csv",
		} {
			if im := e.importFile("A", "", "application/octet-stream", file); im["format"] != format || im["created"] != 1.0 {
				t.Errorf("%q: %v", file, im)
			}
		}
		r := e.do("GET", "/v1/imports?limit=2", tok, nil)
		wantStatus(t, r, http.StatusOK)
		if p := r.json(t); len(jList(p["data"])) != 2 || p["nextCursor"] == nil {
			t.Errorf("list: %s", r.body)
		}
	})
}
