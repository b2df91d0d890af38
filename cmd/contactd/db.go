package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/postgres"
	"github.com/contactd/contactd/internal/sqlite"
)

const defaultDB = "./contactd.db"

// newFlags returns a flag set with --db, whose default comes from CONTACTD_DB.
func newFlags(name string, stderr io.Writer, getenv func(string) string) (*pflag.FlagSet, *string) {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	def := getenv("CONTACTD_DB")
	if def == "" {
		def = defaultDB
	}
	db := fs.String("db", def, "database: a SQLite file path (sqlite:PATH also works) or a postgres:// URL; env CONTACTD_DB")
	return fs, db
}

// errHelp ends a command whose --help was asked for: main exits 0.
var errHelp = errors.New("help shown")

func parse(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return errHelp // the usage is printed; asking for it is no error
		}
		return usageError{err.Error()}
	}
	return nil
}

// openStore opens and migrates the database named by a --db value.
func openStore(ctx context.Context, db string) (contactd.Store, error) {
	if isPostgres(db) {
		return postgres.Open(ctx, db)
	}
	return sqlite.Open(ctx, sqlitePath(db))
}

// isPostgres reports whether a --db value names a PostgreSQL database.
func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// sqlitePath is the file path of a --db value naming a SQLite database.
func sqlitePath(db string) string {
	return strings.TrimPrefix(strings.TrimPrefix(db, "sqlite://"), "sqlite:")
}

// useTenant opens the database for a command that works on one tenant's
// data directly: the Service over it, a principal of the tenant acting as
// actor with scopes, and done, which closes the database.
func useTenant(ctx context.Context, db, tenant, actor string, scopes []contactd.Scope) (*contactd.Service, contactd.Principal, func(), error) {
	store, err := openStore(ctx, db)
	if err != nil {
		return nil, contactd.Principal{}, nil, err
	}
	svc := contactd.NewService(store, nil)
	t, err := svc.FindTenant(ctx, tenant)
	if err != nil {
		store.Close()
		return nil, contactd.Principal{}, nil, fmt.Errorf("tenant %q: %w", tenant, err)
	}
	p := contactd.Principal{TenantID: t.ID, Actor: actor, Scopes: scopes, Region: t.DefaultRegion}
	return svc, p, func() { store.Close() }, nil
}
