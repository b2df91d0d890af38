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
	// stored, when set, is the store query of an export in id order of
	// whole contacts, which WriteNDJSON sends as the store holds them.
	stored *ContactQuery
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
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	page, q, err := s.listContactsQuery(ctx, p, r, "", nil)
	if err != nil {
		return nil, err
	}
	e := &ContactExport{s: s, p: p, r: r, page: page}
	if q != nil && r.Q == "" && r.Sort == "id" && r.Fields == nil && len(r.Expand) == 0 {
		e.stored = q
	}
	return e, nil
}

// WriteNDJSON writes every contact of the export to w, one contact a line
// as the API returns it, and returns how many it wrote. A page's lines
// are encoded on every core and written at once.
func (e *ContactExport) WriteNDJSON(ctx context.Context, w io.Writer) (int, error) {
	if e.stored != nil {
		return e.writeStored(ctx, w)
	}
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

// writeStored writes an export in id order of whole contacts from the
// documents the store holds, which are the API's JSON: nothing is decoded
// or encoded on the way. It starts again from the first contact (the
// first page was read to check the request), reads a page of MaxLimit
// after the last id written, the next while one is written.
func (e *ContactExport) writeStored(ctx context.Context, w io.Writer) (int, error) {
	type read struct {
		docs []ContactDoc
		err  error
	}
	q := *e.stored
	q.After, q.Offset, q.Limit = nil, 0, MaxLimit
	fetch := func(q ContactQuery) chan read {
		ch := make(chan read, 1)
		go func() {
			docs, err := e.s.store.ContactDocs(ctx, q)
			ch <- read{docs, err}
		}()
		return ch
	}
	next := fetch(q)
	var buf []byte
	n := 0
	for {
		res := <-next
		if res.err != nil {
			return n, res.err
		}
		more := len(res.docs) == q.Limit
		if more {
			q.After = []any{res.docs[len(res.docs)-1].ID}
			next = fetch(q)
		}
		buf = buf[:0]
		for _, d := range res.docs {
			buf = append(append(buf, d.JSON...), '\n')
		}
		if _, err := w.Write(buf); err != nil {
			if more {
				<-next // (the read ends before the export does)
			}
			return n, err
		}
		n += len(res.docs)
		if !more {
			return n, nil
		}
	}
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

// Photo returns the image of an exported contact's photo, nil when it has
// none: what a vCard of it carries.
func (e *ContactExport) Photo(ctx context.Context, c *Contact) (*PhotoData, error) {
	m, err := e.s.PhotosOf(ctx, e.p, []*Contact{c})
	return m[c.ID], err
}
