package contactd

import (
	"context"
	"fmt"
	"reflect"
	"strconv"
	"time"
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
	// Wait, for the feed, long-polls: when no change follows the cursor,
	// the page is answered as soon as one is written, or empty after Wait
	// (at most MaxChangeWait).
	Wait time.Duration
	// FromNow, for the feed without a cursor, reads from the newest change
	// on: the page is empty (unless a change is written meanwhile, or
	// within Wait) and its cursor is where a client that is about to read
	// every contact starts following the feed.
	FromNow bool
}

// MaxChangeWait bounds ChangeListRequest.Wait.
const MaxChangeWait = 60 * time.Second

// Changes returns a page of the tenant's change log after the cursor.
// EInvalid (cursor, limit), EForbidden.
func (s *Service) Changes(ctx context.Context, p Principal, r ChangeListRequest) (*Page[Change], error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	if r.Wait < 0 || r.Wait > MaxChangeWait {
		return nil, invalidField(r.at("wait"), "must be a duration from 0s to %s, such as 30s", MaxChangeWait)
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
	if contactID == "" && r.Cursor != "" {
		if err := s.checkFeedCursor(ctx, p, after, r.at("cursor")); err != nil {
			return nil, err
		}
	}
	if r.FromNow {
		if r.Cursor != "" || contactID != "" {
			return nil, invalidField(r.at("from"), "now applies to the feed without a cursor")
		}
		h, err := s.store.ChangeHorizon(ctx, p.TenantID)
		if err != nil {
			return nil, err
		}
		after, l.after = h.Last, []string{strconv.FormatInt(h.Last, 10)}
	}
	var deadline time.Time
	if contactID == "" && r.Wait > 0 {
		deadline = time.Now().Add(r.Wait)
	}
	var data []Change
	for {
		// The signal is taken before the read, so that a change written
		// between the two wakes the wait below.
		var signal <-chan struct{}
		stop := func() {}
		if !deadline.IsZero() {
			signal, stop = s.store.ChangeSignal(p.TenantID)
		}
		data, err = s.store.Changes(ctx, ChangesParams{TenantID: p.TenantID, ContactID: contactID, After: after, Limit: l.limit + 1})
		if err != nil || len(data) > 0 || deadline.IsZero() {
			stop()
			break
		}
		woken, err := s.waitChange(ctx, signal, time.Until(deadline))
		stop()
		if err != nil {
			return nil, err
		}
		if !woken {
			break // the wait is over: an empty page, with its cursor
		}
	}
	if err != nil {
		return nil, err
	}
	// (The change past the page only tells that more follow.)
	if err := s.creationFields(ctx, p.TenantID, data[:min(len(data), l.limit)]); err != nil {
		return nil, err
	}
	return finishList(ctx, s, p, changeList, l, data, nil)
}

// checkFeedCursor refuses a feed cursor that the log cannot continue: one
// from before the oldest change kept (ECursorExpired: what followed it has
// been removed, so the client must read everything again), or one past
// the newest change, which a database restored from an older backup would
// give (EInvalid).
func (s *Service) checkFeedCursor(ctx context.Context, p Principal, after int64, loc string) error {
	h, err := s.store.ChangeHorizon(ctx, p.TenantID)
	if err != nil {
		return err
	}
	switch {
	case after < h.Pruned:
		return &Error{Code: ECursorExpired, Message: fmt.Sprintf("%s: the changes after this cursor are no longer kept (the feed keeps changes for the tenant's changeRetentionDays); read the contacts again, then follow the feed from a cursor without one", loc),
			Fields: []FieldError{{Location: loc, Message: "has expired"}}}
	case after > h.Last:
		return cursorProblem(loc, "is ahead of the newest change (was the database restored from a backup?); read the contacts again, then follow the feed from a cursor without one")
	}
	return nil
}

// waitChange waits for signal, at most d; it reports whether the signal
// came. The service's shutdown ends the wait early, as a timeout would.
func (s *Service) waitChange(ctx context.Context, signal <-chan struct{}, d time.Duration) (bool, error) {
	if d <= 0 {
		return false, nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-signal:
		return true, nil
	case <-t.C:
		return false, nil
	case <-s.stopping:
		return false, nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}
