package contactd

import (
	"context"
	"strings"
	"time"
)

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

// Tokens lists the tenant's tokens, revoked ones included. EForbidden.
func (s *Service) Tokens(ctx context.Context, p Principal) ([]TokenInfo, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	ts, err := s.store.Tokens(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	out := make([]TokenInfo, len(ts))
	for i, t := range ts {
		out[i] = t.Info()
	}
	return out, nil
}

// TokenRequest describes a token to create through the API.
type TokenRequest struct {
	Name   string
	Kind   TokenKind
	UserID string
	Scopes []string
}

// IssueToken creates a token of the caller's tenant and returns its secret,
// shown this once. EInvalid, EForbidden.
func (s *Service) IssueToken(ctx context.Context, p Principal, r TokenRequest) (string, *Token, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return "", nil, err
	}
	scopes, err := ParseScopes(strings.Join(r.Scopes, ","))
	if err != nil {
		return "", nil, invalidField("scopes", "%s", err.(*Error).Message)
	}
	return s.CreateToken(ctx, TokenParams{TenantID: p.TenantID, Name: r.Name, Kind: r.Kind, UserID: r.UserID, Scopes: scopes})
}

// RevokeToken revokes a token of the caller's tenant: it is rejected from
// the next request on, on every node. Revoking a revoked token is a no-op.
// ENotFound, EForbidden.
func (s *Service) RevokeToken(ctx context.Context, p Principal, id string) error {
	if err := p.require(ScopeAdmin); err != nil {
		return err
	}
	if err := s.store.RevokeToken(ctx, p.TenantID, id, s.now()); err != nil {
		return err
	}
	s.forgetTokens(func(q Principal) bool { return q.TenantID == p.TenantID && q.TokenID == id })
	return nil
}

// forgetTokens drops cached principals (see SoleWriter).
func (s *Service) forgetTokens(drop func(Principal) bool) {
	if s.tokens != nil {
		s.tokens.forget(drop)
	}
}
