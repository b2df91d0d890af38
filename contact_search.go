package contactd

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Term is one entry of the full-text index of a contact.
type Term struct {
	Term string
	// Weight ranks where the term came from: names 3, company 2, emails
	// and phone digits 1, notes 0.
	Weight int
}

// Term weights: a search ranks a contact by the weights of its matching
// terms (stores that rank by level rely on these four values).
const (
	WeightName    = 3
	WeightCompany = 2
	WeightOther   = 1
	WeightNotes   = 0
)

const (
	maxTermLen    = 64
	maxQueryTerms = 8
)

// letterFolds spells letters that have no decomposition in plain Latin.
var letterFolds = map[rune]string{
	'ø': "o", 'ł': "l", 'ß': "ss", 'æ': "ae", 'œ': "oe", 'đ': "d", 'ð': "d", 'þ': "th", 'ı': "i", 'ħ': "h",
}

// fold lower-cases s and removes accents: "Zoë Łukasz" → "zoe lukasz".
func fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if f, ok := letterFolds[r]; ok {
			b.WriteString(f)
			continue
		}
		b.WriteRune(r)
	}
	return norm.NFC.String(b.String())
}

// words splits folded text into runs of letters and digits.
func words(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
}

// SearchTerms returns the full-text index entries of a contact: the words
// of its names (and each name with its punctuation removed, so "O'Brien"
// is found as "obrien"), of its company, its email addresses (folded:
// whole, the words of the local part, and the domain whole and in words),
// and of its notes.
// Phone digits are not among them: each store indexes the digits of each
// number in a trigram index, so that any three or more consecutive digits
// find it.
func SearchTerms(c *Contact) []Term {
	best := map[string]int{}
	add := func(t string, w int) {
		if t == "" {
			return
		}
		if len(t) > maxTermLen {
			t = truncateBytes(t, maxTermLen)
		}
		if b, ok := best[t]; !ok || b < w {
			best[t] = w
		}
	}
	for _, s := range []string{c.FirstName, c.MiddleName, c.LastName, c.NickName, c.DisplayName} {
		f := fold(s)
		ws := words(f)
		for _, w := range ws {
			add(w, WeightName)
		}
		for _, part := range strings.Fields(f) {
			if joined := strings.Join(words(part), ""); joined != part {
				add(joined, WeightName)
			}
		}
	}
	for _, w := range words(fold(c.Company)) {
		add(w, WeightCompany)
	}
	for _, e := range c.Emails {
		// Folded like queries, so that "jose@" finds "josé@…"; the domain's
		// words too, as a query token "kline.io" becomes "kline" and "io".
		addr := fold(e.Address)
		add(addr, WeightOther)
		local, domain, _ := strings.Cut(addr, "@")
		for _, w := range words(local) {
			add(w, WeightOther)
		}
		add(domain, WeightOther)
		for _, w := range words(domain) {
			add(w, WeightOther)
		}
	}
	for _, w := range words(fold(c.Notes)) {
		add(w, WeightNotes)
	}
	out := make([]Term, 0, len(best))
	for t, w := range best {
		out = append(out, Term{Term: t, Weight: w})
	}
	return out
}

func truncateBytes(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// SearchTokens turns a full-text query into the normalized tokens that
// SearchTerms' entries are matched against by prefix. A token with an "@"
// keeps its punctuation (it prefixes an email address); a token of digits
// and phone punctuation becomes its digits; other tokens split into words.
func SearchTokens(q string) []string {
	var out []string
	seen := map[string]bool{}
	add := func(t string) {
		if t != "" && !seen[t] && len(out) < maxQueryTerms {
			seen[t] = true
			if len(t) > maxTermLen {
				t = truncateBytes(t, maxTermLen)
			}
			out = append(out, t)
		}
	}
	for _, tok := range strings.Fields(fold(q)) {
		switch {
		case strings.Contains(tok, "@"):
			add(tok)
		case phoneLike(tok):
			add(strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' {
					return r
				}
				return -1
			}, tok))
		default:
			for _, w := range words(tok) {
				add(w)
			}
		}
	}
	return out
}

// phoneLike reports whether a token is digits with phone punctuation.
func phoneLike(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune("+-().", r):
		default:
			return false
		}
	}
	return digits > 0
}
