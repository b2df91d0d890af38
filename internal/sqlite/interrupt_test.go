package sqlite

import (
	"context"
	"testing"
	"time"
)

// TestDeadlineInterruptsQuery: a read whose context runs out is
// interrupted inside SQLite (the request budget depends on it; a query
// that ignored its context would hold a reader and a core to its end), and
// the readers keep working afterwards.
func TestDeadlineInterruptsQuery(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	var n int64
	// Counts forever unless interrupted.
	err := s.read.QueryRowContext(ctx, `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c`).Scan(&n)
	if err == nil {
		t.Fatalf("the endless query returned %d", n)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("the query ran %v past a 100 ms deadline", took)
	}
	for range 10 {
		if err := s.read.QueryRowContext(t.Context(), `SELECT 1`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("a reader after the interrupt: %d, %v", n, err)
		}
	}
}
