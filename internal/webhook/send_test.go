package webhook

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

// TestSend: a 2xx answer is success; other answers, redirects (never
// followed) and silence past the timeout fail with their reason; the
// request carries the body and headers; the response is read only so far
// and kept as a snippet cut at a character boundary.
func TestSend(t *testing.T) {
	var redirected atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != "POST" || string(b) != `{"a":1}` || r.Header.Get("webhook-id") != "msg_1" || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(400)
			return
		}
		w.WriteHeader(204)
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(503)
		io.WriteString(w, "down for maintenance")
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/target", http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/target", func(w http.ResponseWriter, r *http.Request) { redirected.Add(1) })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		// 1,023 bytes, then "é" across the snippet's end, then 10 MiB.
		io.WriteString(w, strings.Repeat("a", SnippetBytes-1)+"é")
		for range 10 << 10 {
			if _, err := w.Write(make([]byte, 1024)); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	s := NewSender(Guard{AllowPrivate: true})
	send := func(path string) Result {
		return s.Send(t.Context(), Request{URL: srv.URL + path, Body: []byte(`{"a":1}`), Headers: map[string]string{"webhook-id": "msg_1"}})
	}

	if r := send("/ok"); !r.OK() || r.Status != 204 || r.Latency <= 0 {
		t.Errorf("/ok: %+v", r)
	}
	if r := send("/fail"); r.OK() || r.Status != 503 || r.Snippet != "down for maintenance" || !strings.Contains(r.Err.Error(), "503") {
		t.Errorf("/fail: %+v", r)
	}
	if r := send("/redirect"); r.OK() || r.Status != 307 || !strings.Contains(r.Err.Error(), "redirects are not followed") || redirected.Load() != 0 {
		t.Errorf("/redirect: %+v (target reached %d times)", r, redirected.Load())
	}
	r := send("/big")
	if !r.OK() || len(r.Snippet) != SnippetBytes-1 || !utf8.ValidString(r.Snippet) {
		t.Errorf("/big: ok %v, a snippet of %d bytes (valid UTF-8: %v), want %d", r.OK(), len(r.Snippet), utf8.ValidString(r.Snippet), SnippetBytes-1)
	}
	s.client.Timeout = 300 * time.Millisecond
	start := time.Now()
	if r := send("/slow"); r.OK() || r.Status != 0 || !strings.Contains(r.Err.Error(), "no answer within 300ms") || time.Since(start) > 3*time.Second {
		t.Errorf("/slow: %+v after %s", r, time.Since(start))
	}
	if r := s.Send(t.Context(), Request{URL: "http://127.0.0.1:1/", Body: nil}); r.OK() || r.Status != 0 || r.Err == nil {
		t.Errorf("nobody listening: %+v", r)
	}
}
