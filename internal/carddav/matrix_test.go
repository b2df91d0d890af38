package carddav_test

import (
	"strings"
	"testing"

	"github.com/contactd/contactd/internal/storetest"
)

// TestScopeAndIsolationMatrix runs every CardDAV operation with every
// kind of credential: none, a wrong token, a token of each scope alone,
// and another tenant's token with every scope. Each operation works on a
// fresh card of tenant A.
func TestScopeAndIsolationMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		card := func(name string) string {
			return crlf("\nBEGIN:VCARD\nVERSION:3.0\nUID:" + name + "\nFN:Matrix " + name + "\nEND:VCARD\n")
		}
		type op struct {
			name, method, path, body string
			headers                  []string
			// want is the status of each credential; B is tenant B's
			// all-scope token.
			want map[string]int
		}
		multiget := func(href string) string {
			return `<card:addressbook-multiget xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/></d:prop><d:href>` + href + `</d:href></card:addressbook-multiget>`
		}
		read := map[string]int{"contacts:read": 207, "contacts:write": 403, "contacts:delete": 403, "contacts:admin": 403}
		ops := func(n int, fresh string) []op {
			href := bookPath + fresh + ".vcf"
			return []op{
				{name: "PROPFIND book", method: "PROPFIND", path: bookPath, headers: []string{"Depth", "1"}, want: with(read, "B", 207)},
				{name: "PROPFIND card", method: "PROPFIND", path: href, headers: []string{"Depth", "0"}, want: with(read, "B", 404)},
				{name: "GET card", method: "GET", path: href, want: with(map[string]int{"contacts:read": 200, "contacts:write": 403, "contacts:delete": 403, "contacts:admin": 403}, "B", 404)},
				{name: "REPORT multiget", method: "REPORT", path: bookPath, body: multiget(href), want: with(read, "B", 207)},
				{name: "REPORT sync", method: "REPORT", path: bookPath, body: syncBody("", ""), want: with(read, "B", 207)},
				{name: "PUT new card", method: "PUT", path: bookPath + "new-" + fresh + ".vcf", body: card("new-" + fresh), headers: []string{"Content-Type", "text/vcard"},
					want: map[string]int{"contacts:read": 403, "contacts:write": 201, "contacts:delete": 403, "contacts:admin": 403, "B": 201}},
				{name: "PUT existing card", method: "PUT", path: href, body: card(fresh), headers: []string{"Content-Type", "text/vcard", "If-Match", `"1"`},
					want: map[string]int{"contacts:read": 403, "contacts:write": 204, "contacts:delete": 403, "contacts:admin": 403, "B": 412}},
				{name: "DELETE card", method: "DELETE", path: href, want: map[string]int{"contacts:read": 403, "contacts:write": 403, "contacts:delete": 204, "contacts:admin": 403, "B": 404}},
				{name: "PROPPATCH book", method: "PROPPATCH", path: bookPath, body: `<d:propertyupdate xmlns:d="DAV:"><d:set><d:prop><d:displayname>x</d:displayname></d:prop></d:set></d:propertyupdate>`,
					want: map[string]int{"contacts:read": 207, "contacts:write": 207, "contacts:delete": 207, "contacts:admin": 207, "B": 207}},
			}[n : n+1]
		}
		for n := range 9 {
			for _, cred := range []string{"", "bad", "contacts:read", "contacts:write", "contacts:delete", "contacts:admin", "B"} {
				fresh := strings.ReplaceAll(strings.ReplaceAll(cred, ":", "-"), " ", "") + "x" + string(rune('a'+n))
				if r := e.put("A", fresh+".vcf", card(fresh)); r.status != 201 {
					t.Fatalf("setup: %d %s", r.status, r.body)
				}
				o := ops(n, fresh)[0]
				token := e.tokens["A"][cred]
				want := o.want[cred]
				switch cred {
				case "":
					want = 401
				case "bad":
					token, want = "cdt_not_a_real_token", 401
				case "B":
					token = e.tokens["B"]["all"]
				}
				r := e.dav(o.method, o.path, token, o.body, o.headers...)
				if r.status != want {
					t.Errorf("%s with %q: %d, want %d: %s", o.name, cred, r.status, want, r.body)
				}
				if cred == "B" && strings.Contains(r.body, "Matrix "+fresh) {
					t.Errorf("%s with B's token shows A's card: %s", o.name, r.body)
				}
				if cred == "B" && (o.method == "PROPFIND" || o.method == "REPORT") && strings.Contains(r.body, fresh+".vcf</d:href><d:propstat>") {
					t.Errorf("%s with B's token lists A's card: %s", o.name, r.body)
				}
			}
		}
	})
}

// with returns m with one more entry.
func with(m map[string]int, k string, v int) map[string]int {
	out := map[string]int{k: v}
	for kk, vv := range m {
		out[kk] = vv
	}
	return out
}
