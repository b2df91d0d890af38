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

// testWriteContacts checks the batch path: writes made in order in one
// transaction, a refused write left out while the others go on (or, when
// atomic, every write rolled back), changes numbered without gaps.
func testWriteContacts(t *testing.T, b Backend) {
	s := b.Open(t)
	ctx := t.Context()
	tn := newTenant(t, s)
	created := func(c *contactd.Contact) contactd.WriteContactParams {
		return contactd.WriteContactParams{TenantID: tn.ID, Contact: c,
			Change: &contactd.Change{Type: "created", ContactID: c.ID, Version: 1, Actor: "storetest", At: now()}, Terms: contactd.SearchTerms(c)}
	}
	replaced := func(c *contactd.Contact, prev int64) contactd.WriteContactParams {
		w := created(c)
		w.PrevVersion, w.Change.Type, w.Change.Version = prev, "updated", c.Version
		return w
	}
	stored := newContact()
	mustWrite(t, s, tn.ID, stored, 0) // seq 1
	other := newContact()
	mustWrite(t, s, tn.ID, other, 0) // seq 2

	// stored gives up its email, which a later insert of the batch then
	// takes: the insert is checked after the replacement is made.
	freed := *stored
	freed.Version, freed.Emails = 2, nil
	taker := newContact(func(c *contactd.Contact) { c.Emails = stored.Emails[:1] })
	clash := newContact(func(c *contactd.Contact) { c.ExternalID = other.ExternalID })
	stale := *other
	stale.Version, stale.FirstName = 9, "Stale"
	fresh := newContact()
	writes := []contactd.WriteContactParams{created(newContact()), replaced(&freed, 1), created(taker), created(clash), replaced(&stale, 8), created(fresh)}
	errs, err := s.WriteContacts(ctx, contactd.WriteContactsParams{TenantID: tn.ID, Writes: writes})
	if err != nil || len(errs) != len(writes) {
		t.Fatalf("WriteContacts: %v, %v", errs, err)
	}
	for _, i := range []int{0, 1, 2, 5} {
		if errs[i] != nil {
			t.Errorf("write %d refused: %v", i, errs[i])
		}
	}
	wantConflict(t, errs[3], other.ID, "externalId", "an insert with a stored external id")
	if contactd.ErrorCodeOf(errs[4]) != contactd.EPreconditionFailed {
		t.Errorf("a replacement of a version that moved on: %v, want EPreconditionFailed", errs[4])
	}
	var seqs []int64
	for _, i := range []int{0, 1, 2, 5} {
		seqs = append(seqs, writes[i].Change.Seq)
	}
	if fmt.Sprint(seqs) != "[3 4 5 6]" {
		t.Errorf("the writes made have seqs %v, want [3 4 5 6]", seqs)
	}
	if got, err := s.ContactByEmail(ctx, tn.ID, stored.Emails[0].Address); err != nil || got.ID != taker.ID {
		t.Errorf("the freed email belongs to %v (%v), want the taker %s", got, err, taker.ID)
	}
	for _, c := range []*contactd.Contact{clash} {
		if _, err := s.Contact(ctx, tn.ID, c.ID); contactd.ErrorCodeOf(err) != contactd.ENotFound {
			t.Errorf("a refused insert was stored: %v", err)
		}
	}
	if got, _ := s.Contact(ctx, tn.ID, other.ID); got.Version != 1 {
		t.Errorf("a refused replacement was stored: version %d", got.Version)
	}

	// Atomic: the first refusal rolls everything back and is the only error.
	first := newContact(func(c *contactd.Contact) { c.Tags = []string{"atomic-tag"} })
	dup := newContact(func(c *contactd.Contact) { c.Emails = taker.Emails[:1] })
	last := newContact()
	refs := contactd.ContactRefs{Tags: []*contactd.Tag{{ID: contactd.NewID(contactd.PrefixTag), Name: "atomic-tag", CreatedAt: now(), UpdatedAt: now()}}}
	errs, err = s.WriteContacts(ctx, contactd.WriteContactsParams{TenantID: tn.ID, Refs: refs, Atomic: true,
		Writes: []contactd.WriteContactParams{created(first), created(dup), created(last)}})
	if err != nil || len(errs) != 3 || errs[0] != nil || errs[2] != nil {
		t.Fatalf("atomic WriteContacts: %v, %v", errs, err)
	}
	wantConflict(t, errs[1], taker.ID, "email", "an atomic batch's insert with a stored email")
	for _, c := range []*contactd.Contact{first, last} {
		if _, err := s.Contact(ctx, tn.ID, c.ID); contactd.ErrorCodeOf(err) != contactd.ENotFound {
			t.Errorf("a write of a refused atomic batch was stored: %v", err)
		}
	}
	if tags, err := s.Tags(ctx, contactd.TagsParams{TenantID: tn.ID, Limit: 10}); err != nil || len(tags) != 0 {
		t.Errorf("a refused atomic batch created tags: %v, %v", tags, err)
	}
	chs, err := s.Changes(ctx, contactd.ChangesParams{TenantID: tn.ID, Limit: 100})
	if err != nil || len(chs) != 6 || chs[5].Seq != 6 {
		t.Errorf("change log after the batches: %d entries, %v; want 6, seqs 1..6", len(chs), err)
	}
	mustWrite(t, s, tn.ID, newContact(), 0)
	if chs, _ := s.Changes(ctx, contactd.ChangesParams{TenantID: tn.ID, After: 6, Limit: 10}); len(chs) != 1 || chs[0].Seq != 7 {
		t.Errorf("the next write after a rolled-back batch: %v, want seq 7", chs)
	}
}
