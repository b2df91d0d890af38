// Package sqlite is the embedded SQLite store of contactd.
//
// It keeps two connection pools on one database file in WAL mode: a single
// writer connection, so that writes never contend for the lock inside the
// process, and a pool of readers that never wait for the writer.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlq"
	"github.com/contactd/contactd/internal/wake"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the embedded migration files.
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrations, "migrations")
	return sub
}

// Store is a contactd.Store on SQLite.
type Store struct {
	write *sql.DB
	read  *sql.DB
	// stmts caches the prepared statements of the hot reads (authentication,
	// get, lookup): preparing costs as much as running them.
	stmts sync.Map // query text → *sql.Stmt on read
	// listStmts counts the list and count queries among stmts (listStmt).
	listStmts atomic.Int64
	// metrics hears the time of reads and write transactions (SetMetrics).
	metrics atomic.Pointer[contactd.StoreMetrics]
	// wstmts caches the writer's statements of fixed text (inserts of
	// contacts and their rows), used in transactions through Tx.Stmt.
	wstmts sync.Map // query text → *sql.Stmt on write
	noted  sync.Map // query text → true, to be prepared on write

	// Writes queue for the writer goroutine (see commit.go).
	jobs       chan *writeJob
	closed     chan struct{}
	writerDone chan struct{}
	closeOnce  sync.Once

	// The checkpointer's connection, and its wake-up after each commit.
	ckpt        *sql.DB
	kick        chan struct{}
	ckptDone    chan struct{}
	checkpoints atomic.Int64 // checkpoints run
	walLarge    atomic.Bool  // the WAL outgrew walLimit
	walLimit    int          // walRestartFrames; tests lower it
	// writerCheckpoints counts the writer's own checkpoints.
	writerCheckpoints atomic.Int64

	// Long polls of the change feed: the tenants whose logs the running
	// transaction adds to, and their waiters (see ChangeSignal).
	changedMu   sync.Mutex
	changed     map[string]bool
	changeWaits wake.Hub
}

// readStmt returns the read statement for a fixed query, prepared once.
func (s *Store) readStmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := s.stmts.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	st, err := s.read.PrepareContext(ctx, q)
	if err != nil {
		return nil, interpretError(err)
	}
	if prev, loaded := s.stmts.LoadOrStore(q, st); loaded {
		st.Close()
		return prev.(*sql.Stmt), nil
	}
	return st, nil
}

// writeStmt returns the writer's prepared statement for a fixed query, or
// nil when it is not prepared yet: it cannot be while a transaction holds
// the writer, so it is noted, and the writer prepares it after the commit
// (prepareNoted).
func (s *Store) writeStmt(q string) *sql.Stmt {
	if st, ok := s.wstmts.Load(q); ok {
		return st.(*sql.Stmt)
	}
	s.noted.Store(q, true)
	return nil
}

// prepareNoted prepares the writer's statements noted by writeStmt. The
// writer goroutine calls it between transactions.
func (s *Store) prepareNoted() {
	s.noted.Range(func(q, _ any) bool {
		s.noted.Delete(q)
		if st, err := s.write.Prepare(q.(string)); err == nil {
			s.wstmts.Store(q, st)
		}
		return true
	})
}

// queryRow runs a fixed single-row read through its prepared statement.
func (s *Store) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	defer s.observe("read", time.Now())
	st, err := s.readStmt(ctx, q)
	if err != nil {
		return s.read.QueryRowContext(ctx, q, args...) // reports the error on Scan
	}
	return st.QueryRowContext(ctx, args...)
}

// SetMetrics implements the contactd.StoreMetrics hook: m hears the time
// of each read (until its first row) and each write transaction.
func (s *Store) SetMetrics(m contactd.StoreMetrics) { s.metrics.Store(&m) }

// observe tells the metrics, if any, that a statement of kind op started
// at start has run.
func (s *Store) observe(op string, start time.Time) {
	if m := s.metrics.Load(); m != nil {
		(*m).Query(op, time.Since(start))
	}
}

var _ contactd.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path and migrates it to
// the current schema.
func Open(ctx context.Context, path string) (*Store, error) {
	s, err := open(path)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func open(path string) (*Store, error) {
	if path == "" || strings.HasPrefix(path, ":memory:") {
		return nil, fmt.Errorf("sqlite: an in-memory database cannot be shared by the reader and writer pools; give a file path")
	}
	write, err := sql.Open(driverName, dsn(path, roleWrite))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	read, err := sql.Open(driverName, dsn(path, roleRead))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0)*2)
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	read.SetConnMaxLifetime(0)
	ckpt, err := sql.Open(driverName, dsn(path, roleCheckpoint))
	if err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	ckpt.SetMaxOpenConns(1)
	s := &Store{write: write, read: read, ckpt: ckpt,
		jobs: make(chan *writeJob, maxGroup), closed: make(chan struct{}), writerDone: make(chan struct{}),
		kick: make(chan struct{}, 1), ckptDone: make(chan struct{}), walLimit: walRestartFrames}
	go s.writer()
	go s.checkpointer()
	return s, nil
}

// pragmas are applied, in this order, to every connection.
var pragmas = []string{
	"busy_timeout(10000)",
	"journal_mode(WAL)",
	"synchronous(NORMAL)",
	"foreign_keys(ON)",
	"temp_store(MEMORY)",
}

// Page cache per connection, in KiB: the writer's holds the B-tree pages a
// bulk load keeps revisiting; each reader's is smaller, as there are
// several and the operating system's page cache (shared, and not in the
// process's memory) backs them all.
const (
	writerCacheKiB = 64 << 10
	readerCacheKiB = 4 << 10
)

// Connection roles.
const (
	roleWrite = iota
	roleRead
	roleCheckpoint
)

func dsn(path string, role int) string {
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	switch role {
	case roleWrite:
		q.Set("_txlock", "immediate")
		q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", writerCacheKiB))
		// The checkpointer copies the WAL into the database, off the
		// writer's path (see checkpointer).
		q.Add("_pragma", "wal_autocheckpoint(0)")
	case roleRead:
		q.Add("_pragma", "query_only(ON)")
		q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", readerCacheKiB))
	case roleCheckpoint:
		q.Add("_pragma", "cache_size(-1024)")
	}
	return "file:" + path + "?" + q.Encode()
}

// Migrate applies the embedded migrations that the database lacks.
func (s *Store) Migrate(ctx context.Context) error {
	p, err := s.provider()
	if err != nil {
		return err
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	return s.Optimize(ctx)
}

// Optimize refreshes the query planner's statistics where they are stale
// (PRAGMA optimize), bounded so that it stays quick on a large database.
// Without statistics SQLite may scan a tenant's rows where an index would
// find one.
func (s *Store) Optimize(ctx context.Context) error {
	for _, q := range []string{`PRAGMA analysis_limit = 1000`, `PRAGMA optimize = 0x10002`} {
		if _, err := s.write.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("sqlite: optimize: %w", err)
		}
	}
	return nil
}

func (s *Store) provider() (*goose.Provider, error) {
	p, err := goose.NewProvider(goose.DialectSQLite3, s.write, Migrations())
	if err != nil {
		return nil, fmt.Errorf("sqlite: migrations: %w", err)
	}
	return p, nil
}

// SchemaCurrent implements contactd.Store.
func (s *Store) SchemaCurrent(ctx context.Context) (bool, error) {
	var v int64
	if err := s.read.QueryRowContext(ctx, sqlq.AppliedVersion).Scan(&v); err != nil {
		return false, interpretError(err)
	}
	want, err := sqlq.LatestMigration(Migrations())
	return v == want, err
}

// Ping implements contactd.Store.
func (s *Store) Ping(ctx context.Context) error {
	return interpretError(s.read.PingContext(ctx))
}

// Close implements contactd.Store.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.closed)
		<-s.writerDone
		<-s.ckptDone
		s.changeWaits.Close()
	})
	for _, m := range []*sync.Map{&s.stmts, &s.wstmts} {
		m.Range(func(_, st any) bool {
			st.(*sql.Stmt).Close()
			return true
		})
	}
	return errors.Join(s.read.Close(), s.ckpt.Close(), s.write.Close())
}

// SoleWriter implements contactd.SoleWriter: one contactd process serves a
// database file, and only it revokes tokens and changes tenants.
func (s *Store) SoleWriter() bool { return true }

// Values as SQLite stores them.

func formatTime(t time.Time) string { return t.UTC().Format(contactd.TimeFormat) }

func parseTime(s string) (time.Time, error) { return time.Parse(contactd.TimeFormat, s) }

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// collect returns a function that scans every row of a query with the
// scanner of its table: collect(scanTag)(db.QueryContext(…)).
func collect[T any](scan func(rowScanner) (T, error)) func(rows *sql.Rows, err error) ([]T, error) {
	return func(rows *sql.Rows, err error) ([]T, error) {
		if err != nil {
			return nil, interpretError(err)
		}
		defer rows.Close()
		var out []T
		for rows.Next() {
			v, err := scan(rows)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, interpretError(rows.Err())
	}
}

// querier is what reads run on: the reader pool or a write transaction.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// placeholders returns "?, ?, …" for n parameters.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// list reads a list whose query build makes (sqlq), with the scanner of
// its table.
func list[T any](ctx context.Context, s *Store, build func(*sqlq.Builder) string, scan func(rowScanner) (T, error)) ([]T, error) {
	b := sqlq.NewBuilder(sqlq.SQLite)
	q := build(b)
	return collect(scan)(s.queryList(ctx, q, b.Args()))
}

// queryList runs a list query, prepared while listStmt keeps it.
func (s *Store) queryList(ctx context.Context, q string, args []any) (*sql.Rows, error) {
	defer s.observe("read", time.Now())
	if st := s.listStmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return s.read.QueryContext(ctx, q, args...)
}

// maxListStmts bounds the list queries kept prepared: a list's text
// depends only on the shape of its filter and sort (values are
// parameters), so a few shapes recur; past the bound, new shapes are
// prepared for each use, as every query was before.
const maxListStmts = 256

// listStmt returns the prepared statement of a list or count query, or nil
// once maxListStmts shapes are kept. Preparing was about 8 % of a list
// request's CPU.
func (s *Store) listStmt(ctx context.Context, q string) *sql.Stmt {
	if st, ok := s.stmts.Load(q); ok {
		return st.(*sql.Stmt)
	}
	if s.listStmts.Add(1) > maxListStmts {
		s.listStmts.Add(-1)
		return nil
	}
	st, err := s.readStmt(ctx, q)
	if err != nil {
		s.listStmts.Add(-1)
		return nil // the query runs unprepared and reports the error
	}
	return st
}

// count reads the count of a list whose query build makes.
func count(ctx context.Context, s *Store, build func(*sqlq.Builder) string) (int, error) {
	b := sqlq.NewBuilder(sqlq.SQLite)
	q := build(b)
	defer s.observe("read", time.Now())
	var n int
	var err error
	if st := s.listStmt(ctx, q); st != nil {
		err = st.QueryRowContext(ctx, b.Args()...).Scan(&n)
	} else {
		err = s.read.QueryRowContext(ctx, q, b.Args()...).Scan(&n)
	}
	return n, interpretError(err)
}
