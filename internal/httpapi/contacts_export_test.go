package httpapi_test

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/formats"
	"github.com/contactd/contactd/internal/storetest"
)

// TestExportContacts: an export streams every contact of a list, one JSON
// contact a line as GET returns it, across pages (more contacts than a
// page holds), in id order by default and in the list's order otherwise;
// it honours filter, q, includeDeleted and fields, never shows another
// tenant's contacts, and refuses a bad request with a problem before any
// line.
func TestExportContacts(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		ctx := context.Background()
		const n = contactd.MaxLimit + 234
		var ins []*contactd.ContactInput
		for i := range n {
			in := &contactd.ContactInput{FirstName: fmt.Sprintf("Ex%04d", i), LastName: []string{"Lovelace", "Hopper", "Turing"}[i%3],
				Emails: []contactd.Email{{Address: fmt.Sprintf("ex%04d@example.com", i)}}}
			if i%5 == 0 {
				in.Tags = []string{"vip"}
			}
			ins = append(ins, in)
		}
		pa, err := e.svc.Authenticate(ctx, e.tokens["A"]["all"])
		if err != nil {
			t.Fatal(err)
		}
		for chunk := range slices.Chunk(ins, contactd.MaxBulk) {
			if _, err := e.svc.CreateContacts(ctx, pa, "test", chunk); err != nil {
				t.Fatal(err)
			}
		}
		other := e.create("B", map[string]any{"firstName": "Ex9999", "lastName": "Other"})
		deleted := e.create("A", map[string]any{"firstName": "Gone", "lastName": "Turing"})
		if r := e.do("DELETE", "/v1/contacts/"+deleted["id"].(string), e.tokens["A"]["all"], nil); r.status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", r.status, r.body)
		}

		export := func(query string) []map[string]any {
			t.Helper()
			return exportLines(t, e, "A", query)
		}
		ids := func(cs []map[string]any) []string {
			var out []string
			for _, c := range cs {
				out = append(out, c["id"].(string))
			}
			return out
		}
		// walk reads the same list page by page through GET /v1/contacts.
		walk := func(query url.Values) []string {
			t.Helper()
			var out []string
			query.Set("limit", "1000")
			for {
				r := e.do("GET", "/v1/contacts?"+query.Encode(), e.tokens["A"]["contacts:read"], nil)
				if r.status != http.StatusOK {
					t.Fatalf("list %v: %d %s", query, r.status, r.body)
				}
				var page struct {
					Data       []map[string]any `json:"data"`
					NextCursor *string          `json:"nextCursor"`
				}
				if err := json.Unmarshal(r.body, &page); err != nil {
					t.Fatal(err)
				}
				out = append(out, ids(page.Data)...)
				if page.NextCursor == nil {
					return out
				}
				query.Set("cursor", *page.NextCursor)
			}
		}

		all := export("")
		got := ids(all)
		if len(got) != n || !slices.IsSorted(got) || slices.Contains(got, other["id"].(string)) || slices.Contains(got, deleted["id"].(string)) {
			t.Errorf("export: %d contacts (sorted %v), want tenant A's %d live ones in id order", len(got), slices.IsSorted(got), n)
		}
		// Each line is the contact as GET returns it.
		one := e.do("GET", "/v1/contacts/"+got[7], e.tokens["A"]["contacts:read"], nil).json(t)
		if a, b := fmt.Sprint(one), fmt.Sprint(all[7]); a != b {
			t.Errorf("export line differs from GET:\n%s\n%s", b, a)
		}
		// The export in id order of whole contacts sends the stored
		// documents as they are: byte for byte what GET and the decoded
		// path (an export with every field named) write.
		raw := e.do("GET", "/v1/contacts/export", e.tokens["A"]["contacts:read"], nil).body
		var names []string
		for k := range one {
			names = append(names, k)
		}
		// (a projection writes the members in name order)
		decoded := bytes.Split(bytes.TrimSuffix(exportBody(t, e, "?fields="+strings.Join(names, ",")), []byte("\n")), []byte("\n"))
		lines := bytes.Split(bytes.TrimSuffix(raw, []byte("\n")), []byte("\n"))
		if len(lines) != n || len(decoded) != n {
			t.Fatalf("%d stored lines, %d decoded, want %d", len(lines), len(decoded), n)
		}
		for i := range lines {
			var a, b any
			if json.Unmarshal(lines[i], &a) != nil || json.Unmarshal(decoded[i], &b) != nil || !reflect.DeepEqual(a, b) {
				t.Fatalf("line %d differs from the decoded export:\n%s\n%s", i, lines[i], decoded[i])
			}
		}
		for _, i := range []int{0, 7, contactd.MaxLimit - 1, contactd.MaxLimit, n - 1} {
			body := e.do("GET", "/v1/contacts/"+got[i], e.tokens["A"]["contacts:read"], nil).body
			if !bytes.Equal(lines[i], bytes.TrimSuffix(body, []byte("\n"))) {
				t.Errorf("line %d is not GET's body:\n%s\n%s", i, lines[i], body)
			}
		}
		for _, tc := range []url.Values{
			{"filter": {`{"tags":"vip"}`}},
			{"q": {"turing"}},
			{"q": {"ex01"}, "sort": {"-firstName"}},
			{"filter": {`{"lastName":"Hopper"}`}, "sort": {"-updatedAt"}},
			{"q": {"turing"}, "includeDeleted": {"true"}},
		} {
			want := walk(maps.Clone(tc))
			if _, ok := tc["sort"]; !ok && tc.Get("q") == "" {
				slices.Sort(want)
			}
			if got := ids(export("?" + tc.Encode())); !slices.Equal(got, want) {
				t.Errorf("export %v: %d contacts, want the list's %d in its order", tc, len(got), len(want))
			}
		}
		if got := ids(export("?q=gone&includeDeleted=true")); !slices.Equal(got, []string{deleted["id"].(string)}) {
			t.Errorf("export of a deleted contact with includeDeleted: %v", got)
		}
		for _, c := range export("?fields=firstName&filter=" + url.QueryEscape(`{"tags":"vip"}`)) {
			if len(c) != 2 || c["id"] == nil || c["firstName"] == nil {
				t.Fatalf("export with fields=firstName: %v", c)
			}
		}
		for query, loc := range map[string]string{
			"?format=xml":                    "query.format",
			"?format=csv&version=3.0":        "query.version",
			"?format=vcard&version=2.1":      "query.version",
			"?format=vcard&fields=firstName": "query.fields",
			"?filter=%7Bnope":                "query.filter",
			"?sort=nope":                     "query.sort",
			"?includeDeleted=no":             "query.includeDeleted",
		} {
			r := e.do("GET", "/v1/contacts/export"+query, e.tokens["A"]["contacts:read"], nil)
			if r.status != http.StatusBadRequest || !bytes.Contains(r.body, []byte(loc)) || r.header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("export%s: %d %s, want a 400 problem naming %s", query, r.status, r.body, loc)
			}
		}
		if r := e.do("GET", "/v1/contacts/export", e.tokens["A"]["contacts:write"], nil); r.status != http.StatusForbidden {
			t.Errorf("export with contacts:write alone: %d, want 403", r.status)
		}
		if got := ids(exportLines(t, e, "B", "")); !slices.Equal(got, []string{other["id"].(string)}) {
			t.Errorf("tenant B's export: %v, want its one contact", got)
		}
	})
}

// exportBody is the body of an export with tenant A's contacts:read token.
func exportBody(t *testing.T, e *env, query string) []byte {
	t.Helper()
	r := e.do("GET", "/v1/contacts/export"+query, e.tokens["A"]["contacts:read"], nil)
	if r.status != http.StatusOK {
		t.Fatalf("export%s: %d %s", query, r.status, r.body)
	}
	return r.body
}

// exportLines exports with a tenant's contacts:read token and returns the
// contacts, one a line; the body must end with its last line's newline.
func exportLines(t *testing.T, e *env, tenant, query string) []map[string]any {
	t.Helper()
	r := e.do("GET", "/v1/contacts/export"+query, e.tokens[tenant]["contacts:read"], nil)
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("export%s as %s: %d %s: %.300s", query, tenant, r.status, r.header.Get("Content-Type"), r.body)
	}
	if len(r.body) > 0 && !bytes.HasSuffix(r.body, []byte("\n")) {
		t.Fatalf("export%s as %s: the body does not end with a newline", query, tenant)
	}
	var out []map[string]any
	for line := range bytes.Lines(r.body) {
		var c map[string]any
		if err := json.Unmarshal(line, &c); err != nil {
			t.Fatalf("export%s as %s: line %d: %v: %s", query, tenant, len(out)+1, err, line)
		}
		out = append(out, c)
	}
	return out
}

// TestExportFormats: the CSV and vCard exports hold every contact of the
// list, each readable by contactd's own readers as the contact it was
// (the formats' own tests check every field a format carries).
func TestExportFormats(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		want := map[string]map[string]any{}
		for i := range 7 {
			c := e.create("A", map[string]any{"firstName": fmt.Sprintf("Fmt%d", i), "lastName": "Zoë, \"Q\"", "company": "Acme; Inc",
				"email": fmt.Sprintf("fmt%d@example.org", i), "phone": fmt.Sprintf("+1 415 555 %04d", i),
				"notes": "multi\nline, with \"quotes\"", "tags": []any{"export", fmt.Sprintf("t%d", i%2)}, "externalId": fmt.Sprintf("crm-%d", i)})
			want[jStr(c["externalId"])] = c
		}
		e.create("A", map[string]any{"firstName": "Other", "tags": []any{"not-exported"}})
		e.create("B", map[string]any{"firstName": "B's", "tags": []any{"export"}})
		filter := "filter=" + url.QueryEscape(`{"tags":"export"}`)
		check := func(format string, r formats.Reader) {
			t.Helper()
			n := 0
			for {
				rec, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil || rec.Err != nil {
					t.Fatalf("%s: %v %v", format, err, rec.Err)
				}
				n++
				in := rec.Input
				c, ok := want[in.ExternalID]
				if !ok {
					t.Errorf("%s: a contact not in the list: %+v", format, in)
					continue
				}
				email := jStr(jObj(jList(c["emails"])[0])["address"])
				e164 := jStr(jObj(jList(c["phones"])[0])["e164"])
				if in.FirstName != c["firstName"] || in.LastName != c["lastName"] || in.Company != c["company"] || in.Notes != c["notes"] ||
					len(in.Emails) != 1 || in.Emails[0].Address != email || len(in.Phones) != 1 || in.Phones[0].Number != e164 ||
					!reflect.DeepEqual(anyList(in.Tags), c["tags"]) {
					t.Errorf("%s: read back %+v, want %v", format, in, c)
				}
			}
			if n != len(want) {
				t.Errorf("%s: %d contacts, want %d", format, n, len(want))
			}
		}
		tok := e.tokens["A"]["contacts:read"]
		r := e.do("GET", "/v1/contacts/export?format=csv&"+filter, tok, nil)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/csv; charset=utf-8" {
			t.Fatalf("csv: %d %s", r.status, r.header.Get("Content-Type"))
		}
		cr, err := formats.NewCSVReader(bytes.NewReader(r.body), formats.CSVOptions{})
		if err != nil {
			t.Fatal(err)
		}
		check("csv", cr)
		for _, v := range []string{"", "4.0", "3.0"} {
			q := "/v1/contacts/export?format=vcard&" + filter
			if v != "" {
				q += "&version=" + v
			}
			r := e.do("GET", q, tok, nil)
			if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/vcard; charset=utf-8" {
				t.Fatalf("vcard %s: %d %s", v, r.status, r.header.Get("Content-Type"))
			}
			if wantV := cmp.Or(v, "4.0"); bytes.Count(r.body, []byte("VERSION:"+wantV+"\r\n")) != len(want) {
				t.Errorf("vcard %s: not every card is version %s", v, wantV)
			}
			check("vcard "+v, formats.NewVCardReader(bytes.NewReader(r.body)))
		}
	})
}

func anyList(ss []string) []any {
	out := []any{}
	for _, s := range ss {
		out = append(out, s)
	}
	return out
}
