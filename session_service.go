package contactd

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"sync"
	"time"
)

// SessionPrefix starts every session secret (the cookie's value).
const SessionPrefix = "cds_"

// Session lifetimes: a session ends after SessionIdle without a request,
// and SessionMax after it began however active it is.
const (
	DefaultSessionIdle = 12 * time.Hour
	DefaultSessionMax  = 7 * 24 * time.Hour
	// sessionTouchEvery is how stale LastSeenAt may be before a request
	// records it again: one write a minute per session at most.
	sessionTouchEvery = time.Minute
)

// SessionLimits are the lifetimes of sessions (zero fields take the
// defaults).
type SessionLimits struct {
	Idle, Max time.Duration
}

// SetSessionLimits sets the lifetimes of the sessions begun or checked
// from now on.
func (s *Service) SetSessionLimits(l SessionLimits) {
	s.sessionMu.Lock()
	defer s.sessionMu.Unlock()
	s.sessionLimits = l
}

func (s *Service) sessionLimitsNow() SessionLimits {
	s.sessionMu.Lock()
	defer s.sessionMu.Unlock()
	l := s.sessionLimits
	if l.Idle <= 0 {
		l.Idle = DefaultSessionIdle
	}
	if l.Max <= 0 {
		l.Max = DefaultSessionMax
	}
	return l
}

// sessionState is the Service's part for sessions, embedded in Service.
type sessionState struct {
	sessionMu     sync.Mutex
	sessionLimits SessionLimits
}

func randomSecret(prefix string) string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// SignInRequest is what the sign-in form sends. TenantID chooses among the
// tenants where the email and password both match, when there are several.
type SignInRequest struct {
	Email, Password, TenantID string
}

// maxSignInTenants bounds the tenants whose user with an email a sign-in
// tries the password on (each try costs one argon2id hash).
const maxSignInTenants = 5

// ChooseTenantError answers a sign-in whose email and password match users
// of several tenants: the form asks which one.
type ChooseTenantError struct {
	Tenants []*Tenant
}

func (e *ChooseTenantError) Error() string {
	return "the email and password open several address books: choose one"
}

// errSignIn is the one answer to a wrong email or a wrong password, so that
// the form tells nobody which emails have users.
var errSignIn = Errorf(EUnauthorized, "the email or the password is wrong")

// dummyHash is checked against when no user has the email, so that a
// sign-in takes as long whether or not the email exists.
var dummyHash = sync.OnceValue(func() string { return HashPassword("contactd: no such user") })

// SignIn checks an email and password and begins a session. It returns the
// session's secret (the cookie's value, not stored) and the session.
// EUnauthorized for a wrong email or password, *ChooseTenantError when
// they match in several tenants and TenantID does not choose one.
func (s *Service) SignIn(ctx context.Context, r SignInRequest) (string, *Session, error) {
	email := strings.ToLower(strings.TrimSpace(r.Email))
	if email == "" || len(email) > 320 || r.Password == "" || len(r.Password) > MaxPasswordLen*4 {
		return "", nil, errSignIn
	}
	users, err := s.store.UsersByEmail(ctx, email, maxSignInTenants)
	if err != nil {
		return "", nil, err
	}
	var matched []*User
	checked := 0
	for _, u := range users {
		if r.TenantID != "" && u.TenantID != r.TenantID {
			continue
		}
		checked++
		if CheckPassword(u.PasswordHash, r.Password) {
			matched = append(matched, u)
		}
	}
	if checked == 0 {
		// As long as a wrong password takes, so that the time of the
		// answer tells nobody whether the email has a user.
		CheckPassword(dummyHash(), r.Password)
	}
	switch {
	case len(matched) == 0:
		return "", nil, errSignIn
	case len(matched) > 1:
		ce := &ChooseTenantError{}
		for _, u := range matched {
			t, err := s.store.Tenant(ctx, u.TenantID)
			if err != nil {
				return "", nil, err
			}
			ce.Tenants = append(ce.Tenants, t)
		}
		return "", nil, ce
	}
	u := matched[0]
	now := s.now()
	secret := randomSecret(SessionPrefix)
	sess := &Session{ID: NewID(PrefixSession), TenantID: u.TenantID, UserID: u.ID, Hash: HashToken(secret),
		CSRF: randomSecret(""), CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(s.sessionLimitsNow().Max), User: u}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return "", nil, err
	}
	return secret, sess, nil
}

// errNoSession is the answer to a cookie that names no live session.
var errNoSession = Errorf(EUnauthorized, "the session has ended; sign in again")

// CheckSession returns the session a cookie's secret names and the
// principal it acts as: its user's, with the scopes of the user's role as
// it is now. A session idle for too long or past its absolute expiry is
// ended. EUnauthorized.
func (s *Service) CheckSession(ctx context.Context, secret string) (*Session, Principal, error) {
	if !strings.HasPrefix(secret, SessionPrefix) || len(secret) > 128 {
		return nil, Principal{}, errNoSession
	}
	sess, err := s.store.SessionByHash(ctx, HashToken(secret))
	if ErrorCodeOf(err) == ENotFound || (err == nil && !tokenMatches(secret, sess.Hash)) {
		return nil, Principal{}, errNoSession
	}
	if err != nil {
		return nil, Principal{}, err
	}
	now := s.now()
	l := s.sessionLimitsNow()
	if !now.Before(sess.ExpiresAt) || !now.Before(sess.LastSeenAt.Add(l.Idle)) || sess.User == nil {
		if err := s.store.DeleteSession(ctx, sess.TenantID, sess.ID); err != nil && ErrorCodeOf(err) != ENotFound {
			return nil, Principal{}, err
		}
		return nil, Principal{}, errNoSession
	}
	if now.Sub(sess.LastSeenAt) >= sessionTouchEvery {
		if err := s.store.TouchSession(ctx, sess.TenantID, sess.ID, now); err != nil && ErrorCodeOf(err) != ENotFound {
			return nil, Principal{}, err
		}
		sess.LastSeenAt = now
	}
	return sess, sessionPrincipal(sess), nil
}

// sessionPrincipal is the principal a session acts as: its user, whose id
// is recorded as the actor of every change.
func sessionPrincipal(sess *Session) Principal {
	return Principal{TenantID: sess.TenantID, TokenID: sess.ID, Actor: sess.UserID,
		Scopes: RoleScopes(sess.User.Role), Region: sess.TenantRegion, RateLimit: sess.TenantRateLimit}
}

// SignOut ends a session. Ending one that has ended is no error.
func (s *Service) SignOut(ctx context.Context, sess *Session) error {
	err := s.store.DeleteSession(ctx, sess.TenantID, sess.ID)
	if ErrorCodeOf(err) == ENotFound {
		return nil
	}
	return err
}

// ChangePassword changes the password of a session's own user, who must
// give the current one, and ends the user's other sessions.
// EInvalid (a wrong current password is reported on currentPassword).
func (s *Service) ChangePassword(ctx context.Context, sess *Session, current, next string) error {
	u, err := s.store.User(ctx, sess.TenantID, sess.UserID)
	if err != nil {
		return err
	}
	if !CheckPassword(u.PasswordHash, current) {
		return invalidField("currentPassword", "is not the current password")
	}
	in := &UserInput{Password: next, Set: map[string]bool{"password": true}}
	if err := in.apply(u); err != nil {
		return err
	}
	u.UpdatedAt = s.now()
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return err
	}
	_, err = s.store.DeleteUserSessions(ctx, sess.TenantID, sess.UserID, sess.ID)
	return err
}

// PruneSessions deletes the sessions that have ended by idleness or age.
func (s *Service) PruneSessions(ctx context.Context) (int, error) {
	l := s.sessionLimitsNow()
	now := s.now()
	return s.store.DeleteSessionsBefore(ctx, now.Add(-l.Idle), now)
}

// ActorNames returns the names to show for the actors of changes: a
// user's name (or email) for a user id of the caller's tenant; other
// actors (tokens' names, "system") are shown as they are. Any scope.
func (s *Service) ActorNames(ctx context.Context, p Principal, actors []string) (map[string]string, error) {
	out := map[string]string{}
	for _, a := range actors {
		if _, done := out[a]; done || !strings.HasPrefix(a, PrefixUser) {
			continue
		}
		u, err := s.store.User(ctx, p.TenantID, a)
		switch {
		case ErrorCodeOf(err) == ENotFound:
			out[a] = a
		case err != nil:
			return nil, err
		case u.Name != "":
			out[a] = u.Name
		default:
			out[a] = u.Email
		}
	}
	return out, nil
}
