package filter_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/filter"
)

// contacts is the schema the tests parse against: contactd's own.
var contacts = contactd.ContactFilter

// field returns the contact field of the given name.
func field(name string) filter.Field {
	f, _ := contacts.Field(name)
	return f
}

// c builds a single-value condition on a named field.
func c(name string, op filter.Op, v any) *filter.Cond {
	return &filter.Cond{Field: field(name), Op: op, Value: v}
}

// cs builds a multi-value ($in, $nin, $all) condition on a named field.
func cs(name string, op filter.Op, vs ...any) *filter.Cond {
	return &filter.Cond{Field: field(name), Op: op, Values: vs}
}

// pc builds a single-value condition on properties.<path>.
func pc(path string, op filter.Op, v any) *filter.Cond {
	return &filter.Cond{Field: field("properties"), Path: strings.Split(path, "."), Op: op, Value: v}
}

// pcs builds a multi-value condition on properties.<path>.
func pcs(path string, op filter.Op, vs ...any) *filter.Cond {
	return &filter.Cond{Field: field("properties"), Path: strings.Split(path, "."), Op: op, Values: vs}
}

func and(ns ...filter.Node) *filter.And { return &filter.And{Nodes: ns} }
func or(ns ...filter.Node) *filter.Or   { return &filter.Or{Nodes: ns} }
func not(n filter.Node) *filter.Not     { return &filter.Not{Node: n} }

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

var validCases = []struct {
	name string
	in   string
	want filter.Node
}{
	// Empty documents.
	{"empty", ``, nil},
	{"blank", " \n\t", nil},
	{"empty object", `{}`, nil},
	{"empty object spaced", ` { } `, nil},

	// String.
	{"string bare", `{"lastName":"Kline"}`, c("lastName", filter.OpEq, "Kline")},
	{"string $eq", `{"firstName":{"$eq":"Jordan"}}`, c("firstName", filter.OpEq, "Jordan")},
	{"string $ne", `{"status":{"$ne":"active"}}`, c("status", filter.OpNe, "active")},
	{"string $in", `{"status":{"$in":["active","lead"]}}`, cs("status", filter.OpIn, "active", "lead")},
	{"string $nin", `{"ownerId":{"$nin":["u1"]}}`, cs("ownerId", filter.OpNin, "u1")},
	{"string $exists true", `{"externalId":{"$exists":true}}`, c("externalId", filter.OpExists, true)},
	{"string $exists false", `{"accountId":{"$exists":false}}`, c("accountId", filter.OpExists, false)},
	{"string $gt", `{"lastName":{"$gt":"K"}}`, c("lastName", filter.OpGt, "K")},
	{"string $gte", `{"lastName":{"$gte":"K"}}`, c("lastName", filter.OpGte, "K")},
	{"string $lt", `{"lastName":{"$lt":"K"}}`, c("lastName", filter.OpLt, "K")},
	{"string $lte", `{"lastName":{"$lte":"K"}}`, c("lastName", filter.OpLte, "K")},
	{"string $prefix", `{"company":{"$prefix":"Ac"}}`, c("company", filter.OpPrefix, "Ac")},
	{"string $contains", `{"jobTitle":{"$contains":"eng"}}`, c("jobTitle", filter.OpContains, "eng")},
	{"string null", `{"department":null}`, c("department", filter.OpExists, false)},
	{"string $eq null", `{"department":{"$eq":null}}`, c("department", filter.OpExists, false)},
	{"string $ne null", `{"department":{"$ne":null}}`, c("department", filter.OpExists, true)},
	{"string kept verbatim", `{"displayName":"  Zoë  "}`, c("displayName", filter.OpEq, "  Zoë  ")},
	{"string escapes", `{"id":"a\"b\u00e9"}`, c("id", filter.OpEq, "a\"bé")},
	{"address field", `{"address.city":"Berlin"}`, c("address.city", filter.OpEq, "Berlin")},
	{"address fields", `{"address.country":{"$in":["DE","AT"]},"address.state":{"$exists":true},"address.postalCode":{"$prefix":"10"}}`,
		and(cs("address.country", filter.OpIn, "DE", "AT"), c("address.state", filter.OpExists, true), c("address.postalCode", filter.OpPrefix, "10"))},

	// Enum.
	{"enum bare", `{"kind":"person"}`, c("kind", filter.OpEq, "person")},
	{"enum $eq", `{"contactType":{"$eq":"service"}}`, c("contactType", filter.OpEq, "service")},
	{"enum $ne", `{"source":{"$ne":"import"}}`, c("source", filter.OpNe, "import")},
	{"enum $in", `{"source":{"$in":["api","carddav"]}}`, cs("source", filter.OpIn, "api", "carddav")},
	{"enum $nin", `{"kind":{"$nin":["organization"]}}`, cs("kind", filter.OpNin, "organization")},
	{"enum $exists", `{"contactType":{"$exists":true}}`, c("contactType", filter.OpExists, true)},
	{"enum null", `{"contactType":null}`, c("contactType", filter.OpExists, false)},

	// Bool.
	{"bool bare", `{"doNotCall":false}`, c("doNotCall", filter.OpEq, false)},
	{"bool $eq", `{"emailOptOut":{"$eq":true}}`, c("emailOptOut", filter.OpEq, true)},
	{"bool $ne", `{"smsOptOut":{"$ne":true}}`, c("smsOptOut", filter.OpNe, true)},
	{"bool $exists", `{"blocked":{"$exists":true}}`, c("blocked", filter.OpExists, true)},
	{"bool unknown", `{"unknown":true}`, c("unknown", filter.OpEq, true)},

	// Time.
	{"time bare", `{"createdAt":"2024-01-01T00:00:00Z"}`, c("createdAt", filter.OpEq, ts("2024-01-01T00:00:00Z"))},
	{"time $eq offset to UTC", `{"updatedAt":{"$eq":"2024-01-01T02:00:00+02:00"}}`, c("updatedAt", filter.OpEq, ts("2024-01-01T00:00:00Z"))},
	{"time $ne fraction", `{"updatedAt":{"$ne":"2024-01-01T00:00:00.123456789Z"}}`, c("updatedAt", filter.OpNe, ts("2024-01-01T00:00:00.123456789Z"))},
	{"time range", `{"createdAt":{"$gte":"2024-01-01T00:00:00Z","$lt":"2025-01-01T00:00:00Z"}}`,
		and(c("createdAt", filter.OpGte, ts("2024-01-01T00:00:00Z")), c("createdAt", filter.OpLt, ts("2025-01-01T00:00:00Z")))},
	{"time $gt $lte", `{"updatedAt":{"$gt":"2024-06-01T00:00:00-07:00","$lte":"2024-07-01T00:00:00Z"}}`,
		and(c("updatedAt", filter.OpGt, ts("2024-06-01T07:00:00Z")), c("updatedAt", filter.OpLte, ts("2024-07-01T00:00:00Z")))},
	{"time $exists", `{"deletedAt":{"$exists":true}}`, c("deletedAt", filter.OpExists, true)},
	{"time null", `{"deletedAt":null}`, c("deletedAt", filter.OpExists, false)},
	{"time $ne null", `{"deletedAt":{"$ne":null}}`, c("deletedAt", filter.OpExists, true)},

	// StringArray.
	{"tags bare trimmed", `{"tags":"  vip "}`, c("tags", filter.OpEq, "vip")},
	{"tags case kept", `{"tags":{"$eq":"VIP"}}`, c("tags", filter.OpEq, "VIP")},
	{"tags $ne", `{"tags":{"$ne":"churned"}}`, c("tags", filter.OpNe, "churned")},
	{"tags $in", `{"tags":{"$in":["vip"," enterprise"]}}`, cs("tags", filter.OpIn, "vip", "enterprise")},
	{"tags $nin", `{"tags":{"$nin":["spam"]}}`, cs("tags", filter.OpNin, "spam")},
	{"tags $all", `{"tags":{"$all":["a","b"]}}`, cs("tags", filter.OpAll, "a", "b")},
	{"tags $exists", `{"tags":{"$exists":false}}`, c("tags", filter.OpExists, false)},
	{"segments $all", `{"segments":{"$all":["seg_1"]}}`, cs("segments", filter.OpAll, "seg_1")},
	{"tags null", `{"tags":null}`, c("tags", filter.OpExists, false)},

	// EmailArray.
	{"emails bare normalized", `{"emails":" Jo@Example.COM "}`, c("emails", filter.OpEq, "jo@example.com")},
	{"emails $ne", `{"emails":{"$ne":"A@B.C"}}`, c("emails", filter.OpNe, "a@b.c")},
	{"emails $in", `{"emails":{"$in":["A@x.io","b@X.io"]}}`, cs("emails", filter.OpIn, "a@x.io", "b@x.io")},
	{"emails $nin", `{"emails":{"$nin":["a@x.io"]}}`, cs("emails", filter.OpNin, "a@x.io")},
	{"emails $all", `{"emails":{"$all":["a@x.io","B@x.io"]}}`, cs("emails", filter.OpAll, "a@x.io", "b@x.io")},
	{"emails $exists", `{"emails":{"$exists":true}}`, c("emails", filter.OpExists, true)},
	{"emails $prefix", `{"emails":{"$prefix":"Jordan@"}}`, c("emails", filter.OpPrefix, "jordan@")},

	// PhoneArray (Region US).
	{"phones bare national", `{"phones":"(415) 555-2671"}`, c("phones", filter.OpEq, "+14155552671")},
	{"phones $eq e164", `{"phones":{"$eq":"+442079460000"}}`, c("phones", filter.OpEq, "+442079460000")},
	{"phones $ne tel uri", `{"phones":{"$ne":"tel:+1-415-555-2671"}}`, c("phones", filter.OpNe, "+14155552671")},
	{"phones $in", `{"phones":{"$in":["415.555.2671","+44 20 7946 0000"]}}`, cs("phones", filter.OpIn, "+14155552671", "+442079460000")},
	{"phones $nin", `{"phones":{"$nin":["4155552671"]}}`, cs("phones", filter.OpNin, "+14155552671")},
	{"phones $all", `{"phones":{"$all":["4155552671"]}}`, cs("phones", filter.OpAll, "+14155552671")},
	{"phones $exists", `{"phones":{"$exists":false}}`, c("phones", filter.OpExists, false)},

	// JSON properties.
	{"props bare number", `{"properties.tier":2}`, pc("tier", filter.OpEq, 2.0)},
	{"props bare string", `{"properties.plan":"pro"}`, pc("plan", filter.OpEq, "pro")},
	{"props bare bool", `{"properties.beta":true}`, pc("beta", filter.OpEq, true)},
	{"props bare null", `{"properties.beta":null}`, pc("beta", filter.OpEq, nil)},
	{"props $ne null", `{"properties.beta":{"$ne":null}}`, pc("beta", filter.OpNe, nil)},
	{"props $eq float", `{"properties.score":{"$eq":-1.5e3}}`, pc("score", filter.OpEq, -1500.0)},
	{"props $in mixed", `{"properties.x":{"$in":[1,"a",false,null]}}`, pcs("x", filter.OpIn, 1.0, "a", false, nil)},
	{"props $nin", `{"properties.x":{"$nin":["a"]}}`, pcs("x", filter.OpNin, "a")},
	{"props $exists", `{"properties.x":{"$exists":true}}`, pc("x", filter.OpExists, true)},
	{"props $gt number", `{"properties.tier":{"$gt":1}}`, pc("tier", filter.OpGt, 1.0)},
	{"props $gte", `{"properties.tier":{"$gte":2}}`, pc("tier", filter.OpGte, 2.0)},
	{"props $lt string", `{"properties.since":{"$lt":"2024"}}`, pc("since", filter.OpLt, "2024")},
	{"props $lte", `{"properties.tier":{"$lte":0}}`, pc("tier", filter.OpLte, 0.0)},
	{"props $prefix", `{"properties.crm.id":{"$prefix":"SF-"}}`, pc("crm.id", filter.OpPrefix, "SF-")},
	{"props $contains", `{"properties.note":{"$contains":"x"}}`, pc("note", filter.OpContains, "x")},
	{"props max path", `{"properties.a.b-c.D_e.f1.` + strings.Repeat("z", 64) + `":1}`, pc("a.b-c.D_e.f1."+strings.Repeat("z", 64), filter.OpEq, 1.0)},

	// Structure.
	{"two keys", `{"status":"active","doNotCall":false}`, and(c("status", filter.OpEq, "active"), c("doNotCall", filter.OpEq, false))},
	{"$and flattened", `{"$and":[{"status":"a"},{"tags":"b","kind":"person"}],"blocked":false}`,
		and(c("status", filter.OpEq, "a"), c("tags", filter.OpEq, "b"), c("kind", filter.OpEq, "person"), c("blocked", filter.OpEq, false))},
	{"$and single", `{"$and":[{"status":"a"}]}`, c("status", filter.OpEq, "a")},
	{"$or", `{"$or":[{"status":"active"},{"doNotCall":false}]}`, or(c("status", filter.OpEq, "active"), c("doNotCall", filter.OpEq, false))},
	{"$or single", `{"$or":[{"status":"a","kind":"person"}]}`, and(c("status", filter.OpEq, "a"), c("kind", filter.OpEq, "person"))},
	{"$or with and branch", `{"$or":[{"status":"a","kind":"person"},{"blocked":true}]}`,
		or(and(c("status", filter.OpEq, "a"), c("kind", filter.OpEq, "person")), c("blocked", filter.OpEq, true))},
	{"$or flattened", `{"$or":[{"$or":[{"status":"a"},{"lastName":"b"}]},{"blocked":true}]}`,
		or(c("status", filter.OpEq, "a"), c("lastName", filter.OpEq, "b"), c("blocked", filter.OpEq, true))},
	// Equalities and $in of one field in an $or become one $in (values
	// once each, in order); the other alternatives stay where they were.
	{"$or of equalities", `{"$or":[{"lastName":"a"},{"blocked":true},{"lastName":"b"},{"lastName":{"$in":["c","a"]}}]}`,
		or(cs("lastName", filter.OpIn, "a", "b", "c"), c("blocked", filter.OpEq, true))},
	{"$or of tags", `{"$or":[{"tags":"a"},{"tags":{"$in":["b"]}}]}`, cs("tags", filter.OpIn, "a", "b")},
	{"$or $eq once kept", `{"$or":[{"lastName":"a"},{"firstName":"a"}]}`,
		or(c("lastName", filter.OpEq, "a"), c("firstName", filter.OpEq, "a"))},
	{"$or $ne not merged", `{"$or":[{"lastName":{"$ne":"a"}},{"lastName":{"$ne":"b"}}]}`,
		or(c("lastName", filter.OpNe, "a"), c("lastName", filter.OpNe, "b"))},
	{"$or null not merged", `{"$or":[{"lastName":null},{"lastName":"b"}]}`,
		or(c("lastName", filter.OpExists, false), c("lastName", filter.OpEq, "b"))},
	{"$not", `{"$not":{"tags":"spam"}}`, not(c("tags", filter.OpEq, "spam"))},
	{"$not and", `{"$not":{"tags":"spam","blocked":true}}`, not(and(c("tags", filter.OpEq, "spam"), c("blocked", filter.OpEq, true)))},
	{"$not $not", `{"$not":{"$not":{"blocked":true}}}`, not(not(c("blocked", filter.OpEq, true)))},
	{"depth 8", strings.Repeat(`{"$not":`, 8) + `{"blocked":true}` + strings.Repeat(`}`, 8),
		not(not(not(not(not(not(not(not(c("blocked", filter.OpEq, true)))))))))},
	{"spec example", `{"tags":{"$in":["vip","enterprise"]},"properties.tier":{"$gte":2},"$or":[{"status":"active"},{"doNotCall":false}]}`,
		and(cs("tags", filter.OpIn, "vip", "enterprise"), pc("tier", filter.OpGte, 2.0),
			or(c("status", filter.OpEq, "active"), c("doNotCall", filter.OpEq, false)))},
	{"100 clauses", clauses(100), nil}, // checked separately below: must parse
	{"$in 1000", `{"tags":{"$in":[` + strings.TrimSuffix(strings.Repeat(`"t",`, 1000), ",") + `]}}`, nil},
}

// clauses returns a filter of n conditions.
func clauses(n int) string {
	var b strings.Builder
	b.WriteString(`{"$and":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"tags":"t%d"}`, i)
	}
	b.WriteString(`]}`)
	return b.String()
}

func TestParseValid(t *testing.T) {
	for _, tc := range validCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := contacts.Parse([]byte(tc.in), filter.Options{Region: "US"})
			if err != nil {
				t.Fatalf("Parse(%s): %v", tc.in, err)
			}
			switch tc.name {
			case "100 clauses":
				if a, ok := got.(*filter.And); !ok || len(a.Nodes) != 100 {
					t.Fatalf("got %#v, want And of 100", got)
				}
				return
			case "$in 1000":
				if cn, ok := got.(*filter.Cond); !ok || len(cn.Values) != 1000 {
					t.Fatalf("got %#v, want $in of 1000", got)
				}
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Parse(%s)\n got %s\nwant %s", tc.in, dump(got), dump(tc.want))
			}
		})
	}
}

// dump prints a tree for failure messages.
func dump(n filter.Node) string {
	switch n := n.(type) {
	case nil:
		return "nil"
	case *filter.And:
		return "And" + dumpList(n.Nodes)
	case *filter.Or:
		return "Or" + dumpList(n.Nodes)
	case *filter.Not:
		return "Not(" + dump(n.Node) + ")"
	case *filter.Cond:
		return fmt.Sprintf("Cond{%s %#v %s %#v %#v}", n.Field.Name, n.Path, n.Op, n.Value, n.Values)
	}
	return fmt.Sprintf("%#v", n)
}

func dumpList(ns []filter.Node) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = dump(n)
	}
	return "[" + strings.Join(s, ", ") + "]"
}

var badCases = []struct {
	name string
	in   string
	path string
	msg  string // substring of the message
}{
	// Document.
	{"malformed", `{"status":`, "", "invalid JSON"},
	{"malformed trailing comma", `{"status":"a",}`, "", "invalid JSON"},
	{"trailing data", `{} {}`, "", "invalid JSON"},
	{"not object array", `[{"status":"a"}]`, "", "must be a JSON object"},
	{"not object string", `"status"`, "", "must be a JSON object"},
	{"not object null", `null`, "", "must be a JSON object"},
	{"duplicate key", `{"status":"a","status":"b"}`, "status", "duplicate key"},
	{"duplicate operator", `{"status":{"$eq":"a","$eq":"b"}}`, "status.$eq", "duplicate key"},

	// Fields and operators.
	{"unknown field", `{"x":1}`, "x", `unknown field "x"`},
	{"unknown nested field", `{"$or":[{"status":"a"},{"address":"x"}]}`, "$or[1].address", `unknown field "address"`},
	{"unknown address field", `{"address.street":"x"}`, "address.street", "unknown field"},
	{"bare properties", `{"properties":{"$exists":true}}`, "properties", "properties.<path>"},
	{"unknown top operator", `{"$nor":[]}`, "$nor", `unknown operator "$nor"`},
	{"field operator at top", `{"$eq":"a"}`, "$eq", "must be applied to a field"},
	{"unknown operator", `{"status":{"$regex":"a"}}`, "status.$regex", `unknown operator "$regex"`},
	{"non-operator key", `{"status":{"eq":"a"}}`, "status.eq", `unknown operator "eq"`},
	{"mixed operator keys", `{"status":{"$eq":"a","b":1}}`, "status.b", "unknown operator"},
	{"logical op inside field", `{"status":{"$or":["a"]}}`, "status.$or", "unknown operator"},
	{"empty operator object", `{"status":{}}`, "status", "at least one operator"},
	{"unknown operator in $not", `{"$not":{"tags":{"$size":1}}}`, "$not.tags.$size", "unknown operator"},
	{"string $all", `{"status":{"$all":["a"]}}`, "status.$all", "not allowed"},
	{"enum $gt", `{"kind":{"$gt":"a"}}`, "kind.$gt", "not allowed"},
	{"enum $prefix", `{"kind":{"$prefix":"p"}}`, "kind.$prefix", "not allowed"},
	{"enum $contains", `{"source":{"$contains":"p"}}`, "source.$contains", "not allowed"},
	{"bool $in", `{"blocked":{"$in":[true]}}`, "blocked.$in", "not allowed"},
	{"bool $gt", `{"blocked":{"$gt":false}}`, "blocked.$gt", "not allowed"},
	{"time $in", `{"createdAt":{"$in":["2024-01-01T00:00:00Z"]}}`, "createdAt.$in", "not allowed"},
	{"time $prefix", `{"createdAt":{"$prefix":"2024"}}`, "createdAt.$prefix", "not allowed"},
	{"tags $gt", `{"tags":{"$gt":"a"}}`, "tags.$gt", "not allowed"},
	{"tags $prefix", `{"tags":{"$prefix":"a"}}`, "tags.$prefix", "not allowed"},
	{"phones $prefix", `{"phones":{"$prefix":"+1"}}`, "phones.$prefix", "not allowed"},
	{"phones $contains", `{"phones":{"$contains":"555"}}`, "phones.$contains", "not allowed"},
	{"emails $contains", `{"emails":{"$contains":"x"}}`, "emails.$contains", "not allowed"},
	{"props $all", `{"properties.x":{"$all":[1]}}`, "properties.x.$all", "not allowed"},

	// Type mismatches per type.
	{"string number", `{"lastName":1}`, "lastName", "must be a string"},
	{"string bool", `{"lastName":{"$ne":true}}`, "lastName.$ne", "must be a string"},
	{"string array bare", `{"lastName":["a"]}`, "lastName", "must be a string"},
	{"string $in element", `{"status":{"$in":["a",2]}}`, "status.$in[1]", "must be a string"},
	{"string $in null element", `{"status":{"$in":[null]}}`, "status.$in[0]", "must be a string"},
	{"string $gt null", `{"lastName":{"$gt":null}}`, "lastName.$gt", "must be a string"},
	{"string NUL", `{"lastName":"a\u0000b"}`, "lastName", "NUL"},
	{"enum bad value", `{"kind":"robot"}`, "kind", "must be one of person, organization"},
	{"enum bad case", `{"source":"API"}`, "source", "must be one of"},
	{"enum bad in element", `{"contactType":{"$in":["company","x"]}}`, "contactType.$in[1]", "must be one of"},
	{"enum number", `{"kind":1}`, "kind", "must be a string"},
	{"bool string", `{"doNotCall":"false"}`, "doNotCall", "must be a boolean"},
	{"bool null", `{"doNotCall":null}`, "doNotCall", "must be a boolean"},
	{"bool $ne number", `{"blocked":{"$ne":0}}`, "blocked.$ne", "must be a boolean"},
	{"time number", `{"createdAt":1700000000}`, "createdAt", "RFC 3339"},
	{"bad timestamp", `{"createdAt":{"$gte":"2024-01-01"}}`, "createdAt.$gte", "RFC 3339"},
	{"bad timestamp in $or", `{"$or":[{"status":"a"},{"updatedAt":{"$lt":"yesterday"}}]}`, "$or[1].updatedAt.$lt", "RFC 3339"},
	{"bad timestamp month", `{"deletedAt":"2024-13-01T00:00:00Z"}`, "deletedAt", "RFC 3339"},
	{"tags number", `{"tags":{"$all":["a",1]}}`, "tags.$all[1]", "must be a string"},
	{"tags empty", `{"tags":"  "}`, "tags", "must not be empty"},
	{"emails bool", `{"emails":true}`, "emails", "must be a string"},
	{"emails empty", `{"emails":{"$in":["a@b.c",""]}}`, "emails.$in[1]", "must not be empty"},
	{"phones number", `{"phones":4155552671}`, "phones", "must be a string"},
	{"bad phone", `{"phones":"call me"}`, "phones", "is not a phone number"},
	{"bad phone in $in", `{"phones":{"$in":["+14155552671","12"]}}`, "phones.$in[1]", "is not a phone number"},
	{"props object", `{"properties.x":{"a":1}}`, "properties.x", "compare properties with scalar values"},
	{"props empty object", `{"properties.x":{}}`, "properties.x", "compare properties with scalar values"},
	{"props array", `{"properties.x":[1]}`, "properties.x", "compare properties with scalar values"},
	{"props $eq object", `{"properties.x":{"$eq":{"a":1}}}`, "properties.x.$eq", "compare properties with scalar values"},
	{"props $in array element", `{"properties.x":{"$in":[[1]]}}`, "properties.x.$in[0]", "compare properties with scalar values"},
	{"props $gt bool", `{"properties.x":{"$gt":true}}`, "properties.x.$gt", "must be a number or a string"},
	{"props $lte null", `{"properties.x":{"$lte":null}}`, "properties.x.$lte", "must be a number or a string"},
	{"props $prefix number", `{"properties.x":{"$prefix":1}}`, "properties.x.$prefix", "must be a string"},
	{"props $contains null", `{"properties.x":{"$contains":null}}`, "properties.x.$contains", "must be a string"},
	{"props huge number", `{"properties.x":1e400}`, "properties.x", "finite"},
	{"props huge negative in $in", `{"properties.x":{"$in":[1,-1e309]}}`, "properties.x.$in[1]", "finite"},

	// Property paths.
	{"props too deep", `{"properties.a.b.c.d.e.f":1}`, "properties.a.b.c.d.e.f", "more than 5 segments"},
	{"props empty segment", `{"properties.a..b":1}`, "properties.a..b", "invalid property path segment"},
	{"props trailing dot", `{"properties.":1}`, "properties.", "invalid property path segment"},
	{"props bad char", `{"properties.a b":1}`, "properties.a b", "invalid property path segment"},
	{"props long segment", `{"properties.` + strings.Repeat("x", 65) + `":1}`, "properties." + strings.Repeat("x", 65), "invalid property path segment"},

	// Operator operands.
	{"$exists string", `{"status":{"$exists":"yes"}}`, "status.$exists", "must be a boolean"},
	{"$exists props", `{"properties.a":{"$exists":1}}`, "properties.a.$exists", "must be a boolean"},
	{"$in not array", `{"status":{"$in":"a"}}`, "status.$in", "must be an array"},
	{"$nin empty", `{"tags":{"$nin":[]}}`, "tags.$nin", "must not be empty"},
	{"$all null", `{"tags":{"$all":null}}`, "tags.$all", "must be an array"},
	{"$in too long", `{"tags":{"$in":[` + strings.TrimSuffix(strings.Repeat(`"t",`, 1001), ",") + `]}}`, "tags.$in", "1001 values"},

	// Logical operators.
	{"empty $or", `{"$or":[]}`, "$or", "must not be empty"},
	{"empty $and", `{"$and":[]}`, "$and", "must not be empty"},
	{"$or object", `{"$or":{"status":"a"}}`, "$or", "must be an array"},
	{"$and element not object", `{"$and":[{"status":"a"},"b"]}`, "$and[1]", "must be an object"},
	{"$or empty element", `{"$or":[{"status":"a"},{}]}`, "$or[1]", "must not be empty"},
	{"$not array", `{"$not":[{"status":"a"}]}`, "$not", "must be an object"},
	{"$not empty", `{"$not":{}}`, "$not", "must not be empty"},
	{"$not null", `{"$not":null}`, "$not", "must be an object"},
	{"depth 9", strings.Repeat(`{"$not":`, 9) + `{"blocked":true}` + strings.Repeat(`}`, 9),
		strings.TrimSuffix(strings.Repeat("$not.", 9), "."), "deeper than 8"},
	{"depth 9 mixed", `{"$and":[{"$or":[{"$not":{"$and":[{"$or":[{"$not":{"$and":[{"$or":[{"$not":{"blocked":true}}]}]}}]}]}}]}]}`,
		"$and[0].$or[0].$not.$and[0].$or[0].$not.$and[0].$or[0].$not", "deeper than 8"},
	{"101 clauses", clauses(101), "$and[100].tags", "more than 100 conditions"},
	{"101 clauses operators", `{"$or":[` + strings.TrimSuffix(strings.Repeat(`{"createdAt":{"$gt":"2024-01-01T00:00:00Z","$lt":"2025-01-01T00:00:00Z"}},`, 51), ",") + `]}`,
		"$or[50].createdAt.$gt", "more than 100 conditions"},
	{"first error in document order", `{"zzz":1,"aaa":2}`, "zzz", "unknown field"},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range badCases {
		t.Run(tc.name, func(t *testing.T) {
			n, err := contacts.Parse([]byte(tc.in), filter.Options{Region: "US"})
			if err == nil {
				t.Fatalf("Parse(%.200s) = %s, want error at %q", tc.in, dump(n), tc.path)
			}
			if n != nil {
				t.Errorf("node = %s alongside an error", dump(n))
			}
			fe, ok := err.(*filter.Error)
			if !ok {
				t.Fatalf("error %T %v is not *filter.Error", err, err)
			}
			if fe.Path != tc.path {
				t.Errorf("Parse(%.200s): path %q, want %q (%v)", tc.in, fe.Path, tc.path, err)
			}
			if !strings.Contains(fe.Message, tc.msg) {
				t.Errorf("Parse(%.200s): message %q, want it to contain %q", tc.in, fe.Message, tc.msg)
			}
		})
	}
}

func TestOptions(t *testing.T) {
	opt := filter.Options{MaxDepth: 2, MaxClauses: 3, MaxIn: 2}
	check := func(in, path string) {
		t.Helper()
		_, err := contacts.Parse([]byte(in), opt)
		var fe *filter.Error
		if !errors.As(err, &fe) || fe.Path != path {
			t.Errorf("Parse(%s) = %v, want error at %q", in, err, path)
		}
	}
	check(`{"$not":{"$not":{"$not":{"blocked":true}}}}`, "$not.$not.$not")
	check(`{"a.b":1}`, "a.b")
	check(`{"tags":"a","status":"b","kind":"person","blocked":true}`, "blocked")
	check(`{"tags":{"$in":["a","b","c"]}}`, "tags.$in")
	for _, in := range []string{
		`{"$not":{"$not":{"blocked":true}}}`,
		`{"tags":"a","status":"b","kind":"person"}`,
		`{"tags":{"$in":["a","b"]}}`,
	} {
		if _, err := contacts.Parse([]byte(in), opt); err != nil {
			t.Errorf("Parse(%s): %v", in, err)
		}
	}
}

func TestPhoneRegion(t *testing.T) {
	// Without a default region a national number cannot be read as US.
	n, err := contacts.Parse([]byte(`{"phones":"030 1234567"}`), filter.Options{Region: "DE"})
	if err != nil {
		t.Fatal(err)
	}
	if got := n.(*filter.Cond).Value; got != "+49301234567" {
		t.Errorf("DE national number = %v, want +49301234567", got)
	}
	_, err = contacts.Parse([]byte(`{"phones":"4155552671"}`), filter.Options{Region: "ZZZ"})
	var fe *filter.Error
	if !errors.As(err, &fe) || fe.Path != "phones" || !strings.Contains(fe.Message, "region") {
		t.Errorf("bad region: %v", err)
	}
}

func TestErrorString(t *testing.T) {
	if got := (&filter.Error{Path: "tags.$in[3]", Message: "must be a string"}).Error(); got != "filter: tags.$in[3]: must be a string" {
		t.Errorf("Error() = %q", got)
	}
	if got := (&filter.Error{Message: "filter must be a JSON object"}).Error(); got != "filter: filter must be a JSON object" {
		t.Errorf("Error() = %q", got)
	}
}
