package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/contactd/contactd"
)

// Failed sign-ins are limited per email and per client address: past
// the limit within the window, the form refuses to check a password
// until the oldest failure leaves the window. The counts are this node's
// own.
const (
	signInWindow      = 15 * time.Minute
	signInPerEmail    = 5
	signInPerAddress  = 20
	maxGuardedEntries = 100_000
)

// maxEmailLen is the longest email a sign-in looks up (RFC 5321's path).
const maxEmailLen = 320

// semaphore bounds how many of something run at once.
type semaphore chan struct{}

func (s semaphore) acquire(ctx context.Context) error {
	select {
	case s <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s semaphore) release() { <-s }

// maxHashing is how many sign-ins check a password at once.
const maxHashing = 4

type signInGuards struct {
	mu       sync.Mutex
	failures map[string][]time.Time
}

func newSignInGuards() *signInGuards { return &signInGuards{failures: map[string][]time.Time{}} }

// attempt reserves a try for the keys, counted as a failure until
// forgiven: it returns how long they must wait instead (0: the try may go
// ahead). Reserving before the password is checked keeps a burst of
// parallel tries within the limit.
func (g *signInGuards) attempt(now time.Time, keys map[string]int) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	var longest time.Duration
	for k, limit := range keys {
		fs := g.recent(k, now)
		if len(fs) >= limit {
			longest = max(longest, fs[len(fs)-limit].Add(signInWindow).Sub(now))
		}
	}
	if longest > 0 {
		return longest
	}
	if len(g.failures) >= maxGuardedEntries {
		for k := range g.failures {
			g.recent(k, now)
		}
		if len(g.failures) >= maxGuardedEntries {
			// Under a flood of distinct keys the form fails closed for
			// new ones rather than grow without bound.
			return time.Minute
		}
	}
	for k := range keys {
		g.failures[k] = append(g.recent(k, now), now)
	}
	return 0
}

// forgive takes back the try reserved at now: it succeeded. The email's
// earlier failures are forgotten too.
func (g *signInGuards) forgive(now time.Time, keys map[string]int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for k := range keys {
		if strings.HasPrefix(k, "email:") {
			delete(g.failures, k)
			continue
		}
		fs := g.failures[k]
		for i := len(fs) - 1; i >= 0; i-- {
			if fs[i].Equal(now) {
				g.failures[k] = append(fs[:i:i], fs[i+1:]...)
				break
			}
		}
	}
}

func (g *signInGuards) recent(k string, now time.Time) []time.Time {
	fs := g.failures[k]
	i := 0
	for i < len(fs) && now.Sub(fs[i]) >= signInWindow {
		i++
	}
	if i == len(fs) {
		delete(g.failures, k)
		return nil
	}
	fs = fs[i:]
	g.failures[k] = fs
	return fs
}

func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type signInData struct {
	Email, Next, Error, CSRF string
	Tenants                  []*contactd.Tenant
	Password                 string // kept only to choose a tenant
}

func randomToken() string {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// safeNext keeps a post-sign-in destination on this site: a path of its
// own, with no scheme, no host, and nothing (a backslash, a control
// character) a browser would read as the start of another site's address.
func safeNext(next string) string {
	const home = "/contacts"
	if strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' }) {
		return home
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") ||
		strings.HasPrefix(u.Path, "//") || strings.HasPrefix(next, "//") || strings.HasPrefix(u.Path, "/signin") {
		return home
	}
	return next
}

func (h *Handler) signInPage(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if _, _, err := h.svc.CheckSession(r.Context(), c.Value); err == nil {
			http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
			return
		}
	}
	h.showSignIn(w, r, http.StatusOK, signInData{Next: r.URL.Query().Get("next")})
}

// showSignIn renders the form with a fresh pre-session CSRF token.
func (h *Handler) showSignIn(w http.ResponseWriter, r *http.Request, status int, d signInData) {
	d.CSRF = randomToken()
	h.setCookie(w, r, preCSRFCookie, d.CSRF, time.Hour)
	h.render(w, r, nil, status, "signin", "Sign in", d)
}

func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	d := signInData{Email: strings.TrimSpace(r.PostFormValue("email")), Next: r.PostFormValue("next")}
	c, err := r.Cookie(preCSRFCookie)
	if err != nil || !h.csrfOK(r, c.Value) {
		d.Error = "This form has expired or was sent from another site. Try again."
		h.showSignIn(w, r, http.StatusForbidden, d)
		return
	}
	email := strings.ToLower(d.Email)
	if len(email) > maxEmailLen {
		email = email[:maxEmailLen] // no user has it; the key stays small
	}
	now := h.opt.Now()
	keys := map[string]int{"email:" + email: signInPerEmail, "addr:" + clientAddress(r): signInPerAddress}
	if wait := h.guards.attempt(now, keys); wait > 0 {
		d.Error = "Too many failed attempts. Try again in " + wait.Round(time.Minute).String() + "."
		if wait < time.Minute {
			d.Error = "Too many failed attempts. Try again in a minute."
		}
		w.Header().Set("Retry-After", itoa(int(wait.Seconds())+1))
		h.showSignIn(w, r, http.StatusTooManyRequests, d)
		return
	}
	// Each check of a password holds 64 MiB for a tenth of a second: a few
	// at a time, the others wait their turn.
	if err := h.hashing.acquire(r.Context()); err != nil {
		return
	}
	secret, sess, err := h.svc.SignIn(r.Context(), contactd.SignInRequest{Email: d.Email, Password: r.PostFormValue("password"),
		TenantID: r.PostFormValue("tenant")})
	h.hashing.release()
	var choose *contactd.ChooseTenantError
	switch {
	case errors.As(err, &choose):
		h.guards.forgive(now, keys)
		d.Tenants, d.Password = choose.Tenants, r.PostFormValue("password")
		h.showSignIn(w, r, http.StatusOK, d)
		return
	case contactd.ErrorCodeOf(err) == contactd.EUnauthorized:
		d.Error = "The email or the password is wrong."
		h.showSignIn(w, r, http.StatusUnauthorized, d)
		return
	case err != nil:
		h.guards.forgive(now, keys)
		h.log.Error("web sign-in", "err", err)
		d.Error = "Signing in failed; try again."
		h.showSignIn(w, r, http.StatusInternalServerError, d)
		return
	}
	h.guards.forgive(now, keys)
	// A session the browser held before is ended: the new one has a new
	// secret, never one the browser (or anyone who set its cookie) chose.
	if old, err := r.Cookie(sessionCookie); err == nil {
		if os, _, err := h.svc.CheckSession(r.Context(), old.Value); err == nil {
			_ = h.svc.SignOut(r.Context(), os)
		}
	}
	h.clearCookie(w, r, preCSRFCookie)
	h.setCookie(w, r, sessionCookie, secret, sess.ExpiresAt.Sub(now))
	h.log.Info("sign-in", "tenant", sess.TenantID, "user", sess.UserID)
	http.Redirect(w, r, safeNext(d.Next), http.StatusSeeOther)
}

func (h *Handler) signOut(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := h.svc.SignOut(r.Context(), v.sess); err != nil {
		h.failErr(w, r, v, err)
		return
	}
	h.clearCookie(w, r, sessionCookie)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

type accountData struct {
	Errors map[string]string
}

func (h *Handler) accountPage(w http.ResponseWriter, r *http.Request, v *visit) {
	h.render(w, r, v, http.StatusOK, "account", "Your account", accountData{})
}

func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request, v *visit) {
	next := r.PostFormValue("newPassword")
	if next != r.PostFormValue("confirmPassword") {
		h.render(w, r, v, http.StatusBadRequest, "account", "Your account",
			accountData{Errors: map[string]string{"confirmPassword": "does not match the new password"}})
		return
	}
	err := h.svc.ChangePassword(r.Context(), v.sess, r.PostFormValue("currentPassword"), next)
	if fe := fieldErrors(err, nil); fe != nil {
		if msg, ok := fe["password"]; ok {
			fe["newPassword"] = msg
		}
		h.render(w, r, v, http.StatusBadRequest, "account", "Your account", accountData{Errors: fe})
		return
	}
	if err != nil {
		h.failErr(w, r, v, err)
		return
	}
	back(w, r, "/account", "password-changed")
}

// fieldErrors returns the messages of an EInvalid or EConflict error by
// location (locations renamed by rename, when it has them), or nil.
func fieldErrors(err error, rename func(string) string) map[string]string {
	var e *contactd.Error
	if !errors.As(err, &e) || (e.Code != contactd.EInvalid && e.Code != contactd.EConflict) {
		return nil
	}
	out := map[string]string{}
	for _, f := range e.Fields {
		loc := strings.TrimPrefix(f.Location, "body.")
		if rename != nil {
			loc = rename(loc)
		}
		if _, dup := out[loc]; !dup {
			out[loc] = f.Message
		}
	}
	if len(out) == 0 {
		out[""] = e.Message
	}
	return out
}
