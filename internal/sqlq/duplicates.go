package sqlq

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/contactd/contactd"
)

// The queries of duplicate candidates (contactd.DuplicateStore): each
// contact's blocking keys (contact_dup_keys, keyed by the key alone, so
// that a write adds one index entry a key), the keys two contacts share
// (contact_dup_blocks), and the pairs dismissed (contact_dup_dismissals).

// DupKeyColumns are the columns of contact_dup_keys a write inserts.
var DupKeyColumns = []string{"tenant_id", "key", "weak", "contact_id"}

// DupKeyRows are the rows of keys of a contact, with weak as the store
// writes a boolean.
func DupKeyRows(tenantID, id string, keys []contactd.DupKey, weak func(bool) any) [][]any {
	rows := make([][]any, len(keys))
	for i, k := range keys {
		rows[i] = []any{tenantID, k.Key, weak(k.Weak), id}
	}
	return rows
}

// KeyChanges returns the keys a write of a contact removes (the old
// version's that the new one lacks) and adds (the new one's that the old
// lacked); old is nil for an insert.
func KeyChanges(old, new *contactd.Contact) (drop, add []contactd.DupKey) {
	var before, after []contactd.DupKey
	if old != nil {
		before = contactd.DuplicateKeys(old)
	}
	if new != nil {
		after = contactd.DuplicateKeys(new)
	}
	for _, k := range before {
		if !slices.Contains(after, k) {
			drop = append(drop, k)
		}
	}
	for _, k := range after {
		if !slices.Contains(before, k) {
			add = append(add, k)
		}
	}
	return drop, add
}

// KeyWrites are what a write of c does to its duplicate keys: the
// statements that remove those the version it replaces (old; nil for a
// new contact) had and it lacks, and the rows of those it adds. With
// anew, every key of c is removed and added again (a rescan).
func (d *Dialect) KeyWrites(tenantID string, old, c *contactd.Contact, anew bool, weak func(bool) any) ([]Statement, [][]any) {
	drop, add := KeyChanges(old, c)
	if anew {
		drop = contactd.DuplicateKeys(c)
		add = drop
	}
	return d.DropKeys(tenantID, c.ID, drop, weak), DupKeyRows(tenantID, c.ID, add, weak)
}

// DropKeys are the statements that remove keys of a contact, and the
// blocks they leave with fewer than two contacts.
func (d *Dialect) DropKeys(tenantID, id string, keys []contactd.DupKey, weak func(bool) any) []Statement {
	var out []Statement
	for _, k := range keys {
		out = append(out, Statement{"DELETE FROM contact_dup_keys WHERE tenant_id = " + d.placeholder(1) + " AND key = " + d.placeholder(2) +
			" AND weak = " + d.placeholder(3) + " AND contact_id = " + d.placeholder(4), []any{tenantID, k.Key, weak(k.Weak), id}})
		out = append(out, Statement{"DELETE FROM contact_dup_blocks WHERE tenant_id = " + d.placeholder(1) + " AND key = " + d.placeholder(2) +
			" AND (SELECT count(*) FROM (SELECT 1 FROM contact_dup_keys o WHERE o.tenant_id = " + d.placeholder(1) + " AND o.key = " +
			d.placeholder(2) + " LIMIT 2) o) < 2", []any{tenantID, k.Key}})
	}
	return out
}

// MarkBlocks records as blocks the keys of n rows (tenant, key, weak,
// contact, as DupKeyRows) that another contact has, not both weakly.
func (d *Dialect) MarkBlocks(n int) string {
	rows := make([]string, n)
	for i := range rows {
		if d.Name == "postgres" {
			rows[i] = "(" + d.placeholder(4*i+1) + "::text, " + d.placeholder(4*i+2) + "::text, " + d.placeholder(4*i+3) + "::boolean, " +
				d.placeholder(4*i+4) + "::text)"
		} else {
			rows[i] = "(" + d.list(4*i+1, 4) + ")"
		}
	}
	values := "(VALUES " + strings.Join(rows, ", ") + ") AS v"
	t, k, w, c := "v.column1", "v.column2", "v.column3", "v.column4"
	if d.Name == "postgres" {
		values += "(t, k, w, c)"
		t, k, w, c = "v.t", "v.k", "v.w", "v.c"
	}
	other := func(weak string) string {
		return "EXISTS (SELECT 1 FROM contact_dup_keys o WHERE o.tenant_id = " + t + " AND o.key = " + k + " AND o.weak = " + weak +
			" AND o.contact_id <> " + c + ")"
	}
	return "INSERT INTO contact_dup_blocks (tenant_id, key) SELECT " + t + ", " + k + " FROM " + values +
		" WHERE " + other(d.boolLit(false)) + " OR (" + w + " = " + d.boolLit(false) + " AND " + other(d.boolLit(true)) + ")" +
		" ON CONFLICT DO NOTHING"
}

// boolLit is a boolean literal as the dialect stores booleans.
func (d *Dialect) boolLit(b bool) string {
	switch {
	case d.Name == "postgres" && b:
		return "true"
	case d.Name == "postgres":
		return "false"
	case b:
		return "1"
	}
	return "0"
}

// BlockMembers selects the contacts that have a key, up to one more than
// a block holds: (tenant, key).
func (d *Dialect) BlockMembers() string {
	return "SELECT contact_id, weak FROM contact_dup_keys WHERE tenant_id = " + d.placeholder(1) + " AND key = " + d.placeholder(2) +
		" LIMIT " + strconv.Itoa(contactd.MaxDuplicateBlock+1)
}

// Blocks selects the blocks after a key, in order: (tenant, after, limit).
func (d *Dialect) Blocks() string {
	return "SELECT key FROM contact_dup_blocks WHERE tenant_id = " + d.placeholder(1) + " AND key > " + d.placeholder(2) +
		" ORDER BY key LIMIT " + d.placeholder(3)
}

// ClearDuplicateKeys are the statements that remove every key and block
// of a tenant: (tenant).
func (d *Dialect) ClearDuplicateKeys() []string {
	return []string{
		"DELETE FROM contact_dup_keys WHERE tenant_id = " + d.placeholder(1),
		"DELETE FROM contact_dup_blocks WHERE tenant_id = " + d.placeholder(1),
	}
}

// Dismissals selects the dismissed pairs with one of n ids: (tenant,
// id…).
func (d *Dialect) Dismissals(n int) string {
	return "SELECT a, b FROM contact_dup_dismissals WHERE tenant_id = " + d.placeholder(1) + " AND a IN (" + d.list(2, n) + ")" +
		" UNION SELECT a, b FROM contact_dup_dismissals WHERE tenant_id = " + d.placeholder(1) + " AND b IN (" + d.list(2, n) + ")"
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

// StartRescan records a rescan unless a fresh one runs: (tenant, status,
// updated, doc, stale before); it changes no row when one runs.
func (d *Dialect) StartRescan() string {
	return "INSERT INTO contact_dup_rescans (tenant_id, status, updated_at, doc) VALUES (" + d.list(1, 4) + ")" +
		" ON CONFLICT (tenant_id) DO UPDATE SET status = excluded.status, updated_at = excluded.updated_at, doc = excluded.doc" +
		" WHERE contact_dup_rescans.status <> 'running' OR contact_dup_rescans.updated_at < " + d.placeholder(5)
}

// SaveRescan records a rescan's progress: (status, updated, doc, tenant).
func (d *Dialect) SaveRescan() string {
	return "UPDATE contact_dup_rescans SET status = " + d.placeholder(1) + ", updated_at = " + d.placeholder(2) + ", doc = " +
		d.placeholder(3) + " WHERE tenant_id = " + d.placeholder(4)
}

// LastRescan selects a tenant's rescan: (tenant).
func (d *Dialect) LastRescan() string {
	return "SELECT doc FROM contact_dup_rescans WHERE tenant_id = " + d.placeholder(1)
}

// RescanArgs are StartRescan's parameters but the last, and SaveRescan's
// reordered by the caller: tenant, status, updated, doc.
func (d *Dialect) RescanArgs(r *contactd.Rescan) ([]any, error) {
	doc, err := json.Marshal(r)
	return []any{r.TenantID, r.Status, d.timeArg(r.UpdatedAt), string(doc)}, err
}

// DecodeRescan reads a stored rescan of a tenant.
func DecodeRescan(tenantID string, doc []byte) (*contactd.Rescan, error) {
	r := &contactd.Rescan{TenantID: tenantID}
	return r, json.Unmarshal(doc, r)
}
