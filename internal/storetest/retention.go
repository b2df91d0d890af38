package storetest

import (
	"testing"
	"time"

	"github.com/contactd/contactd"
)

// writeAt writes a new contact to a tenant with a "created" change made at
// the given time, and returns the change.
func writeAt(t *testing.T, s contactd.Store, tenantID string, at time.Time) *contactd.Change {
	t.Helper()
	c := newContact()
	ch := &contactd.Change{TenantID: tenantID, Type: "created", ContactID: c.ID, Version: 1, Actor: "storetest", At: at}
	if err := s.WriteContact(t.Context(), contactd.WriteContactParams{TenantID: tenantID, Contact: c, Change: ch}); err != nil {
		t.Fatalf("WriteContact: %v", err)
	}
	return ch
}

func wantHorizon(t *testing.T, s contactd.Store, tenantID string, want contactd.ChangeHorizon) {
	t.Helper()
	got, err := s.ChangeHorizon(t.Context(), tenantID)
	if err != nil || got != want {
		t.Errorf("ChangeHorizon: got %+v, %v; want %+v", got, err, want)
	}
}

// testChangeRetention checks PruneChanges and ChangeHorizon: the oldest
// changes go, in order, a bounded number at a time, never past a newer
// one, and the horizon records how far; other tenants keep theirs.
func testChangeRetention(t *testing.T, b Backend) {
	s := b.Open(t)
	ctx := t.Context()
	tn, other := newTenant(t, s), newTenant(t, s)
	wantHorizon(t, s, tn.ID, contactd.ChangeHorizon{})
	// A subscription made before the changes, disabled for now (see below).
	hook := newWebhook(tn.ID)
	hook.Enabled = false
	if err := s.CreateWebhook(ctx, hook); err != nil {
		t.Fatal(err)
	}
	base := now().Add(-100 * 24 * time.Hour)
	day := func(n int) time.Time { return base.Add(time.Duration(n) * 24 * time.Hour) }
	// Seqs 1..5 on days 0..4, then 6 on day 10 (a clock that went back
	// would put an older change after it: seq 7 on day 3), 8 on day 11.
	for i := range 5 {
		writeAt(t, s, tn.ID, day(i))
	}
	writeAt(t, s, tn.ID, day(10))
	writeAt(t, s, tn.ID, day(3))
	writeAt(t, s, tn.ID, day(11))
	writeAt(t, s, other.ID, day(0))
	wantHorizon(t, s, tn.ID, contactd.ChangeHorizon{Last: 8})

	prune := func(before time.Time, max, want int) {
		t.Helper()
		n, err := s.PruneChanges(ctx, tn.ID, before, max)
		if err != nil || n != want {
			t.Errorf("PruneChanges(before %s, max %d): got %d, %v; want %d", before.Format(time.DateOnly), max, n, err, want)
		}
	}
	prune(day(0), 10, 0) // nothing is older than day 0
	wantHorizon(t, s, tn.ID, contactd.ChangeHorizon{Last: 8})
	prune(day(3), 2, 2) // at most 2: seqs 1, 2
	wantSeqs(t, s, tn.ID, "", 3, 4, 5, 6, 7, 8)
	wantHorizon(t, s, tn.ID, contactd.ChangeHorizon{Pruned: 2, Last: 8})
	prune(day(3), 10, 1) // seq 3 (day 2); seq 4 is of day 3
	wantHorizon(t, s, tn.ID, contactd.ChangeHorizon{Pruned: 3, Last: 8})
	// Before day 5: seqs 4 and 5, not seq 7 (day 3), which follows seq 6
	// (day 10): the log loses a prefix, never a change in its middle.
	prune(day(5), 10, 2)
	wantSeqs(t, s, tn.ID, "", 6, 7, 8)
	wantHorizon(t, s, tn.ID, contactd.ChangeHorizon{Pruned: 5, Last: 8})
	prune(day(11), 10, 2) // seqs 6 and 7; seq 8 is of day 11
	wantSeqs(t, s, tn.ID, "", 8)
	wantHorizon(t, s, tn.ID, contactd.ChangeHorizon{Pruned: 7, Last: 8})
	prune(day(11), 10, 0)
	// An enabled subscription that has handled changes up to 7 only
	// holds change 8; a disabled one holds nothing.
	hook.Enabled = true
	if err := s.UpdateWebhook(ctx, hook); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimWebhooks(ctx, "storetest", now(), time.Minute, 100); err != nil {
		t.Fatal(err)
	}
	hook.Cursor = 7
	if err := s.SaveDeliveries(ctx, "storetest", hook, nil, true); err != nil {
		t.Fatal(err)
	}
	prune(now().Add(time.Hour), 10, 0)
	wantSeqs(t, s, tn.ID, "", 8)
	hook.Enabled = false
	if err := s.UpdateWebhook(ctx, hook); err != nil {
		t.Fatal(err)
	}
	prune(now().Add(time.Hour), 10, 1) // everything
	wantSeqs(t, s, tn.ID, "")
	wantHorizon(t, s, tn.ID, contactd.ChangeHorizon{Pruned: 8, Last: 8})
	prune(now().Add(time.Hour), 10, 0)

	// Numbering goes on from the last change, pruned or not.
	if ch := writeAt(t, s, tn.ID, now()); ch.Seq != 9 {
		t.Errorf("the write after pruning got seq %d, want 9", ch.Seq)
	}
	wantSeqs(t, s, tn.ID, "", 9)
	wantHorizon(t, s, tn.ID, contactd.ChangeHorizon{Pruned: 8, Last: 9})

	// The other tenant kept its change.
	wantSeqs(t, s, other.ID, "", 1)
	wantHorizon(t, s, other.ID, contactd.ChangeHorizon{Last: 1})

	if _, err := s.ChangeHorizon(ctx, "tn_nobody"); contactd.ErrorCodeOf(err) != contactd.ENotFound {
		t.Errorf("ChangeHorizon of no tenant: %v, want not_found", err)
	}

	// The retention setting is stored with the tenant, 30 days unless set.
	if got, err := s.Tenant(ctx, tn.ID); err != nil || got.ChangeRetentionDays != contactd.DefaultChangeRetentionDays {
		t.Errorf("a new tenant's retention: %+v, %v", got, err)
	}
	tn.ChangeRetentionDays = 7
	if err := s.UpdateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	all, err := s.Tenants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, x := range all {
		seen[x.ID] = x.ChangeRetentionDays
	}
	if seen[tn.ID] != 7 || seen[other.ID] != contactd.DefaultChangeRetentionDays || len(all) != 2 {
		t.Errorf("Tenants: %v, want %s with 7 days and %s with 30", seen, tn.ID, other.ID)
	}
}

// testChangeSignal checks that a write of a tenant's changes closes the
// signal taken before it, and only that tenant's.
func testChangeSignal(t *testing.T, b Backend) {
	s := b.Open(t)
	tn, other := newTenant(t, s), newTenant(t, s)
	sig, stop := s.ChangeSignal(tn.ID)
	defer stop()
	otherSig, stopOther := s.ChangeSignal(other.ID)
	defer stopOther()
	writeAt(t, s, tn.ID, now())
	select {
	case <-sig:
	case <-time.After(10 * time.Second):
		t.Fatal("the tenant's write did not wake its waiter")
	}
	select {
	case <-otherSig:
		t.Error("a write of another tenant woke this tenant's waiter")
	case <-time.After(200 * time.Millisecond):
	}
	// A signal taken after the write waits for the next one.
	again, stopAgain := s.ChangeSignal(tn.ID)
	defer stopAgain()
	select {
	case <-again:
		t.Error("a signal taken after the write was already closed")
	case <-time.After(200 * time.Millisecond):
	}
	writeAt(t, s, tn.ID, now())
	select {
	case <-again:
	case <-time.After(10 * time.Second):
		t.Fatal("the second write did not wake the waiter")
	}
}
