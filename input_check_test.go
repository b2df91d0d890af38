package contactd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
)

// TestCheckJSON: what a store could not keep exactly as sent is refused,
// naming where it is; everything else passes untouched.
func TestCheckJSON(t *testing.T) {
	refused := []struct {
		name, body, loc string
	}{
		{"NUL escape", `{"firstName":"a\u0000b"}`, "firstName"},
		{"NUL escape deep", `{"phones":[{"number":"1","label":"\u0000"}]}`, "phones[0].label"},
		{"NUL in key", `{"properties":{"a\u0000":1}}`, "properties"},
		{"invalid UTF-8", "{\"firstName\":\"a\xffb\"}", "firstName"},
		{"invalid UTF-8 in key", "{\"prop\xc3\":1}", "body"},
		{"lone high surrogate", `{"firstName":"\ud800"}`, "firstName"},
		{"lone low surrogate", `{"firstName":"\udc00x"}`, "firstName"},
		{"high then not low", `{"firstName":"\ud800\u0041"}`, "firstName"},
		{"duplicate key", `{"firstName":"a","firstName":"b"}`, "firstName"},
		{"duplicate key nested", `{"properties":{"x":{"k":1,"k":2}}}`, "properties.x.k"},
		{"duplicate key escaped", `{"a":1,"\u0061":2}`, "a"},
		{"1e999", `{"properties":{"n":1e999}}`, "properties.n"},
		{"-1e400", `{"properties":{"n":[1,-1e400]}}`, "properties.n[1]"},
		{"top-level array", `[{"a":1,"a":2}]`, "body[0].a"},
		{"not JSON", `{"a":`, "body"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckJSON([]byte(tc.body))
			var e *Error
			if !errors.As(err, &e) || e.Code != EInvalid {
				t.Fatalf("CheckJSON(%s) = %v, want EInvalid", tc.body, err)
			}
			want := tc.loc
			for _, f := range e.Fields {
				if f.Location == want {
					return
				}
			}
			t.Fatalf("CheckJSON(%s) = %+v, want a problem at %q", tc.body, e.Fields, want)
		})
	}
	accepted := []string{
		`{}`, `[]`, `"x"`, `0`, `null`, `{"a":[]}`, `{"a":{},"b":[{}]}`,
		`{"firstName":"😀 \ud83d\ude00 \u00e9 \\u0000 \" \/"}`,
		`{"a":1,"A":2,"b":{"a":3}}`,
		`{"n":1.7976931348623157e308,"m":-0,"k":1e-400,"big":12345678901234567890123}`,
		" { \"a\" : [ 1 , 2 ] , \"b\" : true , \"c\" : false , \"d\" : null } ",
	}
	for _, body := range accepted {
		if err := CheckJSON([]byte(body)); err != nil {
			t.Errorf("CheckJSON(%s) = %v, want nil", body, err)
		}
	}
}

// FuzzCheckJSON: CheckJSON never panics, refuses only with located
// problems, and what it accepts decodes without U+0000, without a
// replacement character that was not written, and with every key once.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	for _, s := range []string{`{"a":"\u0000"}`, "{\"a\":\"\xff\"}", `{"a":1,"a":2}`, `{"n":1e999}`, `"\ud83d\ude00"`, `"\ud800"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := CheckJSON(data)
		if err != nil {
			requireInvalid(t, err, data)
			return
		}
		var v any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("accepted %q but it does not decode: %v", data, err)
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("accepted %q but it does not encode: %v", data, err)
		}
		if bytes.Contains(out, []byte(`\u0000`)) {
			t.Fatalf("accepted %q, which holds U+0000", data)
		}
		if bytes.Contains(out, []byte("\uFFFD")) && !bytes.Contains(data, []byte("\uFFFD")) && !bytes.Contains(bytes.ToLower(data), []byte(`\ufffd`)) {
			t.Fatalf("accepted %q, which decodes with a replacement character it did not hold", data)
		}
		if countKeys(data) != keysIn(v) {
			t.Fatalf("accepted %q, which repeats a key", data)
		}
	})
}

// countKeys counts the object members written in JSON, repeats included.
func countKeys(data []byte) int {
	type frame struct{ obj, key bool }
	dec := json.NewDecoder(bytes.NewReader(data))
	var stack []frame
	n := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return n
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{obj: true, key: true})
			continue
		case json.Delim('['):
			stack = append(stack, frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		default:
			if top := len(stack) - 1; top >= 0 && stack[top].obj && stack[top].key {
				n++
				stack[top].key = false
				continue
			}
		}
		// A value ended; in an object, a key comes next.
		if top := len(stack) - 1; top >= 0 && stack[top].obj {
			stack[top].key = true
		}
	}
}

// keysIn counts the members of the objects in a decoded value.
func keysIn(v any) int {
	n := 0
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			n += 1 + keysIn(e)
		}
	case []any:
		for _, e := range v {
			n += keysIn(e)
		}
	}
	return n
}

// TestBuildRefusesNUL: text that reaches validation without passing
// CheckJSON (a CSV or vCard import, the CLI) is held to the same rule.
func TestBuildRefusesNUL(t *testing.T) {
	for _, in := range []*ContactInput{
		{FirstName: "a\x00b"},
		{FirstName: "a", Notes: "\x00"},
		{FirstName: "a", Tags: []string{"v\x00"}},
		{FirstName: "a", Company: "\xff"},
		{FirstName: "a", Properties: []byte(`{"k":"\u0000"}`)},
	} {
		_, err := buildContact(in, nil, "US")
		requireInvalid(t, err, nil)
	}
}

// sqlStateErr is an error carrying a SQLSTATE, as drivers' errors do.
type sqlStateErr string

func (e sqlStateErr) Error() string    { return "sqlstate " + string(e) }
func (e sqlStateErr) SQLState() string { return string(e) }

// TestIsUnavailable: a database that cannot be reached is told from a
// request or a bug by the error's SQLSTATE and the network errors under it.
func TestIsUnavailable(t *testing.T) {
	for _, err := range []error{
		sqlStateErr("08006"), sqlStateErr("57P01"), sqlStateErr("57P03"), sqlStateErr("53300"),
		fmt.Errorf("query: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}),
		fmt.Errorf("read: %w", io.ErrUnexpectedEOF), syscall.ECONNRESET,
	} {
		if !IsUnavailable(err) {
			t.Errorf("IsUnavailable(%v) = false", err)
		}
	}
	for _, err := range []error{nil, errors.New("boom"), sqlStateErr("23505"), sqlStateErr("22021"),
		&Error{Code: ENotFound, Message: "x"}, io.EOF} {
		if IsUnavailable(err) {
			t.Errorf("IsUnavailable(%v) = true", err)
		}
	}
}
