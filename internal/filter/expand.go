package filter

import (
	"maps"
	"slices"
)

// Ref is what an Expander's Resolver knows of one set a membership
// condition names.
type Ref struct {
	// Dynamic is set for a set whose members are the objects its Filter
	// matches; a static set has explicit members only.
	Dynamic bool
	// Filter is a dynamic set's filter, parsed. Nil for a dynamic set whose
	// filter no longer parses: it then has its explicit members only
	// (none), rather than failing every filter that names it.
	Filter Node
}

// Resolver looks up the sets that membership conditions name.
type Resolver interface {
	// Refs returns the sets among ids that exist, by id.
	Refs(ids []string) (map[string]Ref, error)
	// Dynamic returns every dynamic set, by id, for $exists.
	Dynamic() (map[string]Ref, error)
}

// Default limits of an Expander.
const (
	defaultExpandDepth = 4
	defaultExpandConds = 1000
)

// Expander rewrites the membership conditions of a filter on Field (a
// StringArray of set ids, such as contacts' "segments") so that a dynamic
// set's id stands for its filter: "in set S" becomes "explicitly in S, or
// matched by S's filter", where that filter is expanded in turn, down to
// MaxDepth levels. Conditions on static sets stay as written.
//
// Strict reports what a saved filter must not contain, as an *Error at the
// root: an unknown set, a set whose filter leads back to the one being
// saved, nesting deeper than MaxDepth, or growth past MaxConds
// conditions. When not strict (a filter being read), a cycle or excess
// depth is cut off instead: beyond it a dynamic set has only its explicit
// members. Growth past MaxConds is an *Error either way. Errors of the
// Resolver are returned as they are.
//
// An Expander caches what it resolves; use one per request.
type Expander struct {
	// Field is the membership field.
	Field Field
	// Noun names a set in error messages ("segment").
	Noun string
	// Resolver looks the sets up.
	Resolver Resolver
	// Strict reports cycles, unknown sets and excess depth (see above).
	Strict bool
	// MaxDepth bounds how deep dynamic sets may name dynamic sets;
	// default 4.
	MaxDepth int
	// MaxConds bounds the conditions the expanded filter may grow to;
	// default 1000.
	MaxConds int

	refs      map[string]*Ref // nil for ids that name no set
	dynamic   []string
	loadedAll bool
	conds     int
}

// Uses reports whether n has a condition on the field named name.
func Uses(n Node, name string) bool {
	switch n := n.(type) {
	case *And:
		return slices.ContainsFunc(n.Nodes, func(c Node) bool { return Uses(c, name) })
	case *Or:
		return slices.ContainsFunc(n.Nodes, func(c Node) bool { return Uses(c, name) })
	case *Not:
		return Uses(n.Node, name)
	case *Cond:
		return n.Field.Name == name
	}
	return false
}

// Expand returns n with its membership conditions expanded. self is the
// id of the set whose filter n is, when one is being saved ("" otherwise):
// naming it is a cycle.
func (x *Expander) Expand(n Node, self string) (Node, error) {
	x.conds = 0
	var visiting []string
	if self != "" {
		visiting = []string{self}
	}
	return x.expand(n, 0, visiting)
}

// Member returns the condition that an object is in the set id: its
// explicit membership or, for a dynamic set, its filter, expanded.
func (x *Expander) Member(id string) (Node, error) {
	x.conds = 0
	if err := x.load([]string{id}); err != nil {
		return nil, err
	}
	if !x.isDynamic(id) {
		return x.explicit(id), nil
	}
	return x.member(id, 0, nil)
}

func (x *Expander) noun() string {
	if x.Noun != "" {
		return x.Noun
	}
	return "set"
}

func (x *Expander) maxDepth() int {
	if x.MaxDepth > 0 {
		return x.MaxDepth
	}
	return defaultExpandDepth
}

func (x *Expander) count(n int) error {
	limit := x.MaxConds
	if limit <= 0 {
		limit = defaultExpandConds
	}
	x.conds += n
	if x.conds > limit {
		return errorf("", "the %ss it names expand to more than %d conditions", x.noun(), limit)
	}
	return nil
}

// load resolves the ids not yet known.
func (x *Expander) load(ids []string) error {
	var want []string
	for _, id := range ids {
		if _, ok := x.refs[id]; !ok && !slices.Contains(want, id) {
			want = append(want, id)
		}
	}
	if len(want) == 0 {
		return nil
	}
	got, err := x.Resolver.Refs(want)
	if err != nil {
		return err
	}
	if x.refs == nil {
		x.refs = map[string]*Ref{}
	}
	for _, id := range want {
		if r, ok := got[id]; ok {
			x.refs[id] = &r
		} else {
			x.refs[id] = nil
		}
	}
	return nil
}

func (x *Expander) isDynamic(id string) bool {
	r := x.refs[id]
	return r != nil && r.Dynamic
}

// explicit is the condition that an object is explicitly in set id.
func (x *Expander) explicit(id string) *Cond {
	return &Cond{Field: x.Field, Op: OpEq, Value: id}
}

func (x *Expander) expand(n Node, depth int, visiting []string) (Node, error) {
	switch n := n.(type) {
	case *And:
		nodes, err := x.expandAll(n.Nodes, depth, visiting)
		return &And{Nodes: nodes}, err
	case *Or:
		nodes, err := x.expandAll(n.Nodes, depth, visiting)
		return &Or{Nodes: nodes}, err
	case *Not:
		inner, err := x.expand(n.Node, depth, visiting)
		return &Not{Node: inner}, err
	case *Cond:
		if err := x.count(1); err != nil {
			return nil, err
		}
		if n.Field.Name != x.Field.Name {
			return n, nil
		}
		return x.cond(n, depth, visiting)
	}
	return n, nil
}

func (x *Expander) expandAll(nodes []Node, depth int, visiting []string) ([]Node, error) {
	out := make([]Node, len(nodes))
	for i, n := range nodes {
		var err error
		if out[i], err = x.expand(n, depth, visiting); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ids returns the set ids a membership condition names.
func ids(c *Cond) []string {
	vs := c.Values
	if vs == nil {
		vs = []any{c.Value}
	}
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// cond rewrites one membership condition.
func (x *Expander) cond(c *Cond, depth int, visiting []string) (Node, error) {
	switch c.Op {
	case OpEq, OpIn:
		return x.some(c, ids(c), false, depth, visiting)
	case OpAll:
		return x.some(c, ids(c), true, depth, visiting)
	case OpNe, OpNin:
		n, err := x.some(c, ids(c), false, depth, visiting)
		if err != nil || n == Node(c) {
			return c, err
		}
		return &Not{Node: n}, nil
	case OpExists:
		if err := x.loadDynamic(); err != nil {
			return nil, err
		}
		if len(x.dynamic) == 0 {
			return c, nil
		}
		nodes := []Node{&Cond{Field: c.Field, Op: OpExists, Value: true}}
		for _, id := range x.dynamic {
			if slices.Contains(visiting, id) {
				continue // "in any set" in a set's own filter means any other
			}
			m, err := x.member(id, depth, visiting)
			if err != nil {
				return nil, err
			}
			nodes = append(nodes, m)
		}
		var n Node = &Or{Nodes: nodes}
		if c.Value == false {
			n = &Not{Node: n}
		}
		return n, nil
	}
	return c, nil
}

// some is the condition that an object is in any of ids (all of them with
// every): the static ones by one membership condition, each dynamic one
// by its filter. It returns c itself when no id names a dynamic set.
func (x *Expander) some(c *Cond, ids []string, every bool, depth int, visiting []string) (Node, error) {
	if err := x.load(ids); err != nil {
		return nil, err
	}
	if x.Strict {
		for _, id := range ids {
			if x.refs[id] == nil {
				return nil, errorf("", "names %s, which is no %s of this tenant", id, x.noun())
			}
		}
	}
	var statics []any
	var nodes []Node
	for _, id := range ids {
		if !x.isDynamic(id) {
			statics = append(statics, id)
			continue
		}
		m, err := x.member(id, depth, visiting)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, m)
	}
	if len(nodes) == 0 {
		return c, nil
	}
	if len(statics) > 0 {
		op := OpIn
		if every {
			op = OpAll
		}
		nodes = append([]Node{&Cond{Field: c.Field, Op: op, Values: statics}}, nodes...)
	}
	switch {
	case len(nodes) == 1:
		return nodes[0], nil
	case every:
		return &And{Nodes: nodes}, nil
	}
	return &Or{Nodes: nodes}, nil
}

// member is the condition that an object is in the dynamic set id: its
// explicit membership or its filter, expanded.
func (x *Expander) member(id string, depth int, visiting []string) (Node, error) {
	explicit := x.explicit(id)
	if slices.Contains(visiting, id) {
		if x.Strict {
			return nil, errorf("", "refers to %s %s, whose filter leads back to itself", x.noun(), id)
		}
		return explicit, nil
	}
	if depth >= x.maxDepth() {
		if x.Strict {
			return nil, errorf("", "dynamic %ss nest more than %d deep in it", x.noun(), x.maxDepth())
		}
		return explicit, nil
	}
	r := x.refs[id]
	if r == nil || r.Filter == nil {
		return explicit, nil
	}
	expanded, err := x.expand(r.Filter, depth+1, append(slices.Clip(visiting), id))
	if err != nil {
		return nil, err
	}
	return &Or{Nodes: []Node{explicit, expanded}}, nil
}

func (x *Expander) loadDynamic() error {
	if x.loadedAll {
		return nil
	}
	all, err := x.Resolver.Dynamic()
	if err != nil {
		return err
	}
	if x.refs == nil {
		x.refs = map[string]*Ref{}
	}
	x.dynamic = slices.Sorted(maps.Keys(all))
	for _, id := range x.dynamic {
		r := all[id]
		x.refs[id] = &r
	}
	x.loadedAll = true
	return nil
}
