package sqlite

import (
	"fmt"
	"testing"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/filter"
)

// TestListStmtsBounded: list queries are kept prepared up to a bound of
// distinct shapes, and lists of shapes past it still answer.
func TestListStmtsBounded(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	for i := range maxListStmts + 20 {
		// A field and a number of values make a query text of their own.
		field := []string{"status", "company", "department", "jobTitle", "ownerId", "firstName"}[i%6]
		f := `{"` + field + `":{"$in":[`
		for j := range i/6 + 1 {
			if j > 0 {
				f += ","
			}
			f += fmt.Sprintf(`"v%d"`, j)
		}
		n, err := contactd.ContactFilter.Parse([]byte(f+`]}}`), filter.Options{})
		if err != nil {
			t.Fatal(err)
		}
		q := contactd.ContactQuery{Query: contactd.Query{TenantID: "tn_none", Filter: n,
			Sort: []contactd.SortKey{{Field: "id"}}, Limit: 10, CountUpTo: 1001}}
		if _, _, err := s.ListContacts(ctx, q); err != nil {
			t.Fatalf("list %d: %v", i, err)
		}
		if _, err := s.CountContacts(ctx, q); err != nil {
			t.Fatalf("count %d: %v", i, err)
		}
	}
	if got := s.listStmts.Load(); got != maxListStmts {
		t.Errorf("%d list statements kept prepared, want the bound %d", got, maxListStmts)
	}
}
