package contactd

import (
	"context"
	"reflect"
	"strings"
)

// The tag registry, listed in the order of the names without regard to
// case, by cursor.
var tagList = &listKind[*Tag]{
	name:   "tags",
	fixed:  []SortKey{{Field: "name"}},
	value:  func(t *Tag, _ string) string { return TagKey(t.Name) },
	fields: jsonFields(reflect.TypeFor[Tag]()),
}

// TagListRequest asks for a page of tags.
type TagListRequest struct {
	ListParams
	// Prefix keeps the tags whose name starts with it, in any case.
	Prefix string
}

// Tags lists the tenant's tags. EInvalid (limit, cursor), EForbidden.
func (s *Service) Tags(ctx context.Context, p Principal, r TagListRequest) (*Page[*Tag], error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	prefix := TagKey(strings.TrimSpace(r.Prefix))
	l, err := startList(ctx, s, p, tagList, r.ListParams, prefix, false)
	if err != nil {
		return nil, err
	}
	q := TagsParams{TenantID: p.TenantID, Prefix: prefix, Limit: l.limit + 1}
	if l.after != nil {
		q.After = l.after[0]
	}
	data, err := s.store.Tags(ctx, q)
	if err != nil {
		return nil, err
	}
	return finishList(ctx, s, p, tagList, l, data, func(int) (int, error) { return s.store.CountTags(ctx, q) })
}
