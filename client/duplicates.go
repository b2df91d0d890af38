package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"
	"strings"
)

// DuplicatesService finds duplicate contacts, merges them and undoes
// merges.
type DuplicatesService struct{ c *Client }

// DuplicateOptions narrow candidates: a minimum score (0 to 1) and
// reasons any of which a candidate must have.
type DuplicateOptions struct {
	MinScore float64
	Reasons  []string
	Limit    int
	Cursor   string
}

func (o DuplicateOptions) values() url.Values {
	q := url.Values{}
	if o.MinScore > 0 {
		q.Set("minScore", strconv.FormatFloat(o.MinScore, 'f', -1, 64))
	}
	if len(o.Reasons) > 0 {
		q.Set("reason", strings.Join(o.Reasons, ","))
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Cursor != "" {
		q.Set("cursor", o.Cursor)
	}
	return q
}

// Of answers a contact's candidates, most likely first
// (GET /v1/contacts/{id}/duplicates).
func (s *DuplicatesService) Of(ctx context.Context, id string, o DuplicateOptions) ([]Candidate, error) {
	q := o.values()
	q.Del("limit")
	q.Del("cursor")
	out, err := doJSON[struct {
		Data []Candidate `json:"data"`
	}](ctx, s.c, "GET", "/v1/contacts/"+seg(id)+"/duplicates", q, nil, nil)
	if err != nil {
		return nil, err
	}
	return out.Data, nil
}

// Groups reads a page of duplicate groups (GET /v1/contacts/duplicates).
func (s *DuplicatesService) Groups(ctx context.Context, o DuplicateOptions) (*Page[DuplicateGroup], error) {
	return getPage[DuplicateGroup](ctx, s.c, "/v1/contacts/duplicates", o.values())
}

// AllGroups iterates over every duplicate group.
func (s *DuplicatesService) AllGroups(ctx context.Context, o DuplicateOptions) iter.Seq2[DuplicateGroup, error] {
	return all(func(cursor string) (*Page[DuplicateGroup], error) {
		o.Cursor = cursor
		return s.Groups(ctx, o)
	}, o.Cursor)
}

// Dismiss records that contacts are not duplicates of one another.
func (s *DuplicatesService) Dismiss(ctx context.Context, contactIDs []string, opts ...RequestOption) error {
	_, err := s.c.call(ctx, "POST", "/v1/contacts/duplicates/dismiss", nil, map[string]any{"contactIds": contactIDs}, nil, opts...)
	return err
}

// Rescan starts the job that indexes every contact's duplicate keys again
// (contacts:admin); follow it with RescanStatus.
func (s *DuplicatesService) Rescan(ctx context.Context, opts ...RequestOption) (*Rescan, error) {
	return doJSON[Rescan](ctx, s.c, "POST", "/v1/contacts/duplicates/rescan", nil, nil, opts)
}

// RescanStatus reads the latest rescan.
func (s *DuplicatesService) RescanStatus(ctx context.Context) (*Rescan, error) {
	return doJSON[Rescan](ctx, s.c, "GET", "/v1/contacts/duplicates/rescan", nil, nil, nil)
}

// Merge merges sources into a target, or with DryRun answers what it
// would make (POST /v1/contacts/merge, contacts:admin).
func (s *DuplicatesService) Merge(ctx context.Context, m MergeRequest, opts ...RequestOption) (*MergeResult, error) {
	return doJSON[MergeResult](ctx, s.c, "POST", "/v1/contacts/merge", nil, m, opts)
}

// Unmerge undoes the latest merge into a contact; force undoes it though
// the survivor changed since.
func (s *DuplicatesService) Unmerge(ctx context.Context, id string, force bool, opts ...RequestOption) (*Contact, error) {
	var q url.Values
	if force {
		q = url.Values{"force": {"true"}}
	}
	return doJSON[Contact](ctx, s.c, "POST", "/v1/contacts/"+seg(id)+"/unmerge", q, nil, opts)
}
