package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// OpenTraced is Open with every statement the store sends reported to tr.
func OpenTraced(ctx context.Context, url string, tr pgx.QueryTracer) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	cfg.ConnConfig.Tracer = tr
	return open(ctx, cfg)
}

// NameListener names the connection of s's token listener (its
// application_name, after listenerName), so a test can find it; call it
// before WatchTokens.
func NameListener(s *Store, name string) { s.watch.listener = listenerName + "-" + name }

// AcksAwaited counts s's changes still waiting for acknowledgements.
func AcksAwaited(s *Store) int {
	s.watch.mu.Lock()
	defer s.watch.mu.Unlock()
	n := 0
	for _, as := range s.watch.awaited {
		n += len(as)
	}
	return n
}

// LoseProbes makes s's token listener send its probes where it does not
// hear them, as through a pooler in transaction mode; call it before
// WatchTokens.
func LoseProbes(s *Store) { s.watch.probeLost = true }

// ShortProbes makes a listener give up on its probe after 200 ms.
func init() { probeWait = 200 * time.Millisecond }

// NameChangeListener names the connection of s's change listener, before
// its first ChangeSignal.
func NameChangeListener(s *Store, name string) { s.changes.name = name }

// QuerySetting reads a run-time setting on one of s's connections.
func QuerySetting(ctx context.Context, s *Store, name string) (string, error) {
	var v string
	err := s.pool.QueryRow(ctx, "SELECT current_setting($1)", name).Scan(&v)
	return v, err
}

// Sleep runs pg_sleep on one of s's connections.
func Sleep(ctx context.Context, s *Store, d time.Duration) error {
	_, err := s.pool.Exec(ctx, "SELECT pg_sleep($1)", d.Seconds())
	return err
}
