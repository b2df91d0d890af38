package carddav

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/emersion/go-vcard"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/phone"
)

// report answers REPORT on the address book.
func (h *Handler) report(q *request) error {
	if q.kind != kindBook {
		return &davError{status: http.StatusForbidden, message: "reports are answered on the address book, " + bookPath}
	}
	var req report
	if err := decodeBody(q.r, &req); err != nil {
		return &davError{status: http.StatusBadRequest, message: "the REPORT body could not be read: " + err.Error()}
	}
	switch {
	case req.Multiget != nil:
		return h.multiget(q, req.Multiget)
	case req.Query != nil:
		return h.query(q, req.Query)
	case req.Sync != nil:
		return h.sync(q, req.Sync)
	}
	return &davError{status: http.StatusForbidden, cond: condReport,
		message: "the address book answers addressbook-multiget, addressbook-query and sync-collection, not " + req.XMLName.Local}
}

// multiget answers addressbook-multiget: each card asked for, or 404. The
// hrefs are answered a thousand at a time, so that a multiget of a whole
// large address book (vdirsyncer asks for every card at once) holds a
// thousand contacts in memory, not all of them.
func (h *Handler) multiget(q *request, req *multigetReq) error {
	w := wantedOf(req.Prop, false, false)
	ctx := q.r.Context()
	var m *msWriter
	for chunk := range slices.Chunk(req.Hrefs, entryPage) {
		hrefs := make([]string, len(chunk))
		names := make([]string, len(chunk))
		var known []string
		for i, href := range chunk {
			hrefs[i] = strings.TrimSpace(href.Value)
			if name, ok := cardNameOf(hrefs[i]); ok {
				names[i] = name
				known = append(known, name)
			}
		}
		resolved, err := h.svc.ResolveCards(ctx, q.p, known)
		var ids []string
		if err == nil {
			for _, n := range known {
				if id, ok := resolved[n]; ok {
					ids = append(ids, id)
				}
			}
		}
		var cs []*contactd.Contact
		var cards map[string]*contactd.Card
		if err == nil {
			cs, cards, err = h.svc.CardContacts(ctx, q.p, ids)
		}
		if err != nil {
			if m == nil {
				return err // nothing written yet: answered as an error
			}
			h.log.Error("carddav multiget", "err", err)
			m.err = err
			return nil
		}
		byID := make(map[string]*contactd.Contact, len(cs))
		for _, c := range cs {
			if c != nil {
				byID[c.ID] = c
			}
		}
		if m == nil {
			m = newMultistatus(q.w)
		}
		for i, href := range hrefs {
			c := byID[resolved[names[i]]]
			if names[i] == "" || c == nil {
				m.status(href, http.StatusNotFound)
				continue
			}
			h.writeCard(m, q, href, c.Version, c, cards[c.ID], w)
		}
	}
	if m == nil {
		m = newMultistatus(q.w)
	}
	return m.close("")
}

// normalizeTel makes a query's TEL text-matches match numbers: an equals
// compares the number read in the tenant's region, the others its digits.
func normalizeTel(aq *cardQuery, region string) {
	for i := range aq.props {
		pf := &aq.props[i]
		if pf.name != vcard.FieldTelephone {
			continue
		}
		for j := range pf.matches {
			tm := &pf.matches[j]
			if tm.matchType == "equals" {
				if n, err := phone.NormalizeLookup(tm.text, region); err == nil {
					tm.text = strings.TrimPrefix(n.E164, "+")
					continue
				}
			}
			tm.text = digitsOf(tm.text)
		}
	}
}

// decodeQuery reads an addressbook-query's filter; a collation or match
// type the server does not know is the supported-collation or
// supported-filter precondition.
func decodeQuery(req *queryReq) (*cardQuery, error) {
	aq := &cardQuery{test: filterTest(req.Filter.Test)}
	tm := func(e textMatchElem) (textMatch, error) {
		if !validCollation(e.Collation) {
			return textMatch{}, &davError{status: http.StatusForbidden, cond: xmlName(nsCard, "supported-collation"),
				message: "the collations are i;unicode-casemap (the default), i;ascii-casemap and i;octet, not " + e.Collation}
		}
		if !validMatchType(e.MatchType) {
			return textMatch{}, &davError{status: http.StatusForbidden, cond: condFilter,
				message: "match-type is equals, contains, starts-with or ends-with, not " + e.MatchType}
		}
		return textMatch{text: e.Value, collation: e.Collation, matchType: e.MatchType, negate: e.Negate == "yes"}, nil
	}
	for _, pf := range req.Filter.Props {
		f := propFilter{name: strings.ToUpper(pf.Name), test: filterTest(pf.Test), isNotDefined: pf.IsNotDefined != nil}
		for _, e := range pf.TextMatches {
			m, err := tm(e)
			if err != nil {
				return nil, err
			}
			f.matches = append(f.matches, m)
		}
		for _, pm := range pf.Params {
			p := paramFilter{name: pm.Name, isNotDefined: pm.IsNotDefined != nil}
			if pm.TextMatch != nil {
				m, err := tm(*pm.TextMatch)
				if err != nil {
					return nil, err
				}
				p.match = &m
			}
			f.params = append(f.params, p)
		}
		aq.props = append(aq.props, f)
	}
	return aq, nil
}

func digitsOf(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

// cardNameOf reads the card name of an href (a path or a URL).
func cardNameOf(href string) (string, bool) {
	u, err := url.Parse(href)
	if err != nil {
		return "", false
	}
	k, name := resolvePath(u.Path)
	return name, k == kindCard
}

// maxQueryResults bounds an addressbook-query's answer.
const maxQueryResults = 1000

// query answers addressbook-query. Filters on FN, EMAIL and TEL find
// their candidates through the store's indexes (the name search, the
// email and number indexes); every candidate is then matched against the
// whole filter on its card. Other filters read the address book through.
func (h *Handler) query(q *request, req *queryReq) error {
	w := wantedOf(req.Prop, false, false)
	aq, err := decodeQuery(req)
	if err != nil {
		return err
	}
	normalizeTel(aq, q.p.Region)
	limit := maxQueryResults
	if req.Limit != nil && req.Limit.NResults > 0 {
		limit = min(limit, req.Limit.NResults)
	}
	ctx := q.r.Context()
	m := newMultistatus(q.w)
	n := 0
	emit := func(c *contactd.Contact, k *contactd.Card, name string) bool {
		data, err := render(c, k, v4, noPhoto)
		if err != nil {
			return true
		}
		card, err := vcard.NewDecoder(strings.NewReader(string(data))).Decode()
		if err != nil {
			return true
		}
		// Numbers match as numbers: the contact's, as digits of E.164.
		delete(card, vcard.FieldTelephone)
		for _, ph := range c.Phones {
			card.Add(vcard.FieldTelephone, &vcard.Field{Value: strings.TrimPrefix(ph.E164, "+")})
		}
		if !aq.match(card) {
			return true
		}
		h.writeCard(m, q, cardHref(name), c.Version, c, k, w)
		n++
		return n < limit
	}
	ids, indexed, err := h.candidates(q, aq)
	if err != nil {
		return err // nothing written yet
	}
	if indexed {
		cs, cards, err := h.svc.CardContacts(ctx, q.p, ids)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if c == nil {
				continue
			}
			k := cards[c.ID]
			name := contactd.DefaultCardName(c.ID)
			if k != nil {
				name = k.Name
			}
			if !emit(c, k, name) {
				break
			}
		}
	} else {
		stop := errors.New("enough")
		err := h.eachEntry(q, wanted{props: []element{{XMLName: pAddressData}}}, func(e contactd.CardEntry, c *contactd.Contact, k *contactd.Card) {
			if n < limit {
				emit(c, k, e.Name)
			}
		})
		if err != nil && !errors.Is(err, stop) {
			h.log.Error("carddav query", "err", err)
			m.err = err
		}
	}
	if n >= limit && req.Limit == nil {
		m.status(bookPath, http.StatusInsufficientStorage)
	}
	return m.close("")
}

// candidates finds, through the store's indexes, the contacts a query
// can match: indexed is false when some filter cannot be answered so, and
// the address book is to be read through.
func (h *Handler) candidates(q *request, aq *cardQuery) ([]string, bool, error) {
	if len(aq.props) == 0 {
		return nil, false, nil
	}
	var sets [][]string
	for _, pf := range aq.props {
		if pf.isNotDefined || len(pf.matches) != 1 || pf.matches[0].negate || len(pf.params) > 0 {
			if aq.test == allOf {
				continue // another filter may narrow it
			}
			return nil, false, nil
		}
		req, ok := indexedRequest(pf.name, pf.matches[0])
		if !ok {
			if aq.test == allOf {
				continue
			}
			return nil, false, nil
		}
		req.Limit = maxQueryResults
		req.NoCount = true
		page, err := h.svc.ListContacts(q.r.Context(), q.p, req)
		if err != nil {
			return nil, false, err
		}
		var ids []string
		for _, c := range page.Data {
			ids = append(ids, c.ID)
		}
		sets = append(sets, ids)
		if aq.test == allOf {
			return ids, true, nil // one indexed filter narrows; matching does the rest
		}
	}
	if len(sets) == 0 {
		return nil, false, nil
	}
	seen := map[string]bool{}
	var out []string
	for _, s := range sets {
		for _, id := range s {
			if !seen[id] {
				seen[id] = true
				out = append(out, id)
			}
		}
	}
	return out, true, nil
}

// indexedRequest is the list request whose contacts include every one a
// text-match on FN, EMAIL or TEL can match, when there is one.
func indexedRequest(prop string, tm textMatch) (contactd.ContactListRequest, bool) {
	text := strings.TrimSpace(tm.text)
	if text == "" {
		return contactd.ContactListRequest{}, false
	}
	filter := func(field, op, v string) contactd.ContactListRequest {
		b, _ := json.Marshal(map[string]map[string]string{field: {op: v}})
		return contactd.ContactListRequest{ListParams: contactd.ListParams{Filter: b}}
	}
	mt := tm.matchType
	switch prop {
	case "FN":
		// The name search finds names whose words start with the text's
		// words: every name that equals or starts with the text.
		if mt == "equals" || mt == "starts-with" {
			return contactd.ContactListRequest{Q: text}, true
		}
	case "EMAIL":
		switch mt {
		case "equals":
			return filter("emails", "$eq", strings.ToLower(text)), true
		case "starts-with":
			return filter("emails", "$prefix", strings.ToLower(text)), true
		}
	case "TEL":
		// Numbers are matched as numbers: the text, read in the tenant's
		// region, equals a contact's number.
		if mt == "equals" {
			return filter("phones", "$eq", text), true
		}
		if digits := digitsOf(text); len(digits) >= 3 {
			return contactd.ContactListRequest{Q: digits}, true
		}
	}
	return contactd.ContactListRequest{}, false
}
