package contactd

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Candidate is a contact that may be a duplicate of another, with why.
type Candidate struct {
	Contact *Contact `json:"contact"`
	Score   float64  `json:"score" doc:"How likely the two are one contact, 0 to 1: each reason's weight combined as independent evidence."`
	Reasons []Reason `json:"reasons"`
}

// DuplicatePair is two contacts of a group that may be duplicates.
type DuplicatePair struct {
	A       string   `json:"a"`
	B       string   `json:"b"`
	Score   float64  `json:"score"`
	Reasons []Reason `json:"reasons"`
}

// DuplicateGroup is the contacts that share one blocking key and may be
// duplicates, with their pairs.
type DuplicateGroup struct {
	ID       string          `json:"id" doc:"The group's first contact id."`
	Score    float64         `json:"score" doc:"The highest score of the group's pairs."`
	Reasons  []string        `json:"reasons" doc:"The reasons of the group's pairs."`
	Contacts []*Contact      `json:"contacts"`
	Pairs    []DuplicatePair `json:"pairs" doc:"Each pair of the group that may be duplicates, with its score and reasons."`
}

// DuplicateParams select candidates: the lowest score and the reasons
// (any of them) a candidate must have.
type DuplicateParams struct {
	MinScore float64
	Reasons  []string
	ListParams
}

// keeps reports whether a comparison passes the params' filters.
func (dp DuplicateParams) keeps(m PairMatch) bool {
	if len(m.Reasons) == 0 || m.Score < dp.MinScore {
		return false
	}
	return len(dp.Reasons) == 0 || slices.ContainsFunc(m.Reasons, func(r Reason) bool { return slices.Contains(dp.Reasons, r.Type) })
}

// partners returns the contacts that share a key with c (not both
// weakly) through a block of at most MaxDuplicateBlock contacts, but for
// the pairs dismissed.
func (s *Service) partners(ctx context.Context, p Principal, c *Contact) ([]string, error) {
	keys := DuplicateKeys(c)
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = k.Key
	}
	blocks, err := s.store.DuplicateMembers(ctx, p.TenantID, names)
	if err != nil {
		return nil, err
	}
	dismissed, err := s.dismissedOf(ctx, p, []string{c.ID})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, k := range keys {
		ms := blocks[k.Key]
		if len(ms) > MaxDuplicateBlock {
			continue
		}
		for _, m := range ms {
			if m.ID != c.ID && !(k.Weak && m.Weak) && !dismissed[pairOf(c.ID, m.ID)] && !slices.Contains(out, m.ID) {
				out = append(out, m.ID)
			}
		}
	}
	return out, nil
}

func pairOf(a, b string) IDPair {
	if b < a {
		a, b = b, a
	}
	return IDPair{A: a, B: b}
}

// dismissedOf returns the dismissed pairs that have one of ids.
func (s *Service) dismissedOf(ctx context.Context, p Principal, ids []string) (map[IDPair]bool, error) {
	pairs, err := s.store.Dismissals(ctx, p.TenantID, ids)
	out := make(map[IDPair]bool, len(pairs))
	for _, pr := range pairs {
		out[pr] = true
	}
	return out, err
}

// DuplicatesOf returns the candidates of one live contact, most likely
// first. ENotFound, EForbidden.
func (s *Service) DuplicatesOf(ctx context.Context, p Principal, id string, dp DuplicateParams) ([]Candidate, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	c, err := s.Contact(ctx, p, Selector{ID: id}, GetOptions{})
	if err != nil {
		return nil, err
	}
	if c.ID != id {
		return nil, notFound(Selector{ID: id}) // merged: the survivor's are its own
	}
	ids, err := s.partners(ctx, p, c)
	if err != nil {
		return nil, err
	}
	others, err := s.store.CardContacts(ctx, p.TenantID, ids)
	if err != nil {
		return nil, err
	}
	out := []Candidate{}
	pc := ProfileOf(c)
	for _, o := range others {
		if m := Compare(pc, ProfileOf(o)); dp.keeps(m) {
			out = append(out, Candidate{Contact: o, Score: m.Score, Reasons: m.Reasons})
		}
	}
	slices.SortFunc(out, func(a, b Candidate) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), strings.Compare(a.Contact.ID, b.Contact.ID))
	})
	return out, nil
}

// DuplicateGroups returns a page of groups of candidates. A group is the
// contacts that share one blocking key (a number, an email, a name at a
// company…) and are candidates by the filters, with their pairs; two
// contacts that share several keys appear in the group of each. Groups
// come in the order of their keys. EInvalid (cursor), EForbidden.
func (s *Service) DuplicateGroups(ctx context.Context, p Principal, dp DuplicateParams) (*Page[*DuplicateGroup], error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	limit, err := dp.limit()
	if err != nil {
		return nil, err
	}
	scope := "duplicates\x00" + strconv.FormatFloat(dp.MinScore, 'f', -1, 64) + "\x00" + strings.Join(dp.Reasons, ",")
	after := ""
	if dp.Cursor != "" {
		pos, err := s.decodeCursor(ctx, p, scope, dp.Cursor)
		if err != nil || len(pos.Values) != 1 {
			return nil, errBadCursor
		}
		after = pos.Values[0]
	}
	page := &Page[*DuplicateGroup]{Data: []*DuplicateGroup{}, Limit: limit}
	more := false
	for {
		n := max(limit-len(page.Data), 20)
		blocks, err := s.store.DuplicateBlocks(ctx, p.TenantID, after, n)
		if err != nil {
			return nil, err
		}
		groups, last, err := s.groupsOf(ctx, p, dp, blocks, limit-len(page.Data))
		if err != nil {
			return nil, err
		}
		page.Data = append(page.Data, groups...)
		if last != "" {
			after = last
		}
		// No block is left when the store had fewer than asked and every
		// one of them was looked at.
		if len(blocks) < n && (len(blocks) == 0 || last == blocks[len(blocks)-1].Key) {
			break
		}
		if len(page.Data) == limit {
			more = true
			break
		}
	}
	if more {
		cur, err := s.encodeCursor(ctx, p, scope, cursorPos{Values: []string{after}})
		if err != nil {
			return nil, err
		}
		page.NextCursor = &cur
	}
	return page, nil
}

// groupsOf makes the groups of blocks, up to want of them, and returns
// the key of the last block it looked at.
func (s *Service) groupsOf(ctx context.Context, p Principal, dp DuplicateParams, blocks []DupBlock, want int) ([]*DuplicateGroup, string, error) {
	var ids []string
	for _, b := range blocks {
		for _, m := range b.Members {
			if !slices.Contains(ids, m.ID) {
				ids = append(ids, m.ID)
			}
		}
	}
	cs, err := s.store.CardContacts(ctx, p.TenantID, ids)
	if err != nil {
		return nil, "", err
	}
	byID := make(map[string]*Profile, len(cs))
	for _, c := range cs {
		byID[c.ID] = ProfileOf(c)
	}
	dismissed, err := s.dismissedOf(ctx, p, ids)
	if err != nil {
		return nil, "", err
	}
	var out []*DuplicateGroup
	last := ""
	for _, b := range blocks {
		if len(out) == want {
			break
		}
		last = b.Key
		if g := group(b, byID, dismissed, dp); g != nil {
			out = append(out, g)
		}
	}
	return out, last, nil
}

// group compares the members of a block two by two.
func group(b DupBlock, byID map[string]*Profile, dismissed map[IDPair]bool, dp DuplicateParams) *DuplicateGroup {
	if len(b.Members) > MaxDuplicateBlock {
		return nil // a key too many share: no block
	}
	ms := slices.Clone(b.Members)
	slices.SortFunc(ms, func(x, y DupMember) int { return strings.Compare(x.ID, y.ID) })
	g := &DuplicateGroup{}
	in := map[string]bool{}
	reasons := map[string]bool{}
	for i, x := range ms {
		for _, y := range ms[i+1:] {
			cx, cy := byID[x.ID], byID[y.ID]
			if (x.Weak && y.Weak) || cx == nil || cy == nil || dismissed[IDPair{A: x.ID, B: y.ID}] {
				continue
			}
			m := Compare(cx, cy)
			if !dp.keeps(m) {
				continue
			}
			g.Pairs = append(g.Pairs, DuplicatePair{A: x.ID, B: y.ID, Score: m.Score, Reasons: m.Reasons})
			g.Score = max(g.Score, m.Score)
			in[x.ID], in[y.ID] = true, true
			for _, r := range m.Reasons {
				reasons[r.Type] = true
			}
		}
	}
	if len(g.Pairs) == 0 {
		return nil
	}
	for _, m := range ms {
		if in[m.ID] {
			g.Contacts = append(g.Contacts, byID[m.ID].c)
		}
	}
	g.ID = g.Contacts[0].ID
	for _, r := range DuplicateReasons {
		if reasons[r] {
			g.Reasons = append(g.Reasons, r)
		}
	}
	return g
}

// DismissDuplicates marks contacts as not duplicates of one another: no
// pair of them is a candidate again. EInvalid, ENotFound, EForbidden.
func (s *Service) DismissDuplicates(ctx context.Context, p Principal, ids []string) error {
	if err := p.require(ScopeWrite); err != nil {
		return err
	}
	var uniq []string
	for _, id := range ids {
		if !slices.Contains(uniq, id) {
			uniq = append(uniq, id)
		}
	}
	switch {
	case len(uniq) < 2:
		return invalidField("contactIds", "must name at least two contacts")
	case len(uniq) > 100:
		return invalidField("contactIds", "must name at most 100 contacts (got %d)", len(uniq))
	}
	return s.store.DismissDuplicates(ctx, p.TenantID, uniq)
}

// rescanStale is how long a running rescan may go without saving
// progress before it is taken as stopped (its server stopped).
const rescanStale = 2 * time.Minute

// StartRescan records a rescan of the tenant's duplicate keys as running,
// for RunRescan to run. It needs contacts:admin. EConflict while another
// runs.
func (s *Service) StartRescan(ctx context.Context, p Principal) (*Rescan, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	now := s.now()
	r := &Rescan{TenantID: p.TenantID, Status: RescanRunning, StartedAt: now, StartedBy: p.Actor, UpdatedAt: now}
	err := s.store.StartRescan(ctx, r, now.Add(-rescanStale))
	if ErrorCodeOf(err) == EConflict {
		return nil, Errorf(EConflict, "a rescan of this tenant is running: follow it with GET /v1/contacts/duplicates/rescan")
	}
	return r, err
}

// RunRescan writes the duplicate keys of every contact of the tenant
// again, deleted ones included, 500 at a time, saving its progress after
// each page: for contacts written before contactd kept them, or after the
// rules changed (writes keep them otherwise, imports included). The first
// page removes every key of the tenant, so candidates come back as the
// job goes. It ends succeeded, or failed with the error.
func (s *Service) RunRescan(ctx context.Context, p Principal, r *Rescan) (*Rescan, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	err := s.rescan(ctx, p, r)
	now := s.now()
	r.UpdatedAt, r.FinishedAt, r.Status = now, &now, RescanSucceeded
	if err != nil {
		r.Status, r.Error = RescanFailed, err.Error()
	}
	// Saved even when ctx ended (the server stopping): the job says so.
	if serr := s.store.SaveRescan(context.WithoutCancel(ctx), r); serr != nil && err == nil {
		err = serr
	}
	return r, err
}

func (s *Service) rescan(ctx context.Context, p Principal, r *Rescan) error {
	q := ContactQuery{Query: Query{TenantID: p.TenantID, Sort: []SortKey{{Field: "id"}}, Limit: 500}, IncludeDeleted: true}
	for {
		docs, err := s.store.ContactDocs(ctx, q)
		if err != nil {
			return err
		}
		ids := make([]string, len(docs))
		for i, d := range docs {
			ids[i] = d.ID
		}
		if len(ids) > 0 || q.After == nil {
			if err := s.store.IndexDuplicates(ctx, p.TenantID, ids, q.After == nil); err != nil {
				return err
			}
		}
		r.Scanned += len(ids)
		if len(ids) < q.Limit {
			return nil
		}
		r.UpdatedAt = s.now()
		if err := s.store.SaveRescan(ctx, r); err != nil {
			return err
		}
		q.After = []any{ids[len(ids)-1]}
	}
}

// RescanStatus returns the tenant's latest rescan; one that has saved no
// progress for long reads failed (its server stopped). ENotFound,
// EForbidden.
func (s *Service) RescanStatus(ctx context.Context, p Principal) (*Rescan, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	r, err := s.store.LastRescan(ctx, p.TenantID)
	if ErrorCodeOf(err) == ENotFound {
		return nil, Errorf(ENotFound, "this tenant has had no rescan")
	}
	if err == nil && r.Status == RescanRunning && r.UpdatedAt.Before(s.now().Add(-rescanStale)) {
		r.Status, r.Error = RescanFailed, "interrupted: its server stopped; start it again"
	}
	return r, err
}

// maxMergeHops bounds how far a merged id is followed to its survivor.
const maxMergeHops = 10

// survivor returns the live contact a merged contact was merged into,
// following merges of merges; ENotFound when there is none.
func (s *Service) survivor(ctx context.Context, p Principal, c *Contact) (*Contact, error) {
	for hop := 0; hop < maxMergeHops && c.MergedInto != ""; hop++ {
		next, err := s.store.Contact(ctx, p.TenantID, c.MergedInto)
		if err != nil {
			return nil, err
		}
		if next.Live() {
			return next, nil
		}
		c = next
	}
	return nil, Errorf(ENotFound, "contact %q not found", c.ID)
}

// mergedByExternalID returns the survivor of a merged contact that had an
// external id, when no live contact has it. ENotFound.
func (s *Service) mergedByExternalID(ctx context.Context, p Principal, externalID string) (*Contact, error) {
	cs, err := s.store.ContactsWithKey(ctx, p.TenantID, "x:"+externalID, 20)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		if c.MergedInto != "" && c.ExternalID == externalID {
			if sv, err := s.survivor(ctx, p, c); err == nil {
				return sv, nil
			}
		}
	}
	return nil, notFound(Selector{ExternalID: externalID})
}

// liveWithKey returns the one live contact with a duplicate key; ENotFound
// when none has it, EConflict (naming field) when several do.
func (s *Service) liveWithKey(ctx context.Context, p Principal, key, field, value string) (*Contact, error) {
	cs, err := s.store.ContactsWithKey(ctx, p.TenantID, key, 10)
	if err != nil {
		return nil, err
	}
	cs = slices.DeleteFunc(cs, func(c *Contact) bool { return !c.Live() })
	switch len(cs) {
	case 0:
		return nil, Errorf(ENotFound, "no contact has the %s %q", field, value)
	case 1:
		return cs[0], nil
	}
	return nil, &Error{Code: EConflict, Message: fmt.Sprintf("several contacts have the %s %s: give the record an externalId that says which", field, value),
		ConflictingID: cs[0].ID, ConflictingField: field}
}
