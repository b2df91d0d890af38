package filter

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/contactd/contactd/internal/phone"
)

// Parse parses a filter document against the schema. An empty
// (all-whitespace) or "{}"
// document returns (nil, nil). Otherwise it returns the filter as a Node —
// a single top-level condition as *Cond, several as *And — or an *Error
// naming the most precise path of the first problem in document order.
//
// Nested $and lists are flattened into the enclosing conjunction, $or
// lists into an enclosing $or, and a one-element $and or $or is replaced by
// its element, so no And or Or has fewer than two nodes. An empty object
// inside $and, $or or $not and duplicate keys in an object are errors.
func (s *Schema) Parse(data []byte, opt Options) (Node, error) {
	if isBlank(data) {
		return nil, nil
	}
	root, err := decode(data)
	if err != nil {
		return nil, err
	}
	if root.kind != objectKind {
		return nil, errorf("", "filter must be a JSON object")
	}
	if opt.MaxDepth <= 0 {
		opt.MaxDepth = defaultMaxDepth
	}
	if opt.MaxClauses <= 0 {
		opt.MaxClauses = defaultMaxClauses
	}
	if opt.MaxIn <= 0 {
		opt.MaxIn = defaultMaxIn
	}
	p := parser{schema: s, opt: opt}
	nodes, err := p.object(root, "", 0)
	if err != nil {
		return nil, err
	}
	return conj(nodes), nil
}

// parser holds the state of one Parse call.
type parser struct {
	schema  *Schema
	opt     Options
	clauses int               // Conds produced so far
	phones  map[string]string // normalized phone values, by input
}

// errorf returns an *Error at path as an error.
func errorf(path, format string, args ...any) error {
	return &Error{Path: path, Message: fmt.Sprintf(format, args...)}
}

// join appends an object key to a path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// index appends an array index to a path.
func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// object parses a filter object at depth levels of $and/$or/$not and
// returns its conditions, which are to be ANDed. No returned node is an
// *And.
func (p *parser) object(v *value, path string, depth int) ([]Node, error) {
	var out []Node
	seen := make(map[string]bool, len(v.obj))
	for _, m := range v.obj {
		kp := join(path, m.key)
		if seen[m.key] {
			return nil, errorf(kp, "duplicate key %q", m.key)
		}
		seen[m.key] = true
		switch m.key {
		case "$and", "$or":
			if depth+1 > p.opt.MaxDepth {
				return nil, p.tooDeep(kp)
			}
			if m.val.kind != arrayKind {
				return nil, errorf(kp, "must be an array of objects")
			}
			if len(m.val.arr) == 0 {
				return nil, errorf(kp, "must not be empty")
			}
			var alts []Node
			for i, e := range m.val.arr {
				ns, err := p.clause(e, index(kp, i), depth+1)
				if err != nil {
					return nil, err
				}
				if m.key == "$and" {
					out = append(out, ns...)
				} else {
					alts = appendOr(alts, conj(ns))
				}
			}
			if m.key == "$or" {
				out = appendAnd(out, disj(p.mergeIns(alts)))
			}
		case "$not":
			if depth+1 > p.opt.MaxDepth {
				return nil, p.tooDeep(kp)
			}
			ns, err := p.clause(m.val, kp, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, &Not{Node: conj(ns)})
		default:
			if strings.HasPrefix(m.key, "$") {
				if knownOps[Op(m.key)] {
					return nil, errorf(kp, "operator %s must be applied to a field", m.key)
				}
				return nil, errorf(kp, "unknown operator %q", m.key)
			}
			f, segs, msg := p.schema.lookup(m.key)
			if msg != "" {
				return nil, errorf(kp, "%s", msg)
			}
			ns, err := p.field(f, segs, m.val, kp)
			if err != nil {
				return nil, err
			}
			out = append(out, ns...)
		}
	}
	return out, nil
}

// tooDeep is the error for exceeding MaxDepth at path.
func (p *parser) tooDeep(path string) error {
	return errorf(path, "filter nested deeper than %d levels of $and/$or/$not", p.opt.MaxDepth)
}

// clause parses an element of $and/$or or the operand of $not: a
// non-empty filter object.
func (p *parser) clause(v *value, path string, depth int) ([]Node, error) {
	if v.kind != objectKind {
		return nil, errorf(path, "must be an object")
	}
	if len(v.obj) == 0 {
		return nil, errorf(path, "must not be empty")
	}
	return p.object(v, path, depth)
}

// conj returns the conjunction of nodes, none of which is an *And: nil for
// none, the node itself for one.
func conj(nodes []Node) Node {
	switch len(nodes) {
	case 0:
		return nil
	case 1:
		return nodes[0]
	}
	return &And{Nodes: nodes}
}

// disj returns the disjunction of alts, none of which is an *Or.
func disj(alts []Node) Node {
	if len(alts) == 1 {
		return alts[0]
	}
	return &Or{Nodes: alts}
}

// mergeIns rewrites the equalities and $in of one field among the
// alternatives of an $or as one $in, up to MaxIn values: the same
// contacts, but a query an index answers, where a long OR of equalities
// can lead a planner to test every row against every alternative.
// A field compared once keeps its condition as written.
func (p *parser) mergeIns(alts []Node) []Node {
	var out []Node
	open := map[string]int{} // field → index in out of its $in being filled
	merged := map[int]bool{}
	for _, n := range alts {
		c, ok := n.(*Cond)
		if !ok || c.Path != nil || (c.Op != OpEq && c.Op != OpIn) || !c.Field.Allows(OpIn) {
			out = append(out, n)
			continue
		}
		vals := c.Values
		if c.Op == OpEq {
			vals = []any{c.Value}
		}
		if i, ok := open[c.Field.Name]; ok && len(out[i].(*Cond).Values)+len(vals) <= p.opt.MaxIn {
			m := out[i].(*Cond)
			if !merged[i] {
				m = &Cond{Field: m.Field, Op: OpIn, Values: slices.Clone(m.Values)}
				if m.Values == nil {
					m.Values = []any{out[i].(*Cond).Value}
				}
				out[i], merged[i] = m, true
			}
			for _, v := range vals {
				if !slices.Contains(m.Values, v) {
					m.Values = append(m.Values, v)
				}
			}
			continue
		}
		open[c.Field.Name] = len(out)
		out = append(out, c)
	}
	return out
}

// appendAnd appends n to a list of ANDed nodes, flattening an *And.
func appendAnd(list []Node, n Node) []Node {
	if a, ok := n.(*And); ok {
		return append(list, a.Nodes...)
	}
	return append(list, n)
}

// appendOr appends n to a list of ORed nodes, flattening an *Or.
func appendOr(list []Node, n Node) []Node {
	if o, ok := n.(*Or); ok {
		return append(list, o.Nodes...)
	}
	return append(list, n)
}

// lookup resolves a filter key to its field and, for <json field>.<path>,
// the path segments. msg is non-empty when the key is not valid.
func (s *Schema) lookup(key string) (f Field, segs []string, msg string) {
	if f, ok := s.fields[key]; ok {
		if f.Type == JSON {
			return Field{}, nil, fmt.Sprintf("a property must be addressed as %s.<path>", key)
		}
		return f, nil, ""
	}
	if name, rest, ok := strings.Cut(key, "."); ok {
		if f, ok := s.fields[name]; ok && f.Type == JSON {
			segs = strings.SplitN(rest, ".", maxPathSegments+1)
			if len(segs) > maxPathSegments {
				return Field{}, nil, fmt.Sprintf("property path has more than %d segments", maxPathSegments)
			}
			for _, seg := range segs {
				if !validSegment(seg) {
					return Field{}, nil, fmt.Sprintf("invalid property path segment %q: want 1 to %d of A-Z a-z 0-9 _ -", seg, maxSegmentLen)
				}
			}
			return f, segs, ""
		}
	}
	return Field{}, nil, fmt.Sprintf("unknown field %q (filterable: %s)", key, s.names)
}

// validSegment reports whether s matches [A-Za-z0-9_-]{1,64}.
func validSegment(s string) bool {
	if len(s) == 0 || len(s) > maxSegmentLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// hasOperatorKey reports whether the object v has a key starting with "$".
func hasOperatorKey(v *value) bool {
	for _, m := range v.obj {
		if strings.HasPrefix(m.key, "$") {
			return true
		}
	}
	return false
}

// field parses the value of field f (with property path segs) at path: a
// bare value meaning $eq, or an object of operators.
func (p *parser) field(f Field, segs []string, v *value, path string) ([]Node, error) {
	if v.kind != objectKind {
		c, err := p.cond(f, segs, OpEq, v, path)
		if err != nil {
			return nil, err
		}
		return []Node{c}, nil
	}
	if f.Type == JSON && !hasOperatorKey(v) {
		return nil, errorf(path, "compare properties with scalar values")
	}
	if len(v.obj) == 0 {
		return nil, errorf(path, "must have at least one operator")
	}
	out := make([]Node, 0, len(v.obj))
	seen := make(map[string]bool, len(v.obj))
	for _, m := range v.obj {
		op, opPath := Op(m.key), join(path, m.key)
		if seen[m.key] {
			return nil, errorf(opPath, "duplicate key %q", m.key)
		}
		seen[m.key] = true
		if !knownOps[op] {
			return nil, errorf(opPath, "unknown operator %q", m.key)
		}
		if !f.Allows(op) {
			return nil, errorf(opPath, "operator %s is not allowed on %s field %s", op, typeName(f.Type), f.Name)
		}
		c, err := p.cond(f, segs, op, m.val, opPath)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// nullable reports whether $eq/$ne null on a field of type t means
// $exists false/true.
func nullable(t Type) bool {
	switch t {
	case String, Enum, Time, StringArray, PhoneArray, EmailArray:
		return true
	}
	return false
}

// cond builds one condition: operator op (allowed on f) with operand v.
func (p *parser) cond(f Field, segs []string, op Op, v *value, path string) (*Cond, error) {
	p.clauses++
	if p.clauses > p.opt.MaxClauses {
		return nil, errorf(path, "filter has more than %d conditions", p.opt.MaxClauses)
	}
	c := &Cond{Field: f, Path: segs, Op: op}
	switch op {
	case OpExists:
		if v.kind != boolKind {
			return nil, errorf(path, "must be a boolean")
		}
		c.Value = v.b
	case OpIn, OpNin, OpAll:
		if v.kind != arrayKind {
			return nil, errorf(path, "must be an array")
		}
		if len(v.arr) == 0 {
			return nil, errorf(path, "must not be empty")
		}
		if len(v.arr) > p.opt.MaxIn {
			return nil, errorf(path, "has %d values, more than the maximum of %d", len(v.arr), p.opt.MaxIn)
		}
		c.Values = make([]any, len(v.arr))
		for i, e := range v.arr {
			x, err := p.value(f, op, e, index(path, i))
			if err != nil {
				return nil, err
			}
			c.Values[i] = x
		}
	default:
		if v.kind == nullKind && nullable(f.Type) && (op == OpEq || op == OpNe) {
			c.Op, c.Value = OpExists, op == OpNe
			return c, nil
		}
		x, err := p.value(f, op, v, path)
		if err != nil {
			return nil, err
		}
		c.Value = x
	}
	return c, nil
}

// str returns v as a string.
func str(v *value, path string) (string, error) {
	if v.kind != stringKind {
		return "", errorf(path, "must be a string")
	}
	if strings.IndexByte(v.s, 0) >= 0 {
		return "", errorf(path, "must not contain NUL characters")
	}
	return v.s, nil
}

// value checks and normalizes one operand of op on field f.
func (p *parser) value(f Field, op Op, v *value, path string) (any, error) {
	switch f.Type {
	case String:
		s, err := str(v, path)
		if err == nil && f.Normalize != nil {
			s = f.Normalize(s)
		}
		return s, err
	case Enum:
		s, err := str(v, path)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(f.Values, s) {
			return nil, errorf(path, "must be one of %s", strings.Join(f.Values, ", "))
		}
		return s, nil
	case Bool:
		if v.kind != boolKind {
			return nil, errorf(path, "must be a boolean")
		}
		return v.b, nil
	case Time:
		if v.kind != stringKind {
			return nil, errorf(path, "must be an RFC 3339 timestamp string")
		}
		t, err := time.Parse(timeLayout, v.s)
		if err != nil {
			return nil, errorf(path, "must be an RFC 3339 timestamp, like 2024-01-31T12:00:00Z")
		}
		return t.UTC(), nil
	case StringArray, EmailArray:
		s, err := str(v, path)
		if err != nil {
			return nil, err
		}
		s = strings.TrimSpace(s)
		if f.Type == EmailArray {
			s = strings.ToLower(s)
		}
		if f.Normalize != nil {
			s = f.Normalize(s)
		}
		if s == "" {
			return nil, errorf(path, "must not be empty")
		}
		return s, nil
	case PhoneArray:
		s, err := str(v, path)
		if err != nil {
			return nil, err
		}
		// Normalizing is comparatively slow; repeated values are common.
		if e164, ok := p.phones[s]; ok {
			return e164, nil
		}
		n, err := phone.NormalizeLookup(s, p.opt.Region)
		if err != nil {
			if errors.Is(err, phone.ErrInvalidRegion) {
				return nil, errorf(path, "cannot be read: default region %q is not supported", p.opt.Region)
			}
			return nil, errorf(path, "is not a phone number")
		}
		if p.phones == nil {
			p.phones = make(map[string]string)
		}
		p.phones[s] = n.E164
		return n.E164, nil
	case JSON:
		return jsonScalar(op, v, path)
	}
	return nil, errorf(path, "field %s has unsupported type %s", f.Name, typeName(f.Type))
}

// jsonScalar checks an operand of op on a JSON property.
func jsonScalar(op Op, v *value, path string) (any, error) {
	switch op {
	case OpPrefix, OpContains:
		return str(v, path)
	case OpGt, OpGte, OpLt, OpLte:
		switch v.kind {
		case stringKind:
			return str(v, path)
		case numberKind:
			return number(v, path)
		}
		return nil, errorf(path, "must be a number or a string")
	}
	switch v.kind {
	case nullKind:
		return nil, nil
	case boolKind:
		return v.b, nil
	case stringKind:
		return str(v, path)
	case numberKind:
		return number(v, path)
	}
	return nil, errorf(path, "compare properties with scalar values")
}

// number returns the JSON number v as a finite float64.
func number(v *value, path string) (any, error) {
	x, err := strconv.ParseFloat(v.s, 64)
	if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
		return nil, errorf(path, "must be a finite number")
	}
	return x, nil
}
