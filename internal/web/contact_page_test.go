package web_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/storetest"
	"github.com/contactd/contactd/internal/web"
)

// The contact page shows the contact's related objects and photo, and
// its buttons block, unblock, delete and restore it, each recorded in the
// history as the signed-in person's.
func TestContactPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, web.Options{})
		ctx := context.Background()
		adm := e.admin["A"]
		acct, err := e.svc.CreateAccount(ctx, adm, &contactd.AccountInput{Name: "Acme Corporation"})
		if err != nil {
			t.Fatal(err)
		}
		c, err := e.svc.CreateContact(ctx, adm, &contactd.ContactInput{FirstName: "Jordan", LastName: "Reyes", AccountID: acct.ID, Notes: "Prefers <email>"})
		if err != nil {
			t.Fatal(err)
		}
		name, kind := "Key people", "static"
		if _, err := e.svc.CreateSegment(ctx, adm, &contactd.SegmentInput{Name: &name, Kind: &kind, ContactIDs: []string{c.ID}}); err != nil {
			t.Fatal(err)
		}
		img := image.NewRGBA(image.Rect(0, 0, 8, 8))
		img.Set(1, 1, color.RGBA{R: 200, A: 255})
		var pngBytes bytes.Buffer
		_ = png.Encode(&pngBytes, img)
		if _, err := e.svc.SetPhoto(ctx, adm, c.ID, pngBytes.Bytes(), contactd.Precondition{}); err != nil {
			t.Fatal(err)
		}

		br := e.browser()
		br.mustSignIn("A", "editor")
		p := br.get("/contacts/" + c.ID)
		for _, want := range []string{"<h1>Jordan Reyes</h1>", "Acme Corporation", "Key people", `alt="Photo of Jordan Reyes"`, "Prefers &lt;email&gt;"} {
			if !strings.Contains(p.body, want) {
				t.Errorf("the contact page lacks %q", want)
			}
		}
		if ph := br.get("/contacts/" + c.ID + "/photo"); ph.status != http.StatusOK || ph.header.Get("Content-Type") != "image/png" || ph.body != pngBytes.String() {
			t.Errorf("photo: %d %s", ph.status, ph.header.Get("Content-Type"))
		}
		token := p.csrf(t)
		steps := []struct {
			action string
			check  func(*contactd.Contact) bool
		}{
			{"block", func(c *contactd.Contact) bool { return c.BlockedAt != nil && c.BlockReason == "spam calls" }},
			{"unblock", func(c *contactd.Contact) bool { return c.BlockedAt == nil }},
			{"delete", func(c *contactd.Contact) bool { return c.DeletedAt != nil }},
			{"restore", func(c *contactd.Contact) bool { return c.DeletedAt == nil }},
		}
		for _, s := range steps {
			if p := br.post("/contacts/"+c.ID+"/"+s.action, url.Values{"csrf": {token}, "reason": {"spam calls"}}); p.status != http.StatusSeeOther {
				t.Fatalf("%s: %d %.300s", s.action, p.status, p.body)
			}
			got, err := e.svc.Contact(ctx, adm, contactd.Selector{ID: c.ID}, contactd.GetOptions{IncludeDeleted: true})
			if err != nil || !s.check(got) {
				t.Errorf("after %s: %+v, %v", s.action, got, err)
			}
		}
		p = br.get("/contacts/" + c.ID)
		for _, typ := range []string{"blocked", "unblocked", "deleted", "restored"} {
			if !strings.Contains(p.body, "<strong>"+typ+"</strong> by <span class=\"actor\">Editor A</span>") {
				t.Errorf("the history lacks %s by Editor A", typ)
			}
		}
		// Static segments: added to one, taken out of another.
		cb := "Callbacks"
		callbacks, err := e.svc.CreateSegment(ctx, adm, &contactd.SegmentInput{Name: &cb, Kind: &kind})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(p.body, `<label for="add-segment">Add to segment</label>`) {
			t.Error("no way to add the contact to a segment")
		}
		if p := br.post("/contacts/"+c.ID+"/segments/add", url.Values{"csrf": {token}, "segment": {callbacks.ID}}); p.status != http.StatusSeeOther {
			t.Fatalf("add to segment: %d", p.status)
		}
		ex, _ := e.svc.Expand(ctx, adm, c, []string{"segments"})
		if sgs := ex["segments"].([]*contactd.Segment); len(sgs) != 2 {
			t.Errorf("after adding, in %d segments", len(sgs))
		}
		for _, sg := range ex["segments"].([]*contactd.Segment) {
			if sg.Name == "Key people" {
				if p := br.post("/contacts/"+c.ID+"/segments/remove", url.Values{"csrf": {token}, "segment": {sg.ID}}); p.status != http.StatusSeeOther {
					t.Fatalf("take out of segment: %d", p.status)
				}
			}
		}
		ex, _ = e.svc.Expand(ctx, adm, c, []string{"segments"})
		if sgs := ex["segments"].([]*contactd.Segment); len(sgs) != 1 || sgs[0].ID != callbacks.ID {
			t.Errorf("after taking out: %v", sgs)
		}
		viewer := e.browser()
		viewer.mustSignIn("A", "viewer")
		if p := viewer.post("/contacts/"+c.ID+"/segments/add", url.Values{"csrf": {viewer.get("/contacts").csrf(t)}, "segment": {callbacks.ID}}); p.status != http.StatusForbidden {
			t.Errorf("a viewer adds to a segment: %d", p.status)
		}
		// Another tenant's contact has no photo here either.
		other := e.browser()
		other.mustSignIn("B", "admin")
		if ph := other.get("/contacts/" + c.ID + "/photo"); ph.status != http.StatusNotFound {
			t.Errorf("B reads A's photo: %d", ph.status)
		}
	})
}
