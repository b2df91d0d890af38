package contactd

import (
	"context"
	"time"
)

// IdempotencyTTL is how long a response to a POST with an Idempotency-Key
// is replayed.
const IdempotencyTTL = 24 * time.Hour

// BeginIdempotent reserves an idempotency key for a request with the given
// hash. It returns the stored response when the same request was already
// answered, EConflict when the key was used with another request or the
// first request is still in progress, and (nil, nil) when the caller should
// handle the request and then call FinishIdempotent or AbortIdempotent.
func (s *Service) BeginIdempotent(ctx context.Context, p Principal, key string, hash []byte) (*StoredResponse, error) {
	if len(key) == 0 || len(key) > 255 {
		return nil, invalidField("header.Idempotency-Key", "must be 1 to 255 characters")
	}
	rec := &IdempotencyRecord{TenantID: p.TenantID, Key: key, RequestHash: hash, CreatedAt: s.now()}
	for range 2 {
		old, err := s.store.ReserveIdempotencyKey(ctx, rec)
		if err != nil || old == nil {
			return nil, err
		}
		if s.now().Sub(old.CreatedAt) > IdempotencyTTL {
			// Expired: forget it and reserve afresh.
			if err := s.store.ReleaseIdempotencyKey(ctx, p.TenantID, key); err != nil {
				return nil, err
			}
			continue
		}
		if string(old.RequestHash) != string(hash) {
			return nil, &Error{Code: EConflict, Message: "this Idempotency-Key was used with a different request", ConflictingField: "Idempotency-Key"}
		}
		if old.Response == nil {
			return nil, &Error{Code: EConflict, Message: "a request with this Idempotency-Key is still in progress; retry later", ConflictingField: "Idempotency-Key"}
		}
		return old.Response, nil
	}
	return nil, Errorf(EConflict, "this Idempotency-Key is being reused concurrently")
}

// FinishIdempotent stores the response for a key reserved by BeginIdempotent.
func (s *Service) FinishIdempotent(ctx context.Context, p Principal, key string, hash []byte, resp *StoredResponse) error {
	return s.store.CompleteIdempotencyKey(ctx, &IdempotencyRecord{TenantID: p.TenantID, Key: key, RequestHash: hash, CreatedAt: s.now(), Response: resp})
}

// AbortIdempotent forgets a reserved key whose request was not completed,
// so that a retry is handled afresh.
func (s *Service) AbortIdempotent(ctx context.Context, p Principal, key string) error {
	return s.store.ReleaseIdempotencyKey(ctx, p.TenantID, key)
}

// Ready reports whether the database answers and its schema is current.
func (s *Service) Ready(ctx context.Context) error {
	if err := s.store.Ping(ctx); err != nil {
		return err
	}
	ok, err := s.store.SchemaCurrent(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return Errorf(EInternal, "the database schema is not current: run contactd migrate")
	}
	return nil
}
