package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// webhookResult is the webhook pass: a subscription to a receiver in this
// process, and writes whose deliveries it waits for.
type webhookResult struct {
	Messages     int     `json:"messages"`
	Received     int64   `json:"received"`
	WriteSeconds float64 `json:"writeSeconds"`
	Seconds      float64 `json:"seconds"`
	PerSec       float64 `json:"deliveriesPerSecond"`
	MedianLagMs  float64 `json:"medianLagMs"`
	WritesPerSec float64 `json:"writesPerSecond"`
	Error        string  `json:"error,omitempty"`
}

func (r *webhookResult) valid() bool { return r.Error == "" && r.Received >= int64(r.Messages) }

// measureWebhooks subscribes a receiver on 127.0.0.1 to the tenant's
// creations, creates n contacts in batches of 1,000 and waits for their n
// messages (at most a minute past the last write).
func measureWebhooks(addr string, t *tenantData, n int) *webhookResult {
	res := &webhookResult{Messages: n}
	var received atomic.Int64
	var mu sync.Mutex
	lags := make([]float64, 0, n)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		res.Error = err.Error()
		return res
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Timestamp time.Time `json:"timestamp"`
		}
		b, _ := io.ReadAll(r.Body)
		if json.Unmarshal(b, &p) == nil && !p.Timestamp.IsZero() {
			mu.Lock()
			lags = append(lags, float64(time.Since(p.Timestamp).Microseconds())/1000)
			mu.Unlock()
		}
		received.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})}
	go srv.Serve(ln)
	defer srv.Close()

	do := func(method, path string, body any) (map[string]any, error) {
		b, _ := json.Marshal(body)
		req, err := http.NewRequest(method, "http://"+addr+path, bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+t.Token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode/100 != 2 {
			return nil, fmt.Errorf("%s %s: %s", method, path, resp.Status)
		}
		return out, nil
	}
	sub, err := do("POST", "/v1/webhooks", map[string]any{"url": "http://" + ln.Addr().String() + "/hook", "events": []string{"contact.created"}})
	if err != nil {
		res.Error = err.Error()
		return res
	}
	id, _ := sub["webhook"].(map[string]any)["id"].(string)
	defer do("DELETE", "/v1/webhooks/"+id, nil)

	start := time.Now()
	for i := 0; i < n; i += 1000 {
		var ops []map[string]any
		for k := i; k < min(i+1000, n); k++ {
			ops = append(ops, map[string]any{"op": "create", "contact": map[string]any{"firstName": fmt.Sprintf("Hook%07d", k), "notes": strings.Repeat("x", 40)}})
		}
		if _, err := do("POST", "/v1/contacts/batch", map[string]any{"operations": ops}); err != nil {
			res.Error = err.Error()
			return res
		}
	}
	res.WriteSeconds = time.Since(start).Seconds()
	res.WritesPerSec = float64(n) / res.WriteSeconds
	deadline := time.Now().Add(time.Minute)
	for received.Load() < int64(n) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	res.Seconds = time.Since(start).Seconds()
	res.Received = received.Load()
	res.PerSec = float64(res.Received) / res.Seconds
	mu.Lock()
	if len(lags) > 0 {
		sort.Float64s(lags)
		res.MedianLagMs = lags[len(lags)/2]
	}
	mu.Unlock()
	if res.Received < int64(n) {
		res.Error = fmt.Sprintf("%d of %d messages within a minute of the last write", res.Received, n)
	}
	return res
}
