// Package formats converts contacts to and from the files address books
// exchange: vCard (2.1, 3.0 and 4.0, through github.com/emersion/go-vcard)
// and the CSV exports of Google Contacts, Outlook and Thunderbird. Readers
// turn each card or row into a contactd.ContactInput for the Service to
// validate, with warnings for what the contact model cannot hold (kept in
// properties where it fits); writers turn contacts into files other
// address books import.
package formats

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime/quotedprintable"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-vcard"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"

	"github.com/contactd/contactd"
)

// Record is one contact read from a file.
type Record = contactd.ImportRecord

// Reader reads the records of a file, one at a time.
type Reader = contactd.ImportSource

// maxCardBytes bounds one card (a photo makes a card large) and
// maxLineBytes one physical line.
const (
	maxCardBytes = 4 << 20
	maxLineBytes = 1 << 20
)

// VCardReader reads contacts from a stream of vCards of any version.
type VCardReader struct {
	sc   *bufio.Scanner
	n    int
	line int
	last vcard.Card // the card Next read last
}

// NewVCardReader returns a reader of the cards in r.
func NewVCardReader(r io.Reader) *VCardReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLineBytes)
	return &VCardReader{sc: sc}
}

// Next implements Reader.
func (vr *VCardReader) Next() (*Record, error) {
	lines, err := vr.card()
	if err != nil {
		return nil, err
	}
	vr.n++
	rec := &Record{N: vr.n}
	if lines == nil {
		rec.Err = fmt.Errorf("card %d is larger than %d MiB", vr.n, maxCardBytes>>20)
		return rec, nil
	}
	card, err := vcard.NewDecoder(strings.NewReader(strings.Join(lines, "\r\n") + "\r\n")).Decode()
	if err != nil {
		rec.Err = fmt.Errorf("card %d: %v", vr.n, err)
		return rec, nil
	}
	for k, fs := range card {
		if k == vcard.FieldName || k == vcard.FieldAddress || k == vcard.FieldOrganization {
			continue // structured: go-vcard splits them at every semicolon
		}
		for _, f := range fs {
			f.Value = textUnescaper.Replace(f.Value)
		}
	}
	rec.Input, rec.Warnings = cardInput(card, true)
	vr.last = card
	return rec, nil
}

// cardFields are the contact fields a card always sets: absent from the
// card, they are empty.
var cardFields = []string{"firstName", "middleName", "lastName", "suffix", "displayName", "nickName", "company",
	"department", "jobTitle", "birthday", "anniversary", "notes", "phones", "emails", "addresses", "handles", "tags", "photo"}

// optionalFields are the contact fields a card sets only with the
// property that holds them: a card without them leaves them as they are.
var optionalFields = map[string]string{
	vcard.FieldKind: "kind", vcard.FieldLanguage: "locale", vcard.FieldTimezone: "timezone",
	"X-CONTACTD-EXTERNAL-ID": "externalId", "X-CONTACTD-PROPERTIES": "properties",
	"X-CONTACTD-LOCATION": "location", "X-CONTACTD-DIRECTORY": "directory", "X-CONTACTD-LINKS": "links",
}

// anniversaryProps are the properties that hold an anniversary, in the
// order they are read.
var anniversaryProps = []string{vcard.FieldAnniversary, "X-ANNIVERSARY", "X-EVOLUTION-ANNIVERSARY", "X-MS-ANNIVERSARY"}

// ReadCard reads the one vCard a CardDAV client wrote: the contact input
// it describes and the contact fields it sets. What the contact model does
// not hold is left to the card itself, which the caller keeps.
func ReadCard(data []byte) (*contactd.ContactInput, []string, error) {
	vr := NewVCardReader(bytes.NewReader(data))
	rec, err := vr.Next()
	if err == io.EOF {
		return nil, nil, fmt.Errorf("the body holds no vCard (BEGIN:VCARD … END:VCARD)")
	}
	if err != nil {
		return nil, nil, err
	}
	if rec.Err != nil {
		return nil, nil, rec.Err
	}
	if _, err := vr.Next(); err != io.EOF {
		return nil, nil, fmt.Errorf("the body holds more than one vCard: a card is one contact")
	}
	in, _ := cardInput(vr.last, false)
	if in.Photo == nil {
		in.Photo = &contactd.PhotoData{} // a card without a photo contactd keeps removes the contact's
	}
	fields := slices.Clone(cardFields)
	for k, f := range optionalFields {
		if len(vr.last[k]) > 0 {
			fields = append(fields, f)
		}
	}
	return in, fields, nil
}

// textUnescaper undoes the escapes of text values go-vcard leaves: \N for
// a newline and \; for a semicolon.
var textUnescaper = strings.NewReplacer(`\N`, "\n", `\;`, ";")

// card returns the logical lines of the next card, from BEGIN to END,
// made readable by go-vcard: unfolded, with vCard 2.1's quoted-printable
// values decoded, values in other charsets turned into UTF-8, and 2.1's
// bare parameters (TEL;CELL) spelt as TYPE=. It returns nil lines for a
// card too large to read (skipped whole), io.EOF when no card is left.
func (vr *VCardReader) card() ([]string, error) {
	var logical []string
	var size int
	in, tooBig := false, false
	for vr.sc.Scan() {
		vr.line++
		l := strings.TrimRight(vr.sc.Text(), "\r")
		if !in {
			if strings.EqualFold(strings.TrimSpace(l), "BEGIN:VCARD") {
				in, logical, size = true, []string{"BEGIN:VCARD"}, 0
			}
			continue
		}
		size += len(l)
		if size > maxCardBytes {
			tooBig, logical = true, nil
		}
		if tooBig {
			if strings.EqualFold(strings.TrimSpace(l), "END:VCARD") {
				return nil, nil
			}
			continue
		}
		last := len(logical) - 1
		switch {
		case strings.HasSuffix(logical[last], "=") && quotedPrintable(logical[last]):
			logical[last] = logical[last][:len(logical[last])-1] + l // a soft line break
		case l != "" && (l[0] == ' ' || l[0] == '\t'):
			logical[last] += l[1:] // a folded line
		default:
			logical = append(logical, l)
		}
		if strings.EqualFold(strings.TrimSpace(l), "END:VCARD") {
			return cleanCard(logical), nil
		}
	}
	if err := vr.sc.Err(); err != nil {
		return nil, err
	}
	if in && !tooBig {
		// A card cut short: go-vcard reports it.
		return cleanCard(logical), nil
	}
	return nil, io.EOF
}

// quotedPrintable reports whether a logical line's parameters say its
// value is quoted-printable.
func quotedPrintable(l string) bool {
	head, _, ok := cutValue(l)
	return ok && strings.Contains(strings.ToUpper(head), "QUOTED-PRINTABLE")
}

// cutValue splits a content line at the colon that ends its name and
// parameters (colons inside quoted parameter values do not count).
func cutValue(l string) (head, value string, ok bool) {
	quoted := false
	for i := 0; i < len(l); i++ {
		switch l[i] {
		case '"':
			quoted = !quoted
		case ':':
			if !quoted {
				return l[:i], l[i+1:], true
			}
		}
	}
	return l, "", false
}

func cleanCard(lines []string) []string {
	v21 := slices.ContainsFunc(lines, func(l string) bool { return strings.EqualFold(strings.TrimSpace(l), "VERSION:2.1") })
	for i, l := range lines {
		lines[i] = cleanLine(l, v21)
	}
	return lines
}

// cleanLine decodes what go-vcard does not: ENCODING=QUOTED-PRINTABLE,
// CHARSET= (and text that is not UTF-8 at all, read as Windows-1252), and
// in vCard 2.1 parameters without a name.
func cleanLine(l string, v21 bool) string {
	head, value, ok := cutValue(l)
	if !ok {
		return l
	}
	parts := strings.Split(head, ";")
	keep := parts[:1]
	var qp bool
	var charset string
	for _, p := range parts[1:] {
		k, v, named := strings.Cut(p, "=")
		switch {
		case named && strings.EqualFold(k, "ENCODING") && strings.EqualFold(v, "QUOTED-PRINTABLE"):
			qp = true
		case !named && strings.EqualFold(k, "QUOTED-PRINTABLE"):
			qp = true
		case named && strings.EqualFold(k, "CHARSET"):
			charset = strings.Trim(v, `"`)
		case named && strings.EqualFold(k, "ENCODING") && (strings.EqualFold(v, "BASE64") || strings.EqualFold(v, "B")):
			keep = append(keep, "ENCODING=b")
		case !named && strings.EqualFold(k, "BASE64"):
			keep = append(keep, "ENCODING=b")
		case !named && v21 && k != "":
			keep = append(keep, "TYPE="+k)
		default:
			keep = append(keep, p)
		}
	}
	raw := []byte(value)
	if qp {
		if b, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(value))); err == nil {
			raw = b
		}
	}
	text := toUTF8(raw, charset)
	switch name := strings.ToUpper(parts[0][strings.LastIndex(parts[0], ".")+1:]); name {
	case "CATEGORIES":
		// go-vcard unescapes "\," before the list is split: keep an
		// escaped comma apart from the separators.
		text = strings.ReplaceAll(text, `\,`, escapedComma)
	case "N", "ORG", "ADR":
		// go-vcard splits these at every semicolon, escaped or not.
		text = strings.ReplaceAll(text, `\;`, escapedSemicolon)
	}
	if qp {
		// The decoded value is text: newlines become vCard's \n again.
		text = strings.NewReplacer("\r\n", `\n`, "\n", `\n`).Replace(text)
	}
	return strings.Join(keep, ";") + ":" + text
}

// escapedComma stands for an escaped comma of a CATEGORIES value while
// go-vcard reads it (a character of the private use area).
const escapedComma = "\ue000"

// escapedSemicolon stands for an escaped semicolon inside a component of
// N, ORG or ADR, which go-vcard neither escapes when it writes nor tells
// from a separator when it reads.
const escapedSemicolon = "\ue001"

// literalComma stands for a comma that go-vcard would escape but a URI
// value (PHOTO's data: URI) must keep as it is.
const literalComma = "\ue002"

// component restores the semicolons of a structured value's component.
func component(s string) string { return strings.ReplaceAll(s, escapedSemicolon, ";") }

// toUTF8 decodes b from charset ("" for UTF-8); bytes that are not
// UTF-8 either way are read as Windows-1252, as old exports wrote them.
func toUTF8(b []byte, charset string) string {
	if charset != "" && !strings.EqualFold(charset, "UTF-8") {
		if enc, err := htmlindex.Get(charset); err == nil {
			if d, err := enc.NewDecoder().Bytes(b); err == nil {
				return string(d)
			}
		}
	}
	if utf8.Valid(b) {
		return string(b)
	}
	d, _ := charmap.Windows1252.NewDecoder().Bytes(b)
	return string(d)
}

// vCard properties that map to fields of the contact; the others are
// kept in properties.vcard.
var mappedProps = map[string]bool{
	"BEGIN": true, "END": true, "VERSION": true, "FN": true, "N": true, "NICKNAME": true, "ORG": true,
	"TITLE": true, "BDAY": true, "ANNIVERSARY": true, "X-ANNIVERSARY": true, "X-EVOLUTION-ANNIVERSARY": true,
	"X-MS-ANNIVERSARY": true, "NOTE": true, "TEL": true, "EMAIL": true, "ADR": true, "CATEGORIES": true,
	"URL": true, "IMPP": true, "X-SOCIALPROFILE": true, "SOCIALPROFILE": true, "KIND": true, "LANG": true, "TZ": true,
	"X-CONTACTD-EXTERNAL-ID": true, "X-CONTACTD-PROPERTIES": true, "PRODID": true,
	"X-CONTACTD-LOCATION": true, "X-CONTACTD-DIRECTORY": true, "X-CONTACTD-LINKS": true,
}

// Mapped reports whether a vCard property (its name in upper case) is
// one that maps to fields of the contact.
func Mapped(name string) bool { return mappedProps[name] && name != "PRODID" }

// ownUID reports a UID that contactd's export wrote: the id of a contact,
// which an import does not keep (the contact it makes has its own).
func ownUID(card vcard.Card) bool {
	fs := card[vcard.FieldUID]
	return len(fs) == 1 && strings.HasPrefix(fs[0].Value, contactd.PrefixContact)
}

// binaryProps are kept neither in fields nor in properties: contactd
// keeps a photo (PHOTO, read apart), not logos, sounds or keys.
var binaryProps = map[string]bool{"PHOTO": true, "LOGO": true, "SOUND": true, "KEY": true}

// readPhoto reads the image of a card's PHOTO: base64 (ENCODING=b in 3.0,
// BASE64 in 2.1) or a data: URI (4.0). A link to an image elsewhere is not
// fetched.
func readPhoto(f *vcard.Field) ([]byte, error) {
	v := strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, f.Value)
	enc := strings.ToLower(f.Params.Get("ENCODING"))
	switch {
	case len(v) > 5 && strings.EqualFold(v[:5], "data:"):
		meta, data, ok := strings.Cut(v[5:], ",")
		if !ok || !strings.HasSuffix(strings.ToLower(meta), ";base64") {
			return nil, fmt.Errorf("a data: URI that is not base64")
		}
		v = data
	case enc == "b" || enc == "base64":
	default:
		return nil, fmt.Errorf("a link (%.60s), not an image: contactd does not fetch it", f.Value)
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		if b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(v, "=")); err != nil {
			return nil, fmt.Errorf("its base64 does not decode")
		}
	}
	if contactd.SniffPhoto(b) == "" {
		return nil, fmt.Errorf("not a JPEG, PNG or WebP image")
	}
	if len(b) > contactd.MaxPhotoBytes {
		return nil, fmt.Errorf("%d bytes, over the 1 MiB a photo may have", len(b))
	}
	return b, nil
}

// cardPhoto is the photo of a card: its preferred PHOTO's image, or why
// there is none that contactd keeps ("" when the card has no PHOTO).
func cardPhoto(card vcard.Card) ([]byte, string) {
	fs := card[vcard.FieldPhoto]
	if len(fs) == 0 {
		return nil, ""
	}
	f := fs[0]
	for _, g := range fs {
		if preferred(g.Params) {
			f = g
			break
		}
	}
	b, err := readPhoto(f)
	if err != nil {
		return nil, "PHOTO is not kept as the contact's photo: " + err.Error()
	}
	return b, ""
}

// cardInput maps a card to a contact input, with warnings for what the
// contact does not hold as the card had it; with keep, that is kept in
// properties.vcard where it fits.
func cardInput(card vcard.Card, keep bool) (*contactd.ContactInput, []string) {
	in := &contactd.ContactInput{}
	var warn []string
	extra := map[string]any{}
	if n := card.Name(); n != nil {
		in.LastName, in.FirstName, in.MiddleName, in.Suffix = component(n.FamilyName), component(n.GivenName), component(n.AdditionalName), component(n.HonorificSuffix)
		if n.HonorificPrefix != "" {
			extra["namePrefix"] = component(n.HonorificPrefix)
		}
	}
	in.DisplayName = card.PreferredValue(vcard.FieldFormattedName)
	if in.DisplayName == strings.TrimSpace(strings.Join(nonEmpty(in.FirstName, in.MiddleName, in.LastName, in.Suffix), " ")) {
		in.DisplayName = "" // derived, and follows later edits of the names
	}
	in.NickName = firstOf(strings.Split(card.PreferredValue(vcard.FieldNickname), ","))
	if org := card.PreferredValue(vcard.FieldOrganization); org != "" {
		parts := strings.Split(org, ";")
		in.Company = component(parts[0])
		if len(parts) > 1 {
			in.Department = component(strings.Join(nonEmpty(parts[1:]...), ", "))
		}
	}
	in.JobTitle = card.PreferredValue(vcard.FieldTitle)
	in.Notes = strings.Join(nonEmpty(card.Values(vcard.FieldNote)...), "\n\n")
	if b := card.Value(vcard.FieldBirthday); b != "" {
		if d, ok := vcardDate(b); ok {
			in.Birthday = d
		} else {
			extra["birthday"] = b
			warn = append(warn, fmt.Sprintf("BDAY %q is not a date contactd reads (YYYY-MM-DD or --MM-DD): kept in properties.vcard", b))
		}
	}
	// ANNIVERSARY is vCard 4.0's; 3.0 clients write their own X- names.
	for _, k := range anniversaryProps {
		a := card.Value(k)
		if a == "" {
			continue
		}
		if d, ok := vcardDate(a); ok {
			in.Anniversary = d
		} else {
			extra["anniversary"] = a
			warn = append(warn, fmt.Sprintf("%s %q is not a date contactd reads (YYYY-MM-DD or --MM-DD): kept in properties.vcard", k, a))
		}
		break
	}
	switch strings.ToLower(card.Value(vcard.FieldKind)) {
	case "org", "organization":
		in.Kind = "organization"
	}
	in.Locale = card.PreferredValue(vcard.FieldLanguage)
	if tz := card.Value(vcard.FieldTimezone); tz != "" && !strings.HasPrefix(tz, "+") && !strings.HasPrefix(tz, "-") && strings.Contains(tz, "/") {
		in.Timezone = tz
	} else if tz != "" {
		extra["tz"] = tz
	}
	in.ExternalID = card.Value("X-CONTACTD-EXTERNAL-ID")
	in.Location = card.Value("X-CONTACTD-LOCATION")
	if v := card.Value("X-CONTACTD-DIRECTORY"); v != "" {
		var d cardDirectory
		if err := json.Unmarshal([]byte(v), &d); err != nil {
			warn = append(warn, "X-CONTACTD-DIRECTORY is not the JSON contactd writes: not read")
		} else {
			in.ContactType, in.Extensions, in.Site, in.PBX, in.Subscription = d.ContactType, d.Extensions, d.Site, d.PBX, d.Subscription
			in.DisplayWhenNoExtension, in.HideInAutoAttendant = d.DisplayWhenNoExtension, d.HideInAutoAttendant
		}
	}
	if v := card.Value("X-CONTACTD-LINKS"); v != "" {
		if err := json.Unmarshal([]byte(v), &in.Links); err != nil {
			in.Links = nil
			warn = append(warn, "X-CONTACTD-LINKS is not the JSON contactd writes: not read")
		}
	}
	for _, f := range card[vcard.FieldTelephone] {
		num := strings.TrimSpace(f.Value)
		num = strings.TrimPrefix(strings.TrimPrefix(num, "tel:"), "TEL:")
		if i := strings.Index(num, ";ext="); i >= 0 {
			num = num[:i] + " ext. " + num[i+5:]
		}
		if num == "" {
			continue
		}
		in.Phones = append(in.Phones, contactd.Phone{Number: num, Type: phoneType(f.Params), Primary: preferred(f.Params)})
	}
	for _, f := range card[vcard.FieldEmail] {
		if a := strings.TrimSpace(strings.TrimPrefix(f.Value, "mailto:")); a != "" {
			in.Emails = append(in.Emails, contactd.Email{Address: a, Type: emailType(f.Params), Primary: preferred(f.Params)})
		}
	}
	for _, f := range card[vcard.FieldAddress] {
		a := vcardAddress(f)
		if a.Street+a.City+a.State+a.PostalCode+a.Country+a.Apartment != "" {
			in.Addresses = append(in.Addresses, a)
		}
	}
	for _, f := range card[vcard.FieldCategories] {
		for _, t := range strings.Split(f.Value, ",") {
			if t = strings.TrimSpace(strings.ReplaceAll(t, escapedComma, ",")); t != "" {
				in.Tags = append(in.Tags, t)
			}
		}
	}
	for _, f := range card[vcard.FieldURL] {
		if v := strings.TrimSpace(f.Value); v != "" {
			in.Handles = append(in.Handles, contactd.Handle{Type: "url", Value: v})
		}
	}
	for _, f := range card[vcard.FieldIMPP] {
		if h, ok := imppHandle(f.Value); ok {
			in.Handles = append(in.Handles, h)
		}
	}
	for _, k := range []string{"X-SOCIALPROFILE", "SOCIALPROFILE"} {
		for _, f := range card[k] {
			if v := strings.TrimSpace(f.Value); v != "" {
				in.Handles = append(in.Handles, contactd.Handle{Type: socialType(f.Params), Value: v})
			}
		}
	}
	own := map[string]any{} // the contact's properties, as contactd's export wrote them
	for _, f := range card["X-CONTACTD-PROPERTIES"] {
		var m map[string]any
		if json.Unmarshal([]byte(f.Value), &m) == nil {
			maps.Copy(own, m)
		}
	}
	if n := card.Get(vcard.FieldFormattedName); n == nil && card.Name() == nil {
		warn = append(warn, "the card has neither FN nor N")
	}
	var unknown []string
	for k := range card {
		if !mappedProps[k] && !(k == vcard.FieldUID && ownUID(card)) {
			unknown = append(unknown, k)
		}
	}
	sort.Strings(unknown)
	if !keep {
		unknown, extra = nil, map[string]any{}
	}
	if b, why := cardPhoto(card); b != nil {
		in.Photo = &contactd.PhotoData{Data: b}
	} else if why != "" && keep {
		warn = append(warn, why)
	}
	for _, k := range unknown {
		if k == vcard.FieldPhoto {
			continue
		}
		if binaryProps[k] {
			warn = append(warn, k+" is not kept: contactd does not store it")
			continue
		}
		var vals []string
		for _, f := range card[k] {
			vals = append(vals, f.Value)
		}
		extra[k] = vals
		warn = append(warn, k+" kept in properties.vcard")
	}
	in.Properties, warn = properties(own, "vcard", extra, warn)
	return in, warn
}

// properties makes the properties of a contact read from a file: its own
// (carried by contactd's export), and under key the file's fields the
// model has no place for, cut to fit the limit, what is dropped named in
// the warnings.
func properties(own map[string]any, key string, file map[string]any, warn []string) (json.RawMessage, []string) {
	if len(file) > 0 {
		own[key] = file
	}
	if len(own) == 0 {
		return nil, warn
	}
	for {
		b, err := json.Marshal(own)
		if err == nil && len(b) <= contactd.MaxPropertyBytes {
			return b, warn
		}
		// Drop the largest of the file's fields until it fits.
		big, size := "", -1
		for k, v := range file {
			if b, _ := json.Marshal(v); len(b) > size {
				big, size = k, len(b)
			}
		}
		if big == "" {
			return nil, append(warn, "the card's custom data is larger than properties hold: not kept")
		}
		delete(file, big)
		warn = append(warn, big+" is too large for properties: not kept")
		if len(file) == 0 {
			delete(own, key)
		}
	}
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func firstOf(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return strings.TrimSpace(ss[0])
}

// preferred reports PREF=1 (vCard 4.0) or TYPE=pref (2.1, 3.0).
func preferred(p vcard.Params) bool {
	return p.Get(vcard.ParamPreferred) == "1" || p.HasType("pref")
}

// phoneType maps TEL types: cell, fax with home or work, pager, work,
// home; anything else (voice alone, text, video) is other.
func phoneType(p vcard.Params) string {
	fax := p.HasType("fax")
	switch {
	case fax && p.HasType("work"):
		return "work_fax"
	case fax && p.HasType("home"):
		return "home_fax"
	case fax:
		return "fax"
	case p.HasType("cell") || p.HasType("mobile") || p.HasType("iphone"):
		return "mobile"
	case p.HasType("pager"):
		return "pager"
	case p.HasType("work"):
		return "work"
	case p.HasType("home"):
		return "home"
	}
	return "other"
}

func emailType(p vcard.Params) string {
	switch {
	case p.HasType("work"):
		return "work"
	case p.HasType("home"):
		return "personal"
	}
	return "other"
}

func vcardAddress(f *vcard.Field) contactd.Address {
	parts := strings.Split(f.Value, ";")
	get := func(i int) string {
		if i < len(parts) {
			return component(strings.TrimSpace(parts[i]))
		}
		return ""
	}
	a := contactd.Address{Apartment: strings.Join(nonEmpty(get(0), get(1)), ", "), Street: get(2), City: get(3),
		State: get(4), PostalCode: get(5), Country: get(6), Primary: preferred(f.Params), Type: "other"}
	switch {
	case f.Params.HasType("work"):
		a.Type = "work"
	case f.Params.HasType("home"):
		a.Type = "home"
	}
	return a
}

// imppHandle maps an IMPP URI to a handle by its scheme.
func imppHandle(v string) (contactd.Handle, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return contactd.Handle{}, false
	}
	scheme, rest, ok := strings.Cut(v, ":")
	if !ok {
		return contactd.Handle{Type: "other", Value: v}, true
	}
	switch strings.ToLower(scheme) {
	case "whatsapp":
		return contactd.Handle{Type: "whatsapp", Value: rest}, true
	case "telegram", "tg":
		return contactd.Handle{Type: "telegram", Value: rest}, true
	case "sip", "sips":
		return contactd.Handle{Type: "sip", Value: v}, true
	}
	return contactd.Handle{Type: "other", Value: v}, true
}

func socialType(p vcard.Params) string {
	for _, t := range p.Types() {
		switch t {
		case "twitter", "x":
			return "x"
		case "linkedin":
			return "linkedin"
		case "whatsapp", "telegram":
			return t
		}
	}
	return "url"
}

// vcardDate reads a vCard date as contactd spells birthdays: 19850415,
// 1985-04-15, --0415, --04-15, with any time part dropped.
func vcardDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, 'T'); i > 0 {
		s = s[:i]
	}
	digits := strings.ReplaceAll(strings.TrimPrefix(s, "--"), "-", "")
	if len(digits) != 8 && len(digits) != 4 {
		return "", false
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return "", false
		}
	}
	if strings.HasPrefix(s, "--") && len(digits) == 4 {
		return "--" + digits[:2] + "-" + digits[2:], true
	}
	if len(digits) == 8 && !strings.HasPrefix(s, "--") {
		return digits[:4] + "-" + digits[4:6] + "-" + digits[6:], true
	}
	return "", false
}

// WriteVCard writes c as one vCard, of version "4.0" or "3.0", with its
// photo when photo is given (a data: URI in 4.0, base64 in 3.0). What
// neither version has a property for (the contact's flags, status,
// owner, account and metadata) is left out; the external id and the
// custom properties go in X-CONTACTD- properties, which contactd reads
// back.
func WriteVCard(w io.Writer, c *contactd.Contact, version string, photo *contactd.PhotoData) error {
	v4 := version == "4.0"
	card := vcard.Card{}
	card.SetValue(vcard.FieldVersion, version)
	card.SetValue(vcard.FieldUID, c.ID)
	card.SetValue(vcard.FieldFormattedName, c.DisplayName)
	card.Add(vcard.FieldName, &vcard.Field{Value: structured(c.LastName, c.FirstName, c.MiddleName, "", c.Suffix)})
	if v4 {
		kind := "individual"
		if c.Kind == "organization" {
			kind = "org"
		}
		card.SetValue(vcard.FieldKind, kind)
	}
	add := func(k, v string, params vcard.Params) {
		if v != "" {
			card.Add(k, &vcard.Field{Value: v, Params: params})
		}
	}
	add(vcard.FieldNickname, c.NickName, nil)
	if c.Company != "" || c.Department != "" {
		add(vcard.FieldOrganization, structured(c.Company, c.Department), nil)
	}
	add(vcard.FieldTitle, c.JobTitle, nil)
	add(vcard.FieldBirthday, writeDate(c.Birthday, v4), nil)
	if v4 {
		add(vcard.FieldAnniversary, writeDate(c.Anniversary, v4), nil)
	} else {
		add("X-ANNIVERSARY", c.Anniversary, nil)
	}
	add(vcard.FieldNote, c.Notes, nil)
	add(vcard.FieldLanguage, c.Locale, nil)
	add(vcard.FieldTimezone, c.Timezone, nil)
	typed := func(types []string, primary bool) vcard.Params {
		p := vcard.Params{}
		for _, t := range types {
			p.Add(vcard.ParamType, t)
		}
		if primary {
			if v4 {
				p.Set(vcard.ParamPreferred, "1")
			} else {
				p.Add(vcard.ParamType, "pref")
			}
		}
		return p
	}
	for _, ph := range c.Phones {
		num := ph.E164
		if ph.Extension != "" {
			num += " ext. " + ph.Extension
		}
		add(vcard.FieldTelephone, num, typed(telTypes[ph.Type], ph.Primary))
	}
	for _, e := range c.Emails {
		add(vcard.FieldEmail, e.Address, typed(map[string][]string{"work": {"work"}, "personal": {"home"}}[e.Type], e.Primary))
	}
	for _, a := range c.Addresses {
		street := strings.Join(nonEmpty(a.StreetNumber, a.Street), " ")
		add(vcard.FieldAddress, structured("", a.Apartment, street, a.City, a.State, a.PostalCode, a.Country),
			typed(map[string][]string{"work": {"work"}, "home": {"home"}}[a.Type], a.Primary))
	}
	for _, h := range c.Handles {
		switch h.Type {
		case "url":
			add(vcard.FieldURL, h.Value, nil)
		case "whatsapp", "telegram":
			add(vcard.FieldIMPP, h.Type+":"+h.Value, nil)
		case "sip":
			v := h.Value
			if !strings.HasPrefix(strings.ToLower(v), "sip") {
				v = "sip:" + v
			}
			add(vcard.FieldIMPP, v, nil)
		case "x":
			add("X-SOCIALPROFILE", h.Value, vcard.Params{vcard.ParamType: {"twitter"}})
		case "linkedin":
			add("X-SOCIALPROFILE", h.Value, vcard.Params{vcard.ParamType: {"linkedin"}})
		default:
			add(vcard.FieldIMPP, h.Value, nil)
		}
	}
	for _, t := range c.Tags {
		// One property a tag: go-vcard escapes the commas of a list.
		add(vcard.FieldCategories, t, nil)
	}
	if photo != nil && len(photo.Data) > 0 {
		b64 := base64.StdEncoding.EncodeToString(photo.Data)
		if v4 {
			add(vcard.FieldPhoto, "data:"+photo.ContentType+";base64"+literalComma+b64, nil)
		} else {
			add(vcard.FieldPhoto, b64, vcard.Params{"ENCODING": {"b"}, vcard.ParamType: {strings.ToUpper(strings.TrimPrefix(photo.ContentType, "image/"))}})
		}
	}
	add("X-CONTACTD-EXTERNAL-ID", c.ExternalID, nil)
	add("X-CONTACTD-LOCATION", c.Location, nil)
	d := cardDirectory{Extensions: c.Extensions, Site: c.Site, PBX: c.PBX, Subscription: c.Subscription,
		DisplayWhenNoExtension: c.DisplayWhenNoExtension, HideInAutoAttendant: c.HideInAutoAttendant}
	if c.ContactType != "company" {
		d.ContactType = c.ContactType
	}
	if d.ContactType != "" || len(d.Extensions) > 0 || d.Site != nil || d.PBX != nil || d.Subscription != nil || d.DisplayWhenNoExtension || d.HideInAutoAttendant {
		b, _ := json.Marshal(d)
		add("X-CONTACTD-DIRECTORY", string(b), nil)
	}
	if len(c.Links) > 0 {
		b, _ := json.Marshal(c.Links)
		add("X-CONTACTD-LINKS", string(b), nil)
	}
	if len(c.Properties) > 0 {
		add("X-CONTACTD-PROPERTIES", string(c.Properties), nil)
	}
	var buf bytes.Buffer
	if err := vcard.NewEncoder(&buf).Encode(card); err != nil {
		return err
	}
	_, err := w.Write(Fold(buf.Bytes()))
	return err
}

// cardDirectory is the phone-system directory of a contact as a card
// carries it, in X-CONTACTD-DIRECTORY (JSON, as the API writes it).
type cardDirectory struct {
	// ContactType is corporate or service (company is not written).
	ContactType            string                 `json:"contactType,omitempty"`
	Extensions             []contactd.Extension   `json:"extensions,omitempty"`
	Site                   *contactd.DirectoryRef `json:"site,omitempty"`
	PBX                    *contactd.DirectoryRef `json:"pbx,omitempty"`
	Subscription           *contactd.Subscription `json:"subscription,omitempty"`
	DisplayWhenNoExtension bool                   `json:"displayWhenNoExtension,omitempty"`
	HideInAutoAttendant    bool                   `json:"hideInAutoAttendant,omitempty"`
}

// telTypes are the TEL types of each phone type.
var telTypes = map[string][]string{
	"mobile": {"cell"}, "work": {"work", "voice"}, "home": {"home", "voice"}, "fax": {"fax"},
	"work_fax": {"work", "fax"}, "home_fax": {"home", "fax"}, "pager": {"pager"}, "other": {"voice"},
}

// structured joins the components of a structured value (N, ORG, ADR),
// their own semicolons marked for fold to escape.
func structured(parts ...string) string {
	for i, p := range parts {
		parts[i] = strings.ReplaceAll(p, ";", escapedSemicolon)
	}
	return strings.Join(parts, ";")
}

// writeDate spells a birthday as a vCard date: 19850415 or --0415 in 4.0,
// 1985-04-15 or --04-15 in 3.0.
func writeDate(d string, v4 bool) string {
	if !v4 || d == "" {
		return d
	}
	if rest, ok := strings.CutPrefix(d, "--"); ok {
		return "--" + strings.ReplaceAll(rest, "-", "")
	}
	return strings.ReplaceAll(d, "-", "")
}

// Fold returns the lines of an encoded card folded at 75 octets, on
// character boundaries, as RFC 6350 asks, with the semicolons inside
// components escaped.
func Fold(card []byte) []byte {
	card = bytes.ReplaceAll(card, []byte(escapedSemicolon), []byte(`\;`))
	card = bytes.ReplaceAll(card, []byte(literalComma), []byte(","))
	var out bytes.Buffer
	for _, line := range bytes.SplitAfter(card, []byte("\r\n")) {
		body := bytes.TrimSuffix(line, []byte("\r\n"))
		if len(body) == 0 {
			continue
		}
		limit := 75
		for len(body) > limit {
			cut := limit
			for cut > 0 && !utf8.RuneStart(body[cut]) {
				cut--
			}
			out.Write(body[:cut])
			out.WriteString("\r\n ")
			body = body[cut:]
			limit = 74 // the continuation's space counts
		}
		out.Write(body)
		out.WriteString("\r\n")
	}
	return out.Bytes()
}
