package contactd

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"sync"
	"sync/atomic"
)

// Cursors. A cursor is opaque to clients: a version byte, the position
// (JSON), and a MAC over the tenant, the list's scope and the position,
// keyed with a secret the store keeps for the deployment (every node
// shares it). A cursor that was changed, or made for another list, query
// or tenant, fails the MAC and is refused; it never yields a wrong page.

// cursorPos is a position in a list: after the given values of its sort
// keys, or after Offset items of a ranked list. Sort is the sort
// parameter it was made with.
type cursorPos struct {
	Sort   string   `json:"s,omitempty"`
	Values []string `json:"v,omitempty"`
	Offset int      `json:"o,omitempty"`
}

const (
	cursorVersion = 1
	cursorMACLen  = 16
	// cursorSecret names the deployment's cursor key in the store.
	cursorSecret = "cursor-mac"
)

// cursorKey holds the deployment's cursor key once read.
type cursorKey struct {
	key atomic.Pointer[[]byte]
	mu  sync.Mutex // held while reading it from the store
}

func (s *Service) cursorMACKey(ctx context.Context) ([]byte, error) {
	if k := s.cursors.key.Load(); k != nil {
		return *k, nil
	}
	s.cursors.mu.Lock()
	defer s.cursors.mu.Unlock()
	if k := s.cursors.key.Load(); k != nil {
		return *k, nil
	}
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	key, err := s.store.Secret(ctx, cursorSecret, fresh)
	if err != nil {
		return nil, err
	}
	s.cursors.key.Store(&key)
	return key, nil
}

func cursorMAC(key []byte, tenantID, scope string, pos []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(tenantID))
	m.Write([]byte{0})
	m.Write([]byte(scope))
	m.Write([]byte{0})
	m.Write(pos)
	return m.Sum(nil)[:cursorMACLen]
}

func (s *Service) encodeCursor(ctx context.Context, p Principal, scope string, pos cursorPos) (string, error) {
	key, err := s.cursorMACKey(ctx)
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(pos)
	if err != nil {
		return "", err
	}
	b := append([]byte{cursorVersion}, body...)
	b = append(b, cursorMAC(key, p.TenantID, scope, body)...)
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// errBadCursor is any cursor that does not decode and verify.
var errBadCursor = Errorf(EInvalid, "not a cursor of this list")

func (s *Service) decodeCursor(ctx context.Context, p Principal, scope, cursor string) (cursorPos, error) {
	var pos cursorPos
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(b) < 1+cursorMACLen || b[0] != cursorVersion {
		return pos, errBadCursor
	}
	key, err := s.cursorMACKey(ctx)
	if err != nil {
		return pos, err
	}
	body, mac := b[1:len(b)-cursorMACLen], b[len(b)-cursorMACLen:]
	if !hmac.Equal(mac, cursorMAC(key, p.TenantID, scope, body)) {
		return pos, errBadCursor
	}
	if err := json.Unmarshal(body, &pos); err != nil {
		return pos, errBadCursor
	}
	return pos, nil
}
