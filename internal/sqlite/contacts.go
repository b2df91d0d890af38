package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlq"
)

// contactColumns are the columns a contact is read from: its document and
// what is stored beside it.
const contactColumns = `c.doc, c.display_name_set`

// scanContact scans a row of contactColumns.
func scanContact(row rowScanner) (*contactd.Contact, error) {
	var doc []byte
	var set bool
	if err := row.Scan(&doc, &set); err != nil {
		return nil, interpretError(err)
	}
	return sqlq.DecodeContact(doc, set)
}

// Contact implements contactd.Store.
func (s *Store) Contact(ctx context.Context, tenantID, id string) (*contactd.Contact, error) {
	return scanContact(s.queryRow(ctx, `SELECT `+contactColumns+` FROM contacts c WHERE c.tenant_id = ? AND c.id = ?`, tenantID, id))
}

// ContactByEmail implements contactd.Store.
func (s *Store) ContactByEmail(ctx context.Context, tenantID, email string) (*contactd.Contact, error) {
	return scanContact(s.queryRow(ctx, `SELECT `+contactColumns+` FROM contact_emails e
		JOIN contacts c ON c.tenant_id = e.tenant_id AND c.id = e.contact_id
		WHERE e.tenant_id = ? AND e.address = ? AND e.live = 1`, tenantID, email))
}

// ContactByExternalID implements contactd.Store.
func (s *Store) ContactByExternalID(ctx context.Context, tenantID, externalID string) (*contactd.Contact, error) {
	return scanContact(s.queryRow(ctx, `SELECT `+contactColumns+` FROM contacts c
		WHERE c.tenant_id = ? AND c.external_id = ? AND c.deleted_at IS NULL`, tenantID, externalID))
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

// lookupPhoneSQL is caller-ID's query. Its plan is pinned, whatever the
// statistics say (they are shared by all tenants, and one tenant's
// thousands of contacts sharing a number skew them): the index that covers
// the phone columns (without it SQLite may prefer the primary key and read
// every number of the tenant), read first (CROSS JOIN keeps the phones as
// the outer loop: with skewed statistics SQLite would start from the
// tenant's contacts), then each matching contact by its key.
const lookupPhoneSQL = `SELECT c.id, c.doc, MAX(p.is_primary) AS prim, group_concat(p.phone_id)
		FROM contact_phones p INDEXED BY contact_phones_e164
		CROSS JOIN contacts c ON c.tenant_id = p.tenant_id AND c.id = p.contact_id
		WHERE p.tenant_id = ? AND p.e164 = ? AND p.live = 1
		GROUP BY c.id ORDER BY prim DESC, c.updated_at DESC, c.id LIMIT ?`

// LookupPhone implements contactd.Store with lookupPhoneSQL.
func (s *Store) LookupPhone(ctx context.Context, tenantID, e164 string, limit int) ([]contactd.PhoneMatch, error) {
	defer s.observe("read", time.Now())
	st, err := s.readStmt(ctx, lookupPhoneSQL)
	if err != nil {
		return nil, err
	}
	return collect(func(row rowScanner) (contactd.PhoneMatch, error) {
		var m contactd.PhoneMatch
		var ids string
		var doc []byte
		if err := row.Scan(&m.ContactID, &doc, &m.PrimaryMatch, &ids); err != nil {
			return m, interpretError(err)
		}
		m.Doc = doc
		m.PhoneIDs = strings.Split(ids, ",")
		slices.Sort(m.PhoneIDs)
		return m, nil
	})(st.QueryContext(ctx, tenantID, e164, limit))
}

// LookupExtension implements contactd.Store.
func (s *Store) LookupExtension(ctx context.Context, tenantID string, q contactd.ExtensionQuery, limit int) ([]contactd.PhoneMatch, error) {
	defer s.observe("read", time.Now())
	text, args := sqlq.SQLite.ExtensionLookup(tenantID, q, limit)
	st, err := s.readStmt(ctx, text)
	if err != nil {
		return nil, err
	}
	return collect(func(row rowScanner) (contactd.PhoneMatch, error) {
		var m contactd.PhoneMatch
		var ids string
		var doc []byte
		var set bool
		if err := row.Scan(&m.ContactID, &doc, &set, &ids); err != nil {
			return m, interpretError(err)
		}
		m.Doc = doc
		m.PhoneIDs = strings.Split(ids, ",")
		slices.Sort(m.PhoneIDs)
		return m, nil
	})(st.QueryContext(ctx, args...))
}

// WriteContact implements contactd.Store.
func (s *Store) WriteContact(ctx context.Context, p contactd.WriteContactParams) error {
	c := p.Contact
	doc, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		x := &txExec{ctx: ctx, tx: tx, s: s}
		last, uniquePhones, err := s.lockTenant(ctx, x, p.TenantID, 1)
		if err != nil {
			return err
		}
		if err := x.checkRefs(p.TenantID, p.Refs); err != nil {
			return err
		}
		if c.Live() {
			if err := x.checkUnique(p.TenantID, c, uniquePhones); err != nil {
				return err
			}
		}
		var old *contactd.Contact
		if p.PrevVersion == 0 {
			if err := x.insertRows("contacts", [][]any{contactRow(p.TenantID, c, doc)}); err != nil {
				return err
			}
		} else if old, err = x.replaceRow(p.TenantID, c, doc, p.PrevVersion); err != nil {
			return err
		}
		var r rowSet
		r.addEntries(p.TenantID, old, c, p.Terms)
		if err := r.write(x); err != nil {
			return err
		}
		if p.Card != nil {
			if err := x.writeCard(p.TenantID, p.Card); err != nil {
				return err
			}
		}
		return x.insertChanges(p.TenantID, last, p.Change)
	})
}

// replaceRow replaces a contact's row if it is still at version prev, and
// removes its side rows, for the new ones to be written. It returns the
// version it replaced, whose duplicate keys the new version's replace.
func (x *txExec) replaceRow(tenantID string, c *contactd.Contact, doc []byte, prev int64) (*contactd.Contact, error) {
	old, err := scanContact(x.QueryRowContext(x.ctx, `SELECT `+contactColumns+` FROM contacts c WHERE c.tenant_id = ? AND c.id = ?`, tenantID, c.ID))
	if contactd.ErrorCodeOf(err) == contactd.ENotFound {
		return nil, contactd.Errorf(contactd.EPreconditionFailed, "contact %q was changed by another request", c.ID)
	}
	if err != nil {
		return nil, err
	}
	res, err := x.tx.ExecContext(x.ctx, sqlq.SQLite.UpdateContact(), append(contactRow(tenantID, c, doc), prev)...)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, contactd.Errorf(contactd.EPreconditionFailed, "contact %q was changed by another request", c.ID)
	}
	for _, q := range []string{
		`DELETE FROM contact_emails WHERE tenant_id = ? AND contact_id = ?`,
		`DELETE FROM contact_phones WHERE tenant_id = ? AND contact_id = ?`,
		`DELETE FROM contact_tags WHERE tenant_id = ? AND contact_id = ?`,
		`DELETE FROM contact_terms WHERE tenant_id = ? AND contact_id = ?`,
		`DELETE FROM contact_codes WHERE tenant_id = ? AND contact_id = ?`,
	} {
		if err := x.exec(q, tenantID, c.ID); err != nil {
			return nil, err
		}
	}
	return old, nil
}

// sqliteBool is a boolean as SQLite stores it.
func sqliteBool(b bool) any { return boolInt(b) }

// WriteContacts implements contactd.Store, with sqlq.ApplyBatch.
func (s *Store) WriteContacts(ctx context.Context, p contactd.WriteContactsParams) ([]error, error) {
	docs := make(map[*contactd.Contact][]byte, len(p.Writes))
	for _, w := range p.Writes {
		doc, err := json.Marshal(w.Contact)
		if err != nil {
			return nil, err
		}
		docs[w.Contact] = doc
	}
	var errs []error
	err := s.inTxAlone(ctx, func(ctx context.Context, tx *sql.Tx) error {
		x := &txExec{ctx: ctx, tx: tx, s: s}
		_, uniquePhones, err := s.lockTenant(ctx, x, p.TenantID, 0)
		if err != nil {
			return err
		}
		if err := x.checkRefs(p.TenantID, p.Refs); err != nil {
			return err
		}
		errs, err = sqlq.ApplyBatch(p, &batchWriter{x: x, tenantID: p.TenantID, uniquePhones: uniquePhones, docs: docs})
		return err
	})
	if errors.Is(err, sqlq.ErrRefused) {
		return errs, nil
	}
	if err != nil {
		return nil, err
	}
	return errs, nil
}

// batchWriter is the SQLite store's sqlq.BatchWriter.
type batchWriter struct {
	x            *txExec
	tenantID     string
	uniquePhones bool
	docs         map[*contactd.Contact][]byte
}

func (b *batchWriter) Conflicts(cs []*contactd.Contact) (map[int]error, error) {
	bad := map[int]error{}
	for i, c := range cs {
		err := b.x.checkUnique(b.tenantID, c, b.uniquePhones)
		var ce *contactd.ConflictError
		switch {
		case errors.As(err, &ce):
			bad[i] = err
		case err != nil:
			return nil, err
		}
	}
	return bad, nil
}

func (b *batchWriter) Insert(ws []contactd.WriteContactParams) error {
	last, _, err := b.x.s.lockTenant(b.x.ctx, b.x, b.tenantID, len(ws))
	if err != nil {
		return err
	}
	docs := make([][]byte, len(ws))
	chs := make([]*contactd.Change, len(ws))
	for i, w := range ws {
		docs[i], chs[i] = b.docs[w.Contact], w.Change
	}
	sqlq.NumberChanges(b.tenantID, last, chs)
	return b.x.insertBatch(b.tenantID, ws, docs)
}

func (b *batchWriter) UpdateImport(pr *contactd.ImportProgress) error {
	return b.x.updateImport(pr.Job, pr.Errors)
}

func (b *batchWriter) Replace(w contactd.WriteContactParams) error {
	c := w.Contact
	if c.Live() {
		if err := b.x.checkUnique(b.tenantID, c, b.uniquePhones); err != nil {
			return err
		}
	}
	old, err := b.x.replaceRow(b.tenantID, c, b.docs[c], w.PrevVersion)
	if err != nil {
		return err
	}
	var r rowSet
	r.addEntries(b.tenantID, old, c, w.Terms)
	if err := r.write(b.x); err != nil {
		return err
	}
	return b.x.appendChanges(b.tenantID, w.Change)
}

// writeVersions replaces contacts whose side rows (emails, phones, tags,
// terms) do not change, with their changes: a contact detached from a
// deleted account. The caller has locked the tenant.
func (x *txExec) writeVersions(tenantID string, ws []contactd.ContactWrite) error {
	chs := make([]*contactd.Change, len(ws))
	for i, w := range ws {
		c := w.Contact
		doc, err := json.Marshal(c)
		if err != nil {
			return err
		}
		res, err := x.tx.ExecContext(x.ctx, sqlq.SQLite.UpdateContact(), append(contactRow(tenantID, c, doc), w.PrevVersion)...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return contactd.Errorf(contactd.EPreconditionFailed, "contact %q was changed by another request", c.ID)
		}
		chs[i] = w.Change
	}
	if len(chs) == 0 {
		return nil
	}
	return x.appendChanges(tenantID, chs...)
}

// checkRefs checks what a write names (see contactd.ContactRefs), and adds
// the tags the registry lacks.
func (x *txExec) checkRefs(tenantID string, refs contactd.ContactRefs) error {
	for ids := range slices.Chunk(refs.AccountIDs, maxRowsPerInsert) {
		found, err := collect(scanString)(x.QueryContext(x.ctx, `SELECT id FROM accounts WHERE tenant_id = ? AND id IN (`+placeholders(len(ids))+`)`,
			append([]any{tenantID}, anys(ids)...)...))
		if err != nil {
			return err
		}
		for _, id := range ids {
			if !slices.Contains(found, id) {
				return &contactd.RefError{Field: "accountId", Value: id}
			}
		}
	}
	var missing [][]any
	for tags := range slices.Chunk(refs.Tags, maxRowsPerInsert) {
		keys := make([]any, len(tags))
		for i, t := range tags {
			keys[i] = contactd.TagKey(t.Name)
		}
		names, err := tagNames(x.ctx, x, tenantID, keys)
		if err != nil {
			return err
		}
		for i, t := range tags {
			name, ok := names[keys[i].(string)]
			switch {
			case !ok:
				missing = append(missing, []any{tenantID, t.ID, t.Name, keys[i], formatTime(t.CreatedAt), formatTime(t.UpdatedAt)})
			case name != t.Name:
				return &contactd.RefError{Field: "tags", Value: t.Name, Current: name}
			}
		}
	}
	return x.insertRows("tags", missing)
}

// InsertContacts implements contactd.Store. The batch goes in with
// multi-row statements, one table after the other, because each statement
// has a fixed cost that would otherwise be paid a dozen times per contact.
// Unless the tenant keeps phone numbers unique (which no index enforces),
// nothing is checked before writing: the unique indexes refuse a conflict,
// and only then are the contacts checked one by one, in a transaction of
// their own, to name the contact that conflicts.
func (s *Store) InsertContacts(ctx context.Context, p contactd.InsertContactsParams) error {
	docs := make([][]byte, len(p.Contacts))
	for i, w := range p.Contacts {
		var err error
		if docs[i], err = json.Marshal(w.Contact); err != nil {
			return err
		}
	}
	checked := false
	err := s.inTxAlone(ctx, func(ctx context.Context, tx *sql.Tx) error {
		x := &txExec{ctx: ctx, tx: tx, s: s}
		last, uniquePhones, err := s.lockTenant(ctx, x, p.TenantID, len(p.Contacts))
		if err != nil {
			return err
		}
		if err := x.checkRefs(p.TenantID, p.Refs); err != nil {
			return err
		}
		if uniquePhones {
			checked = true
			if err := x.checkUniqueAll(p.TenantID, p.Contacts); err != nil {
				return err
			}
		}
		sqlq.NumberChanges(p.TenantID, last, p.Changes())
		return x.insertBatch(p.TenantID, p.Contacts, docs)
	})
	if contactd.ErrorCodeOf(err) == contactd.EConflict && !checked {
		// Name the contact that conflicts, if it is still there.
		if cerr := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			return (&txExec{ctx: ctx, tx: tx, s: s}).checkUniqueAll(p.TenantID, p.Contacts)
		}); cerr != nil {
			return cerr
		}
	}
	return err
}

func (x *txExec) checkUniqueAll(tenantID string, batch []contactd.WriteContactParams) error {
	var uniquePhones bool
	if err := x.QueryRowContext(x.ctx, `SELECT unique_phones FROM tenants WHERE id = ?`, tenantID).Scan(&uniquePhones); err != nil {
		return err
	}
	for _, p := range batch {
		if err := x.checkUnique(tenantID, p.Contact, uniquePhones); err != nil {
			return err
		}
	}
	return nil
}

// insertBatch writes new contacts with their side rows and their
// (numbered) "created" changes.
func (x *txExec) insertBatch(tenantID string, batch []contactd.WriteContactParams, docs [][]byte) error {
	var r rowSet
	for i, p := range batch {
		r.contacts = append(r.contacts, contactRow(tenantID, p.Contact, docs[i]))
		r.addEntries(tenantID, nil, p.Contact, p.Terms)
		row, err := changeRow(p.Change)
		if err != nil {
			return err
		}
		r.changes = append(r.changes, row)
	}
	return r.write(x)
}

// rowSet collects rows to insert, by table.
type rowSet struct {
	contacts, emails, phones, codes, tags, terms, dupKeys, changes [][]any
	// dropKeys remove the duplicate keys the written versions no longer
	// have; they run before the inserts.
	dropKeys []statement
	// photos are the statements that store the contacts' photos.
	photos []statement
}

// statement is a statement with its parameters.
type statement struct {
	q    string
	args []any
}

// addEntries adds the side-table rows of a contact: emails, phones, tags,
// full-text terms, and the duplicate keys it gains over old (the version
// it replaces; nil for a new contact), removing those it loses.
func (r *rowSet) addEntries(tenantID string, old, c *contactd.Contact, terms []contactd.Term) {
	if q, args := sqlq.SQLite.PhotoWrite(tenantID, c); q != "" {
		r.photos = append(r.photos, statement{q, args})
	}
	live := boolInt(c.Live())
	for _, e := range c.Emails {
		r.emails = append(r.emails, []any{tenantID, c.ID, e.Address, live})
	}
	for _, ph := range c.Phones {
		r.phones = append(r.phones, []any{tenantID, c.ID, ph.ID, ph.E164, boolInt(ph.Primary), live})
	}
	r.codes = append(r.codes, sqlq.CodeRows(tenantID, c, live)...)
	for _, t := range contactd.TagKeys(c.Tags) {
		r.tags = append(r.tags, []any{tenantID, c.ID, t, live, formatTime(c.UpdatedAt)})
	}
	for _, t := range terms {
		r.terms = append(r.terms, []any{tenantID, t.Term, c.ID, t.Weight, live, c.DisplayName})
	}
	r.addKeys(tenantID, old, c, false)
}

// addKeys adds what a write of c does to its duplicate keys
// (sqlq.Dialect.KeyWrites).
func (r *rowSet) addKeys(tenantID string, old, c *contactd.Contact, anew bool) {
	drops, rows := sqlq.SQLite.KeyWrites(tenantID, old, c, anew, sqliteBool)
	for _, st := range drops {
		r.dropKeys = append(r.dropKeys, statement{st.Query, st.Args})
	}
	r.dupKeys = append(r.dupKeys, rows...)
}

// write inserts the rows, table by table, and indexes the new numbers'
// digits.
func (r *rowSet) write(x *txExec) error {
	for _, st := range r.dropKeys {
		if err := x.exec(st.q, st.args...); err != nil {
			return err
		}
	}
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
		{"contacts", r.contacts}, {"contact_emails", r.emails}, {"contact_phones", r.phones}, {"contact_codes", r.codes},
		{"contact_tags", r.tags}, {"contact_terms", r.terms}, {"contact_dup_keys", r.dupKeys}, {"changes", r.changes},
	} {
		if err := x.insertRows(t.table, t.rows); err != nil {
			return err
		}
	}
	for rows := range slices.Chunk(r.dupKeys, maxRowsPerInsert) {
		if err := x.exec(sqlq.SQLite.MarkBlocks(len(rows)), slices.Concat(rows...)...); err != nil {
			return err
		}
	}
	for _, st := range r.photos {
		if err := x.exec(st.q, st.args...); err != nil {
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
	"contacts":         sqlq.ContactColumns,
	"contact_emails":   {"tenant_id", "contact_id", "address", "live"},
	"contact_phones":   {"tenant_id", "contact_id", "phone_id", "e164", "is_primary", "live"},
	"contact_tags":     {"tenant_id", "contact_id", "tag", "live", "updated_at"},
	"contact_terms":    {"tenant_id", "term", "contact_id", "weight", "live", "display_name"},
	"contact_dup_keys": sqlq.DupKeyColumns,
	"contact_codes":    sqlq.CodeColumns,
	"changes":          {"tenant_id", "seq", "contact_id", "type", "version", "actor", "at", "fields"},
	"tags":             {"tenant_id", "id", "name", "name_key", "created_at", "updated_at"},
	"import_errors":    {"tenant_id", "import_id", "seq", "doc"},
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

// nextPhoneRowid returns the key (rid) the next phone row will get: the
// phone rows a transaction inserts from here on have this key or a larger
// one.
func (x *txExec) nextPhoneRowid() (int64, error) {
	var last int64
	err := x.QueryRowContext(x.ctx, `SELECT COALESCE(MAX(rid), 0) FROM contact_phones`).Scan(&last)
	return last + 1, err
}

// indexPhoneDigits adds the phone rows from key first on to the trigram
// index of phone digits, keyed by the rows' rid, in one statement: FTS5
// writes its pending terms out at the end of each statement that changes
// it, so a statement per number would cost a segment per number. (Deleted
// and renumbered phone rows update it by trigger, see migration 00013.)
func (x *txExec) indexPhoneDigits(first int64) error {
	return x.exec(`INSERT INTO contact_phone_digits (rowid, digits) SELECT rid, substr(e164, 2) FROM contact_phones WHERE rid >= ?`, first)
}

// txExec runs statements in a write transaction, each through the
// writer's statement prepared once (see writeStmt).
type txExec struct {
	ctx context.Context
	tx  *sql.Tx
	s   *Store
}

// QueryContext and QueryRowContext make a txExec a querier that reads
// through the writer's prepared statements, as exec writes: parsing the
// statements of a write took a tenth of the writer's time.
func (x *txExec) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := x.s.writeStmt(q); st != nil {
		return x.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return x.tx.QueryContext(ctx, q, args...)
}

func (x *txExec) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := x.s.writeStmt(q); st != nil {
		return x.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return x.tx.QueryRowContext(ctx, q, args...)
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

// contactRow is a contact as the contacts table holds it.
func contactRow(tenantID string, c *contactd.Contact, doc []byte) []any {
	return sqlq.SQLite.ContactRow(tenantID, c, doc)
}

// ListContacts implements contactd.Store.
func (s *Store) ListContacts(ctx context.Context, q contactd.ContactQuery) ([]*contactd.Contact, int, error) {
	b := sqlq.NewBuilder(sqlq.SQLite)
	text := b.List(q)
	total := -1
	docs, err := collect(func(row rowScanner) (sqlq.StoredContact, error) {
		var d sqlq.StoredContact
		dest := []any{&d.Doc, &d.DisplayNameSet}
		if b.HasTotal() {
			dest = append(dest, &total)
		}
		return d, interpretError(row.Scan(dest...))
	})(s.queryList(ctx, text, b.Args()))
	if err != nil {
		return nil, -1, err
	}
	cs, err := sqlq.DecodeContacts(docs)
	if !b.HasTotal() {
		return cs, -1, err
	}
	return cs, sqlq.ListTotal(total, len(cs), q.Offset), err
}

// ContactDocs implements contactd.Store: the stored documents are the
// API's JSON (WriteContact marshals the Contact), passed on as read.
func (s *Store) ContactDocs(ctx context.Context, q contactd.ContactQuery) ([]contactd.ContactDoc, error) {
	b := sqlq.NewBuilder(sqlq.SQLite)
	text := b.ListDocs(q)
	return collect(func(row rowScanner) (contactd.ContactDoc, error) {
		var d contactd.ContactDoc
		var doc []byte
		err := row.Scan(&d.ID, &doc)
		d.JSON = doc
		return d, interpretError(err)
	})(s.queryList(ctx, text, b.Args()))
}

// CountContacts implements contactd.Store.
func (s *Store) CountContacts(ctx context.Context, q contactd.ContactQuery) (int, error) {
	return count(ctx, s, func(b *sqlq.Builder) string { return b.Count(q) })
}

// checkUnique finds a live contact other than c holding one of c's emails
// or its external id (or, with uniquePhones, one of its numbers). The
// unique indexes enforce the same rules; this check runs first to name the
// contact that conflicts.
func (x *txExec) checkUnique(tenantID string, c *contactd.Contact, uniquePhones bool) error {
	var checks []struct {
		field, value, q string
	}
	for _, ph := range c.Phones {
		if uniquePhones {
			checks = append(checks, struct{ field, value, q string }{"phone", ph.E164,
				`SELECT contact_id FROM contact_phones WHERE tenant_id = ? AND e164 = ? AND live = 1 AND contact_id <> ? LIMIT 1`})
		}
	}
	for _, e := range c.Emails {
		checks = append(checks, struct{ field, value, q string }{"email", e.Address,
			`SELECT contact_id FROM contact_emails WHERE tenant_id = ? AND address = ? AND live = 1 AND contact_id <> ?`})
	}
	if c.ExternalID != "" {
		checks = append(checks, struct{ field, value, q string }{"externalId", c.ExternalID,
			`SELECT id FROM contacts WHERE tenant_id = ? AND external_id = ? AND deleted_at IS NULL AND id <> ?`})
	}
	for _, ch := range checks {
		var other string
		err := x.QueryRowContext(x.ctx, ch.q, tenantID, ch.value, c.ID).Scan(&other)
		if err == nil {
			return &contactd.ConflictError{Field: ch.field, Value: ch.value, ID: other}
		} else if err != sql.ErrNoRows {
			return err
		}
	}
	for _, k := range sqlq.UniqueCodes(c) {
		var other string
		err := x.QueryRowContext(x.ctx, `SELECT contact_id FROM contact_codes
			WHERE tenant_id = ? AND kind = ? AND scope = ? AND code = ? AND live = 1 AND contact_id <> ?`,
			tenantID, k.Kind, k.Scope, k.Code, c.ID).Scan(&other)
		if err == nil {
			return sqlq.CodeConflict(k, other)
		} else if err != sql.ErrNoRows {
			return err
		}
	}
	return nil
}

// scanString scans a one-column row of text.
func scanString(row rowScanner) (string, error) {
	var s string
	err := row.Scan(&s)
	return s, err
}

// anys converts strings to query arguments.
func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
