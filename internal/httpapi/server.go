// Package httpapi serves contactd's REST API: the route table, handlers,
// middleware, problem+json errors and the OpenAPI document generated from
// the same route table.
package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/contactd/contactd"
)

// statusClientClosed is logged for a request whose client went away
// before it was answered (nginx's 499).
const statusClientClosed = 499

// MaxBodyBytes is the default limit of a request body.
const MaxBodyBytes = 1 << 20

// Config configures the API handler.
type Config struct {
	// MaxBodyBytes limits request bodies (default 1 MiB).
	MaxBodyBytes int64
	// MaxImportBytes limits an imported file (default 1 GiB), which is
	// kept in ImportDir (default the system's temporary directory) while
	// its job runs.
	MaxImportBytes int64
	ImportDir      string
	// Version is reported in the OpenAPI document.
	Version string
	// RequestTimeout is the time budget of a request (default 10 s): past
	// it, its queries are cancelled and it is answered 503. The export,
	// the import upload and the change feed's long poll are bounded their
	// own ways instead.
	RequestTimeout time.Duration
	// RateLimit is the requests per second each token may make (its
	// burst is twice that), which a tenant's rateLimit may lower; 0 for no
	// limit.
	RateLimit int
	// TokenConcurrency is how many lists, searches and exports a token may
	// have in flight at once; 0 for no limit.
	TokenConcurrency int
	// Observer, when set, hears of every request (metrics).
	Observer Observer
}

// Observer hears of each request: when it starts and how it ended, by
// route template (never the raw path, whose ids would be unbounded).
type Observer interface {
	Started(route string)
	Finished(route, method string, status int, d time.Duration)
}

// RunningImports is how many import jobs this server runs now.
func (s *Server) RunningImports() int { return int(s.jobs.running.Load()) }

// DefaultRequestTimeout is the default time budget of a request.
const DefaultRequestTimeout = 10 * time.Second

// errOverBudget is the cause of a request context that ran out of time.
var errOverBudget = errors.New("over the request's time budget")

// Server is the REST API as an http.Handler.
type Server struct {
	svc    *contactd.Service
	log    *slog.Logger
	cfg    Config
	router chi.Router
	routes []route
	doc    []byte
	jobs   importJobs
	limits *rateLimits
}

// New returns the API handler for svc.
func New(svc *contactd.Service, log *slog.Logger, cfg Config) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = MaxBodyBytes
	}
	if cfg.Version == "" {
		cfg.Version = "dev"
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxImportBytes <= 0 {
		cfg.MaxImportBytes = MaxImportBytes
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	s := &Server{svc: svc, log: log, cfg: cfg, limits: newRateLimits(max(0, cfg.RateLimit), max(0, cfg.TokenConcurrency))}
	s.jobs.ctx, s.jobs.cancel = context.WithCancel(context.Background())
	s.routes = s.routeTable()
	doc, err := json.MarshalIndent(buildOpenAPI(s.routes, cfg.Version), "", "  ")
	if err != nil {
		panic(err) // the document is built from static Go types
	}
	s.doc = doc
	r := chi.NewRouter()
	for _, rt := range s.routes {
		r.Method(rt.Method, rt.Path, s.handle(rt))
	}
	r.NotFound(s.handle(route{Path: "(unmatched)", serve: func(*call) (*reply, error) {
		return nil, errStatus(http.StatusNotFound, "not_found", "no such endpoint; see /openapi.json")
	}}).ServeHTTP)
	notAllowed := s.handle(route{Path: "(unmatched)", serve: func(*call) (*reply, error) {
		return nil, errStatus(http.StatusMethodNotAllowed, "method_not_allowed", "this endpoint does not support the method; see /openapi.json")
	}})
	r.MethodNotAllowed(func(w http.ResponseWriter, req *http.Request) {
		// RFC 9110 §15.5.6: a 405 lists the methods the resource supports.
		path := req.URL.RawPath
		if path == "" {
			path = req.URL.Path
		}
		var allow []string
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			if r.Match(chi.NewRouteContext(), m, path) {
				allow = append(allow, m)
			}
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		notAllowed.ServeHTTP(w, req)
	})
	s.router = r
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.router.ServeHTTP(w, r) }

// OpenAPI returns the served OpenAPI document.
func (s *Server) OpenAPI() []byte { return s.doc }

// call is one request as a handler sees it.
type call struct {
	rt        *route
	w         http.ResponseWriter
	r         *http.Request
	p         contactd.Principal
	body      []byte
	requestID string
	// expensive is set while the call holds one of its token's places for
	// expensive requests.
	expensive bool
}

func (c *call) path(name string) string { return chi.URLParam(c.r, name) }

// reply is what a handler answers; the server renders it.
type reply struct {
	status      int
	body        any
	raw         []byte // pre-rendered body with contentType
	contentType string
	etag        string
	location    string
	// stream writes a body of contentType that is produced as it is sent.
	// An error it returns after the status line is out cannot be a
	// problem document: the connection is cut, so that the client sees a
	// truncated body, never a short one that looks whole.
	stream func(w io.Writer) error
}

// handle wraps a route's handler with the request pipeline: request id,
// logging, panic recovery, authentication, body reading, idempotency and
// rendering.
func (s *Server) handle(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		c := &call{rt: &rt, w: w, r: r, requestID: requestID(r)}
		h := w.Header()
		h.Set("X-Request-Id", c.requestID)
		// What a browser must not do with an answer: sniff another type,
		// frame it, run anything in it, leak the URL onwards. Answers to a
		// token are the token holder's: caches keep them for it alone and
		// revalidate them (ETag) before each use.
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		if rt.Scope != "" {
			h.Set("Cache-Control", "private, no-cache")
		}
		status := 0
		if o := s.cfg.Observer; o != nil {
			o.Started(rt.Path)
			defer func() { o.Finished(rt.Path, r.Method, status, time.Since(start)) }()
		}
		defer func() {
			if c.expensive {
				s.limits.leave(c.p.TokenID)
			}
		}()
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "request_id", c.requestID, "panic", v)
				status = s.writeError(c, errors.New("panic"))
			}
			s.log.Info("request", "request_id", c.requestID, "method", r.Method, "route", rt.Path,
				"status", status, "duration_ms", float64(time.Since(start).Microseconds())/1000, "tenant", c.p.TenantID)
		}()
		if rt.Scope != "" && !rt.Long {
			ctx, cancel := context.WithTimeoutCause(r.Context(), s.cfg.RequestTimeout, errOverBudget)
			defer cancel()
			c.r = r.WithContext(ctx)
		}
		rep, err := s.run(c, rt)
		switch {
		case err == nil:
			status = s.write(c, rep)
		case r.Context().Err() != nil:
			// The client went away: nobody reads an answer, and it is not
			// the server's failure (499, as proxies log it).
			status = statusClientClosed
			s.log.Info("client closed request", "request_id", c.requestID, "route", rt.Path, "err", err)
		case context.Cause(c.r.Context()) == errOverBudget:
			status = s.writeError(c, errStatus(http.StatusServiceUnavailable, "timeout",
				"the request took longer than its time budget of "+s.cfg.RequestTimeout.String()+
					" and was stopped; narrow the filter or the search, or ask for a smaller page"))
		default:
			status = s.writeError(c, err)
		}
	})
}

func (s *Server) run(c *call, rt route) (*reply, error) {
	if rt.Scope != "" {
		now := time.Now()
		p, err := s.authenticate(c.r, rt.BasicAuth)
		if err != nil {
			if problemFor(err, "").Status == http.StatusUnauthorized && s.limits.perToken > 0 {
				// An address that keeps sending no valid token is slowed
				// down; a valid token from it is not.
				addr := clientAddr(c.r)
				if wait, blocked := s.limits.blocked(addr, now); blocked {
					return nil, tooMany(c.w.Header(), wait, "too many requests without a valid token from this address; wait before trying again")
				}
				s.limits.failed(addr, now)
			}
			return nil, err
		}
		c.p = p
		if v, limited := s.limits.token(p, now); limited {
			v.setHeaders(c.w.Header())
			if !v.ok {
				return nil, tooMany(c.w.Header(), v.retryAfter, "this token is over its rate of "+strconv.Itoa(s.limits.rateFor(p))+" requests per second")
			}
		}
		// The scope is checked before the body, query and headers are
		// looked at, so a token without it learns nothing and reserves no
		// Idempotency-Key; the Service checks it again.
		if !p.Has(rt.Scope) {
			return nil, contactd.Errorf(contactd.EForbidden, "this operation needs the %s scope", rt.Scope)
		}
		if rt.Expensive {
			if !s.limits.enter(p.TokenID) {
				return nil, tooMany(c.w.Header(), time.Second, "this token already has "+strconv.Itoa(s.limits.concurrency)+
					" lists, searches or exports in flight; wait for one to finish")
			}
			c.expensive = true
		}
	}
	if err := checkRequest(c.r, rt); err != nil {
		return nil, err
	}
	if rt.Body != nil {
		if err := s.readBody(c, rt.OptionalBody); err != nil {
			return nil, err
		}
	}
	key := c.r.Header.Get("Idempotency-Key")
	if c.r.Method != http.MethodPost || key == "" || rt.Scope == "" || rt.Upload {
		return rt.serve(c)
	}
	return s.idempotent(c, rt, key)
}

// idempotent answers a POST with an Idempotency-Key: a retry of the same
// request replays the first response.
func (s *Server) idempotent(c *call, rt route, key string) (*reply, error) {
	h := sha256.New()
	h.Write([]byte(c.r.Method + " " + c.r.URL.RequestURI() + "\n"))
	h.Write(c.body)
	hash := h.Sum(nil)
	ctx := c.r.Context()
	stored, err := s.svc.BeginIdempotent(ctx, c.p, key, hash)
	if err != nil {
		return nil, err
	}
	if stored != nil {
		c.w.Header().Set("Idempotent-Replayed", "true")
		return &reply{status: stored.Status, raw: stored.Body, contentType: stored.Headers["Content-Type"],
			etag: stored.Headers["ETag"], location: stored.Headers["Location"]}, nil
	}
	rep, err := rt.serve(c)
	// The outcome is recorded even if the client has gone away.
	ctx = context.WithoutCancel(ctx)
	if err != nil {
		if contactd.ErrorCodeOf(err) == contactd.EInternal {
			if aerr := s.svc.AbortIdempotent(ctx, c.p, key); aerr != nil {
				s.log.Error("idempotency abort", "request_id", c.requestID, "err", aerr)
			}
			return nil, err
		}
		p := problemFor(err, c.requestID)
		rep = &reply{status: p.Status, body: p, contentType: "application/problem+json"}
		err = nil
	}
	if err := s.render(rep); err != nil {
		return nil, err
	}
	resp := &contactd.StoredResponse{Status: rep.status, Body: rep.raw, Headers: map[string]string{
		"Content-Type": rep.contentType, "ETag": rep.etag, "Location": rep.location}}
	if ferr := s.svc.FinishIdempotent(ctx, c.p, key, hash, resp); ferr != nil {
		s.log.Error("idempotency finish", "request_id", c.requestID, "err", ferr)
	}
	return rep, nil
}

// principalKey carries a principal that an in-process caller has already
// authenticated (WithPrincipal).
type principalKey struct{}

// WithPrincipal returns a context under which the API serves a request as
// p, without looking at its Authorization header: the web address book
// forwards its signed-in user's requests this way. Only code in this
// process can set it; nothing in a request can.
func WithPrincipal(ctx context.Context, p contactd.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

func (s *Server) authenticate(r *http.Request, basic bool) (contactd.Principal, error) {
	if p, ok := r.Context().Value(principalKey{}).(contactd.Principal); ok {
		return p, nil
	}
	if _, password, ok := r.BasicAuth(); ok && basic {
		return s.svc.Authenticate(r.Context(), password)
	}
	h := r.Header.Get("Authorization")
	scheme, secret, ok := strings.Cut(h, " ")
	if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") {
		return contactd.Principal{}, errStatus(http.StatusUnauthorized, "unauthorized", "send a token as Authorization: Bearer <token>")
	}
	return s.svc.Authenticate(r.Context(), strings.TrimSpace(secret))
}

// readBody reads a JSON request body within the size limit.
func (s *Server) readBody(c *call, optional bool) error {
	if ct := c.r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && mt != "application/merge-patch+json" && !strings.HasSuffix(mt, "+json")) {
			return errStatus(http.StatusUnsupportedMediaType, "unsupported_media_type",
				"the body must be JSON (Content-Type: application/json)",
				contactd.FieldError{Location: "header.Content-Type", Message: "must be application/json", Value: ct})
		}
	}
	var buf bytes.Buffer
	_, err := buf.ReadFrom(http.MaxBytesReader(c.w, c.r.Body, s.cfg.MaxBodyBytes))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errStatus(http.StatusRequestEntityTooLarge, "too_large", "the body is larger than the limit of "+itoa(int(mbe.Limit))+" bytes")
	}
	if err != nil {
		return errStatus(http.StatusBadRequest, "bad_body", "the body could not be read")
	}
	c.body = buf.Bytes()
	if len(bytes.TrimSpace(c.body)) == 0 {
		if optional {
			c.body = nil
			return nil
		}
		return errStatus(http.StatusBadRequest, "invalid", "body: a JSON body is required",
			contactd.FieldError{Location: "body", Message: "a JSON body is required"})
	}
	// One rule for both stores, at the edge: what cannot be kept exactly
	// as sent (bad UTF-8, U+0000, a repeated key, 1e999) is refused here.
	return contactd.CheckJSON(c.body)
}

// checkRequest refuses query parameters an API route does not declare (a
// misspelt filtr= must not quietly list everything), and path and query
// parameters that are not valid UTF-8 or hold U+0000: no store could look
// them up or keep them, and both stores answer the same 400.
func checkRequest(r *http.Request, rt route) error {
	var errs []contactd.FieldError
	check := func(loc, v string) {
		switch {
		case !utf8.ValidString(v):
			errs = append(errs, contactd.FieldError{Location: loc, Message: "must be valid UTF-8"})
		case strings.IndexByte(v, 0) >= 0:
			errs = append(errs, contactd.FieldError{Location: loc, Message: "must not contain the NUL character (U+0000)"})
		}
	}
	if rc := chi.RouteContext(r.Context()); rc != nil {
		for i, k := range rc.URLParams.Keys {
			if k != "*" && i < len(rc.URLParams.Values) {
				check("path."+k, unescape(rc.URLParams.Values[i]))
			}
		}
	}
	for k, vs := range r.URL.Query() {
		if !utf8.ValidString(k) || strings.IndexByte(k, 0) >= 0 {
			check("query", k)
			continue
		}
		if rt.Scope != "" && !slices.ContainsFunc(rt.Params, func(p param) bool { return p.In == "query" && p.Name == k }) {
			errs = append(errs, contactd.FieldError{Location: "query." + k, Message: "unknown parameter" + knownParams(rt)})
			continue
		}
		for _, v := range vs {
			check("query."+k, v)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return errStatus(http.StatusBadRequest, "invalid", errs[0].Location+": "+errs[0].Message, errs...)
}

// knownParams lists a route's query parameters for an error message.
func knownParams(rt route) string {
	var names []string
	for _, p := range rt.Params {
		if p.In == "query" {
			names = append(names, p.Name)
		}
	}
	if len(names) == 0 {
		return " (this endpoint takes none)"
	}
	return " (this endpoint takes " + strings.Join(names, ", ") + ")"
}

// render serializes a reply's body.
func (s *Server) render(rep *reply) error {
	if rep.raw != nil || rep.body == nil {
		return nil
	}
	b, err := json.Marshal(rep.body)
	if err != nil {
		return err
	}
	rep.raw = append(b, '\n')
	if rep.contentType == "" {
		rep.contentType = "application/json"
	}
	return nil
}

func (s *Server) write(c *call, rep *reply) int {
	if err := s.render(rep); err != nil {
		return s.writeError(c, err)
	}
	h := c.w.Header()
	if c.r.Method == http.MethodGet && rep.status == http.StatusOK && rep.etag == "" && rep.raw != nil && len(rep.raw) <= maxHashedETag {
		// An object without a version of its own is validated by its bytes.
		sum := sha256.Sum256(rep.raw)
		rep.etag = `W/"` + hex.EncodeToString(sum[:12]) + `"`
	}
	if rep.etag != "" {
		h.Set("ETag", rep.etag)
		if c.r.Method == http.MethodGet && rep.status == http.StatusOK && noneMatch(c.r.Header.Values("If-None-Match"), rep.etag) {
			c.w.WriteHeader(http.StatusNotModified)
			return http.StatusNotModified
		}
	}
	if rep.location != "" {
		h.Set("Location", rep.location)
	}
	if rep.raw != nil || rep.stream != nil {
		h.Set("Content-Type", rep.contentType)
	}
	c.w.WriteHeader(rep.status)
	if rep.raw != nil {
		c.w.Write(rep.raw)
	}
	if rep.stream != nil {
		if err := rep.stream(c.w); err != nil {
			// A client that went away is not the server's failure.
			level := slog.LevelError
			if c.r.Context().Err() != nil {
				level = slog.LevelInfo
			}
			s.log.Log(c.r.Context(), level, "stream cut", "request_id", c.requestID, "route", c.rt.Path, "err", err)
			panic(http.ErrAbortHandler)
		}
	}
	return rep.status
}

// maxHashedETag bounds the answers given an ETag from their bytes.
const maxHashedETag = 256 << 10

// noneMatch reports whether If-None-Match values name etag: "*" or a tag
// equal to it under the weak comparison (RFC 9110 §13.1.2).
func noneMatch(values []string, etag string) bool {
	opaque := strings.TrimPrefix(etag, "W/")
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimSpace(t)
			if t == "*" || strings.TrimPrefix(t, "W/") == opaque {
				return true
			}
		}
	}
	return false
}

// writeError renders err as problem+json, logging internal errors.
func (s *Server) writeError(c *call, err error) int {
	p := problemFor(err, c.requestID)
	switch {
	case p.Status == http.StatusInternalServerError:
		s.log.Error("internal error", "request_id", c.requestID, "err", err)
	case p.Status > 500:
		s.log.Warn("unavailable", "request_id", c.requestID, "route", c.rt.Path, "detail", p.Detail, "err", err)
	}
	if p.Status == http.StatusServiceUnavailable {
		c.w.Header().Set("Retry-After", "1")
	}
	b, _ := json.Marshal(p)
	c.w.Header().Set("Content-Type", "application/problem+json")
	if p.Status == http.StatusUnauthorized {
		c.w.Header().Set("WWW-Authenticate", `Bearer realm="contactd"`)
		if c.rt.BasicAuth {
			c.w.Header().Add("WWW-Authenticate", `Basic realm="contactd", charset="UTF-8"`)
		}
	}
	c.w.WriteHeader(p.Status)
	c.w.Write(append(b, '\n'))
	return p.Status
}

// requestID keeps a sane incoming X-Request-Id or makes a new one.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 128 && printable(id) {
		return id
	}
	var b [12]byte
	rand.Read(b[:])
	return "req_" + hex.EncodeToString(b[:])
}

func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// Close stops the imports this server runs and waits for them: each ends
// failed, with the counts of what it wrote.
func (s *Server) Close() {
	s.jobs.cancel()
	s.jobs.wg.Wait()
}
