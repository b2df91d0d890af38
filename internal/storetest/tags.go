package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"testing"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/filter"
	"github.com/contactd/contactd/internal/sqlq"
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
	node, err := filter.Parse([]byte(doc), filter.Options{})
	if err != nil {
		t.Fatalf("filter %s: %v", doc, err)
	}
	cs, err := s.ListContacts(t.Context(), sqlq.ListQuery{TenantID: tenantID, Filter: node, IncludeDeleted: true,
		Sort: []sqlq.SortKey{{Field: "id"}}, Limit: 1000})
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

// tagsChange is the change a tag rename or delete leaves on a contact.
func tagsChange(c *contactd.Contact, before, after []string, seq int64, actor string, p contactd.UpdateTagParams) contactd.Change {
	old, _ := json.Marshal(before)
	nw, _ := json.Marshal(after)
	return contactd.Change{Seq: seq, Type: "updated", ContactID: c.ID, Version: c.Version + 1, Actor: actor, At: p.At,
		Fields: map[string]contactd.FieldChange{"tags": {Old: old, New: nw}}}
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

	t.Run("EnsureTags", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ctx := t.Context()
		tn, other := newTenant(t, s), newTenant(t, s)
		mustCreateTag(t, s, tn.ID, "VIP")
		ensure := func(tenantID string, names ...string) []string {
			t.Helper()
			in := make([]*contactd.Tag, len(names))
			for i, n := range names {
				in[i] = newTag(tenantID, n)
			}
			got, err := s.EnsureTags(ctx, tenantID, in)
			if err != nil {
				t.Fatalf("EnsureTags(%v): %v", names, err)
			}
			return got
		}
		if got, want := ensure(tn.ID, "vip", "New"), []string{"VIP", "New"}; !slices.Equal(got, want) {
			t.Errorf("EnsureTags: got %v, want %v", got, want)
		}
		if got, want := ensure(tn.ID, "NEW", "Vip", "third"), []string{"New", "VIP", "third"}; !slices.Equal(got, want) {
			t.Errorf("EnsureTags again: got %v, want %v", got, want)
		}
		if got, want := ensure(other.ID, "vip"), []string{"vip"}; !slices.Equal(got, want) {
			t.Errorf("EnsureTags in another tenant: got %v, want %v", got, want)
		}
		if n, err := s.CountTags(ctx, contactd.TagsParams{TenantID: tn.ID}); err != nil || n != 3 {
			t.Errorf("CountTags after EnsureTags: got %d, %v; want 3", n, err)
		}
	})

	t.Run("EnsureTagsConcurrently", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		tn := newTenant(t, s)
		errs := make(chan error, 8)
		got := make(chan string, 8)
		for i := range 8 {
			go func() {
				names, err := s.EnsureTags(t.Context(), tn.ID, []*contactd.Tag{newTag(tn.ID, fmt.Sprintf("Race%c", 'A'+i%2*('a'-'A')))})
				if err == nil {
					got <- names[0]
				}
				errs <- err
			}()
		}
		var spelled []string
		for range 8 {
			if err := <-errs; err != nil {
				t.Errorf("EnsureTags: %v", err)
				continue
			}
			spelled = append(spelled, <-got)
		}
		if slices.Sort(spelled); len(spelled) > 0 && spelled[0] != spelled[len(spelled)-1] {
			t.Errorf("concurrent EnsureTags of one name in two spellings answered %v, want one spelling", spelled)
		}
		if n, err := s.CountTags(t.Context(), contactd.TagsParams{TenantID: tn.ID}); err != nil || n != 1 {
			t.Errorf("CountTags: got %d, %v; want 1", n, err)
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
		_, _, err := s.UpdateTag(ctx, contactd.UpdateTagParams{TenantID: tn.ID, ID: vip.ID, Name: &name, Actor: "renamer", At: now()})
		wantConflict(t, err, gold.ID, "name", "UpdateTag to another tag's name")
		wantSeqs(t, s, tn.ID, c1.ID, 1)

		name = "Premium"
		p := contactd.UpdateTagParams{TenantID: tn.ID, ID: vip.ID, Name: &name, Actor: "renamer", At: now()}
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
		if _, n, err := s.UpdateTag(ctx, contactd.UpdateTagParams{TenantID: tn.ID, ID: vip.ID, Name: &name, Actor: "renamer", At: now()}); err != nil || n != 3 {
			t.Errorf("UpdateTag to a new spelling: %d contacts, %v; want 3", n, err)
		}
		if c, err := s.Contact(ctx, tn.ID, c2.ID); err != nil || !slices.Equal(c.Tags, []string{"customer", "PREMIUM"}) || c.Version != 3 {
			t.Errorf("contact after the new spelling: %+v, %v", c, err)
		}
		color, desc := "#00FF00", "green"
		got, n, err = s.UpdateTag(ctx, contactd.UpdateTagParams{TenantID: tn.ID, ID: vip.ID, Color: &color, Description: &desc, Actor: "renamer", At: now()})
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
		_, err := s.DeleteTag(ctx, contactd.DeleteTagParams{TenantID: other.ID, ID: vip.ID, At: now()})
		wantCode(t, err, contactd.ENotFound, "DeleteTag of another tenant's tag")

		p := contactd.DeleteTagParams{TenantID: tn.ID, ID: vip.ID, Actor: "deleter", At: now()}
		n, err := s.DeleteTag(ctx, p)
		if err != nil || n != 2 {
			t.Fatalf("DeleteTag: %d contacts, %v; want 2", n, err)
		}
		_, err = s.Tag(ctx, tn.ID, vip.ID)
		wantCode(t, err, contactd.ENotFound, "Tag after DeleteTag")
		for _, c := range []*contactd.Contact{c1, c2} {
			got, err := s.Contact(ctx, tn.ID, c.ID)
			want, _ := contactd.ReplaceTag(c.Tags, "vip", "")
			if err != nil || !slices.Equal(got.Tags, want) || got.Version != 2 || !got.UpdatedAt.Equal(p.At) || got.UpdatedBy != "deleter" {
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
