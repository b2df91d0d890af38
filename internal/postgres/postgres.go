// Package postgres is the PostgreSQL store of contactd, for deployments that
// run several stateless contactd nodes over one database.
//
// It implements the same contactd.Store contract as the SQLite store and
// passes the same conformance suite. Uniqueness, optimistic concurrency and
// the order of the change log are enforced by the database, so any number of
// nodes may write concurrently.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlq"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the embedded migration files.
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrations, "migrations")
	return sub
}

// Store is a contactd.Store on PostgreSQL.
type Store struct {
	pool    *pgxpool.Pool
	watch   tokenWatch
	changes changeWatch
	metrics *metricsTracer
}

var _ contactd.Store = (*Store)(nil)

// Open connects to the database at url (a postgres:// URL or a key=value
// connection string) and migrates it to the current schema.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return open(ctx, cfg)
}

// open connects with a parsed configuration and migrates.
func open(ctx context.Context, cfg *pgxpool.Config) (*Store, error) {
	tr := &metricsTracer{inner: cfg.ConnConfig.Tracer}
	cfg.ConnConfig.Tracer = tr
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	s := &Store{pool: pool, metrics: tr}
	if err := s.Migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Migrate applies the embedded migrations that the database lacks. Nodes
// starting together serialize on goose's session lock.
func (s *Store) Migrate(ctx context.Context) error {
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	p, err := provider(db)
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

// provider returns the migration provider. Nodes starting together take
// turns through a lock row (goose_lock) rather than a session advisory
// lock, so migrating works through a transaction-mode connection pooler.
func provider(db *sql.DB) (*goose.Provider, error) {
	locker, err := lock.NewPostgresTableLocker(
		lock.WithTableLockTimeout(200*time.Millisecond, 1500),
		lock.WithTableLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return nil, fmt.Errorf("postgres: migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, Migrations(), goose.WithLocker(locker))
	if err != nil {
		return nil, fmt.Errorf("postgres: migrations: %w", err)
	}
	return p, nil
}

// SchemaCurrent implements contactd.Store.
func (s *Store) SchemaCurrent(ctx context.Context) (bool, error) {
	var v int64
	if err := s.pool.QueryRow(ctx, sqlq.AppliedVersion).Scan(&v); err != nil {
		return false, interpretError(err)
	}
	want, err := sqlq.LatestMigration(Migrations())
	return v == want, err
}

// Optimize brings the planner's statistics and the visibility map of the
// contact tables up to date (VACUUM ANALYZE), as autovacuum would a while
// after a bulk load: until then the planner misjudges how many rows a
// tenant's ranges hold, and index-only scans read the table to check each
// row's visibility.
func (s *Store) Optimize(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `VACUUM (ANALYZE) contacts, contact_terms, contact_tags, contact_phones, contact_emails, changes`)
	if err != nil {
		return fmt.Errorf("postgres: optimize: %w", err)
	}
	return nil
}

// Ping implements contactd.Store.
func (s *Store) Ping(ctx context.Context) error { return interpretError(s.pool.Ping(ctx)) }

// Close implements contactd.Store.
func (s *Store) Close() error {
	s.stopWatching()
	s.changes.close()
	s.pool.Close()
	return nil
}

// SQLSTATE codes the store translates.
const (
	uniqueViolation      = "23505"
	serializationFailure = "40001"
	deadlockDetected     = "40P01"
)

// interpretError translates driver errors into contactd errors by SQLSTATE.
// Errors it does not recognise are returned unchanged (internal).
func interpretError(err error) error {
	if err == nil {
		return nil
	}
	if contactd.IsDomainError(err) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return &contactd.Error{Code: contactd.ENotFound, Message: "not found"}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case uniqueViolation:
			return &contactd.ConflictError{} // the checks before the write name the object; here it is not known
		}
	}
	return err
}

// collect returns a function that scans every row of a query with the
// scanner of its table: collect(scanTag)(tx.Query(…)).
func collect[T any](scan func(pgx.Row) (T, error)) func(rows pgx.Rows, err error) ([]T, error) {
	return func(rows pgx.Rows, err error) ([]T, error) {
		if err != nil {
			return nil, interpretError(err)
		}
		out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
		return out, interpretError(err)
	}
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// inTx runs f in a read-committed transaction, retrying a transaction that
// lost a deadlock or serialization race.
func (s *Store) inTx(ctx context.Context, f func(tx pgx.Tx) error) error {
	for attempt := 0; ; attempt++ {
		err := pgx.BeginFunc(ctx, s.pool, f)
		var pe *pgconn.PgError
		if errors.As(err, &pe) && (pe.Code == serializationFailure || pe.Code == deadlockDetected) && attempt < 5 {
			continue
		}
		return err
	}
}

// constraintOf returns the name of the constraint a unique violation broke.
func constraintOf(err error) (string, bool) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == uniqueViolation {
		return pe.ConstraintName, true
	}
	return "", false
}

// list reads a list whose query build makes (sqlq), with the scanner of
// its table.
func list[T any](ctx context.Context, s *Store, build func(*sqlq.Builder) string, scan func(pgx.Row) (T, error)) ([]T, error) {
	b := sqlq.NewBuilder(sqlq.Postgres)
	q := build(b)
	return collect(scan)(s.pool.Query(ctx, q, b.Args()...))
}

// count reads the count of a list whose query build makes.
func count(ctx context.Context, s *Store, build func(*sqlq.Builder) string) (int, error) {
	b := sqlq.NewBuilder(sqlq.Postgres)
	q := build(b)
	var n int
	err := s.pool.QueryRow(ctx, q, b.Args()...).Scan(&n)
	return n, interpretError(err)
}
