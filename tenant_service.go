package contactd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/contactd/contactd/internal/phone"
)

// CreateTenant creates a tenant. region is the ISO 3166 alpha-2 region used
// to read national phone numbers ("" for none). EInvalid, EConflict.
func (s *Service) CreateTenant(ctx context.Context, name, region string) (*Tenant, error) {
	t := &Tenant{ID: NewID(PrefixTenant), Name: strings.TrimSpace(name), DefaultRegion: strings.ToUpper(strings.TrimSpace(region)),
		ChangeRetentionDays: DefaultChangeRetentionDays, CreatedAt: s.now()}
	if fe := checkTenant(t); len(fe) > 0 {
		return nil, invalid(fe)
	}
	if err := s.store.CreateTenant(ctx, t); err != nil {
		return nil, tenantConflict(err, t.Name)
	}
	return t, nil
}

// Tenants lists every tenant, by id: for the operator's command line,
// which holds the database itself; no token can ask for it.
func (s *Service) Tenants(ctx context.Context) ([]*Tenant, error) {
	return s.store.Tenants(ctx)
}

// FindTenant returns a tenant by id or by name. ENotFound.
func (s *Service) FindTenant(ctx context.Context, idOrName string) (*Tenant, error) {
	if strings.HasPrefix(idOrName, PrefixTenant) {
		if t, err := s.store.Tenant(ctx, idOrName); ErrorCodeOf(err) != ENotFound {
			return t, err
		}
	}
	return s.store.TenantByName(ctx, idOrName)
}

// Bootstrap prepares an empty database for a first start: it creates the
// tenant "default" and a token with every scope, and returns the token's
// secret. On a database that already has a tenant it does nothing and
// returns "".
func (s *Service) Bootstrap(ctx context.Context, region string) (string, error) {
	n, err := s.store.CountTenants(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	t, err := s.CreateTenant(ctx, "default", region)
	if ErrorCodeOf(err) == EConflict {
		return "", nil // another node bootstrapped the database first
	}
	if err != nil {
		return "", err
	}
	secret, _, err := s.CreateToken(ctx, TokenParams{TenantID: t.ID, Name: "bootstrap", Kind: TokenService, Scopes: AllScopes})
	return secret, err
}

// TenantSettings returns the caller's tenant. EForbidden.
func (s *Service) TenantSettings(ctx context.Context, p Principal) (*Tenant, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	return s.store.Tenant(ctx, p.TenantID)
}

// UpdateTenant applies a merge patch of name, defaultRegion, uniquePhones
// and changeRetentionDays to the caller's tenant. The new region reads every phone
// number parsed afterwards. Turning uniquePhones on while live contacts
// share a number is an EConflict listing the numbers. EInvalid, EForbidden.
func (s *Service) UpdateTenant(ctx context.Context, p Principal, tp *TenantPatch) (*Tenant, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	t, err := s.store.Tenant(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	if err := checkReadOnly(t, tp.ReadOnly); err != nil {
		return nil, err
	}
	if tp.Name != nil {
		t.Name = strings.TrimSpace(*tp.Name)
	}
	if tp.DefaultRegion != nil {
		t.DefaultRegion = strings.ToUpper(strings.TrimSpace(*tp.DefaultRegion))
	}
	if tp.UniquePhones != nil {
		t.UniquePhones = *tp.UniquePhones
	}
	if tp.ChangeRetentionDays != nil {
		t.ChangeRetentionDays = *tp.ChangeRetentionDays
	}
	if tp.RateLimitSet {
		t.RateLimit = tp.RateLimit
	}
	if fe := checkTenant(t); len(fe) > 0 {
		return nil, invalid(fe)
	}
	err = s.store.UpdateTenant(ctx, t)
	var shared *SharedNumbersError
	if errors.As(err, &shared) {
		return nil, sharedNumbersConflict(shared.Numbers)
	}
	if err != nil {
		return nil, tenantConflict(err, t.Name)
	}
	// The principals carry the tenant's default region and rate limit.
	s.forgetTokens(func(q Principal) bool { return q.TenantID == t.ID })
	return t, nil
}

// checkTenant validates a tenant's name and default region.
func checkTenant(t *Tenant) []FieldError {
	var fe []FieldError
	if n := utf8.RuneCountInString(t.Name); n == 0 || n > 128 {
		fe = append(fe, FieldError{Location: "name", Message: "must be 1 to 128 characters"})
	}
	if t.DefaultRegion != "" && !phone.ValidRegion(t.DefaultRegion) {
		fe = append(fe, FieldError{Location: "defaultRegion", Message: "must be an ISO 3166 alpha-2 region code such as US"})
	}
	if r := t.RateLimit; r != nil && (*r < 1 || *r > MaxRateLimit) {
		fe = append(fe, FieldError{Location: "rateLimit", Message: fmt.Sprintf("must be a whole number of requests per second from 1 to %d, or null for the server's", MaxRateLimit), Value: *r})
	}
	if d := t.ChangeRetentionDays; d < 1 || d > MaxChangeRetentionDays {
		fe = append(fe, FieldError{Location: "changeRetentionDays", Message: fmt.Sprintf("must be a whole number of days from 1 to %d", MaxChangeRetentionDays), Value: d})
	}
	return fe
}

// tenantConflict words a tenant name another tenant has.
func tenantConflict(err error, name string) error {
	var ce *ConflictError
	if !errors.As(err, &ce) {
		return err
	}
	return &Error{Code: EConflict, Message: fmt.Sprintf("a tenant named %q exists", name), ConflictingID: ce.ID, ConflictingField: "name"}
}

// sharedNumbersConflict is the conflict of turning uniquePhones on while
// live contacts share numbers: each number with the contacts that have it.
func sharedNumbersConflict(shared []SharedNumber) error {
	e := &Error{Code: EConflict, ConflictingField: "phone",
		Message: fmt.Sprintf("%d or more numbers belong to several live contacts; make them unique first", len(shared))}
	for _, sh := range shared {
		if e.ConflictingID == "" && len(sh.ContactIDs) > 0 {
			e.ConflictingID = sh.ContactIDs[0]
		}
		e.Fields = append(e.Fields, FieldError{Location: "uniquePhones",
			Message: fmt.Sprintf("%s belongs to %s", sh.E164, strings.Join(sh.ContactIDs, ", ")), Value: sh.E164})
	}
	return e
}
