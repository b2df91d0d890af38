package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlq"
)

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// inTx runs f in a read-committed transaction, retrying a transaction that
// lost a deadlock or serialization race.
func (s *Store) inTx(ctx context.Context, f func(tx pgx.Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := pgx.BeginFunc(ctx, s.pool, f)
		var pe *pgconn.PgError
		if errors.As(err, &pe) && (pe.Code == serializationFailure || pe.Code == deadlockDetected) && attempt < 5 {
			continue
		}
		return err
	}
}

// CreateTenant implements contactd.Store.
func (s *Store) CreateTenant(ctx context.Context, t *contactd.Tenant) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO tenants (id, name, default_region, unique_phones, created_at) VALUES ($1, $2, $3, $4, $5)`,
		t.ID, t.Name, t.DefaultRegion, t.UniquePhones, t.CreatedAt)
	if c, ok := constraintOf(err); ok && c == "tenants_name" {
		return &contactd.Error{Code: contactd.EConflict, Message: fmt.Sprintf("a tenant named %q exists", t.Name), ConflictingField: "name"}
	}
	return interpretError(err)
}

const tenantColumns = `id, name, default_region, unique_phones, created_at`

func scanTenant(row pgx.Row) (*contactd.Tenant, error) {
	var t contactd.Tenant
	if err := row.Scan(&t.ID, &t.Name, &t.DefaultRegion, &t.UniquePhones, &t.CreatedAt); err != nil {
		return nil, interpretError(err)
	}
	t.CreatedAt = t.CreatedAt.UTC()
	return &t, nil
}

// Tenant implements contactd.Store.
func (s *Store) Tenant(ctx context.Context, id string) (*contactd.Tenant, error) {
	return scanTenant(s.pool.QueryRow(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE id = $1`, id))
}

// TenantByName implements contactd.Store.
func (s *Store) TenantByName(ctx context.Context, name string) (*contactd.Tenant, error) {
	return scanTenant(s.pool.QueryRow(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE name = $1`, name))
}

// CountTenants implements contactd.Store.
func (s *Store) CountTenants(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM tenants`).Scan(&n)
	return n, interpretError(err)
}

// CreateToken implements contactd.Store.
func (s *Store) CreateToken(ctx context.Context, t *contactd.Token) error {
	scopes := make([]string, len(t.Scopes))
	for i, sc := range t.Scopes {
		scopes[i] = string(sc)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO tokens (tenant_id, id, name, kind, user_id, scopes, hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		t.TenantID, t.ID, t.Name, string(t.Kind), t.UserID, strings.Join(scopes, ","), t.Hash, t.CreatedAt)
	return interpretError(err)
}

// TokenByHash implements contactd.Store.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (*contactd.Token, error) {
	var t contactd.Token
	var kind, scopes string
	err := s.pool.QueryRow(ctx, `SELECT k.tenant_id, k.id, k.name, k.kind, k.user_id, k.scopes, k.hash, k.created_at, t.default_region
		FROM tokens k JOIN tenants t ON t.id = k.tenant_id WHERE k.hash = $1 AND k.revoked_at IS NULL`, hash).
		Scan(&t.TenantID, &t.ID, &t.Name, &kind, &t.UserID, &scopes, &t.Hash, &t.CreatedAt, &t.TenantRegion)
	if err != nil {
		return nil, interpretError(err)
	}
	t.Kind = contactd.TokenKind(kind)
	for _, sc := range strings.Split(scopes, ",") {
		t.Scopes = append(t.Scopes, contactd.Scope(sc))
	}
	t.CreatedAt = t.CreatedAt.UTC()
	return &t, nil
}

// Tokens implements contactd.Store.
func (s *Store) Tokens(ctx context.Context, tenantID string) ([]*contactd.Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name, kind, user_id, scopes, created_at, revoked_at FROM tokens WHERE tenant_id = $1 ORDER BY created_at, id`, tenantID)
	if err != nil {
		return nil, interpretError(err)
	}
	defer rows.Close()
	var out []*contactd.Token
	for rows.Next() {
		t := &contactd.Token{TenantID: tenantID}
		var kind, scopes string
		if err := rows.Scan(&t.ID, &t.Name, &kind, &t.UserID, &scopes, &t.CreatedAt, &t.RevokedAt); err != nil {
			return nil, interpretError(err)
		}
		t.Kind = contactd.TokenKind(kind)
		for _, sc := range strings.Split(scopes, ",") {
			t.Scopes = append(t.Scopes, contactd.Scope(sc))
		}
		t.CreatedAt = t.CreatedAt.UTC()
		if t.RevokedAt != nil {
			r := t.RevokedAt.UTC()
			t.RevokedAt = &r
		}
		out = append(out, t)
	}
	return out, interpretError(rows.Err())
}

// RevokeToken implements contactd.Store.
func (s *Store) RevokeToken(ctx context.Context, tenantID, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE tenant_id = $2 AND id = $3`, at, tenantID, id)
	if err != nil {
		return interpretError(err)
	}
	if tag.RowsAffected() == 0 {
		return contactd.Errorf(contactd.ENotFound, "token %q not found", id)
	}
	return nil
}

func scanContact(row pgx.Row) (*contactd.Contact, error) {
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
		return fmt.Errorf("postgres: corrupt contact document: %w", err)
	}
	c.DisplayNameSet = set
	return nil
}

// Contact implements contactd.Store.
func (s *Store) Contact(ctx context.Context, tenantID, id string) (*contactd.Contact, error) {
	return scanContact(s.pool.QueryRow(ctx, `SELECT doc::text, display_name_set FROM contacts WHERE tenant_id = $1 AND id = $2`, tenantID, id))
}

// ContactByEmail implements contactd.Store.
func (s *Store) ContactByEmail(ctx context.Context, tenantID, email string) (*contactd.Contact, error) {
	return scanContact(s.pool.QueryRow(ctx, `SELECT c.doc::text, c.display_name_set FROM contact_emails e
		JOIN contacts c ON c.tenant_id = e.tenant_id AND c.id = e.contact_id
		WHERE e.tenant_id = $1 AND e.address = $2 AND e.live`, tenantID, email))
}

// ContactByExternalID implements contactd.Store.
func (s *Store) ContactByExternalID(ctx context.Context, tenantID, externalID string) (*contactd.Contact, error) {
	return scanContact(s.pool.QueryRow(ctx, `SELECT doc::text, display_name_set FROM contacts
		WHERE tenant_id = $1 AND external_id = $2 AND deleted_at IS NULL`, tenantID, externalID))
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

// LookupPhone implements contactd.Store.
func (s *Store) LookupPhone(ctx context.Context, tenantID, e164 string, limit int) ([]contactd.PhoneMatch, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.doc::text, c.display_name_set, bool_or(p.is_primary) AS prim, array_agg(p.phone_id ORDER BY p.phone_id)
		FROM contact_phones p JOIN contacts c ON c.tenant_id = p.tenant_id AND c.id = p.contact_id
		WHERE p.tenant_id = $1 AND p.e164 = $2 AND p.live
		GROUP BY c.tenant_id, c.id ORDER BY prim DESC, c.updated_at DESC, c.id LIMIT $3`, tenantID, e164, limit)
	if err != nil {
		return nil, interpretError(err)
	}
	defer rows.Close()
	var out []contactd.PhoneMatch
	for rows.Next() {
		var doc []byte
		var m contactd.PhoneMatch
		c := new(contactd.Contact)
		if err := rows.Scan(&doc, &c.DisplayNameSet, &m.PrimaryMatch, &m.PhoneIDs); err != nil {
			return nil, interpretError(err)
		}
		if err := decodeContact(doc, c); err != nil {
			return nil, err
		}
		if m.Doc, err = json.Marshal(c); err != nil {
			return nil, err
		}
		m.ContactID = c.ID
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
	seq := int64(0)
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		var uniquePhones bool
		var err error
		if seq, uniquePhones, err = lockTenant(ctx, tx, p.TenantID, 1); err != nil {
			return err
		}
		if c.Live() {
			if err := checkUnique(ctx, tx, p.TenantID, c, uniquePhones); err != nil {
				return err
			}
		}
		if p.PrevVersion == 0 {
			_, err := tx.Exec(ctx, `INSERT INTO contacts (tenant_id, id, version, display_name, display_name_set, external_id, created_at, updated_at, deleted_at, doc)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
				p.TenantID, c.ID, c.Version, c.DisplayName, c.DisplayNameSet, nullString(c.ExternalID), c.CreatedAt, c.UpdatedAt, c.DeletedAt, string(doc))
			if err != nil {
				return err
			}
		} else {
			tag, err := tx.Exec(ctx, `UPDATE contacts SET version = $1, display_name = $2, display_name_set = $3, external_id = $4, updated_at = $5, deleted_at = $6, doc = $7
				WHERE tenant_id = $8 AND id = $9 AND version = $10`,
				c.Version, c.DisplayName, c.DisplayNameSet, nullString(c.ExternalID), c.UpdatedAt, c.DeletedAt, string(doc), p.TenantID, c.ID, p.PrevVersion)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return contactd.Errorf(contactd.EPreconditionFailed, "contact %q was changed by another request", c.ID)
			}
			if _, err := tx.Exec(ctx, `DELETE FROM contact_emails WHERE tenant_id = $1 AND contact_id = $2`, p.TenantID, c.ID); err != nil {
				return err
			}
			for _, q := range []string{
				`DELETE FROM contact_phones WHERE tenant_id = $1 AND contact_id = $2`,
				`DELETE FROM contact_tags WHERE tenant_id = $1 AND contact_id = $2`,
				`DELETE FROM contact_terms WHERE tenant_id = $1 AND contact_id = $2`,
			} {
				if _, err := tx.Exec(ctx, q, p.TenantID, c.ID); err != nil {
					return err
				}
			}
		}
		var b pgx.Batch
		for _, e := range c.Emails {
			b.Queue(`INSERT INTO contact_emails (tenant_id, contact_id, address, live) VALUES ($1, $2, $3, $4)`, p.TenantID, c.ID, e.Address, c.Live())
		}
		for _, ph := range c.Phones {
			b.Queue(`INSERT INTO contact_phones (tenant_id, contact_id, phone_id, e164, is_primary, live) VALUES ($1, $2, $3, $4, $5, $6)`,
				p.TenantID, c.ID, ph.ID, ph.E164, ph.Primary, c.Live())
		}
		for _, t := range contactd.TagKeys(c.Tags) {
			b.Queue(`INSERT INTO contact_tags (tenant_id, contact_id, tag) VALUES ($1, $2, $3)`, p.TenantID, c.ID, t)
		}
		for _, t := range indexTerms(p) {
			b.Queue(`INSERT INTO contact_terms (tenant_id, term, contact_id, weight) VALUES ($1, $2, $3, $4)`, p.TenantID, t.Term, c.ID, t.Weight)
		}
		if b.Len() > 0 {
			if err := tx.SendBatch(ctx, &b).Close(); err != nil {
				return err
			}
		}
		p.Change.Seq = seq
		return insertChange(ctx, tx, p.Change)
	})
	if err != nil {
		return s.uniqueConflict(ctx, p.TenantID, c, err)
	}
	p.Change.Seq = seq
	return nil
}

// InsertContacts implements contactd.Store. It copies the rows in with
// COPY, after one query per kind of unique key for conflicts with stored
// contacts.
func (s *Store) InsertContacts(ctx context.Context, tenantID string, batch []contactd.WriteContactParams) error {
	var contacts, emails, phones, tags, terms, changes [][]any
	var addrs, exts []string
	byEmail := map[string]*contactd.Contact{}
	byExt := map[string]*contactd.Contact{}
	for _, p := range batch {
		c := p.Contact
		doc, err := json.Marshal(c)
		if err != nil {
			return err
		}
		contacts = append(contacts, []any{tenantID, c.ID, c.Version, c.DisplayName, c.DisplayNameSet, nullString(c.ExternalID), c.CreatedAt, c.UpdatedAt, c.DeletedAt, string(doc)})
		for _, e := range c.Emails {
			emails = append(emails, []any{tenantID, c.ID, e.Address, c.Live()})
			addrs = append(addrs, e.Address)
			byEmail[e.Address] = c
		}
		for _, ph := range c.Phones {
			phones = append(phones, []any{tenantID, c.ID, ph.ID, ph.E164, ph.Primary, c.Live()})
		}
		for _, t := range contactd.TagKeys(c.Tags) {
			tags = append(tags, []any{tenantID, c.ID, t})
		}
		for _, t := range indexTerms(p) {
			terms = append(terms, []any{tenantID, t.Term, c.ID, int16(t.Weight)})
		}
		if c.ExternalID != "" {
			exts = append(exts, c.ExternalID)
			byExt[c.ExternalID] = c
		}
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		last, uniquePhones, err := lockTenant(ctx, tx, tenantID, len(batch))
		if err != nil {
			return err
		}
		if uniquePhones {
			for _, p := range batch {
				if err := checkUnique(ctx, tx, tenantID, &contactd.Contact{ID: p.Contact.ID, Phones: p.Contact.Phones}, true); err != nil {
					return err
				}
			}
		}
		var other, key string
		err = tx.QueryRow(ctx, `SELECT contact_id, address FROM contact_emails WHERE tenant_id = $1 AND address = ANY($2) AND live LIMIT 1`, tenantID, addrs).Scan(&other, &key)
		if err == nil {
			return emailConflict(byEmail[key], key, other)
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		err = tx.QueryRow(ctx, `SELECT id, external_id FROM contacts WHERE tenant_id = $1 AND external_id = ANY($2) AND deleted_at IS NULL LIMIT 1`, tenantID, exts).Scan(&other, &key)
		if err == nil {
			return externalIDConflict(byExt[key], other)
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		seq := last - int64(len(batch))
		for _, p := range batch {
			seq++
			ch := p.Change
			ch.TenantID, ch.Seq = tenantID, seq
			var fields any
			if len(ch.Fields) > 0 {
				b, err := json.Marshal(ch.Fields)
				if err != nil {
					return err
				}
				fields = string(b)
			}
			changes = append(changes, []any{tenantID, seq, ch.ContactID, ch.Type, ch.Version, ch.Actor, ch.At, fields})
		}
		copies := []struct {
			table string
			cols  []string
			rows  [][]any
		}{
			{"contacts", []string{"tenant_id", "id", "version", "display_name", "display_name_set", "external_id", "created_at", "updated_at", "deleted_at", "doc"}, contacts},
			{"contact_emails", []string{"tenant_id", "contact_id", "address", "live"}, emails},
			{"contact_phones", []string{"tenant_id", "contact_id", "phone_id", "e164", "is_primary", "live"}, phones},
			{"contact_tags", []string{"tenant_id", "contact_id", "tag"}, tags},
			{"contact_terms", []string{"tenant_id", "term", "contact_id", "weight"}, terms},
			{"changes", []string{"tenant_id", "seq", "contact_id", "type", "version", "actor", "at", "fields"}, changes},
		}
		for _, cp := range copies {
			if len(cp.rows) == 0 {
				continue
			}
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{cp.table}, cp.cols, pgx.CopyFromRows(cp.rows)); err != nil {
				return err
			}
		}
		return nil
	})
}

// ListContacts implements contactd.Store.
func (s *Store) ListContacts(ctx context.Context, q sqlq.ListQuery) ([]*contactd.Contact, error) {
	b := sqlq.NewBuilder(sqlq.Postgres)
	rows, err := s.pool.Query(ctx, b.List(q), b.Args()...)
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
	b := sqlq.NewBuilder(sqlq.Postgres)
	var n int
	err := s.pool.QueryRow(ctx, b.Count(q), b.Args()...).Scan(&n)
	return n, interpretError(err)
}

// checkUnique finds a live contact other than c holding one of c's emails
// or its external id, to name it in the conflict. Two transactions may both
// pass it; the unique indexes then stop the second (see uniqueConflict).
func checkUnique(ctx context.Context, tx pgx.Tx, tenantID string, c *contactd.Contact, uniquePhones bool) error {
	for i, ph := range c.Phones {
		if !uniquePhones {
			break
		}
		var other string
		err := tx.QueryRow(ctx, `SELECT contact_id FROM contact_phones WHERE tenant_id = $1 AND e164 = $2 AND live AND contact_id <> $3 LIMIT 1`,
			tenantID, ph.E164, c.ID).Scan(&other)
		if err == nil {
			msg := fmt.Sprintf("the number %s belongs to contact %s", ph.E164, other)
			return &contactd.Error{Code: contactd.EConflict, Message: msg, ConflictingID: other, ConflictingField: "phone",
				Fields: []contactd.FieldError{{Location: fmt.Sprintf("phones[%d].number", i), Message: msg}}}
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
	}
	if len(c.Emails) > 0 {
		addrs := make([]string, len(c.Emails))
		for i, e := range c.Emails {
			addrs[i] = e.Address
		}
		var other, addr string
		err := tx.QueryRow(ctx, `SELECT contact_id, address FROM contact_emails WHERE tenant_id = $1 AND address = ANY($2) AND live AND contact_id <> $3 LIMIT 1`,
			tenantID, addrs, c.ID).Scan(&other, &addr)
		if err == nil {
			return emailConflict(c, addr, other)
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
	}
	if c.ExternalID != "" {
		var other string
		err := tx.QueryRow(ctx, `SELECT id FROM contacts WHERE tenant_id = $1 AND external_id = $2 AND deleted_at IS NULL AND id <> $3`,
			tenantID, c.ExternalID, c.ID).Scan(&other)
		if err == nil {
			return externalIDConflict(c, other)
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
	}
	return nil
}

func emailConflict(c *contactd.Contact, addr, other string) error {
	loc := "emails"
	for i, e := range c.Emails {
		if e.Address == addr {
			loc = fmt.Sprintf("emails[%d].address", i)
		}
	}
	msg := fmt.Sprintf("the email %s belongs to contact %s", addr, other)
	return &contactd.Error{Code: contactd.EConflict, Message: msg, ConflictingID: other, ConflictingField: "email",
		Fields: []contactd.FieldError{{Location: loc, Message: msg}}}
}

func externalIDConflict(c *contactd.Contact, other string) error {
	msg := fmt.Sprintf("the external id %s belongs to contact %s", c.ExternalID, other)
	return &contactd.Error{Code: contactd.EConflict, Message: msg, ConflictingID: other, ConflictingField: "externalId",
		Fields: []contactd.FieldError{{Location: "externalId", Message: msg}}}
}

// uniqueConflict turns a unique violation that a concurrent writer caused
// after checkUnique into the conflict naming the other contact.
func (s *Store) uniqueConflict(ctx context.Context, tenantID string, c *contactd.Contact, err error) error {
	name, ok := constraintOf(err)
	if !ok {
		return interpretError(err)
	}
	switch name {
	case "contact_emails_live":
		for _, e := range c.Emails {
			var other string
			if s.pool.QueryRow(ctx, `SELECT contact_id FROM contact_emails WHERE tenant_id = $1 AND address = $2 AND live AND contact_id <> $3`,
				tenantID, e.Address, c.ID).Scan(&other) == nil {
				return emailConflict(c, e.Address, other)
			}
		}
	case "contacts_external_id":
		var other string
		if s.pool.QueryRow(ctx, `SELECT id FROM contacts WHERE tenant_id = $1 AND external_id = $2 AND deleted_at IS NULL AND id <> $3`,
			tenantID, c.ExternalID, c.ID).Scan(&other) == nil {
			return externalIDConflict(c, other)
		}
	}
	return interpretError(err)
}

// lockTenant allocates n change numbers of a tenant and returns the last,
// with the tenant's uniquePhones setting. It runs first in every writing
// transaction: the tenant row stays locked until commit, so a tenant's
// writers take turns from here on — their checks see each other's rows
// (read committed), and changes are numbered in commit order without gaps.
func lockTenant(ctx context.Context, tx pgx.Tx, tenantID string, n int) (last int64, uniquePhones bool, err error) {
	err = tx.QueryRow(ctx, `UPDATE tenants SET change_seq = change_seq + $1 WHERE id = $2 RETURNING change_seq, unique_phones`, n, tenantID).
		Scan(&last, &uniquePhones)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, contactd.Errorf(contactd.ENotFound, "tenant %q not found", tenantID)
	}
	return last, uniquePhones, err
}

// insertChange inserts a numbered change.
func insertChange(ctx context.Context, tx pgx.Tx, ch *contactd.Change) error {
	var fields any
	if len(ch.Fields) > 0 {
		b, err := json.Marshal(ch.Fields)
		if err != nil {
			return err
		}
		fields = string(b)
	}
	_, err := tx.Exec(ctx, `INSERT INTO changes (tenant_id, seq, contact_id, type, version, actor, at, fields) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		ch.TenantID, ch.Seq, ch.ContactID, ch.Type, ch.Version, ch.Actor, ch.At, fields)
	return err
}

// appendChange numbers a change and inserts it.
func appendChange(ctx context.Context, tx pgx.Tx, ch *contactd.Change) (int64, error) {
	seq, _, err := lockTenant(ctx, tx, ch.TenantID, 1)
	if err != nil {
		return 0, err
	}
	ch.Seq = seq
	return seq, insertChange(ctx, tx, ch)
}

// EraseContact implements contactd.Store.
func (s *Store) EraseContact(ctx context.Context, tenantID, id string, change *contactd.Change) error {
	change.TenantID = tenantID
	var seq int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM contacts WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return contactd.Errorf(contactd.ENotFound, "contact %q not found", id)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM changes WHERE tenant_id = $1 AND contact_id = $2`, tenantID, id); err != nil {
			return err
		}
		seq, err = appendChange(ctx, tx, change)
		return err
	})
	if err != nil {
		return interpretError(err)
	}
	change.Seq = seq
	return nil
}

// Changes implements contactd.Store.
func (s *Store) Changes(ctx context.Context, p contactd.ChangesParams) ([]contactd.Change, error) {
	q := `SELECT seq, contact_id, type, version, actor, at, fields::text FROM changes WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`
	args := []any{p.TenantID, p.After, p.Limit}
	if p.ContactID != "" {
		q = `SELECT seq, contact_id, type, version, actor, at, fields::text FROM changes WHERE tenant_id = $1 AND contact_id = $4 AND seq > $2 ORDER BY seq LIMIT $3`
		args = append(args, p.ContactID)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, interpretError(err)
	}
	defer rows.Close()
	var out []contactd.Change
	for rows.Next() {
		ch := contactd.Change{TenantID: p.TenantID}
		var fields *string
		if err := rows.Scan(&ch.Seq, &ch.ContactID, &ch.Type, &ch.Version, &ch.Actor, &ch.At, &fields); err != nil {
			return nil, interpretError(err)
		}
		ch.At = ch.At.UTC()
		if fields != nil {
			if err := json.Unmarshal([]byte(*fields), &ch.Fields); err != nil {
				return nil, fmt.Errorf("postgres: corrupt change %d: %w", ch.Seq, err)
			}
		}
		out = append(out, ch)
	}
	return out, interpretError(rows.Err())
}

// ReserveIdempotencyKey implements contactd.Store.
func (s *Store) ReserveIdempotencyKey(ctx context.Context, r *contactd.IdempotencyRecord) (*contactd.IdempotencyRecord, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO idempotency_keys (tenant_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
		r.TenantID, r.Key, r.RequestHash, r.CreatedAt)
	if err != nil {
		return nil, interpretError(err)
	}
	if tag.RowsAffected() == 1 {
		return nil, nil
	}
	old := contactd.IdempotencyRecord{TenantID: r.TenantID, Key: r.Key}
	var resp *string
	err = s.pool.QueryRow(ctx, `SELECT request_hash, created_at, response::text FROM idempotency_keys WHERE tenant_id = $1 AND key = $2`, r.TenantID, r.Key).
		Scan(&old.RequestHash, &old.CreatedAt, &resp)
	if errors.Is(err, pgx.ErrNoRows) {
		// Released between our insert and read: try once more.
		return s.ReserveIdempotencyKey(ctx, r)
	}
	if err != nil {
		return nil, interpretError(err)
	}
	old.CreatedAt = old.CreatedAt.UTC()
	if resp != nil {
		old.Response = new(contactd.StoredResponse)
		if err := json.Unmarshal([]byte(*resp), old.Response); err != nil {
			return nil, err
		}
	}
	return &old, nil
}

// CompleteIdempotencyKey implements contactd.Store.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, r *contactd.IdempotencyRecord) error {
	b, err := json.Marshal(r.Response)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `UPDATE idempotency_keys SET response = $1 WHERE tenant_id = $2 AND key = $3`, string(b), r.TenantID, r.Key)
	return interpretError(err)
}

// ReleaseIdempotencyKey implements contactd.Store.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, tenantID, key string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key = $2`, tenantID, key)
	return interpretError(err)
}

// indexTerms returns the full-text entries of a write: its terms and the
// suffixes of its phone digits, which this store indexes as terms too.
func indexTerms(p contactd.WriteContactParams) []contactd.Term {
	return slices.Concat(p.Terms, contactd.PhoneDigitTerms(p.Contact, p.Terms))
}
