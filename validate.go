package contactd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	_ "time/tzdata" // timezone validation must not depend on the host's zoneinfo
	"unicode/utf8"

	"github.com/contactd/contactd/internal/phone"
)

var (
	colorRE       = regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`)
	birthdayRE    = regexp.MustCompile(`^(\d{4}|-)-(\d{2})-(\d{2})$`)
	digitsRE      = regexp.MustCompile(`^[0-9]{1,16}$`)
	MaxEmailBytes = 254
)

// Validation. A builder turns an input into a valid, normalized object,
// collecting every field problem with its location; contacts and accounts
// share its checks of entries (phones, emails, addresses) and values.

// builder turns an input into a valid, normalized object, collecting
// every field problem.
type builder struct {
	errs   []FieldError
	region string
	prev   *Contact
	// named holds the entry ids the input names; used those already given
	// to an entry of the result.
	named, used map[string]bool
}

func (b *builder) fail(loc, format string, args ...any) {
	b.errs = append(b.errs, FieldError{Location: loc, Message: fmt.Sprintf(format, args...)})
}

// text trims s and checks its length in characters.
func (b *builder) text(loc, s string, max int) string {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		b.fail(loc, "must be valid UTF-8")
		return s
	}
	if strings.IndexByte(s, 0) >= 0 {
		b.fail(loc, "must not contain the NUL character (U+0000)")
		return s
	}
	if n := utf8.RuneCountInString(s); n > max {
		b.fail(loc, "must be at most %d characters (got %d)", max, n)
	}
	return s
}

func (b *builder) enum(loc, s string, allowed []string, def string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return def
	}
	if !slices.Contains(allowed, s) {
		b.fail(loc, "must be one of %s", strings.Join(allowed, ", "))
	}
	return s
}

// jsonDoc checks the size and (when maxDepth > 0) the nesting of a JSON object.
func (b *builder) jsonDoc(loc string, raw json.RawMessage, maxDepth int) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	if len(raw) > MaxPropertyBytes {
		b.fail(loc, "must be at most %d bytes when serialized (got %d)", MaxPropertyBytes, len(raw))
		return raw
	}
	if err := CheckJSON(raw); err != nil {
		var e *Error
		if errors.As(err, &e) {
			for _, f := range e.Fields {
				b.fail(join(loc, strings.TrimPrefix(strings.TrimPrefix(f.Location, "body"), ".")), "%s", f.Message)
			}
		}
		return raw
	}
	if maxDepth > 0 {
		if d := jsonDepth(raw); d > maxDepth {
			b.fail(loc, "must nest at most %d levels deep (got %d)", maxDepth, d)
		}
	}
	if bytes.Equal(raw, []byte("{}")) {
		return nil
	}
	return raw
}

// jsonDepth returns the nesting depth of objects and arrays in valid JSON.
func jsonDepth(raw []byte) int {
	depth, max, inString, escaped := 0, 0, false, false
	for _, c := range raw {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			depth++
			if depth > max {
				max = depth
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return max
}

// keepID returns the id an entry keeps: its own when it names an entry of
// the previous version (prevIDs) not taken by an earlier entry; otherwise
// the id of a previous entry with the same content (same(i) for the i-th)
// that the input does not name, so that sending a list again without ids
// (a PUT, an import, a PATCH of a whole array) does not churn them;
// otherwise a new id.
func (b *builder) keepID(id, prefix string, prevIDs []string, same func(i int) bool) string {
	if id != "" && slices.Contains(prevIDs, id) && !b.used[id] {
		b.used[id] = true
		return id
	}
	for i, pid := range prevIDs {
		if !b.used[pid] && !b.named[pid] && same(i) {
			b.used[pid] = true
			return pid
		}
	}
	return NewID(prefix)
}

// prevEntries returns a list of the previous version (nil on create) and
// the ids of its entries.
func prevEntries[T any](b *builder, list func(*Contact) []T, id func(T) string) ([]T, []string) {
	if b.prev == nil {
		return nil, nil
	}
	l := list(b.prev)
	ids := make([]string, len(l))
	for i, e := range l {
		ids[i] = id(e)
	}
	return l, ids
}

func (b *builder) phones(in []Phone) []Phone {
	out := make([]Phone, 0, len(in))
	if len(in) > MaxPhones {
		b.fail("phones", "must have at most %d entries (got %d)", MaxPhones, len(in))
		return out
	}
	seen := map[string]bool{}
	for i, p := range in {
		loc := fmt.Sprintf("phones[%d]", i)
		p, ok := b.phone(loc, p)
		if !ok {
			continue
		}
		key := p.E164 + "x" + p.Extension
		if seen[key] {
			b.fail(loc+".number", "duplicates another phone of this contact")
			continue
		}
		seen[key] = true
		out = append(out, p)
	}
	b.primaries("phones", len(out), func(i int) *bool { return &out[i].Primary })
	return out
}

// phone validates and normalizes one phone entry; loc names the entry.
func (b *builder) phone(loc string, p Phone) (Phone, bool) {
	n0 := len(b.errs)
	p.Number = b.text(join(loc, "number"), p.Number, 40)
	p.Type = b.enum(join(loc, "type"), p.Type, PhoneTypes, "other")
	p.Extension = strings.TrimSpace(p.Extension)
	if p.Extension != "" && !digitsRE.MatchString(p.Extension) {
		b.fail(join(loc, "extension"), "must be 1 to 16 digits")
	}
	if p.Source = strings.ToLower(strings.TrimSpace(p.Source)); p.Source != "" {
		b.enum(join(loc, "source"), p.Source, PhoneSources, "")
	}
	if p.Number == "" {
		b.fail(join(loc, "number"), "is required")
	} else if len(b.errs) == n0 {
		n, err := phone.Read(p.Number, b.region)
		if err != nil {
			b.fail(join(loc, "number"), "%s", phoneMessage(err, b.region))
		} else {
			p.E164 = n.E164
			if p.Extension == "" {
				p.Extension = n.Extension
			}
		}
	}
	prev, ids := prevEntries(b, func(c *Contact) []Phone { return c.Phones }, func(q Phone) string { return q.ID })
	p.ID = b.keepID(p.ID, PrefixPhone, ids, func(i int) bool {
		return p.E164 != "" && prev[i].E164 == p.E164 && prev[i].Extension == p.Extension
	})
	p.Region, p.CreatedAt = "", nil
	for _, q := range prev {
		if q.ID == p.ID {
			p.CreatedAt = q.CreatedAt
		}
		if q.E164 == p.E164 && q.Region != "" {
			p.Region = q.Region // the region of a number is worked out once
		}
	}
	if p.Region == "" && p.E164 != "" {
		p.Region = phone.RegionOf(p.E164)
	}
	return p, len(b.errs) == n0
}

func phoneMessage(err error, region string) string {
	switch {
	case errors.Is(err, phone.ErrEmpty):
		return "is required"
	case region == "":
		return "is not a possible phone number (give it in international form, starting with +)"
	default:
		return fmt.Sprintf("is not a possible phone number (national numbers are read as %s; give others in international form, starting with +)", region)
	}
}

func (b *builder) emails(in []Email) []Email {
	out := make([]Email, 0, len(in))
	if len(in) > MaxEmails {
		b.fail("emails", "must have at most %d entries (got %d)", MaxEmails, len(in))
		return out
	}
	seen := map[string]bool{}
	for i, e := range in {
		loc := fmt.Sprintf("emails[%d]", i)
		e, ok := b.email(loc, e)
		if !ok {
			continue
		}
		if seen[e.Address] {
			b.fail(loc+".address", "duplicates another email of this contact")
			continue
		}
		seen[e.Address] = true
		out = append(out, e)
	}
	b.primaries("emails", len(out), func(i int) *bool { return &out[i].Primary })
	return out
}

// email validates and normalizes one email entry; loc names the entry.
func (b *builder) email(loc string, e Email) (Email, bool) {
	n0 := len(b.errs)
	e.Address = b.emailAddress(join(loc, "address"), e.Address)
	e.Type = b.enum(join(loc, "type"), e.Type, EmailTypes, "other")
	e.ID = b.emailID(e.ID, e.Address)
	prev, _ := prevEntries(b, func(c *Contact) []Email { return c.Emails }, func(q Email) string { return q.ID })
	e.CreatedAt = entryCreated(prev, e.ID, func(q Email) (string, *Time) { return q.ID, q.CreatedAt })
	return e, len(b.errs) == n0
}

// emailAddress checks the syntax of a bare address and lower-cases it.
func (b *builder) emailAddress(loc, s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "":
		b.fail(loc, "is required")
	case len(s) > MaxEmailBytes:
		b.fail(loc, "must be at most %d characters", MaxEmailBytes)
	case !validEmail(s):
		b.fail(loc, "is not a valid email address")
	}
	return s
}

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1 && !strings.ContainsAny(s, " \t\r\n")
}

// emailID is keepID for an email entry.
func (b *builder) emailID(id, addr string) string {
	prev, ids := prevEntries(b, func(c *Contact) []Email { return c.Emails }, func(q Email) string { return q.ID })
	return b.keepID(id, PrefixEmail, ids, func(i int) bool { return addr != "" && prev[i].Address == addr })
}

func (b *builder) addresses(in []Address) []Address {
	out := make([]Address, 0, len(in))
	if len(in) > MaxAddresses {
		b.fail("addresses", "must have at most %d entries (got %d)", MaxAddresses, len(in))
		return out
	}
	for i, a := range in {
		if a, ok := b.address(fmt.Sprintf("addresses[%d]", i), a); ok {
			out = append(out, a)
		}
	}
	b.primaries("addresses", len(out), func(i int) *bool { return &out[i].Primary })
	return out
}

// address validates one address entry; loc names the entry.
func (b *builder) address(loc string, a Address) (Address, bool) {
	n0 := len(b.errs)
	a.Type = b.enum(join(loc, "type"), a.Type, AddressTypes, "other")
	fields := []struct {
		name string
		p    *string
		max  int
	}{
		{"street", &a.Street, 255}, {"streetNumber", &a.StreetNumber, 255}, {"apartment", &a.Apartment, 255},
		{"city", &a.City, 255}, {"county", &a.County, 255}, {"state", &a.State, 255},
		{"postalCode", &a.PostalCode, 16}, {"country", &a.Country, 255}, {"notes", &a.Notes, 255},
	}
	empty := true
	for _, f := range fields {
		*f.p = b.text(join(loc, f.name), *f.p, f.max)
		empty = empty && *f.p == ""
	}
	a.Timezone = b.timezone(join(loc, "timezone"), a.Timezone)
	if empty {
		b.fail(locOrBody(loc), "an address needs at least one of street, city, state, postalCode, country or notes")
	}
	prev, ids := prevEntries(b, func(c *Contact) []Address { return c.Addresses }, func(q Address) string { return q.ID })
	a.CreatedAt = nil
	a.ID = b.keepID(a.ID, PrefixAddress, ids, func(i int) bool {
		q := prev[i]
		q.ID, q.Primary, q.CreatedAt = a.ID, a.Primary, nil
		return q == a
	})
	a.CreatedAt = entryCreated(prev, a.ID, func(q Address) (string, *Time) { return q.ID, q.CreatedAt })
	return a, len(b.errs) == n0
}

func (b *builder) handles(in []Handle) []Handle {
	out := make([]Handle, 0, len(in))
	if len(in) > MaxHandles {
		b.fail("handles", "must have at most %d entries (got %d)", MaxHandles, len(in))
		return out
	}
	for i, h := range in {
		loc := fmt.Sprintf("handles[%d]", i)
		n0 := len(b.errs)
		if strings.TrimSpace(h.Type) == "" {
			b.fail(loc+".type", "is required")
		}
		h.Type = b.enum(loc+".type", h.Type, HandleTypes, "")
		h.Value = b.text(loc+".value", h.Value, 255)
		if h.Value == "" {
			b.fail(loc+".value", "is required")
		}
		prev, ids := prevEntries(b, func(c *Contact) []Handle { return c.Handles }, func(q Handle) string { return q.ID })
		h.ID = b.keepID(h.ID, PrefixHandle, ids, func(i int) bool {
			return prev[i].Type == h.Type && prev[i].Value == h.Value
		})
		if len(b.errs) == n0 {
			out = append(out, h)
		}
	}
	return out
}

// primaries enforces "at most one primary; the first when none is marked".
func (b *builder) primaries(list string, n int, primary func(int) *bool) {
	count := 0
	for i := 0; i < n; i++ {
		if *primary(i) {
			count++
			if count > 1 {
				b.fail(fmt.Sprintf("%s[%d].primary", list, i), "only one entry may be primary")
			}
		}
	}
	if count == 0 && n > 0 {
		*primary(0) = true
	}
}
