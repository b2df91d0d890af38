package contactd

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
)

// Page limits for lists.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
)

// ChangePage is one page of a change log.
type ChangePage struct {
	Data []Change `json:"data"`
	// NextCursor continues after the last change of this page; it is set on
	// every page, so a client can poll the feed with it.
	NextCursor string `json:"nextCursor"`
	Limit      int    `json:"limit"`
}

// EncodeChangeCursor returns the opaque cursor for the position after seq.
func EncodeChangeCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("chg:" + strconv.FormatInt(seq, 10)))
}

// DecodeChangeCursor parses a cursor made by EncodeChangeCursor; "" is the
// start of the log.
func DecodeChangeCursor(cursor string) (int64, error) {
	if cursor == "" {
		return 0, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	s, ok := strings.CutPrefix(string(b), "chg:")
	if err != nil || !ok {
		return 0, invalidField("query.cursor", "is not a cursor of this feed")
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, invalidField("query.cursor", "is not a cursor of this feed")
	}
	return n, nil
}

func checkLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultLimit, nil
	case limit < 1 || limit > MaxLimit:
		return 0, invalidField("query.limit", "must be between 1 and %d", MaxLimit)
	}
	return limit, nil
}

// Changes returns a page of the tenant's change log after cursor.
// EInvalid (cursor, limit), EForbidden.
func (s *Service) Changes(ctx context.Context, p Principal, cursor string, limit int) (*ChangePage, error) {
	return s.changes(ctx, p, "", cursor, limit)
}

// History returns a page of one contact's changes, oldest first. The
// contact may be soft-deleted; an erased contact has no history (ENotFound).
func (s *Service) History(ctx context.Context, p Principal, contactID, cursor string, limit int) (*ChangePage, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	if _, err := s.resolve(ctx, p, Selector{ID: contactID}); err != nil {
		return nil, err
	}
	return s.changes(ctx, p, contactID, cursor, limit)
}

func (s *Service) changes(ctx context.Context, p Principal, contactID, cursor string, limit int) (*ChangePage, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	after, err := DecodeChangeCursor(cursor)
	if err != nil {
		return nil, err
	}
	if limit, err = checkLimit(limit); err != nil {
		return nil, err
	}
	data, err := s.store.Changes(ctx, ChangesParams{TenantID: p.TenantID, ContactID: contactID, After: after, Limit: limit})
	if err != nil {
		return nil, err
	}
	if data == nil {
		data = []Change{}
	}
	next := after
	if n := len(data); n > 0 {
		next = data[n-1].Seq
	}
	return &ChangePage{Data: data, NextCursor: EncodeChangeCursor(next), Limit: limit}, nil
}
