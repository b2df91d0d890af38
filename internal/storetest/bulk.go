package storetest

import (
	"fmt"
	"testing"

	"github.com/contactd/contactd"
)

// testInsertContacts checks the bulk path: all rows and changes land in
// one go, in order, findable by every key; a conflict writes nothing.
func testInsertContacts(t *testing.T, b Backend) {
	s := b.Open(t)
	ctx := t.Context()
	tn := newTenant(t, s)
	var batch []contactd.WriteContactParams
	for i := range 50 {
		c := newContact(func(c *contactd.Contact) {
			c.FirstName = fmt.Sprintf("Bulk%02d", i)
			c.Phones[0].E164 = fmt.Sprintf("+1415556%04d", i)
		})
		batch = append(batch, contactd.WriteContactParams{TenantID: tn.ID, Contact: c,
			Change: &contactd.Change{Type: "created", ContactID: c.ID, Version: 1, Actor: "storetest", At: now()},
			Terms:  contactd.SearchTerms(c)})
	}
	mustWrite(t, s, tn.ID, newContact(), 0) // seq 1 before the batch
	if err := s.InsertContacts(ctx, contactd.InsertContactsParams{TenantID: tn.ID, Contacts: batch}); err != nil {
		t.Fatalf("InsertContacts: %v", err)
	}
	for i, p := range batch {
		if got, want := p.Change.Seq, int64(i+2); got != want {
			t.Errorf("change %d: seq %d, want %d", i, got, want)
		}
	}
	chs, err := s.Changes(ctx, contactd.ChangesParams{TenantID: tn.ID, Limit: 1000})
	if err != nil || len(chs) != 51 {
		t.Fatalf("Changes: %d entries, %v; want 51", len(chs), err)
	}
	for i, ch := range chs {
		if ch.Seq != int64(i+1) {
			t.Fatalf("change log seqs not 1..51: entry %d has seq %d", i, ch.Seq)
		}
	}
	c := batch[7].Contact
	for what, get := range map[string]func() (*contactd.Contact, error){
		"Contact":             func() (*contactd.Contact, error) { return s.Contact(ctx, tn.ID, c.ID) },
		"ContactByEmail":      func() (*contactd.Contact, error) { return s.ContactByEmail(ctx, tn.ID, c.Emails[1].Address) },
		"ContactByExternalID": func() (*contactd.Contact, error) { return s.ContactByExternalID(ctx, tn.ID, c.ExternalID) },
	} {
		got, err := get()
		if err != nil || got.ID != c.ID {
			t.Errorf("%s after InsertContacts: %v, %v; want %s", what, got, err, c.ID)
		}
	}
	ms, err := s.LookupPhone(ctx, tn.ID, c.Phones[0].E164, 10)
	if err != nil || len(ms) != 1 || ms[0].ContactID != c.ID || decodeMatch(t, ms[0]).ID != c.ID || !ms[0].PrimaryMatch {
		t.Errorf("LookupPhone after InsertContacts: %+v, %v", ms, err)
	}
	q := contactd.ContactQuery{Query: contactd.Query{TenantID: tn.ID, Sort: []contactd.SortKey{{Field: "id"}}, Limit: 10}, Terms: []string{"bulk07"}}
	got, _, err := s.ListContacts(ctx, q)
	if err != nil || len(got) != 1 || got[0].ID != c.ID {
		t.Errorf("full-text search after InsertContacts: %d contacts, %v; want %s", len(got), err, c.ID)
	}

	// A batch with an email of a stored contact writes nothing.
	dup := newContact(func(d *contactd.Contact) { d.Emails[0].Address = c.Emails[0].Address })
	fresh := newContact()
	bad := []contactd.WriteContactParams{
		{TenantID: tn.ID, Contact: fresh, Change: &contactd.Change{Type: "created", ContactID: fresh.ID, Version: 1, Actor: "storetest", At: now()}},
		{TenantID: tn.ID, Contact: dup, Change: &contactd.Change{Type: "created", ContactID: dup.ID, Version: 1, Actor: "storetest", At: now()}},
	}
	err = s.InsertContacts(ctx, contactd.InsertContactsParams{TenantID: tn.ID, Contacts: bad})
	wantConflict(t, err, c.ID, "email", "InsertContacts with a stored email")
	if _, err := s.Contact(ctx, tn.ID, fresh.ID); contactd.ErrorCodeOf(err) != contactd.ENotFound {
		t.Errorf("a failed batch stored its first contact: %v", err)
	}
	if n, _ := s.Changes(ctx, contactd.ChangesParams{TenantID: tn.ID, After: 51, Limit: 10}); len(n) != 0 {
		t.Errorf("a failed batch appended %d changes", len(n))
	}
}
