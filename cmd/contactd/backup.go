package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/contactd/contactd/internal/sqlite"
)

// backupCmd copies a SQLite database, consistently, while the server runs.
func backupCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs, db := newFlags("backup", stderr, getenv)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"usage: contactd backup DEST [--db PATH]"}
	}
	if isPostgres(*db) {
		return fmt.Errorf("--db names a PostgreSQL database: back it up with pg_dump (see the README, \"Backing up and restoring\")")
	}
	dest := fs.Arg(0)
	start := time.Now()
	info, err := sqlite.Backup(ctx, sqlitePath(*db), dest)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s: %d contacts, %.1f MiB, in %s; integrity check ok\n",
		sqlitePath(*db), dest, info.Contacts, float64(info.Bytes)/(1<<20), time.Since(start).Round(time.Millisecond))
	return nil
}
