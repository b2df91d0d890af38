package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/contactd/contactd"
)

func testContacts(t *testing.T, b Backend) {
	t.Run("InsertAndGet", func(t *testing.T) {
		t.Parallel()
		tests := []struct {
			name string
			c    *contactd.Contact
		}{
			{"full", newContact(func(c *contactd.Contact) {
				blocked := now().Add(-time.Minute)
				c.DisplayName, c.DisplayNameSet = "Annie", true
				c.BlockedAt, c.BlockedBy, c.BlockReason = &blocked, "storetest", "spam"
				c.DoNotCall, c.SMSOptOut, c.Unknown = true, true, true
			})},
			{"derived display name", newContact()},
			{"organization without lists", newContact(func(c *contactd.Contact) {
				c.Kind, c.ContactType, c.FirstName, c.LastName, c.DisplayName = "organization", "company", "", "", "Acme Inc."
				c.Phones, c.Emails, c.Addresses, c.Handles, c.Tags = []contactd.Phone{}, []contactd.Email{}, []contactd.Address{}, []contactd.Handle{}, []string{}
				c.ExternalID, c.Properties, c.Metadata = "", nil, nil
			})},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				t.Parallel()
				s := b.Open(t)
				tn := newTenant(t, s)
				ch := mustWrite(t, s, tn.ID, tt.c, 0)
				if ch.Seq != 1 {
					t.Errorf("Change.Seq after the first write: got %d, want 1", ch.Seq)
				}
				wantStored(t, s, tn.ID, tt.c)
			})
		}
	})

	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		tn := newTenant(t, s)
		c := newContact()
		mustWrite(t, s, tn.ID, c, 0)
		v2 := next(c)
		v2.FirstName, v2.DisplayName, v2.DisplayNameSet = "Anna", "Dr. Anna Lee", true
		v2.Tags = []string{"customer"}
		mustWrite(t, s, tn.ID, v2, 1)
		wantStored(t, s, tn.ID, v2)
		v3 := next(v2)
		v3.DisplayName, v3.DisplayNameSet = "Anna Lee", false
		mustWrite(t, s, tn.ID, v3, 2)
		wantStored(t, s, tn.ID, v3)
		wantSeqs(t, s, tn.ID, c.ID, 1, 2, 3)
	})

	t.Run("StalePrevVersion", func(t *testing.T) {
		t.Parallel()
		for _, prev := range []int64{1, 3} {
			t.Run(fmt.Sprintf("PrevVersion%d", prev), func(t *testing.T) {
				t.Parallel()
				s := b.Open(t)
				tn := newTenant(t, s)
				c := newContact()
				mustWrite(t, s, tn.ID, c, 0)
				v2 := next(c)
				v2.FirstName = "Anna"
				mustWrite(t, s, tn.ID, v2, 1)

				stale := next(v2)
				stale.LastName = "Stale"
				_, err := write(t.Context(), s, tn.ID, stale, prev)
				wantCode(t, err, contactd.EPreconditionFailed, fmt.Sprintf("WriteContact with PrevVersion %d over version 2", prev))
				wantStored(t, s, tn.ID, v2)
				wantSeqs(t, s, tn.ID, "", 1, 2)
			})
		}
	})

	t.Run("LookupsFindLiveOnly", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ctx := t.Context()
		tn := newTenant(t, s)
		c := newContact()
		other := newContact()
		mustWrite(t, s, tn.ID, c, 0)
		mustWrite(t, s, tn.ID, other, 0)

		lookups := []struct {
			name string
			find func() (*contactd.Contact, error)
		}{
			{"ContactByEmail(primary)", func() (*contactd.Contact, error) { return s.ContactByEmail(ctx, tn.ID, c.Emails[0].Address) }},
			{"ContactByEmail(second)", func() (*contactd.Contact, error) { return s.ContactByEmail(ctx, tn.ID, c.Emails[1].Address) }},
			{"ContactByExternalID", func() (*contactd.Contact, error) { return s.ContactByExternalID(ctx, tn.ID, c.ExternalID) }},
		}
		for _, l := range lookups {
			got, err := l.find()
			if err != nil {
				t.Errorf("%s of a live contact: got error %v, want the contact", l.name, err)
				continue
			}
			sameContact(t, got, c, l.name)
		}
		_, err := s.ContactByEmail(ctx, tn.ID, "nobody@example.com")
		wantCode(t, err, contactd.ENotFound, "ContactByEmail(unknown address)")
		_, err = s.ContactByExternalID(ctx, tn.ID, "no-such-id")
		wantCode(t, err, contactd.ENotFound, "ContactByExternalID(unknown id)")
		_, err = s.Contact(ctx, tn.ID, contactd.NewID(contactd.PrefixContact))
		wantCode(t, err, contactd.ENotFound, "Contact(unknown id)")

		deleted := softDeleted(c)
		mustWrite(t, s, tn.ID, deleted, 1)
		for _, l := range lookups {
			_, err := l.find()
			wantCode(t, err, contactd.ENotFound, l.name+" of a soft-deleted contact")
		}
		wantStored(t, s, tn.ID, deleted)
		wantStored(t, s, tn.ID, other)
	})

	t.Run("ReplacedEmailIsFreed", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ctx := t.Context()
		tn := newTenant(t, s)
		c := newContact()
		mustWrite(t, s, tn.ID, c, 0)
		old := c.Emails[1].Address
		v2 := next(c)
		v2.Emails = []contactd.Email{c.Emails[0], {ID: contactd.NewID(contactd.PrefixEmail), Address: "new-" + old, Type: "other"}}
		mustWrite(t, s, tn.ID, v2, 1)
		if _, err := s.ContactByEmail(ctx, tn.ID, old); contactd.ErrorCodeOf(err) != contactd.ENotFound {
			t.Errorf("ContactByEmail(removed address): got error %v, want code %q", err, contactd.ENotFound)
		}
		if got, err := s.ContactByEmail(ctx, tn.ID, "new-"+old); err != nil {
			t.Errorf("ContactByEmail(added address): got error %v, want the contact", err)
		} else {
			sameContact(t, got, v2, "ContactByEmail(added address)")
		}
		taker := newContact(func(n *contactd.Contact) { n.Emails[1].Address = old })
		if _, err := write(ctx, s, tn.ID, taker, 0); err != nil {
			t.Errorf("WriteContact with an address another contact no longer has: got %v, want nil", err)
		}
	})
}

// uniqueField is a field that live contacts of a tenant may not share.
type uniqueField struct {
	name string // the ConflictingField
	// share makes dst hold src's value of the field.
	share func(dst, src *contactd.Contact)
	// find looks the live contact up by src's value of the field.
	find func(ctx context.Context, s contactd.Store, tenantID string, src *contactd.Contact) (*contactd.Contact, error)
}

var uniqueFields = []uniqueField{
	{
		name: "email",
		share: func(dst, src *contactd.Contact) {
			// src's second, non-primary address: every address counts.
			dst.Emails = []contactd.Email{dst.Emails[0], {ID: contactd.NewID(contactd.PrefixEmail), Address: src.Emails[1].Address, Type: "other"}}
		},
		find: func(ctx context.Context, s contactd.Store, tenantID string, src *contactd.Contact) (*contactd.Contact, error) {
			return s.ContactByEmail(ctx, tenantID, src.Emails[1].Address)
		},
	},
	{
		name:  "externalId",
		share: func(dst, src *contactd.Contact) { dst.ExternalID = src.ExternalID },
		find: func(ctx context.Context, s contactd.Store, tenantID string, src *contactd.Contact) (*contactd.Contact, error) {
			return s.ContactByExternalID(ctx, tenantID, src.ExternalID)
		},
	},
}

// wantFound reports an error unless f finds want by src's value of the field.
func (f uniqueField) wantFound(t *testing.T, s contactd.Store, tenantID string, src, want *contactd.Contact) {
	t.Helper()
	got, err := f.find(t.Context(), s, tenantID, src)
	if err != nil {
		t.Errorf("lookup by %s: got error %v, want contact %s", f.name, err, want.ID)
		return
	}
	sameContact(t, got, want, "lookup by "+f.name)
}

func testUniqueness(t *testing.T, b Backend) {
	for _, f := range uniqueFields {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()

			t.Run("InsertConflict", func(t *testing.T) {
				t.Parallel()
				s := b.Open(t)
				tn := newTenant(t, s)
				first := newContact()
				mustWrite(t, s, tn.ID, first, 0)
				second := newContact(func(c *contactd.Contact) { f.share(c, first) })
				_, err := write(t.Context(), s, tn.ID, second, 0)
				wantConflict(t, err, first.ID, f.name, "insert sharing the "+f.name+" of a live contact")

				// The failed write leaves no trace.
				_, err = s.Contact(t.Context(), tn.ID, second.ID)
				wantCode(t, err, contactd.ENotFound, "Contact(rejected contact)")
				wantSeqs(t, s, tn.ID, "", 1)
				f.wantFound(t, s, tn.ID, first, first)
				if ch := mustWrite(t, s, tn.ID, newContact(), 0); ch.Seq != 2 {
					t.Errorf("Change.Seq of the write after a rejected one: got %d, want 2", ch.Seq)
				}
			})

			t.Run("UpdateConflict", func(t *testing.T) {
				t.Parallel()
				s := b.Open(t)
				tn := newTenant(t, s)
				first, second := newContact(), newContact()
				mustWrite(t, s, tn.ID, first, 0)
				mustWrite(t, s, tn.ID, second, 0)
				v2 := next(second)
				f.share(v2, first)
				_, err := write(t.Context(), s, tn.ID, v2, 1)
				wantConflict(t, err, first.ID, f.name, "update sharing the "+f.name+" of a live contact")
				wantStored(t, s, tn.ID, second)
				wantSeqs(t, s, tn.ID, "", 1, 2)
				f.wantFound(t, s, tn.ID, first, first)
			})

			t.Run("OtherTenant", func(t *testing.T) {
				t.Parallel()
				s := b.Open(t)
				t1, t2 := newTenant(t, s), newTenant(t, s)
				first := newContact()
				mustWrite(t, s, t1.ID, first, 0)
				second := newContact(func(c *contactd.Contact) { f.share(c, first) })
				if _, err := write(t.Context(), s, t2.ID, second, 0); err != nil {
					t.Fatalf("insert sharing the %s of a contact of another tenant: got %v, want nil", f.name, err)
				}
				f.wantFound(t, s, t1.ID, first, first)
				f.wantFound(t, s, t2.ID, first, second)
			})

			t.Run("ReuseAfterSoftDelete", func(t *testing.T) {
				t.Parallel()
				s := b.Open(t)
				tn := newTenant(t, s)
				first := newContact()
				mustWrite(t, s, tn.ID, first, 0)
				mustWrite(t, s, tn.ID, softDeleted(first), 1)
				second := newContact(func(c *contactd.Contact) { f.share(c, first) })
				if _, err := write(t.Context(), s, tn.ID, second, 0); err != nil {
					t.Fatalf("insert sharing the %s of a soft-deleted contact: got %v, want nil", f.name, err)
				}
				f.wantFound(t, s, tn.ID, first, second)
			})

			t.Run("RestoreConflict", func(t *testing.T) {
				t.Parallel()
				s := b.Open(t)
				tn := newTenant(t, s)
				first := newContact()
				mustWrite(t, s, tn.ID, first, 0)
				deleted := softDeleted(first)
				mustWrite(t, s, tn.ID, deleted, 1)
				second := newContact(func(c *contactd.Contact) { f.share(c, first) })
				mustWrite(t, s, tn.ID, second, 0)

				_, err := write(t.Context(), s, tn.ID, restored(deleted), 2)
				wantConflict(t, err, second.ID, f.name, "restoring a contact whose "+f.name+" a live contact has")
				wantStored(t, s, tn.ID, deleted)
				wantSeqs(t, s, tn.ID, "", 1, 2, 3)
				f.wantFound(t, s, tn.ID, first, second)
			})
		})
	}
}

func testTenantIsolation(t *testing.T, b Backend) {
	t.Run("Reads", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ctx := t.Context()
		t1, t2 := newTenant(t, s), newTenant(t, s)
		c := newContact()
		mustWrite(t, s, t1.ID, c, 0)
		tests := []struct {
			name string
			call func() error
		}{
			{"Contact", func() error { _, err := s.Contact(ctx, t2.ID, c.ID); return err }},
			{"ContactByEmail", func() error { _, err := s.ContactByEmail(ctx, t2.ID, c.Emails[0].Address); return err }},
			{"ContactByExternalID", func() error { _, err := s.ContactByExternalID(ctx, t2.ID, c.ExternalID); return err }},
		}
		for _, tt := range tests {
			wantCode(t, tt.call(), contactd.ENotFound, tt.name+" of another tenant's contact")
		}
	})

	t.Run("Writes", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ctx := t.Context()
		t1, t2 := newTenant(t, s), newTenant(t, s)
		c := newContact()
		mustWrite(t, s, t1.ID, c, 0)

		wantCode(t, s.EraseContact(ctx, t2.ID, c.ID, erasedChange(t2.ID, c)), contactd.ENotFound, "EraseContact of another tenant's contact")
		v2 := next(c)
		v2.FirstName = "Hijacked"
		if _, err := write(ctx, s, t2.ID, v2, 1); err == nil {
			t.Errorf("updating another tenant's contact: got nil error, want one")
		}
		wantStored(t, s, t1.ID, c)
		wantSeqs(t, s, t1.ID, "", 1)
		wantSeqs(t, s, t2.ID, "")
	})

	t.Run("ChangeLogs", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		t1, t2 := newTenant(t, s), newTenant(t, s)
		a := newContact()
		mustWrite(t, s, t1.ID, a, 0)
		mustWrite(t, s, t1.ID, next(a), 1)
		wantSeqs(t, s, t2.ID, "")
		bc := newContact()
		mustWrite(t, s, t2.ID, bc, 0)
		got := changes(t, s, t2.ID, "")
		if len(got) != 1 || got[0].ContactID != bc.ID || got[0].Seq != 1 {
			t.Errorf("Changes of tenant B: got %+v, want only seq 1 for contact %s", got, bc.ID)
		}
		wantSeqs(t, s, t2.ID, a.ID)
	})
}

func testChangeLog(t *testing.T, b Backend) {
	t.Run("SeqPerTenant", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		t1, t2 := newTenant(t, s), newTenant(t, s)
		steps := []struct {
			tenant  string
			wantSeq int64
		}{{t1.ID, 1}, {t2.ID, 1}, {t1.ID, 2}, {t1.ID, 3}, {t2.ID, 2}}
		for i, st := range steps {
			if ch := mustWrite(t, s, st.tenant, newContact(), 0); ch.Seq != st.wantSeq {
				t.Errorf("write %d: got Change.Seq %d, want %d", i, ch.Seq, st.wantSeq)
			}
		}
		wantSeqs(t, s, t1.ID, "", 1, 2, 3)
		wantSeqs(t, s, t2.ID, "", 1, 2)
	})

	t.Run("Paging", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		tn := newTenant(t, s)
		for range 5 {
			mustWrite(t, s, tn.ID, newContact(), 0)
		}
		tests := []struct {
			after int64
			limit int
			want  []int64
		}{
			{0, 2, []int64{1, 2}},
			{2, 2, []int64{3, 4}},
			{4, 2, []int64{5}},
			{5, 2, []int64{}},
			{1, 3, []int64{2, 3, 4}},
			{0, 100, []int64{1, 2, 3, 4, 5}},
		}
		for _, tt := range tests {
			chs, err := s.Changes(t.Context(), contactd.ChangesParams{TenantID: tn.ID, After: tt.after, Limit: tt.limit})
			if err != nil {
				t.Errorf("Changes(after %d, limit %d): %v", tt.after, tt.limit, err)
				continue
			}
			if got := seqs(chs); !slices.Equal(got, tt.want) {
				t.Errorf("Changes(after %d, limit %d): got seqs %v, want %v", tt.after, tt.limit, got, tt.want)
			}
		}
	})

	t.Run("ContactFilter", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		tn := newTenant(t, s)
		a, bc := newContact(), newContact()
		mustWrite(t, s, tn.ID, a, 0)  // 1
		mustWrite(t, s, tn.ID, bc, 0) // 2
		a2 := next(a)
		mustWrite(t, s, tn.ID, a2, 1)       // 3
		mustWrite(t, s, tn.ID, next(bc), 1) // 4
		mustWrite(t, s, tn.ID, next(a2), 2) // 5
		tests := []struct {
			contact string
			after   int64
			limit   int
			want    []int64
		}{
			{a.ID, 0, 100, []int64{1, 3, 5}},
			{a.ID, 1, 100, []int64{3, 5}},
			{a.ID, 0, 1, []int64{1}},
			{bc.ID, 0, 100, []int64{2, 4}},
			{bc.ID, 4, 100, []int64{}},
			{contactd.NewID(contactd.PrefixContact), 0, 100, []int64{}},
		}
		for _, tt := range tests {
			chs, err := s.Changes(t.Context(), contactd.ChangesParams{TenantID: tn.ID, ContactID: tt.contact, After: tt.after, Limit: tt.limit})
			if err != nil {
				t.Errorf("Changes(contact %s, after %d, limit %d): %v", tt.contact, tt.after, tt.limit, err)
				continue
			}
			if got := seqs(chs); !slices.Equal(got, tt.want) {
				t.Errorf("Changes(contact %s, after %d, limit %d): got seqs %v, want %v", tt.contact, tt.after, tt.limit, got, tt.want)
			}
			for _, ch := range chs {
				if ch.ContactID != tt.contact {
					t.Errorf("Changes(contact %s): got a change of contact %s", tt.contact, ch.ContactID)
				}
			}
		}
	})

	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		tn := newTenant(t, s)
		c := newContact()
		created := &contactd.Change{
			TenantID: tn.ID, Type: "created", ContactID: c.ID, Version: 1, Actor: "user-7", At: now().Add(-time.Second),
			Fields: map[string]contactd.FieldChange{
				"firstName":  {Old: json.RawMessage(`null`), New: json.RawMessage(`"Ann"`)},
				"emails":     {Old: json.RawMessage(`null`), New: json.RawMessage(`[{"id":"em_1","address":"ann@example.com","type":"work","primary":true}]`)},
				"properties": {Old: json.RawMessage(`null`), New: json.RawMessage(`{"b":1,"a":{"c":[true,null,"x"]}}`)},
			},
		}
		if err := s.WriteContact(t.Context(), contactd.WriteContactParams{TenantID: tn.ID, Contact: c, Change: created}); err != nil {
			t.Fatalf("WriteContact: %v", err)
		}
		v2 := next(c)
		v2.FirstName = "Anna"
		updated := &contactd.Change{
			TenantID: tn.ID, Type: "updated", ContactID: c.ID, Version: 2, Actor: "crm-sync", At: now(),
			Fields: map[string]contactd.FieldChange{"firstName": {Old: json.RawMessage(`"Ann"`), New: json.RawMessage(`"Anna"`)}},
		}
		if err := s.WriteContact(t.Context(), contactd.WriteContactParams{TenantID: tn.ID, Contact: v2, PrevVersion: 1, Change: updated}); err != nil {
			t.Fatalf("WriteContact: %v", err)
		}
		v3 := next(v2)
		bare := &contactd.Change{TenantID: tn.ID, Type: "updated", ContactID: c.ID, Version: 3, Actor: "crm-sync", At: now()}
		if err := s.WriteContact(t.Context(), contactd.WriteContactParams{TenantID: tn.ID, Contact: v3, PrevVersion: 2, Change: bare}); err != nil {
			t.Fatalf("WriteContact: %v", err)
		}

		want := []*contactd.Change{created, updated, bare}
		got := changes(t, s, tn.ID, "")
		if len(got) != len(want) {
			t.Fatalf("Changes: got %d changes, want %d", len(got), len(want))
		}
		for i := range want {
			if want[i].Seq != int64(i+1) {
				t.Errorf("change %d: got Seq %d set by WriteContact, want %d", i, want[i].Seq, i+1)
			}
			sameChange(t, got[i], *want[i], "Changes")
		}
	})
}

func testEraseContact(t *testing.T, b Backend) {
	for _, softDelete := range []bool{false, true} {
		name := "Live"
		if softDelete {
			name = "SoftDeleted"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := b.Open(t)
			ctx := t.Context()
			tn := newTenant(t, s)
			a, other := newContact(), newContact()
			mustWrite(t, s, tn.ID, a, 0)                // 1
			otherCh := mustWrite(t, s, tn.ID, other, 0) // 2
			last := next(a)
			if softDelete {
				last = softDeleted(a)
			}
			mustWrite(t, s, tn.ID, last, 1) // 3

			erased := erasedChange(tn.ID, last)
			if err := s.EraseContact(ctx, tn.ID, a.ID, erased); err != nil {
				t.Fatalf("EraseContact: %v", err)
			}
			if erased.Seq != 4 {
				t.Errorf("erased change: got Seq %d, want 4", erased.Seq)
			}
			_, err := s.Contact(ctx, tn.ID, a.ID)
			wantCode(t, err, contactd.ENotFound, "Contact(erased contact)")
			_, err = s.ContactByEmail(ctx, tn.ID, a.Emails[0].Address)
			wantCode(t, err, contactd.ENotFound, "ContactByEmail(address of the erased contact)")

			got := changes(t, s, tn.ID, "")
			if len(got) != 2 {
				t.Fatalf("Changes after erase: got %+v, want the other contact's change and the erased change", got)
			}
			sameChange(t, got[0], *otherCh, "Changes[0] after erase")
			sameChange(t, got[1], *erased, "Changes[1] after erase")
			wantSeqs(t, s, tn.ID, a.ID, 4)
			wantStored(t, s, tn.ID, other)

			reuse := newContact(func(c *contactd.Contact) {
				c.Emails[0].Address, c.ExternalID = a.Emails[0].Address, a.ExternalID
			})
			if _, err := write(ctx, s, tn.ID, reuse, 0); err != nil {
				t.Errorf("insert with the email and external id of an erased contact: got %v, want nil", err)
			}
		})
	}

	t.Run("Unknown", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		tn := newTenant(t, s)
		mustWrite(t, s, tn.ID, newContact(), 0)
		ghost := newContact()
		wantCode(t, s.EraseContact(t.Context(), tn.ID, ghost.ID, erasedChange(tn.ID, ghost)), contactd.ENotFound, "EraseContact(unknown id)")
		wantSeqs(t, s, tn.ID, "", 1)
	})
}
