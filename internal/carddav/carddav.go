// Package carddav serves each tenant's contacts as one CardDAV address
// book (RFC 6352), for the address-book clients of phones, desktops and
// the command line. It is a transport like internal/httpapi: every read
// and write goes through the Service, so the API's rules, scopes, history,
// change feed and webhooks apply to cards unchanged.
//
// The address book of the token's tenant is /dav/addressbooks/contacts/;
// /.well-known/carddav leads there through the principal and the home set.
// A contact is the card <id>.vcf, rendered from its fields, or the name a
// client gave it when it wrote it. Sync reports (RFC 6578) are answered
// from the change log, with tokens that are change numbers.
package carddav

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/formats"
)

// The resources, under Prefix.
const (
	Prefix        = "/dav"
	principalPath = Prefix + "/principal/"
	homePath      = Prefix + "/addressbooks/"
	bookPath      = homePath + "contacts/"
	// WellKnown is RFC 6764's entry point.
	WellKnown = "/.well-known/carddav"
)

// Limiter applies the API's rate limits (httpapi.Server.Limiter).
type Limiter interface {
	Blocked(r *http.Request) (time.Duration, bool)
	Failed(r *http.Request)
	Allow(p contactd.Principal, h http.Header) (time.Duration, bool)
}

// Observer hears of each request, by resource kind (metrics; the API's
// Observer).
type Observer interface {
	Started(route string)
	Finished(route, method string, status int, d time.Duration)
}

// Options configure the handler; every field may be left out.
type Options struct {
	// Limiter applies rate limits to tokens and to failed sign-ins.
	Limiter Limiter
	// Timeout is the time budget of a request that is not a listing or a
	// report (default 10 s); those stream as long as the client reads.
	Timeout time.Duration
	// Observer hears of every request.
	Observer Observer
}

// Handler is the CardDAV server as an http.Handler, for WellKnown and
// everything under Prefix.
type Handler struct {
	svc  *contactd.Service
	log  *slog.Logger
	opts Options
}

// New returns the CardDAV handler of svc.
func New(svc *contactd.Service, log *slog.Logger, opts Options) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	return &Handler{svc: svc, log: log, opts: opts}
}

// routes name each kind of resource for the metrics.
var routes = map[kind]string{
	kindNone: "/dav (unmatched)", kindRoot: Prefix + "/", kindPrincipal: principalPath, kindHome: homePath,
	kindBook: bookPath, kindCard: bookPath + "{name}",
}

// Register mounts the handler on mux at WellKnown and Prefix, and for
// PROPFIND of the server's root, where clients given the server's address
// ask for the principal.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.Handle(Prefix+"/", h)
	mux.Handle(Prefix, h)
	mux.Handle(WellKnown, h)
	mux.Handle("PROPFIND /{$}", h)
}

// kind is what a path names.
type kind int

const (
	kindNone kind = iota
	kindRoot
	kindPrincipal
	kindHome
	kindBook
	kindCard
)

// resolvePath tells what a path names, and for a card its name.
func resolvePath(p string) (kind, string) {
	switch p {
	case "/", Prefix, Prefix + "/":
		return kindRoot, ""
	case principalPath, strings.TrimSuffix(principalPath, "/"):
		return kindPrincipal, ""
	case homePath, strings.TrimSuffix(homePath, "/"):
		return kindHome, ""
	case bookPath, strings.TrimSuffix(bookPath, "/"):
		return kindBook, ""
	}
	if name, ok := strings.CutPrefix(p, bookPath); ok && name != "" && !strings.Contains(name, "/") && printable(name) {
		return kindCard, name
	}
	return kindNone, ""
}

// printable reports a name no store could choke on: UTF-8 without
// control characters (NUL among them).
func printable(name string) bool {
	if !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// cardHref is the path of a card.
func cardHref(name string) string { return bookPath + url.PathEscape(name) }

// request is one request being answered.
type request struct {
	w    http.ResponseWriter
	r    *http.Request
	p    contactd.Principal
	kind kind
	name string
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	status := 0
	sw := &statusWriter{ResponseWriter: w}
	k, name := resolvePath(r.URL.Path)
	route := routes[k]
	if r.URL.Path == WellKnown || r.URL.Path == WellKnown+"/" {
		route = WellKnown
	}
	if o := h.opts.Observer; o != nil {
		o.Started(route)
		defer func() { o.Finished(route, r.Method, status, time.Since(start)) }()
	}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.log.Error("panic", "panic", v, "method", r.Method, "path", r.URL.Path)
			if sw.status == 0 {
				http.Error(sw, "internal error", http.StatusInternalServerError)
			}
		}
		status = sw.status
		if r.Context().Err() != nil && status == 0 {
			status = 499 // the client went away
		}
		h.log.Info("carddav", "method", r.Method, "path", r.URL.Path, "status", status,
			"duration_ms", float64(time.Since(start).Microseconds())/1000)
	}()
	w = sw
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if r.URL.Path == WellKnown || r.URL.Path == WellKnown+"/" {
		// RFC 6764 §5: the context path, with a 301 as that RFC lists and
		// as clients expect (TbSync, which Radicale's comments name, fails
		// on others); a client that turns the PROPFIND into a GET may also
		// PROPFIND the server's root, which is answered too.
		http.Redirect(w, r, Prefix+"/", http.StatusMovedPermanently)
		return
	}
	if k == kindNone {
		h.fail(w, r, contactd.Errorf(contactd.ENotFound, "no such resource: the address book is %s", bookPath))
		return
	}
	w.Header().Set("DAV", "1, 3, addressbook")
	if r.Method == http.MethodOptions {
		w.Header().Set("Allow", "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, REPORT")
		w.WriteHeader(http.StatusOK)
		return
	}
	p, ok := h.authenticate(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if !(r.Method == "PROPFIND" && k == kindBook) && r.Method != "REPORT" {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.opts.Timeout)
		defer cancel()
	}
	q := &request{w: w, r: r.WithContext(ctx), p: p, kind: k, name: name}
	var err error
	switch r.Method {
	case "PROPFIND":
		err = h.propfind(q)
	case "PROPPATCH":
		err = h.proppatch(q)
	case "REPORT":
		err = h.report(q)
	case http.MethodGet, http.MethodHead:
		err = h.get(q)
	case http.MethodPut:
		err = h.put(q)
	case http.MethodDelete:
		err = h.delete(q)
	case "MKCOL":
		err = &davError{status: http.StatusForbidden, message: "each tenant has one address book, " + bookPath + "; it cannot make another"}
	default:
		w.Header().Set("Allow", "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, REPORT")
		err = &davError{status: http.StatusMethodNotAllowed, message: r.Method + " is not supported here"}
	}
	if err != nil {
		h.fail(w, r, err)
	}
}

// statusWriter remembers the status of an answer, and whether one began.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// authenticate reads the token from HTTP Basic (any user name, the token
// as password) or Bearer, and applies the rate limits.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request) (contactd.Principal, bool) {
	secret := ""
	if _, pw, ok := r.BasicAuth(); ok {
		secret = pw
	} else if scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
		secret = strings.TrimSpace(tok)
	}
	challenge := func(msg string) {
		w.Header().Set("WWW-Authenticate", `Basic realm="contactd", charset="UTF-8"`)
		h.fail(w, r, &davError{status: http.StatusUnauthorized, message: msg})
	}
	// An address that keeps sending no valid token is slowed down; a
	// valid token from it is not (as the API does).
	refuse := func(msg string) {
		if lm := h.opts.Limiter; lm != nil {
			if wait, blocked := lm.Blocked(r); blocked {
				w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
				h.fail(w, r, &davError{status: http.StatusTooManyRequests, message: "too many requests without a valid token from this address; wait before trying again"})
				return
			}
			lm.Failed(r)
		}
		challenge(msg)
	}
	if secret == "" {
		refuse("sign in with any user name and an API token as the password")
		return contactd.Principal{}, false
	}
	p, err := h.svc.Authenticate(r.Context(), secret)
	if err != nil {
		if contactd.ErrorCodeOf(err) == contactd.EUnauthorized {
			refuse("the token is not valid: use an API token as the password")
		} else {
			h.fail(w, r, err)
		}
		return contactd.Principal{}, false
	}
	if h.opts.Limiter != nil {
		if wait, ok := h.opts.Limiter.Allow(p, w.Header()); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
			h.fail(w, r, &davError{status: http.StatusTooManyRequests, message: "this token is over its rate limit"})
			return contactd.Principal{}, false
		}
	}
	return p, true
}

// davError is an answer other than success: a status, the DAV
// precondition that failed (if one did), and a message for people.
type davError struct {
	status  int
	cond    xml.Name
	message string
}

func (e *davError) Error() string { return e.message }

// fail answers an error: a DAV error document with the message.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var de *davError
	if !errors.As(err, &de) {
		de = h.domainError(r, err)
	}
	if sw, ok := w.(*statusWriter); ok && sw.status != 0 {
		return // the answer has begun: nothing more can be said
	}
	body := errorXML(de.cond, de.message)
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(de.status)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

var (
	condValidData  = xml.Name{Space: nsCard, Local: "valid-address-data"}
	condMaxSize    = xml.Name{Space: nsCard, Local: "max-resource-size"}
	condSupported  = xml.Name{Space: nsCard, Local: "supported-address-data"}
	condSyncToken  = xml.Name{Space: nsDAV, Local: "valid-sync-token"}
	condPrivileges = xml.Name{Space: nsDAV, Local: "need-privileges"}
	condFilter     = xml.Name{Space: nsCard, Local: "supported-filter"}
	condUnique     = xml.Name{Space: nsOwn, Local: "unique-value"}
	condReport     = xml.Name{Space: nsDAV, Local: "supported-report"}
)

// domainError turns the Service's errors into DAV answers.
func (h *Handler) domainError(r *http.Request, err error) *davError {
	var e *contactd.Error
	if !errors.As(err, &e) {
		if r.Context().Err() != nil {
			return &davError{status: http.StatusServiceUnavailable, message: "the request took longer than its time budget"}
		}
		if contactd.IsUnavailable(err) {
			return &davError{status: http.StatusServiceUnavailable, message: "the database is unavailable; try again"}
		}
		h.log.Error("carddav", "err", err, "method", r.Method, "path", r.URL.Path)
		return &davError{status: http.StatusInternalServerError, message: "internal error"}
	}
	switch e.Code {
	case contactd.ENotFound:
		return &davError{status: http.StatusNotFound, message: e.Message}
	case contactd.EForbidden:
		return &davError{status: http.StatusForbidden, cond: condPrivileges, message: e.Message}
	case contactd.EUnauthorized:
		return &davError{status: http.StatusUnauthorized, message: e.Message}
	case contactd.EPreconditionFailed:
		return &davError{status: http.StatusPreconditionFailed, message: e.Message}
	case contactd.EConflict:
		return &davError{status: http.StatusConflict, cond: condUnique, message: cardMessage(e)}
	case contactd.EInvalid:
		return &davError{status: http.StatusForbidden, cond: condValidData, message: cardMessage(e)}
	case contactd.ECursorExpired:
		return &davError{status: http.StatusForbidden, cond: condSyncToken, message: "the sync token is unknown or expired; sync again without one"}
	}
	return &davError{status: http.StatusBadRequest, message: e.Message}
}

// cardMessage words a refused contact in the card's terms: each field
// error with the vCard property it came from.
func cardMessage(e *contactd.Error) string {
	if len(e.Fields) == 0 {
		return e.Message
	}
	var parts []string
	for _, f := range e.Fields {
		parts = append(parts, fmt.Sprintf("%s (%s): %s", propertyOf(f.Location), f.Location, f.Message))
	}
	return "the card was not stored: " + strings.Join(parts, "; ")
}

// propertyOf names the vCard property a contact field comes from.
func propertyOf(loc string) string {
	field, _, _ := strings.Cut(loc, "[")
	field, _, _ = strings.Cut(field, ".")
	switch field {
	case "phones", "phone":
		return "TEL"
	case "emails", "email":
		return "EMAIL"
	case "addresses":
		return "ADR"
	case "handles":
		return "URL/IMPP"
	case "tags":
		return "CATEGORIES"
	case "firstName", "lastName", "middleName", "suffix":
		return "N"
	case "displayName":
		return "FN"
	case "nickName":
		return "NICKNAME"
	case "company", "department":
		return "ORG"
	case "jobTitle":
		return "TITLE"
	case "birthday":
		return "BDAY"
	case "anniversary":
		return "ANNIVERSARY"
	case "notes":
		return "NOTE"
	case "locale":
		return "LANG"
	case "timezone":
		return "TZ"
	case "kind":
		return "KIND"
	case "externalId":
		return "X-CONTACTD-EXTERNAL-ID"
	case "properties":
		return "X-CONTACTD-PROPERTIES"
	case "body":
		return "FN, N, ORG, EMAIL or TEL"
	}
	return "the card"
}

// get answers GET and HEAD of a card.
func (h *Handler) get(q *request) error {
	if q.kind != kindCard {
		if q.kind == kindBook {
			return &davError{status: http.StatusMethodNotAllowed, message: "GET a card of the address book, or PROPFIND it to list them"}
		}
		q.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, err := io.WriteString(q.w, "contactd CardDAV: the address book is "+bookPath+"\n")
		return err
	}
	c, k, err := h.card(q)
	if err != nil {
		return err
	}
	etag := etagOf(c.Version)
	if noneMatch(q.r.Header.Get("If-None-Match"), etag) {
		q.w.Header().Set("ETag", etag)
		q.w.WriteHeader(http.StatusNotModified)
		return nil
	}
	version := negotiate(acceptVersion(q.r.Header.Get("Accept")), k)
	data, err := render(c, k, version, h.photos(q))
	if err != nil {
		return err
	}
	hd := q.w.Header()
	hd.Set("Content-Type", "text/vcard; charset=utf-8")
	hd.Set("Content-Length", strconv.Itoa(len(data)))
	hd.Set("ETag", etag)
	hd.Set("Last-Modified", c.UpdatedAt.UTC().Format(http.TimeFormat))
	hd.Set("Cache-Control", "private, no-cache")
	q.w.WriteHeader(http.StatusOK)
	if q.r.Method == http.MethodHead {
		return nil
	}
	_, err = q.w.Write(data)
	return err
}

// photos reads the image of a contact's photo, for a card that carries it.
func (h *Handler) photos(q *request) photoFunc {
	return func(c *contactd.Contact) (*contactd.PhotoData, error) {
		m, err := h.svc.PhotosOf(q.r.Context(), q.p, []*contactd.Contact{c})
		return m[c.ID], err
	}
}

// noPhoto leaves a card's image out (a query matches text, not images).
func noPhoto(*contactd.Contact) (*contactd.PhotoData, error) { return nil, nil }

// card reads the live contact at the request's card name.
func (h *Handler) card(q *request) (*contactd.Contact, *contactd.Card, error) {
	id, _, err := h.svc.ResolveCard(q.r.Context(), q.p, q.name)
	if err != nil {
		return nil, nil, err
	}
	cs, cards, err := h.svc.CardContacts(q.r.Context(), q.p, []string{id})
	if err != nil {
		return nil, nil, err
	}
	if cs[0] == nil {
		return nil, nil, contactd.Errorf(contactd.ENotFound, "no card %q", q.name)
	}
	return cs[0], cards[id], nil
}

func etagOf(version int64) string { return `"` + strconv.FormatInt(version, 10) + `"` }

// noneMatch reports whether an If-None-Match header matches etag.
func noneMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// precondition reads If-Match and If-None-Match: * of a write.
func precondition(r *http.Request) (contactd.Precondition, bool, error) {
	var pc contactd.Precondition
	if m := r.Header.Get("If-Match"); m != "" {
		for _, t := range strings.Split(m, ",") {
			t = strings.TrimSpace(t)
			if t == "*" {
				pc.Any = true
				continue
			}
			pc.ETags = append(pc.ETags, t)
		}
	}
	none := false
	if n := strings.TrimSpace(r.Header.Get("If-None-Match")); n != "" {
		if n != "*" {
			return pc, false, &davError{status: http.StatusBadRequest, message: "a write takes If-None-Match: * only"}
		}
		none = true
	}
	return pc, none, nil
}

// put stores a card.
func (h *Handler) put(q *request) error {
	if q.kind != kindCard {
		return &davError{status: http.StatusMethodNotAllowed, message: "PUT a card at " + bookPath + "<name>.vcf"}
	}
	if !q.p.Has(contactd.ScopeWrite) {
		return contactd.Errorf(contactd.EForbidden, "writing cards needs the %s scope", contactd.ScopeWrite)
	}
	ct, _, _ := strings.Cut(q.r.Header.Get("Content-Type"), ";")
	if ct = strings.TrimSpace(strings.ToLower(ct)); ct != "" && ct != "text/vcard" && ct != "text/x-vcard" && ct != "text/directory" {
		return &davError{status: http.StatusUnsupportedMediaType, cond: condSupported, message: "a card is text/vcard (3.0 or 4.0), not " + ct}
	}
	pc, none, err := precondition(q.r)
	if err != nil {
		return err
	}
	data, err := io.ReadAll(http.MaxBytesReader(nil, q.r.Body, contactd.MaxCardBytes+1))
	if err != nil || len(data) > contactd.MaxCardBytes {
		return &davError{status: http.StatusForbidden, cond: condMaxSize, message: fmt.Sprintf("a card is at most %d bytes", contactd.MaxCardBytes)}
	}
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return &davError{status: http.StatusForbidden, cond: condValidData, message: "a card is UTF-8 text, without NUL characters"}
	}
	in, fields, err := formats.ReadCard(data)
	if err != nil {
		return &davError{status: http.StatusForbidden, cond: condValidData, message: "the card could not be read: " + err.Error()}
	}
	c, created, err := h.svc.PutCard(q.r.Context(), q.p, contactd.PutCardRequest{Name: q.name, Input: in, Fields: fields, Data: data,
		IfMatch: pc, IfNoneMatch: none})
	if err != nil {
		return err
	}
	q.w.Header().Set("ETag", etagOf(c.Version))
	if created {
		q.w.Header().Set("Location", cardHref(q.name))
		q.w.WriteHeader(http.StatusCreated)
	} else {
		q.w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// delete soft-deletes a card's contact (the API restores it).
func (h *Handler) delete(q *request) error {
	if q.kind != kindCard {
		return &davError{status: http.StatusForbidden, message: "only cards can be deleted; the address book stays"}
	}
	if !q.p.Has(contactd.ScopeDelete) {
		return contactd.Errorf(contactd.EForbidden, "deleting cards needs the %s scope", contactd.ScopeDelete)
	}
	pc, _, err := precondition(q.r)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteCard(q.r.Context(), q.p, q.name, pc); err != nil {
		return err
	}
	q.w.WriteHeader(http.StatusNoContent)
	return nil
}

// proppatch refuses every change: the address book's properties are the
// server's.
func (h *Handler) proppatch(q *request) error {
	var req struct {
		Set []struct {
			Prop propList `xml:"DAV: prop"`
		} `xml:"DAV: set"`
		Remove []struct {
			Prop propList `xml:"DAV: prop"`
		} `xml:"DAV: remove"`
	}
	if err := decodeBody(q.r, &req); err != nil {
		return &davError{status: http.StatusBadRequest, message: "the PROPPATCH body is not a propertyupdate: " + err.Error()}
	}
	var names []xml.Name
	for _, s := range req.Set {
		for _, n := range s.Prop.Names {
			names = append(names, n.XMLName)
		}
	}
	for _, s := range req.Remove {
		for _, n := range s.Prop.Names {
			names = append(names, n.XMLName)
		}
	}
	m := newMultistatus(q.w)
	m.s("\n<d:response><d:href>" + escape(q.r.URL.Path) + "</d:href><d:propstat><d:prop>")
	for _, n := range names {
		m.s(elementXML(n, ""))
	}
	m.s("</d:prop><d:status>HTTP/1.1 403 Forbidden</d:status></d:propstat></d:response>")
	return m.close("")
}

// syncToken is the token of the tenant's change log at seq.
func syncToken(p contactd.Principal, seq int64) string {
	return "urn:contactd:sync:" + base64.RawURLEncoding.EncodeToString([]byte(p.TenantID)) + ":" + strconv.FormatInt(seq, 10)
}

// parseSyncToken reads a token of the tenant; ok is false for another's
// or one that is not a token.
func parseSyncToken(p contactd.Principal, token string) (int64, bool) {
	rest, ok := strings.CutPrefix(token, "urn:contactd:sync:")
	if !ok {
		return 0, false
	}
	tenant, seq, ok := strings.Cut(rest, ":")
	t, err := base64.RawURLEncoding.DecodeString(tenant)
	if !ok || err != nil || string(t) != p.TenantID {
		return 0, false
	}
	n, err := strconv.ParseInt(seq, 10, 64)
	return n, err == nil && n >= 0
}
