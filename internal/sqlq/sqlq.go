// Package sqlq is what the two SQL stores share: the compiler of the
// domain's list queries (contactd.ContactQuery, contactd.Query: filters,
// full-text search, sort and keyset pagination) into SQL for both, and the
// stored forms of the domain's objects (stored.go). The two dialects differ only
// in placeholders, JSON access and a few functions; the schema (contact
// columns, side tables) is the same.
//
// No input becomes SQL text: every value, JSON path included, is a
// parameter. Column names come from fixed tables in this package, one per
// listed table, which map the domain's field names to columns.
package sqlq

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/filter"
)

// Dialect is one database's flavour of SQL.
type Dialect struct {
	// Name is "sqlite" or "postgres".
	Name string
	// placeholder returns the n-th (1-based) parameter placeholder.
	placeholder func(n int) string
	// timeArg converts a time to the stored representation.
	timeArg func(t time.Time) any
	// contains returns an expression that is true when needle occurs in hay.
	contains func(hay, needle string) string
	// prop returns a JSON path argument for properties.<path>.
	propPath func(path []string) any
	// propType returns the JSON type of the property at a path parameter,
	// normalized to "string", "number", "boolean", "null", or NULL when
	// missing.
	propType func(p string) string
	// propText returns the property at a path parameter as text.
	propText func(p string) string
	// propNumber returns the property at a path parameter as a number,
	// NULL unless it is a JSON number.
	propNumber func(p string) string
	// addresses returns "FROM … WHERE" for the addresses of contact c, with
	// field(name) giving an address field's text.
	addressFrom  string
	addressField func(name string) string
	// docText reads a text field of the contact's document at a fixed
	// path, '' when absent.
	docText func(path []string) string
	// boolArg converts a bool to a parameter.
	boolArg func(b bool) any
	// bytewise follows a text expression so that it orders by bytes, as
	// the text columns do, whatever the database's collation.
	bytewise string
	// digitsIn returns the condition that phone row p's digits (e164
	// without its "+") contain the three or more digits t, answered by the
	// store's trigram index of them.
	digitsIn func(b *Builder, t string) string
	// indexedBy names the index a table of a query must be read through
	// (" INDEXED BY name"), where the planner might pick another plan on
	// statistics that are stale or absent; "" where it cannot be said.
	indexedBy func(name string) string
	// seeksContactTerms says that a range of terms in a lookup of one
	// contact's terms may be given as is (see contactTermIn).
	seeksContactTerms bool
	// surely marks a condition that holds for almost every row it is
	// checked on, so that the planner does not read an index by it.
	surely func(cond string) string
	// crossJoin joins tables in the order written ("CROSS JOIN" in SQLite),
	// or as the planner sees fit.
	crossJoin string
}

// SQLite is the dialect of the SQLite store.
var SQLite = &Dialect{
	Name: "sqlite",
	// contact_phone_digits, FTS5 with the trigram tokenizer, is keyed by
	// contact_phones' rid (migrations 00004, 00013).
	digitsIn: func(b *Builder, t string) string {
		return "p.rid IN (SELECT rowid FROM contact_phone_digits WHERE contact_phone_digits MATCH " + b.Arg(`"`+t+`"`) + ")"
	},
	// Numbered, so that a placeholder may be used more than once (a
	// property path appears several times in one condition).
	placeholder: func(n int) string { return "?" + strconv.Itoa(n) },
	timeArg:     func(t time.Time) any { return t.UTC().Format(TimeFormat) },
	contains:    func(hay, needle string) string { return "instr(" + hay + ", " + needle + ") > 0" },
	propPath: func(path []string) any {
		var b strings.Builder
		b.WriteString("$.properties")
		for _, s := range path {
			b.WriteString(`."` + s + `"`)
		}
		return b.String()
	},
	propType: func(p string) string {
		return "(CASE json_type(c.doc, " + p + ") WHEN 'text' THEN 'string' WHEN 'integer' THEN 'number' WHEN 'real' THEN 'number' " +
			"WHEN 'true' THEN 'boolean' WHEN 'false' THEN 'boolean' WHEN 'null' THEN 'null' ELSE json_type(c.doc, " + p + ") END)"
	},
	propText: func(p string) string { return "json_extract(c.doc, " + p + ")" },
	propNumber: func(p string) string {
		return "(CASE WHEN json_type(c.doc, " + p + ") IN ('integer', 'real') THEN json_extract(c.doc, " + p + ") END)"
	},
	addressFrom:  "json_each(c.doc, '$.addresses') a",
	addressField: func(name string) string { return "COALESCE(json_extract(a.value, '$." + name + "'), '')" },
	docText: func(path []string) string {
		p := "$"
		for _, s := range path {
			if _, err := strconv.Atoi(s); err == nil {
				p += "[" + s + "]"
			} else {
				p += "." + s
			}
		}
		return "COALESCE(json_extract(c.doc, '" + p + "'), '')"
	},
	boolArg: func(b bool) any {
		if b {
			return 1
		}
		return 0
	},
	indexedBy:         func(name string) string { return " INDEXED BY " + name },
	surely:            func(cond string) string { return "likelihood(" + cond + ", 0.99)" },
	seeksContactTerms: true,
	crossJoin:         "CROSS JOIN",
}

// Postgres is the dialect of the PostgreSQL store.
var Postgres = &Dialect{
	Name:        "postgres",
	placeholder: func(n int) string { return "$" + strconv.Itoa(n) },
	// contact_phones_digits, pg_trgm's GIN index (migration 00012).
	digitsIn: func(b *Builder, t string) string { return "substr(p.e164, 2) LIKE " + b.Arg("%"+t+"%") },
	timeArg:  func(t time.Time) any { return t.UTC() },
	contains: func(hay, needle string) string { return "strpos(" + hay + ", " + needle + ") > 0" },
	propPath: func(path []string) any {
		return append([]string{"properties"}, path...)
	},
	propType: func(p string) string { return "jsonb_typeof(c.doc #> " + p + "::text[])" },
	propText: func(p string) string { return "(c.doc #>> " + p + "::text[])" },
	propNumber: func(p string) string {
		return "(CASE WHEN jsonb_typeof(c.doc #> " + p + "::text[]) = 'number' THEN (c.doc #>> " + p + "::text[])::numeric END)"
	},
	addressFrom:  "jsonb_array_elements(CASE WHEN jsonb_typeof(c.doc->'addresses') = 'array' THEN c.doc->'addresses' ELSE '[]'::jsonb END) a",
	addressField: func(name string) string { return "COALESCE(a->>'" + name + "', '')" },
	docText: func(path []string) string {
		return "COALESCE(c.doc #>> '{" + strings.Join(path, ",") + "}', '')" + ` COLLATE "C"`
	},
	boolArg:   func(b bool) any { return b },
	bytewise:  ` COLLATE "C"`,
	indexedBy: func(string) string { return "" },
	surely:    func(cond string) string { return cond },
	crossJoin: "JOIN",
}

// TimeFormat is how the SQLite store writes timestamps: fixed width, so
// that text order is time order (contactd's JSON form).
const TimeFormat = contactd.TimeFormat

// Builder accumulates SQL text and its parameters.
type Builder struct {
	d    *Dialect
	t    *table // the table being listed; contacts unless set
	args []any
	// tenant is the placeholder of the list's tenant id, once from has
	// added it.
	tenant string
	// fromValues selects contacts having a side-table value from the side
	// table's index by value (c.id IN (…)) instead of probing the side
	// table for each contact (EXISTS). A count wants the former, as it
	// visits only the contacts that have the value; a page in sort order
	// the latter, as it walks the sort index and stops at the limit (with
	// IN, SQLite reads and sorts every contact having the value).
	fromValues bool
	// total is set when the list query built ends with a column counting
	// the whole list.
	total bool
}

// HasTotal reports whether the list query built last has a third column,
// the number of rows in the whole list (a ranked search counts its matches
// while ordering them).
func (b *Builder) HasTotal() bool { return b.total }

// NewBuilder returns a builder for a dialect.
func NewBuilder(d *Dialect) *Builder { return &Builder{d: d, t: contacts} }

// table is what the compiler knows of a listed table: how the domain's
// field names map to its columns.
type table struct {
	// name and alias are the table's, as FROM names it.
	name, alias string
	// columns maps scalar filter fields to column expressions.
	columns map[string]string
	// sorts maps sortable fields to columns, each NOT NULL, so that keyset
	// comparisons need no NULL handling.
	sorts map[string]string
	// arrays maps list fields to the side table and column holding their
	// values.
	arrays map[string][2]string
	// arrayKinds restricts a list field's side-table rows (x) to those of
	// the field, in a table holding several (contact_codes).
	arrayKinds map[string]string
	// docs maps fields read from the document to their paths (fixed
	// text, compiled into the statement).
	docs map[string][]string
	// addresses is set when address.<field> reads the document's
	// addresses, "any address" semantics.
	addresses bool
	// properties is set when properties.<path> reads the contact's
	// custom fields.
	properties bool
}

// contacts is the contacts table c.
var contacts = &table{name: "contacts", alias: "c",
	columns: map[string]string{
		"id": "c.id", "kind": "c.kind", "contactType": "c.contact_type", "firstName": "c.first_name",
		"lastName": "c.last_name", "displayName": "c.display_name", "company": "c.company",
		"department": "c.department", "jobTitle": "c.job_title", "status": "c.status", "source": "c.source",
		"ownerId": "c.owner_id", "accountId": "c.account_id", "externalId": "COALESCE(c.external_id, '')",
		"doNotCall": "c.do_not_call", "emailOptOut": "c.email_opt_out", "smsOptOut": "c.sms_opt_out",
		"blocked": "c.blocked", "unknown": "c.is_unknown",
		"createdAt": "c.created_at", "updatedAt": "c.updated_at", "deletedAt": "c.deleted_at",
		// (Not a filter field of the API: the directory's lists select by it.)
		"directory": "c.directory",
	},
	sorts: map[string]string{
		"id": "c.id", "displayName": "c.display_name", "firstName": "c.first_name", "lastName": "c.last_name",
		"company": "c.company", "department": "c.department", "jobTitle": "c.job_title", "status": "c.status",
		"ownerId": "c.owner_id", "kind": "c.kind", "createdAt": "c.created_at", "updatedAt": "c.updated_at",
	},
	arrays: map[string][2]string{
		"tags":     {"contact_tags", "tag"},
		"segments": {"segment_members", "segment_id"},
		"phones":   {"contact_phones", "e164"},
		"emails":   {"contact_emails", "address"},
		// Extensions match an extension or a fully qualified one.
		"extensions":       {"contact_codes", "code"},
		"links.type":       {"contact_codes", "scope"},
		"links.externalId": {"contact_codes", "code"},
	},
	arrayKinds: map[string]string{
		"extensions":       "x.kind IN ('" + CodeExtension + "', '" + CodeFQExtension + "')",
		"links.type":       "x.kind = '" + CodeLink + "'",
		"links.externalId": "x.kind = '" + CodeLink + "'",
	},
	docs: map[string][]string{
		"site.id": {"site", "id"}, "pbx.id": {"pbx", "id"}, "location": {"location"},
		"subscription.type": {"subscription", "type"},
		// Sorting by extensions is by the first one.
		"extensions": {"extensions", "0", "extension"},
	},
	addresses: true, properties: true,
}

// accounts is the accounts table a.
var accounts = &table{name: "accounts", alias: "a",
	columns: map[string]string{
		"id": "a.id", "name": "a.name", "domain": "a.domain", "externalId": "COALESCE(a.external_id, '')",
		"createdAt": "a.created_at", "updatedAt": "a.updated_at",
	},
	sorts: map[string]string{
		"id": "a.id", "name": "a.name", "domain": "a.domain", "createdAt": "a.created_at", "updatedAt": "a.updated_at",
	},
}

// Arg adds a parameter and returns its placeholder.
func (b *Builder) Arg(v any) string {
	b.args = append(b.args, v)
	return b.d.placeholder(len(b.args))
}

// Args returns the parameters added so far.
func (b *Builder) Args() []any { return b.args }

var comparisons = map[filter.Op]string{
	filter.OpEq: "=", filter.OpNe: "<>", filter.OpGt: ">", filter.OpGte: ">=", filter.OpLt: "<", filter.OpLte: "<=",
}

// Filter compiles a filter to a boolean SQL expression over the listed
// table (contacts c unless a list of another table is being built).
func (b *Builder) Filter(n filter.Node) string {
	switch n := n.(type) {
	case nil:
		return "1 = 1"
	case *filter.And:
		return b.join(n.Nodes, " AND ")
	case *filter.Or:
		return b.join(n.Nodes, " OR ")
	case *filter.Not:
		// A condition on an absent value is NULL in SQL, and NOT NULL is
		// NULL too; but such a condition is false, so its negation is true.
		return "NOT COALESCE((" + b.Filter(n.Node) + "), 1 = 0)"
	case *filter.Cond:
		return b.cond(n)
	}
	panic(fmt.Sprintf("sqlq: unknown filter node %T", n))
}

func (b *Builder) join(nodes []filter.Node, sep string) string {
	parts := make([]string, len(nodes))
	for i, n := range nodes {
		parts[i] = "(" + b.Filter(n) + ")"
	}
	return strings.Join(parts, sep)
}

func (b *Builder) cond(c *filter.Cond) string {
	if c.Field.Name == "directory" && b.t.name == "contacts" {
		return directoryCond(c)
	}
	if col, ok := b.t.columns[c.Field.Name]; ok {
		return b.scalarCond(col, c)
	}
	if path, ok := b.t.docs[c.Field.Name]; ok && c.Field.Type != filter.StringArray {
		return b.scalarCond(b.d.docText(path), c)
	}
	switch {
	case c.Field.Type == filter.StringArray || c.Field.Type == filter.PhoneArray || c.Field.Type == filter.EmailArray:
		if _, ok := b.t.arrays[c.Field.Name]; ok {
			return b.arrayCond(c)
		}
	case c.Field.Type == filter.JSON && b.t.properties:
		return b.propCond(c)
	case strings.HasPrefix(c.Field.Name, "address.") && b.t.addresses:
		return b.addressCond(c)
	}
	panic(fmt.Sprintf("sqlq: %s has no filter field %q", b.t.name, c.Field.Name))
}

// directoryCond compiles the directory's selection (contactd.Service
// builds it, never a client) with its values in the text, and with the
// condition of the partial index contacts_directory (directory > 0), so
// that SQLite may use that index at all: it proves a partial index's
// condition only from the same text, never from parameters.
func directoryCond(c *filter.Cond) string {
	vals := c.Values
	if c.Op == filter.OpEq {
		vals = []any{c.Value}
	}
	parts := make([]string, 0, len(vals))
	for _, v := range vals {
		n, ok := v.(int)
		if !ok || n <= 0 {
			panic(fmt.Sprintf("sqlq: directory level %v", v))
		}
		parts = append(parts, strconv.Itoa(n))
	}
	return "c.directory > 0 AND c.directory IN (" + strings.Join(parts, ", ") + ")"
}

// hasDirectory reports whether a filter selects a directory: its
// selection alone, or with others under a top-level $and.
func hasDirectory(n filter.Node) bool {
	switch n := n.(type) {
	case *filter.Cond:
		return n.Field.Name == "directory"
	case *filter.And:
		return slices.ContainsFunc(n.Nodes, hasDirectory)
	}
	return false
}

// value converts a filter operand of a scalar field to a parameter.
func (b *Builder) value(t filter.Type, v any) string {
	switch v := v.(type) {
	case time.Time:
		return b.Arg(b.d.timeArg(v))
	case bool:
		return b.Arg(b.d.boolArg(v))
	}
	return b.Arg(v)
}

func (b *Builder) list(t filter.Type, vs []any) string {
	ps := make([]string, len(vs))
	for i, v := range vs {
		ps[i] = b.value(t, v)
	}
	return "(" + strings.Join(ps, ", ") + ")"
}

func (b *Builder) scalarCond(col string, c *filter.Cond) string {
	t := c.Field.Type
	switch c.Op {
	case filter.OpExists:
		want := c.Value.(bool)
		switch {
		case t == filter.Bool || c.Field.Name == "createdAt" || c.Field.Name == "updatedAt":
			return boolConst(want) // always present
		case t == filter.Time:
			if want {
				return col + " IS NOT NULL"
			}
			return col + " IS NULL"
		case want:
			return col + " <> ''"
		default:
			return col + " = ''"
		}
	case filter.OpIn:
		return col + " IN " + b.list(t, c.Values)
	case filter.OpNin:
		return col + " NOT IN " + b.list(t, c.Values)
	case filter.OpPrefix:
		s := c.Value.(string)
		return "substr(" + col + ", 1, " + b.Arg(len([]rune(s))) + ") = " + b.Arg(s)
	case filter.OpContains:
		return b.d.contains(col, b.Arg(c.Value))
	}
	op := comparisons[c.Op]
	if t == filter.Time && c.Op == filter.OpNe && c.Field.Name == "deletedAt" {
		return "(" + col + " IS NULL OR " + col + " <> " + b.value(t, c.Value) + ")"
	}
	if t == filter.String && isRange(c.Op) {
		col += b.d.bytewise
	}
	return col + " " + op + " " + b.value(t, c.Value)
}

func boolConst(v bool) string {
	if v {
		return "1 = 1"
	}
	return "1 = 0"
}

// arrayCond compiles a condition on a list field: $eq means "contains".
func (b *Builder) arrayCond(c *filter.Cond) string {
	tc := b.t.arrays[c.Field.Name]
	norm := func(v any) any {
		if c.Field.Name == "tags" {
			return strings.ToLower(v.(string))
		}
		return v
	}
	exists := func(pred string) string {
		if !b.fromValues || c.Field.Name == "emails" || b.tenant == "" {
			// (Emails are always probed per contact: the only index by
			// address is partial, live = 1.)
			s := "EXISTS (SELECT 1 FROM " + tc[0] + " x WHERE x.tenant_id = c.tenant_id AND x.contact_id = c.id"
			if pred != "" {
				s += " AND " + pred
			}
			return s + ")"
		}
		s := "c.id IN (SELECT x.contact_id FROM " + tc[0] + " x WHERE x.tenant_id = " + b.tenant
		if pred != "" {
			s += " AND " + pred
		}
		return s + ")"
	}
	if k := b.t.arrayKinds[c.Field.Name]; k != "" {
		inner := exists
		exists = func(pred string) string {
			if pred == "" {
				return inner(k)
			}
			return inner(k + " AND " + pred)
		}
	}
	col := "x." + tc[1]
	switch c.Op {
	case filter.OpEq:
		return exists(col + " = " + b.Arg(norm(c.Value)))
	case filter.OpNe:
		return "NOT " + exists(col+" = "+b.Arg(norm(c.Value)))
	case filter.OpIn, filter.OpNin:
		ps := make([]string, len(c.Values))
		for i, v := range c.Values {
			ps[i] = b.Arg(norm(v))
		}
		e := exists(col + " IN (" + strings.Join(ps, ", ") + ")")
		if c.Op == filter.OpNin {
			return "NOT " + e
		}
		return e
	case filter.OpAll:
		parts := make([]string, len(c.Values))
		for i, v := range c.Values {
			parts[i] = exists(col + " = " + b.Arg(norm(v)))
		}
		return strings.Join(parts, " AND ")
	case filter.OpExists:
		if c.Value.(bool) {
			return exists("")
		}
		return "NOT " + exists("")
	case filter.OpPrefix:
		s := norm(c.Value).(string)
		return exists("substr(" + col + ", 1, " + b.Arg(len([]rune(s))) + ") = " + b.Arg(s))
	}
	panic(fmt.Sprintf("sqlq: operator %s on %s", c.Op, c.Field.Name))
}

// addressCond compiles a condition on an address field: true when any
// address satisfies it ($ne and $nin: when none has the value).
func (b *Builder) addressCond(c *filter.Cond) string {
	field := b.d.addressField(strings.TrimPrefix(c.Field.Name, "address."))
	any := func(pred string) string {
		return "EXISTS (SELECT 1 FROM " + b.d.addressFrom + " WHERE " + pred + ")"
	}
	switch c.Op {
	case filter.OpNe:
		return "NOT " + any(field+" = "+b.Arg(c.Value))
	case filter.OpNin:
		return "NOT " + any(field+" IN "+b.list(filter.String, c.Values))
	case filter.OpExists:
		if c.Value.(bool) {
			return any(field + " <> ''")
		}
		return "NOT " + any(field+" <> ''")
	}
	return any(b.scalarCond(field, c))
}

// propCond compiles a condition on properties.<path>, comparing values of
// the same JSON type only.
func (b *Builder) propCond(c *filter.Cond) string {
	path := b.Arg(b.d.propPath(c.Path))
	typ := b.d.propType(path)
	eq := func(v any) string {
		switch v := v.(type) {
		case nil:
			return typ + " = 'null'"
		case bool:
			return "(" + typ + " = 'boolean' AND " + b.d.propText(path) + " = " + b.Arg(boolText(b.d, v)) + ")"
		case float64:
			return b.d.propNumber(path) + " = " + b.Arg(v)
		default:
			return "(" + typ + " = 'string' AND " + b.d.propText(path) + " = " + b.Arg(v) + ")"
		}
	}
	switch c.Op {
	case filter.OpExists:
		if c.Value.(bool) {
			return typ + " IS NOT NULL"
		}
		return typ + " IS NULL"
	case filter.OpEq:
		return eq(c.Value)
	case filter.OpNe:
		return "NOT COALESCE(" + eq(c.Value) + ", 1 = 0)"
	case filter.OpIn, filter.OpNin:
		parts := make([]string, len(c.Values))
		for i, v := range c.Values {
			parts[i] = eq(v)
		}
		e := "(" + strings.Join(parts, " OR ") + ")"
		if c.Op == filter.OpNin {
			return "NOT COALESCE(" + e + ", 1 = 0)"
		}
		return e
	case filter.OpPrefix:
		s := c.Value.(string)
		return "(" + typ + " = 'string' AND substr(" + b.d.propText(path) + ", 1, " + b.Arg(len([]rune(s))) + ") = " + b.Arg(s) + ")"
	case filter.OpContains:
		return "(" + typ + " = 'string' AND " + b.d.contains(b.d.propText(path), b.Arg(c.Value)) + ")"
	}
	op := comparisons[c.Op]
	if f, ok := c.Value.(float64); ok {
		return b.d.propNumber(path) + " " + op + " " + b.Arg(f)
	}
	return "(" + typ + " = 'string' AND " + b.d.propText(path) + b.d.bytewise + " " + op + " " + b.Arg(c.Value) + ")"
}

// isRange reports whether an operator orders values.
func isRange(op filter.Op) bool {
	return op == filter.OpGt || op == filter.OpGte || op == filter.OpLt || op == filter.OpLte
}

// boolText is how a JSON boolean reads as text in the dialect.
func boolText(d *Dialect, v bool) any {
	if d.Name == "sqlite" {
		if v {
			return 1
		}
		return 0
	}
	return strconv.FormatBool(v)
}
