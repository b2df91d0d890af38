// Package client is a Go client of the contactd API.
//
// It uses the standard library only and has its own wire types, so a
// program that talks to contactd needs nothing of the server. Every method
// takes a context; lists are iterators over every page; errors the server
// answers are *Problem values.
//
//	cl := client.New("http://127.0.0.1:8080", os.Getenv("CONTACTD_TOKEN"))
//	c, err := cl.Contacts.Create(ctx, &client.Contact{FirstName: "Ada", LastName: "Lovelace"})
//	for c, err := range cl.Contacts.All(ctx, client.ListOptions{Filter: `{"tags":"vip"}`}) { … }
//
// Requests that fail with 429 or 503 are retried after the server's
// Retry-After (or a backoff), and so are network errors of requests that
// are safe to repeat: GET, PUT, DELETE, a POST (every POST carries an
// Idempotency-Key, generated unless given, so a retried create never
// creates twice), and anything sent with If-Match.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client talks to one contactd server with one token.
type Client struct {
	base  *url.URL
	token string
	opts  Options

	Contacts   *ContactsService
	Accounts   *AccountsService
	Tags       *TagsService
	Segments   *SegmentsService
	Imports    *ImportsService
	Changes    *ChangesService
	Webhooks   *WebhooksService
	Tokens     *TokensService
	Tenant     *TenantService
	Directory  *DirectoryService
	Duplicates *DuplicatesService
	Users      *UsersService
}

// Options configure a Client. The zero value is usable.
type Options struct {
	// HTTPClient sends the requests; http.DefaultClient when nil.
	HTTPClient *http.Client
	// MaxRetries is how many times a request is retried (default 3; a
	// negative value disables retries).
	MaxRetries int
	// MaxRetryWait caps the wait before a retry (default 30 s).
	MaxRetryWait time.Duration
	// UserAgent is sent with every request (default "contactd-go-client").
	UserAgent string
}

// New returns a client of the server at baseURL (such as
// "http://127.0.0.1:8080") authenticating with token.
func New(baseURL, token string) *Client {
	return NewWithOptions(baseURL, token, Options{})
}

// NewWithOptions is New with options.
func NewWithOptions(baseURL, token string, opts Options) *Client {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		u = &url.URL{Scheme: "http", Host: baseURL}
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = http.DefaultClient
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 3
	}
	if opts.MaxRetryWait == 0 {
		opts.MaxRetryWait = 30 * time.Second
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "contactd-go-client"
	}
	c := &Client{base: u, token: token, opts: opts}
	c.Contacts = &ContactsService{c}
	c.Accounts = &AccountsService{c}
	c.Tags = &TagsService{c}
	c.Segments = &SegmentsService{c}
	c.Imports = &ImportsService{c}
	c.Changes = &ChangesService{c}
	c.Webhooks = &WebhooksService{c}
	c.Tokens = &TokensService{c}
	c.Tenant = &TenantService{c}
	c.Directory = &DirectoryService{c}
	c.Duplicates = &DuplicatesService{c}
	c.Users = &UsersService{c}
	return c
}

// Problem is an error the server answered: an RFC 9457 problem document.
// Reach it with errors.As.
type Problem struct {
	Status           int          `json:"status"`
	Type             string       `json:"type"`
	Title            string       `json:"title"`
	Detail           string       `json:"detail"`
	Instance         string       `json:"instance,omitempty"`
	Errors           []FieldError `json:"errors,omitempty"`
	ConflictingID    string       `json:"conflictingId,omitempty"`
	ConflictingField string       `json:"conflictingField,omitempty"`
	// RetryAfter is the wait the server asked for (429, 503), 0 if none.
	RetryAfter time.Duration `json:"-"`
}

// FieldError is one field's problem: where (body.emails[1].address,
// query.limit) and what.
type FieldError struct {
	Location string `json:"location"`
	Message  string `json:"message"`
	Value    any    `json:"value,omitempty"`
}

func (p *Problem) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "contactd: %d", p.Status)
	if p.Detail != "" {
		b.WriteString(": " + p.Detail)
	} else if p.Title != "" {
		b.WriteString(": " + p.Title)
	}
	for _, e := range p.Errors {
		if e.Location != "" && !strings.Contains(p.Detail, e.Location) {
			fmt.Fprintf(&b, "; %s: %s", e.Location, e.Message)
		}
	}
	return b.String()
}

// IsNotFound reports whether err is a 404 Problem.
func IsNotFound(err error) bool { return statusOf(err) == http.StatusNotFound }

// IsConflict reports whether err is a 409 Problem.
func IsConflict(err error) bool { return statusOf(err) == http.StatusConflict }

func statusOf(err error) int {
	var p *Problem
	if errors.As(err, &p) {
		return p.Status
	}
	return 0
}

// RequestOption sets something on one request.
type RequestOption func(*request)

// IfMatch makes a write conditional on the object's ETag (a contact's
// version): a stale one is a 412 Problem. It also makes the write safe to
// retry.
func IfMatch(etag string) RequestOption {
	return func(r *request) {
		if etag != "" && !strings.HasPrefix(etag, `"`) && !strings.HasPrefix(etag, "W/") {
			etag = strconv.Quote(etag)
		}
		r.header.Set("If-Match", etag)
	}
}

// IfVersion is IfMatch for a contact's version.
func IfVersion(version int64) RequestOption {
	return IfMatch(strconv.FormatInt(version, 10))
}

// IdempotencyKey sets the Idempotency-Key of a POST (one is generated
// otherwise): the same key with the same body within 24 hours answers
// what the first request did.
func IdempotencyKey(key string) RequestOption {
	return func(r *request) { r.header.Set("Idempotency-Key", key) }
}

// request is one call to the API.
type request struct {
	method, path string
	query        url.Values
	body         []byte
	// upload is a file sent as the body (an import); it can be sent again
	// only if it is an io.Seeker.
	upload      io.Reader
	contentType string
	header      http.Header
}

// response is what came back.
type response struct {
	status int
	header http.Header
	body   []byte
}

// newRequest builds a request, body marshalled as JSON unless nil.
func newRequest(method, path string, query url.Values, body any) (*request, error) {
	r := &request{method: method, path: path, query: query, header: http.Header{}}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("contactd: encode the request: %w", err)
		}
		r.body, r.contentType = b, "application/json"
	}
	return r, nil
}

// call sends a request and decodes a 2xx JSON answer into out (when not
// nil).
func (c *Client) call(ctx context.Context, method, path string, query url.Values, body, out any, opts ...RequestOption) (*response, error) {
	r, err := newRequest(method, path, query, body)
	if err != nil {
		return nil, err
	}
	for _, o := range opts {
		o(r)
	}
	res, err := c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	if out != nil && len(res.body) > 0 {
		if err := json.Unmarshal(res.body, out); err != nil {
			return res, fmt.Errorf("contactd: %s %s: decode the answer: %w", method, path, err)
		}
	}
	return res, nil
}

// send sends r, retrying as the package documentation says, and turns an
// error status into a *Problem.
func (c *Client) send(ctx context.Context, r *request) (*response, error) {
	if r.method == http.MethodPost && r.header.Get("Idempotency-Key") == "" && r.upload == nil {
		r.header.Set("Idempotency-Key", newKey())
	}
	retries := max(c.opts.MaxRetries, 0)
	// A streamed body can be sent again only from its start.
	seeker, canResend := r.upload.(io.Seeker)
	if r.upload == nil {
		canResend = true
	}
	for attempt := 0; ; attempt++ {
		res, err := c.once(ctx, r)
		var wait time.Duration
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			if attempt >= retries || !canResend || !c.repeatable(r) {
				return nil, err
			}
			wait = backoff(attempt)
		case res.status >= 400:
			p := problemOf(res)
			retry := res.status == http.StatusTooManyRequests || (res.status == http.StatusServiceUnavailable && c.repeatable(r))
			if !retry || !canResend || attempt >= retries {
				return nil, p
			}
			wait = p.RetryAfter
			if wait == 0 {
				wait = backoff(attempt)
			}
		default:
			return res, nil
		}
		if seeker != nil {
			if _, err := seeker.Seek(0, io.SeekStart); err != nil {
				return nil, err
			}
		}
		if err := sleep(ctx, min(wait, c.opts.MaxRetryWait)); err != nil {
			return nil, err
		}
	}
}

// repeatable reports whether sending r twice does what sending it once
// does.
func (c *Client) repeatable(r *request) bool {
	switch r.method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete:
		return true
	case http.MethodPost:
		return r.header.Get("Idempotency-Key") != ""
	}
	return r.header.Get("If-Match") != ""
}

func (c *Client) once(ctx context.Context, r *request) (*response, error) {
	u := strings.TrimRight(c.base.String(), "/") + r.path // (path segments escaped by seg)
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	switch {
	case r.upload != nil:
		body = r.upload
	case r.body != nil:
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, err
	}
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("User-Agent", c.opts.UserAgent)
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	res, err := c.opts.HTTPClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	return &response{status: res.StatusCode, header: res.Header, body: b}, nil
}

// problemOf reads the problem document of an error answer.
func problemOf(res *response) *Problem {
	p := &Problem{}
	if err := json.Unmarshal(res.body, p); err != nil || p.Status == 0 {
		p = &Problem{Status: res.status, Title: http.StatusText(res.status), Detail: strings.TrimSpace(string(res.body))}
	}
	p.Status = res.status
	if s := res.header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			p.RetryAfter = time.Duration(n) * time.Second
		} else if t, err := http.ParseTime(s); err == nil {
			p.RetryAfter = max(time.Until(t), 0)
		}
	}
	return p
}

// backoff is the wait before retry attempt+1 when the server names none:
// 0.5 s, 1 s, 2 s, … with jitter.
func backoff(attempt int) time.Duration {
	d := time.Duration(float64(500*time.Millisecond) * math.Pow(2, float64(attempt)))
	var b [1]byte
	_, _ = rand.Read(b[:])
	return d + time.Duration(int(b[0])%100)*d/400
}

// newKey returns a random idempotency key.
func newKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "cl_" + hex.EncodeToString(b[:])
}

// seg escapes one path segment.
func seg(s string) string { return url.PathEscape(s) }
