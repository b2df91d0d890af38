package carddav

import (
	"net/http"

	"github.com/contactd/contactd"
)

// maxSyncMembers bounds the members of one sync answer; past it, the
// answer is truncated (RFC 6578 §3.6: a 507 for the collection) and its
// token continues from where it stopped.
const maxSyncMembers = 10000

// sync answers sync-collection: without a token, every card and the token
// of now; with one, the cards changed since, from the change log, with
// 404 for those deleted or erased.
func (h *Handler) sync(q *request, req *syncReq) error {
	if req.Level != "" && req.Level != "1" {
		return &davError{status: http.StatusForbidden, cond: xmlName(nsDAV, "supported-report"), message: "the address book syncs at sync-level 1"}
	}
	w := wantedOf(req.Prop, false, false)
	ctx := q.r.Context()
	limit := maxSyncMembers
	if req.Limit != nil && req.Limit.NResults > 0 {
		limit = min(limit, req.Limit.NResults)
	}
	if req.Token == "" {
		// An initial sync: the log's position first, so that what is
		// written while the cards are listed is reported next time.
		seq, err := h.svc.SyncHorizon(ctx, q.p)
		if err != nil {
			return err
		}
		m := newMultistatus(q.w)
		if err := h.eachEntry(q, w, func(e contactd.CardEntry, c *contactd.Contact, k *contactd.Card) {
			h.writeCard(m, q, cardHref(e.Name), e.Version, c, k, w)
		}); err != nil {
			h.log.Error("carddav sync", "err", err)
			m.err = err
			return nil
		}
		return m.close(syncToken(q.p, seq))
	}
	after, ok := parseSyncToken(q.p, req.Token)
	if !ok {
		return &davError{status: http.StatusForbidden, cond: condSyncToken, message: "the sync token is not one of this address book; sync again without one"}
	}
	// The contacts changed since, each once, in the order of their last
	// change, read from the log a page at a time.
	var order []string
	last := map[string]bool{}
	seq := after
	truncated := false
	for {
		chs, _, err := h.svc.CardChanges(ctx, q.p, seq, 1000)
		if err != nil {
			return err
		}
		for _, ch := range chs {
			if !last[ch.ContactID] {
				if len(order) == limit {
					truncated = true
					break
				}
				last[ch.ContactID] = true
				order = append(order, ch.ContactID)
			}
			seq = ch.Seq
		}
		if truncated || len(chs) < 1000 {
			break
		}
	}
	m := newMultistatus(q.w)
	for start := 0; start < len(order); start += entryPage {
		ids := order[start:min(len(order), start+entryPage)]
		cs, cards, err := h.svc.CardContacts(ctx, q.p, ids)
		if err != nil {
			h.log.Error("carddav sync", "err", err)
			m.err = err
			return nil
		}
		for i, c := range cs {
			k := cards[ids[i]]
			name := contactd.DefaultCardName(ids[i])
			if k != nil {
				name = k.Name
			}
			if c == nil || (k != nil && k.ContactID != ids[i]) {
				m.status(cardHref(name), http.StatusNotFound)
				continue
			}
			h.writeCard(m, q, cardHref(name), c.Version, c, k, w)
		}
	}
	if truncated {
		m.status(bookPath, http.StatusInsufficientStorage)
	}
	return m.close(syncToken(q.p, seq))
}
