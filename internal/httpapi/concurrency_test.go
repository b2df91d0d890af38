package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/contactd/contactd/internal/storetest"
)

// parallel runs f(i) for i in [0, n) at once and waits for all.
func parallel(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f(i)
		}()
	}
	close(start)
	wg.Wait()
}

func TestConcurrentCreatesWithOneEmail(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		statuses := make([]int, 20)
		conflicting := make([]string, 20)
		parallel(20, func(i int) {
			r := e.do("POST", "/v1/contacts", e.tokens["A"]["all"], map[string]any{"firstName": fmt.Sprint("Racer", i), "email": "race@example.com"})
			statuses[i] = r.status
			if r.status == http.StatusConflict {
				conflicting[i], _ = r.json(t)["conflictingId"].(string)
			}
		})
		created := 0
		var winner string
		for i, s := range statuses {
			switch s {
			case http.StatusCreated:
				created++
			case http.StatusConflict:
				if conflicting[i] == "" {
					t.Errorf("a 409 without conflictingId")
				}
			default:
				t.Errorf("create %d: status %d, want 201 or 409", i, s)
			}
		}
		if created != 1 {
			t.Fatalf("%d creates succeeded, want exactly 1 (statuses %v)", created, statuses)
		}
		r := e.do("GET", "/v1/contacts/by-email/race@example.com", e.tokens["A"]["all"], nil)
		winner, _ = r.json(t)["id"].(string)
		for i, id := range conflicting {
			if statuses[i] == http.StatusConflict && id != winner {
				t.Errorf("409 names %s, want the winner %s", id, winner)
			}
		}
	})
}

func TestConcurrentUpsertsOfOneExternalID(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		statuses := make([]int, 20)
		parallel(20, func(i int) {
			r := e.do("PUT", "/v1/contacts/by-external-id/crm-race", e.tokens["A"]["all"], map[string]any{"firstName": "Upsert", "lastName": strconv.Itoa(i)})
			statuses[i] = r.status
		})
		created := 0
		for i, s := range statuses {
			switch s {
			case http.StatusCreated:
				created++
			case http.StatusOK:
			default:
				t.Errorf("upsert %d: status %d, want 200 or 201", i, s)
			}
		}
		if created != 1 {
			t.Errorf("%d upserts created a contact, want exactly 1 (statuses %v)", created, statuses)
		}
		r := e.do("GET", `/v1/contacts?filter={"externalId":"crm-race"}&includeDeleted=true`, e.tokens["A"]["all"], nil)
		var page struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(r.body, &page); err != nil || len(page.Data) != 1 {
			t.Errorf("contacts with external id crm-race: %s, want exactly one", r.body)
		}
	})
}

// TestConcurrentPatchesLoseNoUpdate: writers that each add one tag with
// If-Match and retry on 412 all land, and the version counts every write.
func TestConcurrentPatchesLoseNoUpdate(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		c := e.create("A", map[string]any{"firstName": "Shared"})
		id := c["id"].(string)
		const writers = 10
		tok := e.tokens["A"]["all"]
		retries := make([]int, writers)
		parallel(writers, func(i int) {
			for attempt := 0; attempt < 200; attempt++ {
				r := e.do("GET", "/v1/contacts/"+id, tok, nil)
				var cur struct {
					Tags []string `json:"tags"`
				}
				json.Unmarshal(r.body, &cur)
				tags := append(cur.Tags, fmt.Sprint("w", i))
				p := e.do("PATCH", "/v1/contacts/"+id, tok, map[string]any{"tags": tags}, "If-Match", r.header.Get("ETag"))
				switch p.status {
				case http.StatusOK:
					return
				case http.StatusPreconditionFailed:
					retries[i]++
				default:
					t.Errorf("writer %d: PATCH status %d: %s", i, p.status, p.body)
					return
				}
			}
			t.Errorf("writer %d never got its update in", i)
		})
		r := e.do("GET", "/v1/contacts/"+id, tok, nil)
		var got struct {
			Version int      `json:"version"`
			Tags    []string `json:"tags"`
		}
		json.Unmarshal(r.body, &got)
		if len(got.Tags) != writers || got.Version != writers+1 {
			t.Errorf("after %d concurrent If-Match writers: tags %v, version %d; want %d tags and version %d", writers, got.Tags, got.Version, writers, writers+1)
		}
	})
}

// TestChangeFeedGapFreeUnderConcurrentWriters: concurrent creates and
// updates leave the feed numbered 1..n with one entry per write.
func TestChangeFeedGapFreeUnderConcurrentWriters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		var mu sync.Mutex
		writes := 0
		parallel(8, func(i int) {
			for j := range 5 {
				r := e.do("POST", "/v1/contacts", tok, map[string]any{"firstName": fmt.Sprintf("W%d-%d", i, j)})
				if r.status != http.StatusCreated {
					t.Errorf("create: %d", r.status)
					continue
				}
				id := r.json(t)["id"].(string)
				if p := e.do("PATCH", "/v1/contacts/"+id, tok, map[string]any{"jobTitle": "x"}); p.status != http.StatusOK {
					t.Errorf("patch: %d", p.status)
					continue
				}
				mu.Lock()
				writes += 2
				mu.Unlock()
			}
		})
		var seqs []int
		cursor := ""
		for {
			r := e.do("GET", "/v1/changes?limit=7&cursor="+cursor, tok, nil)
			var page struct {
				Data []struct {
					Seq int `json:"seq"`
				} `json:"data"`
				NextCursor string `json:"nextCursor"`
			}
			if err := json.Unmarshal(r.body, &page); err != nil {
				t.Fatal(err)
			}
			if len(page.Data) == 0 {
				break
			}
			for _, d := range page.Data {
				seqs = append(seqs, d.Seq)
			}
			cursor = page.NextCursor
		}
		if len(seqs) != writes {
			t.Errorf("feed has %d entries for %d writes", len(seqs), writes)
		}
		for i, s := range seqs {
			if s != i+1 {
				t.Fatalf("feed seqs are not 1..%d: position %d has %d", len(seqs), i, s)
			}
		}
	})
}
