package contactd

import (
	"context"
	"reflect"
	"strconv"
)

// A tenant's imports are listed newest first, and a job's errors in the
// order of the file.
var (
	importList = &listKind[*Import]{
		name:   "imports",
		fixed:  []SortKey{{Field: "id", Desc: true}},
		value:  func(im *Import, _ string) string { return im.ID },
		fields: jsonFields(reflect.TypeFor[Import]()),
	}
	importErrorList = &listKind[ImportRowError]{
		name:   "import errors",
		fixed:  []SortKey{{Field: "seq"}},
		value:  func(e ImportRowError, _ string) string { return strconv.FormatInt(e.Seq, 10) },
		fields: jsonFields(reflect.TypeFor[ImportRowError]()),
	}
)

// GetImport returns one of the tenant's import jobs. A job that says it
// is running but has written no progress for long was interrupted (its
// server stopped): it is ended as failed, with its counts. Needs
// contacts:admin. ENotFound, EForbidden.
func (s *Service) GetImport(ctx context.Context, p Principal, id string) (*Import, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	im, err := s.store.Import(ctx, p.TenantID, id)
	if err != nil {
		return nil, err
	}
	return s.checkStale(ctx, im)
}

// checkStale ends a job that was interrupted.
func (s *Service) checkStale(ctx context.Context, im *Import) (*Import, error) {
	if im.Done() || s.now().Sub(im.HeartbeatAt) < importStale {
		return im, nil
	}
	return s.endedImport(ctx, im, Errorf(EConflict, "the server running it stopped"))
}

// ImportListRequest asks for a page of a tenant's imports, or of a job's
// errors.
type ImportListRequest struct {
	ListParams
}

// Imports lists the tenant's import jobs, newest first. Needs
// contacts:admin. EInvalid, EForbidden.
func (s *Service) Imports(ctx context.Context, p Principal, r ImportListRequest) (*Page[*Import], error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	l, err := startList(ctx, s, p, importList, r.ListParams, "", false)
	if err != nil {
		return nil, err
	}
	q := ImportsParams{TenantID: p.TenantID, Limit: l.limit + 1}
	if l.after != nil {
		q.After = l.after[0]
	}
	ims, err := s.store.Imports(ctx, q)
	if err != nil {
		return nil, err
	}
	for i, im := range ims {
		if ims[i], err = s.checkStale(ctx, im); err != nil {
			return nil, err
		}
	}
	return finishList(ctx, s, p, importList, l, ims, nil)
}

// ImportErrors lists the records of a job that failed, in the order of
// the file. Needs contacts:admin. ENotFound, EInvalid, EForbidden.
func (s *Service) ImportErrors(ctx context.Context, p Principal, id string, r ImportListRequest) (*Page[ImportRowError], error) {
	if _, err := s.GetImport(ctx, p, id); err != nil {
		return nil, err
	}
	l, err := startList(ctx, s, p, importErrorList, r.ListParams, id, false)
	if err != nil {
		return nil, err
	}
	q := ImportErrorsParams{TenantID: p.TenantID, ImportID: id, Limit: l.limit + 1}
	if l.after != nil {
		if q.After, err = strconv.ParseInt(l.after[0], 10, 64); err != nil {
			return nil, invalidField(r.at("cursor"), "is not a cursor of this list")
		}
	}
	errs, err := s.store.ImportErrors(ctx, q)
	if err != nil {
		return nil, err
	}
	return finishList(ctx, s, p, importErrorList, l, errs, nil)
}

// CancelImport cancels a job that has not ended: it stops after the batch
// it is writing, and what it wrote stays written. A job that has ended is
// returned as it is. Needs contacts:admin. ENotFound, EForbidden.
func (s *Service) CancelImport(ctx context.Context, p Principal, id string) (*Import, error) {
	if _, err := s.GetImport(ctx, p, id); err != nil {
		return nil, err
	}
	return s.store.CancelImport(ctx, p.TenantID, id, s.now())
}
