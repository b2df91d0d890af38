package contactd

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
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

// DuplicateGroup is a set of contacts each of which may be a duplicate of
// another of the set: the contacts joined by candidate pairs.
type DuplicateGroup struct {
	ID       string          `json:"id" doc:"The group's first contact id; the group's place in the list."`
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

// CheckDuplicateParams reads minScore and reason parameters. EInvalid.
func CheckDuplicateParams(minScore, reasons string) (DuplicateParams, error) {
	var dp DuplicateParams
	if minScore != "" {
		f, err := strconv.ParseFloat(minScore, 64)
		if err != nil || f < 0 || f > 1 {
			return dp, invalidField("query.minScore", "must be a number from 0 to 1")
		}
		dp.MinScore = f
	}
	for _, r := range strings.Split(reasons, ",") {
		if r = strings.TrimSpace(r); r == "" {
			continue
		}
		if !slices.Contains(DuplicateReasons, r) {
			return dp, invalidField("query.reason", "must be among %s (got %q)", strings.Join(DuplicateReasons, ", "), r)
		}
		dp.Reasons = append(dp.Reasons, r)
	}
	return dp, nil
}

// keeps reports whether a comparison passes the params' filters.
func (dp DuplicateParams) keeps(m PairMatch) bool {
	if len(m.Reasons) == 0 || m.Score < dp.MinScore {
		return false
	}
	return len(dp.Reasons) == 0 || slices.ContainsFunc(m.Reasons, func(r Reason) bool { return slices.Contains(dp.Reasons, r.Type) })
}

// maxPartners bounds the candidates of one contact that are compared.
const maxPartners = 500

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
	ids, err := s.store.DuplicatePartners(ctx, p.TenantID, c.ID, maxPartners)
	if err != nil {
		return nil, err
	}
	others, err := s.store.CardContacts(ctx, p.TenantID, ids)
	if err != nil {
		return nil, err
	}
	out := []Candidate{}
	for _, o := range others {
		if m := ComparePair(c, o); dp.keeps(m) {
			out = append(out, Candidate{Contact: o, Score: m.Score, Reasons: m.Reasons})
		}
	}
	slices.SortFunc(out, func(a, b Candidate) int {
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Contact.ID, b.Contact.ID)
	})
	return out, nil
}

// maxGroup bounds the contacts of one group.
const maxGroup = 100

// DuplicateGroups returns a page of groups of candidates, in the order of
// their first contact's id. A group is the contacts joined by candidate
// pairs that pass the filters (at most 100). EInvalid (cursor), EForbidden.
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
			return nil, invalidField(dp.at("cursor"), "is not a cursor of this list")
		}
		after = pos.Values[0]
	}
	g := grouper{s: s, ctx: ctx, p: p, dp: dp, contacts: map[string]*Contact{}}
	page := &Page[*DuplicateGroup]{Data: []*DuplicateGroup{}, Limit: limit}
	const batch = 200
	done, more := false, false
	for !done && !more && len(page.Data) < limit {
		pairs, err := s.store.DuplicatePairs(ctx, p.TenantID, after, batch)
		if err != nil {
			return nil, err
		}
		done = len(pairs) < batch
		for _, pr := range pairs {
			if pr.A == after {
				continue // the rest of a contact's pairs: its group is made
			}
			if len(page.Data) == limit {
				more = true
				break
			}
			after = pr.A
			grp, err := g.group(pr.A)
			if err != nil {
				return nil, err
			}
			if grp != nil {
				page.Data = append(page.Data, grp)
			}
		}
	}
	if more || (!done && len(page.Data) == limit) {
		cur, err := s.encodeCursor(ctx, p, scope, cursorPos{Values: []string{after}})
		if err != nil {
			return nil, err
		}
		page.NextCursor = &cur
	}
	return page, nil
}

// limit is the page size of ListParams, checked.
func (lp ListParams) limit() (int, error) {
	switch {
	case lp.Limit == 0:
		return 50, nil
	case lp.Limit < 1 || lp.Limit > 1000:
		return 0, invalidField(lp.at("limit"), "must be from 1 to 1000")
	}
	return lp.Limit, nil
}

// grouper gathers the groups of a page, reading each contact once.
type grouper struct {
	s        *Service
	ctx      context.Context
	p        Principal
	dp       DuplicateParams
	contacts map[string]*Contact
}

func (g *grouper) contact(ids ...string) error {
	var missing []string
	for _, id := range ids {
		if _, ok := g.contacts[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	cs, err := g.s.store.CardContacts(g.ctx, g.p.TenantID, missing)
	for _, c := range cs {
		g.contacts[c.ID] = c
	}
	for _, id := range missing {
		if _, ok := g.contacts[id]; !ok {
			g.contacts[id] = nil // erased meanwhile
		}
	}
	return err
}

// group returns the group whose first contact is first, or nil when
// first's pairs that pass the filters lead to a contact before it (its
// group came earlier) or to none.
func (g *grouper) group(first string) (*DuplicateGroup, error) {
	grp := &DuplicateGroup{ID: first}
	members := []string{first}
	seen := map[string]bool{first: true}
	reasons := map[string]bool{}
	for i := 0; i < len(members) && len(members) < maxGroup; i++ {
		id := members[i]
		partners, err := g.s.store.DuplicatePartners(g.ctx, g.p.TenantID, id, maxPartners)
		if err != nil {
			return nil, err
		}
		if err := g.contact(append(partners, id)...); err != nil {
			return nil, err
		}
		c := g.contacts[id]
		if c == nil {
			continue
		}
		for _, o := range partners {
			oc := g.contacts[o]
			if oc == nil {
				continue
			}
			m := ComparePair(c, oc)
			if !g.dp.keeps(m) {
				continue
			}
			if o < first {
				return nil, nil
			}
			if id < o {
				grp.Pairs = append(grp.Pairs, DuplicatePair{A: id, B: o, Score: m.Score, Reasons: m.Reasons})
				grp.Score = max(grp.Score, m.Score)
				for _, r := range m.Reasons {
					reasons[r.Type] = true
				}
			}
			if !seen[o] && len(members) < maxGroup {
				seen[o] = true
				members = append(members, o)
			}
		}
	}
	if len(members) < 2 {
		return nil, nil
	}
	for _, r := range DuplicateReasons {
		if reasons[r] {
			grp.Reasons = append(grp.Reasons, r)
		}
	}
	slices.Sort(members)
	for _, id := range members {
		grp.Contacts = append(grp.Contacts, g.contacts[id])
	}
	slices.SortFunc(grp.Pairs, func(a, b DuplicatePair) int {
		return cmp.Or(strings.Compare(a.A, b.A), strings.Compare(a.B, b.B))
	})
	return grp, nil
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

// RescanResult is the answer of a rescan.
type RescanResult struct {
	Scanned int `json:"scanned" doc:"Contacts whose keys were written again."`
}

// RescanDuplicates writes the duplicate keys and pairs of every contact of
// the tenant again: for contacts written before contactd kept them, or
// after the rules changed. It needs contacts:admin.
func (s *Service) RescanDuplicates(ctx context.Context, p Principal) (*RescanResult, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	res := &RescanResult{}
	after := ""
	for {
		entries, err := s.store.CardEntries(ctx, p.TenantID, after, 500)
		if err != nil {
			return nil, err
		}
		if len(entries) == 0 {
			return res, nil
		}
		ids := make([]string, len(entries))
		for i, e := range entries {
			ids[i] = e.ContactID
		}
		if err := s.store.IndexDuplicates(ctx, p.TenantID, ids); err != nil {
			return nil, err
		}
		res.Scanned += len(ids)
		after = ids[len(ids)-1]
	}
}

// DecodeDismiss decodes the body of a dismissal: {"contactIds": [...]}.
func DecodeDismiss(data []byte) ([]string, error) {
	var ids []string
	err := decodeBody(data, func(d *decoder, key string, v json.RawMessage) {
		if key != "contactIds" {
			d.unknownField("", key)
			return
		}
		ids = d.strs(v, key)
	})
	if err != nil {
		return nil, err
	}
	if ids == nil {
		return nil, invalidField("contactIds", "is required")
	}
	return ids, nil
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
