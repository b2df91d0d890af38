package contactd

import (
	"context"
	"time"
	"unicode/utf8"
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
	if !utf8.ValidString(key) {
		return nil, invalidField("header.Idempotency-Key", "must be valid UTF-8")
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

// IdempotencyStore is the part of the Store that remembers responses to
// requests sent with an Idempotency-Key.
type IdempotencyStore interface {
	// ReserveIdempotencyKey records that a request with this key and
	// request hash is being handled. If the key is already known it returns
	// the stored record instead (Response nil while still in progress).
	ReserveIdempotencyKey(ctx context.Context, r *IdempotencyRecord) (existing *IdempotencyRecord, err error)
	// CompleteIdempotencyKey stores the response of a reserved key.
	CompleteIdempotencyKey(ctx context.Context, r *IdempotencyRecord) error
	// ReleaseIdempotencyKey forgets a reserved key whose request failed.
	ReleaseIdempotencyKey(ctx context.Context, tenantID, key string) error
}

// IdempotencyRecord remembers the response to a POST sent with an
// Idempotency-Key, so that a retry is answered without repeating the write.
type IdempotencyRecord struct {
	TenantID    string
	Key         string
	RequestHash []byte
	CreatedAt   time.Time
	// Response is nil while the first request is still being handled.
	Response *StoredResponse
}

// StoredResponse is a response kept for replay.
type StoredResponse struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    []byte            `json:"body"`
}
