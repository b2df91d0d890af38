// Package storetest is the conformance suite of the contactd.Store contract
// and the registry of store backends that tests run against. Every backend
// must pass the same suite unchanged; the API tests run on every backend too.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/postgres"
	"github.com/contactd/contactd/internal/sqlite"
)

// Backend is a store implementation under test.
type Backend struct {
	Name string
	// Open returns a new, empty, migrated store that is closed when the
	// test ends. Stores from separate calls share nothing.
	Open func(t testing.TB) contactd.Store
}

// PostgresURLEnv names the environment variable with the URL of a
// PostgreSQL database for tests; each store gets its own schema in it.
const PostgresURLEnv = "CONTACTD_TEST_POSTGRES_URL"

// Backends returns every backend available in this environment: SQLite
// always, PostgreSQL when CONTACTD_TEST_POSTGRES_URL is set.
func Backends() []Backend {
	bs := []Backend{{Name: "sqlite", Open: openSQLite}}
	if os.Getenv(PostgresURLEnv) != "" {
		bs = append(bs, Backend{Name: "postgres", Open: openPostgres})
	}
	return bs
}

// PostgresURL returns the URL of a new, empty schema in the test database
// (CONTACTD_TEST_POSTGRES_URL), dropped when the test ends, so that tests
// run in parallel without seeing each other. It skips the test when the
// variable is not set.
func PostgresURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv(PostgresURLEnv)
	if url == "" {
		t.Skipf("%s is not set", PostgresURLEnv)
	}
	ctx := context.Background()
	var b [6]byte
	rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect to %s: %v", PostgresURLEnv, err)
	}
	defer admin.Close(ctx)
	// The migrations create pg_trgm where it is missing, in the first
	// schema of the search path: here that would be a test's own schema,
	// and dropping it would take the extension from every other test. So
	// it is made once, in public, before any test's migrations run (tests
	// of several packages may race to make it).
	if _, err := admin.Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"); err != nil {
		var n int
		if admin.QueryRow(ctx, "SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'").Scan(&n); n == 0 {
			t.Fatalf("create extension pg_trgm: %v", err)
		}
	}
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), url)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(context.Background())
		if _, err := c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	return url + sep + "search_path=" + schema
}

// openPostgres opens a store in a new schema of the test database.
func openPostgres(t testing.TB) contactd.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), PostgresURL(t)+"&pool_max_conns=8")
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
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
