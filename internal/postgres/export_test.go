package postgres

import (
	"context"
	"fmt"

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
// application_name), so a test can find it; call it before WatchTokens.
func NameListener(s *Store, name string) { s.watch.listener = name }

// EchoesAwaited counts the notifications s's changes still wait to hear.
func EchoesAwaited(s *Store) int {
	s.watch.mu.Lock()
	defer s.watch.mu.Unlock()
	n := 0
	for _, chs := range s.watch.echoes {
		n += len(chs)
	}
	return n
}
