package formats

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/contactd/contactd"
)

// CSVOptions adjust how a CSV file is read.
type CSVOptions struct {
	// Charset names the file's character set (utf-8, utf-16le,
	// iso-8859-1, windows-1252, …); "" detects it: a byte-order mark
	// (UTF-8, UTF-16), else UTF-8 when the start of the file is UTF-8,
	// else Windows-1252 (a superset of Latin-1 for text).
	Charset string
	// Mapping gives columns, by header, their target in ParseTarget's
	// syntax, over the ones the header's name gives them.
	Mapping map[string]string
}

// CSVError is a problem with the options or the header of a CSV file: the
// file cannot be read. Field names the part of the request at fault
// (charset, mapping.<header>, or the file itself: "").
type CSVError struct {
	Field, Message string
}

func (e *CSVError) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// CSVReader reads contacts from a CSV file with a header row.
type CSVReader struct {
	r        *csv.Reader
	headers  []string
	cols     []target
	layout   string
	warnings []string
}

// sniffBytes is how much of a file is looked at to tell its charset and
// delimiter.
const sniffBytes = 64 << 10

// NewCSVReader reads the header of a CSV file and works out what each
// column holds. Errors about the file or the options are *CSVError.
func NewCSVReader(r io.Reader, opt CSVOptions) (*CSVReader, error) {
	text, err := decodeCharset(r, opt.Charset)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(text, sniffBytes)
	head, _ := br.Peek(sniffBytes)
	cr := csv.NewReader(br)
	cr.Comma = sniffDelimiter(head)
	cr.LazyQuotes = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return nil, &CSVError{Message: "the file is empty: a CSV file starts with a header row"}
	}
	if err != nil {
		return nil, &CSVError{Message: "the header row cannot be read: " + err.Error()}
	}
	header = slices.Clone(header)
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\uFEFF")
	}
	c := &CSVReader{r: cr, headers: header}
	cr.ReuseRecord = true
	if err := c.mapColumns(opt.Mapping); err != nil {
		return nil, err
	}
	return c, nil
}

// decodeCharset returns r read as UTF-8.
func decodeCharset(r io.Reader, charset string) (io.Reader, error) {
	br := bufio.NewReaderSize(r, sniffBytes)
	head, _ := br.Peek(sniffBytes)
	var enc encoding.Encoding
	switch cs := strings.ToLower(strings.TrimSpace(charset)); {
	case cs == "utf-16":
		enc = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
	case cs != "":
		e, err := htmlindex.Get(cs)
		if err != nil {
			return nil, &CSVError{Field: "charset", Message: fmt.Sprintf("%q is not a character set contactd knows (utf-8, utf-16, utf-16le, utf-16be, iso-8859-1, windows-1252, …)", charset)}
		}
		enc = e
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		return unicode.UTF8BOM.NewDecoder().Reader(br), nil
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		enc = unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)
	case !utf8.Valid(trimPartialRune(head)):
		enc = charmap.Windows1252
	default:
		return br, nil
	}
	return transform.NewReader(br, enc.NewDecoder()), nil
}

// trimPartialRune cuts a UTF-8 sequence that a buffer's end splits.
func trimPartialRune(b []byte) []byte {
	for i := 1; i <= utf8.UTFMax && i <= len(b); i++ {
		if utf8.RuneStart(b[len(b)-i]) {
			if !utf8.FullRune(b[len(b)-i:]) {
				return b[:len(b)-i]
			}
			break
		}
	}
	return b
}

// sniffDelimiter picks the delimiter of the header row: the one of comma,
// semicolon and tab that it has most of outside quotes (comma on a tie).
func sniffDelimiter(head []byte) rune {
	counts := map[rune]int{}
	quoted := false
	for _, r := range string(head) {
		switch {
		case r == '"':
			quoted = !quoted
		case quoted:
		case r == '\n':
			goto done
		case r == ',' || r == ';' || r == '\t':
			counts[r]++
		}
	}
done:
	best := ','
	for _, d := range []rune{';', '\t'} {
		if counts[d] > counts[best] {
			best = d
		}
	}
	return best
}

// mapColumns gives every column its target: the mapping's, else the one
// its header names, else properties.csv.<header>.
func (c *CSVReader) mapColumns(mapping map[string]string) error {
	folded := map[string]bool{}
	for _, h := range c.headers {
		folded[foldHeader(h)] = true
	}
	byHeader := map[string]int{}
	for i, h := range c.headers {
		if _, ok := byHeader[foldHeader(h)]; !ok {
			byHeader[foldHeader(h)] = i
		}
	}
	c.cols = make([]target, len(c.headers))
	var unknown []string
	for i, h := range c.headers {
		t, ok := columnTarget(foldHeader(h), folded)
		if !ok && strings.TrimSpace(h) != "" {
			t = target{kind: "extra", field: h}
			unknown = append(unknown, h)
		}
		c.cols[i] = t
	}
	keys := make([]string, 0, len(mapping))
	for k := range mapping {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		i, ok := byHeader[foldHeader(k)]
		if !ok {
			return &CSVError{Field: "mapping." + k, Message: "the file has no such column"}
		}
		t, err := ParseTarget(mapping[k])
		if err != nil {
			return &CSVError{Field: "mapping." + k, Message: err.Error()}
		}
		c.cols[i] = t
		unknown = slices.DeleteFunc(unknown, func(h string) bool { return foldHeader(h) == foldHeader(k) })
	}
	if len(unknown) > 0 {
		c.warnings = append(c.warnings, fmt.Sprintf("columns with no contact field, kept in properties.csv: %s", strings.Join(unknown, ", ")))
	}
	c.layout = layoutOf(folded)
	return nil
}

func foldHeader(h string) string { return strings.ToLower(strings.TrimSpace(h)) }

// layoutOf names the export a header comes from.
func layoutOf(h map[string]bool) string {
	switch {
	case h["labels"] && (h["e-mail 1 - label"] || h["phone 1 - label"] || h["first name"]):
		return "google"
	case h["group membership"] && h["given name"]:
		return "google-legacy"
	case h["business phone"] && h["e-mail address"]:
		return "outlook"
	case h["primary email"] && h["mobile number"]:
		return "thunderbird"
	}
	return "generic"
}

// Layout names the export the header was recognised as: google,
// google-legacy, outlook, thunderbird or generic.
func (c *CSVReader) Layout() string { return c.layout }

// Warnings are the problems of the header (columns kept in properties).
func (c *CSVReader) Warnings() []string { return c.warnings }

// Headers are the file's column headers.
func (c *CSVReader) Headers() []string { return c.headers }

// Next implements Reader. A row with another number of fields than the
// header is a record with Err.
func (c *CSVReader) Next() (*Record, error) {
	fields, err := c.r.Read()
	line, _ := c.r.FieldPos(0)
	var pe *csv.ParseError
	switch {
	case err == io.EOF:
		return nil, io.EOF
	case errors.As(err, &pe) && pe.Err != csv.ErrFieldCount:
		return &Record{N: pe.StartLine, Err: fmt.Errorf("line %d: %v", pe.StartLine, pe.Err)}, nil
	case err != nil && !errors.As(err, &pe):
		return nil, err
	}
	rec := &Record{N: line, Raw: slices.Clone(fields)}
	if len(fields) != len(c.headers) {
		rec.Err = fmt.Errorf("the row has %d fields, the header %d", len(fields), len(c.headers))
		return rec, nil
	}
	rec.Input, rec.Warnings = c.input(fields)
	return rec, nil
}

// group collects the cells of one of Google's numbered groups.
type group struct {
	kind, label, value string
	parts              map[string]string
}

// input maps the cells of a row to a contact.
func (c *CSVReader) input(fields []string) (*contactd.ContactInput, []string) {
	in := &contactd.ContactInput{}
	var warn []string
	own, extra := map[string]any{}, map[string]any{}
	groups := map[[2]any]*group{}
	var order [][2]any
	addrs := map[string]*contactd.Address{}
	var addrOrder []string
	birth := map[string]string{}
	for i, v := range fields {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		t := c.cols[i]
		if t.group > 0 {
			k := [2]any{t.kind, t.group}
			g, ok := groups[k]
			if !ok {
				g = &group{kind: t.kind, parts: map[string]string{}}
				groups[k] = g
				order = append(order, k)
			}
			switch t.part {
			case "label":
				g.label = v
			case "value":
				g.value = v
			default:
				g.parts[t.part] = v
			}
			continue
		}
		switch t.kind {
		case "field":
			setField(in, t.field, v)
		case "tags":
			in.Tags = append(in.Tags, splitTags(v)...)
		case "phone":
			for _, n := range splitMulti(v) {
				in.Phones = append(in.Phones, contactd.Phone{Number: n, Type: cmpOr(t.typ, "other"), Primary: t.primary})
			}
		case "email":
			for _, a := range splitMulti(v) {
				in.Emails = append(in.Emails, contactd.Email{Address: a, Type: cmpOr(t.typ, "other"), Primary: t.primary})
			}
		case "handle":
			for _, h := range splitMulti(v) {
				in.Handles = append(in.Handles, contactd.Handle{Type: t.typ, Value: h})
			}
		case "address":
			a, ok := addrs[t.typ]
			if !ok {
				a = &contactd.Address{Type: t.typ}
				addrs[t.typ] = a
				addrOrder = append(addrOrder, t.typ)
			}
			setAddressPart(a, t.part, v)
		case "birth":
			birth[t.field] = v
		case "prop":
			own[t.field] = v
		case "extra":
			extra[t.field] = v
		}
	}
	for _, typ := range addrOrder {
		in.Addresses = append(in.Addresses, *addrs[typ])
	}
	for _, k := range order {
		g := groups[k]
		typ, primary := typeOfLabel(g.kind, g.label)
		switch g.kind {
		case "phone":
			for _, n := range splitMulti(g.value) {
				in.Phones = append(in.Phones, contactd.Phone{Number: n, Type: typ, Primary: primary})
			}
		case "email":
			for _, a := range splitMulti(g.value) {
				in.Emails = append(in.Emails, contactd.Email{Address: a, Type: typ, Primary: primary})
			}
		case "address":
			a := contactd.Address{Type: typ, Primary: primary}
			for part, v := range g.parts {
				setAddressPart(&a, part, v)
			}
			if a.Street == "" && a.City == "" && a.PostalCode == "" && a.Country == "" && a.State == "" {
				a.Street = strings.Join(nonEmpty(strings.Split(g.parts["formatted"], "\n")...), ", ")
			}
			if a.Street+a.City+a.State+a.PostalCode+a.Country+a.Apartment != "" {
				in.Addresses = append(in.Addresses, a)
			}
		case "handle":
			ht := "url"
			if l := strings.ToLower(strings.TrimPrefix(g.label, "* ")); slices.Contains(contactd.HandleTypes, l) {
				ht = l
			}
			for _, v := range splitMulti(g.value) {
				in.Handles = append(in.Handles, contactd.Handle{Type: ht, Value: v})
			}
		case "im":
			for _, v := range splitMulti(g.value) {
				in.Handles = append(in.Handles, contactd.Handle{Type: "other", Value: v})
			}
		case "custom":
			if strings.EqualFold(g.label, "externalId") {
				in.ExternalID = g.value
			} else if g.value != "" {
				own[cmpOr(g.label, fmt.Sprintf("custom %d", k[1]))] = g.value
			}
		case "event":
			if strings.EqualFold(strings.TrimPrefix(g.label, "* "), "anniversary") && in.Anniversary == "" {
				if d, ok := readDate(g.value); ok {
					in.Anniversary = d
					break
				}
			}
			if g.value != "" {
				extra[fmt.Sprintf("%s %d", g.kind, k[1])] = strings.TrimSpace(g.label + " " + g.value)
			}
		default: // relations
			if g.value != "" {
				extra[fmt.Sprintf("%s %d", g.kind, k[1])] = strings.TrimSpace(g.label + " " + g.value)
			}
		}
	}
	if len(birth) > 0 && in.Birthday == "" {
		in.Birthday = birthFromParts(birth)
	}
	for _, d := range []struct {
		name string
		v    *string
	}{{"birthday", &in.Birthday}, {"anniversary", &in.Anniversary}} {
		if *d.v == "" {
			continue
		}
		if date, ok := readDate(*d.v); ok {
			*d.v = date
		} else {
			extra[d.name] = *d.v
			warn = append(warn, fmt.Sprintf("%s %q is not a date contactd reads: kept in properties.csv", d.name, *d.v))
			*d.v = ""
		}
	}
	in.Emails = dedupe(in.Emails, func(e contactd.Email) string { return strings.ToLower(e.Address) })
	in.Phones = dedupe(in.Phones, func(p contactd.Phone) string { return p.Number })
	in.Handles = dedupe(in.Handles, func(h contactd.Handle) string { return h.Type + " " + h.Value })
	in.Tags = dedupe(in.Tags, strings.ToLower)
	in.Properties, warn = properties(own, "csv", extra, warn)
	return in, warn
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// dedupe keeps the first of the entries with one key.
func dedupe[T any](list []T, key func(T) string) []T {
	seen := map[string]bool{}
	return slices.DeleteFunc(list, func(x T) bool {
		k := key(x)
		if seen[k] {
			return true
		}
		seen[k] = true
		return false
	})
}

func setField(in *contactd.ContactInput, field, v string) {
	p := map[string]*string{
		"name": &in.Name, "firstName": &in.FirstName, "middleName": &in.MiddleName, "lastName": &in.LastName,
		"nickName": &in.NickName, "suffix": &in.Suffix, "displayName": &in.DisplayName, "company": &in.Company,
		"department": &in.Department, "jobTitle": &in.JobTitle, "birthday": &in.Birthday, "anniversary": &in.Anniversary, "notes": &in.Notes,
		"externalId": &in.ExternalID, "locale": &in.Locale, "timezone": &in.Timezone, "status": &in.Status,
	}[field]
	if p == nil {
		return
	}
	if *p != "" && field == "notes" {
		*p += "\n\n" + v
		return
	}
	*p = v
}

func setAddressPart(a *contactd.Address, part, v string) {
	switch part {
	case "street":
		a.Street = joinNonEmpty(", ", a.Street, v)
	case "street2", "street3":
		a.Apartment = joinNonEmpty(", ", a.Apartment, v)
	case "extended":
		a.Apartment = joinNonEmpty(", ", v, a.Apartment)
	case "poBox":
		a.Apartment = joinNonEmpty(", ", a.Apartment, "PO Box "+strings.TrimPrefix(v, "PO Box "))
	case "city":
		a.City = v
	case "state":
		a.State = v
	case "postalCode":
		a.PostalCode = v
	case "country":
		a.Country = v
	}
}

func joinNonEmpty(sep string, ss ...string) string { return strings.Join(nonEmpty(ss...), sep) }

// splitMulti splits a cell of Google's multi-values ("a ::: b").
func splitMulti(v string) []string { return nonEmpty(strings.Split(v, ":::")...) }

// splitTags reads labels and categories: Google's "* myContacts :::
// Friends" (its system groups, starred, left out; a label may hold a
// comma), Outlook's "A;B", or "a, b".
func splitTags(v string) []string {
	parts := splitMulti(v)
	if !strings.Contains(v, ":::") {
		parts = nonEmpty(strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == ',' })...)
	}
	return slices.DeleteFunc(parts, func(s string) bool { return strings.HasPrefix(s, "* ") })
}

// birthFromParts makes a birthday of Thunderbird's Birth Year, Month and
// Day columns.
func birthFromParts(p map[string]string) string {
	m, d := p["month"], p["day"]
	if m == "" || d == "" {
		return ""
	}
	if len(m) == 1 {
		m = "0" + m
	}
	if len(d) == 1 {
		d = "0" + d
	}
	if y := p["year"]; y != "" {
		return y + "-" + m + "-" + d
	}
	return "--" + m + "-" + d
}

// readDate reads a birthday as exports write them: 1985-04-15, --04-15,
// 19850415, 4/15/1985 (Outlook's US form), 15.04.1985; Outlook's empty
// 0/0/00 is no date.
func readDate(s string) (string, bool) {
	if s == "0/0/00" || s == "00/00/0000" {
		return "", true
	}
	if d, ok := vcardDate(s); ok {
		return d, true
	}
	for _, layout := range []string{"1/2/2006", "02.01.2006", "2006/01/02", "January 2, 2006", "2 January 2006"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("2006-01-02"), true
		}
	}
	return "", false
}

// Targets returns what each column of the header fills, in the header's
// order, as a mapping would name it (see ParseTarget): the detected
// mapping, for a person to check before an import.
func (c *CSVReader) Targets() []string {
	out := make([]string, len(c.cols))
	for i, t := range c.cols {
		out[i] = t.String()
	}
	return out
}
