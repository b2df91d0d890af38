package contactd

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// Scope is a permission carried by a token.
type Scope string

// Scopes a token may carry.
const (
	ScopeRead   Scope = "contacts:read"
	ScopeWrite  Scope = "contacts:write"
	ScopeDelete Scope = "contacts:delete"
	ScopeAdmin  Scope = "contacts:admin"
)

// AllScopes lists every scope, in order of increasing power.
var AllScopes = []Scope{ScopeRead, ScopeWrite, ScopeDelete, ScopeAdmin}

// ParseScopes parses a comma-separated scope list.
func ParseScopes(s string) ([]Scope, error) {
	var out []Scope
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		sc := Scope(part)
		if !slices.Contains(AllScopes, sc) {
			return nil, Errorf(EInvalid, "unknown scope %q (want one of contacts:read, contacts:write, contacts:delete, contacts:admin)", part)
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	if len(out) == 0 {
		return nil, Errorf(EInvalid, "at least one scope is required")
	}
	return out, nil
}

// JoinScopes writes scopes as a store keeps them: comma-separated.
func JoinScopes(scopes []Scope) string {
	parts := make([]string, len(scopes))
	for i, sc := range scopes {
		parts[i] = string(sc)
	}
	return strings.Join(parts, ",")
}

// SplitScopes reads scopes as JoinScopes wrote them.
func SplitScopes(s string) []Scope {
	var out []Scope
	for _, sc := range strings.Split(s, ",") {
		out = append(out, Scope(sc))
	}
	return out
}

// TokenKind says whom a token acts for.
type TokenKind string

// Token kinds.
const (
	// TokenPersonal acts as a user; the user id becomes createdBy/updatedBy.
	TokenPersonal TokenKind = "personal"
	// TokenService is an integration or channel; its name is the actor.
	TokenService TokenKind = "service"
)

// Token is an API token. The secret is never stored; only its SHA-256 hash.
type Token struct {
	ID        string
	TenantID  string
	Name      string
	Kind      TokenKind
	UserID    string
	Scopes    []Scope
	Hash      []byte
	CreatedAt time.Time
	RevokedAt *time.Time
	// TenantRegion is the tenant's default region, read with the token so
	// that a request needs no second query for it.
	TenantRegion string
	// TenantRateLimit is the tenant's rateLimit, read with the token.
	TenantRateLimit *int
}

// TokenPrefix starts every token secret so that leaked tokens are easy to
// recognise (and to scan for).
const TokenPrefix = "cdt_"

// newTokenSecret returns a fresh secret with 256 random bits.
func newTokenSecret() string { return randomSecret(TokenPrefix) }

// HashToken returns the stored form of a token secret.
func HashToken(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// Principal is the authenticated caller of a Service method.
type Principal struct {
	TenantID string
	TokenID  string
	// Actor is recorded as createdBy/updatedBy/deletedBy and in history.
	Actor  string
	Scopes []Scope
	// Region is the tenant's default region for reading phone numbers.
	Region string
	// RateLimit is the tenant's own ceiling on a token's request rate,
	// per second; nil for none (transports apply their own).
	RateLimit *int
}

// Has reports whether the principal carries scope s.
func (p Principal) Has(s Scope) bool { return slices.Contains(p.Scopes, s) }

// require returns EForbidden unless the principal carries scope s.
func (p Principal) require(s Scope) error {
	if !p.Has(s) {
		return Errorf(EForbidden, "this operation needs the %s scope", s)
	}
	return nil
}

// principalFor builds the principal a token acts as.
func principalFor(t *Token) Principal {
	actor := t.Name
	if t.Kind == TokenPersonal && t.UserID != "" {
		actor = t.UserID
	}
	return Principal{TenantID: t.TenantID, TokenID: t.ID, Actor: actor, Scopes: t.Scopes, Region: t.TenantRegion, RateLimit: t.TenantRateLimit}
}

// tokenMatches compares a presented secret with a stored hash in constant time.
func tokenMatches(secret string, hash []byte) bool {
	return subtle.ConstantTimeCompare(HashToken(secret), hash) == 1
}

// TokenInfo is what the API shows of a token: never its secret.
type TokenInfo struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Kind      TokenKind  `json:"kind"`
	UserID    string     `json:"userId,omitempty"`
	Scopes    []Scope    `json:"scopes"`
	CreatedAt time.Time  `json:"createdAt"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
}

// Info returns the public description of a token.
func (t *Token) Info() TokenInfo {
	return TokenInfo{ID: t.ID, Name: t.Name, Kind: t.Kind, UserID: t.UserID, Scopes: t.Scopes, CreatedAt: t.CreatedAt, RevokedAt: t.RevokedAt}
}

// MarshalJSON writes the token with its timestamps in TimeFormat.
func (t TokenInfo) MarshalJSON() ([]byte, error) {
	type plain TokenInfo
	return json.Marshal(struct {
		plain
		CreatedAt jsonTime  `json:"createdAt"`
		RevokedAt *jsonTime `json:"revokedAt,omitempty"`
	}{plain(t), jsonTime(t.CreatedAt), optTime(t.RevokedAt)})
}

// TokenStore is the part of the Store that keeps tokens.
type TokenStore interface {
	// CreateToken inserts a token (its hash, never its secret).
	CreateToken(ctx context.Context, t *Token) error
	// TokenByHash returns the unrevoked token with the given hash, with its
	// tenant's default region. ENotFound.
	TokenByHash(ctx context.Context, hash []byte) (*Token, error)
	// Tokens returns up to p.Limit of a tenant's tokens, revoked ones
	// included, in id order after p.After.
	Tokens(ctx context.Context, p TokensParams) ([]*Token, error)
	// RevokeToken marks a token revoked at the given time (keeping an
	// earlier revocation). ENotFound.
	RevokeToken(ctx context.Context, tenantID, id string, at time.Time) error
}

// TokensParams selects a page of a tenant's tokens.
type TokensParams struct {
	TenantID string
	// After is the id of the previous page's last token.
	After string
	Limit int
}
