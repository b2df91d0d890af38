package client

import (
	"context"
	"iter"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ChangesService is /v1/changes: the tenant's change feed.
type ChangesService struct{ c *Client }

// ChangeOptions page the feed.
type ChangeOptions struct {
	// Cursor continues after a page. Without one, From says where to
	// start: "start" (the default, the oldest change kept) or "now" (an
	// empty page whose cursor is at the newest change).
	Cursor string
	From   string
	Limit  int
	Fields []string
	// Wait long-polls: an empty page answers after this long at most, and
	// a change as soon as it is written (the server caps it at 30 s).
	Wait time.Duration
}

// List reads a page of the feed. Its NextCursor is never nil: poll with
// it for later changes.
func (s *ChangesService) List(ctx context.Context, o ChangeOptions) (*Page[Change], error) {
	q := url.Values{}
	if o.Cursor != "" {
		q.Set("cursor", o.Cursor)
	} else if o.From != "" {
		q.Set("from", o.From)
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if len(o.Fields) > 0 {
		q.Set("fields", strings.Join(o.Fields, ","))
	}
	if o.Wait > 0 {
		q.Set("wait", strconv.Itoa(int(o.Wait.Round(time.Second)/time.Second)))
	}
	return getPage[Change](ctx, s.c, "/v1/changes", q)
}

// Follow iterates over the feed from o on, forever: it long-polls for
// changes (o.Wait, 30 s when 0) until ctx ends or an error does, which it
// yields.
func (s *ChangesService) Follow(ctx context.Context, o ChangeOptions) iter.Seq2[Change, error] {
	if o.Wait <= 0 {
		o.Wait = 30 * time.Second
	}
	return func(yield func(Change, error) bool) {
		for {
			p, err := s.List(ctx, o)
			if err != nil {
				yield(Change{}, err)
				return
			}
			for _, ch := range p.Data {
				if !yield(ch, nil) {
					return
				}
			}
			if p.NextCursor != nil {
				o.Cursor = *p.NextCursor
			}
		}
	}
}
