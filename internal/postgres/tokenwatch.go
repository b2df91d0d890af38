package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/contactd/contactd"
)

// tokensChannel is the notification channel of revocations and tenant
// changes. A notification's payload is "<tenant id> <token id>", the token
// id empty for a change to the tenant; it is sent in the transaction of the
// change, so it reaches the listeners when that commits, and only then.
const tokensChannel = "contactd_tokens"

// notifyTokens is the statement that sends a notification on tokensChannel
// for tenant $1 and token $2 (or "").
const notifyTokens = `SELECT pg_notify('` + tokensChannel + `', $1 || ' ' || $2)`

// tokenWatch is the store's listener on tokensChannel, shared by the
// TokenWatch of every Service over the store.
type tokenWatch struct {
	mu       sync.Mutex
	watches  []contactd.TokenWatch
	started  bool
	stop     context.CancelFunc
	done     chan struct{}
	listener string // application_name of its connection, for tests
	// on: the listener is listening. echoes: the notifications this
	// process sent and waits to hear back, by payload.
	on     bool
	echoes map[string][]chan struct{}
}

// echo prepares to wait for the notification this process is about to send
// with payload: the returned function, told the notification was sent
// (committed), waits until the listener hears it (or a second at most);
// told it was not, it stops waiting for it. Every listener is signalled at the commit that
// sends it, so once this process has heard it, the others have too, or
// are about to: a change answers after every node's cache has forgotten
// what it makes wrong, barring a node that is slow to read its mail. The
// function returns at once when nothing listens.
func (w *tokenWatch) echo(payload string) (wait func(sent bool)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.on {
		return func(bool) {}
	}
	ch := make(chan struct{})
	if w.echoes == nil {
		w.echoes = map[string][]chan struct{}{}
	}
	w.echoes[payload] = append(w.echoes[payload], ch)
	return func(sent bool) {
		if sent {
			select {
			case <-ch:
				return
			case <-time.After(time.Second):
			}
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		if chs := slices.DeleteFunc(w.echoes[payload], func(c chan struct{}) bool { return c == ch }); len(chs) > 0 {
			w.echoes[payload] = chs
		} else {
			delete(w.echoes, payload)
		}
	}
}

// heard closes the channels waiting for payload, or all of them when the
// listener stops (nothing more will be heard).
func (w *tokenWatch) heard(payload string, stopped bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for p, chs := range w.echoes {
		if stopped || p == payload {
			for _, ch := range chs {
				close(ch)
			}
			delete(w.echoes, p)
		}
	}
	if stopped {
		w.on = false
	}
}

// WatchTokens implements contactd.TokenWatcher: one connection per store
// LISTENs on tokensChannel. While it is lost, every watch is told it is
// not listening; it reconnects with backoff.
func (s *Store) WatchTokens(w contactd.TokenWatch) {
	s.watch.mu.Lock()
	defer s.watch.mu.Unlock()
	s.watch.watches = append(s.watch.watches, w)
	if s.watch.started {
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
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		heard := s.listenOnce(ctx)
		s.watch.tell(func(w contactd.TokenWatch) { w.Listening(false) })
		if heard {
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
	if s.watch.listener != "" {
		cfg.RuntimeParams["application_name"] = s.watch.listener
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `LISTEN `+tokensChannel); err != nil {
		return false
	}
	if !s.probe(ctx, conn) {
		return false
	}
	s.watch.tell(func(w contactd.TokenWatch) { w.Listening(true) })
	s.watch.mu.Lock()
	s.watch.on = true
	s.watch.mu.Unlock()
	defer s.watch.heard("", true)
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true
		}
		tenantID, tokenID, _ := strings.Cut(n.Payload, " ")
		s.watch.tell(func(w contactd.TokenWatch) { w.Changed(tenantID, tokenID) })
		s.watch.heard(n.Payload, false)
	}
}

// probe sends a notification of its own and reports whether conn hears it
// within probeWait. It does not through a pooler in transaction mode (the
// session that listened is not the one the connection reads from then):
// the caches stay off, and every request reads its token.
func (s *Store) probe(ctx context.Context, conn *pgx.Conn) bool {
	var b [8]byte
	rand.Read(b[:])
	payload := "probe " + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, notifyTokens, "probe", hex.EncodeToString(b[:])); err != nil {
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
	}
}

// probeWait bounds the wait for a probe's notification.
const probeWait = 3 * time.Second

// stopWatching ends the listener, if any, and waits for it.
func (s *Store) stopWatching() {
	s.watch.mu.Lock()
	started := s.watch.started
	s.watch.mu.Unlock()
	if started {
		s.watch.stop()
		<-s.watch.done
	}
}
