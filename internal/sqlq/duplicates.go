package sqlq

import (
	"encoding/json"
	"slices"
	"strconv"

	"github.com/contactd/contactd"
)

// The queries of duplicate candidates (contactd.DuplicateStore): each
// contact's blocking keys (contact_dup_keys), the pairs of contacts that
// share one (contact_dup_pairs, A < B), and the pairs dismissed
// (contact_dup_dismissals).

// DupKeyColumns are the columns of contact_dup_keys a write inserts.
var DupKeyColumns = []string{"tenant_id", "key", "contact_id", "weak"}

// DupKeyRows are the rows of a contact's blocking keys, with weak as the
// store writes a boolean.
func DupKeyRows(tenantID string, c *contactd.Contact, weak func(bool) any) [][]any {
	keys := contactd.DuplicateKeys(c)
	rows := make([][]any, len(keys))
	for i, k := range keys {
		rows[i] = []any{tenantID, k.Key, c.ID, weak(k.Weak)}
	}
	return rows
}

// ClearDuplicates removes a contact's keys and pairs, for a write to
// replace them: (tenant, contact), each statement.
func (d *Dialect) ClearDuplicates() []string {
	t, id := d.placeholder(1), d.placeholder(2)
	return []string{
		"DELETE FROM contact_dup_keys WHERE tenant_id = " + t + " AND contact_id = " + id,
		"DELETE FROM contact_dup_pairs WHERE tenant_id = " + t + " AND a = " + id,
		"DELETE FROM contact_dup_pairs WHERE tenant_id = " + t + " AND b = " + id,
	}
}

// PairDuplicates records as pairs the n contacts given and every contact
// sharing one of their keys, but where both hold it weakly and through a
// key more than contactd.MaxDuplicateBlock contacts share: (tenant,
// contact…).
func (d *Dialect) PairDuplicates(n int) string {
	lt := "k.contact_id" + d.bytewise + " < o.contact_id" + d.bytewise
	return "INSERT INTO contact_dup_pairs (tenant_id, a, b)" +
		" SELECT DISTINCT k.tenant_id," +
		" CASE WHEN " + lt + " THEN k.contact_id ELSE o.contact_id END," +
		" CASE WHEN " + lt + " THEN o.contact_id ELSE k.contact_id END" +
		" FROM contact_dup_keys k JOIN contact_dup_keys o ON o.tenant_id = k.tenant_id AND o.key = k.key AND o.contact_id <> k.contact_id" +
		" AND NOT (k.weak AND o.weak)" +
		" WHERE k.tenant_id = " + d.placeholder(1) + " AND k.contact_id IN (" + d.list(2, n) + ")" +
		" AND (SELECT count(*) FROM (SELECT 1 FROM contact_dup_keys s WHERE s.tenant_id = k.tenant_id AND s.key = k.key LIMIT " +
		strconv.Itoa(contactd.MaxDuplicateBlock+1) + ") s) <= " + strconv.Itoa(contactd.MaxDuplicateBlock) +
		" ON CONFLICT DO NOTHING"
}

// notDismissed is the condition that pair p is not dismissed.
const notDismissed = " AND NOT EXISTS (SELECT 1 FROM contact_dup_dismissals x WHERE x.tenant_id = p.tenant_id AND x.a = p.a AND x.b = p.b)"

// DuplicatePartners selects the contacts paired with one: (tenant,
// contact, contact).
func (d *Dialect) DuplicatePartners() string {
	return "SELECT p.b FROM contact_dup_pairs p WHERE p.tenant_id = " + d.placeholder(1) + " AND p.a = " + d.placeholder(2) + notDismissed +
		" UNION ALL SELECT p.a FROM contact_dup_pairs p WHERE p.tenant_id = " + d.placeholder(1) + " AND p.b = " + d.placeholder(3) + notDismissed
}

// DuplicatePairs selects pairs whose A follows an id, in order: (tenant,
// after, limit).
func (d *Dialect) DuplicatePairs() string {
	return "SELECT p.a, p.b FROM contact_dup_pairs p WHERE p.tenant_id = " + d.placeholder(1) + " AND p.a > " + d.placeholder(2) + notDismissed +
		" ORDER BY p.a, p.b LIMIT " + d.placeholder(3)
}

// DismissPair records a pair as not duplicates: (tenant, a, b).
func (d *Dialect) DismissPair() string {
	return "INSERT INTO contact_dup_dismissals (tenant_id, a, b) VALUES (" + d.placeholder(1) + ", " + d.placeholder(2) + ", " +
		d.placeholder(3) + ") ON CONFLICT DO NOTHING"
}

// ContactIDsOf selects which of n ids are contacts of a tenant: (tenant,
// id…).
func (d *Dialect) ContactIDsOf(n int) string {
	return "SELECT id FROM contacts WHERE tenant_id = " + d.placeholder(1) + " AND id IN (" + d.list(2, n) + ")"
}

// Pairs returns every pair of ids, each as (A, B) with A < B.
func Pairs(ids []string) []contactd.IDPair {
	var out []contactd.IDPair
	for i, a := range ids {
		for _, b := range ids[i+1:] {
			switch {
			case a < b:
				out = append(out, contactd.IDPair{A: a, B: b})
			case b < a:
				out = append(out, contactd.IDPair{A: b, B: a})
			}
		}
	}
	return out
}

// Statement is a statement with its parameters.
type Statement struct {
	Query string
	Args  []any
}

// MergeStatements are the statements that record a merge (or its undoing)
// and move the survivor's segment memberships.
func (d *Dialect) MergeStatements(tenantID string, m *contactd.MergeWrite) ([]Statement, error) {
	var out []Statement
	rec := m.Merge
	if rec.UndoneAt != nil {
		out = append(out, Statement{"UPDATE contact_merges SET undone_at = " + d.placeholder(1) + " WHERE tenant_id = " + d.placeholder(2) +
			" AND id = " + d.placeholder(3), []any{d.timeArg(*rec.UndoneAt), tenantID, rec.ID}})
	} else {
		doc, err := json.Marshal(rec)
		if err != nil {
			return nil, err
		}
		out = append(out, Statement{"INSERT INTO contact_merges (tenant_id, id, target_id, doc, created_at) VALUES (" +
			d.list(1, 5) + ")", []any{tenantID, rec.ID, rec.TargetID, string(doc), d.timeArg(rec.At)}})
	}
	for _, sg := range m.Join {
		out = append(out, Statement{"INSERT INTO segment_members (tenant_id, segment_id, contact_id) VALUES (" + d.list(1, 3) +
			") ON CONFLICT DO NOTHING", []any{tenantID, sg, rec.TargetID}})
	}
	for _, sg := range m.Leave {
		out = append(out, Statement{"DELETE FROM segment_members WHERE tenant_id = " + d.placeholder(1) + " AND segment_id = " +
			d.placeholder(2) + " AND contact_id = " + d.placeholder(3), []any{tenantID, sg, rec.TargetID}})
	}
	return out, nil
}

// LastMerge selects the latest merge into a contact not undone: (tenant,
// target).
func (d *Dialect) LastMerge() string {
	return "SELECT doc FROM contact_merges WHERE tenant_id = " + d.placeholder(1) + " AND target_id = " + d.placeholder(2) +
		" AND undone_at IS NULL ORDER BY id DESC LIMIT 1"
}

// DecodeMerge reads a stored merge.
func DecodeMerge(doc []byte) (*contactd.Merge, error) {
	var m contactd.Merge
	if err := json.Unmarshal(doc, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// MissingContact is ENotFound naming the first of ids not found.
func MissingContact(ids, found []string) error {
	for _, id := range ids {
		if !slices.Contains(found, id) {
			return &contactd.Error{Code: contactd.ENotFound, Message: "contact " + strconv.Quote(id) + " not found",
				Fields: []contactd.FieldError{{Location: "contactIds", Message: "no contact has this id", Value: id}}}
		}
	}
	return nil
}

// ContactsWithKey selects contacts having a blocking key, as columns
// cols: (tenant, key, limit).
func (d *Dialect) ContactsWithKey(cols string) string {
	return "SELECT " + cols + " FROM contact_dup_keys k JOIN contacts c ON c.tenant_id = k.tenant_id AND c.id = k.contact_id" +
		" WHERE k.tenant_id = " + d.placeholder(1) + " AND k.key = " + d.placeholder(2) + " LIMIT " + d.placeholder(3)
}
