package postgres

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlq"
)

// scanAccount scans a row holding an account's document.
func scanAccount(row pgx.Row) (*contactd.Account, error) {
	var doc []byte
	if err := row.Scan(&doc); err != nil {
		return nil, interpretError(err)
	}
	return sqlq.DecodeAccount(doc)
}

// Account implements contactd.Store.
func (s *Store) Account(ctx context.Context, tenantID, id string) (*contactd.Account, error) {
	return scanAccount(s.pool.QueryRow(ctx, `SELECT doc::text FROM accounts WHERE tenant_id = $1 AND id = $2`, tenantID, id))
}

// WriteAccount implements contactd.Store.
func (s *Store) WriteAccount(ctx context.Context, p contactd.WriteAccountParams) error {
	a := p.Account
	doc, err := json.Marshal(a)
	if err != nil {
		return err
	}
	externalIDHolder := func(db interface {
		QueryRow(context.Context, string, ...any) pgx.Row
	}) error {
		var other string
		err := db.QueryRow(ctx, `SELECT id FROM accounts WHERE tenant_id = $1 AND external_id = $2 AND id <> $3`,
			p.TenantID, a.ExternalID, a.ID).Scan(&other)
		if err == nil {
			return &contactd.ConflictError{Field: "externalId", Value: a.ExternalID, ID: other}
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		return nil
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if a.ExternalID != "" {
			if err := externalIDHolder(tx); err != nil {
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
		if cerr := externalIDHolder(s.pool); cerr != nil {
			return cerr
		}
	}
	return interpretError(err)
}

// ListAccounts implements contactd.Store.
func (s *Store) ListAccounts(ctx context.Context, q contactd.Query) ([]*contactd.Account, error) {
	return list(ctx, s, func(b *sqlq.Builder) string { return b.ListAccounts(q) }, scanAccount)
}

// CountAccounts implements contactd.Store.
func (s *Store) CountAccounts(ctx context.Context, q contactd.Query) (int, error) {
	return count(ctx, s, func(b *sqlq.Builder) string { return b.CountAccounts(q) })
}

// DeleteAccount implements contactd.Store. The tenant row is locked first,
// as by every contact write, so no contact of the tenant changes between
// reading the account's contacts and detaching them.
func (s *Store) DeleteAccount(ctx context.Context, p contactd.DeleteAccountParams) error {
	return interpretError(s.inTx(ctx, func(tx pgx.Tx) error {
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
		cs, err := collect(scanContact)(tx.Query(ctx, `SELECT `+contactColumns+` FROM contacts c WHERE c.tenant_id = $1 AND c.account_id = $2 ORDER BY c.id`,
			p.TenantID, p.ID))
		if err != nil {
			return err
		}
		ws, err := p.Detach(cs)
		if err != nil {
			return err
		}
		if err := writeVersions(ctx, tx, p.TenantID, ws); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM accounts WHERE tenant_id = $1 AND id = $2`, p.TenantID, p.ID)
		return err
	}))
}
