package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlq"
)

func decodeAccount(doc []byte) (*contactd.Account, error) {
	a := new(contactd.Account)
	if err := json.Unmarshal(doc, a); err != nil {
		return nil, fmt.Errorf("sqlite: corrupt account document: %w", err)
	}
	return a, nil
}

// Account implements contactd.Store.
func (s *Store) Account(ctx context.Context, tenantID, id string) (*contactd.Account, error) {
	var doc []byte
	err := s.read.QueryRowContext(ctx, `SELECT doc FROM accounts WHERE tenant_id = ? AND id = ?`, tenantID, id).Scan(&doc)
	if err == sql.ErrNoRows {
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
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if a.ExternalID != "" {
			var other string
			err := tx.QueryRowContext(ctx, `SELECT id FROM accounts WHERE tenant_id = ? AND external_id = ? AND id <> ?`,
				p.TenantID, a.ExternalID, a.ID).Scan(&other)
			if err == nil {
				return accountExternalIDConflict(a, other)
			} else if err != sql.ErrNoRows {
				return err
			}
		}
		if p.PrevVersion == 0 {
			_, err := tx.ExecContext(ctx, `INSERT INTO accounts (tenant_id, id, version, external_id, created_at, updated_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				p.TenantID, a.ID, a.Version, nullString(a.ExternalID), formatTime(a.CreatedAt), formatTime(a.UpdatedAt), doc)
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE accounts SET version = ?, external_id = ?, updated_at = ?, doc = ? WHERE tenant_id = ? AND id = ? AND version = ?`,
			a.Version, nullString(a.ExternalID), formatTime(a.UpdatedAt), doc, p.TenantID, a.ID, p.PrevVersion)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return contactd.Errorf(contactd.EPreconditionFailed, "account %q was changed by another request", a.ID)
		}
		return nil
	})
}

func accountExternalIDConflict(a *contactd.Account, other string) error {
	msg := fmt.Sprintf("the external id %s belongs to account %s", a.ExternalID, other)
	return &contactd.Error{Code: contactd.EConflict, Message: msg, ConflictingID: other, ConflictingField: "externalId",
		Fields: []contactd.FieldError{{Location: "externalId", Message: msg}}}
}

// ListAccounts implements contactd.Store.
func (s *Store) ListAccounts(ctx context.Context, q sqlq.AccountQuery) ([]*contactd.Account, error) {
	b := sqlq.NewBuilder(sqlq.SQLite)
	rows, err := s.read.QueryContext(ctx, b.ListAccounts(q), b.Args()...)
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
	b := sqlq.NewBuilder(sqlq.SQLite)
	var n int
	err := s.read.QueryRowContext(ctx, b.CountAccounts(q), b.Args()...).Scan(&n)
	return n, interpretError(err)
}

// DeleteAccount implements contactd.Store.
func (s *Store) DeleteAccount(ctx context.Context, p contactd.DeleteAccountParams) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		// The tenant first, as in every writing transaction.
		if _, _, err := lockTenant(ctx, tx, p.TenantID, 0); err != nil {
			return err
		}
		var version int64
		err := tx.QueryRowContext(ctx, `SELECT version FROM accounts WHERE tenant_id = ? AND id = ?`, p.TenantID, p.ID).Scan(&version)
		if err == sql.ErrNoRows {
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
			res, err := tx.ExecContext(ctx, `UPDATE contacts SET version = ?, updated_at = ?, doc = ? WHERE tenant_id = ? AND id = ? AND version = ?`,
				c.Version, formatTime(c.UpdatedAt), doc, p.TenantID, c.ID, prev)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return contactd.Errorf(contactd.EPreconditionFailed, "contact %q was changed by another request", c.ID)
			}
			ch.TenantID = p.TenantID
			if err := s.appendChange(ctx, tx, ch); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM accounts WHERE tenant_id = ? AND id = ?`, p.TenantID, p.ID)
		return err
	})
}

// accountContacts reads every contact that names an account, soft-deleted
// ones included, in id order.
func accountContacts(ctx context.Context, tx *sql.Tx, tenantID, accountID string) ([]*contactd.Contact, error) {
	rows, err := tx.QueryContext(ctx, `SELECT doc, display_name_set FROM contacts WHERE tenant_id = ? AND account_id = ? ORDER BY id`, tenantID, accountID)
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
