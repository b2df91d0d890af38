package sqlite

import (
	"context"
	"time"

	"github.com/contactd/contactd"
)

// sessionColumns are the columns of a session.
const sessionColumns = `tenant_id, id, user_id, hash, csrf, created_at, last_seen_at, expires_at`

// sessionUserColumns are the columns of sessions s with its user u and
// its tenant t's region and rate limit.
const sessionUserColumns = `s.tenant_id, s.id, s.user_id, s.hash, s.csrf, s.created_at, s.last_seen_at, s.expires_at,
	u.tenant_id, u.id, u.email, u.name, u.role, u.password_hash, u.created_at, u.updated_at, t.default_region, t.rate_limit`

// scanSessionUser scans a row of sessionUserColumns.
func scanSessionUser(row rowScanner) (*contactd.Session, error) {
	var ss contactd.Session
	var u contactd.User
	var created, seen, expires, uCreated, uUpdated string
	var rate *int64
	if err := row.Scan(&ss.TenantID, &ss.ID, &ss.UserID, &ss.Hash, &ss.CSRF, &created, &seen, &expires,
		&u.TenantID, &u.ID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &uCreated, &uUpdated, &ss.TenantRegion, &rate); err != nil {
		return nil, interpretError(err)
	}
	if rate != nil {
		n := int(*rate)
		ss.TenantRateLimit = &n
	}
	for _, f := range []struct {
		dst *time.Time
		src string
	}{{&ss.CreatedAt, created}, {&ss.LastSeenAt, seen}, {&ss.ExpiresAt, expires}, {&u.CreatedAt, uCreated}, {&u.UpdatedAt, uUpdated}} {
		var err error
		if *f.dst, err = parseTime(f.src); err != nil {
			return nil, err
		}
	}
	ss.User = &u
	return &ss, nil
}

// CreateSession implements contactd.Store.
func (s *Store) CreateSession(ctx context.Context, ss *contactd.Session) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		ss.TenantID, ss.ID, ss.UserID, ss.Hash, ss.CSRF, formatTime(ss.CreatedAt), formatTime(ss.LastSeenAt), formatTime(ss.ExpiresAt))
	return interpretError(err)
}

// SessionByHash implements contactd.Store.
func (s *Store) SessionByHash(ctx context.Context, hash []byte) (*contactd.Session, error) {
	return scanSessionUser(s.queryRow(ctx, `SELECT `+sessionUserColumns+` FROM sessions s
		JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id
		JOIN tenants t ON t.id = s.tenant_id
		WHERE s.hash = ?`, hash))
}

// TouchSession implements contactd.Store.
func (s *Store) TouchSession(ctx context.Context, tenantID, id string, t time.Time) error {
	res, err := s.write.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE tenant_id = ? AND id = ?`, formatTime(t), tenantID, id)
	if err != nil {
		return interpretError(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return contactd.Errorf(contactd.ENotFound, "session %q not found", id)
	}
	return nil
}

// DeleteSession implements contactd.Store.
func (s *Store) DeleteSession(ctx context.Context, tenantID, id string) error {
	res, err := s.write.ExecContext(ctx, `DELETE FROM sessions WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return interpretError(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return contactd.Errorf(contactd.ENotFound, "session %q not found", id)
	}
	return nil
}

// DeleteUserSessions implements contactd.Store.
func (s *Store) DeleteUserSessions(ctx context.Context, tenantID, userID, exceptID string) (int, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM sessions WHERE tenant_id = ? AND user_id = ? AND id <> ?`, tenantID, userID, exceptID)
	if err != nil {
		return 0, interpretError(err)
	}
	n, err := res.RowsAffected()
	return int(n), interpretError(err)
}

// DeleteSessionsBefore implements contactd.Store.
func (s *Store) DeleteSessionsBefore(ctx context.Context, idle, now time.Time) (int, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM sessions WHERE last_seen_at < ? OR expires_at < ?`, formatTime(idle), formatTime(now))
	if err != nil {
		return 0, interpretError(err)
	}
	n, err := res.RowsAffected()
	return int(n), interpretError(err)
}

// UsersByEmail implements contactd.Store.
func (s *Store) UsersByEmail(ctx context.Context, email string, limit int) ([]*contactd.User, error) {
	return collect(scanUser)(s.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users WHERE email = ? ORDER BY tenant_id LIMIT ?`, email, limit))
}
