// Package web serves the web address book: server-rendered pages for the
// people of a tenant, who sign in with an email and a password. Pages call
// the Service as the signed-in user (the scopes of the user's role); the
// few things a page does from JavaScript (an import's upload and progress,
// an export's download) go to the REST API, forwarded here with the
// session's principal. Every form carries the session's CSRF token.
package web

import (
	"bytes"
	"context"
	"crypto/subtle"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/httpapi"
)

//go:embed templates static
var assets embed.FS

// Cookie names.
const (
	sessionCookie = "contactd_session"
	// preCSRFCookie carries the sign-in form's CSRF token, before there
	// is a session (a double-submitted cookie).
	preCSRFCookie = "contactd_signin"
)

// Options configure the address book.
type Options struct {
	// Secure marks cookies Secure even when a request did not arrive over
	// TLS here (a TLS-terminating proxy in front).
	Secure bool
	// Now is the clock (tests); time.Now by default.
	Now func() time.Time
}

// Handler is the web address book as an http.Handler.
type Handler struct {
	svc    *contactd.Service
	api    http.Handler
	log    *slog.Logger
	opt    Options
	mux    *http.ServeMux
	pages  map[string]*template.Template
	guards *signInGuards
	// hashing bounds the sign-ins checking a password at once.
	hashing semaphore
}

// New returns the address book over svc; api is the REST API, to which
// the pages' scripts' requests under /app/api/ are forwarded.
func New(svc *contactd.Service, api http.Handler, log *slog.Logger, opt Options) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	h := &Handler{svc: svc, api: api, log: log, opt: opt, mux: http.NewServeMux(), guards: newSignInGuards(), hashing: make(semaphore, maxHashing)}
	h.pages = parsePages()
	h.routes()
	return h
}

// Paths the address book serves; the server gives the rest (the API,
// CardDAV, metrics) their own handlers.
var Paths = []string{"/{$}", "/signin", "/signout", "/account", "/account/", "/contacts", "/contacts/", "/duplicates", "/duplicates/",
	"/import", "/import/", "/imports/", "/export", "/export/", "/admin/", "/static/", "/app/api/"}

// Register adds the address book's paths to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	for _, p := range Paths {
		mux.Handle(p, h)
	}
}

func (h *Handler) routes() {
	m := h.mux
	static, _ := fs.Sub(assets, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	m.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	}))
	m.HandleFunc("GET /{$}", h.signedIn(contactd.ScopeRead, func(w http.ResponseWriter, r *http.Request, _ *visit) {
		http.Redirect(w, r, "/contacts", http.StatusSeeOther)
	}))
	m.HandleFunc("GET /signin", h.signInPage)
	m.HandleFunc("POST /signin", h.signIn)
	m.HandleFunc("POST /signout", h.signedIn("", h.signOut))
	m.HandleFunc("GET /account", h.signedIn("", h.accountPage))
	m.HandleFunc("POST /account/password", h.signedIn("", h.changePassword))

	m.HandleFunc("GET /contacts", h.signedIn(contactd.ScopeRead, h.contactsPage))
	m.HandleFunc("GET /contacts/new", h.signedIn(contactd.ScopeWrite, h.newContactPage))
	m.HandleFunc("POST /contacts", h.signedIn(contactd.ScopeWrite, h.createContact))
	m.HandleFunc("GET /contacts/{id}", h.signedIn(contactd.ScopeRead, h.contactPage))
	m.HandleFunc("GET /contacts/{id}/edit", h.signedIn(contactd.ScopeWrite, h.editContactPage))
	m.HandleFunc("POST /contacts/{id}", h.signedIn(contactd.ScopeWrite, h.saveContact))
	m.HandleFunc("GET /contacts/{id}/photo", h.signedIn(contactd.ScopeRead, h.contactPhoto))
	m.HandleFunc("POST /contacts/{id}/block", h.signedIn(contactd.ScopeWrite, h.blockContact))
	m.HandleFunc("POST /contacts/{id}/unblock", h.signedIn(contactd.ScopeWrite, h.unblockContact))
	m.HandleFunc("POST /contacts/{id}/delete", h.signedIn(contactd.ScopeDelete, h.deleteContact))
	m.HandleFunc("POST /contacts/{id}/restore", h.signedIn(contactd.ScopeDelete, h.restoreContact))
	m.HandleFunc("POST /contacts/{id}/segments/{op}", h.signedIn(contactd.ScopeWrite, h.segmentMembership))
	m.HandleFunc("POST /contacts/{id}/unmerge", h.signedIn(contactd.ScopeAdmin, h.unmergeContact))

	m.HandleFunc("GET /duplicates", h.signedIn(contactd.ScopeRead, h.duplicatesPage))
	m.HandleFunc("GET /duplicates/merge", h.signedIn(contactd.ScopeAdmin, h.mergePage))
	m.HandleFunc("POST /duplicates/merge", h.signedIn(contactd.ScopeAdmin, h.merge))
	m.HandleFunc("POST /duplicates/dismiss", h.signedIn(contactd.ScopeWrite, h.dismiss))

	m.HandleFunc("GET /import", h.signedIn(contactd.ScopeAdmin, h.importPage))
	m.HandleFunc("POST /import/detect", h.signedIn(contactd.ScopeAdmin, h.detectImport))
	m.HandleFunc("GET /imports/{id}", h.signedIn(contactd.ScopeAdmin, h.importJobPage))
	m.HandleFunc("GET /export", h.signedIn(contactd.ScopeRead, h.exportPage))
	m.HandleFunc("GET /export/download", h.signedIn(contactd.ScopeRead, h.exportDownload))

	m.HandleFunc("GET /admin/users", h.signedIn(contactd.ScopeAdmin, h.usersPage))
	m.HandleFunc("POST /admin/users", h.signedIn(contactd.ScopeAdmin, h.createUser))
	m.HandleFunc("POST /admin/users/{id}", h.signedIn(contactd.ScopeAdmin, h.updateUser))
	m.HandleFunc("POST /admin/users/{id}/delete", h.signedIn(contactd.ScopeAdmin, h.deleteUser))
	m.HandleFunc("GET /admin/tokens", h.signedIn(contactd.ScopeAdmin, h.tokensPage))
	m.HandleFunc("POST /admin/tokens", h.signedIn(contactd.ScopeAdmin, h.createToken))
	m.HandleFunc("POST /admin/tokens/{id}/revoke", h.signedIn(contactd.ScopeAdmin, h.revokeToken))
	m.HandleFunc("GET /admin/webhooks", h.signedIn(contactd.ScopeAdmin, h.webhooksPage))
	m.HandleFunc("POST /admin/webhooks", h.signedIn(contactd.ScopeAdmin, h.createWebhook))
	m.HandleFunc("GET /admin/webhooks/{id}", h.signedIn(contactd.ScopeAdmin, h.webhookPage))
	m.HandleFunc("POST /admin/webhooks/{id}/test", h.signedIn(contactd.ScopeAdmin, h.testWebhook))
	m.HandleFunc("POST /admin/webhooks/{id}/delete", h.signedIn(contactd.ScopeAdmin, h.deleteWebhook))
	m.HandleFunc("GET /admin/settings", h.signedIn(contactd.ScopeAdmin, h.settingsPage))
	m.HandleFunc("POST /admin/settings", h.signedIn(contactd.ScopeAdmin, h.saveSettings))

	m.HandleFunc("/app/api/", h.signedIn("", h.forward))
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	// Pages run only their own scripts and styles, are never framed, and
	// post forms only here.
	hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("X-Frame-Options", "DENY")
	if !strings.HasPrefix(r.URL.Path, "/static/") {
		hd.Set("Cache-Control", "no-store")
	}
	if _, pattern := h.mux.Handler(r); pattern == "" {
		h.fail(w, r, nil, http.StatusNotFound, "There is no such page.")
		return
	}
	h.mux.ServeHTTP(w, r)
}

// visit is one request of a signed-in user.
type visit struct {
	sess *contactd.Session
	p    contactd.Principal
}

func (v *visit) can(s contactd.Scope) bool { return v != nil && v.p.Has(s) }

// signedIn wraps a page that needs a session (and scope, unless ""): no
// session sends the browser to sign in; a form without the session's CSRF
// token is refused.
func (h *Handler) signedIn(scope contactd.Scope, page func(http.ResponseWriter, *http.Request, *visit)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		if err != nil {
			h.toSignIn(w, r)
			return
		}
		sess, p, err := h.svc.CheckSession(r.Context(), c.Value)
		if err != nil {
			if contactd.ErrorCodeOf(err) == contactd.EUnauthorized {
				h.clearCookie(w, r, sessionCookie)
				h.toSignIn(w, r)
				return
			}
			h.fail(w, r, nil, http.StatusInternalServerError, "Something went wrong; try again.")
			h.log.Error("web session", "err", err)
			return
		}
		v := &visit{sess: sess, p: p}
		if unsafeMethod(r.Method) && !h.csrfOK(r, sess.CSRF) {
			h.fail(w, r, v, http.StatusForbidden, "This form has expired or was sent from another site. Go back, reload the page and try again.")
			return
		}
		if scope != "" && !p.Has(scope) {
			h.fail(w, r, v, http.StatusForbidden, "Your role ("+sess.User.Role+") does not allow this.")
			return
		}
		page(w, r, v)
	}
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// csrfOK checks a state-changing request: it must come from this site (its
// Origin, when the browser sends one) and carry the token, in the form's
// csrf field or the X-CSRF-Token header.
func (h *Handler) csrfOK(r *http.Request, want string) bool {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
			_ = r.ParseMultipartForm(1 << 20)
		}
		got = r.PostFormValue("csrf")
	}
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

func (h *Handler) toSignIn(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/app/api/") || r.Header.Get("X-Requested-With") != "" {
		http.Error(w, "sign in first", http.StatusUnauthorized)
		return
	}
	next := ""
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		next = "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, "/signin"+next, http.StatusSeeOther)
}

func (h *Handler) secure(r *http.Request) bool { return h.opt.Secure || r.TLS != nil }

func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: h.secure(r), MaxAge: int(maxAge.Seconds())})
}

func (h *Handler) clearCookie(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: h.secure(r), MaxAge: -1})
}

// forward serves a page script's API request as the signed-in user:
// /app/api/v1/… is the API's /v1/…. State-changing requests carry the
// CSRF token in X-CSRF-Token (checked by signedIn).
func (h *Handler) forward(w http.ResponseWriter, r *http.Request, v *visit) {
	rest := strings.TrimPrefix(r.URL.Path, "/app/api")
	if !strings.HasPrefix(rest, "/v1/") {
		http.NotFound(w, r)
		return
	}
	r2 := r.Clone(httpapi.WithPrincipal(r.Context(), v.p))
	r2.URL.Path = rest
	r2.URL.RawPath = strings.TrimPrefix(r.URL.RawPath, "/app/api")
	r2.RequestURI = ""
	r2.Header.Del("Authorization")
	h.api.ServeHTTP(w, r2)
}

// page is what every template sees.
type page struct {
	Title   string
	User    *contactd.User
	CSRF    string
	Nav     string
	Flash   string
	Admin   bool
	Editor  bool
	Deleter bool
	Data    any
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, v *visit, status int, name, title string, data any) {
	t, ok := h.pages[name]
	if !ok {
		panic("web: no page " + name)
	}
	pg := page{Title: title, Data: data, Nav: navOf(r.URL.Path), Flash: flashes[r.URL.Query().Get("done")]}
	if v != nil {
		pg.User, pg.CSRF = v.sess.User, v.sess.CSRF
		pg.Admin, pg.Editor, pg.Deleter = v.can(contactd.ScopeAdmin), v.can(contactd.ScopeWrite), v.can(contactd.ScopeDelete)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", pg); err != nil {
		h.log.Error("web render", "page", name, "err", err)
		http.Error(w, "the page could not be shown", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func navOf(path string) string {
	for _, p := range []string{"contacts", "duplicates", "import", "export", "admin/users", "admin/tokens", "admin/webhooks", "admin/settings", "account"} {
		if strings.HasPrefix(path, "/"+p) {
			return p
		}
	}
	if strings.HasPrefix(path, "/imports") {
		return "import"
	}
	return ""
}

// fail shows an error page.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, v *visit, status int, msg string) {
	h.render(w, r, v, status, "error", http.StatusText(status), msg)
}

// failErr shows the error a Service call returned.
func (h *Handler) failErr(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	var e *contactd.Error
	if errors.As(err, &e) {
		switch e.Code {
		case contactd.ENotFound:
			h.fail(w, r, v, http.StatusNotFound, e.Message)
			return
		case contactd.EForbidden:
			h.fail(w, r, v, http.StatusForbidden, e.Message)
			return
		case contactd.EInvalid, contactd.EConflict, contactd.EPreconditionFailed:
			h.fail(w, r, v, http.StatusBadRequest, e.Message)
			return
		}
	}
	if errors.Is(err, context.Canceled) {
		return
	}
	h.log.Error("web", "path", r.URL.Path, "err", err)
	h.fail(w, r, v, http.StatusInternalServerError, "Something went wrong; try again.")
}

// flashes are the messages a page shows after a form, by the code in its
// address (?done=): only these, so that a link cannot put words of its
// own on the page.
var flashes = map[string]string{
	"created": "Contact created.", "saved": "Saved.", "blocked": "Blocked.", "unblocked": "Unblocked.",
	"deleted": "Deleted. It can be restored.", "restored": "Restored.",
	"merged":       "Merged: the other contacts are deleted, marked as merged into this one.",
	"unmerged":     "The merge was undone: its contacts are back as they were.",
	"dismissed":    "Marked as not duplicates: they will not be offered again.",
	"user-created": "User created.", "user-saved": "User saved.", "user-deleted": "User deleted; its tokens are revoked and its sessions ended.",
	"token-revoked": "Token revoked.", "webhook-tested": "Test event sent: its delivery is listed below.",
	"webhook-deleted": "Webhook deleted.", "settings-saved": "Settings saved.",
	"segment-added": "Added to the segment.", "segment-removed": "Taken out of the segment.",
	"password-changed": "Your password was changed; your other sessions have ended.",
}

// back redirects to a page after a form, with the code of a message to
// show (see flashes).
func back(w http.ResponseWriter, r *http.Request, to, done string) {
	if done != "" {
		sep := "?"
		if strings.Contains(to, "?") {
			sep = "&"
		}
		to += sep + "done=" + url.QueryEscape(done)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
