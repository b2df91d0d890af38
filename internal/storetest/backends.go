// Package storetest is the conformance suite of the contactd.Store contract
// and the registry of store backends that tests run against. Every backend
// must pass the same suite unchanged; the API tests run on every backend too.
package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlite"
)

// Backend is a store implementation under test.
type Backend struct {
	Name string
	// Open returns a new, empty, migrated store that is closed when the
	// test ends. Stores from separate calls share nothing.
	Open func(t testing.TB) contactd.Store
}

// Backends returns every backend available in this environment: SQLite
// always.
func Backends() []Backend {
	return []Backend{{Name: "sqlite", Open: openSQLite}}
}

func openSQLite(t testing.TB) contactd.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "contactd.db"))
	if err != nil {
		t.Fatalf("open sqlite: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Each runs f as a parallel subtest for every backend.
func Each(t *testing.T, f func(t *testing.T, b Backend)) {
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) {
			t.Parallel()
			f(t, b)
		})
	}
}
