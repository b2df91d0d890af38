package httpapi_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/contactd/contactd/internal/storetest"
)

// seedSearch creates the full-text data set in tenant A (and a little in B)
// and returns the contacts' ids by short name.
func seedSearch(t *testing.T, e *env) map[string]string {
	t.Helper()
	ids := map[string]string{}
	add := func(tenant, name string, body map[string]any) {
		ids[name] = jStr(e.create(tenant, body)["id"])
	}
	add("A", "zoe", map[string]any{"firstName": "Zoë", "lastName": "Quinn", "email": "zq@example.net"})
	add("A", "jordan", map[string]any{"firstName": "Jordan", "lastName": "Kline", "email": "jk@kline.io", "tags": []any{"vip"}})
	add("A", "pat", map[string]any{"firstName": "Pat", "lastName": "Smith", "email": "jordan@example.org"})
	add("A", "phone", map[string]any{"firstName": "Rita", "lastName": "Ring", "phone": "+1 480 555 1212"})
	add("A", "acme", map[string]any{"firstName": "Bob", "lastName": "Builder", "company": "ACME Widgets"})
	add("A", "ann", map[string]any{"firstName": "Ann", "lastName": "Lee", "tags": []any{"vip"}})
	add("A", "anne", map[string]any{"firstName": "Anne", "lastName": "Moss", "tags": []any{"vip"}})
	add("A", "annex", map[string]any{"firstName": "Carl", "lastName": "Young", "company": "Annex Holdings"})
	add("A", "annmail", map[string]any{"firstName": "Dana", "lastName": "White", "email": "ann.other@example.com", "tags": []any{"vip"}})
	add("A", "obrien", map[string]any{"firstName": "Conan", "lastName": "O'Brien", "phone": "+1 646 555 0175"})
	add("A", "lukasz", map[string]any{"firstName": "Łukasz", "lastName": "Żółć", "company": "Straße GmbH"})
	add("A", "emile", map[string]any{"firstName": "Emile", "lastName": "Zola", "phone": "+33 1 42 68 53 00"})
	add("A", "jose", map[string]any{"company": "Núñez SA", "email": "josé.núñez@correo.es"})
	add("A", "noted", map[string]any{"firstName": "Vera", "lastName": "Holt",
		"notes": "Prefers calls after 5pm.\nMet Jordan at the Lyon fair; ask about Widgets."})
	add("A", "deleted", map[string]any{"firstName": "Zoey", "lastName": "Gone"})
	wantStatus(t, e.do("DELETE", "/v1/contacts/"+ids["deleted"], e.tokens["A"]["all"], nil), http.StatusNoContent)
	add("B", "bzoe", map[string]any{"firstName": "Zoë", "lastName": "Quinn", "phone": "+1 480 555 1212", "company": "Acme"})
	return ids
}

func TestSearchQuery(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		ids := seedSearch(t, e)
		tok := e.tokens["A"]["contacts:read"]
		cases := []struct {
			q    string
			want []string
		}{
			{"zoe", []string{"zoe"}},
			{"Zoë", []string{"zoe"}},
			{"ZOE", []string{"zoe"}},
			{"zoe\u0308", []string{"zoe"}}, // decomposed ë
			{"quinn zoe", []string{"zoe"}},
			{"jor kli", []string{"jordan"}},
			{"KLI jor", []string{"jordan"}},
			{"jor xyz", nil},
			{"jordan", []string{"jordan", "pat", "noted"}},
			{"jordan@", []string{"pat"}},
			{"jordan@example", []string{"pat"}},
			{"Jordan@Example.ORG", []string{"pat"}},
			{"jordan@kline", nil},
			{"jk@", []string{"jordan"}},
			{"kline.io", []string{"jordan"}},
			{"example.org", []string{"pat"}},
			{"jose", []string{"jose"}},
			{"josé", []string{"jose"}},
			{"jose.nunez@", []string{"jose"}},
			{"JOSÉ.NÚÑEZ@correo", []string{"jose"}},
			{"nunez", []string{"jose"}},
			{"correo.es", []string{"jose"}},
			{"5551212", []string{"phone"}},
			{"1212", []string{"phone"}},
			{"555-1212", []string{"phone"}},
			{"(480) 555-1212", []string{"phone"}},
			{"480-555-1212", []string{"phone"}},
			{"+1 480 555 1212", []string{"phone"}},
			{"+14805551212", []string{"phone"}},
			{"4805551212", []string{"phone"}},
			{"1242", nil},
			{"8055", []string{"phone"}},    // inside the number, not a suffix
			{"646555", []string{"obrien"}}, // its start
			{"55", []string{"phone", "obrien"}},
			{"acme", []string{"acme"}},
			{"widg", []string{"acme", "noted"}},
			{"lyon", []string{"noted"}},
			{"fair MET", []string{"noted"}},
			{"vera lyon", []string{"noted"}},
			{"5pm", []string{"noted"}},
			{"lyon jordan", []string{"noted"}},
			{"bob acme", []string{"acme"}},
			{"obrien", []string{"obrien"}},
			{"o'brien", []string{"obrien"}},
			{"O’Brien conan", []string{"obrien"}},
			{"lukasz", []string{"lukasz"}},
			{"łukasz żółć", []string{"lukasz"}},
			{"zolc", []string{"lukasz"}},
			{"strasse", []string{"lukasz"}},
			{"straße", []string{"lukasz"}},
			{"émile", []string{"emile"}},
			{"zol", []string{"emile", "lukasz"}},
			{"33142685300", []string{"emile"}},
			{"zoey", nil},
			{"gone", nil},
			{"nobody", nil},
			{"!!! ---", nil}, // nothing searchable: nothing, not everything
			{"'", nil},
		}
		for _, tc := range cases {
			t.Run(tc.q, func(t *testing.T) {
				t.Parallel()
				e := e.withTest(t)
				want := []string{}
				for _, n := range tc.want {
					want = append(want, ids[n])
				}
				want = sorted(want)
				p := e.list(tok, "q", tc.q)
				if got := sorted(pageIDs(p)); !slices.Equal(got, want) {
					t.Errorf("GET q=%q: %v, want %v", tc.q, names(ids, got), tc.want)
				}
				if p.Total == nil || *p.Total != len(want) {
					t.Errorf("GET q=%q: total %v, want %d", tc.q, p.raw["total"], len(want))
				}
				p = e.search(tok, map[string]any{"q": tc.q})
				if got := sorted(pageIDs(p)); !slices.Equal(got, want) {
					t.Errorf("POST q=%q: %v, want %v", tc.q, names(ids, got), tc.want)
				}
			})
		}

		t.Run("deleted with includeDeleted", func(t *testing.T) {
			e := e.withTest(t)
			if got := pageIDs(e.list(tok, "q", "zoey", "includeDeleted", "true")); !slices.Equal(got, []string{ids["deleted"]}) {
				t.Errorf("q=zoey includeDeleted: %v", names(ids, got))
			}
		})
		t.Run("tenant isolation", func(t *testing.T) {
			e := e.withTest(t)
			tokB := e.tokens["B"]["contacts:read"]
			for _, q := range []string{"zoe", "acme", "1212", "quinn"} {
				if got := pageIDs(e.list(tokB, "q", q)); !slices.Equal(got, []string{ids["bzoe"]}) {
					t.Errorf("B q=%s: %v, want only B's contact", q, names(ids, got))
				}
			}
			for _, q := range []string{"jordan", "jordan@", "ann", "kline"} {
				if got := pageIDs(e.list(tokB, "q", q)); len(got) != 0 {
					t.Errorf("B q=%s finds A's %v", q, names(ids, got))
				}
			}
			if got := pageIDs(e.list(tok, "q", "zoe quinn")); !slices.Equal(got, []string{ids["zoe"]}) {
				t.Errorf("A q=zoe quinn: %v", names(ids, got))
			}
		})
	})
}

// TestSearchPhoneDigitsFollowWrites checks that the digits a search finds
// are those of the numbers a contact has now: after a number is replaced,
// and after the contact is erased.
func TestSearchPhoneDigitsFollowWrites(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin := e.tokens["A"]["all"]
		id := jStr(e.create("A", map[string]any{"firstName": "Dial", "phone": "+1 480 555 7301"})["id"])
		found := func(q string) []string { return pageIDs(e.list(admin, "q", q)) }
		if got := found("5557301"); !slices.Equal(got, []string{id}) {
			t.Fatalf("before: %v", got)
		}
		wantStatus(t, e.do("PATCH", "/v1/contacts/"+id, admin, map[string]any{"phones": []any{map[string]any{"number": "+1 480 555 9902"}}}), http.StatusOK)
		if got := found("5557301"); len(got) != 0 {
			t.Errorf("the replaced number still finds the contact: %v", got)
		}
		if got := found("5559902"); !slices.Equal(got, []string{id}) {
			t.Errorf("the new number: %v", got)
		}
		wantStatus(t, e.do("DELETE", "/v1/contacts/"+id+"?permanent=true", admin, nil), http.StatusNoContent)
		if got := pageIDs(e.list(admin, "q", "5559902", "includeDeleted", "true")); len(got) != 0 {
			t.Errorf("an erased contact is found: %v", got)
		}
	})
}

// names gives the ids in list the short names ids has for them (the id
// itself when it has none), for readable failures.
func names(ids map[string]string, list []string) []string {
	byID := map[string]string{}
	for n, id := range ids {
		byID[id] = n
	}
	out := []string{}
	for _, id := range list {
		if n, ok := byID[id]; ok {
			out = append(out, n)
		} else {
			out = append(out, id)
		}
	}
	return out
}

func TestSearchRanking(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		ids := seedSearch(t, e)
		tok := e.tokens["A"]["contacts:read"]
		// Exact name, then name prefix, then company, then email.
		want := []string{ids["ann"], ids["anne"], ids["annex"], ids["annmail"]}
		p := e.list(tok, "q", "ann")
		if got := pageIDs(p); !slices.Equal(got, want) {
			t.Fatalf("q=ann ranked %v, want [ann anne annex annmail]", names(ids, got))
		}
		if got := pageIDs(e.search(tok, map[string]any{"q": "ANN"})); !slices.Equal(got, want) {
			t.Errorf("POST q=ANN ranked %v, want [ann anne annex annmail]", names(ids, got))
		}
		// An exact name beats a prefix whatever the creation order.
		if got := pageIDs(e.list(tok, "q", "anne")); !slices.Equal(got, []string{ids["anne"], ids["annex"]}) {
			t.Errorf("q=anne: %v, want [anne annex]", names(ids, got))
		}
		// "jordan": a name before an email before the notes.
		if got := pageIDs(e.list(tok, "q", "jordan")); !slices.Equal(got, []string{ids["jordan"], ids["pat"], ids["noted"]}) {
			t.Errorf("q=jordan ranked %v, want [jordan pat noted]", names(ids, got))
		}
		// Updating a name re-ranks at once.
		r := e.do("PATCH", "/v1/contacts/"+ids["annex"], e.tokens["A"]["all"], map[string]any{"firstName": "Ann"})
		wantStatus(t, r, http.StatusOK)
		got := pageIDs(e.list(tok, "q", "ann"))
		if len(got) != 4 || got[2] != ids["anne"] || got[3] != ids["annmail"] || !slices.Contains(got[:2], ids["annex"]) {
			t.Errorf("after renaming Carl to Ann: %v, want the two Anns first", names(ids, got))
		}
		// The old name is gone from the index.
		if got := pageIDs(e.list(tok, "q", "carl")); len(got) != 0 {
			t.Errorf("q=carl after the rename: %v", names(ids, got))
		}
	})
}

func TestSearchWithFilterSortAndPages(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		ids := seedSearch(t, e)
		tok := e.tokens["A"]["contacts:read"]

		// q with a filter: both apply.
		p := e.list(tok, "q", "ann", "filter", `{"tags":"vip"}`)
		if got := pageIDs(p); !slices.Equal(got, []string{ids["ann"], ids["anne"], ids["annmail"]}) || *p.Total != 3 {
			t.Errorf("q=ann filter tags=vip: %v (total %v)", names(ids, got), p.raw["total"])
		}
		p = e.search(tok, map[string]any{"q": "ann", "filter": map[string]any{"tags": map[string]any{"$ne": "vip"}}})
		if got := pageIDs(p); !slices.Equal(got, []string{ids["annex"]}) {
			t.Errorf("POST q=ann filter tags!=vip: %v", names(ids, got))
		}
		if got := pageIDs(e.list(tok, "q", "jordan", "filter", `{"emails":{"$prefix":"jordan@"}}`)); !slices.Equal(got, []string{ids["pat"]}) {
			t.Errorf("q=jordan with an email filter: %v", names(ids, got))
		}

		// q with sort: the sort order, not the rank.
		want := []string{ids["annmail"], ids["annex"], ids["anne"], ids["ann"]} // Dana, Carl, Anne, Ann
		if got := pageIDs(e.list(tok, "q", "ann", "sort", "-firstName")); !slices.Equal(got, want) {
			t.Errorf("q=ann sort=-firstName: %v, want [annmail annex anne ann]", names(ids, got))
		}
		if got := e.walk(tok, nil, "q", "ann", "sort", "-firstName", "limit", "1"); !slices.Equal(got, want) {
			t.Errorf("walking q=ann sort=-firstName: %v", names(ids, got))
		}
		want = []string{ids["ann"], ids["anne"], ids["annmail"], ids["annex"]} // Lee, Moss, White, Young
		if got := pageIDs(e.search(tok, map[string]any{"q": "ann", "sort": "lastName"})); !slices.Equal(got, want) {
			t.Errorf("POST q=ann sort=lastName: %v", names(ids, got))
		}

		// Ranked pages: the cursor visits each result once, in rank order.
		ranked := pageIDs(e.list(tok, "q", "ann"))
		for limit, wantPages := range map[string]int{"1": 4, "2": 2, "3": 2, "4": 1, "5": 1} {
			pages := 0
			if got := e.walk(tok, func(int, listPage) { pages++ }, "q", "ann", "limit", limit); !slices.Equal(got, ranked) {
				t.Errorf("walking ranked q=ann by %s: %v, want %v", limit, names(ids, got), names(ids, ranked))
			}
			if pages != wantPages {
				t.Errorf("walking ranked q=ann (4 results) by %s took %d pages, want %d", limit, pages, wantPages)
			}
		}
		var got []string
		body := map[string]any{"q": "ann", "limit": 1}
		for range 10 {
			p := e.search(tok, body)
			got = append(got, pageIDs(p)...)
			if p.Total == nil || *p.Total != 4 {
				t.Errorf("ranked page total %v, want 4", p.raw["total"])
			}
			if p.NextCursor == nil {
				break
			}
			body["cursor"] = *p.NextCursor
		}
		if !slices.Equal(got, ranked) {
			t.Errorf("POST walking ranked q=ann: %v, want %v", names(ids, got), names(ids, ranked))
		}
		// Page numbers over ranked results.
		got = nil
		for page := 1; page <= 2; page++ {
			got = append(got, pageIDs(e.list(tok, "q", "ann", "limit", "2", "page", string(rune('0'+page))))...)
		}
		if !slices.Equal(got, ranked) {
			t.Errorf("ranked pages: %v, want %v", names(ids, got), names(ids, ranked))
		}
		// A ranked cursor does not continue a sorted list, nor the reverse.
		p = e.list(tok, "q", "ann", "limit", "1")
		requireProblem(t, e.do("GET", listPath("q", "ann", "sort", "lastName", "cursor", *p.NextCursor), tok, nil), http.StatusBadRequest, "query.cursor")
		p = e.list(tok, "q", "ann", "sort", "lastName", "limit", "1")
		requireProblem(t, e.do("GET", listPath("q", "ann", "cursor", *p.NextCursor), tok, nil), http.StatusBadRequest, "query.cursor")
	})
}
