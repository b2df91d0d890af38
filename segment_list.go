package contactd

import (
	"context"
	"reflect"
)

// Segments are listed oldest first (in id order), by cursor.
var segmentList = &listKind[*Segment]{
	name:   "segments",
	fixed:  []SortKey{{Field: "id"}},
	value:  func(sg *Segment, _ string) string { return sg.ID },
	fields: jsonFields(reflect.TypeFor[Segment]()),
}

// SegmentListRequest asks for a page of segments, oldest first.
type SegmentListRequest struct {
	ListParams
	// Kind keeps one kind of segment: "static", "dynamic" or "" for both.
	Kind string
}

// Segments lists the tenant's segments. EInvalid, EForbidden.
func (s *Service) Segments(ctx context.Context, p Principal, r SegmentListRequest) (*Page[*Segment], error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	if r.Kind != "" && r.Kind != SegmentStatic && r.Kind != SegmentDynamic {
		return nil, invalidField(r.at("kind"), "must be static or dynamic")
	}
	l, err := startList(ctx, s, p, segmentList, r.ListParams, r.Kind, false)
	if err != nil {
		return nil, err
	}
	q := SegmentsParams{TenantID: p.TenantID, Kind: r.Kind, Limit: l.limit + 1}
	if l.after != nil {
		q.After = l.after[0]
	}
	data, err := s.store.Segments(ctx, q)
	if err != nil {
		return nil, err
	}
	return finishList(ctx, s, p, segmentList, l, data, func(int) (int, error) { return s.store.CountSegments(ctx, q) })
}

// SegmentContacts lists the contacts of a segment, with the conventions of
// ListContacts (whose filter, when given, narrows the list further).
// ENotFound, EInvalid, EForbidden.
func (s *Service) SegmentContacts(ctx context.Context, p Principal, id string, r ContactListRequest) (*Page[*Contact], error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	if _, err := s.segment(ctx, p, id); err != nil {
		return nil, err
	}
	return s.listContacts(ctx, p, r, "segment\x00"+id, fieldCond("segments", id))
}
