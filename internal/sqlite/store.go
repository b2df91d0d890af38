package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlq"
)

const timeFormat = sqlq.TimeFormat

func formatTime(t time.Time) string { return t.UTC().Format(timeFormat) }

func parseTime(s string) (time.Time, error) { return time.Parse(timeFormat, s) }

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CreateTenant implements contactd.Store.
func (s *Store) CreateTenant(ctx context.Context, t *contactd.Tenant) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenants WHERE name = ?`, t.Name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return &contactd.Error{Code: contactd.EConflict, Message: fmt.Sprintf("a tenant named %q exists", t.Name), ConflictingField: "name"}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO tenants (id, name, default_region, unique_phones, created_at) VALUES (?, ?, ?, ?, ?)`,
			t.ID, t.Name, t.DefaultRegion, boolInt(t.UniquePhones), formatTime(t.CreatedAt))
		return err
	})
}

const tenantColumns = `id, name, default_region, unique_phones, created_at`

func scanTenant(row *sql.Row) (*contactd.Tenant, error) {
	var t contactd.Tenant
	var created string
	if err := row.Scan(&t.ID, &t.Name, &t.DefaultRegion, &t.UniquePhones, &created); err != nil {
		return nil, interpretError(err)
	}
	var err error
	t.CreatedAt, err = parseTime(created)
	return &t, err
}

// Tenant implements contactd.Store.
func (s *Store) Tenant(ctx context.Context, id string) (*contactd.Tenant, error) {
	return scanTenant(s.queryRow(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE id = ?`, id))
}

// TenantByName implements contactd.Store.
func (s *Store) TenantByName(ctx context.Context, name string) (*contactd.Tenant, error) {
	return scanTenant(s.read.QueryRowContext(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE name = ?`, name))
}

// CountTenants implements contactd.Store.
func (s *Store) CountTenants(ctx context.Context) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenants`).Scan(&n)
	return n, interpretError(err)
}

// CreateToken implements contactd.Store.
func (s *Store) CreateToken(ctx context.Context, t *contactd.Token) error {
	scopes := make([]string, len(t.Scopes))
	for i, sc := range t.Scopes {
		scopes[i] = string(sc)
	}
	_, err := s.write.ExecContext(ctx, `INSERT INTO tokens (tenant_id, id, name, kind, user_id, scopes, hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		t.TenantID, t.ID, t.Name, string(t.Kind), t.UserID, strings.Join(scopes, ","), t.Hash, formatTime(t.CreatedAt))
	return interpretError(err)
}

// TokenByHash implements contactd.Store.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (*contactd.Token, error) {
	var t contactd.Token
	var kind, scopes, created string
	err := s.queryRow(ctx, `SELECT k.tenant_id, k.id, k.name, k.kind, k.user_id, k.scopes, k.hash, k.created_at, t.default_region
		FROM tokens k JOIN tenants t ON t.id = k.tenant_id WHERE k.hash = ? AND k.revoked_at IS NULL`, hash).
		Scan(&t.TenantID, &t.ID, &t.Name, &kind, &t.UserID, &scopes, &t.Hash, &created, &t.TenantRegion)
	if err != nil {
		return nil, interpretError(err)
	}
	t.Kind = contactd.TokenKind(kind)
	for _, sc := range strings.Split(scopes, ",") {
		t.Scopes = append(t.Scopes, contactd.Scope(sc))
	}
	t.CreatedAt, err = parseTime(created)
	return &t, err
}

// Tokens implements contactd.Store.
func (s *Store) Tokens(ctx context.Context, tenantID string) ([]*contactd.Token, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT id, name, kind, user_id, scopes, created_at, revoked_at FROM tokens WHERE tenant_id = ? ORDER BY created_at, id`, tenantID)
	if err != nil {
		return nil, interpretError(err)
	}
	defer rows.Close()
	var out []*contactd.Token
	for rows.Next() {
		t := &contactd.Token{TenantID: tenantID}
		var kind, scopes, created string
		var revoked *string
		if err := rows.Scan(&t.ID, &t.Name, &kind, &t.UserID, &scopes, &created, &revoked); err != nil {
			return nil, interpretError(err)
		}
		t.Kind = contactd.TokenKind(kind)
		for _, sc := range strings.Split(scopes, ",") {
			t.Scopes = append(t.Scopes, contactd.Scope(sc))
		}
		if t.CreatedAt, err = parseTime(created); err != nil {
			return nil, err
		}
		if revoked != nil {
			r, err := parseTime(*revoked)
			if err != nil {
				return nil, err
			}
			t.RevokedAt = &r
		}
		out = append(out, t)
	}
	return out, interpretError(rows.Err())
}

// RevokeToken implements contactd.Store.
func (s *Store) RevokeToken(ctx context.Context, tenantID, id string, at time.Time) error {
	res, err := s.write.ExecContext(ctx, `UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE tenant_id = ? AND id = ?`, formatTime(at), tenantID, id)
	if err != nil {
		return interpretError(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return contactd.Errorf(contactd.ENotFound, "token %q not found", id)
	}
	return nil
}

func scanContact(row *sql.Row) (*contactd.Contact, error) {
	var doc []byte
	var set bool
	if err := row.Scan(&doc, &set); err != nil {
		return nil, interpretError(err)
	}
	c := &contactd.Contact{DisplayNameSet: set}
	if err := decodeContact(doc, c); err != nil {
		return nil, err
	}
	return c, nil
}

// decodeContact decodes a stored contact document into c, keeping the
// fields that are stored beside it.
func decodeContact(doc []byte, c *contactd.Contact) error {
	set := c.DisplayNameSet
	if err := json.Unmarshal(doc, c); err != nil {
		return fmt.Errorf("sqlite: corrupt contact document: %w", err)
	}
	c.DisplayNameSet = set
	return nil
}

// Contact implements contactd.Store.
func (s *Store) Contact(ctx context.Context, tenantID, id string) (*contactd.Contact, error) {
	return scanContact(s.queryRow(ctx, `SELECT doc, display_name_set FROM contacts WHERE tenant_id = ? AND id = ?`, tenantID, id))
}

// ContactByEmail implements contactd.Store.
func (s *Store) ContactByEmail(ctx context.Context, tenantID, email string) (*contactd.Contact, error) {
	return scanContact(s.queryRow(ctx, `SELECT c.doc, c.display_name_set FROM contact_emails e
		JOIN contacts c ON c.tenant_id = e.tenant_id AND c.id = e.contact_id
		WHERE e.tenant_id = ? AND e.address = ? AND e.live = 1`, tenantID, email))
}

// ContactByExternalID implements contactd.Store.
func (s *Store) ContactByExternalID(ctx context.Context, tenantID, externalID string) (*contactd.Contact, error) {
	return scanContact(s.queryRow(ctx, `SELECT doc, display_name_set FROM contacts
		WHERE tenant_id = ? AND external_id = ? AND deleted_at IS NULL`, tenantID, externalID))
}

// ContactDoc implements contactd.Store. The stored document is what
// json.Marshal wrote, so it is handed out as it is.
func (s *Store) ContactDoc(ctx context.Context, tenantID, id string) (*contactd.ContactDoc, error) {
	var d contactd.ContactDoc
	var doc []byte // the driver scans TEXT into []byte, not into json.RawMessage
	err := s.queryRow(ctx, `SELECT version, deleted_at IS NOT NULL, doc FROM contacts WHERE tenant_id = ? AND id = ?`, tenantID, id).
		Scan(&d.Version, &d.Deleted, &doc)
	if err != nil {
		return nil, interpretError(err)
	}
	d.JSON = doc
	return &d, nil
}

// LookupPhone implements contactd.Store. The plan is pinned to the index
// that covers the phone columns: without statistics SQLite may prefer the
// primary key and read every number of the tenant.
func (s *Store) LookupPhone(ctx context.Context, tenantID, e164 string, limit int) ([]contactd.PhoneMatch, error) {
	st, err := s.readStmt(ctx, `SELECT c.id, c.doc, MAX(p.is_primary) AS prim, group_concat(p.phone_id)
		FROM contact_phones p INDEXED BY contact_phones_e164
		JOIN contacts c ON c.tenant_id = p.tenant_id AND c.id = p.contact_id
		WHERE p.tenant_id = ? AND p.e164 = ? AND p.live = 1
		GROUP BY c.id ORDER BY prim DESC, c.updated_at DESC, c.id LIMIT ?`)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, tenantID, e164, limit)
	if err != nil {
		return nil, interpretError(err)
	}
	defer rows.Close()
	var out []contactd.PhoneMatch
	for rows.Next() {
		var m contactd.PhoneMatch
		var ids string
		var doc []byte
		if err := rows.Scan(&m.ContactID, &doc, &m.PrimaryMatch, &ids); err != nil {
			return nil, interpretError(err)
		}
		m.Doc = doc
		m.PhoneIDs = strings.Split(ids, ",")
		slices.Sort(m.PhoneIDs)
		out = append(out, m)
	}
	return out, interpretError(rows.Err())
}

// WriteContact implements contactd.Store.
func (s *Store) WriteContact(ctx context.Context, p contactd.WriteContactParams) error {
	c := p.Contact
	doc, err := json.Marshal(c)
	if err != nil {
		return err
	}
	p.Change.TenantID = p.TenantID
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		x := &txExec{ctx: ctx, tx: tx, s: s}
		seq, uniquePhones, err := lockTenant(ctx, tx, p.TenantID, 1)
		if err != nil {
			return err
		}
		if c.Live() {
			if err := checkUnique(ctx, tx, p.TenantID, c, uniquePhones); err != nil {
				return err
			}
		}
		if p.PrevVersion == 0 {
			if err := x.insertContact(p.TenantID, c, doc); err != nil {
				return err
			}
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE contacts SET version = ?, display_name = ?, display_name_set = ?, external_id = ?, updated_at = ?, deleted_at = ?, doc = ?
				WHERE tenant_id = ? AND id = ? AND version = ?`,
				c.Version, c.DisplayName, boolInt(c.DisplayNameSet), nullString(c.ExternalID), formatTime(c.UpdatedAt), nullTime(c.DeletedAt), doc,
				p.TenantID, c.ID, p.PrevVersion)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return contactd.Errorf(contactd.EPreconditionFailed, "contact %q was changed by another request", c.ID)
			}
			for _, q := range []string{
				`DELETE FROM contact_emails WHERE tenant_id = ? AND contact_id = ?`,
				`DELETE FROM contact_phones WHERE tenant_id = ? AND contact_id = ?`,
				`DELETE FROM contact_tags WHERE tenant_id = ? AND contact_id = ?`,
				`DELETE FROM contact_terms WHERE tenant_id = ? AND contact_id = ?`,
			} {
				if err := x.exec(q, p.TenantID, c.ID); err != nil {
					return err
				}
			}
		}
		if err := x.insertEntries(p.TenantID, c, p.Terms); err != nil {
			return err
		}
		p.Change.Seq = seq
		return x.insertChange(p.Change)
	})
}

// lockTenant allocates n change numbers of a tenant and returns the last,
// with the tenant's uniquePhones setting. It runs first in every writing
// transaction, so the checks after it see the tenant's writes in order.
func lockTenant(ctx context.Context, tx *sql.Tx, tenantID string, n int) (last int64, uniquePhones bool, err error) {
	err = tx.QueryRowContext(ctx, `UPDATE tenants SET change_seq = change_seq + ? WHERE id = ? RETURNING change_seq, unique_phones`, n, tenantID).
		Scan(&last, &uniquePhones)
	if err == sql.ErrNoRows {
		return 0, false, contactd.Errorf(contactd.ENotFound, "tenant %q not found", tenantID)
	}
	return last, uniquePhones, err
}

// InsertContacts implements contactd.Store. The batch goes in with
// multi-row statements, one table after the other, because each statement
// has a fixed cost that would otherwise be paid a dozen times per contact.
// Unless the tenant keeps phone numbers unique (which no index enforces),
// nothing is checked before writing: the unique indexes refuse a conflict,
// and only then are the contacts checked one by one, in a transaction of
// their own, to name the contact that conflicts.
func (s *Store) InsertContacts(ctx context.Context, tenantID string, batch []contactd.WriteContactParams) error {
	docs := make([][]byte, len(batch))
	for i, p := range batch {
		var err error
		if docs[i], err = json.Marshal(p.Contact); err != nil {
			return err
		}
	}
	checked := false
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		x := &txExec{ctx: ctx, tx: tx, s: s}
		last, uniquePhones, err := lockTenant(ctx, tx, tenantID, len(batch))
		if err != nil {
			return err
		}
		if uniquePhones {
			checked = true
			if err := checkUniqueAll(ctx, tx, tenantID, batch); err != nil {
				return err
			}
		}
		return x.insertBatch(tenantID, batch, docs, last-int64(len(batch)))
	})
	if contactd.ErrorCodeOf(err) == contactd.EConflict && !checked {
		// Name the contact that conflicts, if it is still there.
		if cerr := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error { return checkUniqueAll(ctx, tx, tenantID, batch) }); cerr != nil {
			return cerr
		}
	}
	return err
}

func checkUniqueAll(ctx context.Context, tx *sql.Tx, tenantID string, batch []contactd.WriteContactParams) error {
	var uniquePhones bool
	if err := tx.QueryRowContext(ctx, `SELECT unique_phones FROM tenants WHERE id = ?`, tenantID).Scan(&uniquePhones); err != nil {
		return err
	}
	for _, p := range batch {
		if err := checkUnique(ctx, tx, tenantID, p.Contact, uniquePhones); err != nil {
			return err
		}
	}
	return nil
}

// insertBatch writes new contacts with their side rows and "created"
// changes (numbered from seq+1).
func (x *txExec) insertBatch(tenantID string, batch []contactd.WriteContactParams, docs [][]byte, seq int64) error {
	var r rowSet
	for i, p := range batch {
		r.contacts = append(r.contacts, x.contactRow(tenantID, p.Contact, docs[i]))
		r.addEntries(tenantID, p.Contact, p.Terms)
		ch := p.Change
		ch.TenantID, ch.Seq = tenantID, seq+int64(i)+1
		row, err := changeRow(ch)
		if err != nil {
			return err
		}
		r.changes = append(r.changes, row)
	}
	return r.write(x)
}

// rowSet collects rows to insert, by table.
type rowSet struct {
	contacts, emails, phones, tags, terms, changes [][]any
}

// addEntries adds the side-table rows of a contact: emails, phones, tags
// and full-text terms.
func (r *rowSet) addEntries(tenantID string, c *contactd.Contact, terms []contactd.Term) {
	live := boolInt(c.Live())
	for _, e := range c.Emails {
		r.emails = append(r.emails, []any{tenantID, c.ID, e.Address, live})
	}
	for _, ph := range c.Phones {
		r.phones = append(r.phones, []any{tenantID, c.ID, ph.ID, ph.E164, boolInt(ph.Primary), live})
	}
	for _, t := range contactd.TagKeys(c.Tags) {
		r.tags = append(r.tags, []any{tenantID, c.ID, t})
	}
	for _, t := range terms {
		r.terms = append(r.terms, []any{tenantID, t.Term, c.ID, t.Weight})
	}
}

// write inserts the rows, table by table, and indexes the new numbers'
// digits.
func (r *rowSet) write(x *txExec) error {
	var firstPhone int64
	if len(r.phones) > 0 {
		var err error
		if firstPhone, err = x.nextPhoneRowid(); err != nil {
			return err
		}
	}
	for _, t := range []struct {
		table string
		rows  [][]any
	}{
		{"contacts", r.contacts}, {"contact_emails", r.emails}, {"contact_phones", r.phones},
		{"contact_tags", r.tags}, {"contact_terms", r.terms}, {"changes", r.changes},
	} {
		if err := x.insertRows(t.table, t.rows); err != nil {
			return err
		}
	}
	if len(r.phones) == 0 {
		return nil
	}
	return x.indexPhoneDigits(firstPhone)
}

// insertColumns are the columns insertRows writes, per table.
var insertColumns = map[string][]string{
	"contacts":       {"tenant_id", "id", "version", "display_name", "display_name_set", "external_id", "created_at", "updated_at", "deleted_at", "doc"},
	"contact_emails": {"tenant_id", "contact_id", "address", "live"},
	"contact_phones": {"tenant_id", "contact_id", "phone_id", "e164", "is_primary", "live"},
	"contact_tags":   {"tenant_id", "contact_id", "tag"},
	"contact_terms":  {"tenant_id", "term", "contact_id", "weight"},
	"changes":        {"tenant_id", "seq", "contact_id", "type", "version", "actor", "at", "fields"},
}

// maxRowsPerInsert bounds the rows of one multi-row INSERT.
const maxRowsPerInsert = 100

// insertRows inserts rows into table with multi-row INSERTs.
func (x *txExec) insertRows(table string, rows [][]any) error {
	cols := insertColumns[table]
	for len(rows) > 0 {
		n := min(len(rows), maxRowsPerInsert)
		args := make([]any, 0, n*len(cols))
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		if err := x.exec(insertSQL(table, cols, n), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

var insertSQLCache sync.Map // table/n → INSERT statement text

func insertSQL(table string, cols []string, n int) string {
	key := table + "/" + strconv.Itoa(n)
	if q, ok := insertSQLCache.Load(key); ok {
		return q.(string)
	}
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	q := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES " + strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
	insertSQLCache.Store(key, q)
	return q
}

// nextPhoneRowid returns the rowid the next phone row will get: the phone
// rows a transaction inserts from here on have this rowid or a larger one.
func (x *txExec) nextPhoneRowid() (int64, error) {
	var last int64
	err := x.tx.QueryRowContext(x.ctx, `SELECT COALESCE(MAX(rowid), 0) FROM contact_phones`).Scan(&last)
	return last + 1, err
}

// indexPhoneDigits adds the phone rows from rowid first on to the trigram
// index of phone digits, in one statement: FTS5 writes its pending terms
// out at the end of each statement that changes it, so a statement per
// number would cost a segment per number. (Deleted phone rows leave it by
// trigger, see migration 00004.)
func (x *txExec) indexPhoneDigits(first int64) error {
	return x.exec(`INSERT INTO contact_phone_digits (rowid, digits) SELECT rowid, substr(e164, 2) FROM contact_phones WHERE rowid >= ?`, first)
}

// txExec runs statements in a write transaction, each through the
// writer's statement prepared once (see writeStmt).
type txExec struct {
	ctx context.Context
	tx  *sql.Tx
	s   *Store
}

func (x *txExec) exec(q string, args ...any) error {
	var err error
	if st := x.s.writeStmt(q); st != nil {
		_, err = x.tx.StmtContext(x.ctx, st).ExecContext(x.ctx, args...)
	} else {
		_, err = x.tx.ExecContext(x.ctx, q, args...)
	}
	return err
}

func (x *txExec) insertContact(tenantID string, c *contactd.Contact, doc []byte) error {
	return x.insertRows("contacts", [][]any{x.contactRow(tenantID, c, doc)})
}

func (x *txExec) contactRow(tenantID string, c *contactd.Contact, doc []byte) []any {
	return []any{tenantID, c.ID, c.Version, c.DisplayName, boolInt(c.DisplayNameSet), nullString(c.ExternalID),
		formatTime(c.CreatedAt), formatTime(c.UpdatedAt), nullTime(c.DeletedAt), doc}
}

// insertEntries writes the side-table rows of a contact: emails, phones,
// tags and full-text terms.
func (x *txExec) insertEntries(tenantID string, c *contactd.Contact, terms []contactd.Term) error {
	var r rowSet
	r.addEntries(tenantID, c, terms)
	return r.write(x)
}

func (x *txExec) insertChange(ch *contactd.Change) error {
	row, err := changeRow(ch)
	if err != nil {
		return err
	}
	return x.insertRows("changes", [][]any{row})
}

func changeRow(ch *contactd.Change) ([]any, error) {
	var fields any
	if len(ch.Fields) > 0 {
		b, err := json.Marshal(ch.Fields)
		if err != nil {
			return nil, err
		}
		fields = b
	}
	return []any{ch.TenantID, ch.Seq, ch.ContactID, ch.Type, ch.Version, ch.Actor, formatTime(ch.At), fields}, nil
}

// ListContacts implements contactd.Store.
func (s *Store) ListContacts(ctx context.Context, q sqlq.ListQuery) ([]*contactd.Contact, error) {
	b := sqlq.NewBuilder(sqlq.SQLite)
	rows, err := s.read.QueryContext(ctx, b.List(q), b.Args()...)
	if err != nil {
		return nil, interpretError(err)
	}
	defer rows.Close()
	var out []*contactd.Contact
	for rows.Next() {
		var doc []byte
		c := new(contactd.Contact)
		if err := rows.Scan(&doc, &c.DisplayNameSet); err != nil {
			return nil, interpretError(err)
		}
		if err := decodeContact(doc, c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, interpretError(rows.Err())
}

// CountContacts implements contactd.Store.
func (s *Store) CountContacts(ctx context.Context, q sqlq.ListQuery) (int, error) {
	b := sqlq.NewBuilder(sqlq.SQLite)
	var n int
	err := s.read.QueryRowContext(ctx, b.Count(q), b.Args()...).Scan(&n)
	return n, interpretError(err)
}

// checkUnique finds a live contact other than c holding one of c's emails
// or its external id. The unique indexes enforce the same rules; this check
// runs first to name the contact that conflicts.
func checkUnique(ctx context.Context, tx *sql.Tx, tenantID string, c *contactd.Contact, uniquePhones bool) error {
	var other string
	for i, ph := range c.Phones {
		if !uniquePhones {
			break
		}
		err := tx.QueryRowContext(ctx, `SELECT contact_id FROM contact_phones WHERE tenant_id = ? AND e164 = ? AND live = 1 AND contact_id <> ? LIMIT 1`,
			tenantID, ph.E164, c.ID).Scan(&other)
		if err == nil {
			return conflict(other, "phone", fmt.Sprintf("phones[%d].number", i), fmt.Sprintf("the number %s belongs to contact %s", ph.E164, other))
		} else if err != sql.ErrNoRows {
			return err
		}
	}
	for i, e := range c.Emails {
		err := tx.QueryRowContext(ctx, `SELECT contact_id FROM contact_emails WHERE tenant_id = ? AND address = ? AND live = 1 AND contact_id <> ?`,
			tenantID, e.Address, c.ID).Scan(&other)
		if err == nil {
			return conflict(other, "email", fmt.Sprintf("emails[%d].address", i), fmt.Sprintf("the email %s belongs to contact %s", e.Address, other))
		} else if err != sql.ErrNoRows {
			return err
		}
	}
	if c.ExternalID != "" {
		err := tx.QueryRowContext(ctx, `SELECT id FROM contacts WHERE tenant_id = ? AND external_id = ? AND deleted_at IS NULL AND id <> ?`,
			tenantID, c.ExternalID, c.ID).Scan(&other)
		if err == nil {
			return conflict(other, "externalId", "externalId", fmt.Sprintf("the external id %s belongs to contact %s", c.ExternalID, other))
		} else if err != sql.ErrNoRows {
			return err
		}
	}
	return nil
}

func conflict(id, field, location, msg string) error {
	return &contactd.Error{Code: contactd.EConflict, Message: msg, ConflictingID: id, ConflictingField: field,
		Fields: []contactd.FieldError{{Location: location, Message: msg}}}
}

func (s *Store) appendChange(ctx context.Context, tx *sql.Tx, ch *contactd.Change) error {
	seq, _, err := lockTenant(ctx, tx, ch.TenantID, 1)
	if err != nil {
		return err
	}
	ch.Seq = seq
	return (&txExec{ctx: ctx, tx: tx, s: s}).insertChange(ch)
}

// EraseContact implements contactd.Store.
func (s *Store) EraseContact(ctx context.Context, tenantID, id string, change *contactd.Change) error {
	change.TenantID = tenantID
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM contacts WHERE tenant_id = ? AND id = ?`, tenantID, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return contactd.Errorf(contactd.ENotFound, "contact %q not found", id)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM changes WHERE tenant_id = ? AND contact_id = ?`, tenantID, id); err != nil {
			return err
		}
		return s.appendChange(ctx, tx, change)
	})
}

// Changes implements contactd.Store.
func (s *Store) Changes(ctx context.Context, p contactd.ChangesParams) ([]contactd.Change, error) {
	q := `SELECT seq, contact_id, type, version, actor, at, fields FROM changes WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?`
	args := []any{p.TenantID, p.After, p.Limit}
	if p.ContactID != "" {
		q = `SELECT seq, contact_id, type, version, actor, at, fields FROM changes WHERE tenant_id = ? AND contact_id = ? AND seq > ? ORDER BY seq LIMIT ?`
		args = []any{p.TenantID, p.ContactID, p.After, p.Limit}
	}
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, interpretError(err)
	}
	defer rows.Close()
	var out []contactd.Change
	for rows.Next() {
		ch := contactd.Change{TenantID: p.TenantID}
		var at string
		var fields []byte
		if err := rows.Scan(&ch.Seq, &ch.ContactID, &ch.Type, &ch.Version, &ch.Actor, &at, &fields); err != nil {
			return nil, interpretError(err)
		}
		if ch.At, err = parseTime(at); err != nil {
			return nil, err
		}
		if len(fields) > 0 {
			if err := json.Unmarshal(fields, &ch.Fields); err != nil {
				return nil, fmt.Errorf("sqlite: corrupt change %d: %w", ch.Seq, err)
			}
		}
		out = append(out, ch)
	}
	return out, interpretError(rows.Err())
}

// ReserveIdempotencyKey implements contactd.Store.
func (s *Store) ReserveIdempotencyKey(ctx context.Context, r *contactd.IdempotencyRecord) (*contactd.IdempotencyRecord, error) {
	var existing *contactd.IdempotencyRecord
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		old := contactd.IdempotencyRecord{TenantID: r.TenantID, Key: r.Key}
		var created string
		var resp []byte
		err := tx.QueryRowContext(ctx, `SELECT request_hash, created_at, response FROM idempotency_keys WHERE tenant_id = ? AND key = ?`, r.TenantID, r.Key).
			Scan(&old.RequestHash, &created, &resp)
		switch {
		case err == sql.ErrNoRows:
			_, err = tx.ExecContext(ctx, `INSERT INTO idempotency_keys (tenant_id, key, request_hash, created_at) VALUES (?, ?, ?, ?)`,
				r.TenantID, r.Key, r.RequestHash, formatTime(r.CreatedAt))
			return err
		case err != nil:
			return err
		}
		if old.CreatedAt, err = parseTime(created); err != nil {
			return err
		}
		if resp != nil {
			old.Response = new(contactd.StoredResponse)
			if err := json.Unmarshal(resp, old.Response); err != nil {
				return err
			}
		}
		existing = &old
		return nil
	})
	return existing, err
}

// CompleteIdempotencyKey implements contactd.Store.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, r *contactd.IdempotencyRecord) error {
	b, err := json.Marshal(r.Response)
	if err != nil {
		return err
	}
	_, err = s.write.ExecContext(ctx, `UPDATE idempotency_keys SET response = ? WHERE tenant_id = ? AND key = ?`, b, r.TenantID, r.Key)
	return interpretError(err)
}

// ReleaseIdempotencyKey implements contactd.Store.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, tenantID, key string) error {
	_, err := s.write.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE tenant_id = ? AND key = ?`, tenantID, key)
	return interpretError(err)
}
