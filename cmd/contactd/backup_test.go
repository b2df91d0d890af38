package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlite"
)

// TestBackupDuringWrites: a backup taken while contacts are being written
// opens, passes an integrity check, holds every contact whose creation was
// acknowledged before the backup began, and serves them (by id and by the
// digits of their numbers) when contactd opens it.
func TestBackupDuringWrites(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	path, dest := filepath.Join(dir, "live.db"), filepath.Join(dir, "backup.db")
	svc, _, p := openTenant(t, path, "backup")

	var mu sync.Mutex
	var acked []string // ids of created contacts, in order
	stop, started := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			c, err := svc.CreateContact(ctx, p, &contactd.ContactInput{FirstName: fmt.Sprintf("B%05d", i),
				Phones: []contactd.Phone{{Number: fmt.Sprintf("+1 415 55%d %04d", 5+i/10000, i%10000)}}})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			acked = append(acked, c.ID)
			if len(acked) == 200 {
				close(started)
			}
			mu.Unlock()
		}
	})
	<-started
	mu.Lock()
	before := append([]string(nil), acked...)
	mu.Unlock()
	out, stderr, err := runCmd(t, env(nil), "backup", dest, "--db", path)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("backup: %v, stderr %q", err, stderr)
	}
	if !regexp.MustCompile(`^backed up .* to .*backup\.db: \d+ contacts, [0-9.]+ MiB, in .*; integrity check ok\n$`).MatchString(out) {
		t.Errorf("backup printed %q", out)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*partial*")); len(left) > 0 {
		t.Errorf("the backup left %v", left)
	}

	db, err := sql.Open("sqlite", "file:"+dest+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity check of the backup: %q, %v", check, err)
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM contacts`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	total := len(acked)
	mu.Unlock()
	if n < len(before) || n > total {
		t.Errorf("the backup holds %d contacts; %d were acknowledged before it began and %d by its end", n, len(before), total)
	}
	db.Close()

	// contactd opens the copy and finds the contacts acknowledged before it.
	copyStore, err := sqlite.Open(ctx, dest)
	if err != nil {
		t.Fatal(err)
	}
	defer copyStore.Close()
	copySvc := contactd.NewService(copyStore, nil)
	for i, id := range before {
		c, err := copySvc.Contact(ctx, p, contactd.Selector{ID: id}, contactd.GetOptions{})
		if err != nil || c.FirstName != fmt.Sprintf("B%05d", i) {
			t.Fatalf("contact %d (%s) in the backup: %v, %v", i, id, c, err)
		}
	}
	for _, i := range []int{0, len(before) / 2, len(before) - 1} {
		digits := fmt.Sprintf("55%d%04d", 5+i/10000, i%10000)
		page, err := copySvc.ListContacts(ctx, p, contactd.ContactListRequest{Q: digits})
		if err != nil || len(page.Data) != 1 || page.Data[0].ID != before[i] {
			t.Errorf("q=%s in the backup: %v, %v; want %s", digits, page, err, before[i])
		}
	}
}

// TestBackupRefuses: a backup never overwrites a file, never creates the
// database it should copy, and sends PostgreSQL users to pg_dump.
func TestBackupRefuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "c.db")
	if _, _, err := runCmd(t, env(nil), "tenant", "create", "acme", "--db", path); err != nil {
		t.Fatal(err)
	}
	existing := filepath.Join(dir, "existing.db")
	if err := os.WriteFile(existing, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCmd(t, env(nil), "backup", existing, "--db", path); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Errorf("backup onto an existing file: %v", err)
	}
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Errorf("the existing file was changed: %q", b)
	}
	missing := filepath.Join(dir, "missing.db")
	if _, _, err := runCmd(t, env(nil), "backup", filepath.Join(dir, "b.db"), "--db", missing); err == nil {
		t.Errorf("a backup of a missing database succeeded")
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("the backup created the database it was to copy")
	}
	_, _, err := runCmd(t, env(nil), "backup", filepath.Join(dir, "b.db"), "--db", "postgres://u@localhost/db")
	if err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("backup of PostgreSQL: %v, want a pointer to pg_dump", err)
	}
	if _, _, err := runCmd(t, env(nil), "backup", "--db", path); err == nil {
		t.Errorf("backup with no destination succeeded")
	}
}

// openTenant opens (and migrates) a SQLite database at path, closed when
// the test ends, with a Service over it and a new tenant of that name, and
// returns a principal of the tenant with every scope.
func openTenant(t *testing.T, path, name string) (*contactd.Service, *contactd.Tenant, contactd.Principal) {
	t.Helper()
	store, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	svc := contactd.NewService(store, nil)
	tn, err := svc.CreateTenant(t.Context(), name, "US")
	if err != nil {
		t.Fatal(err)
	}
	return svc, tn, contactd.Principal{TenantID: tn.ID, Actor: "test", Scopes: contactd.AllScopes, Region: "US"}
}
