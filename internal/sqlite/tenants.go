package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/contactd/contactd"
)

const tenantColumns = `id, name, default_region, unique_phones, change_retention_days, rate_limit, created_at`

// scanTenant scans a row of tenantColumns.
func scanTenant(row rowScanner) (*contactd.Tenant, error) {
	var t contactd.Tenant
	var created string
	var rate sql.NullInt64
	if err := row.Scan(&t.ID, &t.Name, &t.DefaultRegion, &t.UniquePhones, &t.ChangeRetentionDays, &rate, &created); err != nil {
		return nil, interpretError(err)
	}
	if rate.Valid {
		n := int(rate.Int64)
		t.RateLimit = &n
	}
	var err error
	t.CreatedAt, err = parseTime(created)
	return &t, err
}

// CreateTenant implements contactd.Store.
func (s *Store) CreateTenant(ctx context.Context, t *contactd.Tenant) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := tenantNameFree(ctx, tx, t); err != nil {
			return err
		}
		t.ChangeRetentionDays = cmp.Or(t.ChangeRetentionDays, contactd.DefaultChangeRetentionDays)
		_, err := tx.ExecContext(ctx, `INSERT INTO tenants (id, name, default_region, unique_phones, change_retention_days, rate_limit, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			t.ID, t.Name, t.DefaultRegion, boolInt(t.UniquePhones), t.ChangeRetentionDays, t.RateLimit, formatTime(t.CreatedAt))
		return err
	})
}

// tenantNameFree returns the conflict when another tenant has t's name.
func tenantNameFree(ctx context.Context, tx *sql.Tx, t *contactd.Tenant) error {
	var other string
	err := tx.QueryRowContext(ctx, `SELECT id FROM tenants WHERE name = ? AND id <> ?`, t.Name, t.ID).Scan(&other)
	if err == nil {
		return &contactd.ConflictError{Field: "name", Value: t.Name, ID: other}
	} else if err != sql.ErrNoRows {
		return err
	}
	return nil
}

// Tenant implements contactd.Store.
func (s *Store) Tenant(ctx context.Context, id string) (*contactd.Tenant, error) {
	return scanTenant(s.queryRow(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE id = ?`, id))
}

// TenantByName implements contactd.Store.
func (s *Store) TenantByName(ctx context.Context, name string) (*contactd.Tenant, error) {
	return scanTenant(s.read.QueryRowContext(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE name = ?`, name))
}

// Tenants implements contactd.Store.
func (s *Store) Tenants(ctx context.Context) ([]*contactd.Tenant, error) {
	return collect(scanTenant)(s.read.QueryContext(ctx, `SELECT `+tenantColumns+` FROM tenants ORDER BY id`))
}

// CountTenants implements contactd.Store.
func (s *Store) CountTenants(ctx context.Context) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM tenants`).Scan(&n)
	return n, interpretError(err)
}

// UpdateTenant implements contactd.Store.
func (s *Store) UpdateTenant(ctx context.Context, t *contactd.Tenant) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := tenantNameFree(ctx, tx, t); err != nil {
			return err
		}
		if t.UniquePhones {
			shared, err := collect(scanSharedNumber)(tx.QueryContext(ctx, `SELECT e164, group_concat(DISTINCT contact_id) FROM contact_phones
				WHERE tenant_id = ? AND live = 1 GROUP BY e164 HAVING COUNT(DISTINCT contact_id) > 1 ORDER BY e164 LIMIT ?`,
				t.ID, contactd.MaxListedSharedNumbers))
			if err != nil {
				return err
			}
			if len(shared) > 0 {
				return &contactd.SharedNumbersError{Numbers: shared}
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE tenants SET name = ?, default_region = ?, unique_phones = ?, change_retention_days = ?, rate_limit = ? WHERE id = ?`,
			t.Name, t.DefaultRegion, boolInt(t.UniquePhones), t.ChangeRetentionDays, t.RateLimit, t.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return contactd.Errorf(contactd.ENotFound, "tenant %q not found", t.ID)
		}
		return nil
	})
}

func scanSharedNumber(row rowScanner) (contactd.SharedNumber, error) {
	var e164, ids string
	err := row.Scan(&e164, &ids)
	return contactd.SharedNumber{E164: e164, ContactIDs: strings.Split(ids, ",")}, err
}

// lockTenant allocates n change numbers of a tenant and returns the last,
// with the tenant's uniquePhones setting. It runs first in every writing
// transaction, so the checks after it see the tenant's writes in order.
// Allocating numbers (n > 0) notes the tenant, whose long polls wake when
// the transaction commits (see wakeNoted).
func (s *Store) lockTenant(ctx context.Context, tx querier, tenantID string, n int) (last int64, uniquePhones bool, err error) {
	if n > 0 {
		s.noteChanges(tenantID)
	}
	err = tx.QueryRowContext(ctx, `UPDATE tenants SET change_seq = change_seq + ? WHERE id = ? RETURNING change_seq, unique_phones`, n, tenantID).
		Scan(&last, &uniquePhones)
	if err == sql.ErrNoRows {
		return 0, false, contactd.Errorf(contactd.ENotFound, "tenant %q not found", tenantID)
	}
	return last, uniquePhones, err
}

// Secret implements contactd.Store.
func (s *Store) Secret(ctx context.Context, name string, fresh []byte) ([]byte, error) {
	var v []byte
	err := s.read.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v)
	if err != sql.ErrNoRows {
		return v, interpretError(err)
	}
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`,
			name, fresh, formatTime(time.Now())); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&v)
	})
	return v, err
}
