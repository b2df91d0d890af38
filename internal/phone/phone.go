// Package phone normalizes phone numbers for the contacts service.
//
// Numbers are parsed with github.com/nyaruka/phonenumbers (a Go port of
// Google's libphonenumber) and returned in E.164 form together with any
// extension and the region the number belongs to. Normalize is meant for
// numbers a user typed into a contact record; NormalizeLookup is more
// lenient and also accepts the forms in which telephony systems hand over a
// caller ID (tel: and sip: URIs, arbitrary punctuation).
//
// Numbers written without a country code are interpreted in the tenant's
// default region, but a country code is never prepended to a number that
// already carries one: when the digits do not form a valid number in the
// default region but do form a valid number once read as international,
// the international reading wins.
package phone

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Number is a parsed phone number.
type Number struct {
	E164      string // "+14155552671"
	Extension string // digits of the extension, "" when none
	Region    string // ISO 3166 alpha-2 region the number belongs to, e.g. "US", "" if unknown; not set by NormalizeLookup
}

// ErrNotPossible is returned when the input cannot be read as a possible
// phone number: it has no digits, too few or too many digits, an unknown
// country code, or is too long to be a phone number at all.
var ErrNotPossible = errors.New("is not a possible phone number")

// ErrEmpty is returned when the input is empty or only whitespace.
var ErrEmpty = errors.New("phone number is empty")

// ErrInvalidRegion is returned when the default region passed in is not a
// supported ISO 3166 alpha-2 region code.
var ErrInvalidRegion = errors.New("is not a supported region code")

const (
	// maxRawLen caps the input of Normalize, in characters.
	maxRawLen = 40
	// maxLookupLen caps the input of NormalizeLookup, in bytes; URIs carry
	// hosts and parameters and so get more room.
	maxLookupLen = 256
	// maxE164Len is "+" followed by at most 15 digits (ITU-T E.164).
	maxE164Len = 16
	// maxExtLen caps an extension, as libphonenumber does for ";ext=".
	maxExtLen = 20
)

// ValidRegion reports whether region is a supported ISO 3166 alpha-2 region
// code. The check is case-insensitive; callers should store the uppercase
// form.
func ValidRegion(region string) bool {
	if len(region) != 2 {
		return false
	}
	return phonenumbers.GetSupportedRegions()[strings.ToUpper(region)]
}

// Normalize parses a number as a user typed it into a contact record.
// region is the tenant default region (ISO alpha-2, may be "" meaning none).
//
// A number starting with "+" is read as international whatever the region.
// Otherwise it is read in region (including the region's international
// dialling prefix, such as "00" or "011"); with no region, a leading "00"
// is read as the international prefix and any other number as if it began
// with "+". Extensions ("ext. 123", "x123", ";ext=123") are returned
// separately. Errors wrap ErrEmpty, ErrNotPossible or ErrInvalidRegion.
func Normalize(raw, region string) (n Number, err error) {
	return normalize(raw, region, true, true)
}

// Read is Normalize without working out the number's region (Region is
// left ""), which is most of Normalize's work for a number whose calling
// code several regions share: 11 µs instead of 33 µs for +1 415 555 2671.
// It is what a contact's numbers need.
func Read(raw, region string) (n Number, err error) {
	return normalize(raw, region, false, true)
}

// normalize is Normalize (Read without withRegion), taking the shortcuts
// of parse when fast is set (tests compare the two).
func normalize(raw, region string, withRegion, fast bool) (n Number, err error) {
	region, err = checkRegion(region)
	if err != nil {
		return Number{}, err
	}
	if utf8.RuneCountInString(raw) > maxRawLen {
		return Number{}, tooLong(maxRawLen)
	}
	s := strings.TrimSpace(raw)
	if s == "" {
		return Number{}, ErrEmpty
	}
	defer recoverNotPossible(raw, &n, &err)
	n, err = parse(s, region, "", withRegion, fast)
	if err == ErrNotPossible {
		err = notPossible(raw)
	}
	return n, err
}

// NormalizeLookup parses a number the way a phone system hands it over for
// caller-ID lookup: everything Normalize accepts plus tel: URIs (RFC 3966,
// with ;ext= and ;phone-context=), the user part of "sip:" and "sips:" URIs
// (optionally in angle brackets), leading and trailing whitespace, and any
// punctuation between the digits. Inputs up to 256 bytes are accepted.
func NormalizeLookup(raw, region string) (n Number, err error) {
	return normalizeLookup(raw, region, true)
}

// normalizeLookup is NormalizeLookup, taking the shortcuts of parse when
// fast is set (tests compare the two).
func normalizeLookup(raw, region string, fast bool) (n Number, err error) {
	region, err = checkRegion(region)
	if err != nil {
		return Number{}, err
	}
	if len(raw) > maxLookupLen {
		return Number{}, tooLong(maxLookupLen)
	}
	defer recoverNotPossible(raw, &n, &err)
	s := strings.TrimSpace(raw)
	if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	if s == "" {
		return Number{}, ErrEmpty
	}

	switch {
	case hasPrefixFold(s, "sips:"):
		s = sipUser(s[len("sips:"):])
	case hasPrefixFold(s, "sip:"):
		s = sipUser(s[len("sip:"):])
	}

	var ext string
	if hasPrefixFold(s, "tel:") || strings.Contains(s, ";") {
		if hasPrefixFold(s, "tel:") {
			s = s[len("tel:"):]
		}
		s, ext, err = telURI(s)
		if err != nil {
			return Number{}, err
		}
	} else if mayHaveExtension(s) {
		var e string
		s, e = phonenumbers.MaybeSeparateExtensionFromPhone(s)
		if e != "" {
			ext = phonenumbers.NormalizeDigitsOnly(e)
		}
	}
	if s = stripPunctuation(s); s == "" {
		return Number{}, notPossible(raw)
	}
	n, err = parse(s, region, ext, false, fast)
	if err == ErrNotPossible {
		err = notPossible(raw)
	}
	return n, err
}

// mayHaveExtension reports whether s has a character other than ASCII
// digits and the punctuation of a plain number. Every extension marker
// libphonenumber knows ("ext", "x", "#", "~", ",", "доб", full-width
// forms, …) has one, so a number without any needs no extension search,
// which is a costly regular expression.
func mayHaveExtension(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9', c == ' ', c == '+', c == '-', c == '(', c == ')', c == '.', c == '/':
		default:
			return true
		}
	}
	return false
}

// checkRegion validates and uppercases a default region; "" stays "".
func checkRegion(region string) (string, error) {
	if region == "" {
		return "", nil
	}
	if !ValidRegion(region) {
		return "", fmt.Errorf("%s %w", quote(region), ErrInvalidRegion)
	}
	return strings.ToUpper(region), nil
}

// parse is the core of Normalize and NormalizeLookup. s is trimmed and not
// empty; region is "" or a valid uppercase region. A non-empty ext
// overrides any extension found in s. The bare ErrNotPossible it returns is
// wrapped with the caller's input by the exported functions. withRegion
// also works out the number's region, which lookups do not need. fast
// takes two shortcuts that give the same answers with less of
// libphonenumber's work (see isValid and result); without it every check
// is made in full, as the reference the shortcuts are tested against.
func parse(s, region, ext string, withRegion, fast bool) (Number, error) {
	start := strings.IndexFunc(s, isStartChar)
	if start < 0 {
		return Number{}, ErrNotPossible
	}
	rest := s[start:]
	intl := rest[0] == '+' || strings.HasPrefix(rest, "＋")

	// Readings of s in order of preference; the first acceptable one wins.
	type reading struct {
		text, region string
		mustBeValid  bool
	}
	var readings []reading
	switch {
	case intl:
		// International regardless of the region.
		readings = []reading{{rest, "", false}}
	case region == "":
		if strings.HasPrefix(rest, "00") {
			readings = []reading{{"+" + rest[2:], "", false}}
		} else {
			readings = []reading{{"+" + rest, "", false}}
		}
	default:
		// A valid number in the region comes first. But never prepend a
		// country code to a number that already has one: if the digits
		// are a valid international number, that beats a number that is
		// merely possible in the region.
		readings = []reading{{rest, region, true}}
		for _, text := range internationalReadings(rest) {
			readings = append(readings, reading{text, "", true})
		}
		readings = append(readings, reading{rest, region, false})
	}
	for _, r := range readings {
		num := tryParse(r.text, r.region)
		if num == nil || !possible(num) || (r.mustBeValid && !isValid(num, r.region, fast)) {
			continue
		}
		read := "" // the text num was read from with no default region
		if r.region == "" && fast {
			read = r.text
		}
		if n, err := result(num, read, ext, r.mustBeValid, withRegion); err != ErrNotPossible {
			return n, err
		}
	}
	return Number{}, ErrNotPossible
}

// isValid is phonenumbers.IsValidNumber(num) for a number read in region
// ("" for none), with one pass over the region's number patterns instead
// of two where that gives the same answer. IsValidNumber validates num
// against the region GetRegionCodeForNumber picks: the only region of its
// calling code, or else the first of them that claims it by leading digits
// or, claiming none, finds it valid. When region comes first for the code
// and claims no leading digits, a number valid in region is therefore
// valid; one that is not is asked the long way.
func isValid(num *phonenumbers.PhoneNumber, region string, fast bool) bool {
	if fast && region != "" && mainRegions()[region] && phonenumbers.IsValidNumberForRegion(num, region) {
		return true
	}
	return phonenumbers.IsValidNumber(num)
}

// mainRegions holds the regions that come first among several sharing a
// calling code and claim no leading digits (US for +1, GB for +44, IT for
// +39, AU for +61, …): see isValid.
var mainRegions = sync.OnceValue(func() map[string]bool {
	leading := map[string]bool{}
	if c, err := phonenumbers.MetadataCollection(); err == nil {
		for _, md := range c.GetMetadata() {
			leading[md.GetId()] = md.GetLeadingDigits() != ""
		}
	}
	main := map[string]bool{}
	for region, claims := range leading {
		regions := phonenumbers.GetRegionCodesForCountryCode(phonenumbers.GetCountryCodeForRegion(region))
		if len(regions) > 1 && regions[0] == region && !claims {
			main[region] = true
		}
	}
	return main
})

// internationalReadings returns s read as an international number: with
// "+" in front and, if it starts with "00", with that prefix replaced by "+".
func internationalReadings(s string) []string {
	if strings.HasPrefix(s, "00") {
		return []string{"+" + s[2:], "+" + s}
	}
	return []string{"+" + s}
}

// tryParse parses s, returning nil on any error.
func tryParse(s, region string) *phonenumbers.PhoneNumber {
	n, err := phonenumbers.Parse(s, region)
	if err != nil {
		return nil
	}
	return n
}

// possible reports whether num is a possible number that can be dialled
// from anywhere: numbers only possible for local dialling (a US number
// without area code, say) have no meaningful E.164 form.
func possible(num *phonenumbers.PhoneNumber) bool {
	if num.GetCountryCode() == 0 {
		return false
	}
	return phonenumbers.IsPossibleNumberWithReason(num) == phonenumbers.IS_POSSIBLE
}

// result builds a Number from a possible number, which was parsed from
// the text read with no default region (or from other text, read ""). A
// valid number's E.164 form is known to parse back to itself; so is one
// parsed, with no default region, from exactly its E.164 form, since Parse
// is a function of its input and num is what it made of it. Another's is
// checked.
func result(num *phonenumbers.PhoneNumber, read, ext string, valid, withRegion bool) (Number, error) {
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	if !isE164(e164) || (!valid && e164 != read && !stable(e164)) {
		return Number{}, ErrNotPossible
	}
	if ext == "" {
		ext = phonenumbers.NormalizeDigitsOnly(num.GetExtension())
	}
	if len(ext) > maxExtLen {
		return Number{}, extTooLong()
	}
	if !withRegion {
		return Number{E164: e164, Extension: ext}, nil
	}
	region := phonenumbers.GetRegionCodeForNumber(num)
	if len(region) != 2 || region == phonenumbers.UNKNOWN_REGION {
		region = ""
	}
	return Number{E164: e164, Extension: ext, Region: region}, nil
}

// stable reports whether e164 parses back to itself. libphonenumber strips
// a national prefix even from international input, so a few degenerate
// numbers (such as +358 followed by zeros) change when parsed again; they
// are rejected so that every E164 we hand out normalizes to itself.
func stable(e164 string) bool {
	num := tryParse(e164, "")
	return num != nil && possible(num) && phonenumbers.Format(num, phonenumbers.E164) == e164
}

// isE164 reports whether s is "+" followed by 2 to 15 ASCII digits.
func isE164(s string) bool {
	if len(s) < 3 || len(s) > maxE164Len || s[0] != '+' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isStartChar matches what libphonenumber takes as the start of a number.
func isStartChar(r rune) bool {
	return r == '+' || r == '＋' || unicode.IsDigit(r)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// sipUser returns the user part of a SIP URI whose scheme was removed:
// everything before "@", without a ":password", percent-decoded. URI
// parameters and headers after the host are dropped with the host.
func sipUser(s string) string {
	if i := strings.IndexByte(s, '@'); i >= 0 {
		s = s[:i]
	} else if i := strings.IndexByte(s, '?'); i >= 0 {
		s = s[:i]
	}
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[:i]
	}
	if u, err := url.PathUnescape(s); err == nil {
		s = u
	}
	return s
}

// telURI splits an RFC 3966 telephone-subscriber (without "tel:") into the
// number and its extension, applying a global-number phone-context prefix
// to a local number. Unknown parameters are ignored.
func telURI(s string) (number, ext string, err error) {
	parts := strings.Split(s, ";")
	number = strings.TrimSpace(parts[0])
	var context string
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(p, "=")
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "ext":
			ext = phonenumbers.NormalizeDigitsOnly(v)
			if len(ext) > maxExtLen {
				return "", "", extTooLong()
			}
		case "phone-context":
			context = strings.TrimSpace(v)
		}
	}
	if strings.HasPrefix(context, "+") && !strings.HasPrefix(number, "+") {
		number = context + number
	}
	return number, ext, nil
}

// stripPunctuation removes everything but digits and letters from s, keeping
// a plus sign only when it comes before the first digit.
func stripPunctuation(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	seenDigit, seenPlus := false, false
	for _, r := range s {
		switch {
		case unicode.IsDigit(r):
			seenDigit = true
			b.WriteRune(r)
		case unicode.IsLetter(r):
			b.WriteRune(r)
		case (r == '+' || r == '＋') && !seenDigit && !seenPlus:
			seenPlus = true
			b.WriteByte('+')
		}
	}
	return b.String()
}

func tooLong(limit int) error {
	return fmt.Errorf("input longer than %d characters %w", limit, ErrNotPossible)
}

func extTooLong() error {
	return fmt.Errorf("number with an extension longer than %d digits %w", maxExtLen, ErrNotPossible)
}

// notPossible wraps ErrNotPossible with the (quoted, shortened) input, as in
// `"12" is not a possible phone number`.
func notPossible(input string) error {
	return fmt.Errorf("%s %w", quote(input), ErrNotPossible)
}

// quote quotes s for an error message, cutting it to a readable length.
func quote(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "..."
	}
	return strconv.Quote(s)
}

// recoverNotPossible turns a panic in the parsing library into an
// ErrNotPossible error, so that no input can crash a caller.
func recoverNotPossible(raw string, n *Number, err *error) {
	if r := recover(); r != nil {
		*n, *err = Number{}, notPossible(raw)
	}
}

// withheldWords are what phone systems hand over instead of a number when
// the caller withholds it or the network does not pass it on, written in
// lower case without spaces or punctuation: SIP's anonymous (RFC 3323),
// Asterisk's and FreeSWITCH's words, the carriers' "Private Number", and
// the P (private) and O (out of area) of analogue caller ID.
var withheldWords = map[string]bool{
	"anonymous": true, "restricted": true, "unavailable": true, "unknown": true, "private": true,
	"withheld": true, "blocked": true, "privatenumber": true, "unknownnumber": true, "unknowncaller": true,
	"nocallerid": true, "nocli": true, "notavailable": true, "outofarea": true, "p": true, "o": true,
}

// Withheld reports whether a caller as a phone system hands it over says
// that the number is withheld or unknown (anonymous, Restricted,
// sip:anonymous@anonymous.invalid, an empty caller) rather than giving a
// number. Text with a digit in it is never a withheld caller.
func Withheld(raw string) bool {
	s := strings.TrimSpace(raw)
	if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	switch {
	case hasPrefixFold(s, "sips:"):
		s = sipUser(s[len("sips:"):])
	case hasPrefixFold(s, "sip:"):
		s = sipUser(s[len("sip:"):])
	case hasPrefixFold(s, "tel:"):
		s = s[len("tel:"):]
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsDigit(r):
			return false
		case unicode.IsLetter(r):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return withheldWords[b.String()] || strings.TrimSpace(s) == ""
}

// Split returns the country calling code and the national significant
// number of a number in E.164 form ("+14155550100" → "1", "4155550100"),
// or two empty strings when it is not one. Calling codes are prefix-free,
// so the first one to name a region is the number's.
func Split(e164 string) (cc, national string) {
	if !isE164(e164) {
		return "", ""
	}
	digits := e164[1:]
	for n := 1; n <= 3 && n < len(digits); n++ {
		code, err := strconv.Atoi(digits[:n])
		if err != nil {
			return "", ""
		}
		if phonenumbers.GetRegionCodeForCountryCode(code) != phonenumbers.UNKNOWN_REGION {
			return digits[:n], digits[n:]
		}
	}
	return "", ""
}

// RegionOf returns the ISO 3166 alpha-2 region a number in E.164 form
// belongs to ("+14155550100" → "US"), or "" when it cannot be told (a
// non-geographic number, or not E.164). A calling code of one region is
// answered without parsing.
func RegionOf(e164 string) string {
	cc, _ := Split(e164)
	if cc == "" {
		return ""
	}
	code, _ := strconv.Atoi(cc)
	if regions := phonenumbers.GetRegionCodesForCountryCode(code); len(regions) == 1 {
		if r := regions[0]; len(r) == 2 && r != phonenumbers.UNKNOWN_REGION && r != "001" {
			return r
		}
		return ""
	}
	num := tryParse(e164, "")
	if num == nil {
		return ""
	}
	r := phonenumbers.GetRegionCodeForNumber(num)
	if len(r) != 2 || r == phonenumbers.UNKNOWN_REGION {
		return ""
	}
	return r
}
