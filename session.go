package contactd

import (
	"context"
	"time"
)

// Session is a user's sign-in to the web address book. Its secret lives
// only in the user's cookie; the database keeps its SHA-256 hash. A
// session ends when it is signed out, when it has been idle for longer
// than the idle limit, at its absolute expiry, when the user's password
// changes (the session that changed it excepted) and when the user is
// deleted.
type Session struct {
	ID       string
	TenantID string
	UserID   string
	Hash     []byte
	// CSRF is the token every form of the session carries back.
	CSRF       string
	CreatedAt  time.Time
	LastSeenAt time.Time
	// ExpiresAt is the absolute end of the session, however active.
	ExpiresAt time.Time

	// Filled by SessionByHash: the user as it is now, and the tenant's
	// settings a principal carries.
	User            *User
	TenantRegion    string
	TenantRateLimit *int
}

// SessionStore is the part of the Store that keeps sign-in sessions.
type SessionStore interface {
	// CreateSession stores a new session.
	CreateSession(ctx context.Context, s *Session) error
	// SessionByHash returns the session whose secret hashes to hash, with
	// its user and tenant settings filled in. ENotFound.
	SessionByHash(ctx context.Context, hash []byte) (*Session, error)
	// TouchSession records that a session was used at t. ENotFound.
	TouchSession(ctx context.Context, tenantID, id string, t time.Time) error
	// DeleteSession ends one session. ENotFound.
	DeleteSession(ctx context.Context, tenantID, id string) error
	// DeleteUserSessions ends every session of a user but exceptID (""
	// for none) and returns how many it ended.
	DeleteUserSessions(ctx context.Context, tenantID, userID, exceptID string) (int, error)
	// DeleteSessionsBefore ends every session, of any tenant, last seen
	// before idle or expiring before now, and returns how many.
	DeleteSessionsBefore(ctx context.Context, idle, now time.Time) (int, error)
	// UsersByEmail returns the users, of any tenant, with a (lower-case)
	// email, at most limit of them, in tenant id order: sign-in asks for
	// an email before it knows the tenant.
	UsersByEmail(ctx context.Context, email string, limit int) ([]*User, error)
}
