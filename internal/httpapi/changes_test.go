package httpapi_test

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/storetest"
)

// TestChangeFeedOverHTTP: a cursor whose changes were pruned answers 410
// cursor-expired naming query.cursor; a forged one 400; wait is read as a
// duration or seconds, bounded, and a long poll answers a write.
func TestChangeFeedOverHTTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		reader := e.tokens["A"]["contacts:read"]
		feed := func(query string) resp {
			t.Helper()
			return e.do("GET", "/v1/changes?"+query, reader, nil)
		}
		cursorOf := func(r resp) string {
			t.Helper()
			c, _ := r.json(t)["nextCursor"].(string)
			if r.status != http.StatusOK || c == "" {
				t.Fatalf("feed: %d %s, want a page with a cursor", r.status, r.body)
			}
			return c
		}
		empty := cursorOf(feed(""))
		e.create("A", map[string]any{"firstName": "One"})
		e.create("A", map[string]any{"firstName": "Two"})
		afterOne := cursorOf(feed("limit=1"))
		if n, err := e.store.PruneChanges(t.Context(), e.tenant["A"].ID, time.Now().Add(time.Hour), 1); err != nil || n != 1 {
			t.Fatalf("PruneChanges: %d, %v", n, err)
		}
		r := feed("cursor=" + url.QueryEscape(empty))
		if r.status != http.StatusGone || !strings.HasSuffix(r.json(t)["type"].(string), "/problems/cursor-expired") ||
			!strings.Contains(string(r.body), `"location":"query.cursor"`) || r.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("a cursor before the pruned change: %d %s, want 410 cursor-expired naming query.cursor", r.status, r.body)
		}
		if r := feed("cursor=" + url.QueryEscape(afterOne)); r.status != http.StatusOK || len(r.json(t)["data"].([]any)) != 1 {
			t.Errorf("the cursor after the pruned change: %d %s, want the second change", r.status, r.body)
		}
		forged := base64.RawURLEncoding.EncodeToString([]byte("chg:999999"))
		if r := feed("cursor=" + forged); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), `"location":"query.cursor"`) {
			t.Errorf("a forged cursor: %d %s, want 400 naming query.cursor", r.status, r.body)
		}

		for _, w := range []string{"abc", "61", "-1s", "2m", "1.5"} {
			if r := feed("wait=" + url.QueryEscape(w)); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), `"location":"query.wait"`) {
				t.Errorf("wait=%s: %d %s, want 400 naming query.wait", w, r.status, r.body)
			}
		}
		head := cursorOf(feed("cursor=" + url.QueryEscape(afterOne)))
		for _, w := range []string{"1", "300ms", "0"} {
			start := time.Now()
			r := feed("wait=" + w + "&cursor=" + url.QueryEscape(head))
			if r.status != http.StatusOK || len(r.json(t)["data"].([]any)) != 0 {
				t.Errorf("wait=%s with no change: %d %s, want an empty page", w, r.status, r.body)
			}
			if w == "1" && time.Since(start) < 900*time.Millisecond {
				t.Errorf("wait=1 answered after %s, before the second was over", time.Since(start))
			}
		}
		done := make(chan resp, 1)
		go func() { done <- feed("wait=30s&cursor=" + url.QueryEscape(head)) }()
		time.Sleep(200 * time.Millisecond)
		id := e.create("A", map[string]any{"firstName": "Three"})["id"]
		select {
		case r := <-done:
			data, _ := r.json(t)["data"].([]any)
			if r.status != http.StatusOK || len(data) != 1 || data[0].(map[string]any)["contactId"] != id {
				t.Errorf("the long poll: %d %s, want the creation of %v", r.status, r.body, id)
			}
		case <-time.After(20 * time.Second):
			t.Error("the long poll did not answer the write")
		}
	})
}

// TestChangeFeedFromNow: from=now answers an empty page whose cursor is at
// the newest change, then follows from there; with a cursor it is a 400.
func TestChangeFeedFromNow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		reader := e.tokens["A"]["contacts:read"]
		e.create("A", map[string]any{"firstName": "Before"})
		r := e.do("GET", "/v1/changes?from=now", reader, nil)
		cursor, _ := r.json(t)["nextCursor"].(string)
		if r.status != http.StatusOK || len(r.json(t)["data"].([]any)) != 0 || cursor == "" {
			t.Fatalf("from=now: %d %s, want an empty page with a cursor", r.status, r.body)
		}
		id := e.create("A", map[string]any{"firstName": "After"})["id"]
		r = e.do("GET", "/v1/changes?cursor="+url.QueryEscape(cursor), reader, nil)
		data, _ := r.json(t)["data"].([]any)
		if r.status != http.StatusOK || len(data) != 1 || data[0].(map[string]any)["contactId"] != id {
			t.Errorf("after from=now's cursor: %d %s, want only the later creation of %v", r.status, r.body, id)
		}
		for _, q := range []string{"from=later", "from=now&cursor=" + url.QueryEscape(cursor)} {
			if r := e.do("GET", "/v1/changes?"+q, reader, nil); r.status != http.StatusBadRequest || !strings.Contains(string(r.body), `"location":"query.from"`) {
				t.Errorf("%s: %d %s, want 400 naming query.from", q, r.status, r.body)
			}
		}
	})
}
