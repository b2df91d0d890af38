package carddav

import (
	"strings"

	"github.com/emersion/go-vcard"
	"golang.org/x/text/cases"
)

// The filters of addressbook-query (RFC 6352 §10.5), matched against a
// card: every value of a property, parameters included, under the
// collation asked for (i;unicode-casemap, the default, compares case-
// folded text).

type filterTest string

const (
	anyOf filterTest = "anyof"
	allOf filterTest = "allof"
)

type textMatch struct {
	text      string
	collation string
	matchType string // equals, contains (the default), starts-with, ends-with
	negate    bool
}

type paramFilter struct {
	name         string
	isNotDefined bool
	match        *textMatch
}

type propFilter struct {
	name         string
	test         filterTest
	isNotDefined bool
	matches      []textMatch
	params       []paramFilter
}

type cardQuery struct {
	test  filterTest
	props []propFilter
}

var folder = cases.Fold()

// fold is the text a collation compares.
func (tm textMatch) fold(s string) string {
	switch tm.collation {
	case "i;octet":
		return s
	case "i;ascii-casemap":
		return strings.ToLower(s)
	}
	return folder.String(s)
}

func (tm textMatch) matches(value string) bool {
	v, t := tm.fold(value), tm.fold(tm.text)
	var ok bool
	switch tm.matchType {
	case "equals":
		ok = v == t
	case "starts-with":
		ok = strings.HasPrefix(v, t)
	case "ends-with":
		ok = strings.HasSuffix(v, t)
	default:
		ok = strings.Contains(v, t)
	}
	return ok != tm.negate
}

// validCollation reports a collation the server supports.
func validCollation(c string) bool {
	return c == "" || c == "i;unicode-casemap" || c == "i;ascii-casemap" || c == "i;octet"
}

func validMatchType(m string) bool {
	return m == "" || m == "equals" || m == "contains" || m == "starts-with" || m == "ends-with"
}

// match reports whether a card passes the query.
func (q cardQuery) match(card vcard.Card) bool {
	if len(q.props) == 0 {
		return true
	}
	for _, pf := range q.props {
		ok := pf.match(card)
		if q.test == allOf && !ok {
			return false
		}
		if q.test != allOf && ok {
			return true
		}
	}
	return q.test == allOf
}

// match reports whether some value of the property passes the filter.
func (pf propFilter) match(card vcard.Card) bool {
	fields := card[pf.name]
	if pf.isNotDefined {
		return len(fields) == 0
	}
	for _, f := range fields {
		if pf.matchField(f) {
			return true
		}
	}
	return false
}

func (pf propFilter) matchField(f *vcard.Field) bool {
	var tests []bool
	for _, tm := range pf.matches {
		tests = append(tests, tm.matches(f.Value))
	}
	for _, p := range pf.params {
		values := f.Params[strings.ToUpper(p.name)]
		switch {
		case p.isNotDefined:
			tests = append(tests, len(values) == 0)
		case p.match == nil:
			tests = append(tests, len(values) > 0)
		default:
			ok := false
			for _, v := range values {
				ok = ok || p.match.matches(v)
			}
			tests = append(tests, ok)
		}
	}
	if len(tests) == 0 {
		return true
	}
	for _, ok := range tests {
		if pf.test == allOf && !ok {
			return false
		}
		if pf.test != allOf && ok {
			return true
		}
	}
	return pf.test == allOf
}
