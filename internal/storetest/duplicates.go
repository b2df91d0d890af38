package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contactd/contactd"
)

var dupSeq atomic.Int64

// loner returns a new contact that shares no duplicate key with any other
// contact newContact or loner makes: its own name, numbers and emails, no
// company.
func loner(mods ...func(*contactd.Contact)) *contactd.Contact {
	n := dupSeq.Add(1)
	c := newContact(func(c *contactd.Contact) {
		c.FirstName, c.LastName, c.Company = fmt.Sprintf("Loner%d", n), fmt.Sprintf("Solo%d", n), ""
		c.DisplayName = c.FirstName + " " + c.LastName
		c.Phones = []contactd.Phone{{ID: contactd.NewID(contactd.PrefixPhone), Number: "x", E164: fmt.Sprintf("+1212555%04d", n%10000), Type: "mobile", Primary: true}}
	})
	for _, m := range mods {
		m(c)
	}
	return c
}

// sharing sets a contact's one number.
func sharing(e164 string) func(*contactd.Contact) {
	return func(c *contactd.Contact) {
		c.Phones = []contactd.Phone{{ID: contactd.NewID(contactd.PrefixPhone), Number: e164, E164: e164, Type: "mobile", Primary: true}}
	}
}

// partners returns the contacts that share a key of c's with it (not
// both weakly) through a block of at most MaxDuplicateBlock contacts,
// as the store lists the keys' members.
func partners(t *testing.T, s contactd.Store, tenantID string, c *contactd.Contact) []string {
	t.Helper()
	keys := contactd.DuplicateKeys(c)
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.Key
	}
	blocks, err := s.DuplicateMembers(t.Context(), tenantID, names)
	if err != nil {
		t.Fatalf("DuplicateMembers: %v", err)
	}
	var out []string
	for _, k := range keys {
		if len(blocks[k.Key]) > contactd.MaxDuplicateBlock {
			continue
		}
		for _, m := range blocks[k.Key] {
			if m.ID != c.ID && !(m.Weak && k.Weak) && !slices.Contains(out, m.ID) {
				out = append(out, m.ID)
			}
		}
	}
	slices.Sort(out)
	return out
}

func wantPartners(t *testing.T, s contactd.Store, tenantID string, c *contactd.Contact, want ...string) {
	t.Helper()
	got := partners(t, s, tenantID, c)
	slices.Sort(want)
	if !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Errorf("partners of %s = %v, want %v", c.ID, got, want)
	}
}

// blockKeys lists the tenant's blocks' keys.
func blockKeys(t *testing.T, s contactd.Store, tenantID string) []string {
	t.Helper()
	bs, err := s.DuplicateBlocks(t.Context(), tenantID, "", 100)
	if err != nil {
		t.Fatalf("DuplicateBlocks: %v", err)
	}
	var out []string
	for _, b := range bs {
		out = append(out, b.Key)
	}
	return out
}

func testDuplicates(t *testing.T, b Backend) {
	t.Run("a write pairs contacts that share a key, in its tenant", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		tn, other := newTenant(t, s), newTenant(t, s)
		num := fmt.Sprintf("+1646555%04d", dupSeq.Add(1)%10000)
		a, c := loner(sharing(num)), loner(sharing(num))
		mustWrite(t, s, tn.ID, a, 0)
		wantPartners(t, s, tn.ID, a)
		mustWrite(t, s, tn.ID, c, 0)
		mustWrite(t, s, other.ID, loner(sharing(num)), 0)
		wantPartners(t, s, tn.ID, a, c.ID)
		wantPartners(t, s, tn.ID, c, a.ID)
		if bs := blockKeys(t, s, tn.ID); len(bs) != 1 || !strings.HasPrefix(bs[0], "n:") {
			t.Errorf("blocks = %v, want the number's", bs)
		}
		if bs, _ := s.DuplicateBlocks(t.Context(), tn.ID, "n:", 10); len(bs) != 1 || len(bs[0].Members) != 2 {
			t.Errorf("blocks after n: = %+v, want the number's with its two contacts", bs)
		}
		if bs, _ := s.DuplicateBlocks(t.Context(), tn.ID, "n:~", 10); len(bs) != 0 {
			t.Errorf("blocks after n:~ = %+v, want none", bs)
		}
		// A new number unpairs them; a deletion keeps only the external
		// id's key.
		moved := next(c)
		sharing(fmt.Sprintf("+1646556%04d", dupSeq.Add(1)%10000))(moved)
		mustWrite(t, s, tn.ID, moved, c.Version)
		wantPartners(t, s, tn.ID, a)
		if bs := blockKeys(t, s, tn.ID); len(bs) != 0 {
			t.Errorf("blocks after the number moved: %v, want none", bs)
		}
		twin := loner(sharing(num))
		mustWrite(t, s, tn.ID, twin, 0)
		wantPartners(t, s, tn.ID, a, twin.ID)
		gone := softDeleted(twin)
		mustWrite(t, s, tn.ID, gone, twin.Version)
		wantPartners(t, s, tn.ID, a)
		again := loner(func(x *contactd.Contact) { x.ExternalID = twin.ExternalID })
		mustWrite(t, s, tn.ID, again, 0)
		wantPartners(t, s, tn.ID, again, twin.ID)
		wantPartners(t, s, tn.ID, gone, again.ID)
		got, err := s.ContactsWithKey(t.Context(), tn.ID, "x:"+twin.ExternalID, 10)
		if err != nil || len(got) != 2 {
			t.Errorf("ContactsWithKey = %d contacts, %v; want the deleted and the new", len(got), err)
		}
	})

	t.Run("bulk inserts and batches pair", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		tn := newTenant(t, s)
		num := fmt.Sprintf("+1718555%04d", dupSeq.Add(1)%10000)
		first := loner(sharing(num))
		mustWrite(t, s, tn.ID, first, 0)
		var batch []contactd.WriteContactParams
		var ids []string
		for range 3 {
			c := loner(sharing(num))
			ids = append(ids, c.ID)
			batch = append(batch, contactd.WriteContactParams{TenantID: tn.ID, Contact: c,
				Change: &contactd.Change{TenantID: tn.ID, Type: "created", ContactID: c.ID, Version: 1, Actor: "storetest", At: now()}})
		}
		if err := s.InsertContacts(t.Context(), contactd.InsertContactsParams{TenantID: tn.ID, Contacts: batch}); err != nil {
			t.Fatal(err)
		}
		wantPartners(t, s, tn.ID, first, ids...)
		wantPartners(t, s, tn.ID, batch[0].Contact, append([]string{first.ID}, ids[1:]...)...)
		c := loner(sharing(num))
		errs, err := s.WriteContacts(t.Context(), contactd.WriteContactsParams{TenantID: tn.ID, Writes: []contactd.WriteContactParams{{TenantID: tn.ID, Contact: c,
			Change: &contactd.Change{TenantID: tn.ID, Type: "created", ContactID: c.ID, Version: 1, Actor: "storetest", At: now()}}}})
		if err != nil || errs[0] != nil {
			t.Fatal(err, errs)
		}
		wantPartners(t, s, tn.ID, c, append([]string{first.ID}, ids...)...)
	})

	t.Run("a key shared by too many contacts stops pairing", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		tn := newTenant(t, s)
		num := fmt.Sprintf("+1917555%04d", dupSeq.Add(1)%10000)
		var batch []contactd.WriteContactParams
		for range contactd.MaxDuplicateBlock {
			c := loner(sharing(num))
			batch = append(batch, contactd.WriteContactParams{TenantID: tn.ID, Contact: c,
				Change: &contactd.Change{TenantID: tn.ID, Type: "created", ContactID: c.ID, Version: 1, Actor: "storetest", At: now()}})
		}
		if err := s.InsertContacts(t.Context(), contactd.InsertContactsParams{TenantID: tn.ID, Contacts: batch}); err != nil {
			t.Fatal(err)
		}
		got := partners(t, s, tn.ID, batch[0].Contact)
		if len(got) != contactd.MaxDuplicateBlock-1 {
			t.Fatalf("a block of %d: %d partners, want %d", contactd.MaxDuplicateBlock, len(got), contactd.MaxDuplicateBlock-1)
		}
		extra := loner(sharing(num))
		mustWrite(t, s, tn.ID, extra, 0)
		wantPartners(t, s, tn.ID, extra)
		wantPartners(t, s, tn.ID, batch[0].Contact)
	})

	t.Run("dismissals, erasure and indexing again", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		tn := newTenant(t, s)
		num := fmt.Sprintf("+1332555%04d", dupSeq.Add(1)%10000)
		a, c, d := loner(sharing(num)), loner(sharing(num)), loner(sharing(num))
		for _, x := range []*contactd.Contact{a, c, d} {
			mustWrite(t, s, tn.ID, x, 0)
		}
		if err := s.DismissDuplicates(t.Context(), tn.ID, []string{a.ID, c.ID}); err != nil {
			t.Fatal(err)
		}
		lo, hi := min(a.ID, c.ID), max(a.ID, c.ID)
		for _, id := range []string{a.ID, c.ID} {
			if got, err := s.Dismissals(t.Context(), tn.ID, []string{id, d.ID}); err != nil || !slices.Equal(got, []contactd.IDPair{{A: lo, B: hi}}) {
				t.Errorf("Dismissals(%s) = %v, %v; want the pair", id, got, err)
			}
		}
		if got, _ := s.Dismissals(t.Context(), tn.ID, []string{d.ID}); len(got) != 0 {
			t.Errorf("Dismissals of a contact with none: %v", got)
		}
		// A rescan writes the keys again, and the same partners come back.
		if err := s.IndexDuplicates(t.Context(), tn.ID, []string{a.ID, c.ID}, true); err != nil {
			t.Fatal(err)
		}
		wantPartners(t, s, tn.ID, a, c.ID)
		if err := s.IndexDuplicates(t.Context(), tn.ID, []string{d.ID, a.ID}, false); err != nil {
			t.Fatal(err)
		}
		wantPartners(t, s, tn.ID, a, c.ID, d.ID)
		if bs := blockKeys(t, s, tn.ID); len(bs) != 1 {
			t.Errorf("blocks after the rescan: %v, want one", bs)
		}
		wantCode(t, s.DismissDuplicates(t.Context(), tn.ID, []string{a.ID, "ct_nosuch"}), contactd.ENotFound, "dismissing an unknown contact")
		other := newTenant(t, s)
		wantCode(t, s.DismissDuplicates(t.Context(), other.ID, []string{a.ID, d.ID}), contactd.ENotFound, "dismissing another tenant's contacts")
		if err := s.EraseContact(t.Context(), tn.ID, d.ID, erasedChange(tn.ID, d)); err != nil {
			t.Fatal(err)
		}
		wantPartners(t, s, tn.ID, a, c.ID)
		if err := s.EraseContact(t.Context(), tn.ID, a.ID, erasedChange(tn.ID, a)); err != nil {
			t.Fatalf("erasing a contact with a dismissal: %v", err)
		}
	})

	t.Run("a merge is recorded with its writes and undone", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		tn := newTenant(t, s)
		target, src := loner(), loner()
		mustWrite(t, s, tn.ID, target, 0)
		mustWrite(t, s, tn.ID, src, 0)
		sg := mustCreateSegment(t, s, newSegment(tn.ID, "merged in", contactd.SegmentStatic, ""))
		if _, err := s.AddSegmentMembers(t.Context(), contactd.SegmentMembersParams{TenantID: tn.ID, SegmentID: sg.ID, ContactIDs: []string{src.ID}}); err != nil {
			t.Fatal(err)
		}
		_, err := s.LastMerge(t.Context(), tn.ID, target.ID)
		wantCode(t, err, contactd.ENotFound, "LastMerge before any")
		gone := softDeleted(src)
		gone.MergedInto = target.ID
		after := next(target)
		rec := &contactd.Merge{ID: contactd.NewID(contactd.PrefixMerge), TargetID: target.ID, SourceIDs: []string{src.ID}, Before: target, After: after,
			SourceVersions: map[string]int64{src.ID: gone.Version}, Provenance: map[string]any{"firstName": target.ID}, Actor: "storetest", At: now()}
		change := func(c *contactd.Contact) *contactd.Change {
			return &contactd.Change{TenantID: tn.ID, Type: "merged", ContactID: c.ID, Version: c.Version, Actor: "storetest", At: now()}
		}
		errs, err := s.WriteContacts(t.Context(), contactd.WriteContactsParams{TenantID: tn.ID, Atomic: true, Writes: []contactd.WriteContactParams{
			{TenantID: tn.ID, Contact: gone, PrevVersion: src.Version, Change: change(gone)},
			{TenantID: tn.ID, Contact: after, PrevVersion: target.Version, Change: change(after)},
		}, Merge: &contactd.MergeWrite{Merge: rec, Join: []string{sg.ID}}})
		if err != nil || slices.ContainsFunc(errs, func(e error) bool { return e != nil }) {
			t.Fatal(err, errs)
		}
		got, err := s.LastMerge(t.Context(), tn.ID, target.ID)
		if err != nil || got.ID != rec.ID || got.Before.ID != target.ID || got.SourceVersions[src.ID] != gone.Version {
			t.Fatalf("LastMerge = %+v, %v", got, err)
		}
		if segs, _ := s.SegmentsOfContact(t.Context(), tn.ID, target.ID); len(segs) != 1 {
			t.Errorf("the survivor's segments: %v, want the source's", segs)
		}
		// A merge whose write is refused records nothing.
		stale := &contactd.Merge{ID: contactd.NewID(contactd.PrefixMerge), TargetID: target.ID, At: now(), Before: target, After: after}
		errs, err = s.WriteContacts(t.Context(), contactd.WriteContactsParams{TenantID: tn.ID, Atomic: true, Writes: []contactd.WriteContactParams{
			{TenantID: tn.ID, Contact: next(after), PrevVersion: target.Version, Change: change(after)},
		}, Merge: &contactd.MergeWrite{Merge: stale}})
		if err != nil || contactd.ErrorCodeOf(errs[0]) != contactd.EPreconditionFailed {
			t.Fatalf("a stale merge: %v %v", err, errs)
		}
		if got, _ := s.LastMerge(t.Context(), tn.ID, target.ID); got == nil || got.ID != rec.ID {
			t.Errorf("a refused merge was recorded: %+v", got)
		}
		at := now()
		rec.UndoneAt = &at
		back := next(after)
		errs, err = s.WriteContacts(t.Context(), contactd.WriteContactsParams{TenantID: tn.ID, Atomic: true, Writes: []contactd.WriteContactParams{
			{TenantID: tn.ID, Contact: back, PrevVersion: after.Version, Change: change(back)},
		}, Merge: &contactd.MergeWrite{Merge: rec, Leave: []string{sg.ID}}})
		if err != nil || errs[0] != nil {
			t.Fatal(err, errs)
		}
		_, err = s.LastMerge(t.Context(), tn.ID, target.ID)
		wantCode(t, err, contactd.ENotFound, "LastMerge after the undo")
		if segs, _ := s.SegmentsOfContact(t.Context(), tn.ID, target.ID); len(segs) != 0 {
			t.Errorf("the survivor's segments after the undo: %v, want none", segs)
		}
	})

	t.Run("one rescan runs at a time", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		tn := newTenant(t, s)
		_, err := s.LastRescan(t.Context(), tn.ID)
		wantCode(t, err, contactd.ENotFound, "LastRescan before any")
		at := now()
		r := &contactd.Rescan{TenantID: tn.ID, Status: contactd.RescanRunning, StartedAt: at, StartedBy: "storetest", UpdatedAt: at}
		if err := s.StartRescan(t.Context(), r, at.Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.StartRescan(t.Context(), r, at.Add(-time.Minute)), contactd.EConflict, "a second rescan while one runs")
		r.Scanned = 500
		if err := s.SaveRescan(t.Context(), r); err != nil {
			t.Fatal(err)
		}
		got, err := s.LastRescan(t.Context(), tn.ID)
		if err != nil || got.Scanned != 500 || got.Status != contactd.RescanRunning || !got.StartedAt.Equal(at) {
			t.Fatalf("LastRescan = %+v, %v", got, err)
		}
		// A running one that saved nothing since staleBefore is taken over.
		fresh := &contactd.Rescan{TenantID: tn.ID, Status: contactd.RescanRunning, StartedAt: now(), UpdatedAt: now()}
		if err := s.StartRescan(t.Context(), fresh, at.Add(time.Minute)); err != nil {
			t.Fatalf("taking over a stale rescan: %v", err)
		}
		done := now()
		fresh.Status, fresh.FinishedAt = contactd.RescanSucceeded, &done
		if err := s.SaveRescan(t.Context(), fresh); err != nil {
			t.Fatal(err)
		}
		if err := s.StartRescan(t.Context(), &contactd.Rescan{TenantID: tn.ID, Status: contactd.RescanRunning, StartedAt: now(), UpdatedAt: now()}, at.Add(-time.Hour)); err != nil {
			t.Fatalf("a rescan after one ended: %v", err)
		}
		if other, err := s.LastRescan(t.Context(), newTenant(t, s).ID); err == nil {
			t.Errorf("another tenant's rescan: %+v", other)
		}
	})
}
