package carddav_test

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/contactd/contactd/internal/storetest"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/golden")

// TestGolden compares whole answers with the files of testdata/golden:
// the XML a client parses, element by element. Ids, tokens and times are
// replaced by placeholders (go test -update rewrites the files).
func TestGolden(t *testing.T) {
	b := storetest.Backends()[0]
	e := newEnv(t, b)
	all := e.tokens["A"]["all"]
	read := e.tokens["A"]["contacts:read"]
	id := e.create("A", map[string]any{"firstName": "Ann", "lastName": "Lee", "company": "Acme", "emails": []any{map[string]any{"address": "ann@example.com", "type": "work"}},
		"phones": []any{map[string]any{"number": "+14155550100", "type": "mobile"}}, "tags": []any{"vip"}})
	if r := e.put("A", "client-named.vcf", crlf(strings.ReplaceAll(ann, "ann@example.com", "ann.lee@example.org"))); r.status != 201 {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	propfind := func(props string) string {
		return `<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:cs="http://calendarserver.org/ns/"><d:prop>` + props + `</d:prop></d:propfind>`
	}
	cases := []struct {
		name                      string
		method, path, token, body string
		headers                   []string
	}{
		{"propfind-root", "PROPFIND", "/dav/", read, propfind("<d:current-user-principal/><d:resourcetype/>"), []string{"Depth", "0"}},
		{"propfind-principal", "PROPFIND", "/dav/principal/", read, propfind("<card:addressbook-home-set/><d:displayname/><d:principal-URL/>"), []string{"Depth", "0"}},
		{"propfind-home", "PROPFIND", "/dav/addressbooks/", read, propfind("<d:resourcetype/><d:displayname/>"), []string{"Depth", "1"}},
		{"propfind-book", "PROPFIND", bookPath, all, propfind("<d:resourcetype/><d:displayname/><d:sync-token/><cs:getctag/><d:supported-report-set/><card:supported-address-data/><card:max-resource-size/><d:current-user-privilege-set/><d:quota-used-bytes/>"), []string{"Depth", "0"}},
		{"propfind-book-depth1", "PROPFIND", bookPath, read, propfind("<d:getetag/><d:getcontenttype/>"), []string{"Depth", "1"}},
		{"multiget", "REPORT", bookPath, read, `<card:addressbook-multiget xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/><card:address-data/></d:prop><d:href>` + bookPath + id + `.vcf</d:href><d:href>` + bookPath + `client-named.vcf</d:href><d:href>` + bookPath + `nobody.vcf</d:href></card:addressbook-multiget>`, nil},
		{"multiget-v4", "REPORT", bookPath, read, `<card:addressbook-multiget xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><card:address-data content-type="text/vcard" version="4.0"/></d:prop><d:href>` + bookPath + id + `.vcf</d:href></card:addressbook-multiget>`, nil},
		{"error-invalid", "PUT", bookPath + "bad.vcf", all, crlf("\nBEGIN:VCARD\nVERSION:3.0\nFN:X\nEMAIL:nope\nEND:VCARD\n"), []string{"Content-Type", "text/vcard"}},
		{"error-read-only", "PUT", bookPath + "bad.vcf", read, crlf("\nBEGIN:VCARD\nVERSION:3.0\nFN:X\nEND:VCARD\n"), []string{"Content-Type", "text/vcard"}},
		{"error-sync-token", "REPORT", bookPath, read, syncBody("urn:contactd:sync:bogus:1", ""), nil},
	}
	ids := regexp.MustCompile(`(ct|ph|em|ad|hd)_[0-9a-z]{26}`)
	tokens := regexp.MustCompile(`urn:contactd:sync:[A-Za-z0-9_-]+:`)
	rev := regexp.MustCompile(`REV:\d{8}T\d{6}Z`)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.dav(tc.method, tc.path, tc.token, tc.body, tc.headers...)
			got := tc.method + " " + tc.path + "\n" + strings.Join(statusLine(r), "\n") + "\n\n" + r.body
			got = ids.ReplaceAllStringFunc(got, func(s string) string { return s[:3] + "ID" })
			got = tokens.ReplaceAllString(got, "urn:contactd:sync:TENANT:")
			got = rev.ReplaceAllString(got, "REV:TIME")
			got = strings.ReplaceAll(got, "\r\n", "⏎\n")
			file := filepath.Join("testdata", "golden", tc.name+".txt")
			if *update {
				os.MkdirAll(filepath.Dir(file), 0o755)
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			if got != string(want) {
				t.Errorf("the answer differs from %s:\n--- got\n%s\n--- want\n%s", file, got, want)
			}
		})
	}
}

// statusLine is the status and the headers a client acts on.
func statusLine(r resp) []string {
	out := []string{"status " + strconv.Itoa(r.status)}
	for _, h := range []string{"Content-Type", "DAV", "ETag", "WWW-Authenticate"} {
		if v := r.header.Get(h); v != "" {
			out = append(out, h+": "+v)
		}
	}
	return out
}
