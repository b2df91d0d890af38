package filter_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/contactd/contactd/internal/filter"
)

// sets is a Resolver over a fixed set of sets: an id with a filter
// document is dynamic, one with "" static.
type sets struct {
	t       *testing.T
	filters map[string]string
	calls   int
	fail    error
}

func (s *sets) ref(id string) filter.Ref {
	doc := s.filters[id]
	if doc == "" {
		return filter.Ref{}
	}
	n, err := contacts.Parse([]byte(doc), filter.Options{})
	if err != nil {
		return filter.Ref{Dynamic: true} // no longer parses: explicit members only
	}
	return filter.Ref{Dynamic: true, Filter: n}
}

func (s *sets) Refs(ids []string) (map[string]filter.Ref, error) {
	s.calls++
	if s.fail != nil {
		return nil, s.fail
	}
	out := map[string]filter.Ref{}
	for _, id := range ids {
		if _, ok := s.filters[id]; ok {
			out[id] = s.ref(id)
		}
	}
	return out, nil
}

func (s *sets) Dynamic() (map[string]filter.Ref, error) {
	s.calls++
	out := map[string]filter.Ref{}
	for id, doc := range s.filters {
		if doc != "" {
			out[id] = s.ref(id)
		}
	}
	return out, nil
}

func expander(s *sets, strict bool) *filter.Expander {
	return &filter.Expander{Field: field("segments"), Noun: "segment", Resolver: s, Strict: strict, MaxDepth: 3, MaxConds: 50}
}

// show prints a tree compactly, for comparisons.
func show(n filter.Node) string {
	list := func(ns []filter.Node) string {
		parts := make([]string, len(ns))
		for i, x := range ns {
			parts[i] = show(x)
		}
		return strings.Join(parts, ", ")
	}
	switch n := n.(type) {
	case *filter.And:
		return "and(" + list(n.Nodes) + ")"
	case *filter.Or:
		return "or(" + list(n.Nodes) + ")"
	case *filter.Not:
		return "not(" + show(n.Node) + ")"
	case *filter.Cond:
		if n.Values != nil {
			return fmt.Sprintf("%s %s %v", n.Field.Name, n.Op, n.Values)
		}
		return fmt.Sprintf("%s %s %v", n.Field.Name, n.Op, n.Value)
	}
	return "<nil>"
}

func TestExpand(t *testing.T) {
	t.Parallel()
	s := &sets{t: t, filters: map[string]string{
		"static":  "",
		"vips":    `{"tags":"vip"}`,
		"nested":  `{"segments":"vips","status":"a"}`,
		"broken":  `{"nope":1}`,
		"self":    `{"segments":"self"}`,
		"ping":    `{"segments":"pong"}`,
		"pong":    `{"segments":"ping"}`,
		"deep1":   `{"segments":"deep2"}`,
		"deep2":   `{"segments":"deep3"}`,
		"deep3":   `{"segments":"deep4"}`,
		"deep4":   `{"tags":"x"}`,
		"unknown": `{"segments":"nosuch"}`,
	}}
	cases := []struct {
		doc, want string
	}{
		// A static set, or none, stays as written.
		{`{"segments":"static"}`, `segments $eq static`},
		{`{"status":"a"}`, `status $eq a`},
		// A dynamic set stands for its explicit members or its filter.
		{`{"segments":"vips"}`, `or(segments $eq vips, tags $eq vip)`},
		{`{"segments":{"$in":["static","vips"]}}`, `or(segments $in [static], or(segments $eq vips, tags $eq vip))`},
		{`{"segments":{"$all":["static","vips"]}}`, `and(segments $all [static], or(segments $eq vips, tags $eq vip))`},
		{`{"segments":{"$ne":"vips"}}`, `not(or(segments $eq vips, tags $eq vip))`},
		{`{"segments":{"$nin":["static"]}}`, `segments $nin [static]`},
		// Filters naming dynamic sets are expanded in turn.
		{`{"segments":"nested"}`, `or(segments $eq nested, and(or(segments $eq vips, tags $eq vip), status $eq a))`},
		// A filter that no longer parses leaves the explicit members.
		{`{"segments":"broken"}`, `segments $eq broken`},
		// Read (not strict), a cycle and excess depth are cut off.
		{`{"segments":"self"}`, `or(segments $eq self, segments $eq self)`},
		{`{"segments":"ping"}`, `or(segments $eq ping, or(segments $eq pong, segments $eq ping))`},
		{`{"segments":"deep1"}`, `or(segments $eq deep1, or(segments $eq deep2, or(segments $eq deep3, segments $eq deep4)))`},
	}
	for _, tc := range cases {
		n, err := contacts.Parse([]byte(tc.doc), filter.Options{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := expander(s, false).Expand(n, "")
		if err != nil || show(got) != tc.want {
			t.Errorf("%s:\n got  %s, %v\n want %s", tc.doc, show(got), err, tc.want)
		}
	}
}

func TestExpandStrict(t *testing.T) {
	t.Parallel()
	s := &sets{t: t, filters: map[string]string{
		"vips": `{"tags":"vip"}`, "a": `{"segments":"b"}`, "b": `{"segments":"a"}`,
		"d1": `{"segments":"d2"}`, "d2": `{"segments":"d3"}`, "d3": `{"segments":"d4"}`, "d4": `{"tags":"x"}`,
	}}
	for _, tc := range []struct {
		doc, self, msg string
	}{
		{`{"segments":"nosuch"}`, "", "names nosuch, which is no segment"},
		{`{"segments":"a"}`, "a", "refers to segment a, whose filter leads back to itself"},
		{`{"segments":{"$in":["vips","b"]}}`, "a", "leads back"},
		{`{"segments":"d1"}`, "", "dynamic segments nest more than 3 deep"},
		{`{"segments":"vips"}`, "vips", "leads back"},
	} {
		n, err := contacts.Parse([]byte(tc.doc), filter.Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = expander(s, true).Expand(n, tc.self)
		var fe *filter.Error
		if !errors.As(err, &fe) || fe.Path != "" || !strings.Contains(fe.Message, tc.msg) {
			t.Errorf("%s (saving %q): got %v, want an error saying %q", tc.doc, tc.self, err, tc.msg)
		}
	}
	// Fine when saved: a dynamic set naming another that exists, and
	// "in any other set" in a set's own filter.
	s = &sets{t: t, filters: map[string]string{"vips": `{"tags":"vip"}`, "d1": `{"segments":"vips"}`}}
	for _, doc := range []string{`{"segments":"d1"}`, `{"segments":{"$exists":true}}`} {
		n, _ := contacts.Parse([]byte(doc), filter.Options{})
		if _, err := expander(s, true).Expand(n, "new"); err != nil {
			t.Errorf("%s: %v", doc, err)
		}
	}
}

func TestExpandExists(t *testing.T) {
	t.Parallel()
	s := &sets{t: t, filters: map[string]string{"static": "", "vips": `{"tags":"vip"}`, "own": `{"segments":{"$exists":true}}`}}
	n, _ := contacts.Parse([]byte(`{"segments":{"$exists":true}}`), filter.Options{})
	got, err := expander(s, false).Expand(n, "own")
	// In any explicit membership, or matched by any dynamic set but the
	// one whose filter this is.
	if want := `or(segments $exists true, or(segments $eq vips, tags $eq vip))`; err != nil || show(got) != want {
		t.Errorf("got %s, %v; want %s", show(got), err, want)
	}
	n, _ = contacts.Parse([]byte(`{"segments":{"$exists":false}}`), filter.Options{})
	got, _ = expander(s, false).Expand(n, "")
	if !strings.HasPrefix(show(got), "not(or(segments $exists true, ") {
		t.Errorf("$exists false: %s", show(got))
	}
}

func TestExpandLimitsAndErrors(t *testing.T) {
	t.Parallel()
	// A set whose filter is wide grows the expansion past MaxConds.
	wide := make([]string, 30)
	for i := range wide {
		wide[i] = fmt.Sprintf(`{"status":{"$ne":"s%d"}}`, i) // not merged into one $in
	}
	s := &sets{t: t, filters: map[string]string{"wide": `{"$or":[` + strings.Join(wide, ",") + `]}`}}
	n, _ := contacts.Parse([]byte(`{"segments":{"$all":["wide"]},"$or":[{"segments":"wide"},{"status":"x"}]}`), filter.Options{})
	_, err := expander(s, false).Expand(n, "")
	var fe *filter.Error
	if !errors.As(err, &fe) || !strings.Contains(fe.Message, "more than 50 conditions") {
		t.Errorf("wide expansion: got %v", err)
	}
	// A set is resolved once per expander.
	s = &sets{t: t, filters: map[string]string{"vips": `{"tags":"vip"}`}}
	x := expander(s, false)
	n, _ = contacts.Parse([]byte(`{"$or":[{"segments":"vips"},{"segments":{"$in":["vips"]}}]}`), filter.Options{})
	if _, err := x.Expand(n, ""); err != nil || s.calls != 1 {
		t.Errorf("resolved %d times, %v; want once", s.calls, err)
	}
	if m, err := x.Member("vips"); err != nil || show(m) != `or(segments $eq vips, tags $eq vip)` || s.calls != 1 {
		t.Errorf("Member: %s, %v, %d calls", show(m), err, s.calls)
	}
	// The resolver's errors are returned as they are.
	boom := errors.New("boom")
	s = &sets{t: t, fail: boom}
	n, _ = contacts.Parse([]byte(`{"segments":"vips"}`), filter.Options{})
	if _, err := expander(s, false).Expand(n, ""); !errors.Is(err, boom) {
		t.Errorf("resolver failure: got %v", err)
	}
	if filter.Uses(n, "tags") || !filter.Uses(&filter.Not{Node: n}, "segments") {
		t.Error("Uses")
	}
}
