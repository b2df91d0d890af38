package sqlq_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/filter"
	"github.com/contactd/contactd/internal/sqlq"
)

var dialects = []*sqlq.Dialect{sqlq.SQLite, sqlq.Postgres}

// hostile strings: none may ever reach the SQL text.
var hostile = []string{
	`x' OR 1=1 --`,
	`'; DROP TABLE contacts; --`,
	`") OR ("1"="1`,
	`$1 OR 1=1`,
	`?1 OR 1=1`,
	`\'; SELECT pg_sleep(10); --`,
	"tab\tnew\nline\x1a",
	`Robert'); DELETE FROM contact_terms WHERE ('1'='1`,
}

func parse(t *testing.T, doc string) filter.Node {
	t.Helper()
	n, err := contactd.ContactFilter.Parse([]byte(doc), filter.Options{Region: "US"})
	if err != nil {
		t.Fatalf("parse %s: %v", doc, err)
	}
	return n
}

// quoted returns a JSON string literal.
func quoted(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// literals are the only SQL string literals the compiler may write: fixed
// text of its own, never input.
var literals = map[string]bool{
	"'text'": true, "'string'": true, "'integer'": true, "'number'": true, "'real'": true, "'true'": true,
	"'false'": true, "'boolean'": true, "'null'": true, "'array'": true, "'[]'": true, "''": true,
	"'$.addresses'": true, "'addresses'": true,
	"'$.country'": true, "'$.city'": true, "'$.state'": true, "'$.postalCode'": true,
	"'country'": true, "'city'": true, "'state'": true, "'postalCode'": true,
}

var literalRE = regexp.MustCompile(`'[^']*'`)

// checkPlaceholders checks that the SQL's placeholders are exactly 1..n
// for n arguments, each used at least once, in the dialect's syntax.
func checkPlaceholders(t *testing.T, d *sqlq.Dialect, sql string, nargs int) {
	t.Helper()
	mark := "$"
	if d == sqlq.SQLite {
		mark = "?"
		// Positional "?" cannot be reused; every placeholder is numbered.
		if regexp.MustCompile(`\?(\D|$)`).MatchString(sql) {
			t.Errorf("%s: an unnumbered ? placeholder in %s", d.Name, sql)
		}
	}
	re := regexp.MustCompile(regexp.QuoteMeta(mark) + `(\d+)`)
	used := map[int]bool{}
	for _, m := range re.FindAllStringSubmatch(sql, -1) {
		n, _ := strconv.Atoi(m[1])
		if n < 1 || n > nargs {
			t.Errorf("%s: placeholder %s%d but %d args in %s", d.Name, mark, n, nargs, sql)
		}
		used[n] = true
	}
	for i := 1; i <= nargs; i++ {
		if !used[i] {
			t.Errorf("%s: argument %d is never used in %s", d.Name, i, sql)
		}
	}
}

// checkNoInput checks that no hostile string, nor any literal not of the
// compiler's own, appears in the SQL text.
func checkNoInput(t *testing.T, d *sqlq.Dialect, sql string) {
	t.Helper()
	for _, h := range hostile {
		if strings.Contains(sql, h) {
			t.Errorf("%s: input %q in the SQL text: %s", d.Name, h, sql)
		}
	}
	for _, l := range literalRE.FindAllString(sql, -1) {
		if !literals[l] {
			t.Errorf("%s: unexpected literal %s in the SQL text: %s", d.Name, l, sql)
		}
	}
	for _, bad := range []string{"--", ";", "/*", "\n", "DROP", "DELETE", "pg_sleep"} {
		if strings.Contains(sql, bad) {
			t.Errorf("%s: %q in the SQL text: %s", d.Name, bad, sql)
		}
	}
}

// argStrings flattens the string arguments (and string slices) of a query.
func argStrings(args []any) []string {
	var out []string
	for _, a := range args {
		switch a := a.(type) {
		case string:
			out = append(out, a)
		case []string:
			out = append(out, a...)
		}
	}
	return out
}

// hostileFilters returns filter documents over every field type and
// operator with the hostile string h as the value.
func hostileFilters(h string) []string {
	q := quoted(h)
	var docs []string
	for _, f := range []string{"id", "firstName", "lastName", "displayName", "company", "department", "jobTitle",
		"status", "ownerId", "accountId", "externalId", "address.country", "address.city", "address.state", "address.postalCode"} {
		for _, op := range []string{"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$prefix", "$contains"} {
			docs = append(docs, fmt.Sprintf(`{%q:{%q:%s}}`, f, op, q))
		}
		for _, op := range []string{"$in", "$nin"} {
			docs = append(docs, fmt.Sprintf(`{%q:{%q:["a",%s]}}`, f, op, q))
		}
	}
	for _, f := range []string{"tags", "segments", "emails"} {
		for _, op := range []string{"$eq", "$ne"} {
			docs = append(docs, fmt.Sprintf(`{%q:{%q:%s}}`, f, op, q))
		}
		for _, op := range []string{"$in", "$nin", "$all"} {
			docs = append(docs, fmt.Sprintf(`{%q:{%q:[%s,"b"]}}`, f, op, q))
		}
	}
	docs = append(docs, fmt.Sprintf(`{"emails":{"$prefix":%s}}`, q))
	for _, op := range []string{"$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$prefix", "$contains"} {
		docs = append(docs, fmt.Sprintf(`{"properties.a.b-c_d":{%q:%s}}`, op, q))
	}
	docs = append(docs,
		fmt.Sprintf(`{"properties.x":{"$in":[1,true,null,%s]}}`, q),
		fmt.Sprintf(`{"properties.x":{"$nin":[%s]}}`, q),
		fmt.Sprintf(`{"$or":[{"firstName":%s},{"$not":{"tags":%s}}],"$and":[{"company":{"$prefix":%s}},{"address.city":%s}]}`, q, q, q, q),
	)
	return docs
}

func TestNoInputInSQL(t *testing.T) {
	t.Parallel()
	for _, h := range hostile {
		for _, doc := range hostileFilters(h) {
			node := parse(t, doc)
			for _, d := range dialects {
				q := contactd.ContactQuery{Query: contactd.Query{
					TenantID: h, Filter: node, Limit: 10, Offset: 20,
					Sort:  []contactd.SortKey{{Field: "lastName", Desc: true}, {Field: "updatedAt"}, {Field: "id"}},
					After: []any{h, time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.UTC), h},
				}, Terms: []string{h, "ann"}}
				for _, rank := range []bool{false, true} {
					q.Rank = rank
					b := sqlq.NewBuilder(d)
					sql := b.List(q)
					checkNoInput(t, d, sql)
					checkPlaceholders(t, d, sql, len(b.Args()))
					strs := argStrings(b.Args())
					if !slices.ContainsFunc(strs, func(s string) bool { return strings.EqualFold(s, h) }) {
						t.Errorf("%s: %q is not among the args %q of %s", d.Name, h, strs, doc)
					}

					c := sqlq.NewBuilder(d)
					sql = c.Count(q)
					checkNoInput(t, d, sql)
					checkPlaceholders(t, d, sql, len(c.Args()))
				}
			}
		}
	}
}

func TestPlaceholdersEveryOperator(t *testing.T) {
	t.Parallel()
	docs := []string{
		`{"kind":"person","contactType":{"$in":["company","service"]},"source":{"$nin":["api"]},"$and":[{"kind":{"$exists":true}}]}`,
		`{"doNotCall":true,"emailOptOut":{"$ne":false},"blocked":{"$exists":true},"unknown":false,"smsOptOut":true}`,
		`{"createdAt":{"$gt":"2024-01-01T00:00:00Z","$lte":"2025-01-01T00:00:00+02:00"},"updatedAt":"2024-06-01T12:00:00.123Z","deletedAt":{"$ne":"2024-01-01T00:00:00Z"}}`,
		`{"deletedAt":{"$exists":false},"createdAt":{"$exists":true}}`,
		`{"phones":"(415) 555-2671","$and":[{"phones":{"$all":["+14155552671","tel:+1-480-555-1212"]}}]}`,
		`{"phones":{"$in":["4155552671"],"$nin":["+442079460000"],"$ne":"+14155552671","$exists":true}}`,
		`{"tags":{"$exists":false},"emails":{"$exists":true},"segments":{"$all":["s1","s2","s3"]}}`,
		`{"properties.tier":{"$gte":2,"$lt":10},"properties.plan":{"$prefix":"g"},"properties.active":true,"properties.x":null}`,
		`{"properties.a.b.c.d":{"$exists":true},"properties.n":{"$ne":1.5},"properties.s":{"$gt":"m"}}`,
		`{"$not":{"$or":[{"properties.tier":{"$gte":2}},{"address.city":{"$exists":false}}]}}`,
		`{"address.city":{"$ne":"Paris"},"address.country":{"$nin":["FR","DE"]},"address.state":{"$exists":true},"address.postalCode":{"$gte":"7"}}`,
	}
	for _, doc := range docs {
		node := parse(t, doc)
		for _, d := range dialects {
			b := sqlq.NewBuilder(d)
			sql := b.Filter(node)
			checkPlaceholders(t, d, sql, len(b.Args()))
			checkNoInput(t, d, sql)
		}
	}
}

func TestArgs(t *testing.T) {
	t.Parallel()
	build := func(d *sqlq.Dialect, doc string) (string, []any) {
		b := sqlq.NewBuilder(d)
		sql := b.Filter(parse(t, doc))
		return sql, b.Args()
	}
	ts := time.Date(2024, 2, 3, 4, 5, 6, 789e6, time.UTC)

	// Times: text of fixed width in SQLite, time.Time in PostgreSQL.
	_, args := build(sqlq.SQLite, `{"createdAt":{"$gt":"2024-02-03T06:05:06.789+02:00"}}`)
	if !reflect.DeepEqual(args, []any{"2024-02-03T04:05:06.789Z"}) {
		t.Errorf("sqlite time args %#v", args)
	}
	_, args = build(sqlq.Postgres, `{"createdAt":{"$gt":"2024-02-03T06:05:06.789+02:00"}}`)
	if len(args) != 1 || !args[0].(time.Time).Equal(ts) || args[0].(time.Time).Location() != time.UTC {
		t.Errorf("postgres time args %#v", args)
	}

	// Booleans.
	_, args = build(sqlq.SQLite, `{"doNotCall":true,"smsOptOut":false}`)
	if !reflect.DeepEqual(args, []any{1, 0}) {
		t.Errorf("sqlite bool args %#v", args)
	}
	_, args = build(sqlq.Postgres, `{"doNotCall":true,"smsOptOut":false}`)
	if !reflect.DeepEqual(args, []any{true, false}) {
		t.Errorf("postgres bool args %#v", args)
	}

	// Tags compare lower-cased; emails are lower-cased by the parser;
	// phones are normalized to E.164.
	for _, d := range dialects {
		_, args = build(d, `{"tags":{"$all":["VIP","Enterprise"]}}`)
		if !reflect.DeepEqual(args, []any{"vip", "enterprise"}) {
			t.Errorf("%s: tag args %#v", d.Name, args)
		}
		_, args = build(d, `{"emails":{"$prefix":"Jordan@"}}`)
		if !reflect.DeepEqual(args, []any{7, "jordan@"}) {
			t.Errorf("%s: email prefix args %#v", d.Name, args)
		}
		_, args = build(d, `{"phones":{"$in":["(415) 555-2671","tel:+44-20-7946-0000"]}}`)
		if !reflect.DeepEqual(args, []any{"+14155552671", "+442079460000"}) {
			t.Errorf("%s: phone args %#v", d.Name, args)
		}
		// $prefix counts characters, not bytes.
		_, args = build(d, `{"firstName":{"$prefix":"Zoë"}}`)
		if !reflect.DeepEqual(args, []any{3, "Zoë"}) {
			t.Errorf("%s: prefix args %#v", d.Name, args)
		}
	}

	// A property path is one parameter, in each dialect's form; numbers
	// are float64, and compare only with numbers.
	sql, args := build(sqlq.SQLite, `{"properties.a.b-c":{"$gte":2}}`)
	if !reflect.DeepEqual(args, []any{`$.properties."a"."b-c"`, 2.0}) {
		t.Errorf("sqlite property args %#v", args)
	}
	if !strings.Contains(sql, "json_type(c.doc, ?1) IN ('integer', 'real')") || !strings.Contains(sql, ">= ?2") {
		t.Errorf("sqlite number comparison %s", sql)
	}
	sql, args = build(sqlq.Postgres, `{"properties.a.b-c":{"$gte":2}}`)
	if !reflect.DeepEqual(args, []any{[]string{"properties", "a", "b-c"}, 2.0}) {
		t.Errorf("postgres property args %#v", args)
	}
	if !strings.Contains(sql, "jsonb_typeof(c.doc #> $1::text[]) = 'number'") || !strings.Contains(sql, ">= $2") {
		t.Errorf("postgres number comparison %s", sql)
	}
	// A string comparison is guarded by the string type.
	for _, d := range dialects {
		sql, args = build(d, `{"properties.tier":{"$gt":"2"}}`)
		if !strings.Contains(sql, "= 'string' AND") || len(args) != 2 || args[1] != "2" {
			t.Errorf("%s: string comparison %s %#v", d.Name, sql, args)
		}
	}
	// JSON booleans read as text differently in each database.
	_, args = build(sqlq.SQLite, `{"properties.ok":true}`)
	if !reflect.DeepEqual(args[1:], []any{1}) {
		t.Errorf("sqlite property bool args %#v", args)
	}
	_, args = build(sqlq.Postgres, `{"properties.ok":false}`)
	if !reflect.DeepEqual(args[1:], []any{"false"}) {
		t.Errorf("postgres property bool args %#v", args)
	}
}

func TestFilterShapes(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		p := func(n int) string {
			if d == sqlq.SQLite {
				return "?" + strconv.Itoa(n)
			}
			return "$" + strconv.Itoa(n)
		}
		// Ordering comparisons of text are bytewise on both databases.
		bytewise := ""
		if d == sqlq.Postgres {
			bytewise = ` COLLATE "C"`
		}
		cases := []struct{ doc, want string }{
			{`{"lastName":"Kline"}`, "c.last_name = " + p(1)},
			{`{"lastName":{"$ne":"Kline"}}`, "c.last_name <> " + p(1)},
			{`{"lastName":{"$in":["a","b"]}}`, "c.last_name IN (" + p(1) + ", " + p(2) + ")"},
			{`{"lastName":{"$nin":["a"]}}`, "c.last_name NOT IN (" + p(1) + ")"},
			{`{"lastName":{"$exists":true}}`, "c.last_name <> ''"},
			{`{"lastName":null}`, "c.last_name = ''"},
			{`{"externalId":{"$exists":false}}`, "COALESCE(c.external_id, '') = ''"},
			{`{"lastName":{"$gt":"K"}}`, "c.last_name" + bytewise + " > " + p(1)},
			{`{"lastName":{"$prefix":"Kl"}}`, "substr(c.last_name, 1, " + p(1) + ") = " + p(2)},
			{`{"doNotCall":{"$exists":true}}`, "1 = 1"},
			{`{"createdAt":{"$exists":false}}`, "1 = 0"},
			{`{"deletedAt":{"$exists":true}}`, "c.deleted_at IS NOT NULL"},
			{`{"deletedAt":{"$ne":"2024-01-01T00:00:00Z"}}`, "(c.deleted_at IS NULL OR c.deleted_at <> " + p(1) + ")"},
			{`{"tags":"vip"}`, "EXISTS (SELECT 1 FROM contact_tags x WHERE x.tenant_id = c.tenant_id AND x.contact_id = c.id AND x.tag = " + p(1) + ")"},
			{`{"tags":{"$ne":"vip"}}`, "NOT EXISTS (SELECT 1 FROM contact_tags x WHERE x.tenant_id = c.tenant_id AND x.contact_id = c.id AND x.tag = " + p(1) + ")"},
			{`{"segments":{"$exists":false}}`, "NOT EXISTS (SELECT 1 FROM segment_members x WHERE x.tenant_id = c.tenant_id AND x.contact_id = c.id)"},
			{`{"phones":{"$nin":["+14155552671"]}}`, "NOT EXISTS (SELECT 1 FROM contact_phones x WHERE x.tenant_id = c.tenant_id AND x.contact_id = c.id AND x.e164 IN (" + p(1) + "))"},
			{`{"tags":{"$all":["a","b"]}}`, "EXISTS (SELECT 1 FROM contact_tags x WHERE x.tenant_id = c.tenant_id AND x.contact_id = c.id AND x.tag = " + p(1) + ") AND EXISTS (SELECT 1 FROM contact_tags x WHERE x.tenant_id = c.tenant_id AND x.contact_id = c.id AND x.tag = " + p(2) + ")"},
			{`{"$or":[{"status":"a"},{"kind":"person"}]}`, "(c.status = " + p(1) + ") OR (c.kind = " + p(2) + ")"},
			// An $or of one field's equalities is one IN, which an index answers.
			{`{"$or":[{"status":"a"},{"status":"b"}]}`, "c.status IN (" + p(1) + ", " + p(2) + ")"},
			{`{"$or":[{"tags":"a"},{"tags":"b"}]}`, "EXISTS (SELECT 1 FROM contact_tags x WHERE x.tenant_id = c.tenant_id AND x.contact_id = c.id AND x.tag IN (" + p(1) + ", " + p(2) + "))"},
			{`{"status":"a","kind":"person"}`, "(c.status = " + p(1) + ") AND (c.kind = " + p(2) + ")"},
		}
		for _, tc := range cases {
			b := sqlq.NewBuilder(d)
			if got := b.Filter(parse(t, tc.doc)); got != tc.want {
				t.Errorf("%s: %s compiles to\n %s\nwant\n %s", d.Name, tc.doc, got, tc.want)
			}
		}
		// Conditions on addresses are "any address" (and "no address" for $ne).
		b := sqlq.NewBuilder(d)
		sql := b.Filter(parse(t, `{"address.city":"Paris"}`))
		if !strings.HasPrefix(sql, "EXISTS (SELECT 1 FROM ") || !strings.HasSuffix(sql, " = "+p(1)+")") {
			t.Errorf("%s: address.city compiles to %s", d.Name, sql)
		}
		b = sqlq.NewBuilder(d)
		if sql := b.Filter(parse(t, `{"address.city":{"$ne":"Paris"}}`)); !strings.HasPrefix(sql, "NOT EXISTS (") {
			t.Errorf("%s: address.city $ne compiles to %s", d.Name, sql)
		}
		// $not is false → true also when the condition is unknown (NULL).
		b = sqlq.NewBuilder(d)
		if sql := b.Filter(parse(t, `{"$not":{"properties.tier":{"$gte":2}}}`)); !strings.HasPrefix(sql, "NOT COALESCE(") {
			t.Errorf("%s: $not compiles to %s, which is NULL for a missing property", d.Name, sql)
		}
		if sql := sqlq.NewBuilder(d).Filter(nil); sql != "1 = 1" {
			t.Errorf("%s: nil filter compiles to %s", d.Name, sql)
		}
	}
}

func TestListShape(t *testing.T) {
	t.Parallel()
	when := time.Date(2024, 5, 6, 7, 8, 9, 10e6, time.UTC)
	base := contactd.ContactQuery{Query: contactd.Query{
		TenantID: "tn_1", Limit: 3,
		Sort: []contactd.SortKey{{Field: "lastName", Desc: true}, {Field: "createdAt"}, {Field: "id"}},
	}}
	for _, d := range dialects {
		p := func(n int) string {
			if d == sqlq.SQLite {
				return "?" + strconv.Itoa(n)
			}
			return "$" + strconv.Itoa(n)
		}
		timeArg := any(when)
		if d == sqlq.SQLite {
			timeArg = "2024-05-06T07:08:09.010Z"
		}

		// First page: no keyset condition, deleted rows excluded.
		b := sqlq.NewBuilder(d)
		sql := b.List(base)
		want := "SELECT c.doc, c.display_name_set FROM contacts c WHERE c.tenant_id = " + p(1) +
			" AND c.deleted_at IS NULL ORDER BY c.last_name DESC, c.created_at, c.id LIMIT " + p(2)
		if sql != want || !reflect.DeepEqual(b.Args(), []any{"tn_1", 3}) {
			t.Errorf("%s: first page\n %s %#v\nwant\n %s", d.Name, sql, b.Args(), want)
		}

		// Later page: rows after the cursor, < for descending keys.
		q := base
		q.After = []any{"Kline", when, "ct_9"}
		q.IncludeDeleted = true
		b = sqlq.NewBuilder(d)
		sql = b.List(q)
		want = "SELECT c.doc, c.display_name_set FROM contacts c WHERE c.tenant_id = " + p(1) +
			" AND ((c.last_name < " + p(2) + ") OR (c.last_name = " + p(3) + " AND c.created_at > " + p(4) + ")" +
			" OR (c.last_name = " + p(5) + " AND c.created_at = " + p(6) + " AND c.id > " + p(7) + "))" +
			" ORDER BY c.last_name DESC, c.created_at, c.id LIMIT " + p(8)
		if sql != want {
			t.Errorf("%s: next page\n %s\nwant\n %s", d.Name, sql, want)
		}
		if wantArgs := []any{"tn_1", "Kline", "Kline", timeArg, "Kline", timeArg, "ct_9", 3}; !reflect.DeepEqual(b.Args(), wantArgs) {
			t.Errorf("%s: next page args %#v, want %#v", d.Name, b.Args(), wantArgs)
		}

		// Count ignores the cursor and the page.
		q.Offset = 30
		b = sqlq.NewBuilder(d)
		sql = b.Count(q)
		if sql != "SELECT COUNT(*) FROM contacts c WHERE c.tenant_id = "+p(1) || !reflect.DeepEqual(b.Args(), []any{"tn_1"}) {
			t.Errorf("%s: count %s %#v", d.Name, sql, b.Args())
		}

		// Offset pages.
		q = base
		q.Offset = 30
		b = sqlq.NewBuilder(d)
		if sql = b.List(q); !strings.HasSuffix(sql, " LIMIT "+p(2)+" OFFSET "+p(3)) || !reflect.DeepEqual(b.Args()[1:], []any{3, 30}) {
			t.Errorf("%s: offset page %s %#v", d.Name, sql, b.Args())
		}

		// Full-text search: every token must match (HAVING COUNT = tokens),
		// each a prefix range of live contacts' terms within the tenant;
		// ranked order ignores the sort and any cursor values, comes from
		// the term rows alone (score, then their display name), and counts
		// the matches; the contacts are read for the page only.
		q = base
		q.Terms = []string{"ann", "lee"}
		q.Rank = true
		q.After = []any{"x", when, "y"}
		q.Offset = 2
		b = sqlq.NewBuilder(d)
		sql = b.List(q)
		if !strings.HasPrefix(sql, "SELECT c.doc, c.display_name_set, r.total FROM (SELECT s.contact_id AS id, s.score AS score, s.dn AS dn, COUNT(*) OVER () AS total FROM (SELECT contact_id, SUM(best) AS score, MAX(dn) AS dn FROM (") ||
			!strings.Contains(sql, ") t GROUP BY contact_id HAVING COUNT(*) = 2) s ORDER BY score DESC, dn, id LIMIT ") ||
			strings.Count(sql, "FROM contact_terms WHERE tenant_id = ") != 2 ||
			strings.Count(sql, " AND live = "+p(1)+" GROUP BY contact_id") != 2 ||
			!strings.HasSuffix(sql, ") r JOIN contacts c ON c.tenant_id = "+p(10)+" AND c.id = r.id ORDER BY r.score DESC, r.dn, r.id") ||
			strings.Contains(sql, "c.last_name") || !b.HasTotal() {
			t.Errorf("%s: ranked search %s", d.Name, sql)
		}
		args := b.Args()
		live := any(true)
		if d.Name == "sqlite" {
			live = 1
		}
		wantArgs := []any{live, "ann", "tn_1", "ann", "ann\U0010FFFF", "lee", "tn_1", "lee", "lee\U0010FFFF", "tn_1", 3, 2}
		if !reflect.DeepEqual(args, wantArgs) {
			t.Errorf("%s: search args %#v, want %#v", d.Name, args, wantArgs)
		}
		checkPlaceholders(t, d, sql, len(args))

		// With a filter too, the contacts are joined before the page, for
		// the filter alone; with deleted contacts, every term counts.
		fq := q
		fq.Filter = parse(t, `{"company":"Acme"}`)
		fq.IncludeDeleted = true
		b = sqlq.NewBuilder(d)
		sql = b.List(fq)
		if !strings.Contains(sql, "COUNT(*) OVER () AS total FROM contacts c JOIN (SELECT contact_id, SUM(best) AS score, MAX(dn) AS dn FROM (") ||
			!strings.Contains(sql, "(c.company = ") || strings.Contains(sql, " live = ") || strings.Contains(sql, "deleted_at") || !b.HasTotal() {
			t.Errorf("%s: ranked search with a filter %s", d.Name, sql)
		}
		checkPlaceholders(t, d, sql, len(b.Args()))

		// With a sort, search keeps the keyset pagination, and the total
		// is counted apart.
		q.Rank = false
		q.Offset = 0
		b = sqlq.NewBuilder(d)
		sql = b.List(q)
		if b.HasTotal() || !strings.Contains(sql, "HAVING COUNT(*) = 2") || !strings.Contains(sql, "(c.last_name < ") ||
			!strings.Contains(sql, " ORDER BY c.last_name DESC, c.created_at, c.id LIMIT ") {
			t.Errorf("%s: sorted search %s", d.Name, sql)
		}
		checkPlaceholders(t, d, sql, len(b.Args()))
	}
}

// TestTables checks the compiler's tables against the domain's field
// tables: every sortable field of a resource has a column, every filter
// field compiles, and the columns are fixed column names.
func TestTables(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		table    string
		sortable []string
		schema   *filter.Schema
	}{
		{"contacts", contactd.ContactSortFields, contactd.ContactFilter},
		{"accounts", contactd.AccountSortFields, contactd.AccountFilter},
	} {
		sorts := sqlq.Sorts(tc.table)
		docs := sqlq.DocFields(tc.table)
		var got []string
		for f := range docs {
			if slices.Contains(tc.sortable, f) {
				got = append(got, f)
			}
		}
		for f, col := range sorts {
			got = append(got, f)
			if !regexp.MustCompile(`^[ac]\.[a-z_]+$`).MatchString(col) {
				t.Errorf("%s: sort column of %s is %q", tc.table, f, col)
			}
		}
		if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(tc.sortable))) {
			t.Errorf("%s: sort columns %v, sortable fields %v", tc.table, got, tc.sortable)
		}
		for _, f := range tc.schema.Fields() {
			_, scalar := sqlq.Columns(tc.table)[f.Name]
			_, array := sqlq.Arrays(tc.table)[f.Name]
			_, doc := docs[f.Name]
			switch {
			case scalar, array, doc, f.Type == filter.JSON && tc.table == "contacts", strings.HasPrefix(f.Name, "address.") && tc.table == "contacts":
			default:
				t.Errorf("%s: filter field %s has no column", tc.table, f.Name)
			}
		}
	}
}

// FuzzAccountFilterSQL: an account filter that parses compiles for both
// dialects with one parameter per placeholder and no input in the SQL text.
func FuzzAccountFilterSQL(f *testing.F) {
	for _, s := range []string{`{"name":"Acme"}`, `{"name":{"$prefix":"A","$in":["a","b"]}}`, `{"domain":null}`,
		`{"createdAt":{"$gte":"2024-01-01T00:00:00Z","$lt":"2025-01-01T00:00:00Z"}}`,
		`{"$or":[{"name":"a"},{"$not":{"externalId":{"$exists":true}}}]}`, `{"$and":[{"id":"acc_1"}]}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := contactd.AccountFilter.Parse(data, filter.Options{})
		if err != nil {
			return
		}
		for _, d := range dialects {
			b := sqlq.NewBuilder(d)
			q := contactd.Query{TenantID: "tn_x", Filter: n, Sort: []contactd.SortKey{{Field: "id"}}, After: []any{"acc_0"}, Limit: 10}
			sql := b.ListAccounts(q)
			checkNoInput(t, d, sql)
			checkPlaceholders(t, d, sql, len(b.Args()))
			c := sqlq.NewBuilder(d)
			sql = c.CountAccounts(q)
			checkNoInput(t, d, sql)
			checkPlaceholders(t, d, sql, len(c.Args()))
		}
	})
}

// TestBoundedCount: a count of at most CountUpTo rows stops there.
func TestBoundedCount(t *testing.T) {
	t.Parallel()
	for _, d := range dialects {
		b := sqlq.NewBuilder(d)
		q := contactd.ContactQuery{Query: contactd.Query{TenantID: "tn_1", Filter: parse(t, `{"company":"Acme"}`), CountUpTo: 1001}}
		sql := b.Count(q)
		if !strings.HasPrefix(sql, "SELECT COUNT(*) FROM (SELECT 1 FROM contacts c WHERE ") || !strings.HasSuffix(sql, ") n") ||
			b.Args()[len(b.Args())-1] != 1001 {
			t.Errorf("%s: bounded count %s %v", d.Name, sql, b.Args())
		}
		checkPlaceholders(t, d, sql, len(b.Args()))
		a := sqlq.NewBuilder(d)
		sql = a.CountAccounts(contactd.Query{TenantID: "tn_1", CountUpTo: 5})
		if !strings.HasPrefix(sql, "SELECT COUNT(*) FROM (SELECT 1 FROM accounts a WHERE ") || !reflect.DeepEqual(a.Args(), []any{"tn_1", 5}) {
			t.Errorf("%s: bounded account count %s %v", d.Name, sql, a.Args())
		}
		u := sqlq.NewBuilder(d)
		if sql := u.Count(contactd.ContactQuery{Query: contactd.Query{TenantID: "tn_1"}}); strings.Contains(sql, "LIMIT") {
			t.Errorf("%s: unbounded count %s", d.Name, sql)
		}
	}
}

// TestTagOrderedPlan: a list of live contacts that requires one tag and
// sorts by updatedAt is read from the tag's rows in order; a count that
// requires one tag reads them alone. Anything else keeps the general plan.
func TestTagOrderedPlan(t *testing.T) {
	t.Parallel()
	desc := []contactd.SortKey{{Field: "updatedAt", Desc: true}, {Field: "id", Desc: true}}
	for _, c := range []struct {
		filter  string
		sort    []contactd.SortKey
		deleted bool
		terms   []string
		ordered bool
	}{
		{`{"tags":"VIP"}`, desc, false, nil, true},
		{`{"tags":{"$in":["vip"]}}`, desc, false, nil, true},
		{`{"tags":{"$all":["vip"]}}`, desc, false, nil, true},
		{`{"tags":"vip","status":"lead"}`, desc, false, nil, true},
		{`{"tags":"vip"}`, []contactd.SortKey{{Field: "updatedAt"}, {Field: "id"}}, false, nil, true},
		{`{"tags":{"$in":["vip","a"]}}`, desc, false, nil, false},
		{`{"$or":[{"tags":"vip"},{"status":"lead"}]}`, desc, false, nil, false},
		{`{"tags":{"$ne":"vip"}}`, desc, false, nil, false},
		{`{"tags":"vip"}`, []contactd.SortKey{{Field: "displayName"}, {Field: "id"}}, false, nil, false},
		{`{"tags":"vip"}`, desc, true, nil, false},
		{`{"tags":"vip"}`, desc, false, []string{"ann"}, false},
	} {
		for _, d := range dialects {
			q := contactd.ContactQuery{Query: contactd.Query{TenantID: "tn_1", Filter: parse(t, c.filter), Sort: c.sort, Limit: 51},
				IncludeDeleted: c.deleted, Terms: c.terms}
			b := sqlq.NewBuilder(d)
			sql := b.List(q)
			checkPlaceholders(t, d, sql, len(b.Args()))
			ordered := strings.Contains(sql, "FROM contact_tags t JOIN contacts c") && strings.Contains(sql, "ORDER BY t.updated_at")
			if ordered != c.ordered {
				t.Errorf("%s: %s sorted %v: read from the tag's rows = %v, want %v:\n%s", d.Name, c.filter, c.sort, ordered, c.ordered, sql)
			}
			if ordered && !slices.Contains(b.Args(), any("vip")) {
				t.Errorf("%s: %s: the tag is not lower-cased: %v", d.Name, c.filter, b.Args())
			}
			// A count needs no sort.
			q.CountUpTo = 1001
			b = sqlq.NewBuilder(d)
			sql = b.Count(q)
			fromTags := strings.HasPrefix(sql, "SELECT COUNT(*) FROM (SELECT 1 FROM contact_tags t")
			if want := c.ordered || (c.filter == `{"tags":"vip"}` && !c.deleted && c.terms == nil); fromTags != want {
				t.Errorf("%s: count of %s: from the tag's rows = %v, want %v:\n%s", d.Name, c.filter, fromTags, want, sql)
			}
			if fromTags && (strings.Contains(sql, "JOIN contacts") != strings.Contains(c.filter, "status")) {
				t.Errorf("%s: count of %s joins contacts only for the rest of the filter:\n%s", d.Name, c.filter, sql)
			}
		}
	}
	// A later page seeks with a row value on the tag's rows.
	for _, d := range dialects {
		b := sqlq.NewBuilder(d)
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		sql := b.List(contactd.ContactQuery{Query: contactd.Query{TenantID: "tn_1", Filter: parse(t, `{"tags":"vip"}`), Sort: desc, After: []any{at, "ct_9"}, Limit: 51}})
		if !strings.Contains(sql, "(t.updated_at, t.contact_id) < (") {
			t.Errorf("%s: next page: %s", d.Name, sql)
		}
	}
}

// TestSearchDriver: a search of several tokens reads the matches of its
// longer tokens and checks its short ones (one or two letters of an
// alphabet) in each match; an email address drives alone; a token of
// digits, or tokens all alike, take the general plan (every token drives).
// Both dialects choose alike.
func TestSearchDriver(t *testing.T) {
	for _, tc := range []struct {
		terms, drive, check []string
	}{
		{[]string{"mar", "sch"}, []string{"mar", "sch"}, nil},
		{[]string{"jos", "nú"}, []string{"jos"}, []string{"nú"}},
		{[]string{"maria", "s"}, []string{"maria"}, []string{"s"}},
		{[]string{"s", "maria"}, []string{"maria"}, []string{"s"}},
		{[]string{"noa", "o", "br"}, []string{"noa"}, []string{"o", "br"}},
		{[]string{"william", "o", "brien"}, []string{"william", "brien"}, []string{"o"}},
		{[]string{"o", "b"}, []string{"o", "b"}, nil},
		{[]string{"maria", "schmidt", "maria.schmidt+12@example.com"}, []string{"maria.schmidt+12@example.com"}, []string{"maria", "schmidt"}},
		{[]string{"王", "伟"}, []string{"王", "伟"}, nil},
		{[]string{"yan", "杨"}, []string{"yan", "杨"}, nil},
		{[]string{"na", "김"}, []string{"김"}, []string{"na"}},
		{[]string{"πα", "γεωργ"}, []string{"γεωργ"}, []string{"πα"}},
		{[]string{"mar", "415"}, []string{"mar", "415"}, nil},
		{[]string{"415", "m"}, []string{"415", "m"}, nil},
		{[]string{"mar@", "m"}, []string{"mar@"}, []string{"m"}},
	} {
		for _, d := range []*sqlq.Dialect{sqlq.SQLite, sqlq.Postgres} {
			drive, check := sqlq.Driver(d, tc.terms)
			if !slices.Equal(drive, tc.drive) || !slices.Equal(check, tc.check) {
				t.Errorf("%s: %q drives %q and checks %q, want %q and %q", d.Name, tc.terms, drive, check, tc.drive, tc.check)
			}
		}
	}
}
