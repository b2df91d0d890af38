package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlq"
)

// scanAccount scans a row holding an account's document.
func scanAccount(row rowScanner) (*contactd.Account, error) {
	var doc []byte
	if err := row.Scan(&doc); err != nil {
		return nil, interpretError(err)
	}
	return sqlq.DecodeAccount(doc)
}

// Account implements contactd.Store.
func (s *Store) Account(ctx context.Context, tenantID, id string) (*contactd.Account, error) {
	return scanAccount(s.read.QueryRowContext(ctx, `SELECT doc FROM accounts WHERE tenant_id = ? AND id = ?`, tenantID, id))
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
				return &contactd.ConflictError{Field: "externalId", Value: a.ExternalID, ID: other}
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

// ListAccounts implements contactd.Store.
func (s *Store) ListAccounts(ctx context.Context, q contactd.Query) ([]*contactd.Account, error) {
	return list(ctx, s, func(b *sqlq.Builder) string { return b.ListAccounts(q) }, scanAccount)
}

// CountAccounts implements contactd.Store.
func (s *Store) CountAccounts(ctx context.Context, q contactd.Query) (int, error) {
	return count(ctx, s, func(b *sqlq.Builder) string { return b.CountAccounts(q) })
}

// DeleteAccount implements contactd.Store.
func (s *Store) DeleteAccount(ctx context.Context, p contactd.DeleteAccountParams) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		x := &txExec{ctx: ctx, tx: tx, s: s}
		// The tenant first, as in every writing transaction.
		if _, _, err := s.lockTenant(ctx, tx, p.TenantID, 0); err != nil {
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
		cs, err := collect(scanContact)(tx.QueryContext(ctx, `SELECT `+contactColumns+` FROM contacts c WHERE c.tenant_id = ? AND c.account_id = ? ORDER BY c.id`,
			p.TenantID, p.ID))
		if err != nil {
			return err
		}
		ws, err := p.Detach(cs)
		if err != nil {
			return err
		}
		if err := x.writeVersions(p.TenantID, ws); err != nil {
			return err
		}
		return x.exec(`DELETE FROM accounts WHERE tenant_id = ? AND id = ?`, p.TenantID, p.ID)
	})
}
