package contactd

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
)

// User is a person of a tenant who signs in to the web address book. The
// role says what the user may do: admin every scope, editor read, write
// and delete, viewer read.
type User struct {
	ID        string    `json:"id"`
	TenantID  string    `json:"-"`
	Email     string    `json:"email"`
	Name      string    `json:"name,omitempty"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	// PasswordHash is the argon2id hash of the password, in the PHC
	// string format; never shown.
	PasswordHash string `json:"-"`
}

// Roles a user may have, in order of increasing power.
var Roles = []string{"viewer", "editor", "admin"}

// RoleScopes returns the scopes of a role.
func RoleScopes(role string) []Scope {
	switch role {
	case "admin":
		return AllScopes
	case "editor":
		return []Scope{ScopeRead, ScopeWrite, ScopeDelete}
	case "viewer":
		return []Scope{ScopeRead}
	}
	return nil
}

// Password limits: long enough to resist guessing, short enough that
// hashing one costs a bounded time.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 256
)

// argon2id parameters (RFC 9106's second recommended option, with the
// memory lowered for a small server): 64 MiB, 3 passes, 2 lanes.
const (
	argonTime    = 3
	argonMemory  = 64 << 10
	argonThreads = 2
	argonKeyLen  = 32
)

// HashPassword returns the argon2id hash of a password in the PHC string
// format ($argon2id$v=19$m=…,t=…,p=…$salt$hash).
func HashPassword(password string) string {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		panic(err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding.EncodeToString
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads, b64(salt), b64(key))
}

// CheckPassword reports whether a password matches a hash HashPassword
// made (with whatever parameters the hash records).
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<21 || t > 16 {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	key, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(key) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

// UserStore is the part of the Store that keeps users.
type UserStore interface {
	// CreateUser stores a new user; a *ConflictError{Field: "email"} when
	// another user of the tenant has the email.
	CreateUser(ctx context.Context, u *User) error
	// User returns a user by id. ENotFound.
	User(ctx context.Context, tenantID, id string) (*User, error)
	// UserByEmail returns a user by (lower-case) email. ENotFound.
	UserByEmail(ctx context.Context, tenantID, email string) (*User, error)
	// Users returns up to p.Limit users after p.After, in id order.
	Users(ctx context.Context, p UsersParams) ([]*User, error)
	// UpdateUser replaces a user; ENotFound, a *ConflictError on email.
	UpdateUser(ctx context.Context, u *User) error
	// DeleteUser deletes a user. ENotFound.
	DeleteUser(ctx context.Context, tenantID, id string) error
}

// UsersParams selects a page of a tenant's users.
type UsersParams struct {
	TenantID string
	After    string
	Limit    int
}
