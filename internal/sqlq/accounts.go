package sqlq

import (
	"fmt"
	"strings"

	"github.com/contactd/contactd/internal/filter"
)

// AccountSortColumns maps the sortable account fields to columns of
// accounts a. Each is NOT NULL, so keyset comparisons need no NULL handling.
var AccountSortColumns = map[string]string{
	"id": "a.id", "name": "a.name", "domain": "a.domain", "createdAt": "a.created_at", "updatedAt": "a.updated_at",
}

// accountColumns maps the filterable account fields to columns of accounts a.
var accountColumns = map[string]string{
	"id": "a.id", "name": "a.name", "domain": "a.domain", "externalId": "COALESCE(a.external_id, '')",
	"createdAt": "a.created_at", "updatedAt": "a.updated_at",
}

// AccountQuery describes one page of a tenant's accounts.
type AccountQuery struct {
	TenantID string
	// Filter holds conditions on the scalar fields id, name, domain,
	// externalId (String) and createdAt, updatedAt (Time).
	Filter filter.Node
	// Sort ends with "id"; After holds the previous page's last values of
	// the sort keys (strings, or time.Time for times), nil on the first page.
	Sort          []SortKey
	After         []any
	Offset, Limit int
}

// ListAccounts builds the query of a page of accounts. Its one column is doc.
func (b *Builder) ListAccounts(q AccountQuery) string {
	var s strings.Builder
	s.WriteString("SELECT a.doc FROM accounts a")
	b.accountWhere(&s, q)
	orderBy(&s, q.Sort, AccountSortColumns)
	b.page(&s, q.Limit, q.Offset)
	return s.String()
}

// CountAccounts builds the query counting every account of the list
// (ignoring pages).
func (b *Builder) CountAccounts(q AccountQuery) string {
	q.After = nil
	var s strings.Builder
	s.WriteString("SELECT COUNT(*) FROM accounts a")
	b.accountWhere(&s, q)
	return s.String()
}

func (b *Builder) accountWhere(s *strings.Builder, q AccountQuery) {
	s.WriteString(" WHERE a.tenant_id = " + b.Arg(q.TenantID))
	if q.Filter != nil {
		s.WriteString(" AND (" + b.accountFilter(q.Filter) + ")")
	}
	if len(q.After) > 0 {
		var ors []string
		for i := range q.Sort {
			var ands []string
			for j := 0; j < i; j++ {
				ands = append(ands, AccountSortColumns[q.Sort[j].Field]+" = "+b.sortArg(q.After[j]))
			}
			op := " > "
			if q.Sort[i].Desc {
				op = " < "
			}
			ands = append(ands, AccountSortColumns[q.Sort[i].Field]+op+b.sortArg(q.After[i]))
			ors = append(ors, "("+strings.Join(ands, " AND ")+")")
		}
		s.WriteString(" AND (" + strings.Join(ors, " OR ") + ")")
	}
}

// accountFilter compiles a filter to a boolean SQL expression over
// accounts a, with the same operator semantics as a contact filter's on
// scalar fields.
func (b *Builder) accountFilter(n filter.Node) string {
	switch n := n.(type) {
	case *filter.And:
		return b.joinAccount(n.Nodes, " AND ")
	case *filter.Or:
		return b.joinAccount(n.Nodes, " OR ")
	case *filter.Not:
		return "NOT COALESCE((" + b.accountFilter(n.Node) + "), 1 = 0)"
	case *filter.Cond:
		col, ok := accountColumns[n.Field.Name]
		if !ok {
			panic(fmt.Sprintf("sqlq: %q is not an account field", n.Field.Name))
		}
		return b.scalarCond(col, n)
	}
	panic(fmt.Sprintf("sqlq: unknown filter node %T", n))
}

func (b *Builder) joinAccount(nodes []filter.Node, sep string) string {
	parts := make([]string, len(nodes))
	for i, n := range nodes {
		parts[i] = "(" + b.accountFilter(n) + ")"
	}
	return strings.Join(parts, sep)
}
