package contactd_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/storetest"
)

// The races of references: a contact write against the delete of the
// account it names, and against the rename or delete of a tag it carries.
// Each runs many times with writers in parallel, on every store; whatever
// the interleaving, no contact may be left naming a deleted account or
// carrying a tag the registry spells otherwise (or lacks).

// raceRounds is how many times each race runs, raceWriters how many
// contact writers run against each delete or rename.
const (
	raceRounds  = 25
	raceWriters = 4
)

// raceEnv is a Service over a store of its own, with one tenant.
type raceEnv struct {
	svc   *contactd.Service
	store contactd.Store
	p     contactd.Principal
}

func newRaceEnv(t *testing.T, b storetest.Backend) *raceEnv {
	st := b.Open(t)
	svc := contactd.NewService(st, nil)
	p, _ := benchTenant(t, svc)
	return &raceEnv{svc: svc, store: st, p: p}
}

// parallel runs fs at once and waits for them.
func parallel(fs ...func()) {
	var wg sync.WaitGroup
	for _, f := range fs {
		wg.Go(f)
	}
	wg.Wait()
}

// allContacts returns every contact of the tenant, deleted ones included.
func (e *raceEnv) allContacts(t *testing.T) []*contactd.Contact {
	t.Helper()
	var out []*contactd.Contact
	r := contactd.ContactListRequest{ListParams: contactd.ListParams{Limit: contactd.MaxLimit, NoCount: true}, IncludeDeleted: true}
	for {
		page, err := e.svc.ListContacts(t.Context(), e.p, r)
		if err != nil {
			t.Fatalf("ListContacts: %v", err)
		}
		out = append(out, page.Data...)
		if page.NextCursor == nil {
			return out
		}
		r.Cursor = *page.NextCursor
	}
}

// allowed reports the errors a write may lose a race with: the reference
// it names is gone (a 400 naming accountId), or the contact it changes is.
func allowed(err error) bool {
	switch contactd.ErrorCodeOf(err) {
	case "", contactd.EInvalid, contactd.ENotFound:
		return true
	}
	return false
}

func TestRaceAccountDeleteAgainstContactWrites(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newRaceEnv(t, b)
		ctx := t.Context()
		for round := range raceRounds {
			acc, err := e.svc.CreateAccount(ctx, e.p, &contactd.AccountInput{Name: fmt.Sprintf("Acme %d", round)})
			if err != nil {
				t.Fatal(err)
			}
			// A contact to move onto the account while it is being deleted.
			mover, err := e.svc.CreateContact(ctx, e.p, &contactd.ContactInput{Name: fmt.Sprintf("Mover %d", round)})
			if err != nil {
				t.Fatal(err)
			}
			writers := []func(){func() {
				err := e.svc.DeleteAccount(ctx, e.p, acc.ID, contactd.Precondition{}, true)
				if err != nil {
					t.Errorf("round %d: DeleteAccount: %v", round, err)
				}
			}}
			for w := range raceWriters {
				writers = append(writers, func() {
					var err error
					if w == 0 {
						patch := fmt.Sprintf(`{"accountId":%q}`, acc.ID)
						_, err = e.svc.PatchContact(ctx, e.p, contactd.Selector{ID: mover.ID}, []byte(patch), contactd.Precondition{})
					} else {
						_, err = e.svc.CreateContact(ctx, e.p, &contactd.ContactInput{Name: fmt.Sprintf("Writer %d.%d", round, w), AccountID: acc.ID})
					}
					if !allowed(err) {
						t.Errorf("round %d: contact write: %v", round, err)
					}
				})
			}
			parallel(writers...)
		}
		for _, c := range e.allContacts(t) {
			if c.AccountID == "" {
				continue
			}
			if _, err := e.store.Account(ctx, e.p.TenantID, c.AccountID); err != nil {
				t.Errorf("contact %s names account %s, which is gone: %v", c.ID, c.AccountID, err)
			}
		}
	})
}

func TestRaceTagRenameAgainstContactWrites(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newRaceEnv(t, b)
		ctx := t.Context()
		tag, err := e.svc.CreateTag(ctx, e.p, &contactd.TagInput{Name: ptr("Vip")})
		if err != nil {
			t.Fatal(err)
		}
		mover, err := e.svc.CreateContact(ctx, e.p, &contactd.ContactInput{Name: "Mover"})
		if err != nil {
			t.Fatal(err)
		}
		for round := range raceRounds {
			// Each round gives the tag a new spelling while contacts are
			// written with it in another.
			name := []string{"VIP", "vip", "Vip", "vIp"}[round%4]
			writers := []func(){func() {
				if _, err := e.svc.UpdateTag(ctx, e.p, tag.ID, &contactd.TagInput{Name: &name}); err != nil {
					t.Errorf("round %d: UpdateTag: %v", round, err)
				}
			}}
			for w := range raceWriters {
				writers = append(writers, func() {
					var err error
					if w == 0 {
						patch := fmt.Sprintf(`{"tags":["vIP","r%d"]}`, round)
						_, err = e.svc.PatchContact(ctx, e.p, contactd.Selector{ID: mover.ID}, []byte(patch), contactd.Precondition{})
					} else {
						_, err = e.svc.CreateContact(ctx, e.p, &contactd.ContactInput{Name: fmt.Sprintf("Writer %d.%d", round, w), Tags: []string{"viP", fmt.Sprintf("w%d", w)}})
					}
					if err != nil {
						t.Errorf("round %d: contact write: %v", round, err)
					}
				})
			}
			parallel(writers...)
		}
		checkTags(t, e)
	})
}

func TestRaceTagDeleteAgainstContactWrites(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newRaceEnv(t, b)
		ctx := t.Context()
		for round := range raceRounds {
			name := fmt.Sprintf("Temp%d", round)
			tag, err := e.svc.CreateTag(ctx, e.p, &contactd.TagInput{Name: &name})
			if err != nil {
				t.Fatal(err)
			}
			tagged, err := e.svc.CreateContact(ctx, e.p, &contactd.ContactInput{Name: "Tagged " + name, Tags: []string{name}})
			if err != nil {
				t.Fatal(err)
			}
			writers := []func(){func() {
				if err := e.svc.DeleteTag(ctx, e.p, tag.ID); err != nil {
					t.Errorf("round %d: DeleteTag: %v", round, err)
				}
			}}
			for w := range raceWriters {
				writers = append(writers, func() {
					var err error
					if w == 0 {
						_, err = e.svc.PatchContact(ctx, e.p, contactd.Selector{ID: tagged.ID}, []byte(`{"jobTitle":"Writer"}`), contactd.Precondition{})
					} else {
						_, err = e.svc.CreateContact(ctx, e.p, &contactd.ContactInput{Name: fmt.Sprintf("Writer %d.%d", round, w), Tags: []string{name}})
					}
					if err != nil {
						t.Errorf("round %d: contact write: %v", round, err)
					}
				})
			}
			parallel(writers...)
		}
		checkTags(t, e)
	})
}

// checkTags fails for every tag a contact carries that the registry lacks
// or spells otherwise.
func checkTags(t *testing.T, e *raceEnv) {
	t.Helper()
	for _, c := range e.allContacts(t) {
		if len(c.Tags) == 0 {
			continue
		}
		names, err := e.store.TagNames(context.Background(), e.p.TenantID, contactd.TagKeys(c.Tags))
		if err != nil {
			t.Fatal(err)
		}
		for _, tag := range c.Tags {
			if got, ok := names[contactd.TagKey(tag)]; !ok || got != tag {
				t.Errorf("contact %s carries tag %q; the registry has %q (present: %t)", c.ID, tag, got, ok)
			}
		}
	}
}

func ptr[T any](v T) *T { return &v }

// TestRaceBatchAgainstPatches: a batch that updates contacts while single
// requests patch them loses the race for some and prepares those again:
// every operation ends updated, and each contact has both changes, with
// one version per write.
func TestRaceBatchAgainstPatches(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newRaceEnv(t, b)
		ctx := t.Context()
		var ids []string
		for i := range 20 {
			c, err := e.svc.CreateContact(ctx, e.p, &contactd.ContactInput{Name: fmt.Sprintf("Raced %d", i)})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		for round := range raceRounds / 5 {
			var ops []contactd.BatchOp
			for _, id := range ids {
				ops = append(ops, contactd.BatchOp{Op: contactd.OpUpdate, Key: contactd.Selector{ID: id},
					Patch: map[string]any{"jobTitle": fmt.Sprintf("batch %d", round)}})
			}
			writers := []func(){func() {
				rs, err := e.svc.Batch(ctx, e.p, ops, round%2 == 1)
				if err != nil {
					t.Errorf("round %d: Batch: %v", round, err)
					return
				}
				for _, r := range rs {
					if r.Status != "updated" {
						t.Errorf("round %d: operation %d: %s %v", round, r.Index, r.Status, r.Err)
					}
				}
			}}
			for w := range raceWriters {
				writers = append(writers, func() {
					for k := w; k < len(ids); k += raceWriters {
						patch := fmt.Sprintf(`{"department":"patch %d"}`, round)
						if _, err := e.svc.PatchContact(ctx, e.p, contactd.Selector{ID: ids[k]}, []byte(patch), contactd.Precondition{}); err != nil {
							t.Errorf("round %d: PatchContact: %v", round, err)
						}
					}
				})
			}
			parallel(writers...)
			for _, id := range ids {
				c, err := e.svc.Contact(ctx, e.p, contactd.Selector{ID: id}, contactd.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if c.JobTitle != fmt.Sprintf("batch %d", round) || c.Department != fmt.Sprintf("patch %d", round) {
					t.Errorf("round %d: %s has %q and %q: a write was lost", round, id, c.JobTitle, c.Department)
				}
				if want := int64(1 + 2*(round+1)); c.Version != want {
					t.Errorf("round %d: %s at version %d, want %d", round, id, c.Version, want)
				}
			}
		}
	})
}

// TestRaceExtensionClaims: writers claim one extension on one PBX at once
// (creates, and a patch of an existing contact); whatever the
// interleaving, exactly one holds it, the others get a conflict naming the
// extension, and lookup finds the holder. The fully qualified extension
// is raced the same way across PBXs.
func TestRaceExtensionClaims(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newRaceEnv(t, b)
		ctx := t.Context()
		pbx := &contactd.DirectoryRef{ID: "pbx-race"}
		for round := range raceRounds {
			code := fmt.Sprintf("%d", 7000+round)
			fq := fmt.Sprintf("99%d", 7000+round)
			existing, err := e.svc.CreateContact(ctx, e.p, &contactd.ContactInput{FirstName: "Existing", ContactType: "corporate", PBX: pbx})
			if err != nil {
				t.Fatal(err)
			}
			errs := make([]error, raceWriters+1)
			var fs []func()
			for w := range raceWriters {
				fs = append(fs, func() {
					// Half the writers claim the extension on the PBX,
					// half the fully qualified one on PBXs of their own.
					in := &contactd.ContactInput{FirstName: fmt.Sprintf("Writer %d", w), ContactType: "corporate", PBX: pbx,
						Extensions: []contactd.Extension{{Extension: code}}}
					if w%2 == 1 {
						in.PBX = &contactd.DirectoryRef{ID: fmt.Sprintf("own-%d", w)}
						in.Extensions[0].FQExtension = fq
					}
					_, errs[w] = e.svc.CreateContact(ctx, e.p, in)
				})
			}
			fs = append(fs, func() {
				_, errs[raceWriters] = e.svc.PatchContact(ctx, e.p, contactd.Selector{ID: existing.ID},
					[]byte(`{"extensions":[{"extension":"`+code+`"}]}`), contactd.Precondition{})
			})
			parallel(fs...)
			won := 0
			for i, err := range errs {
				var de *contactd.Error
				switch {
				case err == nil:
					won++
				case errors.As(err, &de) && de.Code == contactd.EConflict && (de.ConflictingField == "extension" || de.ConflictingField == "fqExtension") && de.ConflictingID != "":
				default:
					t.Fatalf("round %d: writer %d: %v", round, i, err)
				}
			}
			// On the race's PBX one claim wins; the writers on their own
			// PBXs race for the fully qualified extension alone.
			onPBX, err := e.svc.Lookup(ctx, e.p, contactd.LookupQuery{Extension: code, PBX: pbx.ID, PBXSent: true})
			if err != nil {
				t.Fatal(err)
			}
			byFQ, err := e.svc.Lookup(ctx, e.p, contactd.LookupQuery{Phone: fq})
			if err != nil {
				t.Fatal(err)
			}
			if len(onPBX.Data) != 1 || len(byFQ.Data) != 1 || won != 2 {
				t.Fatalf("round %d: %d writes won, extension held by %d, fully qualified by %d; want 2, 1, 1", round, won, len(onPBX.Data), len(byFQ.Data))
			}
		}
	})
}
