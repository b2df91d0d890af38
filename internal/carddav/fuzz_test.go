package carddav

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/formats"
)

// FuzzRender renders a contact over any card a client might have written:
// the answer is one card, of the version asked, and every line of the
// client's that contactd does not model (nor write itself) is in it.
func FuzzRender(f *testing.F) {
	f.Add([]byte("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\r\nitem1.TEL:+1 415 555 0100\r\nitem1.X-ABLabel:x\r\nX-A;p=1:v\r\nEND:VCARD\r\n"))
	f.Add([]byte("BEGIN:VCARD\nVERSION:4.0\nUID:u\nPHOTO:data:image/png;base64,AA==\n folded\nEND:VCARD\n"))
	f.Add([]byte("VERSION:3.0\n\n;:\n.:x\n a.b.c:d"))
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := &contactd.Contact{ID: "ct_x", Version: 2, FirstName: "Ann", DisplayName: "Ann", Phones: []contactd.Phone{{E164: "+14155550100", Type: "mobile"}},
		UpdatedAt: at, Photo: &contactd.Photo{ContentType: "image/png", Size: 1, ETag: `"a"`}}
	base := *c
	base.Version, base.Phones = 1, nil
	baseDoc, _ := json.Marshal(&base)
	img := func(*contactd.Contact) (*contactd.PhotoData, error) {
		return &contactd.PhotoData{ContentType: "image/png", Data: []byte("\x89PNG\r\n\x1a\n")}, nil
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if !utf8.Valid(data) {
			return
		}
		for _, version := range []string{v3, v4} {
			out, err := render(c, &contactd.Card{ContactID: c.ID, Name: "x.vcf", Version: 1, Base: baseDoc, Data: data}, version, img)
			if err != nil {
				t.Fatal(err)
			}
			s := string(out)
			if !strings.HasPrefix(s, "BEGIN:VCARD\r\nVERSION:"+version+"\r\n") || !strings.HasSuffix(s, "END:VCARD\r\n") || strings.Count(s, "\r\nBEGIN:VCARD\r\n") != 0 || strings.Count(s, "\r\nEND:VCARD\r\n") != 1 {
				t.Fatalf("not one card of version %s:\n%s", version, s)
			}
			got := map[string]bool{}
			for _, l := range splitCard(out) {
				got[l.text] = true
			}
			for _, l := range splitCard(data) {
				if own[l.name] || l.name == "UID" || l.name == "PHOTO" || l.group != "" || formats.Mapped(l.name) || l.name == "" {
					continue
				}
				if !got[l.text] {
					t.Fatalf("the client's line %q is not in\n%s", l.text, s)
				}
			}
		}
	})
}

// FuzzReport decodes any REPORT body: it is one of the three reports, or
// refused, and a query's filter either decodes or names what it lacks.
func FuzzReport(f *testing.F) {
	f.Add([]byte(`<card:addressbook-query xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/></d:prop><card:filter test="allof"><card:prop-filter name="TEL"><card:text-match match-type="equals" collation="i;octet">+1 415</card:text-match><card:param-filter name="TYPE"><card:is-not-defined/></card:param-filter></card:prop-filter></card:filter><card:limit><card:nresults>5</card:nresults></card:limit></card:addressbook-query>`))
	f.Add([]byte(`<d:sync-collection xmlns:d="DAV:"><d:sync-token>urn:contactd:sync:x:1</d:sync-token><d:sync-level>1</d:sync-level></d:sync-collection>`))
	f.Add([]byte(`<card:addressbook-multiget xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:href>/dav/addressbooks/contacts/a.vcf</d:href></card:addressbook-multiget>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, _ := http.NewRequest("REPORT", "/dav/addressbooks/contacts/", bytes.NewReader(body))
		var rep report
		if err := decodeBody(r, &rep); err != nil {
			return
		}
		if rep.Query != nil {
			q, err := decodeQuery(rep.Query)
			if err == nil {
				normalizeTel(q, "US")
				q.match(nil)
			}
		}
		for _, h := range func() []hrefElem {
			if rep.Multiget != nil {
				return rep.Multiget.Hrefs
			}
			return nil
		}() {
			if name, ok := cardNameOf(h.Value); ok && (name == "" || strings.Contains(name, "/")) {
				t.Fatalf("href %q names the card %q", h.Value, name)
			}
		}
	})
}
