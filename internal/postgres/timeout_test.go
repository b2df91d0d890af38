package postgres_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/postgres"
	"github.com/contactd/contactd/internal/storetest"
)

// TestStatementTimeout: a statement_timeout in the URL (as the README
// says) bounds every statement in the database, and a cancelled context
// stops a statement under way (the request budget relies on it).
func TestStatementTimeout(t *testing.T) {
	url := storetest.PostgresURL(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	s, err := postgres.Open(context.Background(), url+sep+"statement_timeout=1500")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := postgres.QuerySetting(t.Context(), s, "statement_timeout"); err != nil || v != "1500ms" {
		t.Fatalf("statement_timeout %q, %v", v, err)
	}
	start := time.Now()
	if err := postgres.Sleep(t.Context(), s, 5*time.Second); err == nil || !strings.Contains(err.Error(), "57014") {
		t.Fatalf("a 5 s statement under a 1.5 s timeout: %v", err)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Fatalf("the statement ran %v", took)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start = time.Now()
	if err := postgres.Sleep(ctx, s, time.Second); err == nil {
		t.Fatal("a cancelled statement finished")
	}
	if took := time.Since(start); took > 900*time.Millisecond {
		t.Fatalf("a statement cancelled at 200 ms ran %v", took)
	}
}

// opsRecorder keeps what a store reports to its metrics.
type opsRecorder struct {
	mu  sync.Mutex
	ops map[string]int
}

func (r *opsRecorder) Query(op string, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops[op]++
}

func (r *opsRecorder) Commit(int, time.Duration) {}

// TestStoreMetrics: with metrics set, every statement is timed under its
// verb.
func TestStoreMetrics(t *testing.T) {
	s, err := postgres.Open(context.Background(), storetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r := &opsRecorder{ops: map[string]int{}}
	s.SetMetrics(r)
	if _, err := s.Tenants(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := postgres.Sleep(t.Context(), s, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ops["select"] < 2 {
		t.Fatalf("timed statements: %v", r.ops)
	}
}
