package contactd

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/filter"
)

func TestAccountFilter(t *testing.T) {
	t.Parallel()
	ok := []struct {
		in   string
		want string // the tree, printed by describe
	}{
		{``, `<nil>`},
		{`{}`, `<nil>`},
		{`{"name":"Acme"}`, `name $eq Acme`},
		{`{"domain":" ACME.com. "}`, `domain $eq acme.com`},
		{`{"domain":null}`, `domain $exists false`},
		{`{"externalId":{"$ne":null}}`, `externalId $exists true`},
		{`{"name":{"$prefix":"Ac","$lt":"B"}}`, `and(name $prefix Ac, name $lt B)`},
		{`{"name":{"$in":["a","b"]}}`, `name $in [a b]`},
		{`{"createdAt":{"$gte":"2024-01-31T12:00:00+01:00"}}`, `createdAt $gte 2024-01-31T11:00:00Z`},
		{`{"$or":[{"name":"a"},{"name":"b","domain":"b.com"}]}`, `or(name $eq a, and(name $eq b, domain $eq b.com))`},
		{`{"$or":[{"name":"a"}]}`, `name $eq a`},
		{`{"$and":[{"name":"a"},{"id":"x"}],"domain":"d.io"}`, `and(name $eq a, id $eq x, domain $eq d.io)`},
		{`{"$not":{"name":"a"}}`, `not(name $eq a)`},
	}
	for _, tt := range ok {
		n, err := parseFilter(AccountFilter, []byte(tt.in), "query.filter", "")
		if err != nil {
			t.Errorf("%s: %v", tt.in, err)
			continue
		}
		if got := describe(n); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.in, got, tt.want)
		}
	}
	deep := `{"name":"x"}`
	for range 9 {
		deep = `{"$not":` + deep + `}`
	}
	many := `{"name":{"$in":[` + strings.Repeat(`"x",`, 1000) + `"x"]}}`
	bad := []struct{ in, loc string }{
		{`{`, "query.filter"},
		{`[]`, "query.filter"},
		{`"name"`, "query.filter"},
		{`{"lastName":"x"}`, "query.filter.lastName"},
		{`{"$nor":[{"name":"x"}]}`, "query.filter.$nor"},
		{`{"$eq":"x"}`, "query.filter.$eq"},
		{`{"name":{}}`, "query.filter.name"},
		{`{"name":{"$all":["x"]}}`, "query.filter.name.$all"},
		{`{"name":{"$regex":"x"}}`, "query.filter.name.$regex"},
		{`{"name":1}`, "query.filter.name"},
		{`{"name":{"$in":"x"}}`, "query.filter.name.$in"},
		{`{"name":{"$in":[]}}`, "query.filter.name.$in"},
		{`{"name":{"$in":["x",2]}}`, "query.filter.name.$in[1]"},
		{`{"name":{"$exists":"yes"}}`, "query.filter.name.$exists"},
		{`{"name":"a\u0000b"}`, "query.filter.name"},
		{`{"createdAt":"yesterday"}`, "query.filter.createdAt"},
		{`{"createdAt":{"$prefix":"2024"}}`, "query.filter.createdAt.$prefix"},
		{`{"createdAt":{"$exists":true}}`, "query.filter.createdAt.$exists"},
		{`{"$and":[]}`, "query.filter.$and"},
		{`{"$and":{"name":"x"}}`, "query.filter.$and"},
		{`{"$or":[{"name":"x"},{}]}`, "query.filter.$or[1]"},
		{`{"$or":[{"name":"x"},"y"]}`, "query.filter.$or[1]"},
		{`{"$not":{"nope":1}}`, "query.filter.$not.nope"},
		{deep, "query.filter." + strings.Repeat("$not.", 8) + "$not"},
		{many, "query.filter.name.$in"},
	}
	for _, tt := range bad {
		_, err := parseFilter(AccountFilter, []byte(tt.in), "query.filter", "")
		e, ok := err.(*Error)
		if !ok || e.Code != EInvalid || len(e.Fields) != 1 || e.Fields[0].Location != tt.loc {
			t.Errorf("%.60s: got %v, want EInvalid at %s", tt.in, err, tt.loc)
		}
	}
	var conds []string
	for i := range 101 {
		conds = append(conds, `{"name":"`+strings.Repeat("x", i+1)+`"}`)
	}
	if _, err := parseFilter(AccountFilter, []byte(`{"$or":[`+strings.Join(conds, ",")+`]}`), "f", ""); ErrorCodeOf(err) != EInvalid {
		t.Errorf("101 conditions: got %v, want EInvalid", err)
	}
}

// describe prints a filter tree compactly.
func describe(n filter.Node) string {
	list := func(ns []filter.Node) string {
		parts := make([]string, len(ns))
		for i, x := range ns {
			parts[i] = describe(x)
		}
		return strings.Join(parts, ", ")
	}
	switch n := n.(type) {
	case nil:
		return "<nil>"
	case *filter.And:
		return "and(" + list(n.Nodes) + ")"
	case *filter.Or:
		return "or(" + list(n.Nodes) + ")"
	case *filter.Not:
		return "not(" + describe(n.Node) + ")"
	case *filter.Cond:
		v := any(n.Value)
		if n.Values != nil {
			v = n.Values
		}
		if tm, ok := v.(time.Time); ok {
			v = tm.Format(time.RFC3339)
		}
		b, _ := json.Marshal(v)
		s := strings.ReplaceAll(strings.Trim(string(b), `"`), `","`, " ")
		s = strings.NewReplacer(`["`, "[", `"]`, "]").Replace(s)
		return n.Field.Name + " " + string(n.Op) + " " + s
	}
	return "?"
}

func TestAccountDomain(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"acme.com": "acme.com", " Sub.Acme.CO.uk. ": "sub.acme.co.uk", "xn--bcher-kva.de": "xn--bcher-kva.de",
		"a-b.c1": "a-b.c1", "1password.com": "1password.com", "": "",
	}
	for in, want := range good {
		a, err := buildAccount(&AccountInput{Name: "A", Domain: in}, nil, "US")
		if err != nil || a.Domain != want {
			t.Errorf("domain %q: got %v, %v; want %q", in, a, err, want)
		}
	}
	for _, in := range []string{"acme", "acme..com", ".acme.com", "-a.com", "a-.com", "a_b.com", "acme.com/x", "http://acme.com",
		"acme.com:80", "1.2.3.4", "bücher.de", "a b.com", strings.Repeat("a", 64) + ".com", strings.Repeat("a.", 127) + "com"} {
		if _, err := buildAccount(&AccountInput{Name: "A", Domain: in}, nil, "US"); err == nil {
			t.Errorf("domain %q: accepted", in)
		} else if e := err.(*Error); e.Fields[0].Location != "domain" {
			t.Errorf("domain %q: error at %s", in, e.Fields[0].Location)
		}
	}
}

func TestParseAccountSort(t *testing.T) {
	t.Parallel()
	keys, err := parseSort("-name, createdAt", "query.sort", "accounts", AccountSortFields, nil)
	if err != nil || len(keys) != 3 || keys[0] != (SortKey{Field: "name", Desc: true}) || keys[1].Field != "createdAt" || keys[2].Field != "id" {
		t.Errorf("got %v, %v", keys, err)
	}
	if keys, _ := parseSort("id,name", "s", "accounts", AccountSortFields, nil); len(keys) != 1 {
		t.Errorf("fields after id: %v", keys)
	}
	for _, bad := range []string{"lastName", "name,name", "name,", "-"} {
		if _, err := parseSort(bad, "query.sort", "accounts", AccountSortFields, nil); ErrorCodeOf(err) != EInvalid {
			t.Errorf("sort %q: got %v", bad, err)
		}
	}
}

// FuzzAccountFilter: any input parses or is an EInvalid naming a location
// under the filter. (internal/sqlq fuzzes compiling what parses.)
func FuzzAccountFilter(f *testing.F) {
	for _, s := range []string{`{"name":"Acme"}`, `{"name":{"$prefix":"A","$in":["a","b"]}}`, `{"domain":null}`,
		`{"createdAt":{"$gte":"2024-01-01T00:00:00Z","$lt":"2025-01-01T00:00:00Z"}}`,
		`{"$or":[{"name":"a"},{"$not":{"externalId":{"$exists":true}}}]}`, `{"$and":[{"id":"acc_1"}]}`, `{`, `[]`, `{"x":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := parseFilter(AccountFilter, data, "query.filter", "")
		if err != nil {
			requireInvalid(t, err, data)
			if loc := err.(*Error).Fields[0].Location; !strings.HasPrefix(loc, "query.filter") {
				t.Fatalf("error location %q outside the filter; input %q", loc, data)
			}
		}
	})
}
