package carddav_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-webdav"
	webdavcard "github.com/emersion/go-webdav/carddav"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/carddav"
	"github.com/contactd/contactd/internal/httpapi"
	"github.com/contactd/contactd/internal/storetest"
)

// client is go-webdav's CardDAV client, an implementation apart from
// contactd's, signed in with a token.
func (e *env) client(token, path string) *webdavcard.Client {
	e.t.Helper()
	hc := webdav.HTTPClientWithBasicAuth(e.srv.Client(), "someone", token)
	c, err := webdavcard.NewClient(hc, e.srv.URL+path)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// TestDiscovery follows a client's way from the server's address to the
// address book: the principal, the home set, the one book.
func TestDiscovery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		ctx := context.Background()
		c := e.client(e.tokens["A"]["contacts:read"], "/dav/")
		principal, err := c.FindCurrentUserPrincipal(ctx)
		if err != nil || principal != "/dav/principal/" {
			t.Fatalf("principal: %q, %v", principal, err)
		}
		home, err := c.FindAddressBookHomeSet(ctx, principal)
		if err != nil || home != "/dav/addressbooks/" {
			t.Fatalf("home set: %q, %v", home, err)
		}
		books, err := c.FindAddressBooks(ctx, home)
		if err != nil || len(books) != 1 || books[0].Path != bookPath {
			t.Fatalf("address books: %+v, %v", books, err)
		}
		if books[0].MaxResourceSize != 1<<20 || len(books[0].SupportedAddressData) != 2 {
			t.Errorf("address book: %+v", books[0])
		}
		// A client given the server's address asks its root.
		root := e.client(e.tokens["A"]["contacts:read"], "/")
		if p, err := root.FindCurrentUserPrincipal(ctx); err != nil || p != "/dav/principal/" {
			t.Errorf("principal from the server's root: %q, %v", p, err)
		}
		// The well-known address redirects.
		req, _ := http.NewRequest("PROPFIND", e.srv.URL+"/.well-known/carddav", nil)
		res, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusMovedPermanently || res.Header.Get("Location") != "/dav/" {
			t.Errorf("PROPFIND /.well-known/carddav: %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
	})
}

// TestAuthAndScopes checks Basic authentication with a token as the
// password, and the scopes: reading needs contacts:read, writing
// contacts:write, deleting contacts:delete.
func TestAuthAndScopes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		id := e.create("A", map[string]any{"name": "Ann Lee", "email": "ann@example.com"})
		card := bookPath + id + ".vcf"
		for _, tc := range []struct {
			token  string
			status int
		}{{"", 401}, {"cdt_not_a_token", 401}, {e.tokens["A"]["contacts:write"], 403}, {e.tokens["A"]["contacts:read"], 200}} {
			r := e.dav("GET", card, tc.token, "")
			if r.status != tc.status {
				t.Errorf("GET with %q: %d, want %d: %s", tc.token, r.status, tc.status, r.body)
			}
			if r.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("401 without a Basic challenge: %v", r.header)
			}
		}
		newCard := crlf("\nBEGIN:VCARD\nVERSION:3.0\nFN:New One\nN:One;New;;;\nEND:VCARD\n")
		r := e.dav("PUT", bookPath+"new.vcf", e.tokens["A"]["contacts:read"], newCard, "Content-Type", "text/vcard")
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "need-privileges") {
			t.Errorf("PUT with a read token: %d %s", r.status, r.body)
		}
		r = e.dav("DELETE", card, e.tokens["A"]["contacts:write"], "")
		if r.status != http.StatusForbidden {
			t.Errorf("DELETE with a write token: %d %s", r.status, r.body)
		}
		r = e.dav("PUT", bookPath+"new.vcf", e.tokens["A"]["contacts:write"], newCard, "Content-Type", "text/vcard")
		if r.status != http.StatusCreated {
			t.Errorf("PUT with a write token: %d %s", r.status, r.body)
		}
		r = e.dav("DELETE", card, e.tokens["A"]["contacts:delete"], "")
		if r.status != http.StatusNoContent {
			t.Errorf("DELETE with a delete token: %d %s", r.status, r.body)
		}
		// The privileges a client reads say what it may do.
		r = e.dav("PROPFIND", bookPath, e.tokens["A"]["contacts:read"], `<d:propfind xmlns:d="DAV:"><d:prop><d:current-user-privilege-set/></d:prop></d:propfind>`, "Depth", "0")
		if !strings.Contains(r.body, "<d:read/>") || strings.Contains(r.body, "<d:bind/>") {
			t.Errorf("privileges of a read token: %s", r.body)
		}
	})
}

// TestTenantIsolation checks that a tenant's token sees none of another
// tenant's cards, whichever way it asks.
func TestTenantIsolation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		id := e.create("A", map[string]any{"name": "Ann Lee", "email": "ann@example.com", "phone": "+14155550100"})
		if r := e.put("A", "chosen.vcf", crlf("\nBEGIN:VCARD\nVERSION:3.0\nFN:Chosen\nEND:VCARD\n")); r.status != 201 {
			t.Fatalf("PUT: %d %s", r.status, r.body)
		}
		bt := e.tokens["B"]["all"]
		for _, p := range []string{bookPath + id + ".vcf", bookPath + "chosen.vcf"} {
			if r := e.dav("GET", p, bt, ""); r.status != http.StatusNotFound {
				t.Errorf("B GET %s: %d", p, r.status)
			}
			if r := e.dav("DELETE", p, bt, ""); r.status != http.StatusNotFound {
				t.Errorf("B DELETE %s: %d", p, r.status)
			}
		}
		// B writing A's card name makes B's own card.
		if r := e.put("B", "chosen.vcf", crlf("\nBEGIN:VCARD\nVERSION:3.0\nFN:B's own\nEND:VCARD\n")); r.status != 201 {
			t.Errorf("B PUT chosen.vcf: %d %s", r.status, r.body)
		}
		r := e.dav("PROPFIND", bookPath, bt, "", "Depth", "1")
		if strings.Contains(r.body, id) || strings.Count(r.body, "<d:response>") != 2 {
			t.Errorf("B's listing shows A's cards: %s", r.body)
		}
		r = e.dav("REPORT", bookPath, bt, `<card:addressbook-multiget xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/><card:address-data/></d:prop><d:href>`+bookPath+id+`.vcf</d:href></card:addressbook-multiget>`)
		if !strings.Contains(r.body, "404 Not Found") || strings.Contains(r.body, "Ann Lee") {
			t.Errorf("B multiget of A's card: %s", r.body)
		}
		r = e.dav("REPORT", bookPath, bt, `<card:addressbook-query xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/></d:prop><card:filter><card:prop-filter name="TEL"><card:text-match match-type="equals">+14155550100</card:text-match></card:prop-filter></card:filter></card:addressbook-query>`)
		if strings.Contains(r.body, id) {
			t.Errorf("B query found A's card: %s", r.body)
		}
		// A's sync token is not B's.
		tokenA := syncTokenOf(t, e.dav("PROPFIND", bookPath, e.tokens["A"]["all"], "", "Depth", "0").body)
		r = e.dav("REPORT", bookPath, bt, syncBody(tokenA, ""))
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "valid-sync-token") {
			t.Errorf("B sync with A's token: %d %s", r.status, r.body)
		}
	})
}

var syncTokenRe = regexp.MustCompile(`<d:sync-token>([^<]*)</d:sync-token>`)

func syncTokenOf(t *testing.T, body string) string {
	t.Helper()
	m := syncTokenRe.FindAllStringSubmatch(body, -1)
	if len(m) == 0 {
		t.Fatalf("no sync token in %s", body)
	}
	return m[len(m)-1][1]
}

func syncBody(token, limit string) string {
	l := ""
	if limit != "" {
		l = "<d:limit><d:nresults>" + limit + "</d:nresults></d:limit>"
	}
	return `<d:sync-collection xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:sync-token>` + token +
		`</d:sync-token><d:sync-level>1</d:sync-level>` + l + `<d:prop><d:getetag/></d:prop></d:sync-collection>`
}

// logicalLines returns the unfolded lines of a card, without the ones a
// server rewrites (REV).
func logicalLines(card string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(card, "\r\n", "\n"), "\n") {
		if l == "" {
			continue
		}
		if (l[0] == ' ' || l[0] == '\t') && len(out) > 0 {
			out[len(out)-1] += l[1:]
			continue
		}
		out = append(out, l)
	}
	return slices.DeleteFunc(out, func(l string) bool { return strings.HasPrefix(strings.ToUpper(l), "REV:") })
}

// splitCards splits a file of cards.
func splitCards(data string) []string {
	var out []string
	for _, part := range strings.SplitAfter(strings.ReplaceAll(data, "\r\n", "\n"), "END:VCARD\n") {
		if i := strings.Index(part, "BEGIN:VCARD"); i >= 0 {
			out = append(out, strings.ReplaceAll(part[i:], "\n", "\r\n"))
		}
	}
	return out
}

// TestEveryTestdataCardComesBack PUTs every card of ../shared/testdata and
// reads it back: a 3.0 or 4.0 card comes back with every line it had,
// as written (labels, groups, photos, parameters, properties contactd
// does not model).
func TestEveryTestdataCardComesBack(t *testing.T) {
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
			for i, card := range splitCards(string(data)) {
				name := strings.TrimSuffix(filepath.Base(f), ".vcf") + "-" + string(rune('a'+i)) + ".vcf"
				r := e.put("A", name, card)
				if nameless(card) {
					// A card that names nothing (no FN, N, ORG, EMAIL or TEL)
					// is not a contact: refused, saying what is missing.
					if r.status != http.StatusForbidden || !strings.Contains(r.body, "valid-address-data") || !strings.Contains(r.body, "FN, N, ORG, EMAIL or TEL") {
						t.Errorf("%s: a card that names nothing: %d %s", name, r.status, r.body)
					}
					continue
				}
				if r.status != http.StatusCreated {
					t.Errorf("%s: PUT %d %s", name, r.status, r.body)
					continue
				}
				g := e.dav("GET", bookPath+name, e.tokens["A"]["all"], "")
				if g.status != 200 || g.header.Get("ETag") != r.header.Get("ETag") {
					t.Errorf("%s: GET %d, ETag %q after PUT's %q", name, g.status, g.header.Get("ETag"), r.header.Get("ETag"))
					continue
				}
				got := logicalLines(g.body)
				version := ""
				for _, l := range logicalLines(card) {
					if strings.HasPrefix(l, "VERSION:") {
						version = l
					}
				}
				for _, l := range logicalLines(card) {
					if version == "VERSION:2.1" && !strings.HasPrefix(l, "X-") {
						continue // 2.1 is answered as 3.0: only what contactd does not model stays as written
					}
					if !slices.Contains(got, l) {
						t.Errorf("%s: the line %q did not come back:\n%s", name, l, g.body)
					}
				}
				// Writing it again unchanged makes no new version.
				if r2 := e.put("A", name, card); r2.status != http.StatusNoContent || r2.header.Get("ETag") != r.header.Get("ETag") {
					t.Errorf("%s: the same card again: %d, ETag %q (was %q)", name, r2.status, r2.header.Get("ETag"), r.header.Get("ETag"))
				}
			}
		}
	})
}

// nameless reports a card with nothing a contact is named by.
func nameless(card string) bool {
	for _, l := range logicalLines(card) {
		name, _, _ := strings.Cut(strings.ToUpper(l), ":")
		name, _, _ = strings.Cut(name, ";")
		switch name {
		case "FN", "N", "ORG", "EMAIL", "TEL":
			return false
		}
	}
	return true
}

// TestFailedSignInsAreLimited checks that CardDAV shares the API's limit
// on requests without a valid token from one address: past it, 429 with
// Retry-After, and a valid token still gets in.
func TestFailedSignInsAreLimited(t *testing.T) {
	store := storetest.Backends()[0].Open(t)
	svc := contactd.NewService(store, nil)
	api := httpapi.New(svc, nil, httpapi.Config{RateLimit: 100})
	t.Cleanup(api.Close)
	mux := http.NewServeMux()
	carddav.New(svc, nil, carddav.Options{Limiter: api.Limiter()}).Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	ten, err := svc.CreateTenant(context.Background(), "t", "US")
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := svc.CreateToken(context.Background(), contactd.TokenParams{TenantID: ten.ID, Name: "r", Kind: contactd.TokenService, Scopes: []contactd.Scope{contactd.ScopeRead}})
	if err != nil {
		t.Fatal(err)
	}
	propfind := func(password string) *http.Response {
		req, _ := http.NewRequest("PROPFIND", srv.URL+"/dav/addressbooks/contacts/", nil)
		req.SetBasicAuth("me", password)
		req.Header.Set("Depth", "0")
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	limited := false
	for range 40 {
		res := propfind("cdt_wrong")
		if res.StatusCode == http.StatusTooManyRequests {
			limited = res.Header.Get("Retry-After") != ""
			break
		}
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("a wrong token: %d", res.StatusCode)
		}
	}
	if !limited {
		t.Errorf("40 wrong tokens from one address were never limited")
	}
	if res := propfind(token); res.StatusCode != http.StatusMultiStatus {
		t.Errorf("a valid token after the limit: %d", res.StatusCode)
	}
}
