package webhook

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of one delivery attempt.
const (
	// Timeout bounds an attempt, from connecting to the response's end.
	Timeout = 10 * time.Second
	// maxResponse is how much of a response is read (the rest is not).
	maxResponse = 64 << 10
	// SnippetBytes is how much of a response the delivery log keeps.
	SnippetBytes = 1024
)

// Sender sends deliveries over HTTP.
type Sender struct {
	client *http.Client
}

// NewSender returns a Sender whose connections the guard checks. It uses
// no proxy (one would connect for it, past the guard) and follows no
// redirect (a 3xx answer is a failed attempt).
func NewSender(g Guard) *Sender {
	dialer := &net.Dialer{Timeout: Timeout, KeepAlive: 30 * time.Second, Control: g.control}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          256,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   Timeout,
		ResponseHeaderTimeout: Timeout,
	}
	return &Sender{client: &http.Client{
		Transport:     tr,
		Timeout:       Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Request is one attempt to deliver a message.
type Request struct {
	URL     string
	Headers map[string]string
	Body    []byte
}

// Result is how an attempt went: the status (0 when no response came),
// how long it took, the start of the response body, and the error that
// made it fail (nil for a 2xx answer).
type Result struct {
	Status  int
	Latency time.Duration
	Snippet string
	Err     error
}

// OK reports whether the receiver took the message.
func (r Result) OK() bool { return r.Err == nil }

// Send makes one attempt. A 2xx answer is success; anything else, or no
// answer within Timeout, is a failure with its reason.
func (s *Sender) Send(ctx context.Context, r Request) Result {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return Result{Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "contactd-webhooks/1")
	for k, v := range r.Headers {
		req.Header.Set(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return Result{Latency: time.Since(start), Err: s.cleanErr(err)}
	}
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	// What was not read is not waited for: the connection is dropped
	// rather than drained when the receiver says more.
	resp.Body.Close()
	res := Result{Status: resp.StatusCode, Latency: time.Since(start), Snippet: snippet(body)}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		res.Err = errors.New("answered " + resp.Status + ": redirects are not followed; give the final URL")
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		res.Err = errors.New("answered " + resp.Status)
	case rerr != nil:
		res.Err = s.cleanErr(rerr)
	}
	return res
}

// snippet is the start of a response, cut at a character boundary.
func snippet(b []byte) string {
	if len(b) > SnippetBytes {
		b = b[:SnippetBytes]
		for len(b) > 0 && !utf8.Valid(b) {
			b = b[:len(b)-1]
		}
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

// cleanErr words a transport error without Go's request prefix.
func (s *Sender) cleanErr(err error) error {
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && strings.HasPrefix(err.Error(), "Post ") {
		if inner := ue.Unwrap(); inner != nil {
			err = inner
		}
	}
	if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		return errors.New("no answer within " + s.client.Timeout.String())
	}
	return err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
