package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
)

// BackupInfo describes a finished backup.
type BackupInfo struct {
	Contacts int64 // contacts in the copy, deleted ones included
	Bytes    int64 // size of the copy
}

// Backup writes a consistent copy of the contactd database at src to dest,
// a file that must not exist yet (it is never replaced), while a running server goes on reading
// and writing src. The copy is one snapshot of src (VACUUM INTO, which reads
// src in a single read transaction and writes dest compacted), so it holds
// every write committed before the backup began and none half-done; dest
// is then checked (PRAGMA quick_check) and its contacts counted. src is read
// through a connection of Backup's own and is not migrated: a copy has the
// schema its source has, and contactd migrates it when it next opens it.
//
// While the copy runs, src's write-ahead log cannot be folded back past
// the snapshot and grows with the writes of that time.
func Backup(ctx context.Context, src, dest string) (BackupInfo, error) {
	if _, err := os.Stat(src); err != nil {
		return BackupInfo{}, fmt.Errorf("sqlite: backup: %w", err)
	}
	if _, err := os.Stat(dest); err == nil {
		return BackupInfo{}, fmt.Errorf("sqlite: backup: %s exists; give the path of a new file", dest)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return BackupInfo{}, fmt.Errorf("sqlite: backup: %w", err)
	}
	q := url.Values{}
	q.Set("mode", "rw") // never create src
	q.Add("_pragma", "busy_timeout(10000)")
	db, err := sql.Open(driverName, "file:"+src+"?"+q.Encode())
	if err != nil {
		return BackupInfo{}, fmt.Errorf("sqlite: backup: open %s: %w", src, err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name = 'contacts'`).Scan(&n); err != nil {
		return BackupInfo{}, fmt.Errorf("sqlite: backup: read %s: %w", src, err)
	}
	if n == 0 {
		return BackupInfo{}, fmt.Errorf("sqlite: backup: %s is not a contactd database", src)
	}
	// The copy is written and checked under a temporary name beside dest,
	// and only then linked to dest, which fails if dest has appeared
	// meanwhile: a failed backup leaves nothing that looks whole, and none
	// replaces a file.
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".partial-*")
	if err != nil {
		return BackupInfo{}, fmt.Errorf("sqlite: backup: %w", err)
	}
	tmp.Close()
	defer os.Remove(tmp.Name())
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, tmp.Name()); err != nil {
		return BackupInfo{}, fmt.Errorf("sqlite: backup: %w", err)
	}
	info, err := checkCopy(ctx, tmp.Name())
	if err != nil {
		return info, fmt.Errorf("sqlite: backup: the copy of %s: %w", src, err)
	}
	if err := os.Link(tmp.Name(), dest); err != nil {
		return info, fmt.Errorf("sqlite: backup: %w", err)
	}
	return info, nil
}

// checkCopy checks a database file's pages and indexes and counts its
// contacts.
func checkCopy(ctx context.Context, path string) (BackupInfo, error) {
	var info BackupInfo
	q := url.Values{}
	q.Set("mode", "ro")
	db, err := sql.Open(driverName, "file:"+path+"?"+q.Encode())
	if err != nil {
		return info, err
	}
	defer db.Close()
	var check string
	if err := db.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&check); err != nil {
		return info, err
	}
	if check != "ok" {
		return info, fmt.Errorf("integrity check: %s", check)
	}
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM contacts`).Scan(&info.Contacts); err != nil {
		return info, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return info, err
	}
	info.Bytes = st.Size()
	return info, nil
}
