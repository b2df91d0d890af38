package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/contactd/contactd"
)

// Token news between nodes. A revocation or a tenant change sends a
// notification on tokensChannel, "<tenant id> <token id>" (the token id
// empty for a change to the tenant), in the transaction of the change, so
// it reaches the listeners when that commits, and only then. Every node's
// listener passes it to its Services, which forget what it makes wrong,
// and then acknowledges it on acksChannel, "<its backend pid> <payload>".
// The node that made the change answers once every listener that was
// connected at the commit has acknowledged (ackWait at most): a token
// revoked through one node is refused by every node from the moment the
// revocation returns.
const (
	tokensChannel = "contactd_tokens"
	acksChannel   = "contactd_tokens_ack"
	// listenerName is the application_name of listening connections (a
	// prefix of it in tests), by which a change counts the listeners.
	listenerName = "contactd-token-watch"
)

// notifyTokens sends a notification on tokensChannel for tenant $1 and
// token $2 (or ""), and returns the backend pids of the listeners.
const notifyTokens = `SELECT pg_notify('` + tokensChannel + `', $1 || ' ' || $2), ` + listenerPids

// listenerPids selects the backend pids of every node's listener.
const listenerPids = `(SELECT COALESCE(array_agg(pid), '{}') FROM pg_stat_activity
	WHERE datname = current_database() AND application_name LIKE '` + listenerName + `%')`

// ackWait bounds how long a change waits for the listeners' acknowledgements.
var ackWait = 2 * time.Second

// tokenWatch is the store's listener, shared by the TokenWatch of every
// Service over the store.
type tokenWatch struct {
	mu      sync.Mutex
	watches []contactd.TokenWatch
	started bool
	closed  bool // the store is closed: no listener starts
	stop    context.CancelFunc
	done    chan struct{}
	// For tests: the application_name of its connection (starting with
	// listenerName), and whether its probes are lost.
	listener  string
	probeLost bool
	// tried: the listener's first attempt to listen is over. on: it is
	// listening. awaited: this process's changes waiting for
	// acknowledgements, by payload.
	tried   bool
	on      bool
	awaited map[string][]*acks
}

// acks are the acknowledgements one change waits for.
type acks struct {
	heard map[int32]bool // pids that acknowledged
	want  []int32        // pids that must, once known
	done  chan struct{}  // closed when all have
}

// await prepares a change with payload to wait for the acknowledgements of
// its notification. The returned function is told the listeners' pids once
// the change has committed (nil when it did not), and waits for them; it
// returns at once when this process does not listen (nor then does it
// cache), or on acknowledgements it cannot get once the listener stops.
func (w *tokenWatch) await(payload string) (wait func(pids []int32)) {
	w.firstAttempt()
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.on {
		return func([]int32) {}
	}
	a := &acks{heard: map[int32]bool{}, done: make(chan struct{})}
	if w.awaited == nil {
		w.awaited = map[string][]*acks{}
	}
	w.awaited[payload] = append(w.awaited[payload], a)
	return func(pids []int32) {
		if pids != nil {
			w.mu.Lock()
			a.want = pids
			w.complete(a)
			w.mu.Unlock()
			select {
			case <-a.done:
			case <-time.After(ackWait):
			}
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		if as := slices.DeleteFunc(w.awaited[payload], func(x *acks) bool { return x == a }); len(as) > 0 {
			w.awaited[payload] = as
		} else {
			delete(w.awaited, payload)
		}
	}
}

// firstAttempt waits while the listener is on its first attempt to listen
// (a node just started): a change made meanwhile could not wait for the
// other nodes' acknowledgements.
func (w *tokenWatch) firstAttempt() {
	for deadline := time.Now().Add(probeWait + 2*time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		w.mu.Lock()
		starting := w.started && !w.tried && !w.closed
		w.mu.Unlock()
		if !starting {
			return
		}
	}
}

// complete closes a's channel if every pid it wants has acknowledged.
// w.mu is held.
func (w *tokenWatch) complete(a *acks) {
	if a.want == nil || isClosed(a.done) {
		return
	}
	for _, pid := range a.want {
		if !a.heard[pid] {
			return
		}
	}
	close(a.done)
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// acked records the acknowledgement of payload by the listener pid.
func (w *tokenWatch) acked(payload string, pid int32) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, a := range w.awaited[payload] {
		a.heard[pid] = true
		w.complete(a)
	}
}

// stopped releases every waiting change: this listener will hear no more.
func (w *tokenWatch) stopped() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, as := range w.awaited {
		for _, a := range as {
			if !isClosed(a.done) {
				close(a.done)
			}
		}
	}
	w.awaited, w.on = nil, false
}

// WatchTokens implements contactd.TokenWatcher: one connection per store
// listens. While it is lost, every watch is told it is not listening; it
// reconnects with backoff.
func (s *Store) WatchTokens(w contactd.TokenWatch) {
	s.watch.mu.Lock()
	defer s.watch.mu.Unlock()
	s.watch.watches = append(s.watch.watches, w)
	if s.watch.started || s.watch.closed {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.watch.started, s.watch.stop, s.watch.done = true, cancel, make(chan struct{})
	go s.listenTokens(ctx)
}

// tell calls f on every watch.
func (w *tokenWatch) tell(f func(contactd.TokenWatch)) {
	w.mu.Lock()
	ws := w.watches
	w.mu.Unlock()
	for _, x := range ws {
		f(x)
	}
}

// listenTokens keeps a listening connection until ctx ends.
func (s *Store) listenTokens(ctx context.Context) {
	defer close(s.watch.done)
	keepListening(ctx, func(ctx context.Context) bool {
		heard := s.listenOnce(ctx)
		s.watch.mu.Lock()
		s.watch.tried = true
		s.watch.mu.Unlock()
		s.watch.tell(func(w contactd.TokenWatch) { w.Listening(false) })
		return heard
	})
}

// keepListening calls listen again and again until ctx ends: listen holds
// a listening connection until it fails, and reports whether it got to
// listen. Attempts that did not are spaced out, from 50 ms doubling to 5 s.
func keepListening(ctx context.Context, listen func(context.Context) bool) {
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		if listen(ctx) {
			backoff = 50 * time.Millisecond
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// listenOnce connects, listens and passes notifications on until the
// connection fails or ctx ends. It reports whether it got to listen.
func (s *Store) listenOnce(ctx context.Context) bool {
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = listenerName
	if s.watch.listener != "" {
		cfg.RuntimeParams["application_name"] = s.watch.listener
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `LISTEN `+tokensChannel+`; LISTEN `+acksChannel); err != nil {
		return false
	}
	if !s.probe(ctx, conn) {
		return false
	}
	s.watch.tell(func(w contactd.TokenWatch) { w.Listening(true) })
	s.watch.mu.Lock()
	s.watch.on, s.watch.tried = true, true
	s.watch.mu.Unlock()
	defer s.watch.stopped()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil || s.handle(ctx, conn, n) != nil {
			return true
		}
	}
}

// handle passes a notification on: a change is told to every watch and
// then acknowledged, an acknowledgement to the change waiting for it.
func (s *Store) handle(ctx context.Context, conn *pgx.Conn, n *pgconn.Notification) error {
	if n.Channel == acksChannel {
		pid, payload, _ := strings.Cut(n.Payload, " ")
		if p, err := strconv.ParseInt(pid, 10, 32); err == nil {
			s.watch.acked(payload, int32(p))
		}
		return nil
	}
	tenantID, tokenID, _ := strings.Cut(n.Payload, " ")
	if tenantID == "probe" {
		return nil
	}
	s.watch.tell(func(w contactd.TokenWatch) { w.Changed(tenantID, tokenID) })
	self := strconv.FormatUint(uint64(conn.PgConn().PID()), 10)
	_, err := conn.Exec(ctx, `SELECT pg_notify('`+acksChannel+`', $1)`, self+" "+n.Payload)
	return err
}

// probe sends a notification of its own and reports whether conn hears it
// within probeWait. It does not through a pooler in transaction mode (the
// session that listened is not the one the connection reads from then):
// the caches stay off, and every request reads its token.
func (s *Store) probe(ctx context.Context, conn *pgx.Conn) bool {
	var b [8]byte
	rand.Read(b[:])
	payload := "probe " + hex.EncodeToString(b[:])
	channel := tokensChannel
	if s.watch.probeLost {
		channel = "contactd_nobody" // as through a pooler: never heard
	}
	if _, err := conn.Exec(ctx, `SELECT pg_notify($1, $2)`, channel, payload); err != nil {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, probeWait)
	defer cancel()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return false
		}
		if n.Payload == payload {
			return true
		}
		// Meanwhile, other nodes' changes: nothing is cached yet, but
		// they wait for this listener too.
		if s.handle(ctx, conn, n) != nil {
			return false
		}
	}
}

// probeWait bounds the wait for a probe's notification.
var probeWait = 3 * time.Second

// stopWatching ends the listener, if any, and waits for it.
func (s *Store) stopWatching() {
	s.watch.mu.Lock()
	started := s.watch.started
	s.watch.closed = true
	s.watch.mu.Unlock()
	if started {
		s.watch.stop()
		<-s.watch.done
	}
}
