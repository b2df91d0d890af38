package postgres

import (
	"cmp"
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/contactd/contactd"
)

const tenantColumns = `id, name, default_region, unique_phones, change_retention_days, rate_limit, created_at`

// scanTenant scans a row of tenantColumns.
func scanTenant(row pgx.Row) (*contactd.Tenant, error) {
	var t contactd.Tenant
	if err := row.Scan(&t.ID, &t.Name, &t.DefaultRegion, &t.UniquePhones, &t.ChangeRetentionDays, &t.RateLimit, &t.CreatedAt); err != nil {
		return nil, interpretError(err)
	}
	t.CreatedAt = t.CreatedAt.UTC()
	return &t, nil
}

// CreateTenant implements contactd.Store.
func (s *Store) CreateTenant(ctx context.Context, t *contactd.Tenant) error {
	t.ChangeRetentionDays = cmp.Or(t.ChangeRetentionDays, contactd.DefaultChangeRetentionDays)
	_, err := s.pool.Exec(ctx, `INSERT INTO tenants (id, name, default_region, unique_phones, change_retention_days, rate_limit, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.ID, t.Name, t.DefaultRegion, t.UniquePhones, t.ChangeRetentionDays, t.RateLimit, t.CreatedAt)
	return s.tenantNameConflict(ctx, t, err)
}

// tenantNameConflict turns a unique violation of the tenant's name into
// the conflict naming the tenant that has it.
func (s *Store) tenantNameConflict(ctx context.Context, t *contactd.Tenant, err error) error {
	if c, ok := constraintOf(err); ok && c == "tenants_name" {
		ce := &contactd.ConflictError{Field: "name", Value: t.Name}
		_ = s.pool.QueryRow(ctx, `SELECT id FROM tenants WHERE name = $1`, t.Name).Scan(&ce.ID)
		return ce
	}
	return interpretError(err)
}

// Tenant implements contactd.Store.
func (s *Store) Tenant(ctx context.Context, id string) (*contactd.Tenant, error) {
	return scanTenant(s.pool.QueryRow(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE id = $1`, id))
}

// TenantByName implements contactd.Store.
func (s *Store) TenantByName(ctx context.Context, name string) (*contactd.Tenant, error) {
	return scanTenant(s.pool.QueryRow(ctx, `SELECT `+tenantColumns+` FROM tenants WHERE name = $1`, name))
}

// Tenants implements contactd.Store.
func (s *Store) Tenants(ctx context.Context) ([]*contactd.Tenant, error) {
	return collect(scanTenant)(s.pool.Query(ctx, `SELECT `+tenantColumns+` FROM tenants ORDER BY id`))
}

// CountTenants implements contactd.Store.
func (s *Store) CountTenants(ctx context.Context) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM tenants`).Scan(&n)
	return n, interpretError(err)
}

// UpdateTenant implements contactd.Store. It locks the tenant row first, as
// every contact write does, so no write slips a shared number in between the
// check and the switch.
func (s *Store) UpdateTenant(ctx context.Context, t *contactd.Tenant) error {
	acked := s.watch.await(t.ID + " ")
	var pids []int32
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var id string
		if err := tx.QueryRow(ctx, `SELECT id FROM tenants WHERE id = $1 FOR UPDATE`, t.ID).Scan(&id); err != nil {
			return err
		}
		if t.UniquePhones {
			shared, err := collect(scanSharedNumber)(tx.Query(ctx, `SELECT e164, string_agg(DISTINCT contact_id, ',') FROM contact_phones
				WHERE tenant_id = $1 AND live GROUP BY e164 HAVING COUNT(DISTINCT contact_id) > 1 ORDER BY e164 LIMIT $2`, t.ID, contactd.MaxListedSharedNumbers))
			if err != nil {
				return err
			}
			if len(shared) > 0 {
				return &contactd.SharedNumbersError{Numbers: shared}
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE tenants SET name = $1, default_region = $2, unique_phones = $3, change_retention_days = $4, rate_limit = $5 WHERE id = $6`,
			t.Name, t.DefaultRegion, t.UniquePhones, t.ChangeRetentionDays, t.RateLimit, t.ID); err != nil {
			return err
		}
		// Principals carry the tenant's settings: every node forgets them.
		var notified any
		return tx.QueryRow(ctx, notifyTokens, t.ID, "").Scan(&notified, &pids)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return contactd.Errorf(contactd.ENotFound, "tenant %q not found", t.ID)
	}
	if err != nil {
		pids = nil
	}
	acked(pids)
	return s.tenantNameConflict(ctx, t, err)
}

func scanSharedNumber(row pgx.Row) (contactd.SharedNumber, error) {
	var e164, ids string
	err := row.Scan(&e164, &ids)
	return contactd.SharedNumber{E164: e164, ContactIDs: strings.Split(ids, ",")}, err
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

// Secret implements contactd.Store. Nodes starting together may race to
// store theirs: the one stored first wins, and the others read it (after
// waiting for its transaction, so one more read may be needed to see it).
func (s *Store) Secret(ctx context.Context, name string, fresh []byte) ([]byte, error) {
	var v []byte
	var err error
	for range 3 {
		err = s.pool.QueryRow(ctx, `WITH ins AS (
				INSERT INTO secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING RETURNING value)
			SELECT value FROM ins UNION ALL SELECT value FROM secrets WHERE name = $1`, name, fresh, time.Now()).Scan(&v)
		if !errors.Is(err, pgx.ErrNoRows) {
			break
		}
	}
	return v, interpretError(err)
}
