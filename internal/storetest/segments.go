package storetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/contactd/contactd"
)

func newSegment(tenantID, name, kind string, filter string) *contactd.Segment {
	at := now()
	sg := &contactd.Segment{TenantID: tenantID, ID: contactd.NewID(contactd.PrefixSegment), Name: name, Kind: kind, CreatedAt: at, UpdatedAt: at}
	if filter != "" {
		sg.Filter = json.RawMessage(filter)
	}
	return sg
}

func mustCreateSegment(t *testing.T, s contactd.Store, sg *contactd.Segment) *contactd.Segment {
	t.Helper()
	if err := s.CreateSegment(t.Context(), sg); err != nil {
		t.Fatalf("CreateSegment(%s): %v", sg.Name, err)
	}
	return sg
}

// sameSegment reports an error unless got is want, with the given member
// count (-1 for none).
func sameSegment(t *testing.T, got, want *contactd.Segment, members int, what string) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: got no segment, want %s", what, want.ID)
		return
	}
	if got.ID != want.ID || got.Name != want.Name || got.Description != want.Description || got.Kind != want.Kind ||
		!jsonEqual(got.Filter, want.Filter) || !got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Errorf("%s: got segment %+v, want %+v", what, got, want)
	}
	switch {
	case members < 0 && got.MemberCount != nil:
		t.Errorf("%s: got member count %d, want none", what, *got.MemberCount)
	case members >= 0 && (got.MemberCount == nil || *got.MemberCount != members):
		t.Errorf("%s: got member count %v, want %d", what, got.MemberCount, members)
	}
}

func segmentIDs(sgs []*contactd.Segment) []string {
	out := []string{}
	for _, sg := range sgs {
		out = append(out, sg.ID)
	}
	return out
}

func testSegments(t *testing.T, b Backend) {
	t.Run("CRUD", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ctx := t.Context()
		tn, other := newTenant(t, s), newTenant(t, s)
		st := newSegment(tn.ID, "Newsletter", contactd.SegmentStatic, "")
		st.Description = "Monthly"
		mustCreateSegment(t, s, st)
		dyn := mustCreateSegment(t, s, newSegment(tn.ID, "Gold", contactd.SegmentDynamic, `{"properties.tier":"gold"}`))
		st2 := mustCreateSegment(t, s, newSegment(tn.ID, "Second", contactd.SegmentStatic, ""))
		mustCreateSegment(t, s, newSegment(other.ID, "Theirs", contactd.SegmentStatic, ""))

		got, err := s.Segment(ctx, tn.ID, st.ID)
		if err != nil {
			t.Fatalf("Segment: %v", err)
		}
		sameSegment(t, got, st, 0, "Segment (static)")
		got, err = s.Segment(ctx, tn.ID, dyn.ID)
		if err != nil {
			t.Fatalf("Segment: %v", err)
		}
		sameSegment(t, got, dyn, -1, "Segment (dynamic)")
		_, err = s.Segment(ctx, other.ID, st.ID)
		wantCode(t, err, contactd.ENotFound, "Segment of another tenant")

		for _, tt := range []struct {
			p     contactd.SegmentsParams
			want  []string
			count int
		}{
			{contactd.SegmentsParams{Limit: 10}, []string{st.ID, dyn.ID, st2.ID}, 3},
			{contactd.SegmentsParams{Limit: 1, After: st.ID}, []string{dyn.ID}, 3},
			{contactd.SegmentsParams{Limit: 10, Kind: contactd.SegmentStatic}, []string{st.ID, st2.ID}, 2},
			{contactd.SegmentsParams{Limit: 10, Kind: contactd.SegmentDynamic}, []string{dyn.ID}, 1},
		} {
			tt.p.TenantID = tn.ID
			sgs, err := s.Segments(ctx, tt.p)
			if err != nil || !slices.Equal(segmentIDs(sgs), tt.want) {
				t.Errorf("Segments(%+v): got %v, %v; want %v", tt.p, segmentIDs(sgs), err, tt.want)
			}
			if n, err := s.CountSegments(ctx, tt.p); err != nil || n != tt.count {
				t.Errorf("CountSegments(%+v): got %d, %v; want %d", tt.p, n, err, tt.count)
			}
		}
		sgs, err := s.SegmentsByID(ctx, tn.ID, []string{st2.ID, dyn.ID, "seg_unknown"})
		if err != nil || !slices.Equal(segmentIDs(sgs), []string{dyn.ID, st2.ID}) {
			t.Errorf("SegmentsByID: got %v, %v", segmentIDs(sgs), err)
		} else if sgs[0].Kind != contactd.SegmentDynamic || !jsonEqual(sgs[0].Filter, dyn.Filter) {
			t.Errorf("SegmentsByID: got %+v, want %+v", sgs[0], dyn)
		}

		name, desc := "Platinum", ""
		at := now().Add(time.Second)
		upd, err := s.UpdateSegment(ctx, contactd.UpdateSegmentParams{TenantID: tn.ID, ID: dyn.ID, Name: &name, Description: &desc,
			Filter: json.RawMessage(`{"properties.tier":"platinum"}`), At: at})
		if err != nil {
			t.Fatalf("UpdateSegment: %v", err)
		}
		want := *dyn
		want.Name, want.Filter, want.UpdatedAt = name, json.RawMessage(`{"properties.tier":"platinum"}`), at
		sameSegment(t, upd, &want, -1, "UpdateSegment")
		name = "Renamed"
		upd, err = s.UpdateSegment(ctx, contactd.UpdateSegmentParams{TenantID: tn.ID, ID: st.ID, Name: &name, At: at})
		want = *st
		want.Name, want.UpdatedAt = name, at
		if err != nil {
			t.Fatalf("UpdateSegment: %v", err)
		}
		sameSegment(t, upd, &want, 0, "UpdateSegment of the name alone")
		_, err = s.UpdateSegment(ctx, contactd.UpdateSegmentParams{TenantID: other.ID, ID: st.ID, Name: &name, At: at})
		wantCode(t, err, contactd.ENotFound, "UpdateSegment of another tenant's segment")

		wantCode(t, s.DeleteSegment(ctx, other.ID, st.ID), contactd.ENotFound, "DeleteSegment of another tenant's segment")
		wantCode(t, s.DeleteSegment(ctx, tn.ID, st.ID), "", "DeleteSegment")
		_, err = s.Segment(ctx, tn.ID, st.ID)
		wantCode(t, err, contactd.ENotFound, "Segment after DeleteSegment")
		wantCode(t, s.DeleteSegment(ctx, tn.ID, st.ID), contactd.ENotFound, "DeleteSegment twice")
	})

	t.Run("Members", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ctx := t.Context()
		tn, other := newTenant(t, s), newTenant(t, s)
		sg := mustCreateSegment(t, s, newSegment(tn.ID, "Static", contactd.SegmentStatic, ""))
		dyn := mustCreateSegment(t, s, newSegment(tn.ID, "Dynamic", contactd.SegmentDynamic, `{"status":"x"}`))
		var cs []*contactd.Contact
		for range 4 {
			c := newContact()
			mustWrite(t, s, tn.ID, c, 0)
			cs = append(cs, c)
		}
		gone := softDeleted(cs[3])
		mustWrite(t, s, tn.ID, gone, 1)
		theirs := newContact()
		mustWrite(t, s, other.ID, theirs, 0)

		count := func(want int, what string) {
			t.Helper()
			got, err := s.Segment(ctx, tn.ID, sg.ID)
			if err != nil || got.MemberCount == nil || *got.MemberCount != want {
				t.Errorf("%s: member count %v, %v; want %d", what, got.MemberCount, err, want)
			}
		}
		members := func(ids ...string) contactd.SegmentMembersParams {
			return contactd.SegmentMembersParams{TenantID: tn.ID, SegmentID: sg.ID, ContactIDs: ids, At: now()}
		}
		missing, err := s.AddSegmentMembers(ctx, members(cs[0].ID, cs[1].ID))
		if err != nil || missing != nil {
			t.Fatalf("AddSegmentMembers: %v, %v", missing, err)
		}
		count(2, "after adding two")
		missing, err = s.AddSegmentMembers(ctx, members(cs[1].ID, cs[2].ID))
		if err != nil || missing != nil {
			t.Fatalf("AddSegmentMembers with a member: %v, %v", missing, err)
		}
		count(3, "after adding a member again and another")
		// Unknown ids, another tenant's contacts and deleted contacts are
		// named, and then nobody is added.
		fresh := newContact()
		mustWrite(t, s, tn.ID, fresh, 0)
		missing, err = s.AddSegmentMembers(ctx, members(fresh.ID, "ct_nobody", theirs.ID, gone.ID))
		if err != nil || !slices.Equal(missing, []string{"ct_nobody", theirs.ID, gone.ID}) {
			t.Errorf("AddSegmentMembers with strangers: missing %v, %v", missing, err)
		}
		count(3, "after a refused add")
		if got := listIDs(t, s, tn.ID, `{"segments":"`+sg.ID+`"}`); !slices.Equal(got, sortedIDs(cs[0], cs[1], cs[2])) {
			t.Errorf("contacts in the segment: got %v", got)
		}
		sgs, err := s.SegmentsOfContact(ctx, tn.ID, cs[1].ID)
		if err != nil || !slices.Equal(segmentIDs(sgs), []string{sg.ID}) || sgs[0].MemberCount == nil || *sgs[0].MemberCount != 3 {
			t.Errorf("SegmentsOfContact: %v, %v", segmentIDs(sgs), err)
		}
		if sgs, err := s.SegmentsOfContact(ctx, other.ID, cs[1].ID); err != nil || len(sgs) != 0 {
			t.Errorf("SegmentsOfContact in another tenant: %v, %v", segmentIDs(sgs), err)
		}

		// A member soft-deleted is not counted; erased, it is no member.
		mustWrite(t, s, tn.ID, softDeleted(cs[2]), 1)
		count(2, "after soft-deleting a member")
		if err := s.EraseContact(ctx, tn.ID, cs[0].ID, erasedChange(tn.ID, cs[0])); err != nil {
			t.Fatal(err)
		}
		count(1, "after erasing a member")
		if got := listIDs(t, s, tn.ID, `{"segments":"`+sg.ID+`"}`); !slices.Equal(got, sortedIDs(cs[1], cs[2])) {
			t.Errorf("contacts in the segment, deleted ones included: got %v", got)
		}

		missing, err = s.RemoveSegmentMembers(ctx, members(cs[2].ID, "ct_nobody"))
		if err != nil || !slices.Equal(missing, []string{"ct_nobody"}) {
			t.Errorf("RemoveSegmentMembers with a stranger: missing %v, %v", missing, err)
		}
		missing, err = s.RemoveSegmentMembers(ctx, members(cs[2].ID, fresh.ID))
		if err != nil || missing != nil {
			t.Errorf("RemoveSegmentMembers: missing %v, %v", missing, err)
		}
		if got := listIDs(t, s, tn.ID, `{"segments":"`+sg.ID+`"}`); !slices.Equal(got, sortedIDs(cs[1])) {
			t.Errorf("contacts in the segment after removing: got %v", got)
		}

		_, err = s.AddSegmentMembers(ctx, contactd.SegmentMembersParams{TenantID: tn.ID, SegmentID: dyn.ID, ContactIDs: []string{cs[1].ID}, At: now()})
		wantCode(t, err, contactd.ENotFound, "AddSegmentMembers of a dynamic segment")
		_, err = s.AddSegmentMembers(ctx, contactd.SegmentMembersParams{TenantID: other.ID, SegmentID: sg.ID, ContactIDs: []string{theirs.ID}, At: now()})
		wantCode(t, err, contactd.ENotFound, "AddSegmentMembers of another tenant's segment")

		if err := s.DeleteSegment(ctx, tn.ID, sg.ID); err != nil {
			t.Fatal(err)
		}
		if sgs, err := s.SegmentsOfContact(ctx, tn.ID, cs[1].ID); err != nil || len(sgs) != 0 {
			t.Errorf("SegmentsOfContact after DeleteSegment: %v, %v", segmentIDs(sgs), err)
		}
		if got := listIDs(t, s, tn.ID, `{"segments":"`+sg.ID+`"}`); len(got) != 0 {
			t.Errorf("contacts in a deleted segment: %v", got)
		}
	})
}
