package contactd

import (
	"context"
	"time"
)

// Store persists contactd's data. It holds no business rules: the Service
// validates and decides; a Store writes, reads, and returns what it found
// as typed errors (*ConflictError, *RefError, *Error with ENotFound or
// EPreconditionFailed) that the Service words. Each noun's part of the
// contract is declared beside the noun's types.
//
// Every method takes a context and, for tenant data, the tenant id; a Store
// never reads or writes across tenants, but for the deliverer's claim of
// the subscriptions that have something to deliver (ClaimWebhooks). Methods that look an object up
// return an *Error with code ENotFound when it does not exist. A write and
// every check it depends on run in one transaction, which first locks the
// tenant's writes (its change counter), so that a tenant's writes are
// serialized and its change log is gap-free and in commit order.
type Store interface {
	TenantStore
	TokenStore
	ContactStore
	CardStore
	PhotoStore
	ChangeStore
	AccountStore
	TagStore
	SegmentStore
	IdempotencyStore
	ImportStore
	WebhookStore
	DuplicateStore
	MergeStore
	UserStore
	SessionStore

	// Secret returns the deployment's secret stored under name, storing
	// fresh first when there is none, so that every node of a deployment
	// gets the same one.
	Secret(ctx context.Context, name string, fresh []byte) ([]byte, error)
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// SchemaCurrent reports whether every migration has been applied.
	SchemaCurrent(ctx context.Context) (bool, error)
	// Close releases the store's connections.
	Close() error
}

// StoreMetrics receives the timings a store measures of itself. A store
// that measures them has a SetMetrics(StoreMetrics) method.
type StoreMetrics interface {
	// Query is one statement of kind op (read, write; on PostgreSQL the
	// statement's verb) and how long it took (for a query returning rows,
	// until its first row).
	Query(op string, d time.Duration)
	// Commit is one write transaction carrying jobs writes (SQLite's
	// group commit puts concurrent writes in one) and how long it took.
	Commit(jobs int, d time.Duration)
}
