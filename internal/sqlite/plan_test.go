package sqlite

import (
	"slices"
	"strings"
	"testing"

	"github.com/contactd/contactd"
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
	for _, q := range []string{
		`ANALYZE`,
		`DELETE FROM sqlite_stat1`,
		`INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
			('contact_terms', 'contact_terms_rank', '366085 366085 1193 923 923 17 1'),
			('contact_terms', 'contact_terms_contact', '1049139 1049139 11'),
			('contact_terms', 'contact_terms', '1049139 1049139 5 1')`,
		`ANALYZE sqlite_schema`,
	} {
		if _, err := s.write.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("full statistics", func(t *testing.T) { checkRankLevelsPlan(t, s) })
}

func checkRankLevelsPlan(t *testing.T, s *Store) {
	q := contactd.ContactQuery{Query: contactd.Query{TenantID: "tn_none", Limit: 51}, Terms: []string{"mar"}, Rank: true}
	b := sqlq.NewBuilder(sqlq.SQLite)
	text := b.List(q)
	rows, err := s.write.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+text, b.Args()...)
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
