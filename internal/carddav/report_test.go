package carddav_test

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	webdavcard "github.com/emersion/go-webdav/carddav"

	"github.com/contactd/contactd/internal/storetest"
)

var responseRe = regexp.MustCompile(`<d:response><d:href>([^<]*)</d:href>(.*?)</d:response>`)

// members reads a multistatus: each href with "404" for a member that went
// or its ETag.
func members(body string) map[string]string {
	out := map[string]string{}
	for _, m := range responseRe.FindAllStringSubmatch(body, -1) {
		switch {
		case strings.Contains(m[2], "<d:status>HTTP/1.1 404"):
			out[m[1]] = "404"
		case strings.Contains(m[2], "<d:status>HTTP/1.1 507"):
			out[m[1]] = "507"
		default:
			if et := regexp.MustCompile(`<d:getetag>([^<]*)</d:getetag>`).FindStringSubmatch(m[2]); et != nil {
				out[m[1]] = et[1]
			} else {
				out[m[1]] = "200"
			}
		}
	}
	return out
}

// TestSyncCollection checks RFC 6578 sync from the change log: the cards
// changed since a token with their ETags, those that went as 404 under
// the name the client knew, nothing when nothing changed, truncation
// with a token that continues, and tokens that cannot be continued.
func TestSyncCollection(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		all := e.tokens["A"]["all"]
		before := e.create("A", map[string]any{"name": "Before Sync"})
		r := e.dav("REPORT", bookPath, all, syncBody("", ""))
		if r.status != http.StatusMultiStatus || members(r.body)[bookPath+before+".vcf"] != `"1"` {
			t.Fatalf("initial sync: %d %s", r.status, r.body)
		}
		token0 := syncTokenOf(t, r.body)

		c1 := e.create("A", map[string]any{"name": "One"})
		if r := e.put("A", "two.vcf", crlf("\nBEGIN:VCARD\nVERSION:3.0\nFN:Two\nEND:VCARD\n")); r.status != 201 {
			t.Fatal(r.body)
		}
		e.api("PATCH", "/v1/contacts/"+c1, all, map[string]any{"jobTitle": "Boss"})
		if r := e.dav("DELETE", bookPath+"two.vcf", all, ""); r.status != 204 {
			t.Fatal(r.body)
		}
		c3 := e.create("A", map[string]any{"name": "Three"})
		if st, m := e.api("DELETE", "/v1/contacts/"+c3+"?permanent=true", all, nil); st != 204 {
			t.Fatalf("erase: %d %v", st, m)
		}
		e.create("B", map[string]any{"name": "Other tenant"})

		r = e.dav("REPORT", bookPath, all, syncBody(token0, ""))
		got := members(r.body)
		want := map[string]string{bookPath + c1 + ".vcf": `"2"`, bookPath + "two.vcf": "404", bookPath + c3 + ".vcf": "404"}
		if !equalMaps(got, want) {
			t.Errorf("sync since token0: got %v, want %v\n%s", got, want, r.body)
		}
		token1 := syncTokenOf(t, r.body)
		if token1 == token0 {
			t.Errorf("the token did not move")
		}
		r = e.dav("REPORT", bookPath, all, syncBody(token1, ""))
		if len(members(r.body)) != 0 || syncTokenOf(t, r.body) != token1 {
			t.Errorf("sync with nothing changed: %s", r.body)
		}
		// The book's sync-token property is the newest token.
		if p := e.dav("PROPFIND", bookPath, all, `<d:propfind xmlns:d="DAV:"><d:prop><d:sync-token/></d:prop></d:propfind>`, "Depth", "0"); syncTokenOf(t, p.body) != token1 {
			t.Errorf("sync-token property %s, want %s", p.body, token1)
		}

		// Truncated: a limit of 1 answers one member, a 507 for the book,
		// and a token from which the rest follows.
		r = e.dav("REPORT", bookPath, all, syncBody(token0, "1"))
		got = members(r.body)
		if len(got) != 2 || got[bookPath] != "507" {
			t.Errorf("truncated sync: %v\n%s", got, r.body)
		}
		seen := map[string]bool{}
		for h := range got {
			seen[h] = true
		}
		tok := syncTokenOf(t, r.body)
		for range 5 {
			r = e.dav("REPORT", bookPath, all, syncBody(tok, "1"))
			for h, v := range members(r.body) {
				if v != "507" {
					seen[h] = true
				}
			}
			tok = syncTokenOf(t, r.body)
		}
		for h := range want {
			if !seen[h] {
				t.Errorf("paging by truncated syncs never reported %s", h)
			}
		}

		// Tokens that cannot be continued: not a token, ahead of the log,
		// and from before what the log keeps.
		for _, bad := range []string{"http://example.com/sync/1", strings.TrimSuffix(token1, ":7") + ":99999", token0} {
			if bad == token0 {
				if _, err := e.store.PruneChanges(context.Background(), e.tenant["A"].ID, time.Now().Add(time.Hour), 2); err != nil {
					t.Fatal(err)
				}
			}
			r := e.dav("REPORT", bookPath, all, syncBody(bad, ""))
			if r.status != http.StatusForbidden || !strings.Contains(r.body, "<d:valid-sync-token/>") {
				t.Errorf("sync with token %q: %d %s", bad, r.status, r.body)
			}
		}

		// go-webdav's client reads the same report.
		c := e.client(all, "")
		res, err := c.SyncCollection(context.Background(), bookPath, &webdavcard.SyncQuery{SyncToken: token1})
		if err != nil || res.SyncToken != token1 {
			t.Errorf("go-webdav SyncCollection: %+v, %v", res, err)
		}
	})
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestMultigetAndListing checks addressbook-multiget and a Depth 1
// PROPFIND: every card, each once, with the ETag and the data asked for.
func TestMultigetAndListing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		all := e.tokens["A"]["all"]
		var ids []string
		for i := range 25 {
			ids = append(ids, e.create("A", map[string]any{"name": "Person " + string(rune('A'+i)), "phone": "+1415555" + string(rune('0'+i/10)) + string(rune('0'+i%10)) + "00"}))
		}
		e.put("A", "named.vcf", crlf("\nBEGIN:VCARD\nVERSION:4.0\nFN:Named\nX-KEEP:1\nEND:VCARD\n"))
		r := e.dav("PROPFIND", bookPath, all, `<d:propfind xmlns:d="DAV:"><d:prop><d:getetag/><d:getcontenttype/></d:prop></d:propfind>`, "Depth", "1")
		got := members(r.body)
		if len(got) != 27 || got[bookPath+"named.vcf"] != `"1"` || got[bookPath+ids[3]+".vcf"] != `"1"` {
			t.Errorf("Depth 1 listing: %d members %v", len(got), got)
		}
		// multiget through go-webdav's client, with a missing card among them.
		c := e.client(all, "")
		paths := []string{bookPath + ids[0] + ".vcf", bookPath + "named.vcf"}
		objs, err := c.MultiGetAddressBook(context.Background(), bookPath, &webdavcard.AddressBookMultiGet{Paths: paths,
			DataRequest: webdavcard.AddressDataRequest{AllProp: true}})
		if err != nil {
			t.Fatalf("multiget: %v", err)
		}
		var names []string
		for _, o := range objs {
			names = append(names, o.Card.PreferredValue("FN"))
		}
		slices.Sort(names)
		if strings.Join(names, ",") != "Named,Person A" {
			t.Errorf("multiget: %v", names)
		}
		r = e.dav("REPORT", bookPath, all, `<card:addressbook-multiget xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/><card:address-data/></d:prop><d:href>`+bookPath+`named.vcf</d:href><d:href>`+bookPath+`missing.vcf</d:href></card:addressbook-multiget>`)
		if !strings.Contains(r.body, "X-KEEP:1") || !strings.Contains(r.body, "VERSION:4.0") || members(r.body)[bookPath+"missing.vcf"] != "404" {
			t.Errorf("multiget answer: %s", r.body)
		}
	})
}

// TestAddressBookQuery checks addressbook-query on FN, EMAIL and TEL,
// numbers matched as numbers, and a filter on a property contactd does
// not index.
func TestAddressBookQuery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		all := e.tokens["A"]["all"]
		ann := e.create("A", map[string]any{"name": "Ann Lee", "email": "ann@example.com", "phone": "+14155550100"})
		bob := e.create("A", map[string]any{"name": "Bob Annson", "email": "bob@example.org", "phone": "+14155550177"})
		e.put("A", "carol.vcf", crlf("\nBEGIN:VCARD\nVERSION:3.0\nFN:Carol Zed\nX-TEAM:red\nEND:VCARD\n"))
		query := func(test, filters string) map[string]string {
			t.Helper()
			r := e.dav("REPORT", bookPath, all, `<card:addressbook-query xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/></d:prop><card:filter test="`+test+`">`+filters+`</card:filter></card:addressbook-query>`)
			if r.status != http.StatusMultiStatus {
				t.Fatalf("query %s: %d %s", filters, r.status, r.body)
			}
			return members(r.body)
		}
		pf := func(name, match, text string) string {
			return `<card:prop-filter name="` + name + `"><card:text-match collation="i;unicode-casemap" match-type="` + match + `">` + text + `</card:text-match></card:prop-filter>`
		}
		for _, tc := range []struct {
			test, filters string
			want          []string
		}{
			{"anyof", pf("FN", "starts-with", "ann"), []string{ann}},
			{"anyof", pf("FN", "contains", "ann"), []string{ann, bob}},
			{"anyof", pf("FN", "equals", "ann lee"), []string{ann}},
			{"anyof", pf("EMAIL", "equals", "ANN@example.com"), []string{ann}},
			{"anyof", pf("EMAIL", "ends-with", ".org"), []string{bob}},
			{"anyof", pf("TEL", "equals", "(415) 555-0100"), []string{ann}},
			{"anyof", pf("TEL", "contains", "555-01"), []string{ann, bob}},
			{"anyof", pf("TEL", "ends-with", "0177"), []string{bob}},
			{"anyof", pf("FN", "starts-with", "ann") + pf("EMAIL", "equals", "bob@example.org"), []string{ann, bob}},
			{"allof", pf("FN", "contains", "ann") + pf("EMAIL", "equals", "bob@example.org"), []string{bob}},
			{"anyof", pf("X-TEAM", "equals", "red"), []string{"carol"}},
		} {
			got := query(tc.test, tc.filters)
			var want []string
			for _, id := range tc.want {
				if id == "carol" {
					want = append(want, bookPath+"carol.vcf")
				} else {
					want = append(want, bookPath+id+".vcf")
				}
			}
			var hrefs []string
			for h := range got {
				hrefs = append(hrefs, h)
			}
			slices.Sort(hrefs)
			slices.Sort(want)
			if !slices.Equal(hrefs, want) {
				t.Errorf("query %s %s: got %v, want %v", tc.test, tc.filters, hrefs, want)
			}
		}
		// go-webdav's client asks the same way.
		c := e.client(all, "")
		objs, err := c.QueryAddressBook(context.Background(), bookPath, &webdavcard.AddressBookQuery{
			PropFilters: []webdavcard.PropFilter{{Name: "EMAIL", TextMatches: []webdavcard.TextMatch{{Text: "ann@example.com", MatchType: webdavcard.MatchEquals}}}},
		})
		if err != nil || len(objs) != 1 || objs[0].Path != bookPath+ann+".vcf" {
			t.Errorf("go-webdav QueryAddressBook: %+v, %v", objs, err)
		}
	})
}
