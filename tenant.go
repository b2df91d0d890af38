package contactd

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/contactd/contactd/internal/phone"
)

// TenantSettings returns the caller's tenant. EForbidden.
func (s *Service) TenantSettings(ctx context.Context, p Principal) (*Tenant, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	return s.store.Tenant(ctx, p.TenantID)
}

// UpdateTenant applies a JSON merge patch of name, defaultRegion and
// uniquePhones to the caller's tenant. The new region reads every phone
// number parsed afterwards. Turning uniquePhones on while live contacts
// share a number is an EConflict listing the numbers. EInvalid, EForbidden.
func (s *Service) UpdateTenant(ctx context.Context, p Principal, patch []byte) (*Tenant, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(patch, &m); err != nil || m == nil {
		return nil, invalidField("body", "must be a JSON object (a JSON merge patch)")
	}
	t, err := s.store.Tenant(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	var d decoder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		raw := m[k]
		switch k {
		case "name":
			d.str(raw, k, &t.Name)
		case "defaultRegion":
			d.str(raw, k, &t.DefaultRegion)
		case "uniquePhones":
			d.boolean(raw, k, &t.UniquePhones)
		case "id", "createdAt":
			var v string
			if json.Unmarshal(raw, &v) != nil || (k == "id" && v != t.ID) {
				d.fail(k, "is read-only")
			}
		default:
			d.unknownField("", k)
		}
	}
	t.Name = strings.TrimSpace(t.Name)
	t.DefaultRegion = strings.ToUpper(strings.TrimSpace(t.DefaultRegion))
	if t.Name == "" || len([]rune(t.Name)) > 128 {
		d.fail("name", "must be 1 to 128 characters")
	}
	if t.DefaultRegion != "" && !phone.ValidRegion(t.DefaultRegion) {
		d.fail("defaultRegion", "must be an ISO 3166 alpha-2 region code such as US")
	}
	if len(d.errs) > 0 {
		return nil, invalid(d.errs)
	}
	if err := s.store.UpdateTenant(ctx, t); err != nil {
		return nil, err
	}
	// The principals carry the tenant's default region.
	s.forgetTokens(func(q Principal) bool { return q.TenantID == t.ID })
	return t, nil
}

// SharedNumber is a phone number that several live contacts have.
type SharedNumber struct {
	E164       string
	ContactIDs []string
}

// MaxListedSharedNumbers bounds the shared numbers a refused uniquePhones
// lists.
const MaxListedSharedNumbers = 20

// SharedNumbersError is the conflict of turning uniquePhones on while live
// contacts share numbers: each number with the contacts that have it.
func SharedNumbersError(shared []SharedNumber) error {
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
