package main

import (
	"encoding/csv"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/httpapi"
)

// TestImportCommand: contactd import writes a file's contacts into the
// database (--db, --tenant) or through a running server (--url, --token),
// says what it did, and when records fail writes them to FILE.errors.csv
// and fails; a dry run writes nothing.
func TestImportCommand(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "c.db")
	svc, tn, p := openTenant(t, path, "acme")
	secret, _, err := svc.CreateToken(ctx, contactd.TokenParams{TenantID: tn.ID, Name: "import", Scopes: []contactd.Scope{contactd.ScopeAdmin}})
	if err != nil {
		t.Fatal(err)
	}
	api := httpapi.New(svc, slog.New(slog.DiscardHandler), httpapi.Config{Version: "test"})
	srv := httptest.NewServer(api)
	defer srv.Close()
	defer api.Close()

	file := func(name string, rows ...string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte("First Name,Last Name,E-mail Address\n"+strings.Join(rows, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	count := func() int {
		page, err := svc.ListContacts(ctx, p, contactd.ContactListRequest{ListParams: contactd.ListParams{Limit: 1, ExactCount: true}})
		if err != nil {
			t.Fatal(err)
		}
		return *page.Total
	}
	good := file("good.csv", "Ada,Lovelace,ada@example.org", "Grace,Hopper,grace@example.org")
	_, stderr, err := runCmd(t, env(nil), "import", good, "--db", path, "--tenant", "acme", "--dry-run")
	if err != nil || !strings.Contains(stderr, "checked (dry run, nothing written) 2 records: 2 created") || count() != 0 {
		t.Fatalf("dry run: %v, %q, %d contacts", err, stderr, count())
	}
	_, stderr, err = runCmd(t, env(nil), "import", good, "--db", path, "--tenant", "acme")
	if err != nil || !strings.Contains(stderr, "imported 2 records: 2 created") || count() != 2 {
		t.Fatalf("local import: %v, %q, %d contacts", err, stderr, count())
	}
	// Through the server, in upsert mode: Ada is updated, a new one made,
	// and a bad row fails into bad.csv.errors.csv.
	bad := file("bad.csv", "Augusta,Lovelace,ada@example.org", "New,Person,new@example.org", "Bad,Row,not-an-email")
	_, stderr, err = runCmd(t, env(map[string]string{"CONTACTD_URL": srv.URL, "CONTACTD_TOKEN": secret}), "import", bad, "--mode", "upsert")
	if err == nil || !strings.Contains(err.Error(), "1 records failed") || !strings.Contains(err.Error(), bad+".errors.csv") ||
		!strings.Contains(stderr, "3 records: 1 created, 1 updated, 0 unchanged, 0 skipped, 1 failed") || count() != 3 {
		t.Fatalf("remote import: %v, %q, %d contacts", err, stderr, count())
	}
	f, err := os.Open(bad + ".errors.csv")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != 2 || rows[0][3] != "contactd error" || rows[1][0] != "Bad" || !strings.Contains(rows[1][3], "emails[0].address") {
		t.Fatalf("errors file: %q, %v", rows, err)
	}
	// The same, from the database: the errors file is written there too.
	os.Remove(bad + ".errors.csv")
	if _, _, err := runCmd(t, env(nil), "import", bad, "--db", path, "--tenant", "acme", "--mode", "upsert"); err == nil {
		t.Fatal("a local import with a failing row succeeded")
	}
	if _, err := os.Stat(bad + ".errors.csv"); err != nil {
		t.Errorf("no errors file from the local import: %v", err)
	}
	for _, args := range [][]string{
		{"import"}, {"import", good}, {"import", good, "--tenant", "acme", "--url", srv.URL},
		{"import", good, "--tenant", "acme", "--mapping", "{nope"},
		{"import", good, "--tenant", "acme", "--mode", "merge"},
		{"import", filepath.Join(dir, "missing.csv"), "--tenant", "acme"},
	} {
		if _, _, err := runCmd(t, env(nil), append(args, "--db", path)...); err == nil {
			t.Errorf("%v succeeded", args)
		}
	}
	if _, _, err := runCmd(t, env(nil), "import", good, "--url", srv.URL, "--token", "cdt_wrong"); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("a bad token: %v", err)
	}
}
