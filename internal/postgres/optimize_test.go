package postgres_test

import (
	"context"
	"testing"

	"github.com/contactd/contactd/internal/postgres"
	"github.com/contactd/contactd/internal/storetest"
)

// TestOptimize: refreshing statistics works on a migrated schema (VACUUM
// cannot run in a transaction, so it must be sent on its own).
func TestOptimize(t *testing.T) {
	s, err := postgres.Open(context.Background(), storetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Optimize(t.Context()); err != nil {
		t.Fatal(err)
	}
}
