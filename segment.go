package contactd

import (
	"context"
	"encoding/json"
	"time"
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
