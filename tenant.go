package contactd

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Tenant is one customer's isolated address book.
type Tenant struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	DefaultRegion string `json:"defaultRegion"`
	UniquePhones  bool   `json:"uniquePhones"`
	// ChangeRetentionDays is how long the change log keeps a change (see
	// Service.PruneChanges).
	ChangeRetentionDays int `json:"changeRetentionDays" doc:"How many days the change feed and contact histories keep a change (default 30)."`
	// RateLimit lowers the request rate each of the tenant's tokens may
	// use, in requests per second; nil keeps the server's.
	RateLimit *int      `json:"rateLimit" doc:"Requests per second each of the tenant's tokens may make (1 to 1000000), at most the server's --rate-limit; null: the server's."`
	CreatedAt time.Time `json:"createdAt"`
}

// DefaultChangeRetentionDays is a new tenant's changeRetentionDays.
const DefaultChangeRetentionDays = 30

// MaxRateLimit bounds a tenant's rateLimit.
const MaxRateLimit = 1_000_000

// MaxChangeRetentionDays bounds changeRetentionDays (ten years).
const MaxChangeRetentionDays = 3650

// MarshalJSON writes the tenant with its timestamp in TimeFormat.
func (t Tenant) MarshalJSON() ([]byte, error) {
	type plain Tenant
	return json.Marshal(struct {
		plain
		CreatedAt jsonTime `json:"createdAt"`
	}{plain(t), jsonTime(t.CreatedAt)})
}

// TenantStore is the part of the Store that keeps tenants.
type TenantStore interface {
	// CreateTenant inserts a tenant. A *ConflictError (name) if the name is
	// taken.
	CreateTenant(ctx context.Context, t *Tenant) error
	// Tenant returns a tenant by id. ENotFound.
	Tenant(ctx context.Context, id string) (*Tenant, error)
	// TenantByName returns a tenant by its unique name. ENotFound.
	TenantByName(ctx context.Context, name string) (*Tenant, error)
	// Tenants returns every tenant, by id.
	Tenants(ctx context.Context) ([]*Tenant, error)
	// UpdateTenant stores a tenant's name, default region, uniquePhones
	// and changeRetentionDays.
	// A *ConflictError (name) when the name is taken, and a
	// *SharedNumbersError when uniquePhones is turned on while live
	// contacts share numbers (at most MaxListedSharedNumbers of them).
	// ENotFound.
	UpdateTenant(ctx context.Context, t *Tenant) error
	// CountTenants returns how many tenants exist.
	CountTenants(ctx context.Context) (int, error)
}

// SharedNumber is a phone number that several live contacts have.
type SharedNumber struct {
	E164       string
	ContactIDs []string
}

// MaxListedSharedNumbers bounds the shared numbers a refused uniquePhones
// lists.
const MaxListedSharedNumbers = 20

// SharedNumbersError is what a store returns when uniquePhones cannot be
// turned on: the numbers several live contacts share, with their contacts.
type SharedNumbersError struct {
	Numbers []SharedNumber
}

func (e *SharedNumbersError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d numbers are shared:", len(e.Numbers))
	for _, n := range e.Numbers {
		fmt.Fprintf(&b, " %s (%s)", n.E164, strings.Join(n.ContactIDs, ", "))
	}
	return b.String()
}
