package logbuf

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the flusher goroutine.
type syncBuffer struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestLinesArriveWholeAndInOrder(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	w := New(&out, time.Hour)
	var want strings.Builder
	for i := range 5000 {
		line := strings.Repeat("x", i%300) + "\n"
		want.WriteString(line)
		if _, err := w.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	big := strings.Repeat("y", Size+10) + "\n"
	want.WriteString(big)
	w.Write([]byte(big))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if out.String() != want.String() {
		t.Fatalf("output differs from the lines written (%d vs %d bytes)", len(out.String()), want.Len())
	}
	if out.writes >= 5000/2 {
		t.Errorf("%d writes for 5001 lines: not buffered", out.writes)
	}
	w.Write([]byte("after close\n"))
	if !strings.HasSuffix(out.String(), "after close\n") {
		t.Errorf("a write after Close is held back")
	}
}

func TestIntervalFlush(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	w := New(&out, 5*time.Millisecond)
	defer w.Close()
	w.Write([]byte("line\n"))
	deadline := time.Now().Add(10 * time.Second)
	for out.String() != "line\n" {
		if time.Now().After(deadline) {
			t.Fatal("a buffered line was not flushed by the interval")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	var out syncBuffer
	w := New(&out, time.Millisecond)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				w.Write([]byte{'a' + byte(g), '\n'})
			}
		}()
	}
	wg.Wait()
	w.Close()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 8000 {
		t.Fatalf("%d lines, want 8000", len(lines))
	}
	for _, l := range lines {
		if len(l) != 1 {
			t.Fatalf("a torn line: %q", l)
		}
	}
}
