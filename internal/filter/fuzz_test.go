package filter_test

import (
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/filter"
)

// FuzzParse checks that Parse never panics, returns either a valid tree or
// an *Error, and respects its limits. Seeds are in
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		opt := filter.Options{Region: "US"}
		n, err := contacts.Parse(data, opt)
		if err != nil {
			if n != nil {
				t.Fatalf("node %#v returned with error %v", n, err)
			}
			if _, ok := err.(*filter.Error); !ok {
				t.Fatalf("error %T %v is not *filter.Error", err, err)
			}
			return
		}
		if n == nil {
			var m map[string]json.RawMessage
			if !isBlank(data) && (json.Unmarshal(data, &m) != nil || len(m) != 0) {
				t.Fatalf("nil node without error for %q", data)
			}
			return
		}
		conds := checkNode(t, n, 0)
		if conds > 100 {
			t.Fatalf("%d conditions exceed MaxClauses", conds)
		}
		// Parsing is deterministic.
		n2, err := contacts.Parse(data, opt)
		if err != nil || !reflect.DeepEqual(n, n2) {
			t.Fatalf("second parse differs: %v", err)
		}
	})
}

func isBlank(data []byte) bool {
	for _, b := range data {
		if b != ' ' && b != '\t' && b != '\r' && b != '\n' {
			return false
		}
	}
	return true
}

// checkNode validates the invariants of a parsed tree and returns its
// number of conditions.
func checkNode(t *testing.T, n filter.Node, depth int) int {
	t.Helper()
	// depth counts Or and Not levels, each of which stems from a distinct
	// level of $or or $not in the document.
	if depth > 8 {
		t.Fatalf("tree deeper than MaxDepth")
	}
	switch n := n.(type) {
	case *filter.And:
		for _, c := range n.Nodes {
			if _, ok := c.(*filter.And); ok {
				t.Fatalf("And directly inside And")
			}
		}
		return checkList(t, n.Nodes, depth)
	case *filter.Or:
		for _, c := range n.Nodes {
			if _, ok := c.(*filter.Or); ok {
				t.Fatalf("Or directly inside Or")
			}
		}
		return checkList(t, n.Nodes, depth+1)
	case *filter.Not:
		if n == nil || n.Node == nil {
			t.Fatalf("empty Not")
		}
		return checkNode(t, n.Node, depth+1)
	case *filter.Cond:
		checkCond(t, n)
		return 1
	}
	t.Fatalf("unexpected node %#v", n)
	return 0
}

func checkList(t *testing.T, ns []filter.Node, depth int) int {
	t.Helper()
	if len(ns) < 2 {
		t.Fatalf("And/Or with %d nodes", len(ns))
	}
	sum := 0
	for _, c := range ns {
		sum += checkNode(t, c, depth)
	}
	return sum
}

func checkCond(t *testing.T, c *filter.Cond) {
	t.Helper()
	f, ok := contacts.Field(c.Field.Name)
	if !ok || f.Name != c.Field.Name || f.Type != c.Field.Type || !reflect.DeepEqual(f.Values, c.Field.Values) {
		t.Fatalf("cond on unknown field %#v", c.Field)
	}
	if (f.Type == filter.JSON) != (c.Path != nil) {
		t.Fatalf("path %v on field %s", c.Path, f.Name)
	}
	if len(c.Path) > 5 {
		t.Fatalf("path %v too long", c.Path)
	}
	switch c.Op {
	case filter.OpIn, filter.OpNin, filter.OpAll:
		if c.Value != nil || len(c.Values) == 0 || len(c.Values) > 1000 {
			t.Fatalf("bad multi-value cond %#v", c)
		}
		for _, v := range c.Values {
			checkValue(t, f.Type, c.Op, v)
		}
		return
	case filter.OpExists:
		if _, ok := c.Value.(bool); !ok || c.Values != nil {
			t.Fatalf("bad $exists cond %#v", c)
		}
		return
	}
	if c.Values != nil {
		t.Fatalf("Values on single-value cond %#v", c)
	}
	checkValue(t, f.Type, c.Op, c.Value)
}

func checkValue(t *testing.T, typ filter.Type, op filter.Op, v any) {
	t.Helper()
	okType := false
	switch typ {
	case filter.String, filter.Enum, filter.StringArray, filter.EmailArray, filter.PhoneArray:
		s, ok := v.(string)
		okType = ok && (typ == filter.String || typ == filter.Enum || s != "")
		if typ == filter.PhoneArray && (len(s) < 3 || s[0] != '+') {
			okType = false
		}
	case filter.Bool:
		_, okType = v.(bool)
	case filter.Time:
		tm, ok := v.(time.Time)
		okType = ok && tm.Location() == time.UTC
	case filter.JSON:
		switch x := v.(type) {
		case nil, bool:
			okType = !slices.Contains([]filter.Op{filter.OpGt, filter.OpGte, filter.OpLt, filter.OpLte, filter.OpPrefix, filter.OpContains}, op)
		case string:
			okType = true
		case float64:
			okType = !math.IsInf(x, 0) && !math.IsNaN(x) && op != filter.OpPrefix && op != filter.OpContains
		}
	}
	if !okType {
		t.Fatalf("value %#v (%T) invalid for %s on type %d", v, v, op, typ)
	}
}
