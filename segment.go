package contactd

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/contactd/contactd/internal/filter"
	"github.com/contactd/contactd/internal/sqlq"
)

// PrefixSegment is the id prefix of segments.
const PrefixSegment = "seg_"

// Segment kinds.
const (
	// SegmentStatic has members added and removed explicitly.
	SegmentStatic = "static"
	// SegmentDynamic has as members the contacts its filter matches, at
	// the time it is read.
	SegmentDynamic = "dynamic"
)

// Segment limits.
const (
	MaxSegmentName        = 128
	MaxSegmentDescription = 255
	// MaxSegmentMembers is the most contact ids one membership call takes.
	MaxSegmentMembers = 1000
	// maxSegmentNesting bounds how deep dynamic segments may refer to
	// dynamic segments in their filters.
	maxSegmentNesting = 4
	// maxSegmentConds bounds the conditions a filter may grow to once its
	// dynamic segments are replaced by their filters.
	maxSegmentConds = 1000
	// maxDynamicSegments bounds the dynamic segments a tenant's
	// "segments $exists" filter and expand=segments consider.
	maxDynamicSegments = 1000
)

// Segment is a named set of a tenant's contacts: static (members added and
// removed explicitly) or dynamic (the contacts a filter matches when read).
type Segment struct {
	TenantID    string `json:"-"`
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Kind        string `json:"kind" doc:"static or dynamic, fixed at creation."`
	// Filter is the filter of a dynamic segment, in the contact filter
	// language.
	Filter json.RawMessage `json:"filter,omitempty" doc:"A dynamic segment's filter, in the language of GET /v1/contacts."`
	// MemberCount counts the live members of a static segment.
	MemberCount *int      `json:"memberCount,omitempty" doc:"A static segment's live (not deleted) members."`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// MarshalJSON writes the segment with its timestamps in TimeFormat.
func (sg Segment) MarshalJSON() ([]byte, error) {
	type plain Segment
	return json.Marshal(struct {
		plain
		CreatedAt jsonTime `json:"createdAt"`
		UpdatedAt jsonTime `json:"updatedAt"`
	}{plain(sg), jsonTime(sg.CreatedAt), jsonTime(sg.UpdatedAt)})
}

// SegmentStore is the part of the Store that keeps segments.
type SegmentStore interface {
	// CreateSegment inserts a segment of sg.TenantID.
	CreateSegment(ctx context.Context, sg *Segment) error
	// Segment returns a segment by id, a static one with its MemberCount.
	// ENotFound.
	Segment(ctx context.Context, tenantID, id string) (*Segment, error)
	// Segments returns up to p.Limit segments in id order after p.After,
	// static ones with their MemberCount.
	Segments(ctx context.Context, p SegmentsParams) ([]*Segment, error)
	// CountSegments counts the segments of a list, ignoring After and Limit.
	CountSegments(ctx context.Context, p SegmentsParams) (int, error)
	// SegmentsByID returns the segments among ids that exist, without
	// MemberCount, in id order.
	SegmentsByID(ctx context.Context, tenantID string, ids []string) ([]*Segment, error)
	// SegmentsOfContact returns the static segments a contact is a member
	// of, with their MemberCount, in id order.
	SegmentsOfContact(ctx context.Context, tenantID, contactID string) ([]*Segment, error)
	// UpdateSegment changes a segment's given fields and UpdatedAt and
	// returns it. ENotFound.
	UpdateSegment(ctx context.Context, p UpdateSegmentParams) (*Segment, error)
	// DeleteSegment deletes a segment and its memberships. ENotFound.
	DeleteSegment(ctx context.Context, tenantID, id string) error
	// AddSegmentMembers makes contacts members of a static segment (those
	// already members stay so) and sets its UpdatedAt. When some ids name
	// no live contact of the tenant it writes nothing and returns them.
	// ENotFound (segment).
	AddSegmentMembers(ctx context.Context, p SegmentMembersParams) (missing []string, err error)
	// RemoveSegmentMembers ends the membership of contacts in a static
	// segment and sets its UpdatedAt. When some ids name no contact of the
	// tenant (deleted or not) it writes nothing and returns them.
	// ENotFound (segment).
	RemoveSegmentMembers(ctx context.Context, p SegmentMembersParams) (missing []string, err error)
}

// SegmentsParams selects a page of segments.
type SegmentsParams struct {
	TenantID string
	// Kind keeps the segments of one kind; "" keeps all.
	Kind string
	// After is the id of the previous page's last segment.
	After string
	Limit int
}

// UpdateSegmentParams is the input of SegmentStore.UpdateSegment. Nil
// fields are left as they are.
type UpdateSegmentParams struct {
	TenantID, ID      string
	Name, Description *string
	Filter            json.RawMessage
	At                time.Time
}

// SegmentMembersParams is the input of the membership methods.
type SegmentMembersParams struct {
	TenantID, SegmentID string
	ContactIDs          []string
	At                  time.Time
}

// SegmentInput is a segment as a client writes it; nil fields are absent.
type SegmentInput struct {
	Name, Description, Kind *string
	// Filter is the filter document of a dynamic segment (nil: absent).
	Filter json.RawMessage
	// ReadOnly holds the read-only fields sent (id, memberCount, createdAt,
	// updatedAt): ignored on create, and on update when unchanged.
	ReadOnly map[string]json.RawMessage
}

// SegmentPage is one page of segments.
type SegmentPage struct {
	Data       []*Segment `json:"data"`
	NextCursor *string    `json:"nextCursor"`
	Total      *int       `json:"total,omitempty"`
	Limit      int        `json:"limit"`
}

// SegmentListRequest asks for a page of segments, oldest first.
type SegmentListRequest struct {
	// Kind keeps one kind of segment: "static", "dynamic" or "" for both.
	Kind    string
	Limit   int
	Cursor  string
	NoCount bool
}

// Segments lists the tenant's segments. EInvalid, EForbidden.
func (s *Service) Segments(ctx context.Context, p Principal, r SegmentListRequest) (*SegmentPage, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	limit, err := checkLimit(r.Limit)
	if err != nil {
		return nil, err
	}
	if r.Kind != "" && r.Kind != SegmentStatic && r.Kind != SegmentDynamic {
		return nil, invalidField("query.kind", "must be static or dynamic")
	}
	q := SegmentsParams{TenantID: p.TenantID, Kind: r.Kind, Limit: limit + 1}
	if r.Cursor != "" {
		if q.After, err = decodeKeyCursor("seg", r.Cursor); err != nil {
			return nil, err
		}
	}
	sgs, err := s.store.Segments(ctx, q)
	if err != nil {
		return nil, err
	}
	page := &SegmentPage{Data: sgs, Limit: limit}
	if len(sgs) > limit {
		page.Data = sgs[:limit]
		c := encodeKeyCursor("seg", page.Data[limit-1].ID)
		page.NextCursor = &c
	}
	if page.Data == nil {
		page.Data = []*Segment{}
	}
	if !r.NoCount {
		n, err := s.store.CountSegments(ctx, q)
		if err != nil {
			return nil, err
		}
		page.Total = &n
	}
	return page, nil
}

// Segment returns one segment. ENotFound, EForbidden.
func (s *Service) Segment(ctx context.Context, p Principal, id string) (*Segment, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	return s.segment(ctx, p, id)
}

func (s *Service) segment(ctx context.Context, p Principal, id string) (*Segment, error) {
	sg, err := s.store.Segment(ctx, p.TenantID, id)
	if ErrorCodeOf(err) == ENotFound {
		return nil, Errorf(ENotFound, "segment %q not found", id)
	}
	return sg, err
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
// and the dynamic segments it names neither lead back to the segment nor
// nest too deeply. It returns the filter compacted.
func (s *Service) checkSegmentFilter(ctx context.Context, p Principal, raw json.RawMessage, self string) (json.RawMessage, error) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return nil, invalidField("filter", "must be a JSON object in the contact filter language")
	}
	node, err := filter.Parse(raw, filter.Options{Region: p.Region})
	if err != nil {
		return nil, filterProblem(err, "filter")
	}
	x := &segmentExpander{s: s, ctx: ctx, p: p, strict: true, loc: "filter", segs: map[string]*Segment{}, parsed: map[string]filter.Node{}}
	var visiting []string
	if self != "" {
		visiting = []string{self}
	}
	if _, err := x.expand(node, 0, visiting); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return nil, invalidField("filter", "is not valid JSON")
	}
	return b.Bytes(), nil
}

// CreateSegment creates a static or dynamic segment. EInvalid, EForbidden.
func (s *Service) CreateSegment(ctx context.Context, p Principal, in SegmentInput) (*Segment, error) {
	if err := p.require(ScopeWrite); err != nil {
		return nil, err
	}
	kind := SegmentStatic
	if in.Kind != nil {
		kind = strings.TrimSpace(*in.Kind)
	}
	if kind != SegmentStatic && kind != SegmentDynamic {
		return nil, invalidField("kind", "must be static or dynamic")
	}
	if err := s.checkSegment(ctx, p, &in, kind, "", true); err != nil {
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
	return sg, nil
}

// UpdateSegment changes a segment's name, description or (dynamic) filter;
// its kind is fixed. EInvalid, ENotFound, EForbidden.
func (s *Service) UpdateSegment(ctx context.Context, p Principal, id string, in SegmentInput) (*Segment, error) {
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
	if err := checkReadOnlyOf(cur, in.ReadOnly); err != nil {
		return nil, err
	}
	if err := s.checkSegment(ctx, p, &in, cur.Kind, id, false); err != nil {
		return nil, err
	}
	if in.Name == nil && in.Description == nil && in.Filter == nil {
		return cur, nil
	}
	sg, err := s.store.UpdateSegment(ctx, UpdateSegmentParams{TenantID: p.TenantID, ID: id, Name: in.Name,
		Description: in.Description, Filter: in.Filter, At: s.now()})
	if ErrorCodeOf(err) == ENotFound {
		return nil, Errorf(ENotFound, "segment %q not found", id)
	}
	return sg, err
}

// DeleteSegment deletes a segment; its contacts are not touched.
// ENotFound, EForbidden.
func (s *Service) DeleteSegment(ctx context.Context, p Principal, id string) error {
	if err := p.require(ScopeDelete); err != nil {
		return err
	}
	err := s.store.DeleteSegment(ctx, p.TenantID, id)
	if ErrorCodeOf(err) == ENotFound {
		return Errorf(ENotFound, "segment %q not found", id)
	}
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
	if ErrorCodeOf(err) == ENotFound {
		return nil, Errorf(ENotFound, "segment %q not found", id)
	}
	if err != nil {
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

// SegmentContacts lists the contacts of a segment, with the conventions of
// ListContacts (whose filter, when given, narrows the list further).
// ENotFound, EInvalid, EForbidden.
func (s *Service) SegmentContacts(ctx context.Context, p Principal, id string, r ListRequest) (*ContactPage, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	if _, err := s.segment(ctx, p, id); err != nil {
		return nil, err
	}
	loc := cmp.Or(r.FilterLocation, cmp.Or(r.ParamLocation, "query")+".filter")
	member, _ := json.Marshal(map[string]string{"segments": id})
	if len(r.Filter) == 0 {
		r.Filter = member
		return s.ListContacts(ctx, p, r)
	}
	// The caller's filter is checked alone, so that its errors point into
	// it; then the membership condition is added to it.
	if _, err := filter.Parse(r.Filter, filter.Options{Region: p.Region}); err != nil {
		return nil, filterProblem(err, loc)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(r.Filter, &m); err != nil {
		return nil, invalidField(loc, "must be a JSON object")
	}
	if _, ok := m["segments"]; ok {
		r.Filter, _ = json.Marshal(map[string]any{"$and": []json.RawMessage{member, r.Filter}})
	} else {
		m["segments"], _ = json.Marshal(id)
		r.Filter, _ = json.Marshal(m)
	}
	return s.ListContacts(ctx, p, r)
}

// filterProblem locates a filter parse error under loc.
func filterProblem(err error, loc string) error {
	fe, ok := err.(*filter.Error)
	if !ok {
		return invalidField(loc, "%v", err)
	}
	if fe.Path != "" {
		loc = join(loc, fe.Path)
	}
	return invalidField(loc, "%s", fe.Message)
}

// expandSegments returns the segments a contact is a member of: the static
// segments holding it and the dynamic segments whose filter matches it.
func (s *Service) expandSegments(ctx context.Context, p Principal, c *Contact) (any, error) {
	static, err := s.store.SegmentsOfContact(ctx, p.TenantID, c.ID)
	if err != nil {
		return nil, err
	}
	out := static
	dyn, err := s.store.Segments(ctx, SegmentsParams{TenantID: p.TenantID, Kind: SegmentDynamic, Limit: maxDynamicSegments})
	if err != nil {
		return nil, err
	}
	x := &segmentExpander{s: s, ctx: ctx, p: p, segs: map[string]*Segment{}, parsed: map[string]filter.Node{}}
	isContact := &filter.Cond{Field: filter.Fields["id"], Op: filter.OpEq, Value: c.ID}
	for _, sg := range dyn {
		x.segs[sg.ID] = sg
	}
	for _, sg := range dyn {
		x.conds = 0
		node, err := x.member(sg.ID, 0, nil)
		if ErrorCodeOf(err) == EInvalid {
			// Grown past the bounds since it was saved: it matches nobody.
			s.log.Warn("segment filter too large to evaluate", "tenant", p.TenantID, "segment", sg.ID, "err", err)
			continue
		}
		if err != nil {
			return nil, err
		}
		n, err := s.store.CountContacts(ctx, sqlq.ListQuery{TenantID: p.TenantID, IncludeDeleted: true,
			Filter: &filter.And{Nodes: []filter.Node{isContact, node}}})
		if err != nil {
			return nil, err
		}
		if n > 0 {
			out = append(out, sg)
		}
	}
	slices.SortFunc(out, func(a, b *Segment) int { return strings.Compare(a.ID, b.ID) })
	if out == nil {
		out = []*Segment{}
	}
	return out, nil
}

// resolveSegmentFilter rewrites the conditions of a contact filter on
// "segments" so that a dynamic segment's id stands for its filter: each
// membership of a dynamic segment becomes an OR of its (empty) static
// membership and its filter, itself rewritten, down to a bounded depth
// (deeper, or in a cycle, a dynamic segment is only its static
// membership: nobody). loc locates the filter for errors.
func (s *Service) resolveSegmentFilter(ctx context.Context, p Principal, n filter.Node, loc string) (filter.Node, error) {
	if !mentionsSegments(n) {
		return n, nil
	}
	x := &segmentExpander{s: s, ctx: ctx, p: p, loc: loc, segs: map[string]*Segment{}, parsed: map[string]filter.Node{}}
	return x.expand(n, 0, nil)
}

func mentionsSegments(n filter.Node) bool {
	switch n := n.(type) {
	case *filter.And:
		return slices.ContainsFunc(n.Nodes, mentionsSegments)
	case *filter.Or:
		return slices.ContainsFunc(n.Nodes, mentionsSegments)
	case *filter.Not:
		return mentionsSegments(n.Node)
	case *filter.Cond:
		return n.Field.Name == "segments"
	}
	return false
}

// segmentExpander replaces dynamic segments in filters by their filters.
type segmentExpander struct {
	s   *Service
	ctx context.Context
	p   Principal
	// strict reports cycles and excess depth as errors (when a filter is
	// saved) instead of cutting them off (when one is read).
	strict bool
	loc    string
	segs   map[string]*Segment // loaded segments; nil for unknown ids
	parsed map[string]filter.Node
	// allDynamic is set once every dynamic segment of the tenant is loaded.
	allDynamic []string
	loadedAll  bool
	conds      int
}

func (x *segmentExpander) count(n int) error {
	x.conds += n
	if x.conds > maxSegmentConds {
		return invalidField(x.loc, "the segments it names expand to more than %d conditions", maxSegmentConds)
	}
	return nil
}

// load fetches the segments among ids not yet known.
func (x *segmentExpander) load(ids []string) error {
	var want []string
	for _, id := range ids {
		if _, ok := x.segs[id]; !ok && !slices.Contains(want, id) {
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return nil
	}
	got, err := x.s.store.SegmentsByID(x.ctx, x.p.TenantID, want)
	if err != nil {
		return err
	}
	for _, id := range want {
		x.segs[id] = nil
	}
	for _, sg := range got {
		x.segs[sg.ID] = sg
	}
	return nil
}

func (x *segmentExpander) dynamic(id string) bool {
	sg := x.segs[id]
	return sg != nil && sg.Kind == SegmentDynamic
}

func (x *segmentExpander) expand(n filter.Node, depth int, visiting []string) (filter.Node, error) {
	switch n := n.(type) {
	case *filter.And:
		nodes, err := x.expandAll(n.Nodes, depth, visiting)
		return &filter.And{Nodes: nodes}, err
	case *filter.Or:
		nodes, err := x.expandAll(n.Nodes, depth, visiting)
		return &filter.Or{Nodes: nodes}, err
	case *filter.Not:
		inner, err := x.expand(n.Node, depth, visiting)
		return &filter.Not{Node: inner}, err
	case *filter.Cond:
		if err := x.count(1); err != nil {
			return nil, err
		}
		if n.Field.Name != "segments" {
			return n, nil
		}
		return x.cond(n, depth, visiting)
	}
	return n, nil
}

func (x *segmentExpander) expandAll(nodes []filter.Node, depth int, visiting []string) ([]filter.Node, error) {
	out := make([]filter.Node, len(nodes))
	for i, n := range nodes {
		var err error
		if out[i], err = x.expand(n, depth, visiting); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// cond rewrites one condition on "segments".
func (x *segmentExpander) cond(c *filter.Cond, depth int, visiting []string) (filter.Node, error) {
	ids := func() []string {
		vs := c.Values
		if vs == nil {
			vs = []any{c.Value}
		}
		out := make([]string, 0, len(vs))
		for _, v := range vs {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	static := func(op filter.Op, ids []string) *filter.Cond {
		out := &filter.Cond{Field: c.Field, Op: op}
		if op == filter.OpEq {
			out.Value = ids[0]
			return out
		}
		for _, id := range ids {
			out.Values = append(out.Values, id)
		}
		return out
	}
	// some is true when the contact is in any of ids (all of them with
	// every): the static ones by one membership condition, each dynamic
	// one by its filter.
	some := func(ids []string, every bool) (filter.Node, error) {
		if err := x.load(ids); err != nil {
			return nil, err
		}
		if x.strict {
			for _, id := range ids {
				if x.segs[id] == nil {
					return nil, invalidField(x.loc, "names %s, which is no segment of this tenant", id)
				}
			}
		}
		var statics []string
		var nodes []filter.Node
		for _, id := range ids {
			if !x.dynamic(id) {
				statics = append(statics, id)
				continue
			}
			m, err := x.member(id, depth, visiting)
			if err != nil {
				return nil, err
			}
			nodes = append(nodes, m)
		}
		if len(nodes) == 0 {
			return c, nil // no dynamic segment: as written
		}
		if len(statics) > 0 {
			op := filter.OpIn
			if every {
				op = filter.OpAll
			}
			nodes = append([]filter.Node{static(op, statics)}, nodes...)
		}
		if len(nodes) == 1 {
			return nodes[0], nil
		}
		if every {
			return &filter.And{Nodes: nodes}, nil
		}
		return &filter.Or{Nodes: nodes}, nil
	}
	not := func(n filter.Node, err error) (filter.Node, error) {
		if err != nil || n == filter.Node(c) {
			return c, err
		}
		return &filter.Not{Node: n}, nil
	}
	switch c.Op {
	case filter.OpEq, filter.OpIn:
		return some(ids(), false)
	case filter.OpAll:
		return some(ids(), true)
	case filter.OpNe, filter.OpNin:
		return not(some(ids(), false))
	case filter.OpExists:
		if err := x.loadAllDynamic(); err != nil {
			return nil, err
		}
		if len(x.allDynamic) == 0 {
			return c, nil
		}
		anyStatic := &filter.Cond{Field: c.Field, Op: filter.OpExists, Value: true}
		nodes := []filter.Node{anyStatic}
		for _, id := range x.allDynamic {
			if slices.Contains(visiting, id) {
				continue // "in any segment" of a segment's own filter means any other
			}
			m, err := x.member(id, depth, visiting)
			if err != nil {
				return nil, err
			}
			nodes = append(nodes, m)
		}
		var n filter.Node = &filter.Or{Nodes: nodes}
		if c.Value == false {
			n = &filter.Not{Node: n}
		}
		return n, nil
	}
	return c, nil
}

// member is the condition that a contact is in the dynamic segment id:
// its (empty) static membership or its filter.
func (x *segmentExpander) member(id string, depth int, visiting []string) (filter.Node, error) {
	static := &filter.Cond{Field: filter.Fields["segments"], Op: filter.OpEq, Value: id}
	if slices.Contains(visiting, id) {
		if x.strict {
			return nil, invalidField(x.loc, "refers to segment %s, whose filter leads back to itself", id)
		}
		return static, nil
	}
	if depth >= maxSegmentNesting {
		if x.strict {
			return nil, invalidField(x.loc, "dynamic segments nest more than %d deep in it", maxSegmentNesting)
		}
		return static, nil
	}
	node, ok := x.parsed[id]
	if !ok {
		sg := x.segs[id]
		var err error
		node, err = filter.Parse(sg.Filter, filter.Options{Region: x.p.Region})
		if err != nil {
			// Saved filters are valid; one that no longer parses matches
			// nobody rather than failing every list that names it.
			x.s.log.Warn("segment filter does not parse", "tenant", x.p.TenantID, "segment", id, "err", err)
			node = nil
		}
		x.parsed[id] = node
	}
	if node == nil {
		return static, nil
	}
	expanded, err := x.expand(node, depth+1, append(slices.Clip(visiting), id))
	if err != nil {
		return nil, err
	}
	return &filter.Or{Nodes: []filter.Node{static, expanded}}, nil
}

func (x *segmentExpander) loadAllDynamic() error {
	if x.loadedAll {
		return nil
	}
	sgs, err := x.s.store.Segments(x.ctx, SegmentsParams{TenantID: x.p.TenantID, Kind: SegmentDynamic, Limit: maxDynamicSegments})
	if err != nil {
		return err
	}
	for _, sg := range sgs {
		x.segs[sg.ID] = sg
		x.allDynamic = append(x.allDynamic, sg.ID)
	}
	x.loadedAll = true
	return nil
}
