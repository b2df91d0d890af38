package carddav_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/contactd/contactd/internal/storetest"
)

const ann = `
BEGIN:VCARD
VERSION:3.0
UID:ann-uid
FN:Ann Lee
N:Lee;Ann;;;
item1.TEL;type=CELL:(415) 555-0100
item1.X-ABLabel:Work cell
EMAIL;type=INTERNET;type=WORK:ann@example.com
ORG:Acme;Sales
TITLE:Engineer
CATEGORIES:vip,friends
NOTE:first line\nsecond line
X-ABRELATEDNAMES;type=pref:Bob
END:VCARD
`

// TestPutCreatesAndUpdates checks the life of a card a client writes: its
// name is kept, its fields become the contact's (what the API shows),
// conditional writes hold, and an update leaves alone what a card does
// not carry.
func TestPutCreatesAndUpdates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		all := e.tokens["A"]["all"]
		r := e.put("A", "ann-uid.vcf", crlf(ann), "If-None-Match", "*")
		if r.status != http.StatusCreated || r.header.Get("ETag") != `"1"` || r.header.Get("Location") != bookPath+"ann-uid.vcf" {
			t.Fatalf("PUT new: %d %v %s", r.status, r.header, r.body)
		}
		st, page := e.api("GET", "/v1/contacts?q=ann", all, nil)
		data := page["data"].([]any)
		if st != 200 || len(data) != 1 {
			t.Fatalf("the card's contact through the API: %d %v", st, page)
		}
		c := data[0].(map[string]any)
		id := c["id"].(string)
		phones := c["phones"].([]any)
		if c["source"] != "carddav" || c["company"] != "Acme" || c["department"] != "Sales" || c["jobTitle"] != "Engineer" ||
			c["notes"] != "first line\nsecond line" || len(phones) != 1 || phones[0].(map[string]any)["e164"] != "+14155550100" ||
			phones[0].(map[string]any)["type"] != "mobile" || strings.Join(strs(c["tags"]), ",") != "vip,friends" {
			t.Errorf("the card's contact: %v", c)
		}
		// Conditions: a second create, a stale If-Match.
		if r := e.put("A", "ann-uid.vcf", crlf(ann), "If-None-Match", "*"); r.status != http.StatusPreconditionFailed {
			t.Errorf("PUT If-None-Match: * on an existing card: %d", r.status)
		}
		if r := e.put("A", "ann-uid.vcf", crlf(ann), "If-Match", `"7"`); r.status != http.StatusPreconditionFailed {
			t.Errorf("PUT with a stale If-Match: %d", r.status)
		}
		if r := e.put("A", "other.vcf", crlf(ann), "If-Match", `"1"`); r.status != http.StatusPreconditionFailed {
			t.Errorf("PUT If-Match of a card that does not exist: %d", r.status)
		}
		if r := e.dav("GET", bookPath+"ann-uid.vcf", all, "", "If-None-Match", `"1"`); r.status != http.StatusNotModified {
			t.Errorf("GET If-None-Match of the current ETag: %d", r.status)
		}
		// The API sets what a card does not carry; the card's update keeps it.
		if st, m := e.api("PATCH", "/v1/contacts/"+id, all, map[string]any{"status": "lead", "doNotCall": true}); st != 200 {
			t.Fatalf("PATCH: %d %v", st, m)
		}
		edited := strings.Replace(ann, "TITLE:Engineer", "TITLE:Director", 1)
		r = e.put("A", "ann-uid.vcf", crlf(edited), "If-Match", `"2"`)
		if r.status != http.StatusNoContent || r.header.Get("ETag") != `"3"` {
			t.Fatalf("PUT update: %d %v %s", r.status, r.header, r.body)
		}
		_, c = e.api("GET", "/v1/contacts/"+id, all, nil)
		if c["jobTitle"] != "Director" || c["status"] != "lead" || c["doNotCall"] != true || c["phones"].([]any)[0].(map[string]any)["id"] != phones[0].(map[string]any)["id"] {
			t.Errorf("after the card's update: %v", c)
		}
		// The card comes back as written, with the contact's new title.
		g := e.dav("GET", bookPath+"ann-uid.vcf", all, "")
		for _, l := range logicalLines(crlf(edited)) {
			if !strings.Contains(g.body, l+"\r\n") {
				t.Errorf("GET after update lost %q:\n%s", l, g.body)
			}
		}
		// A change through the API replaces the card's lines it concerns,
		// and the label grouped with the old number goes with it.
		if st, m := e.api("PATCH", "/v1/contacts/"+id, all, map[string]any{"phones": []any{map[string]any{"number": "+1 415 555 0199", "type": "work"}}}); st != 200 {
			t.Fatalf("PATCH phones: %d %v", st, m)
		}
		g = e.dav("GET", bookPath+"ann-uid.vcf", all, "")
		if strings.Contains(g.body, "555-0100") || strings.Contains(g.body, "X-ABLabel") || !strings.Contains(g.body, "TEL;TYPE=work;TYPE=voice;TYPE=pref:+14155550199") ||
			!strings.Contains(g.body, "X-ABRELATEDNAMES;type=pref:Bob") || !strings.Contains(g.body, "UID:ann-uid") || g.header.Get("ETag") != `"4"` {
			t.Errorf("GET after the API changed the number:\n%s", g.body)
		}
		// vCard 4.0 when asked.
		g = e.dav("GET", bookPath+"ann-uid.vcf", all, "", "Accept", "text/vcard; version=4.0")
		if !strings.Contains(g.body, "VERSION:4.0") || !strings.Contains(g.body, "X-ABRELATEDNAMES;type=pref:Bob") {
			t.Errorf("GET as 4.0:\n%s", g.body)
		}
		// A contact made through the API is a card named by its id.
		other := e.create("A", map[string]any{"name": "Bo Chen", "phone": "+14155550111"})
		g = e.dav("GET", bookPath+other+".vcf", all, "")
		if g.status != 200 || !strings.Contains(g.body, "UID:"+other) || !strings.Contains(g.body, "FN:Bo Chen") {
			t.Errorf("GET of an API contact: %d\n%s", g.status, g.body)
		}
		// Delete with a stale ETag, then the current one.
		if r := e.dav("DELETE", bookPath+"ann-uid.vcf", all, "", "If-Match", `"1"`); r.status != http.StatusPreconditionFailed {
			t.Errorf("DELETE with a stale If-Match: %d", r.status)
		}
		if r := e.dav("DELETE", bookPath+"ann-uid.vcf", all, "", "If-Match", `"4"`); r.status != http.StatusNoContent {
			t.Errorf("DELETE: %d %s", r.status, r.body)
		}
		if r := e.dav("GET", bookPath+"ann-uid.vcf", all, ""); r.status != http.StatusNotFound {
			t.Errorf("GET after DELETE: %d", r.status)
		}
		if st, c := e.api("GET", "/v1/contacts/"+id+"?includeDeleted=true", all, nil); st != 200 || c["deletedAt"] == nil {
			t.Errorf("the deleted card's contact is soft-deleted: %d %v", st, c)
		}
		// Restored through the API, it is back under its name.
		if st, _ := e.api("POST", "/v1/contacts/"+id+"/restore", all, nil); st != 200 {
			t.Fatalf("restore: %d", st)
		}
		if r := e.dav("GET", bookPath+"ann-uid.vcf", all, ""); r.status != 200 {
			t.Errorf("GET after restore: %d", r.status)
		}
	})
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// TestRefusedCards checks that a card contactd refuses says why, naming
// the vCard property, and leaves nothing written.
func TestRefusedCards(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		all := e.tokens["A"]["all"]
		e.create("A", map[string]any{"name": "Taken", "email": "taken@example.com"})
		for _, tc := range []struct {
			name, card string
			status     int
			says       []string
		}{
			{"bad-email", "BEGIN:VCARD\nVERSION:3.0\nFN:X\nEMAIL:not an email\nEND:VCARD\n", 403, []string{"valid-address-data", "EMAIL (emails[0].address)"}},
			{"bad-number", "BEGIN:VCARD\nVERSION:3.0\nFN:X\nTEL:12\nEND:VCARD\n", 403, []string{"valid-address-data", "TEL (phones[0].number)"}},
			{"taken-email", "BEGIN:VCARD\nVERSION:3.0\nFN:X\nEMAIL:Taken@example.com\nEND:VCARD\n", 409, []string{"unique-value", "taken@example.com belongs to contact"}},
			{"not-a-card", "hello", 403, []string{"valid-address-data", "no vCard"}},
			{"two-cards", "BEGIN:VCARD\nVERSION:3.0\nFN:X\nEND:VCARD\nBEGIN:VCARD\nVERSION:3.0\nFN:Y\nEND:VCARD\n", 403, []string{"more than one vCard"}},
			{"big", "BEGIN:VCARD\nVERSION:3.0\nFN:X\nNOTE:" + strings.Repeat("x", 1<<20) + "\nEND:VCARD\n", 403, []string{"max-resource-size"}},
			{"nul", "BEGIN:VCARD\nVERSION:3.0\nFN:X\x00\nEND:VCARD\n", 403, []string{"UTF-8 text"}},
		} {
			r := e.put("A", tc.name+".vcf", crlf("\n"+tc.card))
			if r.status != tc.status {
				t.Errorf("%s: %d, want %d: %s", tc.name, r.status, tc.status, r.body)
			}
			for _, s := range tc.says {
				if !strings.Contains(r.body, s) {
					t.Errorf("%s: the answer does not say %q: %s", tc.name, s, r.body)
				}
			}
		}
		if r := e.dav("PUT", bookPath+"json.vcf", all, `{"name":"x"}`, "Content-Type", "application/json"); r.status != http.StatusUnsupportedMediaType {
			t.Errorf("PUT of JSON: %d %s", r.status, r.body)
		}
		st, page := e.api("GET", "/v1/contacts", all, nil)
		if st != 200 || len(page["data"].([]any)) != 1 {
			t.Errorf("refused cards wrote contacts: %v", page)
		}
		r := e.dav("PROPFIND", bookPath, all, "", "Depth", "1")
		if strings.Count(r.body, "<d:response>") != 2 {
			t.Errorf("refused cards are listed: %s", r.body)
		}
	})
}

// TestCardPhotos checks photos through cards: a card's PHOTO becomes the
// contact's photo and comes back as written; a photo set through the API
// replaces it on the card, as base64 in 3.0 and a data: URI in 4.0; a
// card written without a photo removes the contact's.
func TestCardPhotos(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		all := e.tokens["A"]["all"]
		jpeg := "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/"
		card := crlf("\nBEGIN:VCARD\nVERSION:3.0\nUID:p-1\nFN:Pia Photo\nPHOTO;ENCODING=b;TYPE=JPEG:" + jpeg + "\nEND:VCARD\n")
		if r := e.put("A", "p-1.vcf", card); r.status != 201 {
			t.Fatalf("PUT: %d %s", r.status, r.body)
		}
		st, page := e.api("GET", "/v1/contacts?q=pia", all, nil)
		c := page["data"].([]any)[0].(map[string]any)
		id := c["id"].(string)
		ph, _ := c["photo"].(map[string]any)
		if st != 200 || ph == nil || ph["contentType"] != "image/jpeg" {
			t.Fatalf("the card's photo on the contact: %v", c)
		}
		g := e.dav("GET", bookPath+"p-1.vcf", all, "")
		if !strings.Contains(strings.ReplaceAll(g.body, "\r\n ", ""), "PHOTO;ENCODING=b;TYPE=JPEG:"+jpeg+"\r\n") {
			t.Errorf("the card's PHOTO line did not come back as written:\n%s", g.body)
		}
		// A photo set through the API replaces the card's.
		png := "\x89PNG\r\n\x1a\nnew picture"
		req, _ := http.NewRequest("PUT", e.srv.URL+"/v1/contacts/"+id+"/photo", strings.NewReader(png))
		req.Header.Set("Authorization", "Bearer "+all)
		req.Header.Set("Content-Type", "image/png")
		if res, err := e.srv.Client().Do(req); err != nil || res.StatusCode != 200 {
			t.Fatalf("PUT photo: %v %v", res, err)
		}
		g = e.dav("GET", bookPath+"p-1.vcf", all, "")
		body := strings.ReplaceAll(g.body, "\r\n ", "")
		if strings.Contains(body, jpeg) || !strings.Contains(body, "PHOTO;ENCODING=b;TYPE=PNG:iVBORw0KGgpuZXcgcGljdHVyZQ==") {
			t.Errorf("GET after the API's photo:\n%s", g.body)
		}
		g = e.dav("GET", bookPath+"p-1.vcf", all, "", "Accept", "text/vcard; version=4.0")
		if !strings.Contains(strings.ReplaceAll(g.body, "\r\n ", ""), "PHOTO:data:image/png;base64,iVBORw0KGgpuZXcgcGljdHVyZQ==") {
			t.Errorf("GET as 4.0:\n%s", g.body)
		}
		// The card written again without a photo removes it.
		if r := e.put("A", "p-1.vcf", crlf("\nBEGIN:VCARD\nVERSION:3.0\nUID:p-1\nFN:Pia Photo\nEND:VCARD\n")); r.status != 204 {
			t.Fatalf("PUT without photo: %d %s", r.status, r.body)
		}
		if _, c := e.api("GET", "/v1/contacts/"+id, all, nil); c["photo"] != nil {
			t.Errorf("the photo stayed: %v", c)
		}
		// A PHOTO that is not an image contactd keeps stays on the card only.
		if r := e.put("A", "p-1.vcf", crlf("\nBEGIN:VCARD\nVERSION:3.0\nUID:p-1\nFN:Pia Photo\nPHOTO;VALUE=uri:https://example.com/pia.jpg\nEND:VCARD\n")); r.status != 204 {
			t.Fatalf("PUT with a photo link: %d %s", r.status, r.body)
		}
		if _, c := e.api("GET", "/v1/contacts/"+id, all, nil); c["photo"] != nil {
			t.Errorf("a link became a photo: %v", c)
		}
		if g := e.dav("GET", bookPath+"p-1.vcf", all, ""); !strings.Contains(g.body, "PHOTO;VALUE=uri:https://example.com/pia.jpg") {
			t.Errorf("the link did not come back:\n%s", g.body)
		}
	})
}

// TestHostileNames checks that names no store could keep (invalid UTF-8,
// NUL, control characters, a slash) are answered 404 or refused, never
// a server error, on both stores.
func TestHostileNames(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		all := e.tokens["A"]["all"]
		for _, name := range []string{"%00.vcf", "a%00b.vcf", "%ff%fe.vcf", "tab%09.vcf", "a%2Fb.vcf", "ct_%00.vcf"} {
			for _, m := range []string{"GET", "PUT", "DELETE", "PROPFIND"} {
				r := e.dav(m, bookPath+name, all, crlf("\nBEGIN:VCARD\nVERSION:3.0\nFN:X\nEND:VCARD\n"), "Content-Type", "text/vcard")
				if r.status >= 500 || r.status < 400 {
					t.Errorf("%s %s: %d %s", m, name, r.status, r.body)
				}
			}
		}
		r := e.dav("REPORT", bookPath, all, `<card:addressbook-multiget xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/></d:prop><d:href>`+bookPath+`a%00b.vcf</d:href><d:href>`+bookPath+`%ff.vcf</d:href></card:addressbook-multiget>`)
		if r.status != 207 || strings.Count(r.body, "404 Not Found") != 2 {
			t.Errorf("multiget of hostile names: %d %s", r.status, r.body)
		}
		q := e.dav("REPORT", bookPath, all, `<card:addressbook-query xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav"><d:prop><d:getetag/></d:prop><card:filter><card:prop-filter name="EMAIL"><card:text-match match-type="equals">a&#1;b@example.com</card:text-match></card:prop-filter></card:filter></card:addressbook-query>`)
		if q.status >= 500 {
			t.Errorf("query with a control character: %d %s", q.status, q.body)
		}
	})
}
