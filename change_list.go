package contactd

import (
	"context"
	"reflect"
	"strconv"
)

// The change feed and a contact's history: lists in the order of the
// tenant's change numbers, paged by cursor only. The feed's every page
// carries a cursor, so that a client polls with it for later changes.
var changeList = &listKind[Change]{
	name:   "changes",
	fixed:  []SortKey{{Field: "seq"}},
	value:  func(ch Change, _ string) string { return strconv.FormatInt(ch.Seq, 10) },
	always: true,
	start:  []string{"0"},
	fields: jsonFields(reflect.TypeFor[Change]()),
}

// ChangeListRequest asks for a page of the change feed or of a contact's
// history. Only the paging parameters of ListParams apply.
type ChangeListRequest struct {
	ListParams
}

// Changes returns a page of the tenant's change log after the cursor.
// EInvalid (cursor, limit), EForbidden.
func (s *Service) Changes(ctx context.Context, p Principal, r ChangeListRequest) (*Page[Change], error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	return s.changes(ctx, p, "", r)
}

// History returns a page of one contact's changes, oldest first. The
// contact may be soft-deleted; an erased contact has no history (ENotFound).
func (s *Service) History(ctx context.Context, p Principal, contactID string, r ChangeListRequest) (*Page[Change], error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	if _, err := s.resolve(ctx, p, Selector{ID: contactID}); err != nil {
		return nil, err
	}
	return s.changes(ctx, p, contactID, r)
}

func (s *Service) changes(ctx context.Context, p Principal, contactID string, r ChangeListRequest) (*Page[Change], error) {
	l, err := startList(ctx, s, p, changeList, r.ListParams, contactID, false)
	if err != nil {
		return nil, err
	}
	after, _ := strconv.ParseInt(l.after[0], 10, 64)
	if after < 0 {
		return nil, cursorProblem(r.at("cursor"), "is not a cursor of this list; start again without a cursor")
	}
	data, err := s.store.Changes(ctx, ChangesParams{TenantID: p.TenantID, ContactID: contactID, After: after, Limit: l.limit + 1})
	if err != nil {
		return nil, err
	}
	// (The change past the page only tells that more follow.)
	if err := s.creationFields(ctx, p.TenantID, data[:min(len(data), l.limit)]); err != nil {
		return nil, err
	}
	return finishList(ctx, s, p, changeList, l, data, nil)
}
