package storetest

import (
	"slices"
	"sync"
	"testing"

	"github.com/contactd/contactd"
)

// race runs f(0), …, f(n-1) in n goroutines released together, and returns
// their errors by index.
func race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// tally counts errors by code ("" for success) and reports an error for
// any error whose code is not in allowed.
func tally(t *testing.T, errs []error, allowed ...contactd.ErrorCode) map[contactd.ErrorCode]int {
	t.Helper()
	out := map[contactd.ErrorCode]int{}
	for i, err := range errs {
		code := contactd.ErrorCodeOf(err)
		if code != "" && !slices.Contains(allowed, code) {
			t.Errorf("writer %d: got error %v (code %q), want success or one of %q", i, err, code, allowed)
		}
		out[code]++
	}
	return out
}

func testConcurrency(t *testing.T, b Backend) {
	t.Run("SameEmail", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		tn := newTenant(t, s)
		const n = 20
		shared := "shared@example.com"
		contacts := make([]*contactd.Contact, n)
		for i := range contacts {
			contacts[i] = newContact(func(c *contactd.Contact) { c.Emails[0].Address = shared })
		}
		errs := race(n, func(i int) error {
			_, err := write(t.Context(), s, tn.ID, contacts[i], 0)
			return err
		})
		counts := tally(t, errs, contactd.EConflict)
		if counts[""] != 1 || counts[contactd.EConflict] != n-1 {
			t.Fatalf("%d concurrent inserts with one email: got %d successes and %d conflicts, want 1 and %d", n, counts[""], counts[contactd.EConflict], n-1)
		}
		winner := contacts[slices.IndexFunc(errs, func(err error) bool { return err == nil })]
		got, err := s.ContactByEmail(t.Context(), tn.ID, shared)
		if err != nil {
			t.Fatalf("ContactByEmail(shared): %v", err)
		}
		sameContact(t, got, winner, "ContactByEmail(shared)")
		for i, err := range errs {
			if err != nil {
				wantConflict(t, err, winner.ID, "email", "losing insert")
				if _, err := s.Contact(t.Context(), tn.ID, contacts[i].ID); contactd.ErrorCodeOf(err) != contactd.ENotFound {
					t.Errorf("Contact(losing insert %d): got error %v, want code %q", i, err, contactd.ENotFound)
				}
			}
		}
		wantSeqs(t, s, tn.ID, "", 1)
	})

	t.Run("SamePrevVersion", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		tn := newTenant(t, s)
		c := newContact()
		mustWrite(t, s, tn.ID, c, 0)
		const n = 10
		updates := make([]*contactd.Contact, n)
		for i := range updates {
			updates[i] = next(c)
			updates[i].Tags = []string{"writer", string(rune('a' + i))}
		}
		errs := race(n, func(i int) error {
			_, err := write(t.Context(), s, tn.ID, updates[i], 1)
			return err
		})
		counts := tally(t, errs, contactd.EPreconditionFailed)
		if counts[""] != 1 || counts[contactd.EPreconditionFailed] != n-1 {
			t.Fatalf("%d concurrent updates from version 1: got %d successes and %d precondition failures, want 1 and %d", n, counts[""], counts[contactd.EPreconditionFailed], n-1)
		}
		wantStored(t, s, tn.ID, updates[slices.IndexFunc(errs, func(err error) bool { return err == nil })])
		wantSeqs(t, s, tn.ID, "", 1, 2)
	})

	t.Run("GapFreeSeqs", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		tn := newTenant(t, s)
		const writers, perWriter = 8, 10
		assigned := make([][]int64, writers)
		errs := race(writers, func(i int) error {
			for range perWriter {
				ch, err := write(t.Context(), s, tn.ID, newContact(), 0)
				if err != nil {
					return err
				}
				assigned[i] = append(assigned[i], ch.Seq)
			}
			return nil
		})
		tally(t, errs)
		want := make([]int64, writers*perWriter)
		for i := range want {
			want[i] = int64(i + 1)
		}
		wantSeqs(t, s, tn.ID, "", want...)
		got := slices.Concat(assigned...)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("Change.Seq assigned to %d concurrent writes: got %v, want 1..%d each once", len(want), got, len(want))
		}
	})
}
