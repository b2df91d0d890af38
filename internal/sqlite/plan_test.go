package sqlite

import (
	"slices"
	"strings"
	"testing"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/filter"
	"github.com/contactd/contactd/internal/sqlq"
)

// TestRankLevelsPlan: a ranked search of one token reads the rank index in
// display-name order for its name and company prefixes, with no sort, so
// that it stops at the page (see sqlq's rankLevels); only the exact levels
// (the rows of one term) and other fields' prefixes are sorted.
//
// The plan must hold without statistics and with those a full ANALYZE of
// a one-tenant database of 100,000 contacts leaves.
func TestRankLevelsPlan(t *testing.T) {
	s := openTemp(t)
	t.Run("no statistics", func(t *testing.T) { checkRankLevelsPlan(t, s) })
	setStatistics(t, s, `('contact_terms', 'contact_terms_rank', '366085 366085 1193 923 923 17 1'),
		('contact_terms', 'contact_terms_contact', '1049139 1049139 11'),
		('contact_terms', 'contact_terms', '1049139 1049139 5 1')`)
	t.Run("full statistics", func(t *testing.T) { checkRankLevelsPlan(t, s) })
}

func checkRankLevelsPlan(t *testing.T, s *Store) {
	q := contactd.ContactQuery{Query: contactd.Query{TenantID: "tn_none", Limit: 51}, Terms: []string{"mar"}, Rank: true}
	b := sqlq.NewBuilder(sqlq.SQLite)
	text := b.List(q)
	plan := queryPlan(t, s, text, b.Args()...)
	// Each level is a co-routine: its scan, then a sort when it has one.
	rank, sorts := 0, 0
	for i, line := range plan {
		if strings.Contains(line, "contact_terms_rank") {
			rank++
			if !strings.Contains(line, "weight=? AND live=?") {
				t.Errorf("a level does not read the rank index by weight and liveness: %q", line)
			}
			for _, next := range plan[i+1:] {
				if strings.HasPrefix(next, "CO-ROUTINE") || strings.HasPrefix(next, "SCAN") {
					break
				}
				if strings.Contains(next, "TEMP B-TREE") {
					t.Errorf("a level reading the rank index sorts: %q", next)
				}
			}
		}
		if strings.Contains(line, "TEMP B-TREE FOR ORDER BY") {
			sorts++
		}
	}
	if rank != 2 {
		t.Errorf("%d levels read the rank index, want 2 (names and companies)\n%s", rank, strings.Join(plan, "\n"))
	}
	if !slices.ContainsFunc(plan, func(l string) bool { return strings.HasPrefix(l, "SEARCH c USING") && strings.Contains(l, "id=?)") }) {
		t.Errorf("the page's contacts are not read by id\n%s", strings.Join(plan, "\n"))
	}
	if sorts > 4 { // three levels sort their rows, and the page is sorted once
		t.Errorf("%d sorts, want at most 4\n%s", sorts, strings.Join(plan, "\n"))
	}
}

// TestLookupPlanIgnoresSkew: caller-ID reads the phone index by tenant and
// number, then each matching contact by its key, whatever the statistics
// say. Planner statistics are shared by all tenants: with one tenant whose
// 29,000 contacts share a number, SQLite would otherwise estimate that a
// number matches thousands of rows and start from the tenant's contacts,
// making a lookup that finds nothing take 30-240 ms (issue 13, defect 3).
func TestLookupPlanIgnoresSkew(t *testing.T) {
	s := openTemp(t)
	check := func(t *testing.T) {
		var plan []string
		for _, detail := range queryPlan(t, s, lookupPhoneSQL, "tn_x", "+14155550100", 20) {
			if strings.HasPrefix(detail, "SEARCH") || strings.HasPrefix(detail, "SCAN") {
				plan = append(plan, detail)
			}
		}
		if len(plan) != 2 ||
			!strings.HasPrefix(plan[0], "SEARCH p USING COVERING INDEX contact_phones_e164 (tenant_id=? AND e164=? AND live=?)") ||
			!strings.HasPrefix(plan[1], "SEARCH c USING INDEX sqlite_autoindex_contacts_1 (tenant_id=? AND id=?)") &&
				!strings.HasPrefix(plan[1], "SEARCH c USING PRIMARY KEY (tenant_id=? AND id=?)") {
			t.Fatalf("caller-ID plan:\n%s", strings.Join(plan, "\n"))
		}
	}
	t.Run("no statistics", check)
	// Statistics of a database where one tenant's 29,000 contacts share
	// one number: about 14,500 phone rows per (tenant, number) on average.
	setStatistics(t, s, `('contact_phones', 'contact_phones_e164', '29010 14505 14505 14505 1 1 1'),
		('contacts', 'sqlite_autoindex_contacts_1', '29005 29005 1'),
		('contacts', 'contacts_updated', '29005 29005 2 1'),
		('contacts', 'contacts_display_name', '29005 29005 29005 1'),
		('contacts', 'contacts_last_name', '29005 29005 29005 1')`)
	t.Run("skewed statistics", check)
}

// setStatistics replaces the planner's statistics with rows of
// sqlite_stat1 (tbl, idx, stat), as ANALYZE of a larger database would
// leave them, and has the planner read them.
func setStatistics(t *testing.T, s *Store, rows string) {
	t.Helper()
	for _, q := range []string{`ANALYZE`, `DELETE FROM sqlite_stat1`,
		`INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ` + rows, `ANALYZE sqlite_schema`} {
		if _, err := s.write.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
}

// queryPlan returns the details of EXPLAIN QUERY PLAN of a query, in order.
func queryPlan(t *testing.T, s *Store, query string, args ...any) []string {
	t.Helper()
	rows, err := s.write.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}

// TestCardPlans: the CardDAV listing walks the contacts' primary key in
// order (no sort, whatever the size of the book), and the card lookups
// read the cards' keys.
func TestCardPlans(t *testing.T) {
	s := openTemp(t)
	for _, tc := range []struct {
		name, query string
		args        []any
		want        []string
	}{
		{"entries", sqlq.SQLite.CardEntries(), []any{"tn_x", "", 1000}, []string{"SEARCH c USING ", "SEARCH k USING PRIMARY KEY (tenant_id=? AND contact_id=?)"}},
		{"one name", sqlq.SQLite.CardByName(), []any{"tn_x", "a.vcf"}, []string{"SEARCH cards USING INDEX cards_name (tenant_id=? AND name=?)"}},
		{"by name", sqlq.SQLite.CardsNamed(2), []any{"tn_x", "a.vcf", "b.vcf"}, []string{"SEARCH cards USING INDEX cards_name (tenant_id=? AND name=?)"}},
		{"by contact", sqlq.SQLite.CardsOf(2), []any{"tn_x", "ct_a", "ct_b"}, []string{"SEARCH cards USING PRIMARY KEY (tenant_id=? AND contact_id=?)"}},
		{"contacts", sqlq.SQLite.ContactsOf(contactColumns, 2), []any{"tn_x", "ct_a", "ct_b"}, []string{"SEARCH c USING "}},
	} {
		plan := queryPlan(t, s, tc.query, tc.args...)
		joined := strings.Join(plan, "\n")
		if strings.Contains(joined, "TEMP B-TREE") || strings.Contains(joined, "SCAN ") {
			t.Errorf("%s: a sort or a scan:\n%s", tc.name, joined)
		}
		for _, w := range tc.want {
			if !strings.Contains(joined, w) {
				t.Errorf("%s: the plan lacks %q:\n%s", tc.name, w, joined)
			}
		}
		if tc.name == "contacts" && !strings.Contains(joined, "(tenant_id=? AND id=?)") {
			t.Errorf("contacts by id: %s", joined)
		}
	}
}

// TestDirectoryPlan: a page of the directory, the first and one after a
// cursor, and its count, read the partial index of the directory's
// contacts, not every contact of the tenant; with statistics that make the
// display-name index look better too.
func TestDirectoryPlan(t *testing.T) {
	s := openTemp(t)
	check := func(t *testing.T) {
		for _, level := range [][]any{{contactd.DirectoryPhones, contactd.DirectoryAll}, {contactd.DirectoryAll}} {
			cond := &filter.Cond{Field: filter.Field{Name: "directory", Type: filter.Enum}, Op: filter.OpIn, Values: level}
			for _, q := range []contactd.ContactQuery{
				{Query: contactd.Query{TenantID: "tn_none", Limit: 51, Filter: cond, Sort: []contactd.SortKey{{Field: "displayName"}, {Field: "id"}}}},
				{Query: contactd.Query{TenantID: "tn_none", Limit: 51, Filter: &filter.And{Nodes: []filter.Node{cond, &filter.Cond{Field: filter.Field{Name: "status", Type: filter.String}, Op: filter.OpEq, Value: "x"}}},
					Sort: []contactd.SortKey{{Field: "displayName"}, {Field: "id"}}, After: []any{"M", "ct_1"}}},
			} {
				for name, build := range map[string]func(b *sqlq.Builder) string{"list": func(b *sqlq.Builder) string { return b.List(q) },
					"count": func(b *sqlq.Builder) string { q.CountUpTo = 1000; return b.Count(q) }} {
					b := sqlq.NewBuilder(sqlq.SQLite)
					text := build(b)
					plan := queryPlan(t, s, text, b.Args()...)
					if !slices.ContainsFunc(plan, func(l string) bool { return strings.Contains(l, "USING INDEX contacts_directory") }) {
						t.Errorf("%s of %v does not read contacts_directory:\n%s\n%s", name, level, text, strings.Join(plan, "\n"))
					}
				}
			}
		}
	}
	t.Run("no statistics", check)
	setStatistics(t, s, `('contacts', 'contacts_display_name', '1000000 1000000 1 1'),
		('contacts', 'contacts_directory', '1000000 1000000 500000 1 1')`)
	t.Run("statistics", check)
}
