package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestWebhooksSurviveKill: contactd is killed (SIGKILL) in the middle of a
// stream of writes that a subscription is being sent; started again, it
// goes on. The receiver gets every change exactly once or more, and the
// first time it sees each, in order, with none missing.
func TestWebhooksSurviveKill(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "c.db")
	var mu sync.Mutex
	var seen []int64
	rv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Data struct {
				ChangeID int64 `json:"changeId"`
			} `json:"data"`
		}
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &p); err != nil || p.Data.ChangeID == 0 {
			t.Errorf("a message without a change: %s", b)
		}
		mu.Lock()
		seen = append(seen, p.Data.ChangeID)
		mu.Unlock()
		time.Sleep(10 * time.Millisecond) // a receiver slower than the writes
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rv.Close()

	n := startNodeArgs(t, db, true, "--webhook-allow-private")
	token := regexp.MustCompile(`cdt_[A-Za-z0-9_-]{43}`).FindString(n.banner)
	if r := n.do(t, "POST", "/v1/webhooks", token, fmt.Sprintf(`{"url": %q, "events": ["*"]}`, rv.URL)); r.status != http.StatusCreated {
		t.Fatalf("subscribe: %d %s", r.status, r.raw)
	}
	const writes = 300
	// batch creates contacts from..to in one request: written at once, so
	// the deliveries trail them.
	batch := func(from, to int) {
		t.Helper()
		var ops []string
		for i := from; i < to; i++ {
			ops = append(ops, fmt.Sprintf(`{"op": "create", "contact": {"firstName": "K%03d"}}`, i))
		}
		if r := n.do(t, "POST", "/v1/contacts/batch", token, `{"operations": [`+strings.Join(ops, ",")+`]}`); r.status != http.StatusOK {
			t.Fatalf("batch %d-%d: %d %s", from, to, r.status, r.raw)
		}
	}
	batch(0, writes/2)
	// Killed with deliveries under way (a few sent, the others waiting):
	// nothing is saved on the way out.
	for deadline := time.Now().Add(10 * time.Second); ; {
		mu.Lock()
		got := len(seen)
		mu.Unlock()
		if got >= 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no delivery before the kill")
		}
		time.Sleep(time.Millisecond)
	}
	n.cmd.Process.Kill()
	n.cmd.Wait()
	mu.Lock()
	atKill := len(seen)
	mu.Unlock()
	if atKill >= writes/2 {
		t.Fatalf("the deliveries caught up (%d of %d) before the kill", atKill, writes/2)
	}
	n = startNodeArgs(t, db, false, "--webhook-allow-private")
	batch(writes/2, writes)
	// Every change the feed holds is delivered, in order of first arrival.
	var want []int64
	for cursor := ""; ; {
		r := n.do(t, "GET", "/v1/changes?limit=1000&cursor="+cursor, token, "")
		data, _ := r.body["data"].([]any)
		for _, d := range data {
			want = append(want, int64(d.(map[string]any)["seq"].(float64)))
		}
		if len(data) == 0 {
			break
		}
		cursor, _ = r.body["nextCursor"].(string)
	}
	if len(want) != writes {
		t.Fatalf("the feed holds %d changes, want %d", len(want), writes)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		mu.Lock()
		var first []int64
		dup := map[int64]bool{}
		for _, s := range seen {
			if !dup[s] {
				dup[s] = true
				first = append(first, s)
			}
		}
		repeats := len(seen) - len(first)
		mu.Unlock()
		if len(first) >= len(want) || time.Now().After(deadline) {
			if len(first) != len(want) {
				t.Fatalf("%d changes delivered, want %d", len(first), len(want))
			}
			for i := range want {
				if first[i] != want[i] {
					t.Fatalf("delivery %d was change %d, want %d (order or a gap)", i, first[i], want[i])
				}
			}
			t.Logf("%d changes delivered in order, %d of them again after the kill", len(first), repeats)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}
