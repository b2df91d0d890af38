package contactd

import (
	"context"
	"slices"
	"strings"
	"time"
)

// Authenticate returns the principal a token secret acts as.
// EUnauthorized when the secret is malformed, unknown or revoked.
func (s *Service) Authenticate(ctx context.Context, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 128 {
		return Principal{}, Errorf(EUnauthorized, "the token is not valid")
	}
	hash := HashToken(secret)
	var epoch uint64
	if s.tokens != nil {
		var p Principal
		var ok bool
		if p, epoch, ok = s.tokens.get(hash, time.Now()); ok {
			s.stats.tokenHits.Add(1)
			return p, nil
		}
	}
	s.stats.tokenMisses.Add(1)
	t, err := s.store.TokenByHash(ctx, hash)
	if ErrorCodeOf(err) == ENotFound || (err == nil && !tokenMatches(secret, t.Hash)) {
		return Principal{}, Errorf(EUnauthorized, "the token is not valid")
	}
	if err != nil {
		return Principal{}, err
	}
	p := principalFor(t)
	if s.tokens != nil {
		s.tokens.put(hash, p, time.Now(), epoch)
	}
	return p, nil
}

// TokenParams describes a token to create.
type TokenParams struct {
	TenantID string
	Name     string
	Kind     TokenKind
	UserID   string
	Scopes   []Scope
}

// CreateToken creates a token and returns its secret, which is not stored
// and cannot be shown again. EInvalid, ENotFound (tenant).
func (s *Service) CreateToken(ctx context.Context, p TokenParams) (string, *Token, error) {
	if p.Kind == "" {
		p.Kind = TokenService
		if p.UserID != "" {
			p.Kind = TokenPersonal
		}
	}
	var fe []FieldError
	switch p.Kind {
	case TokenPersonal:
		if p.UserID == "" {
			fe = append(fe, FieldError{Location: "userId", Message: "a personal token needs a user id"})
		}
	case TokenService:
	default:
		fe = append(fe, FieldError{Location: "kind", Message: "must be personal or service"})
	}
	if len(p.Scopes) == 0 {
		fe = append(fe, FieldError{Location: "scopes", Message: "at least one scope is required"})
	}
	if len(p.Name) > 128 || len(p.UserID) > 128 {
		fe = append(fe, FieldError{Location: "name", Message: "name and user must be at most 128 characters"})
	}
	if len(fe) > 0 {
		return "", nil, invalid(fe)
	}
	if _, err := s.store.Tenant(ctx, p.TenantID); err != nil {
		return "", nil, err
	}
	if p.Kind == TokenPersonal && strings.HasPrefix(p.UserID, PrefixUser) {
		// A token of one of the tenant's users carries no more than the
		// user's role allows.
		u, err := s.store.User(ctx, p.TenantID, p.UserID)
		if ErrorCodeOf(err) == ENotFound {
			return "", nil, invalidField("userId", "no user %s in this tenant", p.UserID)
		}
		if err != nil {
			return "", nil, err
		}
		for _, sc := range p.Scopes {
			if !slices.Contains(RoleScopes(u.Role), sc) {
				return "", nil, invalidField("scopes", "the user's role (%s) does not allow %s", u.Role, sc)
			}
		}
	}
	if p.Name == "" {
		p.Name = string(p.Kind)
	}
	secret := newTokenSecret()
	t := &Token{ID: NewID(PrefixToken), TenantID: p.TenantID, Name: p.Name, Kind: p.Kind,
		UserID: p.UserID, Scopes: p.Scopes, Hash: HashToken(secret), CreatedAt: s.now()}
	if err := s.store.CreateToken(ctx, t); err != nil {
		return "", nil, err
	}
	return secret, t, nil
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

// forgetTokens drops cached principals (see token_cache.go).
func (s *Service) forgetTokens(drop func(Principal) bool) {
	if s.tokens != nil {
		s.tokens.forget(drop)
	}
}
