package storetest

import (
	"bytes"
	"maps"
	"testing"
	"time"

	"github.com/contactd/contactd"
)

// reserve calls ReserveIdempotencyKey and fails the test on error.
func reserve(t *testing.T, s contactd.Store, r *contactd.IdempotencyRecord) *contactd.IdempotencyRecord {
	t.Helper()
	existing, err := s.ReserveIdempotencyKey(t.Context(), r)
	if err != nil {
		t.Fatalf("ReserveIdempotencyKey(%s): %v", r.Key, err)
	}
	return existing
}

// wantReserved reports an error unless got is the stored record want, with
// the response want.Response (nil while in progress).
func wantReserved(t *testing.T, got, want *contactd.IdempotencyRecord, what string) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: got no record, want the stored one", what)
		return
	}
	if got.TenantID != want.TenantID || got.Key != want.Key || !bytes.Equal(got.RequestHash, want.RequestHash) || !got.CreatedAt.Equal(want.CreatedAt) {
		t.Errorf("%s: got record %+v, want %+v", what, got, want)
	}
	switch g, w := got.Response, want.Response; {
	case w == nil && g != nil:
		t.Errorf("%s: got response %+v, want none (in progress)", what, g)
	case w != nil && g == nil:
		t.Errorf("%s: got no response, want %+v", what, w)
	case w != nil && (g.Status != w.Status || !maps.Equal(g.Headers, w.Headers) || !bytes.Equal(g.Body, w.Body)):
		t.Errorf("%s: got response %+v, want %+v", what, g, w)
	}
}

func testIdempotency(t *testing.T, b Backend) {
	t.Run("Lifecycle", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ctx := t.Context()
		tn := newTenant(t, s)
		first := &contactd.IdempotencyRecord{TenantID: tn.ID, Key: "key-1", RequestHash: []byte("hash-of-request-1"), CreatedAt: now().Add(-time.Second)}
		if got := reserve(t, s, first); got != nil {
			t.Fatalf("Reserve of a new key: got %+v, want nil", got)
		}

		retry := &contactd.IdempotencyRecord{TenantID: tn.ID, Key: "key-1", RequestHash: []byte("hash-of-request-2"), CreatedAt: now()}
		wantReserved(t, reserve(t, s, retry), first, "Reserve of a key in progress")

		done := *first
		done.Response = &contactd.StoredResponse{
			Status:  201,
			Headers: map[string]string{"Content-Type": "application/json", "Location": "/v1/contacts/ct_1", "ETag": `"1"`},
			Body:    []byte(`{"id":"ct_1","version":1}`),
		}
		if err := s.CompleteIdempotencyKey(ctx, &done); err != nil {
			t.Fatalf("CompleteIdempotencyKey: %v", err)
		}
		wantReserved(t, reserve(t, s, retry), &done, "Reserve of a completed key")

		if err := s.ReleaseIdempotencyKey(ctx, tn.ID, "key-1"); err != nil {
			t.Fatalf("ReleaseIdempotencyKey: %v", err)
		}
		if got := reserve(t, s, retry); got != nil {
			t.Errorf("Reserve of a released key: got %+v, want nil", got)
		}
		wantReserved(t, reserve(t, s, first), retry, "Reserve after the key was reserved again")
	})

	t.Run("PerTenant", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ctx := t.Context()
		t1, t2 := newTenant(t, s), newTenant(t, s)
		r1 := &contactd.IdempotencyRecord{TenantID: t1.ID, Key: "same-key", RequestHash: []byte("h1"), CreatedAt: now()}
		r2 := &contactd.IdempotencyRecord{TenantID: t2.ID, Key: "same-key", RequestHash: []byte("h2"), CreatedAt: now()}
		if got := reserve(t, s, r1); got != nil {
			t.Fatalf("Reserve in tenant A: got %+v, want nil", got)
		}
		if got := reserve(t, s, r2); got != nil {
			t.Fatalf("Reserve of tenant A's key in tenant B: got %+v, want nil", got)
		}

		done := *r1
		done.Response = &contactd.StoredResponse{Status: 200, Headers: map[string]string{"Content-Type": "application/json"}, Body: []byte(`{}`)}
		if err := s.CompleteIdempotencyKey(ctx, &done); err != nil {
			t.Fatalf("CompleteIdempotencyKey: %v", err)
		}
		wantReserved(t, reserve(t, s, r2), r2, "tenant B's key after tenant A completed its own")

		if err := s.ReleaseIdempotencyKey(ctx, t2.ID, "same-key"); err != nil {
			t.Fatalf("ReleaseIdempotencyKey: %v", err)
		}
		wantReserved(t, reserve(t, s, r1), &done, "tenant A's key after tenant B released its own")
	})
}
