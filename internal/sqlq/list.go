package sqlq

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/filter"
)

// List builds the query of a page of contacts. Its columns are doc and
// display_name_set, and then the number of contacts in the whole list when
// HasTotal says so.
func (b *Builder) List(q contactd.ContactQuery) string {
	b.t = contacts
	var s strings.Builder
	if t, ok := b.byLevel(q); ok {
		b.tenant = b.Arg(q.TenantID)
		return "SELECT c.doc, c.display_name_set FROM (" + b.rankLevels(t, q.Limit, q.Offset) + ") r " + b.d.crossJoin + " contacts c ON c.tenant_id = " + b.tenant +
			" AND c.id = r.contact_id ORDER BY r.score DESC, r.dn, r.contact_id"
	}
	if q.Rank {
		// Rank and order every match from the term rows, which carry the
		// display name; count them on the way (a ranking sorts them all
		// anyway); read only the page's documents. The contacts are joined
		// before the page only for a filter.
		b.total = true
		if q.Filter == nil {
			s.WriteString("SELECT s.contact_id AS id, s.score AS score, s.dn AS dn, COUNT(*) OVER () AS total FROM (" +
				b.search(q.TenantID, q.Terms, q.IncludeDeleted) + ") s")
			b.tenant = b.Arg(q.TenantID)
		} else {
			s.WriteString("SELECT c.id AS id, s.score AS score, s.dn AS dn, COUNT(*) OVER () AS total FROM contacts c")
			b.from(&s, q)
		}
		s.WriteString(" ORDER BY score DESC, dn, id")
		b.page(&s, q.Limit, q.Offset)
		return "SELECT c.doc, c.display_name_set, r.total FROM (" + s.String() + ") r JOIN contacts c ON c.tenant_id = " + b.tenant +
			" AND c.id = r.id ORDER BY r.score DESC, r.dn, r.id"
	}
	if tag, rest, ok := tagOrdered(q, false); ok {
		s.WriteString("SELECT c.doc, c.display_name_set FROM contact_tags t JOIN contacts c ON c.tenant_id = t.tenant_id AND c.id = t.contact_id")
		b.t = taggedContacts
		b.tagWhere(&s, q, tag, rest)
		b.orderBy(&s, q.Sort)
		b.page(&s, q.Limit, q.Offset)
		return s.String()
	}
	s.WriteString("SELECT c.doc, c.display_name_set FROM contacts c")
	b.from(&s, q)
	b.orderBy(&s, q.Sort)
	b.page(&s, q.Limit, q.Offset)
	return s.String()
}

// ListDocs builds the query of a page of a list that is neither searched
// nor ranked, reading each contact's id and stored document.
func (b *Builder) ListDocs(q contactd.ContactQuery) string {
	b.t = contacts
	var s strings.Builder
	s.WriteString("SELECT c.id, c.doc FROM contacts c")
	q.Terms, q.Rank = nil, false
	b.from(&s, q)
	b.orderBy(&s, q.Sort)
	b.page(&s, q.Limit, q.Offset)
	return s.String()
}

// taggedContacts is contacts c read through the tag rows t of one tag,
// which carry their contact's liveness and sort key updatedAt (see
// tagOrdered).
var taggedContacts = &table{name: "contacts", alias: "c", columns: contacts.columns, arrays: contacts.arrays, addresses: true, properties: true,
	sorts: map[string]string{"updatedAt": "t.updated_at", "id": "t.contact_id"}}

// tagOrdered reports whether a list of live contacts is best read from the
// index of a tag it requires: its filter requires the tag (an equality, or
// $in or $all of that one tag, alone or in a conjunction; rest is the
// remainder, nil for none), and it
// has no full-text search. A page then needs the sort updatedAt (either
// way, id breaking ties alike), which the tag rows carry, so the index
// hands out the page in order; a count needs no sort.
func tagOrdered(q contactd.ContactQuery, count bool) (tag string, rest filter.Node, ok bool) {
	if q.Rank || len(q.Terms) > 0 || q.IncludeDeleted {
		return "", nil, false
	}
	if !count && (len(q.Sort) != 2 || q.Sort[0].Field != "updatedAt" || q.Sort[1].Field != "id" || q.Sort[0].Desc != q.Sort[1].Desc) {
		return "", nil, false
	}
	isTag := func(n filter.Node) (string, bool) {
		c, ok := n.(*filter.Cond)
		if !ok || c.Field.Name != "tags" {
			return "", false
		}
		v := c.Value
		switch {
		case c.Op == filter.OpEq:
		case (c.Op == filter.OpIn || c.Op == filter.OpAll) && len(c.Values) == 1:
			v = c.Values[0] // one tag of one: the same question
		default:
			return "", false
		}
		tag, ok := v.(string)
		return strings.ToLower(tag), ok
	}
	switch f := q.Filter.(type) {
	case *filter.Cond:
		if tag, ok := isTag(f); ok {
			return tag, nil, true
		}
	case *filter.And:
		for i, n := range f.Nodes {
			if tag, ok := isTag(n); ok {
				others := append(slices.Clone(f.Nodes[:i]), f.Nodes[i+1:]...)
				if len(others) == 1 {
					return tag, others[0], true
				}
				return tag, &filter.And{Nodes: others}, true
			}
		}
	}
	return "", nil, false
}

// tagWhere writes the WHERE clause of a list read through the rows t of a
// tag: the tenant, the tag, live contacts, the rest of the filter and the
// keyset position.
func (b *Builder) tagWhere(s *strings.Builder, q contactd.ContactQuery, tag string, rest filter.Node) {
	b.tenant = b.Arg(q.TenantID)
	s.WriteString(" WHERE t.tenant_id = " + b.tenant + " AND t.tag = " + b.Arg(tag) + " AND t.live = " + b.Arg(b.d.boolArg(true)))
	if rest != nil {
		s.WriteString(" AND (" + b.Filter(rest) + ")")
	}
	if len(q.After) > 0 {
		s.WriteString(" AND (" + b.keyset(q.Sort, q.After) + ")")
	}
}

// ListAccounts builds the query of a page of accounts. Its one column is
// doc.
func (b *Builder) ListAccounts(q contactd.Query) string {
	b.t = accounts
	var s strings.Builder
	s.WriteString("SELECT a.doc FROM accounts a")
	b.where(&s, q, "")
	b.orderBy(&s, q.Sort)
	b.page(&s, q.Limit, q.Offset)
	return s.String()
}

// CountAccounts builds the query counting every account of a list
// (ignoring pages), or at most q.CountUpTo of them.
func (b *Builder) CountAccounts(q contactd.Query) string {
	b.t = accounts
	q.After = nil
	var s strings.Builder
	s.WriteString(b.countHead(q.CountUpTo) + "accounts a")
	b.where(&s, q, "")
	return b.countTail(&s, q.CountUpTo)
}

// orderBy writes the ORDER BY clause of a sort.
func (b *Builder) orderBy(s *strings.Builder, sort []contactd.SortKey) {
	s.WriteString(" ORDER BY ")
	for i, k := range sort {
		if i > 0 {
			s.WriteString(", ")
		}
		s.WriteString(b.sortColumn(k.Field))
		if k.Desc {
			s.WriteString(" DESC")
		}
	}
}

// sortColumn is the column of a sort field of the listed table, or for a
// part of a sort by a custom field (contactd.PropertySortKeys) its
// expression: never NULL, as keyset comparisons need.
func (b *Builder) sortColumn(field string) string {
	if path, part, ok := contactd.PropertySortPart(field); ok && b.t.properties {
		p := b.Arg(b.d.propPath(path))
		typ := b.d.propType(p)
		switch part {
		case "rank":
			return "(CASE " + typ + " WHEN 'number' THEN 0 WHEN 'string' THEN 1 ELSE 2 END)"
		case "number":
			return "COALESCE(" + b.d.propNumber(p) + ", 0)"
		case "text":
			return "(CASE WHEN " + typ + " = 'string' THEN " + b.d.propText(p) + " ELSE '' END)" + b.d.bytewise
		}
	}
	if path, ok := b.t.docs[field]; ok {
		return b.d.docText(path)
	}
	col, ok := b.t.sorts[field]
	if !ok {
		panic(fmt.Sprintf("sqlq: %s cannot be sorted by %q", b.t.name, field))
	}
	return col
}

// page writes LIMIT and, past the first page, OFFSET.
func (b *Builder) page(s *strings.Builder, limit, offset int) {
	s.WriteString(" LIMIT " + b.Arg(limit))
	if offset > 0 {
		s.WriteString(" OFFSET " + b.Arg(offset))
	}
}

// Count builds the query counting every contact of the list (ignoring
// pages), or at most q.CountUpTo of them.
func (b *Builder) Count(q contactd.ContactQuery) string {
	b.t = contacts
	q.After = nil
	b.fromValues = true
	var s strings.Builder
	if tag, rest, ok := tagOrdered(q, true); ok {
		// The tag rows alone, unless more of the filter needs the contact.
		s.WriteString(b.countHead(q.CountUpTo) + "contact_tags t")
		if rest != nil {
			s.WriteString(" JOIN contacts c ON c.tenant_id = t.tenant_id AND c.id = t.contact_id")
		}
		b.tagWhere(&s, q, tag, rest)
		return b.countTail(&s, q.CountUpTo)
	}
	if t, ok := b.byLevel(q); ok {
		// Each contact once, from the term rows alone.
		s.WriteString(b.countHead(q.CountUpTo) + "(SELECT DISTINCT contact_id FROM contact_terms WHERE tenant_id = " + b.Arg(q.TenantID) +
			" AND term >= " + b.Arg(t) + " AND term < " + b.Arg(t+"\U0010FFFF") + " AND live = " + b.Arg(b.d.boolArg(true)) + ") m")
		return b.countTail(&s, q.CountUpTo)
	}
	s.WriteString(b.countHead(q.CountUpTo) + "contacts c")
	b.from(&s, q)
	return b.countTail(&s, q.CountUpTo)
}

// rankPrefixLen is how many leading characters of a term the rank index
// (contact_terms_rank, migration 00011) groups terms by.
const rankPrefixLen = 2

// byLevel reports whether a ranked search is answered level by level
// (rankLevels) and returns its token: a search of one token of at least
// rankPrefixLen characters, of live contacts, with no filter (a filter or
// another token would have to be checked for every match, which the
// general plan does at once). A token of digits takes the general plan,
// which reads the phone digits' own index too.
func (b *Builder) byLevel(q contactd.ContactQuery) (string, bool) {
	if !q.Rank || len(q.Terms) != 1 || q.Filter != nil || q.IncludeDeleted {
		return "", false
	}
	t := q.Terms[0]
	if !utf8.ValidString(t) || utf8.RuneCountInString(t) < rankPrefixLen || allDigits(t) {
		return "", false
	}
	return t, true
}

// rankLevels selects the page of the live contacts matching the token t,
// ranked as search ranks them (best of weight×2 + 1 for an exact term,
// then display name, then id), as contact_id, dn and score, without
// scoring every match. A contact's score is one of eight levels: an exact
// name term (7), a name prefix (6), an exact company term (5), a company
// prefix (4), an exact other term (3), another prefix (2), an exact word
// of the notes (1), a prefix of one (0). Each level
// hands out its contacts in display-name order, skipping those that
// belong to a higher level, and stops at the page: the exact levels sort
// the rows of the one term t; the prefix levels of names and companies
// read the rank index, where the terms sharing t's first characters lie in
// display-name order, and keep the rows whose term t is a prefix of. The
// levels run in turn until the page is full, so a common prefix costs a
// page's rows, not its thousands of matches. Only the last levels (other
// fields and notes, reached when fewer than a page match better) sort
// every match of their own.
func (b *Builder) rankLevels(t string, limit, offset int) string {
	tenant, lo, hi := b.tenant, b.Arg(t), b.Arg(t+"\U0010FFFF")
	live, n := b.Arg(b.d.boolArg(true)), b.Arg(offset+limit)
	prefix := b.Arg(string([]rune(t)[:rankPrefixLen]))
	// better is the condition that the contact has a matching term x that
	// places it higher than the row r (or equally, on an earlier term: a
	// contact with several matching terms of one level is handed out once).
	better := func(cond string) string {
		return " AND NOT EXISTS (SELECT 1 FROM contact_terms x" + b.d.indexedBy("contact_terms_contact") + " WHERE x.tenant_id = " + tenant + " AND x.contact_id = r.contact_id" +
			" AND " + b.contactTermIn("x.term", lo, hi) + " AND (" + cond + "))"
	}
	var arms []string
	arm := func(score int, index, where string) {
		arms = append(arms, "SELECT * FROM (SELECT r.contact_id AS contact_id, r.display_name AS dn, "+strconv.Itoa(score)+" AS score"+
			" FROM contact_terms r"+index+" WHERE r.tenant_id = "+tenant+where+" AND r.live = "+live+
			" ORDER BY r.display_name, r.contact_id LIMIT "+n+") l"+strconv.Itoa(score))
	}
	for _, w := range []int{weightName, weightCompany} {
		ws := strconv.Itoa(w)
		exact := " AND r.term = " + lo + " AND r.weight = " + ws
		if w < weightName {
			exact += better("x.weight > " + ws)
		}
		arm(2*w+1, "", exact)
		// The rank index holds the terms weighing more than weightOther;
		// SQLite uses a partial index only for a query that spells its
		// condition out, and it is marked as true of almost every row:
		// otherwise the planner, judging by the statistics a full ANALYZE
		// leaves, takes it for a range narrower than the weight's
		// equality, reads the index by it instead, and sorts every row of
		// the prefix (1.7 ms instead of 0.05 ms for a level of "luc" at
		// 100,000 contacts, 150 ms for the search). The term's range is a
		// filter here, not a way in: read through the primary key it
		// would need a sort of every match.
		pre := " AND substr(r.term, 1, " + strconv.Itoa(rankPrefixLen) + ") = " + prefix +
			" AND " + b.unindexed("r.term") + " > " + lo + " AND " + b.unindexed("r.term") + " < " + hi +
			" AND r.weight = " + ws + " AND " + b.d.surely("r.weight > "+strconv.Itoa(weightOther))
		arm(2*w, b.d.indexedBy("contact_terms_rank"), pre+better("x.weight > "+ws+" OR x.weight = "+ws+" AND x.term < r.term"))
	}
	// The levels of other fields and notes (3 to 0) are reached only when
	// fewer contacts than the page match by name or company, and the rank
	// index does not hold their terms: they are read whole, grouped by contact,
	// and the few contacts that match better are left out as a set. (A
	// check per row, as above, cost 40 µs a row in the contact's index:
	// 70 ms for the 1,600 email terms of "you" at 100,000 contacts.)
	arms = append(arms, "SELECT * FROM (SELECT r.contact_id AS contact_id, MAX(r.display_name) AS dn,"+
		" MAX(r.weight * 2 + CASE WHEN r.term = "+lo+" THEN 1 ELSE 0 END) AS score"+
		" FROM contact_terms r WHERE r.tenant_id = "+tenant+" AND r.term >= "+lo+" AND r.term < "+hi+
		" AND r.weight <= "+strconv.Itoa(weightOther)+" AND r.live = "+live+
		" AND r.contact_id NOT IN (SELECT x.contact_id FROM contact_terms x WHERE x.tenant_id = "+tenant+
		" AND x.term >= "+lo+" AND x.term < "+hi+" AND x.weight > "+strconv.Itoa(weightOther)+" AND x.live = "+live+")"+
		" GROUP BY r.contact_id ORDER BY score DESC, dn, contact_id LIMIT "+n+") l"+strconv.Itoa(2*weightOther))
	var s strings.Builder
	s.WriteString(strings.Join(arms, " UNION ALL "))
	b.page(&s, limit, offset)
	return s.String()
}

// unindexed is a term column in a form no index answers, compared
// bytewise like the column: a lookup of one contact's terms goes through
// the contact's index, not through a range of the primary key that holds
// every contact's matching terms. (SQLite is told the index outright;
// PostgreSQL, which takes no such hint, misjudged the range as a row or
// two and probed it once per match: 1.5 s for a 3-letter prefix at
// 1,000,000 contacts.)
func (b *Builder) unindexed(col string) string {
	return "(" + col + " || '')" + b.d.bytewise
}

// contactTermIn is the condition that the term column col of one
// contact's term rows, read through the contact's index
// (contact_terms_contact), lies in [lo, hi). SQLite, told that index, seeks
// the range among the contact's entries, which end with the term (the
// primary key's remaining column), and reads only the matching rows: a
// check per contact went from 40 to 8 µs at 100,000 contacts. PostgreSQL
// is given the unindexed form (see unindexed).
func (b *Builder) contactTermIn(col, lo, hi string) string {
	if b.d.seeksContactTerms {
		return col + " >= " + lo + " AND " + col + " < " + hi
	}
	return b.unindexed(col) + " >= " + lo + " AND " + b.unindexed(col) + " < " + hi
}

// The weights contactd.SearchTerms gives terms: names, company, the rest
// (notes weigh less, and are ranked with the rest by rankLevels).
const (
	weightName    = contactd.WeightName
	weightCompany = contactd.WeightCompany
	weightOther   = contactd.WeightOther
)

// countHead and countTail wrap the count of a list: COUNT(*) of its rows,
// or of its first upTo rows when upTo is not 0, so that the count stops
// there.
func (b *Builder) countHead(upTo int) string {
	if upTo > 0 {
		return "SELECT COUNT(*) FROM (SELECT 1 FROM "
	}
	return "SELECT COUNT(*) FROM "
}

func (b *Builder) countTail(s *strings.Builder, upTo int) string {
	if upTo > 0 {
		s.WriteString(" LIMIT " + b.Arg(upTo) + ") n")
	}
	return s.String()
}

func (b *Builder) from(s *strings.Builder, q contactd.ContactQuery) {
	if hasDirectory(q.Filter) {
		// A directory is a few of the tenant's contacts: its partial
		// index finds them (see directoryCond), whatever the statistics.
		s.WriteString(b.d.indexedBy("contacts_directory"))
	}
	if len(q.Terms) > 0 {
		s.WriteString(" JOIN (" + b.search(q.TenantID, q.Terms, q.IncludeDeleted) + ") s ON s.contact_id = c.id")
	}
	if q.Rank {
		q.After = nil
	}
	extra := ""
	if !q.IncludeDeleted {
		extra = " AND c.deleted_at IS NULL"
	}
	b.where(s, q.Query, extra)
}

// where writes the WHERE clause of a list of the table: its tenant, extra
// conditions, the filter and the keyset position.
func (b *Builder) where(s *strings.Builder, q contactd.Query, extra string) {
	b.tenant = b.Arg(q.TenantID)
	s.WriteString(" WHERE " + b.t.alias + ".tenant_id = " + b.tenant + extra)
	if q.Filter != nil {
		s.WriteString(" AND (" + b.Filter(q.Filter) + ")")
	}
	if len(q.After) > 0 {
		s.WriteString(" AND (" + b.keyset(q.Sort, q.After) + ")")
	}
}

// search selects the contacts matching every token, with a score and
// their display name (dn): per token, the best of its matching terms'
// weight×2, plus one for an exact term; summed over tokens. Deleted
// contacts' terms count only when includeDeleted.
func (b *Builder) search(tenantID string, terms []string, includeDeleted bool) string {
	live, xlive := "", "" // deleted contacts' terms left out, of contact_terms and x
	if !includeDeleted {
		arg := b.Arg(b.d.boolArg(true))
		live, xlive = " AND live = "+arg, " AND x.live = "+arg
	}
	part := func(t string) string {
		p := "SELECT contact_id, MAX(weight * 2 + CASE WHEN term = " + b.Arg(t) + " THEN 1 ELSE 0 END) AS best, MAX(display_name) AS dn" +
			" FROM contact_terms WHERE tenant_id = " + b.Arg(tenantID) +
			" AND term >= " + b.Arg(t) + " AND term < " + b.Arg(t+"\U0010FFFF") + live + " GROUP BY contact_id"
		if allDigits(t) {
			p = "SELECT contact_id, MAX(best) AS best, MAX(dn) AS dn FROM (" + p + " UNION ALL " +
				b.phoneDigits(tenantID, t, includeDeleted) + ") u GROUP BY contact_id"
		}
		return p
	}
	drive, check := b.driver(terms)
	if len(check) == 0 {
		return b.grouped(drive, part)
	}
	// The tokens that drive find the matches; the others are looked up in
	// each match's own terms.
	score := "d.score"
	for _, t := range check {
		score += " + (SELECT MAX(x.weight * 2 + CASE WHEN x.term = " + b.Arg(t) + " THEN 1 ELSE 0 END) FROM contact_terms x" +
			b.d.indexedBy("contact_terms_contact") + " WHERE x.tenant_id = " + b.Arg(tenantID) + " AND x.contact_id = d.contact_id" +
			" AND " + b.contactTermIn("x.term", b.Arg(t), b.Arg(t+"\U0010FFFF")) + xlive + ")"
	}
	// A token a match lacks makes its score NULL.
	return "SELECT contact_id, score, dn FROM (SELECT d.contact_id AS contact_id, " + score + " AS score, d.dn AS dn FROM (" +
		b.grouped(drive, part) + ") d) t WHERE score IS NOT NULL"
}

// grouped selects the contacts matching every one of the tokens, from
// each token's matches (part), with their summed score and display name.
func (b *Builder) grouped(terms []string, part func(string) string) string {
	if len(terms) == 1 {
		// One token: its matches are grouped by contact already.
		return "SELECT contact_id, best AS score, dn FROM (" + part(terms[0]) + ") t"
	}
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = part(t)
	}
	return "SELECT contact_id, SUM(best) AS score, MAX(dn) AS dn FROM (" + strings.Join(parts, " UNION ALL ") +
		") t GROUP BY contact_id HAVING COUNT(*) = " + strconv.Itoa(len(terms))
}

// driver splits the tokens of a search into those whose matches are read
// and grouped (drive) and those checked in each such match's own terms
// (check), by what each costs: reading a token's matches costs about 2 µs
// a match, checking a token in a contact's terms about 8 µs a contact
// (SQLite at 100,000 contacts). A short token (one or two letters of an
// alphabet) matches a large part of the contacts (o: 41,700 term rows,
// br: 12,200), a longer one a few thousand at most (william: 3,000, yan:
// 8,400, 杨: 2,000), so the short tokens are checked whenever a longer one
// drives. An email address (a token with an "@") matches a contact or
// two: it drives alone. A token of digits cannot be checked in the terms
// (phone digits are indexed apart): every token drives. Measured at
// 100,000 contacts against the rule before (one token drove when twice as
// long as every other): "noa o br" 84 → 14 ms, "william kli" 18 → 5 ms,
// "yan 杨" 46 → 13 ms; "maria s" is driven by "maria" under both (17 ms;
// 72 ms read whole).
func (b *Builder) driver(terms []string) (drive, check []string) {
	for _, t := range terms {
		if allDigits(t) {
			return terms, nil
		}
	}
	for i, t := range terms {
		if strings.Contains(t, "@") {
			return terms[i : i+1], append(slices.Clone(terms[:i]), terms[i+1:]...)
		}
	}
	for _, t := range terms {
		if shortToken(t) {
			check = append(check, t)
		} else {
			drive = append(drive, t)
		}
	}
	if len(drive) == 0 {
		return terms, nil
	}
	return drive, check
}

// shortToken reports whether a token is one or two letters of an
// alphabet (not of a script whose letters are syllables or words, such as
// Han, kana or Hangul): such a prefix matches a large part of the contacts.
func shortToken(t string) bool {
	if utf8.RuneCountInString(t) > 2 {
		return false
	}
	for _, r := range t {
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul) {
			return false
		}
	}
	return true
}

// phoneDigits selects the contacts with a number containing the digits t,
// scored like a phone-digit term (an exact match is a number ending in t),
// with their display name. Three digits or more are found through the
// trigram index; fewer, which it cannot answer, by reading the tenant's
// numbers.
func (b *Builder) phoneDigits(tenantID, t string, includeDeleted bool) string {
	score := "MAX(" + strconv.Itoa(2*phoneDigitWeight) + " + CASE WHEN p.e164 LIKE " + b.Arg("%"+t) + " THEN 1 ELSE 0 END) AS best"
	where := " WHERE p.tenant_id = " + b.Arg(tenantID)
	if !includeDeleted {
		where += " AND p.live = " + b.Arg(b.d.boolArg(true))
	}
	if len(t) >= 3 {
		where += " AND " + b.d.digitsIn(b, t)
	} else {
		where += " AND " + b.d.contains("p.e164", b.Arg(t))
	}
	// The display name by a lookup per match: PostgreSQL would otherwise
	// hash-join the tenant's every contact for a few hundred matches.
	return "SELECT p.contact_id AS contact_id, " + score +
		", MAX((SELECT c.display_name FROM contacts c WHERE c.tenant_id = p.tenant_id AND c.id = p.contact_id)) AS dn" +
		" FROM contact_phones p" + where + " GROUP BY p.contact_id"
}

// phoneDigitWeight is the weight of a match in phone digits, as of a term
// of an email.
const phoneDigitWeight = weightOther

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// keyset returns the condition selecting rows after the given sort values.
// When every key sorts the same way it is one row-value comparison,
// (k1, k2, …) > (v1, v2, …) (< descending), which both databases answer
// as a range of the sort index, so a deep page seeks to its place instead
// of walking the pages before it; otherwise (k1 > v1) OR (k1 = v1 AND
// k2 > v2) OR …
func (b *Builder) keyset(sort []contactd.SortKey, after []any) string {
	uniform := true
	for _, k := range sort {
		uniform = uniform && k.Desc == sort[0].Desc
	}
	if uniform {
		op := " > "
		if sort[0].Desc {
			op = " < "
		}
		if len(sort) == 1 {
			return b.sortColumn(sort[0].Field) + op + b.sortArg(after[0])
		}
		cols, vals := make([]string, len(sort)), make([]string, len(sort))
		for i, k := range sort {
			cols[i], vals[i] = b.sortColumn(k.Field), b.sortArg(after[i])
		}
		return "(" + strings.Join(cols, ", ") + ")" + op + "(" + strings.Join(vals, ", ") + ")"
	}
	var ors []string
	for i := range sort {
		var ands []string
		for j := 0; j < i; j++ {
			ands = append(ands, b.sortColumn(sort[j].Field)+" = "+b.sortArg(after[j]))
		}
		op := " > "
		if sort[i].Desc {
			op = " < "
		}
		ands = append(ands, b.sortColumn(sort[i].Field)+op+b.sortArg(after[i]))
		ors = append(ors, "("+strings.Join(ands, " AND ")+")")
	}
	return strings.Join(ors, " OR ")
}

func (b *Builder) sortArg(v any) string {
	if t, ok := v.(time.Time); ok {
		return b.Arg(b.d.timeArg(t))
	}
	return b.Arg(v)
}
