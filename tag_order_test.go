package contactd_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/storetest"
)

// TestTagOrderedLists: a list that requires a tag is read from the tag's
// rows, which carry their contact's liveness and last change (see sqlq's
// tagOrdered). After every kind of write that moves a contact — update,
// soft delete, restore, erasure, tag rename and deletion, account deletion
// — those lists and their totals must be what the plain plan gives for the
// same question asked another way ({"$in":[tag]}), page by page.
func TestTagOrderedLists(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newRaceEnv(t, b)
		ctx := t.Context()
		acc, err := e.svc.CreateAccount(ctx, e.p, &contactd.AccountInput{Name: "Acme"})
		if err != nil {
			t.Fatal(err)
		}
		tagA, err := e.svc.CreateTag(ctx, e.p, &contactd.TagInput{Name: ptr("Alpha")})
		if err != nil {
			t.Fatal(err)
		}
		tagC, err := e.svc.CreateTag(ctx, e.p, &contactd.TagInput{Name: ptr("Gamma")})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for i := range 40 {
			in := &contactd.ContactInput{Name: fmt.Sprintf("Person %02d", i), Status: []string{"lead", "customer"}[i%2]}
			for j, tag := range []string{"Alpha", "beta", "Gamma"} {
				if (i>>j)&1 == 1 || i%7 == 0 {
					in.Tags = append(in.Tags, tag)
				}
			}
			if i%3 == 0 {
				in.AccountID = acc.ID
			}
			c, err := e.svc.CreateContact(ctx, e.p, in)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		lists := func(stage string) {
			t.Helper()
			for _, tag := range []string{"alpha", "BETA", "gamma", "delta", "Alpha2"} {
				// Each spelling that reads the tag's index, and one that
				// does not ($or), of the same question.
				for _, shape := range []struct {
					ordered []string
					plain   string
				}{
					{[]string{`{"tags":%q}`, `{"tags":{"$in":[%q]}}`, `{"tags":{"$all":[%q]}}`}, `{"$or":[{"tags":%q},{"tags":"no such tag"}]}`},
					{[]string{`{"tags":%q,"status":"lead"}`, `{"status":"lead","tags":{"$in":[%q]}}`}, `{"$or":[{"tags":%q},{"tags":"no such tag"}],"status":"lead"}`},
					{[]string{`{"$and":[{"status":{"$ne":"x"}},{"tags":%q},{"tags":{"$ne":"beta"}}]}`}, `{"$and":[{"status":{"$ne":"x"}},{"$or":[{"tags":%q},{"tags":"no such tag"}]},{"tags":{"$ne":"beta"}}]}`},
				} {
					for _, sort := range []string{"-updatedAt", "updatedAt", "", "displayName"} {
						want, wantTotal := e.walk(t, fmt.Sprintf(shape.plain, tag), sort)
						for _, ordered := range shape.ordered {
							got, gotTotal := e.walk(t, fmt.Sprintf(ordered, tag), sort)
							if !slices.Equal(got, want) || gotTotal != wantTotal {
								t.Errorf("%s: tag %s, filter %s, sort %q:\n got %v (total %d)\nwant %v (total %d)",
									stage, tag, ordered, sort, got, gotTotal, want, wantTotal)
							}
						}
					}
				}
			}
		}
		lists("created")

		for i, id := range ids {
			switch i % 5 {
			case 1:
				_, err = e.svc.PatchContact(ctx, e.p, contactd.Selector{ID: id}, []byte(`{"jobTitle":"Engineer"}`), contactd.Precondition{})
			case 2:
				err = e.svc.DeleteContact(ctx, e.p, contactd.Selector{ID: id}, contactd.Precondition{}, false)
			case 3:
				_, err = e.svc.PatchContact(ctx, e.p, contactd.Selector{ID: id}, []byte(`{"tags":["gamma"]}`), contactd.Precondition{})
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		lists("updated and deleted")

		if _, err := e.svc.RestoreContact(ctx, e.p, ids[2]); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.DeleteContact(ctx, e.p, contactd.Selector{ID: ids[7]}, contactd.Precondition{}, true); err != nil {
			t.Fatal(err)
		}
		lists("restored and erased")

		if _, err := e.svc.UpdateTag(ctx, e.p, tagA.ID, &contactd.TagInput{Name: ptr("Alpha2")}); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.DeleteTag(ctx, e.p, tagC.ID); err != nil {
			t.Fatal(err)
		}
		lists("tag renamed and deleted")

		if err := e.svc.DeleteAccount(ctx, e.p, acc.ID, contactd.Precondition{}, true); err != nil {
			t.Fatal(err)
		}
		// The contacts detached from the account changed last: newest first,
		// they lead the tag's list.
		lists("account deleted")
		got, _ := e.walk(t, `{"tags":"beta"}`, "-updatedAt")
		if len(got) == 0 {
			t.Fatal("no contact tagged beta")
		}
		first, err := e.store.Contact(ctx, e.p.TenantID, got[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range got[1:] {
			c, err := e.store.Contact(ctx, e.p.TenantID, id)
			if err != nil {
				t.Fatal(err)
			}
			if c.UpdatedAt.After(first.UpdatedAt) {
				t.Errorf("%s (updated %v) is listed after %s (updated %v)", id, c.UpdatedAt, first.ID, first.UpdatedAt)
			}
		}
	})
}

// walk lists every page of a filter and sort, three contacts a page, and
// returns the ids in order and the first page's exact total.
func (e *raceEnv) walk(t *testing.T, filter, sort string) ([]string, int) {
	t.Helper()
	return e.walkList(t, contactd.ContactListRequest{ListParams: contactd.ListParams{Filter: []byte(filter), Sort: sort, Limit: 3, ExactCount: true}})
}

// walkList follows a list's cursors to its end and returns the ids in
// order and the first page's total (-1 for none).
func (e *raceEnv) walkList(t *testing.T, r contactd.ContactListRequest) ([]string, int) {
	t.Helper()
	ids := []string{}
	total := -1
	for range 100 {
		page, err := e.svc.ListContacts(t.Context(), e.p, r)
		if err != nil {
			t.Fatalf("list %s q=%q sorted %q: %v", r.Filter, r.Q, r.Sort, err)
		}
		if total < 0 && page.Total != nil {
			total = *page.Total
		}
		for _, c := range page.Data {
			ids = append(ids, c.ID)
		}
		if page.NextCursor == nil {
			return ids, total
		}
		r.Cursor = *page.NextCursor
	}
	t.Fatalf("list %s q=%q sorted %q: no end after 100 pages of %d", r.Filter, r.Q, r.Sort, r.Limit)
	return nil, 0
}
