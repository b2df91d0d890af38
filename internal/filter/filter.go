// Package filter parses and validates contactd's JSON filter language into
// an abstract syntax tree. Every resource that lists (contacts, accounts,
// and later imports, exports and webhook subscriptions) speaks the same
// language over a field table of its own, a [Schema].
//
// A filter is a JSON object whose keys are field names or the logical
// operators $and, $or and $not:
//
//	{"tags":{"$in":["vip","enterprise"]},"properties.tier":{"$gte":2},
//	 "$or":[{"status":"active"},{"doNotCall":false}]}
//
// Several keys in one object are ANDed. A field's value is either a bare
// value, meaning $eq, or an object of operators, which are ANDed too.
// [Schema.Parse] checks every field name, operator and value against the
// schema, normalizes values (emails lower-cased, phone numbers converted to
// E.164, timestamps parsed to UTC) and enforces the limits of [Options].
// Every problem is reported as an [*Error] naming the path of the offending
// part of the document.
//
// The package produces no SQL: the per-database stores compile the tree
// into parameterized queries. The semantics a compiler must give each
// operator are documented on [Op] and [Cond]. [Expander] rewrites
// membership conditions on sets that are themselves filters (dynamic
// segments) into the filters they stand for.
package filter

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Type is the value type of a filterable field.
type Type int

// The field types.
const (
	// String is a text field; values are JSON strings.
	String Type = iota
	// Bool is a boolean field; values are JSON booleans.
	Bool
	// Time is a timestamp field; values are RFC 3339 strings, parsed to
	// time.Time in UTC.
	Time
	// Enum is a text field restricted to Field.Values.
	Enum
	// StringArray is a list of strings (tags, segments); values are
	// trimmed, case is kept and the compiler compares case-insensitively.
	StringArray
	// PhoneArray is a contact's phone numbers; values are normalized to
	// E.164 with phone.NormalizeLookup.
	PhoneArray
	// EmailArray is a contact's email addresses; values are trimmed and
	// lower-cased.
	EmailArray
	// JSON is a free-form object such as a contact's properties,
	// addressed as <name>.<path>; values are JSON scalars.
	JSON
)

// typeName returns the name of t used in error messages.
func typeName(t Type) string {
	switch t {
	case String:
		return "string"
	case Bool:
		return "boolean"
	case Time:
		return "timestamp"
	case Enum:
		return "enum"
	case StringArray:
		return "string array"
	case PhoneArray:
		return "phone array"
	case EmailArray:
		return "email array"
	case JSON:
		return "JSON"
	}
	return fmt.Sprintf("type %d", int(t))
}

// Field describes one filterable field of a resource.
type Field struct {
	// Name is the field as written in a filter, e.g. "lastName" or
	// "address.city"; for a JSON field it is the name its paths start
	// with, e.g. "properties" for properties.<path>.
	Name string
	// Type is the value type of the field.
	Type Type
	// Values lists the allowed values of an Enum field.
	Values []string
	// Ops lists the operators allowed on the field; nil allows every
	// operator of its Type (see DefaultOps).
	Ops []Op
	// Normalize, when set, rewrites each string operand after it has been
	// checked (a host name lower-cased, say), as the stored values are.
	Normalize func(string) string
}

// Allows reports whether op may be applied to f.
func (f Field) Allows(op Op) bool {
	ops := f.Ops
	if ops == nil {
		ops = DefaultOps[f.Type]
	}
	return slices.Contains(ops, op)
}

// Schema is the field table of one resource: the fields its filters may
// name. A resource builds its schema once with NewSchema and parses every
// filter against it.
type Schema struct {
	fields map[string]Field
	names  string // the filterable names, for error messages
}

// NewSchema returns the schema of the given fields. A field of type JSON
// is addressed as <name>.<path>, never by its bare name. It panics on two
// fields of one name, as a schema is a literal of the program.
func NewSchema(fields ...Field) *Schema {
	s := &Schema{fields: make(map[string]Field, len(fields))}
	names := make([]string, 0, len(fields))
	for _, f := range fields {
		if _, dup := s.fields[f.Name]; dup {
			panic("filter: field " + f.Name + " twice in a schema")
		}
		s.fields[f.Name] = f
		if f.Type == JSON {
			names = append(names, f.Name+".<path>")
		} else {
			names = append(names, f.Name)
		}
	}
	s.names = strings.Join(names, ", ")
	return s
}

// Field returns the field of the given name.
func (s *Schema) Field(name string) (Field, bool) {
	f, ok := s.fields[name]
	return f, ok
}

// JSONPath resolves a key <json field>.<path> (properties.tier) to its
// field and the path's segments, checked as filters check them.
func (s *Schema) JSONPath(key string) (Field, []string, error) {
	f, segs, msg := s.lookup(key)
	if msg == "" && segs == nil {
		msg = fmt.Sprintf("%s is not a property path such as properties.tier", key)
	}
	if msg != "" {
		return Field{}, nil, errors.New(msg)
	}
	return f, segs, nil
}

// Fields returns every field of the schema, in name order.
func (s *Schema) Fields() []Field {
	out := make([]Field, 0, len(s.fields))
	for _, name := range slices.Sorted(maps.Keys(s.fields)) {
		out = append(out, s.fields[name])
	}
	return out
}

// Property path limits for <json field>.<path>.
const (
	maxPathSegments = 5
	maxSegmentLen   = 64
)

// Op is a comparison operator of a Cond.
type Op string

// The comparison operators. On StringArray, PhoneArray and EmailArray fields
// they compare the elements of the array: see each operator.
const (
	// OpEq: equal. On arrays: contains the value.
	OpEq Op = "$eq"
	// OpNe: not equal. On arrays: does not contain the value.
	OpNe Op = "$ne"
	// OpIn: equal to one of Values. On arrays: contains any of Values.
	OpIn Op = "$in"
	// OpNin: equal to none of Values. On arrays: contains none of Values.
	OpNin Op = "$nin"
	// OpExists: Value (a bool) says whether the field is present and not
	// empty. On arrays: whether the array is non-empty.
	OpExists Op = "$exists"
	// OpGt: greater than Value.
	OpGt Op = "$gt"
	// OpGte: greater than or equal to Value.
	OpGte Op = "$gte"
	// OpLt: less than Value.
	OpLt Op = "$lt"
	// OpLte: less than or equal to Value.
	OpLte Op = "$lte"
	// OpPrefix: starts with Value. On EmailArray: some element starts
	// with Value.
	OpPrefix Op = "$prefix"
	// OpContains: contains Value as a substring.
	OpContains Op = "$contains"
	// OpAll: on arrays only, contains every one of Values.
	OpAll Op = "$all"
)

// DefaultOps lists the operators a field of each type allows unless it
// names its own.
var DefaultOps = map[Type][]Op{
	String:      {OpEq, OpNe, OpIn, OpNin, OpExists, OpGt, OpGte, OpLt, OpLte, OpPrefix, OpContains},
	Enum:        {OpEq, OpNe, OpIn, OpNin, OpExists},
	Bool:        {OpEq, OpNe, OpExists},
	Time:        {OpEq, OpNe, OpGt, OpGte, OpLt, OpLte, OpExists},
	StringArray: {OpEq, OpNe, OpIn, OpNin, OpAll, OpExists},
	PhoneArray:  {OpEq, OpNe, OpIn, OpNin, OpAll, OpExists},
	EmailArray:  {OpEq, OpNe, OpIn, OpNin, OpAll, OpExists, OpPrefix},
	JSON:        {OpEq, OpNe, OpIn, OpNin, OpExists, OpGt, OpGte, OpLt, OpLte, OpPrefix, OpContains},
}

// knownOps is the set of all comparison operators.
var knownOps = map[Op]bool{
	OpEq: true, OpNe: true, OpIn: true, OpNin: true, OpExists: true, OpGt: true,
	OpGte: true, OpLt: true, OpLte: true, OpPrefix: true, OpContains: true, OpAll: true,
}

// Node is a filter expression: *And, *Or, *Not or *Cond.
type Node interface{ node() }

// And is true when all of Nodes are; Parse never returns one with fewer
// than two nodes.
type And struct{ Nodes []Node }

// Or is true when any of Nodes is; Parse never returns one with fewer than
// two nodes.
type Or struct{ Nodes []Node }

// Not is true when Node is false.
type Not struct{ Node Node }

// Cond compares one field.
//
// Value holds the operand of single-value operators: a string (String,
// Enum, StringArray, EmailArray, and PhoneArray as E.164), a bool (Bool),
// a time.Time in UTC (Time), or for JSON properties a string, float64, bool
// or nil (JSON null). Exists is the operand of $exists: for OpExists, Value
// is a bool. A null compared with $eq ($ne) on a String, Enum, Time or
// array field is represented as OpExists with Value false (true).
//
// Values holds the operands of OpIn, OpNin and OpAll (never empty), each of
// the same kind as Value; Value is nil for these operators.
type Cond struct {
	// Field is the compared field, a copy of its schema's entry.
	Field Field
	// Path holds the segments of a JSON field's <name>.<path>; nil for
	// other fields.
	Path []string
	// Op is the comparison.
	Op Op
	// Value is the operand of single-value operators, see above.
	Value any
	// Values are the operands of $in, $nin and $all.
	Values []any
}

func (*And) node()  {}
func (*Or) node()   {}
func (*Not) node()  {}
func (*Cond) node() {}

// Options control parsing. Zero (or negative) limits take their defaults.
type Options struct {
	// Region is the default region (ISO 3166 alpha-2) for phone values
	// written without a country code; "" means none.
	Region string
	// MaxDepth is the maximum nesting of $and, $or and $not; default 8.
	MaxDepth int
	// MaxClauses is the maximum number of conditions (each Cond counts
	// one); default 100.
	MaxClauses int
	// MaxIn is the maximum number of values of $in, $nin and $all;
	// default 1000.
	MaxIn int
}

// Default limits.
const (
	defaultMaxDepth   = 8
	defaultMaxClauses = 100
	defaultMaxIn      = 1000
)

// Error is a problem at a path of the filter, e.g. Path "tags.$in[3]" or
// "$or[1].status". Keys are joined with "." and array indices written as
// "[i]"; the root of the document is "".
type Error struct {
	// Path locates the problem in the filter document.
	Path string
	// Message says what is wrong, e.g. "must be a string".
	Message string
}

// Error returns "path: message", or the message alone at the root.
func (e *Error) Error() string {
	if e.Path == "" {
		return "filter: " + e.Message
	}
	return "filter: " + e.Path + ": " + e.Message
}

// timeLayout is the accepted timestamp format (RFC 3339, optional
// fractional seconds).
const timeLayout = time.RFC3339Nano
