package httpapi_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/contactd/contactd/internal/storetest"
)

// TestCursors holds every list to the cursor rules of the list toolkit: a
// cursor continues the list it was made for, and only that one. A cursor
// that was edited, that belongs to another list, another query or another
// tenant, or that is no cursor at all, is a 400 naming query.cursor, never
// a page.
func TestCursors(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tokA, tokB := e.tokens["A"]["all"], e.tokens["B"]["all"]
		// Two of everything in A (and some of it in B), so that every list
		// has a second page.
		acc := e.createIn("A", "/v1/accounts", map[string]any{"name": "Acme"})
		e.createIn("A", "/v1/accounts", map[string]any{"name": "Beta"})
		seg := e.createIn("A", "/v1/segments", map[string]any{"name": "All", "kind": "dynamic", "filter": map[string]any{"lastName": "L"}})
		e.createIn("A", "/v1/segments", map[string]any{"name": "Other"})
		var first string
		for i := range 3 {
			c := e.create("A", map[string]any{"firstName": fmt.Sprintf("C%d", i), "lastName": "L", "accountId": acc, "tags": []string{"t1", "t2"}})
			if i == 0 {
				first = jStr(c["id"])
			}
			e.create("B", map[string]any{"firstName": fmt.Sprintf("B%d", i), "lastName": "L"})
		}
		wantStatus(t, e.do("PATCH", "/v1/contacts/"+first, tokA, map[string]any{"jobTitle": "CEO"}), http.StatusOK)

		lists := []struct {
			name, path string // path with its query, without cursor
		}{
			{"contacts", "/v1/contacts?limit=1"},
			{"filtered contacts", "/v1/contacts?limit=1&filter=" + url.QueryEscape(`{"lastName":"L"}`)},
			{"searched contacts", "/v1/contacts?limit=1&q=l"},
			{"sorted contacts", "/v1/contacts?limit=1&sort=firstName"},
			{"account contacts", "/v1/accounts/" + acc + "/contacts?limit=1"},
			{"segment contacts", "/v1/segments/" + seg + "/contacts?limit=1"},
			{"accounts", "/v1/accounts?limit=1"},
			{"tags", "/v1/tags?limit=1"},
			{"segments", "/v1/segments?limit=1"},
			{"tokens", "/v1/tokens?limit=1"},
			{"changes", "/v1/changes?limit=1"},
			{"history", "/v1/contacts/" + first + "/history?limit=1"},
		}
		cursors := map[string]string{}
		for _, l := range lists {
			p := decodePage(t, e.do("GET", l.path, tokA, nil))
			if p.NextCursor == nil {
				t.Fatalf("%s: the first page of one has no nextCursor", l.name)
			}
			cursors[l.name] = *p.NextCursor
			// The cursor continues its list.
			next := decodePage(t, e.do("GET", l.path+"&cursor="+url.QueryEscape(*p.NextCursor), tokA, nil))
			if len(next.Data) != 1 || fmt.Sprint(next.Data[0]) == fmt.Sprint(p.Data[0]) {
				t.Errorf("%s: the second page is %v after %v", l.name, next.Data, p.Data)
			}
		}
		for _, l := range lists {
			c := cursors[l.name]
			bad := map[string]string{
				"edited":    edit(c),
				"truncated": c[:len(c)-3],
				"garbage":   "not-a-cursor!",
				"json":      base64.RawURLEncoding.EncodeToString([]byte(`{"s":"","v":["ct_zzz"]}`)),
			}
			for other, oc := range cursors {
				if other != l.name {
					bad["from "+other] = oc
				}
			}
			for what, cursor := range bad {
				r := e.do("GET", l.path+"&cursor="+url.QueryEscape(cursor), tokA, nil)
				requireProblem(t, r, http.StatusBadRequest, "query.cursor")
				if t.Failed() {
					t.Fatalf("%s with a cursor %s: %s", l.name, what, r.body)
				}
			}
			// Another tenant's list of the same kind refuses it.
			path := strings.NewReplacer(acc, "acc_none", seg, "seg_none", first, "ct_none").Replace(l.path)
			if path == l.path {
				requireProblem(t, e.do("GET", l.path+"&cursor="+url.QueryEscape(c), tokB, nil), http.StatusBadRequest, "query.cursor")
			}
		}
		// A cursor of GET /v1/contacts continues in POST /v1/contacts/search
		// (one list), but not with another filter.
		wantStatus(t, e.do("POST", "/v1/contacts/search", tokA, map[string]any{"cursor": cursors["contacts"], "limit": 1}), http.StatusOK)
		requireProblem(t, e.do("POST", "/v1/contacts/search", tokA, map[string]any{"cursor": cursors["contacts"], "filter": map[string]any{"lastName": "L"}}),
			http.StatusBadRequest, "body.cursor")
		wantStatus(t, e.do("POST", "/v1/contacts/search", tokA, map[string]any{"cursor": cursors["filtered contacts"], "filter": map[string]any{"lastName": "L"}}),
			http.StatusOK)
	})
}

// edit changes one character in the middle of a cursor.
func edit(c string) string {
	b := []byte(c)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

// createIn creates an object in a tenant with an all-scope token and
// returns its id.
func (e *env) createIn(tenant, path string, body any) string {
	e.t.Helper()
	r := e.do("POST", path, e.tokens[tenant]["all"], body)
	if r.status != http.StatusCreated {
		e.t.Fatalf("POST %s: status %d: %s", path, r.status, r.body)
	}
	return jStr(r.json(e.t)["id"])
}
