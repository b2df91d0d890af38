package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlq"
)

// contactColumns are the columns a contact is read from: its document (as
// text) and what is stored beside it.
const contactColumns = `c.doc::text, c.display_name_set`

// scanContact scans a row of contactColumns.
func scanContact(row pgx.Row) (*contactd.Contact, error) {
	var doc []byte
	var set bool
	if err := row.Scan(&doc, &set); err != nil {
		return nil, interpretError(err)
	}
	return sqlq.DecodeContact(doc, set)
}

// Contact implements contactd.Store.
func (s *Store) Contact(ctx context.Context, tenantID, id string) (*contactd.Contact, error) {
	return scanContact(s.pool.QueryRow(ctx, `SELECT `+contactColumns+` FROM contacts c WHERE c.tenant_id = $1 AND c.id = $2`, tenantID, id))
}

// ContactByEmail implements contactd.Store.
func (s *Store) ContactByEmail(ctx context.Context, tenantID, email string) (*contactd.Contact, error) {
	return scanContact(s.pool.QueryRow(ctx, `SELECT `+contactColumns+` FROM contact_emails e
		JOIN contacts c ON c.tenant_id = e.tenant_id AND c.id = e.contact_id
		WHERE e.tenant_id = $1 AND e.address = $2 AND e.live`, tenantID, email))
}

// ContactByExternalID implements contactd.Store.
func (s *Store) ContactByExternalID(ctx context.Context, tenantID, externalID string) (*contactd.Contact, error) {
	return scanContact(s.pool.QueryRow(ctx, `SELECT `+contactColumns+` FROM contacts c
		WHERE c.tenant_id = $1 AND c.external_id = $2 AND c.deleted_at IS NULL`, tenantID, externalID))
}

// ContactDoc implements contactd.Store. jsonb keeps neither key order nor
// spacing, so the document is decoded and marshalled again.
func (s *Store) ContactDoc(ctx context.Context, tenantID, id string) (*contactd.ContactDoc, error) {
	c, err := s.Contact(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return &contactd.ContactDoc{Version: c.Version, Deleted: c.DeletedAt != nil, JSON: b}, nil
}

// ContactDocs implements contactd.Store. A jsonb document comes back
// with its keys reordered, so each contact is decoded and marshalled.
func (s *Store) ContactDocs(ctx context.Context, q contactd.ContactQuery) ([]contactd.ContactDoc, error) {
	q.Terms, q.Rank = nil, false
	cs, _, err := s.ListContacts(ctx, q)
	if err != nil {
		return nil, err
	}
	out := make([]contactd.ContactDoc, len(cs))
	for i, c := range cs {
		b, err := json.Marshal(c)
		if err != nil {
			return nil, err
		}
		out[i] = contactd.ContactDoc{ID: c.ID, Version: c.Version, Deleted: c.DeletedAt != nil, JSON: b}
	}
	return out, nil
}

// LookupPhone implements contactd.Store.
func (s *Store) LookupPhone(ctx context.Context, tenantID, e164 string, limit int) ([]contactd.PhoneMatch, error) {
	return collect(func(row pgx.Row) (contactd.PhoneMatch, error) {
		var m contactd.PhoneMatch
		var doc []byte
		var set bool
		if err := row.Scan(&doc, &set, &m.PrimaryMatch, &m.PhoneIDs); err != nil {
			return m, interpretError(err)
		}
		c, err := scanContact(rawRow{doc, set})
		if err != nil {
			return m, err
		}
		m.ContactID = c.ID
		m.Doc, err = json.Marshal(c)
		return m, err
	})(s.pool.Query(ctx, `SELECT `+contactColumns+`, bool_or(p.is_primary) AS prim, array_agg(p.phone_id ORDER BY p.phone_id)
		FROM contact_phones p JOIN contacts c ON c.tenant_id = p.tenant_id AND c.id = p.contact_id
		WHERE p.tenant_id = $1 AND p.e164 = $2 AND p.live
		GROUP BY c.tenant_id, c.id ORDER BY prim DESC, c.updated_at DESC, c.id LIMIT $3`, tenantID, e164, limit))
}

// LookupExtension implements contactd.Store.
func (s *Store) LookupExtension(ctx context.Context, tenantID string, q contactd.ExtensionQuery, limit int) ([]contactd.PhoneMatch, error) {
	text, args := sqlq.Postgres.ExtensionLookup(tenantID, q, limit)
	return collect(func(row pgx.Row) (contactd.PhoneMatch, error) {
		var m contactd.PhoneMatch
		var doc []byte
		var set bool
		var ids string
		if err := row.Scan(&m.ContactID, &doc, &set, &ids); err != nil {
			return m, interpretError(err)
		}
		m.PhoneIDs = strings.Split(ids, ",")
		c, err := scanContact(rawRow{doc, set})
		if err != nil {
			return m, err
		}
		m.Doc, err = json.Marshal(c)
		return m, err
	})(s.pool.Query(ctx, text, args...))
}

// rawRow is a row of contactColumns already read.
type rawRow struct {
	doc []byte
	set bool
}

func (r rawRow) Scan(dest ...any) error {
	*dest[0].(*[]byte), *dest[1].(*bool) = r.doc, r.set
	return nil
}

// WriteContact implements contactd.Store.
func (s *Store) WriteContact(ctx context.Context, p contactd.WriteContactParams) error {
	c := p.Contact
	doc, err := json.Marshal(c)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		last, uniquePhones, err := lockTenant(ctx, tx, p.TenantID, 1)
		if err != nil {
			return err
		}
		if err := checkRefs(ctx, tx, p.TenantID, p.Refs); err != nil {
			return err
		}
		if c.Live() {
			if err := checkUnique(ctx, tx, p.TenantID, c, uniquePhones); err != nil {
				return err
			}
		}
		var old *contactd.Contact
		if p.PrevVersion == 0 {
			if _, err := tx.Exec(ctx, insertSQL("contacts"), contactRow(p.TenantID, c, doc)...); err != nil {
				return err
			}
		} else if old, err = replaceRow(ctx, tx, p.TenantID, c, doc, p.PrevVersion); err != nil {
			return err
		}
		var r rowSet
		r.addEntries(p.TenantID, old, c, p.Terms)
		if err := r.insert(ctx, tx); err != nil {
			return err
		}
		if p.Card != nil {
			if err := writeCard(ctx, tx, p.TenantID, p.Card); err != nil {
				return err
			}
		}
		return insertChanges(ctx, tx, p.TenantID, last, p.Change)
	})
	if err != nil {
		return s.uniqueConflict(ctx, p.TenantID, c, err)
	}
	return nil
}

// replaceRow replaces a contact's row if it is still at version prev, and
// removes its side rows, for the new ones to be written. It returns the
// version it replaced, whose duplicate keys the new version's replace.
func replaceRow(ctx context.Context, tx pgx.Tx, tenantID string, c *contactd.Contact, doc []byte, prev int64) (*contactd.Contact, error) {
	old, err := scanContact(tx.QueryRow(ctx, `SELECT `+contactColumns+` FROM contacts c WHERE c.tenant_id = $1 AND c.id = $2 FOR UPDATE`, tenantID, c.ID))
	if contactd.ErrorCodeOf(err) == contactd.ENotFound {
		return nil, contactd.Errorf(contactd.EPreconditionFailed, "contact %q was changed by another request", c.ID)
	}
	if err != nil {
		return nil, err
	}
	tag, err := tx.Exec(ctx, sqlq.Postgres.UpdateContact(), append(contactRow(tenantID, c, doc), prev)...)
	if err != nil {
		return nil, err
	}
	if tag.RowsAffected() == 0 {
		return nil, contactd.Errorf(contactd.EPreconditionFailed, "contact %q was changed by another request", c.ID)
	}
	var b pgx.Batch
	for _, q := range []string{
		`DELETE FROM contact_emails WHERE tenant_id = $1 AND contact_id = $2`,
		`DELETE FROM contact_phones WHERE tenant_id = $1 AND contact_id = $2`,
		`DELETE FROM contact_tags WHERE tenant_id = $1 AND contact_id = $2`,
		`DELETE FROM contact_terms WHERE tenant_id = $1 AND contact_id = $2`,
		`DELETE FROM contact_codes WHERE tenant_id = $1 AND contact_id = $2`,
	} {
		b.Queue(q, tenantID, c.ID)
	}
	return old, tx.SendBatch(ctx, &b).Close()
}

// pgBool is a boolean as PostgreSQL takes it.
func pgBool(b bool) any { return b }

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
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		_, uniquePhones, err := lockTenant(ctx, tx, p.TenantID, 0)
		if err != nil {
			return err
		}
		if err := checkRefs(ctx, tx, p.TenantID, p.Refs); err != nil {
			return err
		}
		errs, err = sqlq.ApplyBatch(p, &batchWriter{ctx: ctx, tx: tx, tenantID: p.TenantID, uniquePhones: uniquePhones, docs: docs})
		return err
	})
	if errors.Is(err, sqlq.ErrRefused) {
		return errs, nil
	}
	if err != nil {
		return nil, interpretError(err)
	}
	return errs, nil
}

// batchWriter is the PostgreSQL store's sqlq.BatchWriter.
type batchWriter struct {
	ctx          context.Context
	tx           pgx.Tx
	tenantID     string
	uniquePhones bool
	docs         map[*contactd.Contact][]byte
}

func (b *batchWriter) Conflicts(cs []*contactd.Contact) (map[int]error, error) {
	return conflictsOf(b.ctx, b.tx, b.tenantID, "", b.uniquePhones, cs)
}

func (b *batchWriter) Insert(ws []contactd.WriteContactParams) error {
	last, _, err := lockTenant(b.ctx, b.tx, b.tenantID, len(ws))
	if err != nil {
		return err
	}
	var r rowSet
	chs := make([]*contactd.Change, len(ws))
	for i, w := range ws {
		r.contacts = append(r.contacts, contactRow(b.tenantID, w.Contact, b.docs[w.Contact]))
		r.addEntries(b.tenantID, nil, w.Contact, w.Terms)
		chs[i] = w.Change
	}
	sqlq.NumberChanges(b.tenantID, last, chs)
	for _, ch := range chs {
		row, err := changeRow(ch)
		if err != nil {
			return err
		}
		r.changes = append(r.changes, row)
	}
	return r.insert(b.ctx, b.tx)
}

func (b *batchWriter) UpdateImport(pr *contactd.ImportProgress) error {
	return updateImport(b.ctx, b.tx, pr.Job, pr.Errors)
}

func (b *batchWriter) Replace(w contactd.WriteContactParams) error {
	c := w.Contact
	if c.Live() {
		if err := checkUnique(b.ctx, b.tx, b.tenantID, c, b.uniquePhones); err != nil {
			return err
		}
	}
	old, err := replaceRow(b.ctx, b.tx, b.tenantID, c, b.docs[c], w.PrevVersion)
	if err != nil {
		return err
	}
	var r rowSet
	r.addEntries(b.tenantID, old, c, w.Terms)
	if err := r.insert(b.ctx, b.tx); err != nil {
		return err
	}
	return appendChanges(b.ctx, b.tx, b.tenantID, w.Change)
}

// InsertContacts implements contactd.Store. It copies the rows in with
// COPY, after one query per kind of unique key for conflicts with stored
// contacts.
func (s *Store) InsertContacts(ctx context.Context, p contactd.InsertContactsParams) error {
	var r rowSet
	for _, w := range p.Contacts {
		c := w.Contact
		doc, err := json.Marshal(c)
		if err != nil {
			return err
		}
		r.contacts = append(r.contacts, contactRow(p.TenantID, c, doc))
		r.addEntries(p.TenantID, nil, c, w.Terms)
	}
	return interpretError(s.inTx(ctx, func(tx pgx.Tx) error {
		last, uniquePhones, err := lockTenant(ctx, tx, p.TenantID, len(p.Contacts))
		if err != nil {
			return err
		}
		if err := checkRefs(ctx, tx, p.TenantID, p.Refs); err != nil {
			return err
		}
		cs := make([]*contactd.Contact, len(p.Contacts))
		for i, w := range p.Contacts {
			cs[i] = w.Contact
		}
		if err := checkUniqueOf(ctx, tx, p.TenantID, "", uniquePhones, cs...); err != nil {
			return err
		}
		chs := p.Changes()
		sqlq.NumberChanges(p.TenantID, last, chs)
		for _, ch := range chs {
			row, err := changeRow(ch)
			if err != nil {
				return err
			}
			r.changes = append(r.changes, row)
		}
		return r.insert(ctx, tx)
	}))
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
	if q, args := sqlq.Postgres.PhotoWrite(tenantID, c); q != "" {
		r.photos = append(r.photos, statement{q, args})
	}
	for _, e := range c.Emails {
		r.emails = append(r.emails, []any{tenantID, c.ID, e.Address, c.Live()})
	}
	for _, ph := range c.Phones {
		r.phones = append(r.phones, []any{tenantID, c.ID, ph.ID, ph.E164, ph.Primary, c.Live()})
	}
	r.codes = append(r.codes, sqlq.CodeRows(tenantID, c, c.Live())...)
	for _, t := range contactd.TagKeys(c.Tags) {
		r.tags = append(r.tags, []any{tenantID, c.ID, t, c.Live(), c.UpdatedAt})
	}
	for _, t := range terms {
		r.terms = append(r.terms, []any{tenantID, t.Term, c.ID, int16(t.Weight), c.Live(), c.DisplayName})
	}
	r.addKeys(tenantID, old, c, false)
}

// addKeys adds what a write of c does to its duplicate keys
// (sqlq.Dialect.KeyWrites).
func (r *rowSet) addKeys(tenantID string, old, c *contactd.Contact, anew bool) {
	drops, rows := sqlq.Postgres.KeyWrites(tenantID, old, c, anew, pgBool)
	for _, st := range drops {
		r.dropKeys = append(r.dropKeys, statement{st.Query, st.Args})
	}
	r.dupKeys = append(r.dupKeys, rows...)
}

// insert writes the rows, table by table: COPY for many rows of a table,
// else INSERTs sent together in one batch (flushed before a COPY, so that
// rows go in in table order).
func (r *rowSet) insert(ctx context.Context, tx pgx.Tx) error {
	var b pgx.Batch
	flush := func() error {
		if b.Len() == 0 {
			return nil
		}
		err := tx.SendBatch(ctx, &b).Close()
		b = pgx.Batch{}
		return err
	}
	for _, st := range r.dropKeys {
		b.Queue(st.q, st.args...)
	}
	for _, t := range []struct {
		table string
		rows  [][]any
	}{
		{"contacts", r.contacts}, {"contact_emails", r.emails}, {"contact_phones", r.phones}, {"contact_codes", r.codes},
		{"contact_tags", r.tags}, {"contact_terms", r.terms}, {"contact_dup_keys", r.dupKeys}, {"changes", r.changes},
	} {
		if len(t.rows) < copyThreshold {
			for _, row := range t.rows {
				b.Queue(insertSQL(t.table), row...)
			}
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		if err := copyRows(ctx, tx, t.table, t.rows); err != nil {
			return err
		}
	}
	for _, st := range r.photos {
		b.Queue(st.q, st.args...)
	}
	for rows := range slices.Chunk(r.dupKeys, 500) {
		b.Queue(sqlq.Postgres.MarkBlocks(len(rows)), slices.Concat(rows...)...)
	}
	return flush()
}

// copyColumns are the columns copyRows and insertSQL write, per table.
var copyColumns = map[string][]string{
	"contacts":         sqlq.ContactColumns,
	"contact_emails":   {"tenant_id", "contact_id", "address", "live"},
	"contact_phones":   {"tenant_id", "contact_id", "phone_id", "e164", "is_primary", "live"},
	"contact_tags":     {"tenant_id", "contact_id", "tag", "live", "updated_at"},
	"contact_terms":    {"tenant_id", "term", "contact_id", "weight", "live", "display_name"},
	"contact_dup_keys": sqlq.DupKeyColumns,
	"contact_codes":    sqlq.CodeColumns,
	"changes":          {"tenant_id", "seq", "contact_id", "type", "version", "actor", "at", "fields"},
}

// copyThreshold is the number of rows of a table from which COPY beats
// INSERTs.
const copyThreshold = 64

// copyRows copies rows into table.
func copyRows(ctx context.Context, tx pgx.Tx, table string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{table}, copyColumns[table], pgx.CopyFromRows(rows))
	return err
}

// insertSQL is the single-row INSERT of a table's copyColumns.
func insertSQL(table string) string {
	cols := copyColumns[table]
	ps := make([]string, len(cols))
	for i := range ps {
		ps[i] = "$" + strconv.Itoa(i+1)
	}
	return `INSERT INTO ` + table + ` (` + strings.Join(cols, ", ") + `) VALUES (` + strings.Join(ps, ", ") + `)`
}

// contactRow is a contact as the contacts table holds it.
func contactRow(tenantID string, c *contactd.Contact, doc []byte) []any {
	return sqlq.Postgres.ContactRow(tenantID, c, string(doc))
}

// writeVersions replaces contacts whose side rows (emails, phones, tags,
// terms) do not change, with their changes: a contact detached from a
// deleted account. The caller has locked the tenant.
func writeVersions(ctx context.Context, tx pgx.Tx, tenantID string, ws []contactd.ContactWrite) error {
	chs := make([]*contactd.Change, len(ws))
	for i, w := range ws {
		c := w.Contact
		doc, err := json.Marshal(c)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, sqlq.Postgres.UpdateContact(), append(contactRow(tenantID, c, doc), w.PrevVersion)...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return contactd.Errorf(contactd.EPreconditionFailed, "contact %q was changed by another request", c.ID)
		}
		chs[i] = w.Change
	}
	if len(chs) == 0 {
		return nil
	}
	return appendChanges(ctx, tx, tenantID, chs...)
}

// checkRefs checks what a write names (see contactd.ContactRefs), and adds
// the tags the registry lacks. The caller has locked the tenant, so that a
// delete or a rename of what the write names waits for it, or it for them.
func checkRefs(ctx context.Context, tx pgx.Tx, tenantID string, refs contactd.ContactRefs) error {
	if len(refs.AccountIDs) > 0 {
		found, err := collect(scanString)(tx.Query(ctx, `SELECT id FROM accounts WHERE tenant_id = $1 AND id = ANY($2)`, tenantID, refs.AccountIDs))
		if err != nil {
			return err
		}
		for _, id := range refs.AccountIDs {
			if !slices.Contains(found, id) {
				return &contactd.RefError{Field: "accountId", Value: id}
			}
		}
	}
	if len(refs.Tags) == 0 {
		return nil
	}
	keys := make([]string, len(refs.Tags))
	for i, t := range refs.Tags {
		keys[i] = contactd.TagKey(t.Name)
	}
	names, err := tagNames(ctx, tx, tenantID, keys)
	if err != nil {
		return err
	}
	var missing []*contactd.Tag
	for _, t := range refs.Tags {
		if _, ok := names[contactd.TagKey(t.Name)]; !ok {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		// A tag created meanwhile by another transaction is kept; its
		// spelling is read again below.
		var ids, ns, ks []string
		var at []time.Time
		for _, t := range missing {
			ids, ns, ks, at = append(ids, t.ID), append(ns, t.Name), append(ks, contactd.TagKey(t.Name)), append(at, t.CreatedAt)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO tags (tenant_id, id, name, name_key, created_at, updated_at)
			SELECT $1, id, name, name_key, at, at FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[]) AS i(id, name, name_key, at)
			ON CONFLICT (tenant_id, name_key) DO NOTHING`, tenantID, ids, ns, ks, at); err != nil {
			return err
		}
		added, err := tagNames(ctx, tx, tenantID, ks)
		if err != nil {
			return err
		}
		maps.Copy(names, added)
	}
	for _, t := range refs.Tags {
		if name, ok := names[contactd.TagKey(t.Name)]; ok && name != t.Name {
			return &contactd.RefError{Field: "tags", Value: t.Name, Current: name}
		}
	}
	return nil
}

// ListContacts implements contactd.Store.
func (s *Store) ListContacts(ctx context.Context, q contactd.ContactQuery) ([]*contactd.Contact, int, error) {
	b := sqlq.NewBuilder(sqlq.Postgres)
	text := b.List(q)
	var total int64 = -1
	docs, err := collect(func(row pgx.Row) (sqlq.StoredContact, error) {
		var d sqlq.StoredContact
		dest := []any{&d.Doc, &d.DisplayNameSet}
		if b.HasTotal() {
			dest = append(dest, &total)
		}
		return d, row.Scan(dest...)
	})(s.pool.Query(ctx, text, b.Args()...))
	if err != nil {
		return nil, -1, err
	}
	cs, err := sqlq.DecodeContacts(docs)
	if !b.HasTotal() {
		return cs, -1, err
	}
	return cs, sqlq.ListTotal(int(total), len(cs), q.Offset), err
}

// CountContacts implements contactd.Store.
func (s *Store) CountContacts(ctx context.Context, q contactd.ContactQuery) (int, error) {
	return count(ctx, s, func(b *sqlq.Builder) string { return b.Count(q) })
}

// checkUnique finds a live contact other than c holding one of c's emails
// or its external id (or, with uniquePhones, one of its numbers), to name
// it in the conflict. Two transactions may both pass it; the unique
// indexes then stop the second (see uniqueConflict).
func checkUnique(ctx context.Context, tx pgx.Tx, tenantID string, c *contactd.Contact, uniquePhones bool) error {
	return checkUniqueOf(ctx, tx, tenantID, c.ID, uniquePhones, c)
}

// checkUniqueOf finds a live contact other than self holding an email,
// external id or (with uniquePhones) number of one of cs.
func checkUniqueOf(ctx context.Context, tx pgx.Tx, tenantID, self string, uniquePhones bool, cs ...*contactd.Contact) error {
	bad, err := conflictsOf(ctx, tx, tenantID, self, uniquePhones, cs)
	if err != nil || len(bad) == 0 {
		return err
	}
	return bad[slices.Min(slices.Collect(maps.Keys(bad)))]
}

// conflictsOf finds, for each of cs, a live contact other than self that
// holds one of its emails, its external id or (with uniquePhones) one of
// its numbers, with one query per kind of value: the conflicts by index
// in cs. The contacts of cs must not share such a value.
func conflictsOf(ctx context.Context, tx pgx.Tx, tenantID, self string, uniquePhones bool, cs []*contactd.Contact) (map[int]error, error) {
	type key struct{ field, value string }
	owner := map[key]int{}
	var nums, addrs, exts []string
	for i, c := range cs {
		for _, ph := range c.Phones {
			if uniquePhones {
				nums = append(nums, ph.E164)
				owner[key{"phone", ph.E164}] = i
			}
		}
		for _, e := range c.Emails {
			addrs = append(addrs, e.Address)
			owner[key{"email", e.Address}] = i
		}
		if c.ExternalID != "" {
			exts = append(exts, c.ExternalID)
			owner[key{"externalId", c.ExternalID}] = i
		}
	}
	bad := map[int]error{}
	if err := codeConflicts(ctx, tx, tenantID, self, cs, bad); err != nil {
		return nil, err
	}
	for _, ch := range []struct {
		field  string
		values []string
		q      string
	}{
		{"phone", nums, `SELECT contact_id, e164 FROM contact_phones WHERE tenant_id = $1 AND e164 = ANY($2) AND live AND contact_id <> $3`},
		{"email", addrs, `SELECT contact_id, address FROM contact_emails WHERE tenant_id = $1 AND address = ANY($2) AND live AND contact_id <> $3`},
		{"externalId", exts, `SELECT id, external_id FROM contacts WHERE tenant_id = $1 AND external_id = ANY($2) AND deleted_at IS NULL AND id <> $3`},
	} {
		if len(ch.values) == 0 {
			continue
		}
		rows, err := tx.Query(ctx, ch.q, tenantID, ch.values, self)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var other, value string
			if err := rows.Scan(&other, &value); err != nil {
				rows.Close()
				return nil, err
			}
			if i, ok := owner[key{ch.field, value}]; ok && bad[i] == nil {
				bad[i] = &contactd.ConflictError{Field: ch.field, Value: value, ID: other}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return bad, nil
}

// codeConflicts adds to bad, for each of cs without a conflict yet, a live
// contact other than self holding one of its extensions.
func codeConflicts(ctx context.Context, tx pgx.Tx, tenantID, self string, cs []*contactd.Contact, bad map[int]error) error {
	owner := map[sqlq.Code]int{}
	var codes []string
	for i, c := range cs {
		for _, k := range sqlq.UniqueCodes(c) {
			k.EntryID = ""
			owner[k] = i
			codes = append(codes, k.Code)
		}
	}
	if len(codes) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT contact_id, kind, scope, code FROM contact_codes
		WHERE tenant_id = $1 AND code = ANY($2) AND kind <> 'l' AND live AND contact_id <> $3`, tenantID, codes, self)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var other string
		var k sqlq.Code
		if err := rows.Scan(&other, &k.Kind, &k.Scope, &k.Code); err != nil {
			return err
		}
		if i, ok := owner[k]; ok && bad[i] == nil {
			bad[i] = sqlq.CodeConflict(k, other)
		}
	}
	return rows.Err()
}

// uniqueConflict turns a unique violation that a concurrent writer caused
// after checkUnique into the conflict naming the other contact.
func (s *Store) uniqueConflict(ctx context.Context, tenantID string, c *contactd.Contact, err error) error {
	name, ok := constraintOf(err)
	if !ok {
		return interpretError(err)
	}
	var other string
	switch name {
	case "contact_emails_live":
		for _, e := range c.Emails {
			if s.pool.QueryRow(ctx, `SELECT contact_id FROM contact_emails WHERE tenant_id = $1 AND address = $2 AND live AND contact_id <> $3`,
				tenantID, e.Address, c.ID).Scan(&other) == nil {
				return &contactd.ConflictError{Field: "email", Value: e.Address, ID: other}
			}
		}
	case "contact_codes_unique":
		for _, k := range sqlq.UniqueCodes(c) {
			if s.pool.QueryRow(ctx, `SELECT contact_id FROM contact_codes WHERE tenant_id = $1 AND kind = $2 AND scope = $3 AND code = $4 AND live AND contact_id <> $5`,
				tenantID, k.Kind, k.Scope, k.Code, c.ID).Scan(&other) == nil {
				return sqlq.CodeConflict(k, other)
			}
		}
	case "contacts_external_id":
		if s.pool.QueryRow(ctx, `SELECT id FROM contacts WHERE tenant_id = $1 AND external_id = $2 AND deleted_at IS NULL AND id <> $3`,
			tenantID, c.ExternalID, c.ID).Scan(&other) == nil {
			return &contactd.ConflictError{Field: "externalId", Value: c.ExternalID, ID: other}
		}
	}
	return interpretError(err)
}

// scanString scans a one-column row of text.
func scanString(row pgx.Row) (string, error) {
	var s string
	err := row.Scan(&s)
	return s, err
}
