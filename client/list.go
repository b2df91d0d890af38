package client

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"strings"
)

// ListOptions select and order a list. Only what is set is sent; a list
// that does not take an option answers a Problem naming it.
type ListOptions struct {
	// Filter is a filter document: a JSON string, json.RawMessage or []byte,
	// or any value that marshals to a JSON object (a map, a struct).
	Filter any
	// Q is a full-text query (contacts).
	Q string
	// Sort is a comma-separated list of fields, "-" for descending.
	Sort string
	// Limit is the page size (the server's default is 50, at most 1000).
	Limit int
	// Cursor continues after a page (Page.NextCursor).
	Cursor string
	// Fields are the top-level fields to return.
	Fields []string
	// Expand names related objects to embed (contacts: account, segments).
	Expand []string
	// IncludeDeleted lists soft-deleted contacts too.
	IncludeDeleted bool
	// NoCount skips counting the total.
	NoCount bool
}

// values returns the query parameters of the options.
func (o ListOptions) values() (url.Values, error) {
	q := url.Values{}
	if o.Filter != nil {
		f, err := filterText(o.Filter)
		if err != nil {
			return nil, err
		}
		if f != "" {
			q.Set("filter", f)
		}
	}
	set := func(k, v string) {
		if v != "" {
			q.Set(k, v)
		}
	}
	set("q", o.Q)
	set("sort", o.Sort)
	set("cursor", o.Cursor)
	set("fields", strings.Join(o.Fields, ","))
	set("expand", strings.Join(o.Expand, ","))
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.IncludeDeleted {
		q.Set("includeDeleted", "true")
	}
	if o.NoCount {
		q.Set("count", "false")
	}
	return q, nil
}

// filterText returns a filter as the text of a JSON object.
func filterText(f any) (string, error) {
	switch v := f.(type) {
	case string:
		return v, nil
	case json.RawMessage:
		return string(v), nil
	case []byte:
		return string(v), nil
	}
	b, err := json.Marshal(f)
	return string(b), err
}

// getPage reads one page of a list at path.
func getPage[T any](ctx context.Context, c *Client, path string, q url.Values) (*Page[T], error) {
	var p Page[T]
	if _, err := c.call(ctx, "GET", path, q, nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// all iterates over every item of a list, page after page, from the
// options' cursor on; an error ends it.
func all[T any](page func(cursor string) (*Page[T], error), cursor string) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			p, err := page(cursor)
			if err != nil {
				var zero T
				yield(zero, err)
				return
			}
			for _, item := range p.Data {
				if !yield(item, nil) {
					return
				}
			}
			if p.NextCursor == nil || len(p.Data) == 0 {
				return
			}
			cursor = *p.NextCursor
		}
	}
}

// listAt returns a list's page function and iterator over the options at
// path (with extra parameters).
func listAt[T any](ctx context.Context, c *Client, path string, opts ListOptions, extra url.Values) (func(string) (*Page[T], error), error) {
	q, err := opts.values()
	if err != nil {
		return nil, err
	}
	for k, vs := range extra {
		q[k] = vs
	}
	return func(cursor string) (*Page[T], error) {
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		return getPage[T](ctx, c, path, q)
	}, nil
}

// listOnce reads the page the options select.
func listOnce[T any](ctx context.Context, c *Client, path string, opts ListOptions, extra url.Values) (*Page[T], error) {
	page, err := listAt[T](ctx, c, path, opts, extra)
	if err != nil {
		return nil, err
	}
	return page(opts.Cursor)
}

// listAll iterates over every item the options select.
func listAll[T any](ctx context.Context, c *Client, path string, opts ListOptions, extra url.Values) iter.Seq2[T, error] {
	page, err := listAt[T](ctx, c, path, opts, extra)
	if err != nil {
		return func(yield func(T, error) bool) {
			var zero T
			yield(zero, err)
		}
	}
	return all(page, opts.Cursor)
}

// unmarshal decodes an answer.
func unmarshal(b []byte, out any) error {
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("contactd: decode the answer: %w", err)
	}
	return nil
}
