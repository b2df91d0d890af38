package contactd

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFold(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"Zoë", "zoe"},
		{"Zoe\u0308", "zoe"}, // decomposed
		{"ZOË", "zoe"},
		{"Zoë Łukasz", "zoe lukasz"},
		{"José Müller-Lüdenscheidt", "jose muller-ludenscheidt"},
		{"Ñandú", "nandu"},
		{"Straße", "strasse"},
		{"Ærøskøbing", "aeroskobing"},
		{"Œuvre", "oeuvre"},
		{"Đorđe", "dorde"},
		{"Þór", "thor"},
		{"İstanbul", "istanbul"},
		{"ıstanbul", "istanbul"},
		{"Ħaż-Żebbuġ", "haz-zebbug"},
		{"Crème Brûlée", "creme brulee"},
		{"Ελλάδα", "ελλαδα"},
		{"東京", "東京"},
		{"O'Brien", "o'brien"},
		{"jordan@Example.COM", "jordan@example.com"},
		{"+1 (415) 555-2671", "+1 (415) 555-2671"},
		{"", ""},
	}
	for _, tc := range cases {
		got := fold(tc.in)
		if got != tc.want {
			t.Errorf("fold(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if again := fold(got); again != got {
			t.Errorf("fold is not idempotent on %q: %q then %q", tc.in, got, again)
		}
		if !utf8.ValidString(got) {
			t.Errorf("fold(%q) is not valid UTF-8", tc.in)
		}
	}
}

// termMap returns the terms of a contact by term.
func termMap(t *testing.T, c *Contact) map[string]int {
	t.Helper()
	m := map[string]int{}
	for _, term := range SearchTerms(c) {
		if _, dup := m[term.Term]; dup {
			t.Errorf("term %q appears twice", term.Term)
		}
		m[term.Term] = term.Weight
	}
	return m
}

func TestSearchTerms(t *testing.T) {
	t.Parallel()
	c := &Contact{
		FirstName: "Zoë", LastName: "O'Brien", NickName: "Zo", DisplayName: "Dr. Zoë O'Brien",
		Company: "Acme Corp & Kline",
		Emails:  []Email{{Address: "jordan.kline@example.com"}, {Address: "josé@correo.es"}},
		Phones:  []Phone{{E164: "+14805551212"}},
		Notes:   "Prefers Zoë; call après 5pm\nre: Acme, Jordan",
	}
	got := termMap(t, c)
	want := map[string]int{
		// Names, weight 3; O'Brien also as one word.
		"zoe": 3, "o": 3, "brien": 3, "obrien": 3, "zo": 3, "dr": 3,
		// Company, weight 2, unless a name has the word.
		"acme": 2, "corp": 2, "kline": 2,
		// Emails, weight 1: whole (folded), local words, domain whole and in words.
		"jordan.kline@example.com": 1, "jordan": 1, "example.com": 1, "example": 1, "com": 1,
		"jose@correo.es": 1, "jose": 1, "correo.es": 1, "correo": 1, "es": 1,
		// Notes, weight 0, unless a field above has the word.
		"prefers": 0, "call": 0, "apres": 0, "5pm": 0, "re": 0,
		// No phone digits: the stores index those themselves.
	}
	if !maps.Equal(got, want) {
		var extra, missing []string
		for k, w := range got {
			if ww, ok := want[k]; !ok || ww != w {
				extra = append(extra, k)
			}
		}
		for k, w := range want {
			if gw, ok := got[k]; !ok || gw != w {
				missing = append(missing, k)
			}
		}
		slices.Sort(extra)
		slices.Sort(missing)
		t.Errorf("terms differ:\n unexpected or wrong weight: %v\n missing or wrong weight: %v\n got %v", extra, missing, got)
	}

	// A word in a name and in the company keeps the name's weight.
	got = termMap(t, &Contact{LastName: "Kline", Company: "Kline Partners", Emails: []Email{{Address: "kline@x.io"}}})
	if got["kline"] != 3 || got["partners"] != 2 {
		t.Errorf("weights %v, want kline 3 and partners 2", got)
	}

	// Nothing to index.
	if terms := SearchTerms(&Contact{}); len(terms) != 0 {
		t.Errorf("empty contact has terms %v", terms)
	}

	// Long words are cut to 64 bytes on a character boundary.
	got = termMap(t, &Contact{FirstName: strings.Repeat("a", 70), LastName: strings.Repeat("東", 30)})
	if len(got) != 2 {
		t.Fatalf("terms %v", got)
	}
	for term := range got {
		if len(term) > 64 || !utf8.ValidString(term) {
			t.Errorf("term %q: %d bytes, valid %v", term, len(term), utf8.ValidString(term))
		}
	}
	if _, ok := got[strings.Repeat("a", 64)]; !ok {
		t.Errorf("70 a's not cut to 64: %v", got)
	}
	if _, ok := got[strings.Repeat("東", 21)]; !ok {
		t.Errorf("30 東 not cut to 21: %v", got)
	}
}

func TestSearchTokens(t *testing.T) {
	t.Parallel()
	cases := []struct {
		q    string
		want []string
	}{
		{"zoe", []string{"zoe"}},
		{"Zoë", []string{"zoe"}},
		{"  jor   KLI ", []string{"jor", "kli"}},
		{"jordan@", []string{"jordan@"}},
		{"Jordan.Kline@Example.COM", []string{"jordan.kline@example.com"}},
		{"josé@", []string{"jose@"}},
		{"5551212", []string{"5551212"}},
		{"555-1212", []string{"5551212"}},
		{"(480) 555-1212", []string{"480", "5551212"}},
		{"+1-480-555-1212", []string{"14805551212"}},
		{"+1.480.555.1212", []string{"14805551212"}},
		{"o'brien", []string{"o", "brien"}},
		{"kline.io", []string{"kline", "io"}},
		{"Kline, Jordan", []string{"kline", "jordan"}},
		{"ann ann ANN", []string{"ann"}},
		{"a b c d e f g h i j", []string{"a", "b", "c", "d", "e", "f", "g", "h"}},
		{"-- () +", nil},
		{"", nil},
		{"   ", nil},
		{"R2D2", []string{"r2d2"}},
	}
	for _, tc := range cases {
		got := SearchTokens(tc.q)
		if !slices.Equal(got, tc.want) {
			t.Errorf("SearchTokens(%q) = %q, want %q", tc.q, got, tc.want)
		}
	}
	long := SearchTokens(strings.Repeat("é", 100))
	if len(long) != 1 || long[0] != strings.Repeat("e", 64) {
		t.Errorf("long token %q, want 64 e's", long)
	}
	long = SearchTokens(strings.Repeat("東", 30))
	if len(long) != 1 || len(long[0]) > 64 || !utf8.ValidString(long[0]) {
		t.Errorf("long token %q is not cut to 64 bytes of valid UTF-8", long)
	}
}

// TestSearchTokensFindTerms checks that the tokens of what a user types
// about a contact are each a prefix of one of the contact's terms, which is
// how the stores match them.
func TestSearchTokensFindTerms(t *testing.T) {
	t.Parallel()
	c := &Contact{
		FirstName: "Zoë", LastName: "O'Brien-Łukasz", Company: "Straße & Söhne GmbH",
		Emails: []Email{{Address: "zoë.obrien@exämple.de"}, {Address: "z@acme.io"}},
		Phones: []Phone{{E164: "+14805551212"}, {E164: "+442079460000"}},
	}
	var terms []string
	for _, term := range SearchTerms(c) {
		terms = append(terms, term.Term)
	}
	// Both stores index the digits of each number apart, and a token of
	// digits finds the numbers that contain it.
	var numbers []string
	for _, p := range c.Phones {
		numbers = append(numbers, strings.TrimPrefix(p.E164, "+"))
	}
	finds := func(q string) bool {
		toks := SearchTokens(q)
		if len(toks) == 0 {
			return false
		}
		for _, tok := range toks {
			inTerms := slices.ContainsFunc(terms, func(term string) bool { return strings.HasPrefix(term, tok) })
			inDigits := strings.Trim(tok, "0123456789") == "" && slices.ContainsFunc(numbers, func(n string) bool { return strings.Contains(n, tok) })
			if !inTerms && !inDigits {
				return false
			}
		}
		return true
	}
	for _, q := range []string{
		"zoe", "ZOË", "zo obr", "o'brien", "obrien", "brien-lukasz", "łukasz", "lukasz zoe",
		"strasse", "straße söhne", "sohne", "gmbh",
		"zoe.obrien@", "zoë.obrien@exämple", "zoe.obrien@example.de", "example.de", "z@acme", "acme.io",
		"5551212", "1212", "480-555-1212", "(480) 555-1212", "+1 480 555 1212", "2079460000",
		"+44 20 7946 0000",
	} {
		if !finds(q) {
			t.Errorf("q %q (tokens %q) does not find the contact", q, SearchTokens(q))
		}
	}
	for _, q := range []string{"zoey", "obrian", "acme.com", "5551213", "zoe@", "strassen", "jordan"} {
		if finds(q) {
			t.Errorf("q %q (tokens %q) finds the contact", q, SearchTokens(q))
		}
	}
}
