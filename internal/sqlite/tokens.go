package sqlite

import (
	"context"
	"time"

	"github.com/contactd/contactd"
)

// tokenColumns are the columns of tokens k with its tenant t's region and rate limit.
const tokenColumns = `k.tenant_id, k.id, k.name, k.kind, k.user_id, k.scopes, k.hash, k.created_at, k.revoked_at, t.default_region, t.rate_limit`

// scanToken scans a row of tokenColumns.
func scanToken(row rowScanner) (*contactd.Token, error) {
	var t contactd.Token
	var kind, scopes, created string
	var revoked *string
	var rate *int64
	if err := row.Scan(&t.TenantID, &t.ID, &t.Name, &kind, &t.UserID, &scopes, &t.Hash, &created, &revoked, &t.TenantRegion, &rate); err != nil {
		return nil, interpretError(err)
	}
	if rate != nil {
		n := int(*rate)
		t.TenantRateLimit = &n
	}
	t.Kind = contactd.TokenKind(kind)
	t.Scopes = contactd.SplitScopes(scopes)
	var err error
	if t.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	if revoked != nil {
		r, err := parseTime(*revoked)
		if err != nil {
			return nil, err
		}
		t.RevokedAt = &r
	}
	return &t, nil
}

// CreateToken implements contactd.Store.
func (s *Store) CreateToken(ctx context.Context, t *contactd.Token) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO tokens (tenant_id, id, name, kind, user_id, scopes, hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		t.TenantID, t.ID, t.Name, string(t.Kind), t.UserID, contactd.JoinScopes(t.Scopes), t.Hash, formatTime(t.CreatedAt))
	return interpretError(err)
}

// TokenByHash implements contactd.Store.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (*contactd.Token, error) {
	return scanToken(s.queryRow(ctx, `SELECT `+tokenColumns+` FROM tokens k JOIN tenants t ON t.id = k.tenant_id
		WHERE k.hash = ? AND k.revoked_at IS NULL`, hash))
}

// Tokens implements contactd.Store.
func (s *Store) Tokens(ctx context.Context, p contactd.TokensParams) ([]*contactd.Token, error) {
	return collect(scanToken)(s.read.QueryContext(ctx, `SELECT `+tokenColumns+` FROM tokens k JOIN tenants t ON t.id = k.tenant_id
		WHERE k.tenant_id = ? AND k.id > ? ORDER BY k.id LIMIT ?`, p.TenantID, p.After, p.Limit))
}

// RevokeToken implements contactd.Store.
func (s *Store) RevokeToken(ctx context.Context, tenantID, id string, at time.Time) error {
	res, err := s.write.ExecContext(ctx, `UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE tenant_id = ? AND id = ?`, formatTime(at), tenantID, id)
	if err != nil {
		return interpretError(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return contactd.Errorf(contactd.ENotFound, "token %q not found", id)
	}
	return nil
}
