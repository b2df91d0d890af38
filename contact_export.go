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
// as the API returns it, and returns how many it wrote. A page's lines
// are encoded on every core and written at once.
func (e *ContactExport) WriteNDJSON(ctx context.Context, w io.Writer) (int, error) {
	var buf []byte
	return e.pages(ctx, func(page *Page[*Contact]) (int, error) {
		lines := make([][]byte, len(page.Data))
		errs := make([]error, len(page.Data))
		onEveryCore(len(page.Data), func(i int) { lines[i], errs[i] = page.ItemJSON(i) })
		buf = buf[:0]
		for i, line := range lines {
			if errs[i] != nil {
				return 0, errs[i]
			}
			buf = append(append(buf, line...), '\n')
		}
		if _, err := w.Write(buf); err != nil {
			return 0, err
		}
		return len(lines), nil
	})
}

// Each calls f with every contact of the export, in order, and returns
// how many it was called with.
func (e *ContactExport) Each(ctx context.Context, f func(*Contact) error) (int, error) {
	return e.pages(ctx, func(page *Page[*Contact]) (int, error) {
		for i, c := range page.Data {
			if err := f(c); err != nil {
				return i, err
			}
		}
		return len(page.Data), nil
	})
}

// pages calls f with every page of the export, in order, while the next
// page is read, and returns the contacts f reports done.
func (e *ContactExport) pages(ctx context.Context, f func(page *Page[*Contact]) (int, error)) (int, error) {
	type read struct {
		page *Page[*Contact]
		err  error
	}
	n := 0
	for {
		var next chan read
		if e.page.NextCursor != nil {
			r := e.r
			r.Cursor = *e.page.NextCursor
			next = make(chan read, 1)
			go func() {
				page, err := e.s.ListContacts(ctx, e.p, r)
				next <- read{page, err}
			}()
		}
		done, err := f(e.page)
		n += done
		if err != nil {
			if next != nil {
				<-next // (the read ends before the export does)
			}
			return n, err
		}
		if next == nil {
			return n, nil
		}
		res := <-next
		if res.err != nil {
			return n, res.err
		}
		e.page = res.page
	}
}
