package httpapi_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/contactd/contactd/internal/storetest"
)

// TestPhotos checks a contact's photo through the API: set from bytes
// whose type is read from them, described on the contact, read back with
// its ETag, refused when it is not an image or too large, and removed.
func TestPhotos(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		c := e.create("A", map[string]any{"name": "Ann Lee"})
		id := c["id"].(string)
		jpeg := append([]byte{0xff, 0xd8, 0xff, 0xe0}, bytes.Repeat([]byte("j"), 100)...)
		// The Content-Type says PNG; the bytes say JPEG, and win.
		r := e.do("PUT", "/v1/contacts/"+id+"/photo", tok, jpeg, "Content-Type", "image/png", "If-Match", `"1"`)
		if r.status != 200 {
			t.Fatalf("PUT photo: %d %s", r.status, r.body)
		}
		got := r.json(t)
		ph, _ := got["photo"].(map[string]any)
		if got["version"] != float64(2) || ph == nil || ph["contentType"] != "image/jpeg" || ph["size"] != float64(len(jpeg)) ||
			ph["url"] != "/v1/contacts/"+id+"/photo" || !strings.HasPrefix(ph["etag"].(string), `"`) {
			t.Fatalf("the contact after PUT photo: %v", got)
		}
		g := e.do("GET", "/v1/contacts/"+id+"/photo", tok, nil)
		if g.status != 200 || !bytes.Equal(g.body, jpeg) || g.header.Get("Content-Type") != "image/jpeg" || g.header.Get("ETag") != ph["etag"] {
			t.Errorf("GET photo: %d %v", g.status, g.header)
		}
		if g := e.do("GET", "/v1/contacts/"+id+"/photo", tok, nil, "If-None-Match", ph["etag"].(string)); g.status != http.StatusNotModified {
			t.Errorf("GET photo If-None-Match: %d", g.status)
		}
		// The same image again makes no new version.
		if r := e.do("PUT", "/v1/contacts/"+id+"/photo", tok, jpeg, "Content-Type", "image/jpeg"); r.status != 200 || r.json(t)["version"] != float64(2) {
			t.Errorf("the same photo again: %d %s", r.status, r.body)
		}
		// Refusals: not an image, too large, a stale If-Match; the photo
		// field is read-only in a patch.
		if r := e.do("PUT", "/v1/contacts/"+id+"/photo", tok, []byte("GIF89a not allowed"), "Content-Type", "image/gif"); r.status != 400 || !strings.Contains(string(r.body), "not a JPEG, PNG or WebP") {
			t.Errorf("PUT a GIF: %d %s", r.status, r.body)
		}
		big := append([]byte{0xff, 0xd8, 0xff}, make([]byte, 1<<20)...)
		if r := e.do("PUT", "/v1/contacts/"+id+"/photo", tok, big, "Content-Type", "image/jpeg"); r.status != http.StatusRequestEntityTooLarge {
			t.Errorf("PUT a photo over 1 MiB: %d %s", r.status, r.body)
		}
		if r := e.do("PUT", "/v1/contacts/"+id+"/photo", tok, jpeg, "Content-Type", "image/jpeg", "If-Match", `"1"`); r.status != http.StatusPreconditionFailed {
			t.Errorf("PUT with a stale If-Match: %d", r.status)
		}
		if r := e.do("PATCH", "/v1/contacts/"+id, tok, `{"photo": {"contentType": "image/png"}}`, "Content-Type", "application/merge-patch+json"); r.status != 400 || !strings.Contains(string(r.body), "read-only") {
			t.Errorf("PATCH photo: %d %s", r.status, r.body)
		}
		// Another tenant sees nothing.
		if r := e.do("GET", "/v1/contacts/"+id+"/photo", e.tokens["B"]["all"], nil); r.status != 404 {
			t.Errorf("B GET photo: %d", r.status)
		}
		// The history names the change.
		h := e.do("GET", "/v1/contacts/"+id+"/history", tok, nil)
		if !strings.Contains(string(h.body), `"photo"`) {
			t.Errorf("history does not record the photo: %s", h.body)
		}
		// Removed.
		if r := e.do("DELETE", "/v1/contacts/"+id+"/photo", tok, nil); r.status != 200 || r.json(t)["photo"] != nil {
			t.Errorf("DELETE photo: %d %s", r.status, r.body)
		}
		if r := e.do("GET", "/v1/contacts/"+id+"/photo", tok, nil); r.status != 404 {
			t.Errorf("GET photo after DELETE: %d", r.status)
		}
		if r := e.do("DELETE", "/v1/contacts/"+id+"/photo", tok, nil); r.status != 404 {
			t.Errorf("DELETE photo twice: %d", r.status)
		}
	})
}

// TestPhotoVCardRoundTrip checks that a vCard export carries the photo,
// in 4.0 and 3.0, and that importing it gives the photo back.
func TestPhotoVCardRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		id := e.create("A", map[string]any{"name": "Ann Lee", "email": "ann@example.com"})["id"].(string)
		png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7}, 300)...)
		if r := e.do("PUT", "/v1/contacts/"+id+"/photo", tok, png, "Content-Type", "image/png"); r.status != 200 {
			t.Fatalf("PUT photo: %d %s", r.status, r.body)
		}
		for _, version := range []string{"4.0", "3.0"} {
			r := e.do("GET", "/v1/contacts/export?format=vcard&version="+version, tok, nil)
			unfolded := strings.ReplaceAll(string(r.body), "\r\n ", "")
			want := "PHOTO:data:image/png;base64,"
			if version == "3.0" {
				want = "PHOTO;ENCODING=b;TYPE=PNG:"
			}
			if r.status != 200 || !strings.Contains(unfolded, want) {
				t.Fatalf("vCard %s export: %d\n%s", version, r.status, r.body)
			}
			// Imported into the other tenant, the card brings its photo.
			job := e.importFile("B", "?format=vcard", "text/vcard", string(r.body))
			if job["status"] != "succeeded" || job["created"] != float64(1) {
				t.Fatalf("import of the %s export: %v", version, job)
			}
			list := e.do("GET", "/v1/contacts?q=ann", e.tokens["B"]["all"], nil).json(t)["data"].([]any)
			got := list[len(list)-1].(map[string]any)
			g := e.do("GET", "/v1/contacts/"+got["id"].(string)+"/photo", e.tokens["B"]["all"], nil)
			if g.status != 200 || !bytes.Equal(g.body, png) {
				t.Errorf("the imported %s card's photo: %d, %d bytes", version, g.status, len(g.body))
			}
			e.do("DELETE", "/v1/contacts/"+got["id"].(string)+"?permanent=true", e.tokens["B"]["all"], nil)
		}
	})
}
