package storetest

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/filter"
)

// newAccount returns a valid version-1 account with every field set; its
// external id is derived from its id. mods are applied in order.
func newAccount(mods ...func(*contactd.Account)) *contactd.Account {
	id := contactd.NewID(contactd.PrefixAccount)
	at := now()
	a := &contactd.Account{
		ID:      id,
		Version: 1,
		Name:    "Acme Corp",
		Domain:  "acme.com",
		Phones: []contactd.Phone{
			{ID: contactd.NewID(contactd.PrefixPhone), Number: "(415) 555-0100", E164: "+14155550100", Type: "work", Primary: true},
		},
		Addresses: []contactd.Address{
			{ID: contactd.NewID(contactd.PrefixAddress), Type: "billing", City: "Springfield", Country: "US", Primary: true},
		},
		ExternalID: "ext-" + strings.TrimPrefix(id, contactd.PrefixAccount),
		Properties: json.RawMessage(`{"tier":"gold","seats":40,"nested":{"ok":true}}`),
		CreatedAt:  at,
		CreatedBy:  "storetest",
		UpdatedAt:  at,
		UpdatedBy:  "storetest",
	}
	for _, m := range mods {
		m(a)
	}
	return a
}

func mustWriteAccount(t *testing.T, s contactd.Store, tenantID string, a *contactd.Account, prev int64) {
	t.Helper()
	if err := s.WriteAccount(t.Context(), contactd.WriteAccountParams{TenantID: tenantID, Account: a, PrevVersion: prev}); err != nil {
		t.Fatalf("WriteAccount(%s version %d, PrevVersion %d): %v", a.ID, a.Version, prev, err)
	}
}

// wantAccount reports an error unless the store holds want in the tenant.
func wantAccount(t *testing.T, s contactd.Store, tenantID string, want *contactd.Account) {
	t.Helper()
	got, err := s.Account(t.Context(), tenantID, want.ID)
	if err != nil {
		t.Errorf("Account(%s): got error %v, want version %d", want.ID, err, want.Version)
		return
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(want)
	if !jsonEqual(g, w) {
		t.Errorf("Account(%s): got\n%s\nwant\n%s", want.ID, g, w)
	}
}

// detach stands for the Service's rule for DeleteAccount: unless
// detachLive, live contacts refuse the delete; every contact gets its next
// version without the account, with an "updated" change. It records the
// contacts it was handed.
func detach(tenantID string, detachLive bool, seen *[]string) func(cs []*contactd.Contact) ([]contactd.ContactWrite, error) {
	return func(cs []*contactd.Contact) ([]contactd.ContactWrite, error) {
		var ws []contactd.ContactWrite
		for _, c := range cs {
			if seen != nil {
				*seen = append(*seen, c.ID)
			}
		}
		for _, c := range cs {
			if c.Live() && !detachLive {
				return nil, contactd.Errorf(contactd.EConflict, "the account still has a live contact")
			}
			old, _ := json.Marshal(c.AccountID)
			n := *c
			n.AccountID = ""
			n.Version++
			n.UpdatedAt = now()
			ws = append(ws, contactd.ContactWrite{Contact: &n, PrevVersion: c.Version,
				Change: &contactd.Change{TenantID: tenantID, Type: "updated", ContactID: c.ID, Version: n.Version, Actor: "storetest", At: n.UpdatedAt,
					Fields: map[string]contactd.FieldChange{"accountId": {Old: old, New: json.RawMessage("null")}}}})
		}
		return ws, nil
	}
}

func testAccounts(t *testing.T, b Backend) {
	t.Run("WriteAndGet", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ctx := t.Context()
		tn := newTenant(t, s)
		full := newAccount()
		bare := newAccount(func(a *contactd.Account) {
			a.Domain, a.ExternalID, a.Properties = "", "", nil
			a.Phones, a.Addresses = []contactd.Phone{}, []contactd.Address{}
		})
		mustWriteAccount(t, s, tn.ID, full, 0)
		mustWriteAccount(t, s, tn.ID, bare, 0)
		wantAccount(t, s, tn.ID, full)
		wantAccount(t, s, tn.ID, bare)

		v2 := *full
		v2.Version, v2.Name, v2.Domain, v2.UpdatedAt = 2, "Acme Inc.", "", now().Add(time.Second)
		v2.Properties = json.RawMessage(`{"tier":"silver"}`)
		mustWriteAccount(t, s, tn.ID, &v2, 1)
		wantAccount(t, s, tn.ID, &v2)

		stale := v2
		stale.Version, stale.Name = 3, "Lost update"
		wantCode(t, s.WriteAccount(ctx, contactd.WriteAccountParams{TenantID: tn.ID, Account: &stale, PrevVersion: 1}),
			contactd.EPreconditionFailed, "WriteAccount with a stale PrevVersion")
		wantAccount(t, s, tn.ID, &v2)
		gone := newAccount()
		gone.Version = 2
		wantCode(t, s.WriteAccount(ctx, contactd.WriteAccountParams{TenantID: tn.ID, Account: gone, PrevVersion: 1}),
			contactd.EPreconditionFailed, "WriteAccount replacing an account that does not exist")
		_, err := s.Account(ctx, tn.ID, gone.ID)
		wantCode(t, err, contactd.ENotFound, "Account(unknown id)")
	})

	t.Run("ExternalIDUnique", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ctx := t.Context()
		tn, other := newTenant(t, s), newTenant(t, s)
		first := newAccount(func(a *contactd.Account) { a.ExternalID = "crm-1" })
		mustWriteAccount(t, s, tn.ID, first, 0)

		dup := newAccount(func(a *contactd.Account) { a.ExternalID = "crm-1" })
		err := s.WriteAccount(ctx, contactd.WriteAccountParams{TenantID: tn.ID, Account: dup})
		wantConflict(t, err, first.ID, "externalId", "insert with a taken external id")
		_, err = s.Account(ctx, tn.ID, dup.ID)
		wantCode(t, err, contactd.ENotFound, "Account(rejected duplicate)")

		second := newAccount(func(a *contactd.Account) { a.ExternalID = "crm-2" })
		mustWriteAccount(t, s, tn.ID, second, 0)
		taken := *second
		taken.Version, taken.ExternalID = 2, "crm-1"
		err = s.WriteAccount(ctx, contactd.WriteAccountParams{TenantID: tn.ID, Account: &taken, PrevVersion: 1})
		wantConflict(t, err, first.ID, "externalId", "update to a taken external id")
		wantAccount(t, s, tn.ID, second)

		// Its own external id, and one of another tenant, are fine.
		same := *first
		same.Version, same.Name = 2, "Renamed"
		mustWriteAccount(t, s, tn.ID, &same, 1)
		mustWriteAccount(t, s, other.ID, newAccount(func(a *contactd.Account) { a.ExternalID = "crm-1" }), 0)
		// Several accounts without one.
		for range 2 {
			mustWriteAccount(t, s, tn.ID, newAccount(func(a *contactd.Account) { a.ExternalID = "" }), 0)
		}
		// A deleted account's external id is free again.
		if err := s.DeleteAccount(ctx, contactd.DeleteAccountParams{TenantID: tn.ID, ID: first.ID, Detach: detach(tn.ID, false, nil)}); err != nil {
			t.Fatalf("DeleteAccount: %v", err)
		}
		mustWriteAccount(t, s, tn.ID, newAccount(func(a *contactd.Account) { a.ExternalID = "crm-1" }), 0)
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ctx := t.Context()
		tn, other := newTenant(t, s), newTenant(t, s)
		base := now().Add(-time.Hour)
		names := []string{"Beta", "acme", "Acme", "Zeta", "Acme Labs"}
		var all []*contactd.Account
		for i, n := range names {
			a := newAccount(func(a *contactd.Account) {
				a.Name, a.CreatedAt, a.UpdatedAt = n, base.Add(time.Duration(i)*time.Minute), base.Add(time.Duration(10-i)*time.Minute)
				if i%2 == 1 {
					a.Domain, a.ExternalID = "", ""
				}
			})
			mustWriteAccount(t, s, tn.ID, a, 0)
			all = append(all, a)
		}
		mustWriteAccount(t, s, other.ID, newAccount(func(a *contactd.Account) { a.Name = "Acme" }), 0)
		idsOf := func(as []*contactd.Account) []string {
			out := []string{}
			for _, a := range as {
				out = append(out, a.ID)
			}
			return out
		}
		pick := func(is ...int) []string {
			out := []string{}
			for _, i := range is {
				out = append(out, all[i].ID)
			}
			return out
		}
		cond := func(field string, typ filter.Type, op filter.Op, v any) *filter.Cond {
			return &filter.Cond{Field: filter.Field{Name: field, Type: typ}, Op: op, Value: v}
		}
		byCreated := []contactd.SortKey{{Field: "createdAt"}, {Field: "id"}}
		tests := []struct {
			name   string
			filter filter.Node
			sort   []contactd.SortKey
			want   []string
		}{
			{"all by name", nil, []contactd.SortKey{{Field: "name"}, {Field: "id"}}, pick(2, 4, 0, 3, 1)},
			{"all by -name", nil, []contactd.SortKey{{Field: "name", Desc: true}, {Field: "id"}}, pick(1, 3, 0, 4, 2)},
			{"all by updatedAt", nil, []contactd.SortKey{{Field: "updatedAt"}, {Field: "id"}}, pick(4, 3, 2, 1, 0)},
			{"all by -createdAt", nil, []contactd.SortKey{{Field: "createdAt", Desc: true}, {Field: "id"}}, pick(4, 3, 2, 1, 0)},
			{"name $eq", cond("name", filter.String, filter.OpEq, "Acme"), byCreated, pick(2)},
			{"name $prefix", cond("name", filter.String, filter.OpPrefix, "Acme"), byCreated, pick(2, 4)},
			{"name $in", &filter.Cond{Field: filter.Field{Name: "name", Type: filter.String}, Op: filter.OpIn, Values: []any{"Beta", "Zeta"}}, byCreated, pick(0, 3)},
			{"domain", cond("domain", filter.String, filter.OpEq, "acme.com"), byCreated, pick(0, 2, 4)},
			{"no domain", cond("domain", filter.String, filter.OpExists, false), byCreated, pick(1, 3)},
			{"externalId", cond("externalId", filter.String, filter.OpEq, all[2].ExternalID), byCreated, pick(2)},
			{"no externalId", cond("externalId", filter.String, filter.OpExists, false), byCreated, pick(1, 3)},
			{"created range", &filter.And{Nodes: []filter.Node{
				cond("createdAt", filter.Time, filter.OpGte, all[1].CreatedAt), cond("createdAt", filter.Time, filter.OpLt, all[3].CreatedAt)}}, byCreated, pick(1, 2)},
			{"updated after", cond("updatedAt", filter.Time, filter.OpGt, all[2].UpdatedAt), byCreated, pick(0, 1)},
			{"or and not", &filter.Or{Nodes: []filter.Node{
				cond("name", filter.String, filter.OpEq, "Zeta"),
				&filter.Not{Node: cond("name", filter.String, filter.OpPrefix, "A")}}}, byCreated, pick(0, 1, 3)},
		}
		for _, tt := range tests {
			q := contactd.Query{TenantID: tn.ID, Filter: tt.filter, Sort: tt.sort, Limit: 100}
			got, err := s.ListAccounts(ctx, q)
			if err != nil {
				t.Errorf("%s: ListAccounts: %v", tt.name, err)
				continue
			}
			if !slices.Equal(idsOf(got), tt.want) {
				t.Errorf("%s: got %v, want %v", tt.name, idsOf(got), tt.want)
			}
			if n, err := s.CountAccounts(ctx, q); err != nil || n != len(tt.want) {
				t.Errorf("%s: CountAccounts: got %d, %v; want %d", tt.name, n, err, len(tt.want))
			}
			// Keyset pages of two visit the same accounts in the same order.
			var paged []string
			q.Limit = 2
			for {
				page, err := s.ListAccounts(ctx, q)
				if err != nil {
					t.Fatalf("%s: page: %v", tt.name, err)
				}
				paged = append(paged, idsOf(page)...)
				if len(page) < 2 {
					break
				}
				last := page[len(page)-1]
				q.After = nil
				for _, k := range q.Sort {
					switch k.Field {
					case "name":
						q.After = append(q.After, last.Name)
					case "createdAt":
						q.After = append(q.After, last.CreatedAt)
					case "updatedAt":
						q.After = append(q.After, last.UpdatedAt)
					case "id":
						q.After = append(q.After, last.ID)
					}
				}
			}
			if !slices.Equal(paged, tt.want) && len(tt.want) > 0 {
				t.Errorf("%s: in keyset pages of 2: got %v, want %v", tt.name, paged, tt.want)
			}
		}
		// Offset pages.
		got, err := s.ListAccounts(ctx, contactd.Query{TenantID: tn.ID, Sort: byCreated, Offset: 3, Limit: 10})
		if err != nil || !slices.Equal(idsOf(got), pick(3, 4)) {
			t.Errorf("offset 3: got %v, %v; want %v", idsOf(got), err, pick(3, 4))
		}
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ctx := t.Context()
		tn := newTenant(t, s)
		acc, keep := newAccount(), newAccount()
		mustWriteAccount(t, s, tn.ID, acc, 0)
		mustWriteAccount(t, s, tn.ID, keep, 0)
		live := newContact(func(c *contactd.Contact) { c.AccountID = acc.ID })
		deleted := newContact(func(c *contactd.Contact) { c.AccountID = acc.ID })
		bystander := newContact(func(c *contactd.Contact) { c.AccountID = keep.ID })
		for _, c := range []*contactd.Contact{live, deleted, bystander} {
			mustWrite(t, s, tn.ID, c, 0)
		}
		gone := softDeleted(deleted)
		mustWrite(t, s, tn.ID, gone, deleted.Version)
		seqBefore := int64(len(changes(t, s, tn.ID, "")))

		err := s.DeleteAccount(ctx, contactd.DeleteAccountParams{TenantID: tn.ID, ID: "acc_nope", Detach: detach(tn.ID, false, nil)})
		wantCode(t, err, contactd.ENotFound, "DeleteAccount(unknown id)")
		err = s.DeleteAccount(ctx, contactd.DeleteAccountParams{TenantID: tn.ID, ID: acc.ID, PrevVersion: 2, Detach: detach(tn.ID, false, nil)})
		wantCode(t, err, contactd.EPreconditionFailed, "DeleteAccount with a stale PrevVersion")
		var handed []string
		err = s.DeleteAccount(ctx, contactd.DeleteAccountParams{TenantID: tn.ID, ID: acc.ID, Detach: detach(tn.ID, false, &handed)})
		wantCode(t, err, contactd.EConflict, "DeleteAccount refused by Detach")
		// Detach is handed every contact naming the account, deleted ones
		// included, in id order.
		if want := sortedIDs(live, deleted); !slices.Equal(slices.Sorted(slices.Values(handed)), want) || !slices.IsSorted(handed) {
			t.Errorf("Detach was handed %v, want %v in id order", handed, want)
		}
		// Refused: nothing changed.
		wantAccount(t, s, tn.ID, acc)
		wantStored(t, s, tn.ID, live)
		wantStored(t, s, tn.ID, gone)
		wantSeqs(t, s, tn.ID, "", seqsUpTo(seqBefore)...)

		err = s.DeleteAccount(ctx, contactd.DeleteAccountParams{TenantID: tn.ID, ID: acc.ID, PrevVersion: 1, Detach: detach(tn.ID, true, nil)})
		if err != nil {
			t.Fatalf("DeleteAccount with DetachLive: %v", err)
		}
		_, err = s.Account(ctx, tn.ID, acc.ID)
		wantCode(t, err, contactd.ENotFound, "Account after DeleteAccount")
		// Both contacts were detached, each with a numbered change.
		chs := changes(t, s, tn.ID, "")
		if len(chs) != int(seqBefore)+2 {
			t.Fatalf("change log has %d changes after the detach, want %d", len(chs), seqBefore+2)
		}
		detached := map[string]bool{}
		for i, ch := range chs[seqBefore:] {
			if ch.Seq != seqBefore+int64(i)+1 || ch.Type != "updated" || !jsonEqual(ch.Fields["accountId"].Old, []byte(`"`+acc.ID+`"`)) {
				t.Errorf("detach change %d: %+v", i, ch)
			}
			detached[ch.ContactID] = true
		}
		if !detached[live.ID] || !detached[deleted.ID] {
			t.Errorf("detached %v, want %s and %s", detached, live.ID, deleted.ID)
		}
		for _, c := range []*contactd.Contact{live, gone} {
			got, err := s.Contact(ctx, tn.ID, c.ID)
			if err != nil {
				t.Fatalf("Contact: %v", err)
			}
			if got.AccountID != "" || got.Version != c.Version+1 || got.Live() != c.Live() {
				t.Errorf("contact %s after detach: accountId %q version %d live %t; want none, %d, %t", c.ID, got.AccountID, got.Version, got.Live(), c.Version+1, c.Live())
			}
		}
		// The detached contacts are found by what did not change, and no
		// longer by the account.
		accountID, _ := contactd.ContactFilter.Field("accountId")
		q := contactd.ContactQuery{Query: contactd.Query{TenantID: tn.ID, Limit: 10, Sort: []contactd.SortKey{{Field: "id"}},
			Filter: &filter.Cond{Field: accountID, Op: filter.OpEq, Value: acc.ID}}, IncludeDeleted: true}
		if n, err := s.CountContacts(ctx, q); err != nil || n != 0 {
			t.Errorf("contacts still naming the deleted account: %d, %v", n, err)
		}
		m, err := s.LookupPhone(ctx, tn.ID, live.Phones[0].E164, 10)
		if err != nil || !slices.ContainsFunc(m, func(pm contactd.PhoneMatch) bool {
			c := decodeMatch(t, pm)
			return c.ID == live.ID && c.AccountID == ""
		}) {
			t.Errorf("LookupPhone does not find the detached contact: %v", err)
		}
		wantStored(t, s, tn.ID, bystander)
		wantAccount(t, s, tn.ID, keep)

		// Only soft-deleted contacts: no DetachLive needed, and they are
		// detached all the same.
		acc2 := newAccount(func(a *contactd.Account) { a.ExternalID = "" })
		mustWriteAccount(t, s, tn.ID, acc2, 0)
		old := newContact(func(c *contactd.Contact) { c.AccountID = acc2.ID })
		mustWrite(t, s, tn.ID, old, 0)
		oldGone := softDeleted(old)
		mustWrite(t, s, tn.ID, oldGone, 1)
		if err := s.DeleteAccount(ctx, contactd.DeleteAccountParams{TenantID: tn.ID, ID: acc2.ID, Detach: detach(tn.ID, false, nil)}); err != nil {
			t.Fatalf("DeleteAccount with only soft-deleted contacts: %v", err)
		}
		if got, _ := s.Contact(ctx, tn.ID, old.ID); got == nil || got.AccountID != "" || got.Live() {
			t.Errorf("soft-deleted contact after its account was deleted: %+v", got)
		}
	})

	t.Run("TenantIsolation", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ctx := t.Context()
		a, b2 := newTenant(t, s), newTenant(t, s)
		acc := newAccount()
		mustWriteAccount(t, s, a.ID, acc, 0)
		mustWrite(t, s, a.ID, newContact(func(c *contactd.Contact) { c.AccountID = acc.ID }), 0)

		_, err := s.Account(ctx, b2.ID, acc.ID)
		wantCode(t, err, contactd.ENotFound, "Account from another tenant")
		upd := *acc
		upd.Version, upd.Name = 2, "Stolen"
		wantCode(t, s.WriteAccount(ctx, contactd.WriteAccountParams{TenantID: b2.ID, Account: &upd, PrevVersion: 1}),
			contactd.EPreconditionFailed, "WriteAccount replacing another tenant's account")
		err = s.DeleteAccount(ctx, contactd.DeleteAccountParams{TenantID: b2.ID, ID: acc.ID, Detach: detach(b2.ID, true, nil)})
		wantCode(t, err, contactd.ENotFound, "DeleteAccount of another tenant's account")
		q := contactd.Query{TenantID: b2.ID, Sort: []contactd.SortKey{{Field: "id"}}, Limit: 10}
		if got, err := s.ListAccounts(ctx, q); err != nil || len(got) != 0 {
			t.Errorf("ListAccounts of an empty tenant: %d accounts, %v", len(got), err)
		}
		if n, err := s.CountAccounts(ctx, q); err != nil || n != 0 {
			t.Errorf("CountAccounts of an empty tenant: %d, %v", n, err)
		}
		wantAccount(t, s, a.ID, acc)
		wantSeqs(t, s, b2.ID, "")
	})
}

// seqsUpTo returns 1…n.
func seqsUpTo(n int64) []int64 {
	out := []int64{}
	for i := int64(1); i <= n; i++ {
		out = append(out, i)
	}
	return out
}
