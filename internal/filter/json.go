package filter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// kind is the JSON type of a value.
type kind uint8

const (
	nullKind kind = iota
	boolKind
	numberKind
	stringKind
	arrayKind
	objectKind
)

// value is a decoded JSON value that, unlike map[string]any, keeps the
// order of object members (so that the first error in document order is
// reported) and duplicate keys (so that they can be rejected), and keeps
// numbers as their literal text.
type value struct {
	kind kind
	b    bool     // boolKind
	s    string   // stringKind: the string; numberKind: the literal
	arr  []*value // arrayKind
	obj  []member // objectKind, in document order
}

// member is one key of a JSON object.
type member struct {
	key string
	val *value
}

// isBlank reports whether data holds nothing but JSON whitespace.
func isBlank(data []byte) bool {
	return len(bytes.Trim(data, " \t\r\n")) == 0
}

// decode parses data, which must be exactly one JSON value.
func decode(data []byte) (*value, error) {
	// Validate first: json.Unmarshal is strict about syntax and trailing
	// data and reports the offset of the problem.
	var raw json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, errorf("", "invalid JSON at byte %d: %s", se.Offset, se.Error())
		}
		return nil, errorf("", "invalid JSON: %s", err.Error())
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	v, err := readValue(dec)
	if err != nil {
		// Not expected after validation.
		return nil, errorf("", "invalid JSON: %s", err.Error())
	}
	return v, nil
}

// readValue reads one value from dec.
func readValue(dec *json.Decoder) (*value, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case nil:
		return &value{kind: nullKind}, nil
	case bool:
		return &value{kind: boolKind, b: t}, nil
	case json.Number:
		return &value{kind: numberKind, s: string(t)}, nil
	case string:
		return &value{kind: stringKind, s: t}, nil
	case json.Delim:
		switch t {
		case '[':
			v := &value{kind: arrayKind, arr: []*value{}}
			for dec.More() {
				e, err := readValue(dec)
				if err != nil {
					return nil, err
				}
				v.arr = append(v.arr, e)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return nil, err
			}
			return v, nil
		case '{':
			v := &value{kind: objectKind, obj: []member{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key is %T", kt)
				}
				e, err := readValue(dec)
				if err != nil {
					return nil, err
				}
				v.obj = append(v.obj, member{key, e})
			}
			if _, err := dec.Token(); err != nil { // '}'
				return nil, err
			}
			return v, nil
		}
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}
