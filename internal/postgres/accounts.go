package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlq"
)

func decodeAccount(doc []byte) (*contactd.Account, error) {
	a := new(contactd.Account)
	if err := json.Unmarshal(doc, a); err != nil {
		return nil, fmt.Errorf("postgres: corrupt account document: %w", err)
	}
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return a, nil
}

// Account implements contactd.Store.
func (s *Store) Account(ctx context.Context, tenantID, id string) (*contactd.Account, error) {
	var doc []byte
	err := s.pool.QueryRow(ctx, `SELECT doc::text FROM accounts WHERE tenant_id = $1 AND id = $2`, tenantID, id).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, contactd.Errorf(contactd.ENotFound, "account %q not found", id)
	}
	if err != nil {
		return nil, interpretError(err)
	}
	return decodeAccount(doc)
}

// WriteAccount implements contactd.Store.
func (s *Store) WriteAccount(ctx context.Context, p contactd.WriteAccountParams) error {
	a := p.Account
	doc, err := json.Marshal(a)
	if err != nil {
		return err
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if a.ExternalID != "" {
			var other string
			err := tx.QueryRow(ctx, `SELECT id FROM accounts WHERE tenant_id = $1 AND external_id = $2 AND id <> $3`,
				p.TenantID, a.ExternalID, a.ID).Scan(&other)
			if err == nil {
				return accountExternalIDConflict(a, other)
			} else if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		if p.PrevVersion == 0 {
			_, err := tx.Exec(ctx, `INSERT INTO accounts (tenant_id, id, version, external_id, created_at, updated_at, doc) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				p.TenantID, a.ID, a.Version, nullString(a.ExternalID), a.CreatedAt, a.UpdatedAt, string(doc))
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE accounts SET version = $1, external_id = $2, updated_at = $3, doc = $4 WHERE tenant_id = $5 AND id = $6 AND version = $7`,
			a.Version, nullString(a.ExternalID), a.UpdatedAt, string(doc), p.TenantID, a.ID, p.PrevVersion)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return contactd.Errorf(contactd.EPreconditionFailed, "account %q was changed by another request", a.ID)
		}
		return nil
	})
	if c, ok := constraintOf(err); ok && c == "accounts_external_id" {
		// Another writer took the external id after the check above.
		var other string
		if s.pool.QueryRow(ctx, `SELECT id FROM accounts WHERE tenant_id = $1 AND external_id = $2 AND id <> $3`,
			p.TenantID, a.ExternalID, a.ID).Scan(&other) == nil {
			return accountExternalIDConflict(a, other)
		}
	}
	return interpretError(err)
}

func accountExternalIDConflict(a *contactd.Account, other string) error {
	msg := fmt.Sprintf("the external id %s belongs to account %s", a.ExternalID, other)
	return &contactd.Error{Code: contactd.EConflict, Message: msg, ConflictingID: other, ConflictingField: "externalId",
		Fields: []contactd.FieldError{{Location: "externalId", Message: msg}}}
}

// ListAccounts implements contactd.Store.
func (s *Store) ListAccounts(ctx context.Context, q sqlq.AccountQuery) ([]*contactd.Account, error) {
	b := sqlq.NewBuilder(sqlq.Postgres)
	rows, err := s.pool.Query(ctx, b.ListAccounts(q), b.Args()...)
	if err != nil {
		return nil, interpretError(err)
	}
	defer rows.Close()
	var out []*contactd.Account
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, interpretError(err)
		}
		a, err := decodeAccount(doc)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, interpretError(rows.Err())
}

// CountAccounts implements contactd.Store.
func (s *Store) CountAccounts(ctx context.Context, q sqlq.AccountQuery) (int, error) {
	b := sqlq.NewBuilder(sqlq.Postgres)
	var n int
	err := s.pool.QueryRow(ctx, b.CountAccounts(q), b.Args()...).Scan(&n)
	return n, interpretError(err)
}

// DeleteAccount implements contactd.Store. The tenant row is locked first,
// as by every contact write, so no contact of the tenant changes between
// reading the account's contacts and detaching them.
func (s *Store) DeleteAccount(ctx context.Context, p contactd.DeleteAccountParams) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, _, err := lockTenant(ctx, tx, p.TenantID, 0); err != nil {
			return err
		}
		var version int64
		err := tx.QueryRow(ctx, `SELECT version FROM accounts WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, p.TenantID, p.ID).Scan(&version)
		if errors.Is(err, pgx.ErrNoRows) {
			return contactd.Errorf(contactd.ENotFound, "account %q not found", p.ID)
		} else if err != nil {
			return err
		}
		if p.PrevVersion != 0 && version != p.PrevVersion {
			return contactd.Errorf(contactd.EPreconditionFailed, "account %q has changed: its version is %d", p.ID, version)
		}
		cs, err := accountContacts(ctx, tx, p.TenantID, p.ID)
		if err != nil {
			return err
		}
		if err := refuseLive(p, cs); err != nil {
			return err
		}
		for _, c := range cs {
			prev := c.Version
			ch := p.Detach(c)
			doc, err := json.Marshal(c)
			if err != nil {
				return err
			}
			tag, err := tx.Exec(ctx, `UPDATE contacts SET version = $1, updated_at = $2, doc = $3 WHERE tenant_id = $4 AND id = $5 AND version = $6`,
				c.Version, c.UpdatedAt, string(doc), p.TenantID, c.ID, prev)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return contactd.Errorf(contactd.EPreconditionFailed, "contact %q was changed by another request", c.ID)
			}
			ch.TenantID = p.TenantID
			if _, err := appendChange(ctx, tx, ch); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `DELETE FROM accounts WHERE tenant_id = $1 AND id = $2`, p.TenantID, p.ID)
		return err
	})
	return interpretError(err)
}

// accountContacts reads every contact that names an account, soft-deleted
// ones included, in id order.
func accountContacts(ctx context.Context, tx pgx.Tx, tenantID, accountID string) ([]*contactd.Contact, error) {
	rows, err := tx.Query(ctx, `SELECT doc::text, display_name_set FROM contacts WHERE tenant_id = $1 AND account_id = $2 ORDER BY id`, tenantID, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*contactd.Contact
	for rows.Next() {
		var doc []byte
		c := new(contactd.Contact)
		if err := rows.Scan(&doc, &c.DisplayNameSet); err != nil {
			return nil, err
		}
		if err := decodeContact(doc, c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// refuseLive is the conflict of deleting an account that live contacts
// name without p.DetachLive.
func refuseLive(p contactd.DeleteAccountParams, cs []*contactd.Contact) error {
	live := 0
	for _, c := range cs {
		if c.Live() {
			live++
		}
	}
	if live == 0 || p.DetachLive {
		return nil
	}
	noun := "contacts"
	if live == 1 {
		noun = "contact"
	}
	return contactd.Errorf(contactd.EConflict, "account %q still has %d %s", p.ID, live, noun)
}
