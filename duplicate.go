package contactd

import (
	"cmp"
	"context"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/contactd/contactd/internal/phone"
)

// Duplicate detection. Each contact has blocking keys (DuplicateKeys),
// which the stores index beside it; two contacts sharing a key are a
// candidate pair, which a store records when either is written. Reading
// candidates compares each pair's two contacts (ComparePair) for the
// reasons and the score, so that what a key only suggests (two J. Smiths
// at one company) is confirmed or dropped with the whole contacts at hand.

// Reasons two contacts are duplicate candidates.
const (
	ReasonPhone          = "phone"          // the same E.164 number
	ReasonEmail          = "email"          // the same address, as its domain delivers it
	ReasonNationalNumber = "nationalNumber" // the same national number in two regions
	ReasonName           = "name"           // similar names, with the same company or email domain
	ReasonExternalID     = "externalId"     // the same external id, one of them deleted
)

// DuplicateReasons lists the reasons, for the API's filter.
var DuplicateReasons = []string{ReasonPhone, ReasonEmail, ReasonNationalNumber, ReasonName, ReasonExternalID}

// MaxDuplicateBlock bounds the contacts one key pairs: a key that more
// contacts share (an office's switchboard, a common name at a large
// company) says little, and pairing each new one with all the others
// would cost a write as many pairs. Contacts past the bound are not paired
// through that key; their other keys still pair them.
const MaxDuplicateBlock = 50

// Reason is one reason two contacts may be duplicates, with the value they
// share ("+14155550100", "j.smith@gmail.com", "John Smith").
type Reason struct {
	Type  string `json:"type" doc:"phone (the same E.164 number), email (the same address, ignoring case and, at domains that deliver them alike, dots and +tags), nationalNumber (the same national number in two regions), name (similar names with the same company or email domain), externalId (the same external id, one of the two deleted)."`
	Value string `json:"value" doc:"What the two share: the number, the address as delivered, the national number, the name, or the external id."`
	// score is the reason's weight in the pair's score.
	score float64
}

// PairMatch is the comparison of two contacts.
type PairMatch struct {
	Score   float64
	Reasons []Reason
}

// freeMail lists domains whose users share nothing but the provider: a
// name at one of them is no evidence of the same person.
var freeMail = map[string]bool{
	"gmail.com": true, "googlemail.com": true, "yahoo.com": true, "ymail.com": true, "hotmail.com": true,
	"outlook.com": true, "live.com": true, "msn.com": true, "icloud.com": true, "me.com": true, "mac.com": true,
	"aol.com": true, "proton.me": true, "protonmail.com": true, "gmx.com": true, "gmx.de": true, "gmx.net": true,
	"web.de": true, "mail.ru": true, "yandex.ru": true, "qq.com": true, "163.com": true, "hotmail.co.uk": true,
	"yahoo.co.uk": true, "fastmail.com": true, "zoho.com": true, "mail.com": true, "orange.fr": true, "free.fr": true,
}

// plusTags lists domains that deliver local+tag to local; gmail also
// ignores dots in the local part.
var plusTags = map[string]bool{
	"gmail.com": true, "googlemail.com": true, "outlook.com": true, "hotmail.com": true, "live.com": true,
	"icloud.com": true, "me.com": true, "fastmail.com": true, "proton.me": true, "protonmail.com": true,
}

// CanonicalEmail returns the address a mailbox is delivered to: lower
// case, and at domains that ignore them, without +tags (and, at Gmail,
// without dots in the local part).
func CanonicalEmail(addr string) string {
	addr = strings.ToLower(strings.TrimSpace(addr))
	local, domain, ok := strings.Cut(addr, "@")
	if !ok {
		return addr
	}
	if domain == "googlemail.com" {
		domain = "gmail.com"
	}
	if plusTags[domain] {
		local, _, _ = strings.Cut(local, "+")
	}
	if domain == "gmail.com" {
		local = strings.ReplaceAll(local, ".", "")
	}
	return local + "@" + domain
}

// nicknames maps common short forms of given names to the full name
// (after folding), so that Bob and Robert compare alike.
var nicknames = map[string]string{}

func init() {
	for full, nicks := range map[string]string{
		"robert": "bob bobby rob robbie robby bert", "william": "bill billy will willy willie liam",
		"james": "jim jimmy jamie", "michael": "mike mikey mick mickey", "david": "dave davey davy",
		"daniel": "dan danny", "thomas": "tom tommy", "christopher": "chris kit", "matthew": "matt matty",
		"nicholas": "nick nicky", "anthony": "tony", "joseph": "joe joey", "stephen": "steve stevie steven",
		"samuel": "sam sammy", "benjamin": "ben benny", "alexander": "alex sasha", "andrew": "andy drew",
		"edward": "ed eddie ted teddy", "richard": "rick ricky dick rich richie", "charles": "charlie chuck",
		"john": "jack johnny jon", "patrick": "pat paddy", "peter": "pete", "gregory": "greg",
		"jeffrey": "jeff", "kenneth": "ken kenny", "lawrence": "larry", "ronald": "ron ronnie", "timothy": "tim timmy",
		"frederick": "fred freddie", "henry": "hank harry", "elizabeth": "liz lizzie beth betty eliza",
		"katherine": "kate katie kathy cathy catherine kathryn", "jennifer": "jen jenny", "susan": "sue susie",
		"margaret": "meg maggie peggy", "rebecca": "becky", "deborah": "deb debbie", "patricia": "patty trish",
		"abigail": "abby", "victoria": "vicky tori", "amanda": "mandy", "jessica": "jess jessie",
		"sandra": "sandy", "nathan": "nate", "joshua": "josh", "zachary": "zach zack", "manuel": "manny",
		"jose": "pepe", "francisco": "paco", "alexandra": "sandra", "albert": "al", "donald": "don",
		"douglas": "doug", "gerald": "gerry jerry", "leonard": "leo len", "raymond": "ray", "walter": "walt",
		"vincent": "vince", "phillip": "phil philip", "theodore": "theo", "eugene": "gene",
	} {
		for _, n := range strings.Fields(nicks) {
			if _, taken := nicknames[n]; !taken {
				nicknames[n] = full
			}
		}
	}
}

// cyrillic spells Cyrillic letters in Latin, as passports do.
var cyrillic = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e", 'ж': "zh", 'з': "z", 'и': "i",
	'й': "i", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t",
	'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch", 'ъ': "", 'ы': "y", 'ь': "",
	'э': "e", 'ю': "iu", 'я': "ia", 'і': "i", 'ї': "i", 'є': "ie", 'ґ': "g",
}

// umlautSpellings reduces the spelled-out umlauts (Mueller, Schoen) to the
// folded letter (Müller and Schön fold to muller, schon).
var umlautSpellings = strings.NewReplacer("ue", "u", "oe", "o", "ae", "a")

// nameToken returns the form in which two spellings of one name compare
// equal: folded, transliterated, nickname replaced by the full name, and
// spelled-out umlauts reduced.
func nameToken(w string) string {
	var b strings.Builder
	for _, r := range w {
		if t, ok := cyrillic[r]; ok {
			b.WriteString(t)
		} else {
			b.WriteRune(r)
		}
	}
	w = b.String()
	if full, ok := nicknames[w]; ok {
		w = full
	}
	return umlautSpellings.Replace(w)
}

// personName returns a person's name as comparable tokens, in order (given
// names first when the contact has them apart), or nil.
func personName(c *Contact) []string {
	if c.Kind == "organization" {
		return nil
	}
	src := strings.Join([]string{c.FirstName, c.MiddleName, c.LastName}, " ")
	if strings.TrimSpace(src) == "" {
		src = c.DisplayName
		if strings.Contains(src, "@") || phoneLike(strings.ReplaceAll(src, " ", "")) {
			return nil // a display name derived from an email or number
		}
	}
	var out []string
	for _, w := range words(fold(src)) {
		out = append(out, nameToken(w))
	}
	return out
}

// legalForms are words of company names that do not tell companies apart.
var legalForms = map[string]bool{
	"inc": true, "llc": true, "ltd": true, "limited": true, "gmbh": true, "co": true, "corp": true,
	"corporation": true, "company": true, "sa": true, "ag": true, "plc": true, "bv": true, "srl": true,
	"sarl": true, "sas": true, "ab": true, "oy": true, "as": true, "spa": true, "the": true,
}

// orgName returns a company name in the form two spellings share: folded
// words, legal forms dropped, in order.
func orgName(s string) string {
	var out []string
	for _, w := range words(fold(s)) {
		if !legalForms[w] {
			out = append(out, nameToken(w))
		}
	}
	return strings.Join(out, " ")
}

// nameContexts returns what makes a shared name evidence: the contact's
// company and the domains of its emails other than free mail providers.
func nameContexts(c *Contact) []string {
	var out []string
	if o := orgName(c.Company); o != "" {
		out = append(out, "c="+o)
	}
	for _, e := range c.Emails {
		_, d, _ := strings.Cut(CanonicalEmail(e.Address), "@")
		if d != "" && !freeMail[d] && !slices.Contains(out, "d="+d) {
			out = append(out, "d="+d)
		}
	}
	return out
}

// DupKey is a blocking key of a contact. Two contacts that share a key
// are a candidate pair unless both hold it weakly: a full name holds the
// key of its surname and given initial weakly, so that it meets "J. Smith"
// but not every other J-something Smith of its company.
type DupKey struct {
	Key  string
	Weak bool
}

// DuplicateKeys returns a contact's blocking keys. A live contact has a
// key per national number (its same number in any region), per email as
// delivered, for its external id, and for its name within each of its
// contexts (company, email domain other than free mail): its first and
// last words in either order ("Smith, John" meets "John Smith") and, for
// initials, its surname with its given name's initial (held weakly by a
// full name, strongly by a name given as an initial). A deleted contact
// keeps only its external id's key (to meet a contact created again in
// place of a deleted one, or to lead to the survivor of a merge).
func DuplicateKeys(c *Contact) []DupKey {
	var keys []DupKey
	add := func(k string, weak bool) {
		if len(k) > 255 {
			k = truncateBytes(k, 255)
		}
		if !slices.ContainsFunc(keys, func(x DupKey) bool { return x.Key == k }) {
			keys = append(keys, DupKey{k, weak})
		}
	}
	if c.ExternalID != "" {
		add("x:"+c.ExternalID, false)
	}
	if !c.Live() {
		return keys
	}
	for _, ph := range c.Phones {
		if _, n := phone.Split(ph.E164); len(n) >= 6 {
			add("n:"+n, false)
		}
	}
	for _, e := range c.Emails {
		add("e:"+CanonicalEmail(e.Address), false)
	}
	if c.Kind == "organization" {
		if o := orgName(cmp.Or(c.Company, c.DisplayName)); o != "" {
			add("o:"+o, false)
		}
		return keys
	}
	name := personName(c)
	if len(name) < 2 {
		return keys
	}
	first, last := name[0], name[len(name)-1]
	for _, ctx := range nameContexts(c) {
		switch fi, li := first == initial(first), last == initial(last); {
		case !fi && !li:
			add("m:"+min(first, last)+"|"+max(first, last)+"|"+ctx, false)
			add("i:"+last+"|"+initial(first)+"|"+ctx, true)
		case fi && !li:
			add("i:"+last+"|"+first+"|"+ctx, false)
		case li && !fi:
			add("i:"+first+"|"+last+"|"+ctx, false) // "Smith J."
		}
	}
	return keys
}

// nameMatch compares two names' tokens: "exact" when they hold the same
// words in any order, "similar" when every word of the shorter matches a
// word of the longer (equal, an initial of it, or met by its initial) and
// at least one full word is shared, else "".
func nameMatch(a, b []string) string {
	if len(a) < 2 || len(b) < 2 {
		return ""
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	if slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))) {
		return "exact"
	}
	used := make([]bool, len(b))
	find := func(ok func(v string) bool) bool {
		for j, v := range b {
			if !used[j] && ok(v) {
				used[j] = true
				return true
			}
		}
		return false
	}
	// Full words meet equal words first, so that an initial does not take
	// the word a full word needs.
	full := false
	var rest []string
	for _, w := range a {
		if len(w) > len(initial(w)) && find(func(v string) bool { return v == w }) {
			full = true
			continue
		}
		rest = append(rest, w)
	}
	for _, w := range rest {
		iw := initial(w)
		if !find(func(v string) bool { return initial(v) == iw && (v == iw || w == iw) }) {
			return ""
		}
	}
	if !full {
		return ""
	}
	return "similar"
}

// initial returns the first letter of a word.
func initial(w string) string {
	_, n := utf8.DecodeRuneInString(w)
	return w[:n]
}

// Scores of the reasons, combined as independent evidence: a pair's score
// is 1 − Π(1 − s) over its reasons.
const (
	scoreExternalID       = 0.95
	scoreEmail            = 0.9
	scorePhone            = 0.9  // the same number and similar names
	scorePhoneNameless    = 0.75 // the same number, one of the two has no name
	scorePhoneOtherName   = 0.35 // the same number, different names: a switchboard
	scoreNational         = 0.6
	scoreNationalOther    = 0.3
	scoreNameExact        = 0.7
	scoreNameSimilar      = 0.55
	scoreOrganizationName = 0.7
)

// Profile is what the comparison of a contact with others reads of it,
// worked out once: a page of groups compares each contact with dozens.
type Profile struct {
	c        *Contact
	name     []string // personName
	sorted   []string // name, sorted
	contexts []string // nameContexts
	emails   []string // CanonicalEmail of each
	phones   []splitNumber
	org      string // orgName of an organization
}

type splitNumber struct{ e164, cc, national string }

// ProfileOf returns the comparison profile of a contact.
func ProfileOf(c *Contact) *Profile {
	p := &Profile{c: c, name: personName(c), contexts: nameContexts(c)}
	p.sorted = slices.Sorted(slices.Values(p.name))
	for _, e := range c.Emails {
		p.emails = append(p.emails, CanonicalEmail(e.Address))
	}
	for _, ph := range c.Phones {
		cc, n := phone.Split(ph.E164)
		p.phones = append(p.phones, splitNumber{ph.E164, cc, n})
	}
	if c.Kind == "organization" {
		p.org = orgName(cmp.Or(c.Company, c.DisplayName))
	}
	return p
}

// ComparePair returns why two contacts may be duplicates and how likely
// that is (0 to 1, two decimals); no reasons when they are not candidates.
func ComparePair(a, b *Contact) PairMatch { return Compare(ProfileOf(a), ProfileOf(b)) }

// Compare is ComparePair of two profiles.
func Compare(pa, pb *Profile) PairMatch {
	var m PairMatch
	a, b := pa.c, pb.c
	if !a.Live() && !b.Live() || a.MergedInto != "" || b.MergedInto != "" {
		return m
	}
	named := len(pa.name) >= 2 && len(pb.name) >= 2
	names := ""
	switch {
	case named && slices.Equal(pa.sorted, pb.sorted):
		names = "exact"
	case named:
		names = nameMatch(pa.name, pb.name)
	}
	if a.ExternalID != "" && a.ExternalID == b.ExternalID {
		m.Reasons = append(m.Reasons, Reason{Type: ReasonExternalID, Value: a.ExternalID, score: scoreExternalID})
	}
	if a.Live() && b.Live() {
		m.Reasons = append(m.Reasons, phoneReasons(pa, pb, names != "", named)...)
		for _, ca := range pa.emails {
			if slices.Contains(pb.emails, ca) && !slices.ContainsFunc(m.Reasons, func(r Reason) bool { return r.Type == ReasonEmail && r.Value == ca }) {
				m.Reasons = append(m.Reasons, Reason{Type: ReasonEmail, Value: ca, score: scoreEmail})
			}
		}
		if r, ok := nameReason(pa, pb, names); ok {
			m.Reasons = append(m.Reasons, r)
		}
	}
	if len(m.Reasons) == 0 {
		return m
	}
	rest := 1.0
	for _, r := range m.Reasons {
		rest *= 1 - r.score
	}
	m.Score = math.Round((1-rest)*100) / 100
	return m
}

// phoneReasons compares two contacts' numbers: the same E.164 number, or
// the same national number with another calling code. A number shared by
// two differently named people is weak evidence (an office's switchboard).
func phoneReasons(a, b *Profile, sameName, named bool) []Reason {
	var out []Reason
	for _, na := range a.phones {
		for _, nb := range b.phones {
			var r Reason
			switch {
			case na.e164 == nb.e164:
				r = Reason{Type: ReasonPhone, Value: na.e164, score: scorePhone}
				if !sameName {
					r.score = scorePhoneNameless
					if named {
						r.score = scorePhoneOtherName
					}
				}
			case len(na.national) >= 6 && na.national == nb.national && na.cc != nb.cc:
				r = Reason{Type: ReasonNationalNumber, Value: na.national, score: scoreNational}
				if named && !sameName {
					r.score = scoreNationalOther
				}
			default:
				continue
			}
			if !slices.ContainsFunc(out, func(o Reason) bool { return o.Type == r.Type && o.Value == r.Value }) {
				out = append(out, r)
			}
		}
	}
	return out
}

// nameReason is the name reason of two contacts: organizations of one
// name, or people of similar names who share a company or an email domain.
func nameReason(a, b *Profile, names string) (Reason, bool) {
	if a.c.Kind == "organization" && b.c.Kind == "organization" {
		if a.org != "" && a.org == b.org {
			return Reason{Type: ReasonName, Value: b.c.DisplayName, score: scoreOrganizationName}, true
		}
		return Reason{}, false
	}
	if names == "" || !slices.ContainsFunc(b.contexts, func(x string) bool { return slices.Contains(a.contexts, x) }) {
		return Reason{}, false
	}
	s := scoreNameSimilar
	if names == "exact" {
		s = scoreNameExact
	}
	return Reason{Type: ReasonName, Value: b.c.DisplayName, score: s}, true
}

// DuplicateStore is the part of the Store that keeps duplicate keys. A
// store writes each contact's DuplicateKeys whenever it writes the contact
// (and removes those of the version it replaces), and keeps the list of
// blocks: the keys that two contacts share, not both weakly.
type DuplicateStore interface {
	// DuplicateMembers returns, for each of the keys, the contacts that
	// have it, up to MaxDuplicateBlock+1 of them (a key that more share
	// is no block).
	DuplicateMembers(ctx context.Context, tenantID string, keys []string) (map[string][]DupMember, error)
	// DuplicateBlocks returns up to limit blocks whose key follows after,
	// in key order, with their members (as DuplicateMembers).
	DuplicateBlocks(ctx context.Context, tenantID, after string, limit int) ([]DupBlock, error)
	// Dismissals returns the dismissed pairs that have one of the ids.
	Dismissals(ctx context.Context, tenantID string, ids []string) ([]IDPair, error)
	// DismissDuplicates records every pair of the given contacts as not
	// duplicates. ENotFound naming an id that is no contact of the tenant.
	DismissDuplicates(ctx context.Context, tenantID string, ids []string) error
	// ContactsWithKey returns up to limit contacts that have a key,
	// deleted or not.
	ContactsWithKey(ctx context.Context, tenantID, key string, limit int) ([]*Contact, error)
	// IndexDuplicates writes the keys of contacts again, as a write of
	// each would (after the rules have changed, or for contacts written
	// before the keys were kept), without a new version: it reads them in
	// its transaction, after locking the tenant's writes, so that it
	// writes the keys of their current versions. With first set it first
	// removes every key and block of the tenant (a rescan's first page).
	IndexDuplicates(ctx context.Context, tenantID string, ids []string, first bool) error
	// StartRescan records a tenant's rescan as running, unless one runs
	// that has saved progress since staleBefore: then EConflict.
	StartRescan(ctx context.Context, r *Rescan, staleBefore time.Time) error
	// SaveRescan records a rescan's progress or end.
	SaveRescan(ctx context.Context, r *Rescan) error
	// LastRescan returns the tenant's latest rescan. ENotFound.
	LastRescan(ctx context.Context, tenantID string) (*Rescan, error)
}

// Rescan is a tenant's job that writes every contact's duplicate keys
// again (RescanDuplicates).
type Rescan struct {
	TenantID   string     `json:"-"`
	Status     string     `json:"status" doc:"running, succeeded or failed (a job whose server stopped reads failed)."`
	Scanned    int        `json:"scanned" doc:"Contacts whose keys were written again so far, deleted ones included."`
	Error      string     `json:"error,omitempty" doc:"Why a failed job stopped."`
	StartedAt  time.Time  `json:"startedAt"`
	StartedBy  string     `json:"startedBy"`
	UpdatedAt  time.Time  `json:"updatedAt" doc:"When it last saved progress: every 500 contacts."`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
}

// MarshalJSON writes the job with its timestamps in TimeFormat.
func (r Rescan) MarshalJSON() ([]byte, error) {
	type plain Rescan
	return json.Marshal(struct {
		plain
		StartedAt  jsonTime  `json:"startedAt"`
		UpdatedAt  jsonTime  `json:"updatedAt"`
		FinishedAt *jsonTime `json:"finishedAt,omitempty"`
	}{plain(r), jsonTime(r.StartedAt), jsonTime(r.UpdatedAt), optTime(r.FinishedAt)})
}

// Rescan statuses.
const (
	RescanRunning   = "running"
	RescanSucceeded = "succeeded"
	RescanFailed    = "failed"
)

// DupMember is a contact that has a key, and whether it holds it weakly.
type DupMember struct {
	ID   string
	Weak bool
}

// DupBlock is a key two contacts share, and the contacts that have it.
type DupBlock struct {
	Key     string
	Members []DupMember
}

// IDPair is two contact ids, A < B.
type IDPair struct{ A, B string }
