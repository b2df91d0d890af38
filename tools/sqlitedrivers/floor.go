package main

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// The floor: what SQLite itself can insert, through each driver, into a
// table shaped like contactd's contacts (a rowid, a time-ordered
// (tenant, id) key, a 1.3 KB document) that already holds rows rows, with
// k secondary indexes on keys that arrive in random order, as an email
// address, a phone number, a name or a search term does. The new rows go
// in as contactd's bulk path writes them: one writer, transactions of txn
// rows, INSERT statements of stmt rows (contactd's has 100; a statement of
// several rows keeps each page it changes in a statement journal, in
// memory as contactd's temp_store says), checkpoints on a connection of
// their own every 100 ms. No contactd code runs, so the rate is a ceiling
// for any write path that keeps k such index entries a contact, whatever
// else it does.
type floorConfig struct {
	rows, insert, txn, stmt, cacheMiB int
	indexes                           []int
	drivers                           []string // "sqlite" (modernc), "sqlite3" (mattn), "ncruces"
	// sorted inserts each transaction's rows in the order of the first
	// key, as a write path that sorts a large batch by one index would.
	sorted bool
}

func runFloor(cfg floorConfig, dir string) error {
	order := "random"
	if cfg.sorted {
		order = "sorted by the first key"
	}
	fmt.Printf("floor: %d rows in the table, %d inserted in transactions of %d (%s), statements of %d rows, %d MiB page cache\n",
		cfg.rows, cfg.insert, cfg.txn, order, cfg.stmt, cfg.cacheMiB)
	fmt.Printf("%-26s %8s %12s %10s\n", "driver", "indexes", "rows/s", "load s")
	for _, name := range cfg.drivers {
		for _, k := range cfg.indexes {
			path := filepath.Join(dir, fmt.Sprintf("floor-%s-%d.db", name, k))
			rate, load, err := floor(name, path, k, cfg)
			os.Remove(path)
			os.Remove(path + "-wal")
			os.Remove(path + "-shm")
			if err != nil {
				return fmt.Errorf("%s, %d indexes: %w", name, k, err)
			}
			fmt.Printf("%-26s %8d %10.0f/s %10.1f\n", driverLabel[name], k, rate, load.Seconds())
		}
	}
	return nil
}

var driverLabel = map[string]string{"sqlite": "modernc database/sql", "sqlite3": "mattn (cgo) database/sql", "ncruces": "ncruces database/sql"}

// floor loads the table and its indexes, then measures the inserts.
func floor(driverName, path string, k int, cfg floorConfig) (rate float64, load time.Duration, err error) {
	db, err := sql.Open(driverName, floorDSN(driverName, path))
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, q := range []string{fmt.Sprintf("PRAGMA cache_size = -%d", cfg.cacheMiB<<10), "PRAGMA temp_store = MEMORY"} {
		if _, err := db.Exec(q); err != nil {
			return 0, 0, err
		}
	}
	cols := make([]string, k)
	for j := range cols {
		cols[j] = fmt.Sprintf("k%d", j)
	}
	ddl := `CREATE TABLE t (rid INTEGER PRIMARY KEY, tenant TEXT NOT NULL, id TEXT NOT NULL`
	for _, c := range cols {
		ddl += ", " + c + " TEXT NOT NULL"
	}
	if _, err := db.Exec(ddl + `, doc TEXT NOT NULL, UNIQUE (tenant, id))`); err != nil {
		return 0, 0, err
	}

	rng := rand.New(rand.NewPCG(1, 2))
	doc := strings.Repeat("x", 1300)
	seq := 0
	row := func(args []any) []any {
		seq++
		args = append(args, "tn_01HZZZZZZZZZZZZZZZZZZZZZZZ", fmt.Sprintf("ct_%023d", seq))
		for range k {
			args = append(args, randomKey(rng))
		}
		return append(args, doc)
	}
	insertSQL := func(n int) string {
		one := "(" + strings.TrimSuffix(strings.Repeat("?, ", k+3), ", ") + ")"
		return "INSERT INTO t (tenant, id, " + strings.Join(append(cols, "doc"), ", ") + ") VALUES " +
			strings.TrimSuffix(strings.Repeat(one+", ", n), ", ")
	}
	// insert writes n new rows in one transaction and returns the time
	// the database took, leaving out the making of the rows.
	insert := func(n, stmtRows int) (time.Duration, error) {
		rows := make([][]any, n)
		for i := range rows {
			rows[i] = row(nil)
		}
		if cfg.sorted && k > 0 {
			slices.SortFunc(rows, func(a, b []any) int { return strings.Compare(a[2].(string), b[2].(string)) })
		}
		began := time.Now()
		tx, err := db.Begin()
		if err != nil {
			return 0, err
		}
		defer tx.Rollback()
		stmts := map[int]*sql.Stmt{}
		args := make([]any, 0, stmtRows*(k+3))
		for n > 0 {
			m := min(n, stmtRows)
			st := stmts[m]
			if st == nil {
				if st, err = tx.Prepare(insertSQL(m)); err != nil {
					return 0, err
				}
				stmts[m] = st
			}
			args = args[:0]
			for _, r := range rows[:m] {
				args = append(args, r...)
			}
			rows = rows[m:]
			if _, err := st.Exec(args...); err != nil {
				return 0, err
			}
			n -= m
		}
		err = tx.Commit()
		return time.Since(began), err
	}

	// The table's rows, then each index built in one pass.
	start := time.Now()
	for n := cfg.rows; n > 0; n -= 10_000 {
		if _, err := insert(min(n, 10_000), 100); err != nil {
			return 0, 0, err
		}
	}
	for _, c := range cols {
		if _, err := db.Exec(fmt.Sprintf("CREATE INDEX t_%s ON t (tenant, %s, id)", c, c)); err != nil {
			return 0, 0, err
		}
	}
	for _, q := range []string{`PRAGMA wal_checkpoint(TRUNCATE)`, `PRAGMA wal_autocheckpoint = 0`} {
		if _, err := db.Exec(q); err != nil {
			return 0, 0, err
		}
	}
	load = time.Since(start)

	ckpt, err := sql.Open(driverName, floorDSN(driverName, path))
	if err != nil {
		return 0, 0, err
	}
	defer ckpt.Close()
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				ckpt.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
			}
		}
	}()
	var elapsed time.Duration
	for n := cfg.insert; n > 0 && err == nil; n -= cfg.txn {
		var d time.Duration
		d, err = insert(min(n, cfg.txn), cfg.stmt)
		elapsed += d
	}
	close(stop)
	<-stopped
	return float64(cfg.insert) / elapsed.Seconds(), load, err
}

// floorDSN is a writer's connection with contactd's pragmas: WAL,
// synchronous NORMAL and foreign keys on (floor sets the cache, temporary
// storage in memory, and checkpoints left to a connection of their own).
func floorDSN(driverName, path string) string {
	if driverName == "sqlite3" { // mattn
		return "file:" + path + "?_busy_timeout=10000&_journal_mode=WAL&_synchronous=NORMAL&_foreign_keys=1&_txlock=immediate"
	}
	return "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)&_txlock=immediate"
}

// randomKey is 12 random lowercase letters.
func randomKey(rng *rand.Rand) string {
	var s [12]byte
	for i := range s {
		s[i] = 'a' + byte(rng.IntN(26))
	}
	return string(s[:])
}
