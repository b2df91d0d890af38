// Command sqlitedrivers measures SQLite drivers for Go on contactd's own
// queries, against a database contactd wrote (contactd-bench --keep keeps
// one): point reads, caller-ID lookups, list pages, bounded counts and
// write transactions, each run by 1 and 2 goroutines for a fixed time.
// With -floor it measures instead what SQLite can insert into a large table
// with randomly keyed indexes, through each driver (floor.go).
// It is a module of its own, so that the drivers it compares are no
// dependencies of contactd. mattn's and ncruces' drivers both register the
// name "sqlite3", so ncruces' is renamed when building:
//
//	go run -ldflags=-X=github.com/ncruces/go-sqlite3/driver.driverName=ncruces . \
//	    -db /tmp/contactd-bench-…/contactd.db [-seconds 3]
//	go run -ldflags=-X=github.com/ncruces/go-sqlite3/driver.driverName=ncruces . \
//	    -floor 1000000 -floor-indexes 0,2,4
package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/mattn/go-sqlite3"
	ncruces "github.com/ncruces/go-sqlite3"
	_ "github.com/ncruces/go-sqlite3/driver"
	modernc "modernc.org/sqlite"
)

// The queries, as contactd's SQLite store runs them.
const (
	getSQL    = `SELECT version, deleted_at IS NOT NULL, doc FROM contacts WHERE tenant_id = ?1 AND id = ?2`
	lookupSQL = `SELECT c.id, c.doc, MAX(p.is_primary) AS prim, group_concat(p.phone_id)
		FROM contact_phones p INDEXED BY contact_phones_e164
		JOIN contacts c ON c.tenant_id = p.tenant_id AND c.id = p.contact_id
		WHERE p.tenant_id = ?1 AND p.e164 = ?2 AND p.live = 1
		GROUP BY c.id ORDER BY prim DESC, c.updated_at DESC, c.id LIMIT 20`
	listSQL = `SELECT c.doc, c.display_name_set FROM contacts c WHERE c.tenant_id = ?1 AND c.deleted_at IS NULL
		AND (EXISTS (SELECT 1 FROM contact_tags x WHERE x.tenant_id = c.tenant_id AND x.contact_id = c.id AND x.tag = ?2))
		ORDER BY c.updated_at DESC, c.id DESC LIMIT 51`
	countSQL = `SELECT COUNT(*) FROM (SELECT 1 FROM contacts c WHERE c.tenant_id = ?1 AND c.deleted_at IS NULL
		AND (c.id IN (SELECT x.contact_id FROM contact_tags x WHERE x.tenant_id = ?1 AND x.tag = ?2)) LIMIT 1001) n`
	writeSQL = `INSERT INTO scratch (tenant_id, id, doc) VALUES (?1, ?2, ?3)`
)

// written numbers the rows the write transactions insert, across runners.
var written atomic.Int64

// inputs are the parameters the queries take, read from the database.
type inputs struct {
	get, lookup, list [][2]string
	doc               string
}

// runner runs one query once with the i-th input.
type runner interface {
	run(q string, args [2]string) error
	write(n int, doc string) error
	close()
}

func main() {
	db := flag.String("db", "", "a contactd SQLite database")
	seconds := flag.Float64("seconds", 3, "measured time of each query, driver and concurrency")
	var fc floorConfig
	flag.IntVar(&fc.rows, "floor", 0, "instead of the queries, measure the floor (see floor.go) on a table of this many rows")
	flag.IntVar(&fc.insert, "floor-insert", 20_000, "rows the floor inserts and times")
	flag.IntVar(&fc.txn, "floor-txn", 1000, "rows of each of the floor's transactions")
	flag.IntVar(&fc.stmt, "floor-stmt", 100, "rows of each of the floor's INSERT statements (contactd's bulk path has 100)")
	flag.IntVar(&fc.cacheMiB, "floor-cache", 64, "MiB of the floor writer's page cache (contactd's writer has 64)")
	flag.BoolVar(&fc.sorted, "floor-sorted", false, "insert each of the floor's transactions in the order of the first key")
	floorDrivers := flag.String("floor-drivers", "sqlite,sqlite3,ncruces", "the drivers the floor measures: sqlite (modernc), sqlite3 (mattn), ncruces")
	indexes := flag.String("floor-indexes", "0,2,4,8", "comma-separated numbers of randomly keyed indexes the floor measures")
	flag.Parse()
	if fc.rows > 0 {
		for _, f := range strings.Split(*indexes, ",") {
			var k int
			if _, err := fmt.Sscan(f, &k); err != nil {
				fmt.Fprintln(os.Stderr, "-floor-indexes:", err)
				os.Exit(2)
			}
			fc.indexes = append(fc.indexes, k)
		}
		fc.drivers = strings.Split(*floorDrivers, ",")
		dir, err := os.MkdirTemp("", "sqlitedrivers-")
		if err == nil {
			err = runFloor(fc, dir)
			os.RemoveAll(dir)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	if *db == "" {
		fmt.Fprintln(os.Stderr, "-db is required")
		os.Exit(2)
	}
	in, err := readInputs(*db)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "sqlitedrivers-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer os.RemoveAll(dir)
	drivers := []struct {
		name string
		open func(path string, write bool) (runner, error)
	}{
		{"modernc database/sql", sqlRunner("sqlite")},
		{"modernc direct", moderncRunner},
		{"ncruces database/sql", sqlRunner("ncruces")},
		{"ncruces direct", ncrucesRunner},
		{"mattn (cgo) database/sql", sqlRunner("sqlite3")},
	}
	queries := []struct {
		name, sql string
		args      [][2]string
	}{
		{"get by id", getSQL, in.get},
		{"caller-ID lookup", lookupSQL, in.lookup},
		{"list page (tag, -updatedAt, 51)", listSQL, in.list},
		{"bounded count (1001)", countSQL, in.list},
	}
	d := time.Duration(*seconds * float64(time.Second))
	fmt.Printf("%-26s %-32s %12s %9s %12s\n", "driver", "query", "1 goroutine", "p50 µs", "2 goroutines")
	for _, dr := range drivers {
		for _, q := range queries {
			one, p50, err := measure(dr.open, *db, false, 1, d, func(r runner, i int) error { return r.run(q.sql, q.args[i%len(q.args)]) })
			if err != nil {
				fmt.Printf("%-26s %-32s error: %v\n", dr.name, q.name, err)
				continue
			}
			two, _, _ := measure(dr.open, *db, false, 2, d, func(r runner, i int) error { return r.run(q.sql, q.args[i%len(q.args)]) })
			fmt.Printf("%-26s %-32s %10.0f/s %9.1f %10.0f/s\n", dr.name, q.name, one, p50, two)
		}
		for _, rows := range []int{1, 50} {
			path := filepath.Join(dir, strings.NewReplacer(" ", "_", "/", "_", "(", "", ")", "").Replace(dr.name)+fmt.Sprint(rows)+".db")
			if err := makeScratch(path); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
			tps, p50, err := measure(dr.open, path, true, 1, d, func(r runner, i int) error { return r.write(rows, in.doc) })
			if err != nil {
				fmt.Printf("%-26s %-32s error: %v\n", dr.name, "write", err)
				continue
			}
			fmt.Printf("%-26s %-32s %10.0f/s %9.1f %12s\n", dr.name, fmt.Sprintf("write transaction, %d rows", rows), tps, p50, fmt.Sprintf("(%0.f rows/s)", tps*float64(rows)))
		}
	}
}

// measure runs f on conc runners for d and returns operations per second
// and the median latency in microseconds.
func measure(open func(string, bool) (runner, error), path string, write bool, conc int, d time.Duration, f func(runner, int) error) (float64, float64, error) {
	var mu sync.Mutex
	var lats []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	// A warm-up of the page cache, not measured.
	if r, err := open(path, write); err == nil {
		end := time.Now().Add(d / 3)
		for i := 0; time.Now().Before(end); i++ {
			if err := f(r, i); err != nil {
				r.close()
				return 0, 0, err
			}
		}
		r.close()
	}
	start := time.Now()
	for w := range conc {
		wg.Go(func() {
			r, err := open(path, write)
			if err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
				return
			}
			defer r.close()
			var own []time.Duration
			for i := w * 7919; time.Since(start) < d; i++ {
				t0 := time.Now()
				if err := f(r, i); err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				own = append(own, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, own...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if firstErr != nil {
		return 0, 0, firstErr
	}
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	p50 := 0.0
	if len(lats) > 0 {
		p50 = float64(lats[len(lats)/2].Nanoseconds()) / 1000
	}
	return float64(len(lats)) / time.Since(start).Seconds(), p50, nil
}

// readInputs samples ids, numbers and tags of one tenant.
func readInputs(path string) (*inputs, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var tenant string
	if err := db.QueryRow(`SELECT tenant_id FROM contacts GROUP BY tenant_id ORDER BY COUNT(*) DESC LIMIT 1`).Scan(&tenant); err != nil {
		return nil, err
	}
	in := &inputs{}
	pairs := func(q string) ([][2]string, error) {
		rows, err := db.Query(q, tenant)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out [][2]string
		for rows.Next() {
			var v string
			if err := rows.Scan(&v); err != nil {
				return nil, err
			}
			out = append(out, [2]string{tenant, v})
		}
		return out, rows.Err()
	}
	if in.get, err = pairs(`SELECT id FROM contacts WHERE tenant_id = ? ORDER BY random() LIMIT 2000`); err != nil {
		return nil, err
	}
	if in.lookup, err = pairs(`SELECT e164 FROM contact_phones WHERE tenant_id = ? ORDER BY random() LIMIT 2000`); err != nil {
		return nil, err
	}
	if in.list, err = pairs(`SELECT DISTINCT tag FROM contact_tags WHERE tenant_id = ?`); err != nil {
		return nil, err
	}
	rand.Shuffle(len(in.list), func(i, j int) { in.list[i], in.list[j] = in.list[j], in.list[i] })
	if err := db.QueryRow(`SELECT doc FROM contacts WHERE tenant_id = ? LIMIT 1`, tenant).Scan(&in.doc); err != nil {
		return nil, err
	}
	return in, nil
}

func makeScratch(path string) error {
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(`PRAGMA journal_mode = WAL; CREATE TABLE scratch (tenant_id TEXT NOT NULL, id TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (tenant_id, id)) WITHOUT ROWID`)
	return err
}

// pragmas are contactd's, as DSN parameters of each driver.
func dsn(driverName, path string, write bool) string {
	mode := "ro"
	if write {
		mode = "rw"
	}
	switch driverName {
	case "sqlite3": // mattn
		return "file:" + path + "?mode=" + mode + "&_busy_timeout=10000&_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate&_cache_size=-4096"
	}
	return "file:" + path + "?mode=" + mode + "&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-4096)&_txlock=immediate"
}

// sqlDB runs queries through database/sql with statements prepared once,
// as contactd's store does.
type sqlDB struct {
	db    *sql.DB
	stmts map[string]*sql.Stmt
}

func sqlRunner(driverName string) func(string, bool) (runner, error) {
	return func(path string, write bool) (runner, error) {
		db, err := sql.Open(driverName, dsn(driverName, path, write))
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(1)
		return &sqlDB{db: db, stmts: map[string]*sql.Stmt{}}, nil
	}
}

func (s *sqlDB) stmt(q string) (*sql.Stmt, error) {
	if st, ok := s.stmts[q]; ok {
		return st, nil
	}
	st, err := s.db.Prepare(q)
	if err == nil {
		s.stmts[q] = st
	}
	return st, err
}

func (s *sqlDB) run(q string, args [2]string) error {
	st, err := s.stmt(q)
	if err != nil {
		return err
	}
	rows, err := st.Query(args[0], args[1])
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s *sqlDB) write(n int, doc string) error {
	st, err := s.stmt(writeSQL) // before the transaction takes the one connection
	if err != nil {
		return err
	}
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	ts := tx.Stmt(st)
	for range n {
		if _, err := ts.Exec("tn_scratch", fmt.Sprintf("ct_%012d", written.Add(1)), doc); err != nil {
			tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

func (s *sqlDB) close() { s.db.Close() }

// moderncDirect runs queries on a modernc connection without database/sql.
type moderncDirect struct {
	conn  driver.Conn
	stmts map[string]driver.Stmt
}

func moderncRunner(path string, write bool) (runner, error) {
	c, err := (&modernc.Driver{}).Open(dsn("sqlite", path, write))
	if err != nil {
		return nil, err
	}
	return &moderncDirect{conn: c, stmts: map[string]driver.Stmt{}}, nil
}

func (m *moderncDirect) stmt(q string) (driver.Stmt, error) {
	if st, ok := m.stmts[q]; ok {
		return st, nil
	}
	st, err := m.conn.Prepare(q)
	if err == nil {
		m.stmts[q] = st
	}
	return st, err
}

func (m *moderncDirect) run(q string, args [2]string) error {
	st, err := m.stmt(q)
	if err != nil {
		return err
	}
	rows, err := st.(driver.StmtQueryContext).QueryContext(context.Background(), []driver.NamedValue{{Ordinal: 1, Value: args[0]}, {Ordinal: 2, Value: args[1]}})
	if err != nil {
		return err
	}
	defer rows.Close()
	dest := make([]driver.Value, len(rows.Columns()))
	for {
		if err := rows.Next(dest); err != nil {
			if err.Error() == "EOF" {
				return nil
			}
			return ignoreEOF(err)
		}
	}
}

func ignoreEOF(err error) error {
	if err != nil && strings.Contains(err.Error(), "EOF") {
		return nil
	}
	return err
}

func (m *moderncDirect) write(n int, doc string) error {
	ctx := context.Background()
	tx, err := m.conn.(driver.ConnBeginTx).BeginTx(ctx, driver.TxOptions{})
	if err != nil {
		return err
	}
	st, err := m.stmt(writeSQL)
	if err != nil {
		tx.Rollback()
		return err
	}
	for range n {
		if _, err := st.(driver.StmtExecContext).ExecContext(ctx, []driver.NamedValue{{Ordinal: 1, Value: "tn_scratch"},
			{Ordinal: 2, Value: fmt.Sprintf("ct_%012d", written.Add(1))}, {Ordinal: 3, Value: doc}}); err != nil {
			tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

func (m *moderncDirect) close() {
	for _, st := range m.stmts {
		st.Close()
	}
	m.conn.Close()
}

// ncrucesDirect runs queries with ncruces' own API.
type ncrucesDirect struct {
	conn  *ncruces.Conn
	stmts map[string]*ncruces.Stmt
}

func ncrucesRunner(path string, write bool) (runner, error) {
	flags := ncruces.OPEN_READONLY
	if write {
		flags = ncruces.OPEN_READWRITE
	}
	c, err := ncruces.OpenFlags(path, flags)
	if err != nil {
		return nil, err
	}
	for _, p := range []string{"PRAGMA busy_timeout = 10000", "PRAGMA cache_size = -4096"} {
		if err := c.Exec(p); err != nil {
			return nil, err
		}
	}
	return &ncrucesDirect{conn: c, stmts: map[string]*ncruces.Stmt{}}, nil
}

func (n *ncrucesDirect) stmt(q string) (*ncruces.Stmt, error) {
	if st, ok := n.stmts[q]; ok {
		return st, nil
	}
	st, _, err := n.conn.Prepare(q)
	if err == nil {
		n.stmts[q] = st
	}
	return st, err
}

func (n *ncrucesDirect) run(q string, args [2]string) error {
	st, err := n.stmt(q)
	if err != nil {
		return err
	}
	st.BindText(1, args[0])
	st.BindText(2, args[1])
	var sink []byte
	for st.Step() {
		for c := range st.ColumnCount() {
			sink = append(sink[:0], st.ColumnRawText(c)...)
		}
	}
	_ = sink
	err = st.Err()
	st.Reset()
	return err
}

func (n *ncrucesDirect) write(rows int, doc string) error {
	if err := n.conn.Exec("BEGIN IMMEDIATE"); err != nil {
		return err
	}
	st, err := n.stmt(writeSQL)
	if err != nil {
		return err
	}
	for range rows {
		st.BindText(1, "tn_scratch")
		st.BindText(2, fmt.Sprintf("ct_%012d", written.Add(1)))
		st.BindText(3, doc)
		if err := st.Exec(); err != nil {
			n.conn.Exec("ROLLBACK")
			return err
		}
	}
	return n.conn.Exec("COMMIT")
}

func (n *ncrucesDirect) close() {
	for _, st := range n.stmts {
		st.Close()
	}
	n.conn.Close()
}
