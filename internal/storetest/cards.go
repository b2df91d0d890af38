package storetest

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/contactd/contactd"
)

// writeCard writes c (a new contact when prev is 0) with a card of the
// given name and data.
func writeCard(t *testing.T, s contactd.Store, tenantID string, c *contactd.Contact, prev int64, name, data string) error {
	t.Helper()
	base, _ := json.Marshal(c)
	ch := &contactd.Change{TenantID: tenantID, Type: "updated", ContactID: c.ID, Version: c.Version, Actor: "storetest", At: now()}
	if prev == 0 {
		ch.Type = "created"
	}
	return s.WriteContact(t.Context(), contactd.WriteContactParams{TenantID: tenantID, Contact: c, PrevVersion: prev, Change: ch,
		Card: &contactd.Card{ContactID: c.ID, Name: name, Version: c.Version, Base: base, Data: []byte(data)}})
}

func wantCard(t *testing.T, s contactd.Store, tenantID, name, contactID string, version int64, data string) {
	t.Helper()
	k, err := s.CardByName(t.Context(), tenantID, name)
	if err != nil {
		t.Errorf("CardByName(%q): %v", name, err)
		return
	}
	if k.ContactID != contactID || k.Version != version || string(k.Data) != data || k.Name != name {
		t.Errorf("CardByName(%q): got contact %s version %d data %q, want %s %d %q", name, k.ContactID, k.Version, k.Data, contactID, version, data)
	}
	if version > 0 {
		var c contactd.Contact
		if err := json.Unmarshal(k.Base, &c); err != nil || c.ID != contactID || c.Version != version {
			t.Errorf("CardByName(%q): base %s does not decode to contact %s version %d (%v)", name, k.Base, contactID, version, err)
		}
	} else if k.Base != nil || k.Data != nil {
		t.Errorf("CardByName(%q): an erased contact's card kept base %q and data %q", name, k.Base, k.Data)
	}
}

// testCards checks the cards CardDAV clients write: stored with their
// contact, found by name and by contact, listed with every live contact,
// a name taken from a contact that is no longer live but not from a live
// one, and an erased contact's card reduced to its name.
func testCards(t *testing.T, b Backend) {
	s := b.Open(t)
	ctx := t.Context()
	tn, other := newTenant(t, s), newTenant(t, s)
	a, plain, gone := newContact(), newContact(), newContact()
	if err := writeCard(t, s, tn.ID, a, 0, "Ann Lee.vcf", "BEGIN:VCARD\r\nX-A:1\r\nEND:VCARD\r\n"); err != nil {
		t.Fatalf("WriteContact with a card: %v", err)
	}
	mustWrite(t, s, tn.ID, plain, 0)
	wantCard(t, s, tn.ID, "Ann Lee.vcf", a.ID, 1, "BEGIN:VCARD\r\nX-A:1\r\nEND:VCARD\r\n")
	_, err := s.CardByName(ctx, other.ID, "Ann Lee.vcf")
	wantCode(t, err, contactd.ENotFound, "CardByName(another tenant's card)")
	_, err = s.CardByName(ctx, tn.ID, "ann lee.vcf")
	wantCode(t, err, contactd.ENotFound, "CardByName(the name in other case)")

	// An update without a card keeps it; one with a card replaces it.
	a2 := next(a)
	mustWrite(t, s, tn.ID, a2, 1)
	wantCard(t, s, tn.ID, "Ann Lee.vcf", a.ID, 1, "BEGIN:VCARD\r\nX-A:1\r\nEND:VCARD\r\n")
	a3 := next(a2)
	if err := writeCard(t, s, tn.ID, a3, 2, "Ann Lee.vcf", "v3"); err != nil {
		t.Fatal(err)
	}
	wantCard(t, s, tn.ID, "Ann Lee.vcf", a.ID, 3, "v3")

	// A live contact's name is not taken.
	b1 := newContact()
	err = writeCard(t, s, tn.ID, b1, 0, "Ann Lee.vcf", "other")
	wantConflict(t, err, a.ID, "card", "a new contact's card with a live contact's card's name")
	if _, err := s.Contact(ctx, tn.ID, b1.ID); contactd.ErrorCodeOf(err) != contactd.ENotFound {
		t.Errorf("the refused contact was written: %v", err)
	}
	// The same name in another tenant is another card.
	o := newContact()
	if err := writeCard(t, s, other.ID, o, 0, "Ann Lee.vcf", "theirs"); err != nil {
		t.Fatalf("the same name in another tenant: %v", err)
	}

	// A deleted contact's name is taken by the next card written with it.
	if err := writeCard(t, s, tn.ID, gone, 0, "gone.vcf", "gone"); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, s, tn.ID, softDeleted(gone), 1)
	heir := newContact()
	if err := writeCard(t, s, tn.ID, heir, 0, "gone.vcf", "heir"); err != nil {
		t.Fatalf("a card with a deleted contact's card's name: %v", err)
	}
	wantCard(t, s, tn.ID, "gone.vcf", heir.ID, 1, "heir")

	// Cards by contact: those that have one.
	ks, err := s.Cards(ctx, tn.ID, []string{a.ID, plain.ID, gone.ID, heir.ID, "ct_missing", o.ID})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, k := range ks {
		got[k.ContactID] = k.Name + "=" + string(k.Data)
	}
	want := map[string]string{a.ID: "Ann Lee.vcf=v3", heir.ID: "gone.vcf=heir"}
	if len(got) != len(want) || got[a.ID] != want[a.ID] || got[heir.ID] != want[heir.ID] {
		t.Errorf("Cards: got %v, want %v", got, want)
	}

	// By names, and the contacts by ids (deleted ones too, not another
	// tenant's).
	byName, err := s.CardsByName(ctx, tn.ID, []string{"Ann Lee.vcf", "gone.vcf", "missing.vcf", "theirs.vcf"})
	if err != nil || len(byName) != 2 {
		t.Errorf("CardsByName: %+v, %v", byName, err)
	}
	cs, err := s.CardContacts(ctx, tn.ID, []string{a.ID, gone.ID, "ct_missing", o.ID})
	found := map[string]bool{}
	for _, c := range cs {
		found[c.ID] = c.Live()
	}
	if err != nil || len(cs) != 2 || !found[a.ID] || found[gone.ID] {
		t.Errorf("CardContacts: %v, %v", found, err)
	}

	// Entries: every live contact in id order, with its card's name, in pages.
	var entries []contactd.CardEntry
	after := ""
	for {
		page, err := s.CardEntries(ctx, tn.ID, after, 2)
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, page...)
		if len(page) < 2 {
			break
		}
		after = page[len(page)-1].ContactID
	}
	wantEntries := []contactd.CardEntry{{ContactID: a.ID, Version: 3, Name: "Ann Lee.vcf"}, {ContactID: plain.ID, Version: 1},
		{ContactID: heir.ID, Version: 1, Name: "gone.vcf"}}
	slices.SortFunc(wantEntries, func(x, y contactd.CardEntry) int { return strings.Compare(x.ContactID, y.ContactID) })
	if !slices.Equal(entries, wantEntries) {
		t.Errorf("CardEntries: got %v, want %v", entries, wantEntries)
	}

	// Erasing keeps the name, and only the name.
	if err := s.EraseContact(ctx, tn.ID, a.ID, erasedChange(tn.ID, a3)); err != nil {
		t.Fatal(err)
	}
	wantCard(t, s, tn.ID, "Ann Lee.vcf", a.ID, 0, "")
	// and the name is free for a new card.
	if err := writeCard(t, s, tn.ID, b1, 0, "Ann Lee.vcf", "new"); err != nil {
		t.Fatalf("a card with an erased contact's card's name: %v", err)
	}
	wantCard(t, s, tn.ID, "Ann Lee.vcf", b1.ID, 1, "new")
	if ks, _ := s.Cards(ctx, other.ID, []string{o.ID}); len(ks) != 1 || !bytes.Equal(ks[0].Data, []byte("theirs")) {
		t.Errorf("the other tenant's card: got %+v", ks)
	}
}

// withPhoto returns a copy of c as its next version, writing the image
// data (nil removes the photo).
func withPhoto(c *contactd.Contact, data []byte) *contactd.Contact {
	n := next(c)
	n.PhotoWrite = &contactd.PhotoData{ContentType: "image/png", Data: data}
	return n
}

func wantPhoto(t *testing.T, s contactd.Store, tenantID, id string, want []byte) {
	t.Helper()
	d, err := s.Photo(t.Context(), tenantID, id)
	if want == nil {
		wantCode(t, err, contactd.ENotFound, "Photo of a contact without one")
		return
	}
	if err != nil || !bytes.Equal(d.Data, want) || d.ContentType != "image/png" {
		t.Errorf("Photo(%s): %+v, %v; want %q", id, d, err, want)
	}
}

// testPhotos checks that a contact's photo is written with it, whichever
// way it is written (one write, a batch's insert or replacement, a bulk
// insert), kept by versions that leave it, removed by one that removes it
// and by erasure, and seen by its tenant only.
func testPhotos(t *testing.T, b Backend) {
	s := b.Open(t)
	ctx := t.Context()
	tn, other := newTenant(t, s), newTenant(t, s)
	a := newContact(func(c *contactd.Contact) {
		c.PhotoWrite = &contactd.PhotoData{ContentType: "image/png", Data: []byte("one")}
	})
	mustWrite(t, s, tn.ID, a, 0)
	wantPhoto(t, s, tn.ID, a.ID, []byte("one"))
	wantPhoto(t, s, other.ID, a.ID, nil)
	a2 := next(a)
	a2.PhotoWrite = nil
	mustWrite(t, s, tn.ID, a2, 1)
	wantPhoto(t, s, tn.ID, a.ID, []byte("one"))
	a3 := withPhoto(a2, []byte("two"))
	mustWrite(t, s, tn.ID, a3, 2)
	wantPhoto(t, s, tn.ID, a.ID, []byte("two"))
	a4 := withPhoto(a3, nil)
	mustWrite(t, s, tn.ID, a4, 3)
	wantPhoto(t, s, tn.ID, a.ID, nil)

	// A batch: an insert and a replacement with photos.
	in := newContact(func(c *contactd.Contact) {
		c.PhotoWrite = &contactd.PhotoData{ContentType: "image/png", Data: []byte("batch")}
	})
	rep := withPhoto(a4, []byte("replaced"))
	ch := func(c *contactd.Contact, typ string) *contactd.Change {
		return &contactd.Change{Type: typ, ContactID: c.ID, Version: c.Version, Actor: "storetest", At: now()}
	}
	errs, err := s.WriteContacts(ctx, contactd.WriteContactsParams{TenantID: tn.ID, Writes: []contactd.WriteContactParams{
		{TenantID: tn.ID, Contact: in, Change: ch(in, "created")},
		{TenantID: tn.ID, Contact: rep, PrevVersion: 4, Change: ch(rep, "updated")}}})
	if err != nil || errs[0] != nil || errs[1] != nil {
		t.Fatalf("WriteContacts: %v %v", errs, err)
	}
	wantPhoto(t, s, tn.ID, in.ID, []byte("batch"))
	wantPhoto(t, s, tn.ID, a.ID, []byte("replaced"))

	// A bulk insert.
	bulk := newContact(func(c *contactd.Contact) {
		c.PhotoWrite = &contactd.PhotoData{ContentType: "image/png", Data: []byte("bulk")}
	})
	if err := s.InsertContacts(ctx, contactd.InsertContactsParams{TenantID: tn.ID, Contacts: []contactd.WriteContactParams{{TenantID: tn.ID, Contact: bulk, Change: ch(bulk, "created")}}}); err != nil {
		t.Fatal(err)
	}
	wantPhoto(t, s, tn.ID, bulk.ID, []byte("bulk"))

	// Erasure removes it.
	if err := s.EraseContact(ctx, tn.ID, a.ID, erasedChange(tn.ID, rep)); err != nil {
		t.Fatal(err)
	}
	wantPhoto(t, s, tn.ID, a.ID, nil)
	wantPhoto(t, s, tn.ID, in.ID, []byte("batch"))
}
