package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/contactd/contactd"
)

// tokenColumns are the columns of tokens k with its tenant t's region and rate limit.
const tokenColumns = `k.tenant_id, k.id, k.name, k.kind, k.user_id, k.scopes, k.hash, k.created_at, k.revoked_at, t.default_region, t.rate_limit`

// scanToken scans a row of tokenColumns.
func scanToken(row pgx.Row) (*contactd.Token, error) {
	var t contactd.Token
	var kind, scopes string
	if err := row.Scan(&t.TenantID, &t.ID, &t.Name, &kind, &t.UserID, &scopes, &t.Hash, &t.CreatedAt, &t.RevokedAt, &t.TenantRegion, &t.TenantRateLimit); err != nil {
		return nil, interpretError(err)
	}
	t.Kind = contactd.TokenKind(kind)
	t.Scopes = contactd.SplitScopes(scopes)
	t.CreatedAt = t.CreatedAt.UTC()
	if t.RevokedAt != nil {
		r := t.RevokedAt.UTC()
		t.RevokedAt = &r
	}
	return &t, nil
}

// CreateToken implements contactd.Store.
func (s *Store) CreateToken(ctx context.Context, t *contactd.Token) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO tokens (tenant_id, id, name, kind, user_id, scopes, hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		t.TenantID, t.ID, t.Name, string(t.Kind), t.UserID, contactd.JoinScopes(t.Scopes), t.Hash, t.CreatedAt)
	return interpretError(err)
}

// TokenByHash implements contactd.Store.
func (s *Store) TokenByHash(ctx context.Context, hash []byte) (*contactd.Token, error) {
	return scanToken(s.pool.QueryRow(ctx, `SELECT `+tokenColumns+` FROM tokens k JOIN tenants t ON t.id = k.tenant_id
		WHERE k.hash = $1 AND k.revoked_at IS NULL`, hash))
}

// Tokens implements contactd.Store.
func (s *Store) Tokens(ctx context.Context, p contactd.TokensParams) ([]*contactd.Token, error) {
	return collect(scanToken)(s.pool.Query(ctx, `SELECT `+tokenColumns+` FROM tokens k JOIN tenants t ON t.id = k.tenant_id
		WHERE k.tenant_id = $1 AND k.id > $2 ORDER BY k.id LIMIT $3`, p.TenantID, p.After, p.Limit))
}

// RevokeToken implements contactd.Store.
func (s *Store) RevokeToken(ctx context.Context, tenantID, id string, at time.Time) error {
	// One statement revokes, notifies every node and counts their
	// listeners, whose acknowledgements it then waits for (tokenwatch.go).
	acked := s.watch.await(tenantID + " " + id)
	var n int
	var pids []int32
	err := s.pool.QueryRow(ctx, `WITH revoked AS (
			UPDATE tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE tenant_id = $2 AND id = $3 RETURNING id)
		SELECT count(pg_notify('`+tokensChannel+`', $2 || ' ' || id)), `+listenerPids+` FROM revoked`, at, tenantID, id).Scan(&n, &pids)
	if err != nil || n == 0 {
		pids = nil
	}
	acked(pids)
	if err != nil {
		return interpretError(err)
	}
	if n == 0 {
		return contactd.Errorf(contactd.ENotFound, "token %q not found", id)
	}
	return nil
}
