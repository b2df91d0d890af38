package contactd

import (
	"context"
	"time"

	"github.com/contactd/contactd/internal/sqlq"
)

// Store persists tenants, tokens, contacts and the change log. It holds no
// business rules: the Service validates and decides; a Store writes, reads
// and translates its database's errors into *Error values.
//
// Every method takes a context and, for tenant data, the tenant id; a Store
// never reads or writes across tenants. Methods that look an object up
// return an *Error with code ENotFound when it does not exist.
type Store interface {
	AccountStore
	TagStore
	SegmentStore

	// CreateTenant inserts a tenant. EConflict if the name is taken.
	CreateTenant(ctx context.Context, t *Tenant) error
	// Tenant returns a tenant by id. ENotFound.
	Tenant(ctx context.Context, id string) (*Tenant, error)
	// TenantByName returns a tenant by its unique name. ENotFound.
	TenantByName(ctx context.Context, name string) (*Tenant, error)
	// UpdateTenant stores a tenant's name, default region and uniquePhones.
	// EConflict when the name is taken, or when uniquePhones is turned on
	// while live contacts share a number (Fields list them).
	UpdateTenant(ctx context.Context, t *Tenant) error
	// CountTenants returns how many tenants exist.
	CountTenants(ctx context.Context) (int, error)

	// CreateToken inserts a token (its hash, never its secret).
	CreateToken(ctx context.Context, t *Token) error
	// TokenByHash returns the unrevoked token with the given hash, with its
	// tenant's default region. ENotFound.
	TokenByHash(ctx context.Context, hash []byte) (*Token, error)

	// Tokens returns a tenant's tokens, revoked ones included, oldest first.
	Tokens(ctx context.Context, tenantID string) ([]*Token, error)
	// RevokeToken marks a token revoked at the given time (keeping an
	// earlier revocation). ENotFound.
	RevokeToken(ctx context.Context, tenantID, id string, at time.Time) error

	// Contact returns a contact by id, deleted or not. ENotFound.
	Contact(ctx context.Context, tenantID, id string) (*Contact, error)
	// ContactDoc returns a contact by id, deleted or not, as the JSON the
	// Contact marshals to. ENotFound.
	ContactDoc(ctx context.Context, tenantID, id string) (*ContactDoc, error)
	// ContactByEmail returns the live contact with the given (lower-case)
	// email address. ENotFound.
	ContactByEmail(ctx context.Context, tenantID, email string) (*Contact, error)
	// ContactByExternalID returns the live contact with the given external
	// id. ENotFound.
	ContactByExternalID(ctx context.Context, tenantID, externalID string) (*Contact, error)
	// LookupPhone returns up to limit live contacts having a phone with the
	// given E.164 number: those where it is the primary phone first, then the
	// most recently updated.
	LookupPhone(ctx context.Context, tenantID, e164 string, limit int) ([]PhoneMatch, error)
	// ListContacts returns one page of a tenant's contacts.
	ListContacts(ctx context.Context, q sqlq.ListQuery) ([]*Contact, error)
	// CountContacts counts every contact of a list, ignoring pages.
	CountContacts(ctx context.Context, q sqlq.ListQuery) (int, error)
	// WriteContact inserts (PrevVersion 0) or replaces a contact and appends
	// its change to the tenant's change log, in one transaction. It returns
	// EPreconditionFailed when the stored version is not PrevVersion, and
	// EConflict with ConflictingID/ConflictingField when a live contact of
	// the tenant already has one of its emails or its external id.
	WriteContact(ctx context.Context, p WriteContactParams) error
	// InsertContacts inserts new contacts with their changes in one
	// transaction, all or nothing. EConflict (with ConflictingID when it can
	// be told) if one has an email or external id of a live contact.
	InsertContacts(ctx context.Context, tenantID string, batch []WriteContactParams) error
	// EraseContact deletes a contact and its change history, then appends
	// the given change ("erased", without field values). ENotFound.
	EraseContact(ctx context.Context, tenantID, id string, change *Change) error
	// Changes returns up to limit changes of a tenant with Seq > after, in
	// order; with a non-empty contactID, only that contact's changes.
	Changes(ctx context.Context, p ChangesParams) ([]Change, error)

	// ReserveIdempotencyKey records that a request with this key and
	// request hash is being handled. If the key is already known it returns
	// the stored record instead (Response nil while still in progress).
	ReserveIdempotencyKey(ctx context.Context, r *IdempotencyRecord) (existing *IdempotencyRecord, err error)
	// CompleteIdempotencyKey stores the response of a reserved key.
	CompleteIdempotencyKey(ctx context.Context, r *IdempotencyRecord) error
	// ReleaseIdempotencyKey forgets a reserved key whose request failed.
	ReleaseIdempotencyKey(ctx context.Context, tenantID, key string) error

	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// SchemaCurrent reports whether every migration has been applied.
	SchemaCurrent(ctx context.Context) (bool, error)
	// Close releases the store's connections.
	Close() error
}

// WriteContactParams is the input of Store.WriteContact.
type WriteContactParams struct {
	TenantID string
	Contact  *Contact
	// PrevVersion is the version being replaced, 0 for an insert.
	PrevVersion int64
	// Change is appended to the change log; its Seq is set on success.
	Change *Change
	// Terms replace the contact's full-text index entries.
	Terms []Term
}

// ChangesParams is the input of Store.Changes.
type ChangesParams struct {
	TenantID  string
	ContactID string
	After     int64
	Limit     int
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
