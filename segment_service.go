package contactd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/contactd/contactd/internal/filter"
)

// Segment returns one segment. ENotFound, EForbidden.
func (s *Service) Segment(ctx context.Context, p Principal, id string) (*Segment, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	return s.segment(ctx, p, id)
}

func (s *Service) segment(ctx context.Context, p Principal, id string) (*Segment, error) {
	return notFoundAs[*Segment]("segment", id)(s.store.Segment(ctx, p.TenantID, id))
}

// checkSegment validates and normalizes the given fields of a segment
// input; kind is the segment's kind and self its id ("" when new).
func (s *Service) checkSegment(ctx context.Context, p Principal, in *SegmentInput, kind, self string, create bool) error {
	var fe []FieldError
	if in.Name == nil && create {
		fe = append(fe, FieldError{Location: "name", Message: "is required"})
	}
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		in.Name = &n
		if c := utf8.RuneCountInString(n); !utf8.ValidString(n) || c < 1 || c > MaxSegmentName {
			fe = append(fe, FieldError{Location: "name", Message: "must be 1 to 128 characters"})
		}
	}
	if in.Description != nil {
		d := strings.TrimSpace(*in.Description)
		in.Description = &d
		if n := utf8.RuneCountInString(d); !utf8.ValidString(d) || n > MaxSegmentDescription {
			fe = append(fe, FieldError{Location: "description", Message: "must be at most 255 characters"})
		}
	}
	switch {
	case kind == SegmentStatic && in.Filter != nil:
		fe = append(fe, FieldError{Location: "filter", Message: "only a dynamic segment has a filter"})
	case kind == SegmentDynamic && in.Filter == nil && create:
		fe = append(fe, FieldError{Location: "filter", Message: "is required for a dynamic segment"})
	case kind == SegmentDynamic && in.Filter != nil:
		compact, err := s.checkSegmentFilter(ctx, p, in.Filter, self)
		if err != nil {
			return err
		}
		in.Filter = compact
	}
	if len(fe) > 0 {
		return invalid(fe)
	}
	return nil
}

// checkSegmentFilter validates the filter of a dynamic segment: it parses,
// and the dynamic segments it names exist and neither lead back to the
// segment (self, "" when new) nor nest too deeply. It returns the filter
// compacted.
func (s *Service) checkSegmentFilter(ctx context.Context, p Principal, raw json.RawMessage, self string) (json.RawMessage, error) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return nil, invalidField("filter", "must be a JSON object in the contact filter language")
	}
	node, err := parseFilter(ContactFilter, raw, "filter", p.Region)
	if err != nil {
		return nil, err
	}
	x := s.segmentExpander(s.segmentResolver(ctx, p), true)
	if _, err := x.Expand(node, self); err != nil {
		return nil, filterProblem(err, "filter")
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return nil, invalidField("filter", "is not valid JSON")
	}
	return b.Bytes(), nil
}

// segmentExpander returns the expander of contact filters' "segments"
// conditions (see filter.Expander), which reads the tenant's segments
// through r as it needs them. strict is set when a filter is saved.
func (s *Service) segmentExpander(r *segmentResolver, strict bool) *filter.Expander {
	f, _ := ContactFilter.Field("segments")
	return &filter.Expander{Field: f, Noun: "segment", Strict: strict, MaxDepth: maxSegmentNesting, MaxConds: maxSegmentConds, Resolver: r}
}

// segmentResolver resolves segment ids for a filter.Expander: a dynamic
// segment's filter is parsed from what was saved. It keeps what it has
// read for the request it serves.
type segmentResolver struct {
	s     *Service
	ctx   context.Context
	p     Principal
	known map[string]filter.Ref
}

func (s *Service) segmentResolver(ctx context.Context, p Principal) *segmentResolver {
	return &segmentResolver{s: s, ctx: ctx, p: p, known: map[string]filter.Ref{}}
}

func (r *segmentResolver) ref(sg *Segment) filter.Ref {
	if ref, ok := r.known[sg.ID]; ok {
		return ref
	}
	ref := filter.Ref{Dynamic: sg.Kind == SegmentDynamic}
	if ref.Dynamic {
		n, err := ContactFilter.Parse(sg.Filter, filter.Options{Region: r.p.Region})
		if err != nil {
			// Saved filters are valid; one that no longer parses matches
			// nobody rather than failing every list that names it.
			r.s.log.Warn("segment filter does not parse", "tenant", r.p.TenantID, "segment", sg.ID, "err", err)
		}
		ref.Filter = n
	}
	r.known[sg.ID] = ref
	return ref
}

// Refs implements filter.Resolver.
func (r *segmentResolver) Refs(ids []string) (map[string]filter.Ref, error) {
	out := make(map[string]filter.Ref, len(ids))
	var unknown []string
	for _, id := range ids {
		if ref, ok := r.known[id]; ok {
			out[id] = ref
		} else {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) == 0 {
		return out, nil
	}
	sgs, err := r.s.store.SegmentsByID(r.ctx, r.p.TenantID, unknown)
	if err != nil {
		return nil, err
	}
	for _, sg := range sgs {
		out[sg.ID] = r.ref(sg)
	}
	return out, nil
}

// dynamic returns the tenant's dynamic segments, keeping their filters.
func (r *segmentResolver) dynamic() ([]*Segment, error) {
	sgs, err := r.s.store.Segments(r.ctx, SegmentsParams{TenantID: r.p.TenantID, Kind: SegmentDynamic, Limit: maxDynamicSegments})
	for _, sg := range sgs {
		r.ref(sg)
	}
	return sgs, err
}

// Dynamic implements filter.Resolver.
func (r *segmentResolver) Dynamic() (map[string]filter.Ref, error) {
	sgs, err := r.dynamic()
	if err != nil {
		return nil, err
	}
	out := make(map[string]filter.Ref, len(sgs))
	for _, sg := range sgs {
		out[sg.ID] = r.ref(sg)
	}
	return out, nil
}

// expandSegments rewrites the conditions of a contact filter on
// "segments" so that a dynamic segment's id stands for its filter, down to
// a bounded depth (see filter.Expander); loc locates the filter for errors.
func (s *Service) expandSegments(ctx context.Context, p Principal, n filter.Node, loc string) (filter.Node, error) {
	if !filter.Uses(n, "segments") {
		return n, nil
	}
	n, err := s.segmentExpander(s.segmentResolver(ctx, p), false).Expand(n, "")
	if err != nil {
		return nil, filterProblem(err, loc)
	}
	return n, nil
}

// segmentsOfPage returns the segments each contact of a page is a member
// of, as segmentsOf does, asking each dynamic segment once for the page.
func (s *Service) segmentsOfPage(ctx context.Context, p Principal, cs []*Contact) ([][]*Segment, error) {
	out := make([][]*Segment, len(cs))
	at := make(map[string]int, len(cs))
	ids := make([]any, len(cs))
	for i, c := range cs {
		static, err := s.store.SegmentsOfContact(ctx, p.TenantID, c.ID)
		if err != nil {
			return nil, err
		}
		out[i], at[c.ID], ids[i] = static, i, c.ID
	}
	if len(cs) == 0 {
		return out, nil
	}
	r := s.segmentResolver(ctx, p)
	dyn, err := r.dynamic()
	if err != nil {
		return nil, err
	}
	x := s.segmentExpander(r, false)
	idField, _ := ContactFilter.Field("id")
	onPage := &filter.Cond{Field: idField, Op: filter.OpIn, Values: ids}
	for _, sg := range dyn {
		node, err := x.Member(sg.ID)
		var fe *filter.Error
		if errors.As(err, &fe) {
			// Grown past the bounds since it was saved: it matches nobody.
			s.log.Warn("segment filter too large to evaluate", "tenant", p.TenantID, "segment", sg.ID, "err", err)
			continue
		}
		if err != nil {
			return nil, err
		}
		members, _, err := s.store.ListContacts(ctx, ContactQuery{Query: Query{TenantID: p.TenantID, Filter: and(onPage, node),
			Sort: []SortKey{{Field: "id"}}, Limit: len(cs)}, IncludeDeleted: true})
		if err != nil {
			return nil, err
		}
		for _, m := range members {
			if i, ok := at[m.ID]; ok {
				out[i] = append(out[i], sg)
			}
		}
	}
	for i := range out {
		slices.SortFunc(out[i], func(a, b *Segment) int { return strings.Compare(a.ID, b.ID) })
		if out[i] == nil {
			out[i] = []*Segment{}
		}
	}
	return out, nil
}

// segmentsOf returns the segments a contact is a member of: the static
// segments holding it and the dynamic segments whose filter matches it.
func (s *Service) segmentsOf(ctx context.Context, p Principal, c *Contact) ([]*Segment, error) {
	segs, err := s.segmentsOfPage(ctx, p, []*Contact{c})
	if err != nil {
		return nil, err
	}
	return segs[0], nil
}

// CreateSegment creates a static or dynamic segment; without a kind, one
// with a filter is dynamic and any other static. A static segment may
// come with its first members (contactIds), added as AddSegmentMembers
// adds them: an id that names no live contact is a 400, and then no
// segment is made. EInvalid, EForbidden.
func (s *Service) CreateSegment(ctx context.Context, p Principal, in *SegmentInput) (*Segment, error) {
	if err := p.require(ScopeWrite); err != nil {
		return nil, err
	}
	kind := SegmentStatic
	switch {
	case in.Kind != nil:
		kind = strings.TrimSpace(*in.Kind)
	case in.Filter != nil && !isNull(in.Filter):
		kind = SegmentDynamic
	}
	if kind != SegmentStatic && kind != SegmentDynamic {
		return nil, invalidField("kind", "must be static or dynamic")
	}
	if kind == SegmentDynamic && in.ContactIDs != nil {
		return nil, invalidField("contactIds", "a dynamic segment's members are the contacts its filter matches; give contactIds to a static segment")
	}
	if err := s.checkSegment(ctx, p, in, kind, "", true); err != nil {
		return nil, err
	}
	now := s.now()
	sg := &Segment{TenantID: p.TenantID, ID: NewID(PrefixSegment), Name: *in.Name, Kind: kind, Filter: in.Filter, CreatedAt: now, UpdatedAt: now}
	if in.Description != nil {
		sg.Description = *in.Description
	}
	if kind == SegmentStatic {
		zero := 0
		sg.MemberCount = &zero
	}
	if err := s.store.CreateSegment(ctx, sg); err != nil {
		return nil, err
	}
	if len(in.ContactIDs) > 0 {
		withMembers, err := s.changeMembers(ctx, p, sg.ID, in.ContactIDs, true)
		if err != nil {
			if derr := s.store.DeleteSegment(context.WithoutCancel(ctx), p.TenantID, sg.ID); derr != nil {
				s.log.Error("segment create: undo", "tenant", p.TenantID, "segment", sg.ID, "err", derr)
			}
			return nil, err
		}
		return withMembers, nil
	}
	return sg, nil
}

// UpdateSegment changes a segment's name, description or (dynamic) filter;
// its kind is fixed. EInvalid, ENotFound, EForbidden.
func (s *Service) UpdateSegment(ctx context.Context, p Principal, id string, in *SegmentInput) (*Segment, error) {
	if err := p.require(ScopeWrite); err != nil {
		return nil, err
	}
	cur, err := s.segment(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if in.Kind != nil && strings.TrimSpace(*in.Kind) != cur.Kind {
		return nil, invalidField("kind", "is fixed when the segment is created (this one is %s)", cur.Kind)
	}
	if err := checkReadOnly(cur, in.ReadOnly); err != nil {
		return nil, err
	}
	if err := s.checkSegment(ctx, p, in, cur.Kind, id, false); err != nil {
		return nil, err
	}
	if in.Name == nil && in.Description == nil && in.Filter == nil {
		return cur, nil
	}
	return notFoundAs[*Segment]("segment", id)(s.store.UpdateSegment(ctx, UpdateSegmentParams{TenantID: p.TenantID, ID: id,
		Name: in.Name, Description: in.Description, Filter: in.Filter, At: s.now()}))
}

// DeleteSegment deletes a segment; its contacts are not touched.
// ENotFound, EForbidden.
func (s *Service) DeleteSegment(ctx context.Context, p Principal, id string) error {
	if err := p.require(ScopeDelete); err != nil {
		return err
	}
	_, err := notFoundAs[any]("segment", id)(nil, s.store.DeleteSegment(ctx, p.TenantID, id))
	return err
}

// AddSegmentMembers adds up to MaxSegmentMembers live contacts to a static
// segment; ids that are already members are ignored. An id that names no
// live contact of the tenant (another tenant's contact included) is a 400
// naming it, and then nobody is added. EInvalid, ENotFound, EForbidden.
func (s *Service) AddSegmentMembers(ctx context.Context, p Principal, id string, contactIDs []string) (*Segment, error) {
	return s.changeMembers(ctx, p, id, contactIDs, true)
}

// RemoveSegmentMembers removes up to MaxSegmentMembers contacts from a
// static segment; contacts that are not members are ignored, ids that name
// no contact of the tenant are a 400 naming them. EInvalid, ENotFound, EForbidden.
func (s *Service) RemoveSegmentMembers(ctx context.Context, p Principal, id string, contactIDs []string) (*Segment, error) {
	return s.changeMembers(ctx, p, id, contactIDs, false)
}

func (s *Service) changeMembers(ctx context.Context, p Principal, id string, contactIDs []string, add bool) (*Segment, error) {
	if err := p.require(ScopeWrite); err != nil {
		return nil, err
	}
	sg, err := s.segment(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if sg.Kind != SegmentStatic {
		return nil, invalidField("contactIds", "segment %s is dynamic: its members are the contacts its filter matches", id)
	}
	if len(contactIDs) > MaxSegmentMembers {
		return nil, invalidField("contactIds", "must have at most %d ids (got %d)", MaxSegmentMembers, len(contactIDs))
	}
	var fe []FieldError
	var ids []string
	first := map[string]int{}
	for i, c := range contactIDs {
		if c == "" {
			fe = append(fe, FieldError{Location: "contactIds[" + strconv.Itoa(i) + "]", Message: "must be a contact id"})
			continue
		}
		if _, dup := first[c]; !dup {
			first[c] = i
			ids = append(ids, c)
		}
	}
	if len(fe) > 0 {
		return nil, invalid(fe)
	}
	if len(ids) == 0 {
		return sg, nil
	}
	mp := SegmentMembersParams{TenantID: p.TenantID, SegmentID: id, ContactIDs: ids, At: s.now()}
	var missing []string
	if add {
		missing, err = s.store.AddSegmentMembers(ctx, mp)
	} else {
		missing, err = s.store.RemoveSegmentMembers(ctx, mp)
	}
	if missing, err = notFoundAs[[]string]("segment", id)(missing, err); err != nil {
		return nil, err
	}
	if len(missing) > 0 {
		msg := "is not a contact of this tenant"
		if add {
			msg = "is not a live contact of this tenant"
		}
		for _, m := range missing {
			fe = append(fe, FieldError{Location: "contactIds[" + strconv.Itoa(first[m]) + "]", Message: msg, Value: m})
		}
		return nil, invalid(fe)
	}
	return s.segment(ctx, p, id)
}
