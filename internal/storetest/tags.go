package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/filter"
)

// newTag returns a tag of a tenant named name.
func newTag(tenantID, name string) *contactd.Tag {
	at := now()
	return &contactd.Tag{TenantID: tenantID, ID: contactd.NewID(contactd.PrefixTag), Name: name, CreatedAt: at, UpdatedAt: at}
}

func mustCreateTag(t *testing.T, s contactd.Store, tenantID, name string) *contactd.Tag {
	t.Helper()
	tg := newTag(tenantID, name)
	if err := s.CreateTag(t.Context(), tg); err != nil {
		t.Fatalf("CreateTag(%q): %v", name, err)
	}
	return tg
}

func sameTag(t *testing.T, got, want *contactd.Tag, what string) {
	t.Helper()
	if got == nil || got.ID != want.ID || got.Name != want.Name || got.Color != want.Color || got.Description != want.Description ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Errorf("%s: got tag %+v, want %+v", what, got, want)
	}
}

// listIDs returns the ids of the tenant's contacts matching a filter
// document, deleted ones included, in id order.
func listIDs(t *testing.T, s contactd.Store, tenantID, doc string) []string {
	t.Helper()
	node, err := contactd.ContactFilter.Parse([]byte(doc), filter.Options{})
	if err != nil {
		t.Fatalf("filter %s: %v", doc, err)
	}
	cs, _, err := s.ListContacts(t.Context(), contactd.ContactQuery{Query: contactd.Query{TenantID: tenantID, Filter: node,
		Sort: []contactd.SortKey{{Field: "id"}}, Limit: 1000}, IncludeDeleted: true})
	if err != nil {
		t.Fatalf("ListContacts(%s): %v", doc, err)
	}
	ids := []string{}
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}

func sortedIDs(cs ...*contactd.Contact) []string {
	ids := []string{}
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	slices.Sort(ids)
	return ids
}

// retagAs stands for the Service's rule for a contact whose tag is renamed
// or deleted: the tag takes its new spelling (or leaves), and an "updated"
// change by actor at the given time records the tags.
func retagAs(tenantID, actor string, at time.Time) contactd.Retag {
	return func(from, to string, c contactd.TaggedContact) ([]string, *contactd.Change) {
		next, _ := contactd.ReplaceTag(c.Tags, contactd.TagKey(from), to)
		old, _ := json.Marshal(c.Tags)
		if c.Tags == nil {
			old = []byte("[]")
		}
		nw, _ := json.Marshal(next)
		return next, &contactd.Change{TenantID: tenantID, Type: "updated", ContactID: c.ID, Version: c.Version + 1, Actor: actor, At: at,
			Fields: map[string]contactd.FieldChange{"tags": {Old: old, New: nw}}}
	}
}

// tagsChange is the change a tag rename or delete leaves on a contact.
func tagsChange(c *contactd.Contact, before, after []string, seq int64, actor string, p contactd.UpdateTagParams) contactd.Change {
	old, _ := json.Marshal(before)
	nw, _ := json.Marshal(after)
	return contactd.Change{Seq: seq, Type: "updated", ContactID: c.ID, Version: c.Version + 1, Actor: actor, At: p.At,
		Fields: map[string]contactd.FieldChange{"tags": {Old: old, New: nw}}}
}

// renameParams renames a tag, rewriting its contacts as the Service does,
// by "renamer".
func renameParams(tenantID, id string, name *string) contactd.UpdateTagParams {
	at := now()
	return contactd.UpdateTagParams{TenantID: tenantID, ID: id, Name: name, At: at, Retag: retagAs(tenantID, "renamer", at)}
}

func testTags(t *testing.T, b Backend) {
	t.Run("CreateAndGet", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ctx := t.Context()
		tn, other := newTenant(t, s), newTenant(t, s)
		tg := newTag(tn.ID, "VIP")
		tg.Color, tg.Description = "#FF0000", "Our best customers"
		if err := s.CreateTag(ctx, tg); err != nil {
			t.Fatalf("CreateTag: %v", err)
		}
		got, err := s.Tag(ctx, tn.ID, tg.ID)
		if err != nil {
			t.Fatalf("Tag: %v", err)
		}
		sameTag(t, got, tg, "Tag")
		_, err = s.Tag(ctx, other.ID, tg.ID)
		wantCode(t, err, contactd.ENotFound, "Tag of another tenant")
		_, err = s.Tag(ctx, tn.ID, contactd.NewID(contactd.PrefixTag))
		wantCode(t, err, contactd.ENotFound, "Tag with an unknown id")
		// The same name in another tenant is another tag.
		mustCreateTag(t, s, other.ID, "vip")
	})

	t.Run("NamesUniqueWithoutCase", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		tn := newTenant(t, s)
		for _, pair := range [][2]string{{"VIP", "vip"}, {"Ärger", "äRGER"}, {"Straße", "STRAßE"}} {
			first := mustCreateTag(t, s, tn.ID, pair[0])
			err := s.CreateTag(t.Context(), newTag(tn.ID, pair[1]))
			wantConflict(t, err, first.ID, "name", fmt.Sprintf("CreateTag(%q) after %q", pair[1], pair[0]))
		}
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ctx := t.Context()
		tn, other := newTenant(t, s), newTenant(t, s)
		for _, n := range []string{"beta", "Alpha", "alps", "Gamma", "delta"} {
			mustCreateTag(t, s, tn.ID, n)
		}
		mustCreateTag(t, s, other.ID, "also")
		names := func(p contactd.TagsParams) []string {
			t.Helper()
			p.TenantID = tn.ID
			tags, err := s.Tags(ctx, p)
			if err != nil {
				t.Fatalf("Tags(%+v): %v", p, err)
			}
			out := []string{}
			for _, tg := range tags {
				out = append(out, tg.Name)
			}
			return out
		}
		for _, tt := range []struct {
			p    contactd.TagsParams
			want []string
		}{
			{contactd.TagsParams{Limit: 10}, []string{"Alpha", "alps", "beta", "delta", "Gamma"}},
			{contactd.TagsParams{Limit: 2}, []string{"Alpha", "alps"}},
			{contactd.TagsParams{Limit: 2, After: "alps"}, []string{"beta", "delta"}},
			{contactd.TagsParams{Limit: 10, Prefix: "al"}, []string{"Alpha", "alps"}},
			{contactd.TagsParams{Limit: 10, Prefix: "al", After: "alpha"}, []string{"alps"}},
			{contactd.TagsParams{Limit: 10, Prefix: "x"}, []string{}},
		} {
			if got := names(tt.p); !slices.Equal(got, tt.want) {
				t.Errorf("Tags(%+v): got %v, want %v", tt.p, got, tt.want)
			}
		}
		for p, want := range map[contactd.TagsParams]int{
			{TenantID: tn.ID, Limit: 1, After: "zzz"}: 5, {TenantID: tn.ID, Prefix: "al"}: 2, {TenantID: other.ID}: 1,
		} {
			if n, err := s.CountTags(ctx, p); err != nil || n != want {
				t.Errorf("CountTags(%+v): got %d, %v; want %d", p, n, err, want)
			}
		}
	})

	t.Run("TagNames", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ctx := t.Context()
		tn, other := newTenant(t, s), newTenant(t, s)
		mustCreateTag(t, s, tn.ID, "VIP")
		mustCreateTag(t, s, tn.ID, "Gold")
		mustCreateTag(t, s, other.ID, "new")
		got, err := s.TagNames(ctx, tn.ID, []string{"vip", "new", "gold"})
		if want := map[string]string{"vip": "VIP", "gold": "Gold"}; err != nil || !maps.Equal(got, want) {
			t.Errorf("TagNames: got %v, %v; want %v", got, err, want)
		}
		if got, err := s.TagNames(ctx, tn.ID, nil); err != nil || len(got) != 0 {
			t.Errorf("TagNames of nothing: got %v, %v", got, err)
		}
	})

	t.Run("TagRefsInWrites", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ctx := t.Context()
		tn, other := newTenant(t, s), newTenant(t, s)
		mustCreateTag(t, s, tn.ID, "VIP")
		write := func(tenantID string, c *contactd.Contact, refs contactd.ContactRefs) error {
			return s.WriteContact(ctx, contactd.WriteContactParams{TenantID: tenantID, Contact: c,
				Change: &contactd.Change{Type: "created", ContactID: c.ID, Version: 1, Actor: "storetest", At: now()}, Refs: refs})
		}
		// The registry's spelling passes; a tag the registry lacks is added
		// as written, in the same transaction.
		c1 := newContact(func(c *contactd.Contact) { c.Tags = []string{"VIP", "New"} })
		if err := write(tn.ID, c1, contactd.ContactRefs{Tags: []*contactd.Tag{newTag(tn.ID, "VIP"), newTag(tn.ID, "New")}}); err != nil {
			t.Fatalf("WriteContact with tags: %v", err)
		}
		if got, _ := s.TagNames(ctx, tn.ID, []string{"vip", "new"}); !maps.Equal(got, map[string]string{"vip": "VIP", "new": "New"}) {
			t.Errorf("registry after the write: %v", got)
		}
		// Another spelling than the registry's is refused, with the
		// registry's, and writes nothing.
		c2 := newContact(func(c *contactd.Contact) { c.Tags = []string{"vip", "Third"} })
		err := write(tn.ID, c2, contactd.ContactRefs{Tags: []*contactd.Tag{newTag(tn.ID, "vip"), newTag(tn.ID, "Third")}})
		var re *contactd.RefError
		if !errors.As(err, &re) || re.Field != "tags" || re.Value != "vip" || re.Current != "VIP" {
			t.Errorf("WriteContact with a stale spelling: got %v, want a RefError naming VIP", err)
		}
		if _, err := s.Contact(ctx, tn.ID, c2.ID); contactd.ErrorCodeOf(err) != contactd.ENotFound {
			t.Errorf("a refused write stored its contact: %v", err)
		}
		if got, _ := s.TagNames(ctx, tn.ID, []string{"third"}); len(got) != 0 {
			t.Errorf("a refused write added its new tag: %v", got)
		}
		// Registries are per tenant.
		c3 := newContact(func(c *contactd.Contact) { c.Tags = []string{"vip"} })
		if err := write(other.ID, c3, contactd.ContactRefs{Tags: []*contactd.Tag{newTag(other.ID, "vip")}}); err != nil {
			t.Errorf("WriteContact in another tenant: %v", err)
		}
	})

	t.Run("TagRefsConcurrently", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		tn := newTenant(t, s)
		// Eight writers create one new tag in two spellings at once: one
		// spelling wins, every write either carries it or is refused with it.
		errs := race(8, func(i int) error {
			name := fmt.Sprintf("Race%c", 'A'+i%2*('a'-'A'))
			c := newContact(func(c *contactd.Contact) { c.Tags = []string{name} })
			return s.WriteContact(t.Context(), contactd.WriteContactParams{TenantID: tn.ID, Contact: c,
				Change: &contactd.Change{Type: "created", ContactID: c.ID, Version: 1, Actor: "storetest", At: now()},
				Refs:   contactd.ContactRefs{Tags: []*contactd.Tag{newTag(tn.ID, name)}}})
		})
		names, err := s.TagNames(t.Context(), tn.ID, []string{"racea"})
		if err != nil || len(names) != 1 {
			t.Fatalf("TagNames: %v, %v; want one tag", names, err)
		}
		for _, err := range errs {
			var re *contactd.RefError
			if err != nil && (!errors.As(err, &re) || re.Current != names["racea"]) {
				t.Errorf("concurrent write: %v, want nil or a RefError naming %s", err, names["racea"])
			}
		}
		for _, id := range listIDs(t, s, tn.ID, `{"tags":"racea"}`) {
			if c, _ := s.Contact(t.Context(), tn.ID, id); c == nil || !slices.Equal(c.Tags, []string{names["racea"]}) {
				t.Errorf("contact %s carries %v, want [%s]", id, c.Tags, names["racea"])
			}
		}
	})

	t.Run("AccountRefsInWrites", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ctx := t.Context()
		tn, other := newTenant(t, s), newTenant(t, s)
		acc := newAccount()
		mustWriteAccount(t, s, tn.ID, acc, 0)
		mustWriteAccount(t, s, other.ID, newAccount(func(a *contactd.Account) { a.ID = "acc_elsewhere" }), 0)
		for _, id := range []string{"acc_nope", "acc_elsewhere"} {
			c := newContact(func(c *contactd.Contact) { c.AccountID = id })
			err := s.WriteContact(ctx, contactd.WriteContactParams{TenantID: tn.ID, Contact: c,
				Change: &contactd.Change{Type: "created", ContactID: c.ID, Version: 1, Actor: "storetest", At: now()},
				Refs:   contactd.ContactRefs{AccountIDs: []string{acc.ID, id}}})
			var re *contactd.RefError
			if !errors.As(err, &re) || re.Field != "accountId" || re.Value != id {
				t.Errorf("WriteContact naming %s: got %v, want a RefError naming it", id, err)
			}
			if _, err := s.Contact(ctx, tn.ID, c.ID); contactd.ErrorCodeOf(err) != contactd.ENotFound {
				t.Errorf("a refused write stored its contact: %v", err)
			}
		}
		batch := []contactd.WriteContactParams{}
		c := newContact(func(c *contactd.Contact) { c.AccountID = "acc_nope" })
		batch = append(batch, contactd.WriteContactParams{TenantID: tn.ID, Contact: c,
			Change: &contactd.Change{Type: "created", ContactID: c.ID, Version: 1, Actor: "storetest", At: now()}})
		err := s.InsertContacts(ctx, contactd.InsertContactsParams{TenantID: tn.ID, Contacts: batch, Refs: contactd.ContactRefs{AccountIDs: []string{"acc_nope"}}})
		var re *contactd.RefError
		if !errors.As(err, &re) || re.Value != "acc_nope" {
			t.Errorf("InsertContacts naming no account: got %v, want a RefError", err)
		}
	})

	t.Run("Rename", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ctx := t.Context()
		tn, other := newTenant(t, s), newTenant(t, s)
		vip := mustCreateTag(t, s, tn.ID, "vip")
		mustCreateTag(t, s, tn.ID, "customer")
		gold := mustCreateTag(t, s, tn.ID, "Gold")
		withTags := func(tags ...string) func(*contactd.Contact) {
			return func(c *contactd.Contact) { c.Tags = tags }
		}
		c1 := newContact(withTags("vip", "customer"))
		c2 := newContact(withTags("customer", "Vip"))
		c3 := newContact(withTags("customer"))
		c4 := newContact(withTags("vip"))
		for _, c := range []*contactd.Contact{c1, c2, c3, c4} {
			mustWrite(t, s, tn.ID, c, 0)
		}
		deleted := softDeleted(c4)
		mustWrite(t, s, tn.ID, deleted, 1)
		c4 = deleted
		elsewhere := newContact(withTags("vip"))
		mustWrite(t, s, other.ID, elsewhere, 0)
		mustCreateTag(t, s, other.ID, "vip")
		seq := int64(5) // changes so far in tn

		// A rename to another tag's name (in any case) changes nothing.
		name := "GOLD"
		_, _, err := s.UpdateTag(ctx, renameParams(tn.ID, vip.ID, &name))
		wantConflict(t, err, gold.ID, "name", "UpdateTag to another tag's name")
		wantSeqs(t, s, tn.ID, c1.ID, 1)

		name = "Premium"
		p := renameParams(tn.ID, vip.ID, &name)
		got, n, err := s.UpdateTag(ctx, p)
		if err != nil {
			t.Fatalf("UpdateTag: %v", err)
		}
		if n != 3 {
			t.Errorf("UpdateTag changed %d contacts, want 3", n)
		}
		want := *vip
		want.Name, want.UpdatedAt = "Premium", p.At
		sameTag(t, got, &want, "UpdateTag")
		if stored, err := s.Tag(ctx, tn.ID, vip.ID); err != nil {
			t.Errorf("Tag after rename: %v", err)
		} else {
			sameTag(t, stored, &want, "Tag after rename")
		}
		// Each contact carrying it is a new version, with a change, in id order.
		touched := []*contactd.Contact{c1, c2, c4}
		slices.SortFunc(touched, func(a, b *contactd.Contact) int { return cmpString(a.ID, b.ID) })
		for _, c := range touched {
			seq++
			before := c.Tags
			after, _ := contactd.ReplaceTag(before, "vip", "Premium")
			next := *c
			next.Tags, next.Version, next.UpdatedAt, next.UpdatedBy = after, c.Version+1, p.At, "renamer"
			wantStored(t, s, tn.ID, &next)
			chs := changes(t, s, tn.ID, c.ID)
			sameChange(t, chs[len(chs)-1], tagsChange(c, before, after, seq, "renamer", p), "the rename's change of "+c.ID)
		}
		wantStored(t, s, tn.ID, c3)
		wantStored(t, s, other.ID, elsewhere)
		if got, want := listIDs(t, s, tn.ID, `{"tags":"premium"}`), sortedIDs(c1, c2, c4); !slices.Equal(got, want) {
			t.Errorf("contacts tagged premium: got %v, want %v", got, want)
		}
		if got := listIDs(t, s, tn.ID, `{"tags":"vip"}`); len(got) != 0 {
			t.Errorf("contacts still tagged vip: %v", got)
		}
		if got, want := listIDs(t, s, other.ID, `{"tags":"vip"}`), sortedIDs(elsewhere); !slices.Equal(got, want) {
			t.Errorf("the other tenant's contacts tagged vip: got %v, want %v", got, want)
		}

		// A new spelling is a rename too; a colour alone touches no contact.
		name = "PREMIUM"
		if _, n, err := s.UpdateTag(ctx, renameParams(tn.ID, vip.ID, &name)); err != nil || n != 3 {
			t.Errorf("UpdateTag to a new spelling: %d contacts, %v; want 3", n, err)
		}
		if c, err := s.Contact(ctx, tn.ID, c2.ID); err != nil || !slices.Equal(c.Tags, []string{"customer", "PREMIUM"}) || c.Version != 3 {
			t.Errorf("contact after the new spelling: %+v, %v", c, err)
		}
		color, desc := "#00FF00", "green"
		got, n, err = s.UpdateTag(ctx, contactd.UpdateTagParams{TenantID: tn.ID, ID: vip.ID, Color: &color, Description: &desc, At: now(),
			Retag: retagAs(tn.ID, "renamer", now())})
		if err != nil || n != 0 || got.Name != "PREMIUM" || got.Color != color || got.Description != desc {
			t.Errorf("UpdateTag of the colour: %+v, %d contacts, %v", got, n, err)
		}
		wantSeqs(t, s, tn.ID, c3.ID, 3)

		_, _, err = s.UpdateTag(ctx, contactd.UpdateTagParams{TenantID: other.ID, ID: vip.ID, Color: &color, At: now()})
		wantCode(t, err, contactd.ENotFound, "UpdateTag of another tenant's tag")
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ctx := t.Context()
		tn, other := newTenant(t, s), newTenant(t, s)
		vip := mustCreateTag(t, s, tn.ID, "VIP")
		c1 := newContact(func(c *contactd.Contact) { c.Tags = []string{"VIP", "customer"} })
		c2 := newContact(func(c *contactd.Contact) { c.Tags = []string{"VIP"} })
		c3 := newContact(func(c *contactd.Contact) { c.Tags = []string{"customer"} })
		for _, c := range []*contactd.Contact{c1, c2, c3} {
			mustWrite(t, s, tn.ID, c, 0)
		}
		_, err := s.DeleteTag(ctx, contactd.DeleteTagParams{TenantID: other.ID, ID: vip.ID, Retag: retagAs(other.ID, "deleter", now())})
		wantCode(t, err, contactd.ENotFound, "DeleteTag of another tenant's tag")

		at := now()
		p := contactd.DeleteTagParams{TenantID: tn.ID, ID: vip.ID, Retag: retagAs(tn.ID, "deleter", at)}
		n, err := s.DeleteTag(ctx, p)
		if err != nil || n != 2 {
			t.Fatalf("DeleteTag: %d contacts, %v; want 2", n, err)
		}
		_, err = s.Tag(ctx, tn.ID, vip.ID)
		wantCode(t, err, contactd.ENotFound, "Tag after DeleteTag")
		for _, c := range []*contactd.Contact{c1, c2} {
			got, err := s.Contact(ctx, tn.ID, c.ID)
			want, _ := contactd.ReplaceTag(c.Tags, "vip", "")
			if err != nil || !slices.Equal(got.Tags, want) || got.Version != 2 || !got.UpdatedAt.Equal(at) || got.UpdatedBy != "deleter" {
				t.Errorf("contact %s after DeleteTag: %+v, %v; want tags %v at version 2", c.ID, got, err, want)
			}
			chs := changes(t, s, tn.ID, c.ID)
			last := chs[len(chs)-1]
			if last.Type != "updated" || last.Version != 2 || string(last.Fields["tags"].New) != mustJSON(want) {
				t.Errorf("the delete's change of %s: %+v", c.ID, last)
			}
		}
		wantStored(t, s, tn.ID, c3)
		if got := listIDs(t, s, tn.ID, `{"tags":"vip"}`); len(got) != 0 {
			t.Errorf("contacts still tagged vip: %v", got)
		}
		if got := seqs(changes(t, s, tn.ID, "")); !slices.Equal(got, []int64{1, 2, 3, 4, 5}) {
			t.Errorf("change log seqs: %v, want 1..5", got)
		}
		_, err = s.DeleteTag(ctx, p)
		wantCode(t, err, contactd.ENotFound, "DeleteTag twice")
	})
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
