package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Group commit. SQLite has one writer at a time, and what a small write
// costs is mostly its commit: writing the pages it dirtied to the WAL, and
// now and then a checkpoint. So the writes that arrive while a transaction
// is running are not run one transaction each: the next transaction runs
// all of them, each inside a savepoint of its own (a write that fails is
// rolled back alone and gets its own error), and commits once. Every
// caller returns after the commit that holds its write, so a write is
// durable and visible to readers when inTx returns, as before.

// maxGroup bounds the writes of one transaction.
const maxGroup = 128

// writeJob is one inTx call waiting for the writer.
type writeJob struct {
	ctx  context.Context
	f    func(ctx context.Context, tx *sql.Tx) error
	done chan error
	// alone runs the write in a transaction of its own (inTxAlone).
	alone bool
}

// inTx runs f in a write transaction (BEGIN IMMEDIATE on the writer),
// possibly together with other callers' functions (see above); its changes
// are rolled back when it returns an error. f gets a context that is not
// cancelled with ctx: once started, a write runs to its end, because a
// statement interrupted by a cancellation would make SQLite roll back the
// whole transaction, other callers' writes included. A caller that gives
// up while its write is queued gets ctx's error, and its write is not run.
func (s *Store) inTx(ctx context.Context, f func(ctx context.Context, tx *sql.Tx) error) error {
	return s.run(&writeJob{ctx: ctx, f: f, done: make(chan error, 1)})
}

// inTxAlone is inTx for a large write, which runs in a transaction of its
// own rather than in a savepoint among others. Inside a savepoint, SQLite
// keeps every page the write changes in its statement journal, and each
// statement's own savepoint then walks that journal when it ends: a bulk
// insert of thousands of rows slowed down quadratically (a 100,000-contact
// load by three to five times, the journal's upkeep its largest cost).
func (s *Store) inTxAlone(ctx context.Context, f func(ctx context.Context, tx *sql.Tx) error) error {
	return s.run(&writeJob{ctx: ctx, f: f, done: make(chan error, 1), alone: true})
}

func (s *Store) run(j *writeJob) error {
	ctx := j.ctx
	select {
	case <-s.closed:
		return errClosed
	default:
	}
	select {
	case s.jobs <- j:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.closed:
		return errClosed
	}
	select {
	case err := <-j.done:
		return err
	case <-s.writerDone:
		// The writer stopped; it may have answered just before.
		select {
		case err := <-j.done:
			return err
		default:
			return errClosed
		}
	}
}

var errClosed = fmt.Errorf("sqlite: the store is closed")

// writer runs the queued writes until the store closes.
func (s *Store) writer() {
	defer close(s.writerDone)
	batch := make([]*writeJob, 0, maxGroup)
	var next *writeJob // an alone job that ended the last group's filling
	for {
		if next != nil {
			batch, next = append(batch[:0], next), nil
		} else {
			select {
			case j := <-s.jobs:
				batch = append(batch[:0], j)
			case <-s.closed:
				return
			}
		}
	fill:
		for len(batch) < maxGroup && !batch[0].alone {
			select {
			case j := <-s.jobs:
				if j.alone {
					next = j
					break fill
				}
				batch = append(batch, j)
			default:
				break fill
			}
		}
		s.runGroup(batch)
		if s.walLarge.Swap(false) {
			s.finishCheckpoint()
		}
		select {
		case s.kick <- struct{}{}:
		default:
		}
		s.prepareNoted()
	}
}

// walRestartFrames is the WAL length (in pages) past which the writer
// helps the checkpointer (see finishCheckpoint).
const walRestartFrames = 16384

// finishCheckpoint checkpoints from the writer, between two transactions.
// The WAL file starts again from its beginning only when a transaction
// begins after a checkpoint has copied every frame; under a steady stream
// of writes the checkpointer never sees that moment, so the WAL would grow
// without end (to gigabytes in a bulk load). The checkpointer has copied
// most frames already, so this is short; the next transaction then
// restarts the WAL.
func (s *Store) finishCheckpoint() {
	if _, err := s.write.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err == nil { // best effort, as the checkpointer's
		s.writerCheckpoints.Add(1)
	}
}

// checkpointInterval is the least time between two checkpoints.
const checkpointInterval = 100 * time.Millisecond

// checkpointer copies committed pages from the WAL into the database file
// after commits, at most every checkpointInterval, on a connection of its
// own. SQLite would otherwise do it inside a commit every thousand pages,
// stalling the writer, and every write behind it, for as long (about a
// sixth of a create's time). A PASSIVE checkpoint never blocks the writer
// or readers; the WAL restarts from its beginning once a checkpoint has
// copied all of it.
func (s *Store) checkpointer() {
	defer close(s.ckptDone)
	for {
		select {
		case <-s.kick:
		case <-s.closed:
			return
		}
		var busy, frames, copied int
		if err := s.ckpt.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied); err == nil { // else the next commit tries again
			s.checkpoints.Add(1)
			if frames > s.walLimit {
				s.walLarge.Store(true)
			}
		}
		select {
		case <-time.After(checkpointInterval):
		case <-s.closed:
			return
		}
	}
}

// runGroup runs jobs in one transaction and tells each its outcome.
func (s *Store) runGroup(jobs []*writeJob) {
	if m := s.metrics.Load(); m != nil {
		defer func(start time.Time) { (*m).Commit(len(jobs), time.Since(start)) }(time.Now())
	}
	results := make([]error, len(jobs))
	tx, err := s.write.BeginTx(context.Background(), nil)
	if err != nil {
		for _, j := range jobs {
			j.done <- interpretError(err)
		}
		return
	}
	// abort ends the group when the transaction is in an unknown state:
	// nothing commits, and every job that had not failed gets err.
	abort := func(err error) {
		tx.Rollback()
		s.wakeNoted(false)
		for k, j := range jobs {
			if results[k] == nil {
				results[k] = err
			}
			j.done <- interpretError(results[k])
		}
	}
	ran := 0
	for i, j := range jobs {
		if err := j.ctx.Err(); err != nil {
			results[i] = err // gave up waiting; not run
			continue
		}
		ctx := context.WithoutCancel(j.ctx) // see inTx
		if len(jobs) == 1 {
			results[i] = protect(func() error { return j.f(ctx, tx) })
			ran++
			continue
		}
		if _, err := tx.ExecContext(ctx, `SAVEPOINT job`); err != nil {
			abort(err)
			return
		}
		if results[i] = protect(func() error { return j.f(ctx, tx) }); results[i] != nil {
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO job`); err != nil {
				abort(err)
				return
			}
		} else {
			ran++
		}
		if _, err := tx.ExecContext(ctx, `RELEASE job`); err != nil {
			abort(err)
			return
		}
	}
	var commitErr error
	if len(jobs) == 1 && results[0] != nil || ran == 0 {
		tx.Rollback()
		s.wakeNoted(false)
	} else {
		commitErr = tx.Commit()
		s.wakeNoted(commitErr == nil)
	}
	for i, j := range jobs {
		if results[i] == nil {
			results[i] = commitErr
		}
		j.done <- interpretError(results[i])
	}
}

// protect turns a panic in f into an error, so that one write's bug does
// not stop the writer.
func protect(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("sqlite: write panicked: %v", r)
		}
	}()
	return f()
}
