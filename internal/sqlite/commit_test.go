package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// TestGroupCommit runs many concurrent writes, every third of which fails
// after writing and every tenth of which panics: each gets its own
// outcome, and exactly the successful writes are stored.
func TestGroupCommit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openTemp(t)
	if _, err := s.write.Exec(`CREATE TABLE scratch (n INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	const n = 600
	errFail := errors.New("refused")
	results := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
				if _, err := tx.ExecContext(ctx, `INSERT INTO scratch (n) VALUES (?)`, i); err != nil {
					return err
				}
				switch {
				case i%10 == 0:
					panic(fmt.Sprint("write ", i))
				case i%3 == 0:
					return errFail
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i, err := range results {
		var stored int
		if qerr := s.read.QueryRow(`SELECT COUNT(*) FROM scratch WHERE n = ?`, i).Scan(&stored); qerr != nil {
			t.Fatal(qerr)
		}
		switch {
		case i%10 == 0:
			if err == nil || stored != 0 {
				t.Errorf("write %d panicked: error %v, stored %d", i, err, stored)
			}
		case i%3 == 0:
			if !errors.Is(err, errFail) || stored != 0 {
				t.Errorf("write %d failed: error %v, stored %d", i, err, stored)
			}
		default:
			if err != nil || stored != 1 {
				t.Errorf("write %d: error %v, stored %d", i, err, stored)
			}
		}
	}
}

// TestGroupCommitCancelledWhileQueued: a write whose caller gave up before
// it ran is not run.
func TestGroupCommitCancelledWhileQueued(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error { ran = true; return nil })
	if !errors.Is(err, context.Canceled) || ran {
		t.Errorf("cancelled write: error %v, ran %v", err, ran)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.inTx(context.Background(), func(ctx context.Context, tx *sql.Tx) error { return nil }); err == nil {
		t.Errorf("a write after Close succeeded")
	}
}

// TestCheckpointAfterCommit: the writer leaves checkpoints to the
// checkpointer, which runs one after a commit.
func TestCheckpointAfterCommit(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	var auto int
	if err := s.write.QueryRow(`PRAGMA wal_autocheckpoint`).Scan(&auto); err != nil || auto != 0 {
		t.Errorf("the writer's wal_autocheckpoint is %d (%v), want 0", auto, err)
	}
	before := s.checkpoints.Load()
	if err := s.inTx(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE scratch (n INTEGER)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.checkpoints.Load() == before {
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint after a commit")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// openTemp opens a new store in a temporary directory, closed when the
// test ends.
func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestWriterFinishesLongCheckpoint: when the checkpointer finds the WAL
// longer than the limit, the writer runs a checkpoint itself after its next
// commit (so that the following transaction can restart the WAL), and not
// before.
func TestWriterFinishesLongCheckpoint(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	s.walLimit = 0 // before any write; the goroutines read it after the first
	write := func(q string) {
		t.Helper()
		if err := s.inTx(context.Background(), func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, q)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	write(`CREATE TABLE scratch (n INTEGER)`)
	deadline := time.Now().Add(10 * time.Second)
	if n := s.writerCheckpoints.Load(); n != 0 {
		t.Errorf("the writer checkpointed %d times before the WAL was reported long", n)
	}
	for !s.walLarge.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the checkpointer did not report a WAL over the limit")
		}
		time.Sleep(5 * time.Millisecond)
	}
	write(`INSERT INTO scratch (n) VALUES (1)`)
	for s.writerCheckpoints.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the writer did not checkpoint after a commit with the WAL over the limit")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestAloneWriteHasItsOwnTransaction: writes queued behind a running one
// share the next transaction, except a write made with inTxAlone, which
// runs in one of its own between the groups before and after it, in the
// order queued.
func TestAloneWriteHasItsOwnTransaction(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	ctx := context.Background()
	release := make(chan struct{})
	started := make(chan struct{})
	go s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		close(started)
		<-release
		return nil
	})
	<-started
	var mu sync.Mutex
	var order []string
	txOf := map[string]*sql.Tx{}
	job := func(name string) func(ctx context.Context, tx *sql.Tx) error {
		return func(ctx context.Context, tx *sql.Tx) error {
			mu.Lock()
			defer mu.Unlock()
			order = append(order, name)
			txOf[name] = tx
			return nil
		}
	}
	var wg sync.WaitGroup
	queue := func(name string, alone bool) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if alone {
				err = s.inTxAlone(ctx, job(name))
			} else {
				err = s.inTx(ctx, job(name))
			}
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}()
		time.Sleep(20 * time.Millisecond) // queued in this order
	}
	queue("a1", false)
	queue("a2", false)
	queue("bulk", true)
	queue("c1", false)
	queue("c2", false)
	close(release)
	wg.Wait()
	if fmt.Sprint(order) != "[a1 a2 bulk c1 c2]" {
		t.Errorf("ran in the order %v", order)
	}
	if txOf["a1"] != txOf["a2"] || txOf["c1"] != txOf["c2"] {
		t.Errorf("writes queued together did not share a transaction")
	}
	if txOf["bulk"] == txOf["a2"] || txOf["bulk"] == txOf["c1"] {
		t.Errorf("the alone write shared a transaction")
	}
}
