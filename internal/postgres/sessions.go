package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/contactd/contactd"
)

// sessionColumns are the columns of a session.
const sessionColumns = `tenant_id, id, user_id, hash, csrf, created_at, last_seen_at, expires_at`

// sessionUserColumns are the columns of sessions s with its user u and
// its tenant t's region and rate limit.
const sessionUserColumns = `s.tenant_id, s.id, s.user_id, s.hash, s.csrf, s.created_at, s.last_seen_at, s.expires_at,
	u.tenant_id, u.id, u.email, u.name, u.role, u.password_hash, u.created_at, u.updated_at, t.default_region, t.rate_limit`

// scanSessionUser scans a row of sessionUserColumns.
func scanSessionUser(row pgx.Row) (*contactd.Session, error) {
	var ss contactd.Session
	var u contactd.User
	if err := row.Scan(&ss.TenantID, &ss.ID, &ss.UserID, &ss.Hash, &ss.CSRF, &ss.CreatedAt, &ss.LastSeenAt, &ss.ExpiresAt,
		&u.TenantID, &u.ID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &u.CreatedAt, &u.UpdatedAt, &ss.TenantRegion, &ss.TenantRateLimit); err != nil {
		return nil, interpretError(err)
	}
	ss.CreatedAt, ss.LastSeenAt, ss.ExpiresAt = ss.CreatedAt.UTC(), ss.LastSeenAt.UTC(), ss.ExpiresAt.UTC()
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	ss.User = &u
	return &ss, nil
}

// CreateSession implements contactd.Store.
func (s *Store) CreateSession(ctx context.Context, ss *contactd.Session) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		ss.TenantID, ss.ID, ss.UserID, ss.Hash, ss.CSRF, ss.CreatedAt, ss.LastSeenAt, ss.ExpiresAt)
	return interpretError(err)
}

// SessionByHash implements contactd.Store. It reads across tenants (the
// tenant is not known before the session is found), as UsersByEmail and
// DeleteSessionsBefore do: on a distributed database, multi-shard queries.
func (s *Store) SessionByHash(ctx context.Context, hash []byte) (*contactd.Session, error) {
	return scanSessionUser(s.pool.QueryRow(ctx, `SELECT `+sessionUserColumns+` FROM sessions s
		JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id
		JOIN tenants t ON t.id = s.tenant_id
		WHERE s.hash = $1`, hash))
}

// TouchSession implements contactd.Store.
func (s *Store) TouchSession(ctx context.Context, tenantID, id string, t time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE tenant_id = $2 AND id = $3`, t, tenantID, id)
	if err != nil {
		return interpretError(err)
	}
	if tag.RowsAffected() == 0 {
		return contactd.Errorf(contactd.ENotFound, "session %q not found", id)
	}
	return nil
}

// DeleteSession implements contactd.Store.
func (s *Store) DeleteSession(ctx context.Context, tenantID, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	if err != nil {
		return interpretError(err)
	}
	if tag.RowsAffected() == 0 {
		return contactd.Errorf(contactd.ENotFound, "session %q not found", id)
	}
	return nil
}

// DeleteUserSessions implements contactd.Store.
func (s *Store) DeleteUserSessions(ctx context.Context, tenantID, userID, exceptID string) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE tenant_id = $1 AND user_id = $2 AND id <> $3`, tenantID, userID, exceptID)
	if err != nil {
		return 0, interpretError(err)
	}
	return int(tag.RowsAffected()), nil
}

// DeleteSessionsBefore implements contactd.Store.
func (s *Store) DeleteSessionsBefore(ctx context.Context, idle, now time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE last_seen_at < $1 OR expires_at < $2`, idle, now)
	if err != nil {
		return 0, interpretError(err)
	}
	return int(tag.RowsAffected()), nil
}

// UsersByEmail implements contactd.Store.
func (s *Store) UsersByEmail(ctx context.Context, email string, limit int) ([]*contactd.User, error) {
	return collect(scanUser)(s.pool.Query(ctx, `SELECT `+userColumns+` FROM users WHERE email = $1 ORDER BY tenant_id LIMIT $2`, email, limit))
}
