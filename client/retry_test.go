package client_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactd/contactd/client"
	"github.com/contactd/contactd/internal/webhook"
)

// signature is the server's signature of a webhook (internal/webhook).
func signature(secret, id string, at time.Time, body []byte) string {
	key, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	return webhook.Signature(id, at, body, key)
}

// script is a server that answers each request with the next of its
// answers (the last one repeats) and records what it got.
type script struct {
	mu       sync.Mutex
	answers  []func(w http.ResponseWriter)
	requests []*http.Request
	bodies   []string
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	i := min(len(s.requests), len(s.answers)-1)
	s.requests = append(s.requests, r)
	s.bodies = append(s.bodies, string(b))
	a := s.answers[i]
	s.mu.Unlock()
	a(w)
}

func status(code int, retryAfter string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"type":"https://contactd.dev/problems/x","title":"%s","status":%d,"detail":"try later"}`, http.StatusText(code), code)
	}
}

func ok(body string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, body)
	}
}

// TestRetries: 429 and 503 are retried after Retry-After, with the same
// Idempotency-Key on a POST; a PATCH is not retried on 503 unless it is
// conditional; the retries stop at MaxRetries.
func TestRetries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	run := func(answers ...func(http.ResponseWriter)) (*script, *client.Client) {
		s := &script{answers: answers}
		srv := httptest.NewServer(s)
		t.Cleanup(srv.Close)
		return s, client.NewWithOptions(srv.URL, "tok", client.Options{MaxRetries: 2, MaxRetryWait: 50 * time.Millisecond})
	}

	s, cl := run(status(429, "0"), status(503, "1"), ok(`{"id":"ct_1","version":1,"firstName":"Ada"}`))
	start := time.Now()
	c, err := cl.Contacts.Create(ctx, &client.Contact{FirstName: "Ada"})
	if err != nil || c.ID != "ct_1" {
		t.Fatalf("create after 429 and 503: %v %v", c, err)
	}
	if len(s.requests) != 3 {
		t.Fatalf("%d requests, want 3", len(s.requests))
	}
	key := s.requests[0].Header.Get("Idempotency-Key")
	for i, r := range s.requests {
		if r.Header.Get("Idempotency-Key") != key || key == "" || s.bodies[i] != `{"firstName":"Ada"}` {
			t.Errorf("attempt %d: key %q (first %q), body %s", i, r.Header.Get("Idempotency-Key"), key, s.bodies[i])
		}
		if r.Header.Get("Authorization") != "Bearer tok" {
			t.Errorf("attempt %d: Authorization %q", i, r.Header.Get("Authorization"))
		}
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the retries took %v: MaxRetryWait caps Retry-After", took)
	}

	// Past MaxRetries the last problem is the error.
	s, cl = run(status(503, "0"))
	_, err = cl.Contacts.Get(ctx, "ct_1")
	var p *client.Problem
	if !errors.As(err, &p) || p.Status != 503 || p.Detail != "try later" || len(s.requests) != 3 {
		t.Errorf("503s: %v after %d requests", err, len(s.requests))
	}

	// An unconditional PATCH is sent once on 503; with If-Match it is
	// retried; 429 (nothing was done) is retried either way.
	s, cl = run(status(503, "0"), ok(`{"id":"ct_1"}`))
	if _, err := cl.Contacts.Update(ctx, "ct_1", map[string]any{"jobTitle": "x"}); !errors.As(err, &p) || p.Status != 503 || len(s.requests) != 1 {
		t.Errorf("PATCH on 503: %v after %d requests", err, len(s.requests))
	}
	s, cl = run(status(503, "0"), ok(`{"id":"ct_1"}`))
	if _, err := cl.Contacts.Update(ctx, "ct_1", map[string]any{"jobTitle": "x"}, client.IfVersion(3)); err != nil || len(s.requests) != 2 ||
		s.requests[1].Header.Get("If-Match") != `"3"` {
		t.Errorf("conditional PATCH on 503: %v after %d requests", err, len(s.requests))
	}
	s, cl = run(status(429, "0"), ok(`{"id":"ct_1"}`))
	if _, err := cl.Contacts.Update(ctx, "ct_1", map[string]any{"jobTitle": "x"}); err != nil || len(s.requests) != 2 {
		t.Errorf("PATCH on 429: %v after %d requests", err, len(s.requests))
	}

	// A 4xx other than 429 is not retried, and is a Problem.
	s, cl = run(status(404, ""))
	if _, err := cl.Contacts.Get(ctx, "ct_x"); !client.IsNotFound(err) || len(s.requests) != 1 {
		t.Errorf("404: %v after %d requests", err, len(s.requests))
	}

	// A caller's own Idempotency-Key is sent as given.
	s, cl = run(ok(`{"id":"ct_1"}`))
	if _, err := cl.Contacts.Create(ctx, &client.Contact{FirstName: "A"}, client.IdempotencyKey("mine-1")); err != nil || s.requests[0].Header.Get("Idempotency-Key") != "mine-1" {
		t.Errorf("own key: %v %q", err, s.requests[0].Header.Get("Idempotency-Key"))
	}

	// A network error is retried for a GET.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n int
	var mu sync.Mutex
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			n++
			first := n == 1
			mu.Unlock()
			if first {
				conn.Close() // the first connection dies before answering
				continue
			}
			go http.Serve(&oneConn{conn: conn}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, `{"id":"ct_1"}`)
			}))
		}
	}()
	defer ln.Close()
	cl = client.NewWithOptions("http://"+ln.Addr().String(), "tok", client.Options{MaxRetries: 2, MaxRetryWait: 10 * time.Millisecond,
		HTTPClient: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}})
	if c, err := cl.Contacts.Get(ctx, "ct_1"); err != nil || c.ID != "ct_1" {
		t.Errorf("GET after a dropped connection: %v %v", c, err)
	}
	// A context that ends stops the retries.
	srv := httptest.NewServer(&script{answers: []func(http.ResponseWriter){status(503, "30")}})
	defer srv.Close()
	cl = client.NewWithOptions(srv.URL, "tok", client.Options{MaxRetries: 5})
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := cl.Contacts.Get(cctx, "ct_1"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("retries past the context: %v", err)
	}
}

// oneConn is a listener of one connection.
type oneConn struct {
	conn net.Conn
	done bool
}

func (l *oneConn) Accept() (net.Conn, error) {
	if l.done {
		return nil, io.EOF
	}
	l.done = true
	return l.conn, nil
}
func (l *oneConn) Close() error   { return nil }
func (l *oneConn) Addr() net.Addr { return l.conn.LocalAddr() }

// TestVerifyWebhook: a signature made with the secret verifies; another
// secret, a changed body, an old timestamp and a missing header do not.
func TestVerifyWebhook(t *testing.T) {
	t.Parallel()
	secret := "whsec_" + "c2VjcmV0LWtleS1vZi10aGlydHktdHdvLWJ5dGVzISE="
	body := []byte(`{"type":"contact.created","id":"msg_1","data":{"contactId":"ct_1"}}`)
	sign := func(secret string, ts time.Time, body []byte) http.Header {
		h := http.Header{}
		h.Set("webhook-id", "msg_1")
		h.Set("webhook-timestamp", fmt.Sprint(ts.Unix()))
		h.Set("webhook-signature", "v1,bm9wZQ== "+signature(secret, "msg_1", ts, body))
		return h
	}
	now := time.Now()
	if err := client.VerifyWebhook(secret, sign(secret, now, body), body); err != nil {
		t.Errorf("a good signature: %v", err)
	}
	ev, err := client.ParseWebhook(secret, sign(secret, now, body), body)
	if err != nil || ev.Type != "contact.created" || ev.Data.ContactID != "ct_1" {
		t.Errorf("parsed %+v %v", ev, err)
	}
	other := "whsec_" + "b3RoZXItc2VjcmV0LW9mLXRoaXJ0eS10d28tYnl0ZXM="
	for name, h := range map[string]http.Header{
		"another secret": sign(other, now, body),
		"an old message": sign(secret, now.Add(-10*time.Minute), body),
		"a future one":   sign(secret, now.Add(10*time.Minute), body),
		"no headers":     {},
		"a changed body": sign(secret, now, append([]byte(" "), body...)),
	} {
		if err := client.VerifyWebhook(secret, h, body); !errors.Is(err, client.ErrWebhookSignature) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := client.VerifyWebhook("not-a-secret", sign(secret, now, body), body); err == nil {
		t.Error("a malformed secret verifies")
	}
}
