package contactd

import (
	"context"
	"io"
)

// ContactExport is an export of a list of contacts under way (see
// ExportContacts).
type ContactExport struct {
	s    *Service
	p    Principal
	r    ContactListRequest
	page *Page[*Contact]
}

// ExportContacts starts an export of every contact of a list: filter, q,
// sort, includeDeleted and fields as for ListContacts, read a page of
// MaxLimit at a time whatever the request's limit, cursor, page or count.
// Without sort and q the order is id, in which every contact that exists
// throughout the export appears exactly once, whatever is written
// meanwhile. It reads the first page, so
// that a request that is wrong fails here, before anything is written.
func (s *Service) ExportContacts(ctx context.Context, p Principal, r ContactListRequest) (*ContactExport, error) {
	if r.Sort == "" && r.Q == "" {
		r.Sort = "id"
	}
	r.Limit, r.Cursor, r.Page, r.NoCount, r.ExactCount = MaxLimit, "", 0, true, false
	page, err := s.ListContacts(ctx, p, r)
	if err != nil {
		return nil, err
	}
	return &ContactExport{s: s, p: p, r: r, page: page}, nil
}

// WriteNDJSON writes every contact of the export to w, one contact a line
// as the API returns it, and returns how many it wrote.
func (e *ContactExport) WriteNDJSON(ctx context.Context, w io.Writer) (int, error) {
	var line []byte
	return e.each(ctx, func(page *Page[*Contact], i int) error {
		b, err := page.ItemJSON(i)
		if err != nil {
			return err
		}
		line = append(append(line[:0], b...), '\n')
		_, err = w.Write(line)
		return err
	})
}

// Each calls f with every contact of the export, in order, and returns
// how many it was called with.
func (e *ContactExport) Each(ctx context.Context, f func(*Contact) error) (int, error) {
	return e.each(ctx, func(page *Page[*Contact], i int) error { return f(page.Data[i]) })
}

// each calls f with every contact of the export, page by page.
func (e *ContactExport) each(ctx context.Context, f func(page *Page[*Contact], i int) error) (int, error) {
	n := 0
	for {
		for i := range e.page.Data {
			if err := f(e.page, i); err != nil {
				return n, err
			}
			n++
		}
		if e.page.NextCursor == nil {
			return n, nil
		}
		e.r.Cursor = *e.page.NextCursor
		page, err := e.s.ListContacts(ctx, e.p, e.r)
		if err != nil {
			return n, err
		}
		e.page = page
	}
}
