package postgres

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/contactd/contactd"
)

// ReserveIdempotencyKey implements contactd.Store.
func (s *Store) ReserveIdempotencyKey(ctx context.Context, r *contactd.IdempotencyRecord) (*contactd.IdempotencyRecord, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO idempotency_keys (tenant_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
		r.TenantID, r.Key, r.RequestHash, r.CreatedAt)
	if err != nil {
		return nil, interpretError(err)
	}
	if tag.RowsAffected() == 1 {
		return nil, nil
	}
	old := contactd.IdempotencyRecord{TenantID: r.TenantID, Key: r.Key}
	var resp *string
	err = s.pool.QueryRow(ctx, `SELECT request_hash, created_at, response::text FROM idempotency_keys WHERE tenant_id = $1 AND key = $2`, r.TenantID, r.Key).
		Scan(&old.RequestHash, &old.CreatedAt, &resp)
	if errors.Is(err, pgx.ErrNoRows) {
		// Released between our insert and read: try once more.
		return s.ReserveIdempotencyKey(ctx, r)
	}
	if err != nil {
		return nil, interpretError(err)
	}
	old.CreatedAt = old.CreatedAt.UTC()
	if resp != nil {
		old.Response = new(contactd.StoredResponse)
		if err := json.Unmarshal([]byte(*resp), old.Response); err != nil {
			return nil, err
		}
	}
	return &old, nil
}

// CompleteIdempotencyKey implements contactd.Store.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, r *contactd.IdempotencyRecord) error {
	b, err := json.Marshal(r.Response)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `UPDATE idempotency_keys SET response = $1 WHERE tenant_id = $2 AND key = $3`, string(b), r.TenantID, r.Key)
	return interpretError(err)
}

// ReleaseIdempotencyKey implements contactd.Store.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, tenantID, key string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE tenant_id = $1 AND key = $2`, tenantID, key)
	return interpretError(err)
}
