package contactd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Request decoding. Every resource decodes what a client sends with the
// one decoder below, in its <noun>_input.go: strictly (an unknown member
// is an error), collecting one FieldError per problem with its location
// ("emails[1].address"; transports qualify it, "body.emails[1].address").
// Transports hand the Service decoded inputs, never raw JSON.

// decoder decodes untrusted JSON field by field, collecting one FieldError
// per problem with the field's location.
type decoder struct{ errs []FieldError }

func (d *decoder) fail(loc, format string, args ...any) {
	d.errs = append(d.errs, FieldError{Location: loc, Message: fmt.Sprintf(format, args...)})
}

func join(loc, key string) string {
	if loc == "" {
		return key
	}
	return loc + "." + key
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

// object decodes a JSON object, returning its members in key order.
func (d *decoder) object(raw json.RawMessage, loc string) (map[string]json.RawMessage, []string, bool) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		d.fail(locOrBody(loc), "must be a JSON object")
		return nil, nil, false
	}
	return m, slices.Sorted(maps.Keys(m)), true
}

func locOrBody(loc string) string {
	if loc == "" {
		return "body"
	}
	return loc
}

func (d *decoder) str(raw json.RawMessage, loc string, dst *string) {
	if isNull(raw) {
		*dst = ""
		return
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		d.fail(loc, "must be a string")
	}
}

func (d *decoder) boolean(raw json.RawMessage, loc string, dst *bool) {
	if isNull(raw) {
		*dst = false
		return
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		d.fail(loc, "must be a boolean")
	}
}

func (d *decoder) array(raw json.RawMessage, loc string) []json.RawMessage {
	if isNull(raw) {
		return nil
	}
	var a []json.RawMessage
	if err := json.Unmarshal(raw, &a); err != nil {
		d.fail(loc, "must be an array")
		return nil
	}
	return a
}

func (d *decoder) jsonObject(raw json.RawMessage, loc string, dst *json.RawMessage) {
	if isNull(raw) {
		*dst = nil
		return
	}
	var m map[string]any
	if err := unmarshalNumbers(raw, &m); err != nil || m == nil {
		d.fail(loc, "must be a JSON object")
		return
	}
	// The canonical form (sorted keys, numbers as written, Go's escaping)
	// is what is measured, stored and compared, so that the same object
	// sent again, or read back from a store that reorders keys, is equal.
	b, err := json.Marshal(m)
	if err != nil {
		d.fail(loc, "must be a JSON object")
		return
	}
	*dst = b
}

// unmarshalNumbers is json.Unmarshal keeping numbers as json.Number, so
// that custom data survives a decode and encode exactly (no float64
// rounding of large integers or of "1.50").
func unmarshalNumbers(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// unknownField reports the member key of the object at loc as unknown.
func (d *decoder) unknownField(loc, key string) {
	if key == "" {
		// An empty key would make an empty location: name the object.
		d.fail(locOrBody(loc), `unknown field ""`)
		return
	}
	d.fail(join(loc, key), "unknown field")
}

// fields says where the members of a JSON object go, by name.
type fields struct {
	strs  map[string]*string
	bools map[string]*bool
	// lists decodes a member whose value is an array, element by element
	// (e is the element, at is its location).
	lists map[string]func(e json.RawMessage, at string)
	// other decodes any other member, reporting whether it is known.
	other func(key string, raw json.RawMessage) bool
	// present, when set, records the members the object has.
	present map[string]bool
}

// record decodes the JSON object raw at loc into fs; a member fs does not
// know is an unknown field. It reports whether raw was an object.
func (d *decoder) record(raw json.RawMessage, loc string, fs fields) bool {
	m, keys, ok := d.object(raw, loc)
	if !ok {
		return false
	}
	for _, k := range keys {
		if fs.present != nil {
			fs.present[k] = true
		}
		at := join(loc, k)
		if p, ok := fs.strs[k]; ok {
			d.str(m[k], at, p)
		} else if p, ok := fs.bools[k]; ok {
			d.boolean(m[k], at, p)
		} else if each, ok := fs.lists[k]; ok {
			for i, e := range d.array(m[k], at) {
				each(e, fmt.Sprintf("%s[%d]", at, i))
			}
		} else if fs.other == nil || !fs.other(k, m[k]) {
			d.unknownField(loc, k)
		}
	}
	return true
}

// readOnlyIn returns an other function for fields that keeps the
// read-only members named in names in *ro.
func (d *decoder) readOnlyIn(ro *map[string]json.RawMessage, names map[string]bool) func(string, json.RawMessage) bool {
	return func(k string, raw json.RawMessage) bool {
		if names[k] {
			d.readOnly(ro, k, raw)
		}
		return names[k]
	}
}

// optStr decodes a string member that may be absent (nil); null is the
// empty string when nullable (clearing the field) and an error otherwise.
func (d *decoder) optStr(raw json.RawMessage, loc string, nullable bool) *string {
	if isNull(raw) {
		if !nullable {
			d.fail(loc, "cannot be null")
			return nil
		}
		empty := ""
		return &empty
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		d.fail(loc, "must be a string")
		return nil
	}
	return &s
}

// strs decodes an array of strings (null is none).
func (d *decoder) strs(raw json.RawMessage, loc string) []string {
	var out []string
	for i, e := range d.array(raw, loc) {
		var s string
		if err := json.Unmarshal(e, &s); err != nil {
			d.fail(fmt.Sprintf("%s[%d]", loc, i), "must be a string")
			continue
		}
		out = append(out, s)
	}
	return out
}

// integer decodes a whole number.
func (d *decoder) integer(raw json.RawMessage, loc string, dst *int) {
	if isNull(raw) {
		*dst = 0
		return
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		d.fail(loc, "must be an integer")
	}
}

// readOnly keeps a read-only member sent, for the Service to compare
// with the current value.
func (d *decoder) readOnly(ro *map[string]json.RawMessage, key string, raw json.RawMessage) {
	if *ro == nil {
		*ro = map[string]json.RawMessage{}
	}
	(*ro)[key] = raw
}

// err returns the problems found, as one EInvalid error, or nil.
func (d *decoder) err() error {
	if len(d.errs) > 0 {
		return invalid(d.errs)
	}
	return nil
}

// body decodes a request body that must be one JSON object, calling
// member for each of its members in key order.
func decodeBody(data []byte, member func(d *decoder, key string, raw json.RawMessage)) error {
	if !json.Valid(data) {
		return invalidField("body", "is not valid JSON")
	}
	var d decoder
	m, keys, ok := d.object(data, "")
	if !ok {
		return d.err()
	}
	for _, k := range keys {
		member(&d, k, m[k])
	}
	return d.err()
}

// mergePatch applies an RFC 7386 JSON merge patch to a JSON object.
func mergePatch(target map[string]any, patch map[string]any) map[string]any {
	if target == nil {
		target = map[string]any{}
	}
	for k, v := range patch {
		if v == nil {
			delete(target, k)
			continue
		}
		if pm, ok := v.(map[string]any); ok {
			tm, _ := target[k].(map[string]any)
			target[k] = mergePatch(tm, pm)
			continue
		}
		target[k] = v
	}
	return target
}

// decodePatch decodes a JSON merge patch: a JSON object.
func decodePatch(patch []byte) (map[string]any, error) {
	if !json.Valid(patch) {
		return nil, invalidField("body", "is not valid JSON")
	}
	var pm map[string]any
	if err := unmarshalNumbers(patch, &pm); err != nil || pm == nil {
		return nil, invalidField("body", "must be a JSON object (a JSON merge patch)")
	}
	return pm, nil
}

// docOf returns the JSON document of v (its API form), numbers kept as
// written: what a merge patch applies to.
func docOf(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := unmarshalNumbers(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// CheckJSON checks that data is one JSON value that contactd can keep
// exactly as sent, on either store, reporting each problem with its
// location: it must be valid JSON and valid UTF-8 (Go's decoder would
// silently turn bad bytes and lone surrogate escapes into U+FFFD), no
// string or key may hold U+0000 (PostgreSQL cannot store it), no object
// may repeat a key (the last would silently win), and every number must
// fit in a 64-bit float (1e999 cannot be compared, sorted or filtered
// on). Every request body and every imported NDJSON line passes here
// before it is decoded.
func CheckJSON(data []byte) error {
	if !json.Valid(data) {
		if !utf8.Valid(data) {
			return invalidField("body", "is not valid UTF-8")
		}
		return invalidField("body", "is not valid JSON")
	}
	c := jsonChecker{data: data}
	c.value("")
	if len(c.errs) > 0 {
		return invalid(c.errs)
	}
	return nil
}

// jsonChecker walks JSON that json.Valid accepted.
type jsonChecker struct {
	data []byte
	i    int
	errs []FieldError
}

func (c *jsonChecker) fail(loc, msg string) {
	if len(c.errs) < 20 {
		c.errs = append(c.errs, FieldError{Location: locOrBody(loc), Message: msg})
	}
}

func (c *jsonChecker) space() {
	for c.i < len(c.data) {
		switch c.data[c.i] {
		case ' ', '\t', '\r', '\n':
			c.i++
		default:
			return
		}
	}
}

func (c *jsonChecker) value(loc string) {
	c.space()
	switch c.data[c.i] {
	case '{':
		c.i++
		seen := map[string]bool{}
		for {
			c.space()
			if c.data[c.i] == '}' {
				c.i++
				return
			}
			if c.data[c.i] == ',' {
				c.i++
				c.space()
			}
			key, problem := c.str()
			if problem != "" {
				c.fail(loc, "has a key that "+problem)
			} else if seen[key] {
				c.fail(join(loc, key), "is given more than once (each key may appear once)")
			}
			seen[key] = true
			c.space()
			c.i++ // ':'
			c.value(join(loc, key))
			c.space()
		}
	case '[':
		c.i++
		for n := 0; ; n++ {
			c.space()
			if c.data[c.i] == ']' {
				c.i++
				return
			}
			if c.data[c.i] == ',' {
				c.i++
			}
			c.value(fmt.Sprintf("%s[%d]", locOrBody(loc), n))
			c.space()
		}
	case '"':
		if _, problem := c.str(); problem != "" {
			c.fail(loc, problem)
		}
	case 't', 'n':
		c.i += 4
	case 'f':
		c.i += 5
	default:
		start := c.i
		for c.i < len(c.data) && strings.IndexByte("+-.0123456789eE", c.data[c.i]) >= 0 {
			c.i++
		}
		if _, err := strconv.ParseFloat(string(c.data[start:c.i]), 64); err != nil {
			c.fail(loc, "is a number out of range (numbers must fit in a 64-bit float)")
		}
	}
}

// str reads the string at c.i, returning its value and what is wrong
// with it, if anything.
func (c *jsonChecker) str() (string, string) {
	start := c.i
	c.i++
	escaped := false
	problem := ""
	for ; ; c.i++ {
		b := c.data[c.i]
		if b == '"' {
			break
		}
		if b != '\\' {
			continue
		}
		escaped = true
		c.i++
		if c.data[c.i] != 'u' {
			continue
		}
		r := hexRune(c.data[c.i+1 : c.i+5])
		c.i += 4
		switch {
		case r == 0:
			problem = "must not contain the NUL character (U+0000)"
		case utf16.IsSurrogate(r):
			// A high surrogate must be followed by a low one.
			next := c.data[c.i+1:]
			if r >= 0xDC00 || len(next) < 6 || next[0] != '\\' || next[1] != 'u' {
				problem = "must be valid UTF-8 (it has an unpaired surrogate escape)"
				continue
			}
			if lo := hexRune(next[2:6]); lo < 0xDC00 || lo > 0xDFFF {
				problem = "must be valid UTF-8 (it has an unpaired surrogate escape)"
				continue
			}
			c.i += 6
		}
	}
	raw := c.data[start : c.i+1]
	c.i++
	if !utf8.Valid(raw) {
		return "", "must be valid UTF-8"
	}
	if problem != "" {
		return "", problem
	}
	if !escaped {
		return string(raw[1 : len(raw)-1]), ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", "is not a valid JSON string"
	}
	return s, ""
}

func hexRune(h []byte) rune {
	var r rune
	for _, b := range h {
		r <<= 4
		switch {
		case b >= '0' && b <= '9':
			r |= rune(b - '0')
		case b >= 'a' && b <= 'f':
			r |= rune(b-'a') + 10
		default:
			r |= rune(b-'A') + 10
		}
	}
	return r
}
