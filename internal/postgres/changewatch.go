package postgres

import (
	"cmp"
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/wake"
)

// Long polls of the change feed. A trigger on the changes table notifies
// changesChannel with the tenant of every statement that adds changes
// (migration 00015); PostgreSQL delivers the notification when the
// transaction commits, to every node listening. Each store listens on a
// connection of its own, started by the first wait, and wakes the waits of
// the tenant named. The first wait waits (listenWait at most) until the
// connection listens. While that connection is lost, waits last their
// full time (the client then polls again); once it listens again, every
// wait is woken to read the log, in case it missed something meanwhile.

const (
	changesChannel = "contactd_changes"
	// changeListenerName is the application_name of the connection.
	changeListenerName = "contactd-change-watch"
)

// listenWait bounds how long the first wait waits for the listener.
const listenWait = 5 * time.Second

// changeWatch is the store's listener and the waits it wakes.
type changeWatch struct {
	waits  wake.Hub
	mu     sync.Mutex
	start  sync.Once
	stop   context.CancelFunc
	done   chan struct{}
	closed bool
	// tried closes when the listener's first attempt to listen is over;
	// listened says that some attempt got to listen.
	tried    chan struct{}
	listened bool
	// name is the application_name of the connection, when not
	// changeListenerName (tests).
	name string
}

// ChangeSignal implements contactd.Store.
func (s *Store) ChangeSignal(tenantID string) (<-chan struct{}, func()) {
	s.changes.start.Do(func() {
		s.changes.mu.Lock()
		if s.changes.closed {
			s.changes.mu.Unlock()
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		s.changes.stop, s.changes.done, s.changes.tried = cancel, make(chan struct{}), make(chan struct{})
		tried := s.changes.tried
		// (Not held while waiting: the listener takes it once it listens.)
		s.changes.mu.Unlock()
		go s.listenChanges(ctx)
		select {
		case <-tried:
		case <-time.After(listenWait):
		}
	})
	return s.changes.waits.Wait(tenantID)
}

// listenChanges keeps a listening connection until ctx ends, reconnecting
// with backoff.
func (s *Store) listenChanges(ctx context.Context) {
	defer close(s.changes.done)
	first := true
	keepListening(ctx, func(ctx context.Context) bool {
		listened := s.listenChangesOnce(ctx, first)
		if first && !listened {
			close(s.changes.tried) // (one that listened told it then)
		}
		first = false
		return listened
	})
}

// listenChangesOnce listens until the connection fails or ctx ends, and
// reports whether it got to listen. The first attempt tells the first
// wait as soon as it listens.
func (s *Store) listenChangesOnce(ctx context.Context, first bool) bool {
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = cmp.Or(s.changes.name, changeListenerName)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `LISTEN `+changesChannel); err != nil {
		return false
	}
	s.changes.mu.Lock()
	again := s.changes.listened
	s.changes.listened = true
	s.changes.mu.Unlock()
	if again {
		// Changes committed while no connection listened were not heard.
		s.changes.waits.WakeAll()
	}
	if first {
		close(s.changes.tried)
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true
		}
		s.changes.waits.Wake(n.Payload)
	}
}

// close stops the listener and wakes every wait.
func (w *changeWatch) close() {
	w.mu.Lock()
	w.closed = true
	stop, done := w.stop, w.done
	w.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
	w.waits.Close()
}

// ChangeHorizon implements contactd.Store.
func (s *Store) ChangeHorizon(ctx context.Context, tenantID string) (contactd.ChangeHorizon, error) {
	var h contactd.ChangeHorizon
	err := s.pool.QueryRow(ctx, `SELECT changes_pruned_through, change_seq FROM tenants WHERE id = $1`, tenantID).Scan(&h.Pruned, &h.Last)
	if errors.Is(err, pgx.ErrNoRows) {
		return h, contactd.Errorf(contactd.ENotFound, "tenant %q not found", tenantID)
	}
	return h, interpretError(err)
}

// PruneChanges implements contactd.Store. The tenant row is locked first,
// as by every write, so that nodes pruning at once take turns; the changes
// removed are a prefix of the log: up to max after the last pruned, ending
// before the first made at or after before and before the first an enabled
// subscription has not handled.
func (s *Store) PruneChanges(ctx context.Context, tenantID string, before time.Time, max int) (int, error) {
	var n int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var pruned int64
		if err := tx.QueryRow(ctx, `SELECT changes_pruned_through FROM tenants WHERE id = $1 FOR UPDATE`, tenantID).Scan(&pruned); err != nil {
			return err
		}
		var through *int64
		if err := tx.QueryRow(ctx, `WITH next AS (SELECT seq, at FROM changes WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3),
			kept AS (SELECT MIN(seq) AS seq FROM next WHERE at >= $4)
			SELECT MAX(next.seq) FROM next, kept WHERE kept.seq IS NULL OR next.seq < kept.seq`,
			tenantID, pruned, max, before).Scan(&through); err != nil {
			return err
		}
		if through == nil {
			return nil
		}
		// Never past what an enabled subscription has yet to deliver.
		var held *int64
		if err := tx.QueryRow(ctx, `SELECT MIN(cursor) FROM webhooks WHERE tenant_id = $1 AND enabled`, tenantID).Scan(&held); err != nil {
			return err
		}
		if held != nil && *held < *through {
			if *through = *held; *through <= pruned {
				return nil
			}
		}
		tag, err := tx.Exec(ctx, `DELETE FROM changes WHERE tenant_id = $1 AND seq > $2 AND seq <= $3`, tenantID, pruned, *through)
		if err != nil {
			return err
		}
		n = int(tag.RowsAffected())
		_, err = tx.Exec(ctx, `UPDATE tenants SET changes_pruned_through = $1 WHERE id = $2`, *through, tenantID)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, contactd.Errorf(contactd.ENotFound, "tenant %q not found", tenantID)
	}
	return n, err
}
