package storetest_test

import (
	"io/fs"
	"slices"
	"testing"

	"github.com/contactd/contactd/internal/postgres"
	"github.com/contactd/contactd/internal/sqlite"
)

// TestMigrationsNumberedAlike checks that both stores ship the same list of
// migration versions, so a schema change is never made on one database only.
func TestMigrationsNumberedAlike(t *testing.T) {
	t.Parallel()
	list := func(fsys fs.FS) []string {
		names, err := fs.Glob(fsys, "*.sql")
		if err != nil || len(names) == 0 {
			t.Fatalf("no migrations: %v", err)
		}
		var versions []string
		for _, n := range names {
			v, _, ok := cutVersion(n)
			if !ok {
				t.Errorf("migration %s is not named NNNNN_name.sql", n)
			}
			versions = append(versions, v)
		}
		return versions
	}
	lite, pg := list(sqlite.Migrations()), list(postgres.Migrations())
	if !slices.Equal(lite, pg) {
		t.Errorf("migration versions differ:\nsqlite   %v\npostgres %v", lite, pg)
	}
}

func cutVersion(name string) (string, string, bool) {
	for i := 0; i < len(name); i++ {
		if name[i] == '_' {
			return name[:i], name[i+1:], i == 5
		}
		if name[i] < '0' || name[i] > '9' {
			return "", "", false
		}
	}
	return "", "", false
}
