package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/contactd/contactd"
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
			"?format=csv":        "query.format",
			"?filter=%7Bnope":    "query.filter",
			"?sort=nope":         "query.sort",
			"?includeDeleted=no": "query.includeDeleted",
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
