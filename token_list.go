package contactd

import (
	"context"
	"reflect"
)

// A tenant's tokens are listed oldest first (in id order), by cursor.
var tokenList = &listKind[TokenInfo]{
	name:   "tokens",
	fixed:  []SortKey{{Field: "id"}},
	value:  func(t TokenInfo, _ string) string { return t.ID },
	fields: jsonFields(reflect.TypeFor[TokenInfo]()),
}

// TokenListRequest asks for a page of a tenant's tokens.
type TokenListRequest struct {
	ListParams
}

// Tokens lists the tenant's tokens, revoked ones included, never a secret.
// EInvalid (limit, cursor), EForbidden.
func (s *Service) Tokens(ctx context.Context, p Principal, r TokenListRequest) (*Page[TokenInfo], error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	l, err := startList(ctx, s, p, tokenList, r.ListParams, "", false)
	if err != nil {
		return nil, err
	}
	q := TokensParams{TenantID: p.TenantID, Limit: l.limit + 1}
	if l.after != nil {
		q.After = l.after[0]
	}
	ts, err := s.store.Tokens(ctx, q)
	if err != nil {
		return nil, err
	}
	data := make([]TokenInfo, len(ts))
	for i, t := range ts {
		data[i] = t.Info()
	}
	return finishList(ctx, s, p, tokenList, l, data, nil)
}
