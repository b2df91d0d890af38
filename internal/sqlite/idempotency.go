package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/contactd/contactd"
)

// ReserveIdempotencyKey implements contactd.Store.
func (s *Store) ReserveIdempotencyKey(ctx context.Context, r *contactd.IdempotencyRecord) (*contactd.IdempotencyRecord, error) {
	var existing *contactd.IdempotencyRecord
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		old := contactd.IdempotencyRecord{TenantID: r.TenantID, Key: r.Key}
		var created string
		var resp []byte
		err := tx.QueryRowContext(ctx, `SELECT request_hash, created_at, response FROM idempotency_keys WHERE tenant_id = ? AND key = ?`, r.TenantID, r.Key).
			Scan(&old.RequestHash, &created, &resp)
		switch {
		case err == sql.ErrNoRows:
			_, err = tx.ExecContext(ctx, `INSERT INTO idempotency_keys (tenant_id, key, request_hash, created_at) VALUES (?, ?, ?, ?)`,
				r.TenantID, r.Key, r.RequestHash, formatTime(r.CreatedAt))
			return err
		case err != nil:
			return err
		}
		if old.CreatedAt, err = parseTime(created); err != nil {
			return err
		}
		if resp != nil {
			old.Response = new(contactd.StoredResponse)
			if err := json.Unmarshal(resp, old.Response); err != nil {
				return err
			}
		}
		existing = &old
		return nil
	})
	return existing, err
}

// CompleteIdempotencyKey implements contactd.Store.
func (s *Store) CompleteIdempotencyKey(ctx context.Context, r *contactd.IdempotencyRecord) error {
	b, err := json.Marshal(r.Response)
	if err != nil {
		return err
	}
	_, err = s.write.ExecContext(ctx, `UPDATE idempotency_keys SET response = ? WHERE tenant_id = ? AND key = ?`, b, r.TenantID, r.Key)
	return interpretError(err)
}

// ReleaseIdempotencyKey implements contactd.Store.
func (s *Store) ReleaseIdempotencyKey(ctx context.Context, tenantID, key string) error {
	_, err := s.write.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE tenant_id = ? AND key = ?`, tenantID, key)
	return interpretError(err)
}
