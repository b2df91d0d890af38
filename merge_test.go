package contactd_test

import (
	"fmt"
	"testing"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/storetest"
)

func (e *raceEnv) create(t *testing.T, doc string) *contactd.Contact {
	t.Helper()
	in, err := contactd.DecodeContactInput([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.svc.CreateContact(t.Context(), e.p, in)
	if err != nil {
		t.Fatalf("CreateContact(%s): %v", doc, err)
	}
	return c
}

func (e *raceEnv) read(t *testing.T, id string) *contactd.Contact {
	t.Helper()
	c, err := e.store.Contact(t.Context(), e.p.TenantID, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestRaceMergesClaimingOneSource: two merges take the same source into
// two targets at once. One wins; the other is refused and writes nothing.
func TestRaceMergesClaimingOneSource(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newRaceEnv(t, b)
		for round := range raceRounds {
			num := fmt.Sprintf(`"+1415666%04d"`, round)
			src := e.create(t, `{"firstName":"Src","phone":`+num+`}`)
			t1 := e.create(t, `{"firstName":"One","phone":`+num+`}`)
			t2 := e.create(t, `{"firstName":"Two","phone":`+num+`}`)
			errs := make([]error, 2)
			parallel(func() {
				_, errs[0] = e.svc.MergeContacts(t.Context(), e.p, &contactd.MergeInput{TargetID: t1.ID, SourceIDs: []string{src.ID}})
			}, func() {
				_, errs[1] = e.svc.MergeContacts(t.Context(), e.p, &contactd.MergeInput{TargetID: t2.ID, SourceIDs: []string{src.ID}})
			})
			if (errs[0] == nil) == (errs[1] == nil) {
				t.Fatalf("round %d: both or neither merge succeeded: %v, %v", round, errs[0], errs[1])
			}
			winner, loser, lerr := t1, t2, errs[1]
			if errs[1] == nil {
				winner, loser, lerr = t2, t1, errs[0]
			}
			if contactd.ErrorCodeOf(lerr) != contactd.ENotFound {
				t.Errorf("round %d: the losing merge: %v, want ENotFound (the source is gone)", round, lerr)
			}
			if s := e.read(t, src.ID); s.MergedInto != winner.ID || s.Live() {
				t.Errorf("round %d: source mergedInto %q (live %v), want %s", round, s.MergedInto, s.Live(), winner.ID)
			}
			if l := e.read(t, loser.ID); l.Version != 1 {
				t.Errorf("round %d: the losing target was written: version %d", round, l.Version)
			}
			if w := e.read(t, winner.ID); w.Version != 2 {
				t.Errorf("round %d: the winner is at version %d, want 2", round, w.Version)
			}
		}
	})
}

// TestRaceMergeAgainstEdits: a merge runs while the source and the target
// are edited. An edit of the source lands before the merge (and the
// survivor has it) or is refused after it; an edit of the target is kept
// whatever the order.
func TestRaceMergeAgainstEdits(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newRaceEnv(t, b)
		for round := range raceRounds {
			num := fmt.Sprintf(`"+1415777%04d"`, round)
			src := e.create(t, `{"firstName":"Src","phone":`+num+`}`)
			tgt := e.create(t, `{"firstName":"Tgt","phone":`+num+`}`)
			var mergeErr, srcErr, tgtErr error
			parallel(func() {
				_, mergeErr = e.svc.MergeContacts(t.Context(), e.p, &contactd.MergeInput{TargetID: tgt.ID, SourceIDs: []string{src.ID}})
			}, func() {
				_, srcErr = e.svc.PatchContact(t.Context(), e.p, contactd.Selector{ID: src.ID}, []byte(`{"jobTitle":"Edited"}`), contactd.Precondition{})
			}, func() {
				_, tgtErr = e.svc.PatchContact(t.Context(), e.p, contactd.Selector{ID: tgt.ID}, []byte(`{"department":"Sales"}`), contactd.Precondition{})
			})
			if mergeErr != nil || tgtErr != nil {
				t.Fatalf("round %d: merge %v, target edit %v", round, mergeErr, tgtErr)
			}
			sv := e.read(t, tgt.ID)
			if sv.Department != "Sales" {
				t.Errorf("round %d: the target's edit was lost: %+v", round, sv)
			}
			switch {
			case srcErr == nil && sv.JobTitle != "Edited":
				t.Errorf("round %d: the source's edit succeeded but the survivor lacks it", round)
			case srcErr != nil && contactd.ErrorCodeOf(srcErr) != contactd.ENotFound:
				t.Errorf("round %d: the source's edit: %v", round, srcErr)
			}
			if s := e.read(t, src.ID); s.MergedInto != tgt.ID {
				t.Errorf("round %d: source not merged: %+v", round, s)
			}
		}
	})
}
