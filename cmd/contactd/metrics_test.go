package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestMetrics: /metrics counts requests by route template (never a raw
// path), times the store's statements and commits, counts the token
// cache, and has the Go runtime's; --metrics-addr moves it to a listener
// of its own.
func TestMetrics(t *testing.T) {
	for _, own := range []bool{false, true} {
		ctx := context.Background()
		var banner bytes.Buffer
		cfg := ServeConfig{Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "m.db"), Region: "US",
			Log: slog.New(slog.DiscardHandler), Banner: &banner}
		if own {
			cfg.MetricsAddr = "127.0.0.1:0"
		}
		m, err := Start(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		token := regexp.MustCompile(`cdt_[A-Za-z0-9_-]{43}`).FindString(banner.String())
		get := func(base, path string) (int, string) {
			req, _ := http.NewRequest("GET", "http://"+base+path, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		post := func(path, body string) string {
			req, _ := http.NewRequest("POST", "http://"+m.Addr+path, strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return string(b)
		}
		id := regexp.MustCompile(`"id":"(ct_[0-9a-z]+)"`).FindStringSubmatch(post("/v1/contacts", `{"firstName":"Ada"}`))[1]
		for range 3 {
			get(m.Addr, "/v1/contacts/"+id)
		}
		get(m.Addr, "/v1/contacts/ct_nosuch")
		// CardDAV's requests, by resource, never by card name.
		for _, path := range []string{"/dav/addressbooks/contacts/", "/dav/addressbooks/contacts/" + id + ".vcf"} {
			req, _ := http.NewRequest("PROPFIND", "http://"+m.Addr+path, nil)
			req.SetBasicAuth("me", token)
			req.Header.Set("Depth", "0")
			if res, err := http.DefaultClient.Do(req); err == nil {
				res.Body.Close()
			}
		}
		for _, method := range []string{"BREW", "WHEN"} { // any token is a method
			req, _ := http.NewRequest(method, "http://"+m.Addr+"/v1/whatever", nil)
			if res, err := http.DefaultClient.Do(req); err == nil {
				res.Body.Close()
			}
		}
		status, text := get(m.MetricsAddr, "/metrics")
		if status != http.StatusOK {
			t.Fatalf("GET /metrics: %d", status)
		}
		for _, want := range []string{
			`contactd_http_requests_total{method="GET",route="/v1/contacts/{id}",status="200"} 3`,
			`contactd_http_requests_total{method="GET",route="/v1/contacts/{id}",status="404"} 1`,
			`contactd_http_requests_total{method="POST",route="/v1/contacts",status="201"} 1`,
			`contactd_http_request_duration_seconds_bucket{method="GET",route="/v1/contacts/{id}",le="+Inf"} 4`,
			`contactd_http_requests_in_flight `,
			`contactd_http_requests_total{method="OTHER",route="(unmatched)",status="405"} 2`,
			`contactd_http_requests_total{method="PROPFIND",route="/dav/addressbooks/contacts/",status="207"} 1`,
			`contactd_http_requests_total{method="PROPFIND",route="/dav/addressbooks/contacts/{name}",status="207"} 1`,
			`contactd_store_query_duration_seconds_count{op="read",store="sqlite"}`,
			`contactd_store_group_commit_writes_count`,
			`contactd_token_cache_hits_total`,
			`contactd_token_cache_misses_total`,
			`contactd_webhook_failures_total 0`,
			`contactd_imports_running 0`,
			`contactd_webhook_backlog 0`,
			`go_goroutines`,
			`process_resident_memory_bytes`,
		} {
			if !strings.Contains(text, want) {
				t.Errorf("own listener %v: /metrics lacks %s", own, want)
			}
		}
		if strings.Contains(text, id) || strings.Contains(text, "ct_nosuch") || strings.Contains(text, "BREW") {
			t.Errorf("a raw path reached the labels")
		}
		if own {
			if status, _ := get(m.Addr, "/metrics"); status != http.StatusNotFound {
				t.Errorf("with --metrics-addr, the API listener answers /metrics: %d", status)
			}
		}
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := m.Close(sctx); err != nil {
			t.Error(err)
		}
		cancel()
	}
}
