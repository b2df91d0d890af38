package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/contactd/contactd"
)

// TestUserCommand: user create reads the password from standard input
// (not a terminal here) and stores its hash; user list shows the users;
// a short password and a taken email fail with the field named.
func TestUserCommand(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "c.db")
	if _, stderr, err := runCmd(t, env(nil), "tenant", "create", "acme", "--db", db); err != nil {
		t.Fatalf("tenant create: %v %s", err, stderr)
	}
	run := func(input string, args ...string) (string, string, error) {
		stdinMu.Lock()
		defer stdinMu.Unlock()
		stdin = strings.NewReader(input)
		defer func() { stdin = nil }()
		var out, errb bytes.Buffer
		err := run(context.Background(), args, &out, &errb, env(map[string]string{"CONTACTD_DB": db}))
		return out.String(), errb.String(), err
	}
	out, stderr, err := run("a long enough password\n", "user", "create", "--tenant", "acme", "--email", "Ada@Example.com", "--name", "Ada", "--role", "admin")
	if err != nil || !strings.HasPrefix(out, contactd.PrefixUser) {
		t.Fatalf("user create: %q %v %s", out, err, stderr)
	}
	id := strings.TrimSpace(out)
	out, _, err = run("", "user", "list", "--tenant", "acme")
	if err != nil || !strings.Contains(out, id) || !strings.Contains(out, "ada@example.com") || !strings.Contains(out, "admin") {
		t.Errorf("user list: %q %v", out, err)
	}
	if _, _, err := run("short\n", "user", "create", "--tenant", "acme", "--email", "bob@example.com"); err == nil || !strings.Contains(err.Error(), "password") {
		t.Errorf("a short password: %v", err)
	}
	if _, _, err := run("another long password\n", "user", "create", "--tenant", "acme", "--email", "ada@example.com"); err == nil || !strings.Contains(err.Error(), "ada@example.com") {
		t.Errorf("a taken email: %v", err)
	}
	// The password stored checks.
	store, err := openStore(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	svc := contactd.NewService(store, nil)
	ten, err := svc.FindTenant(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	u, err := store.User(context.Background(), ten.ID, id)
	if err != nil || !contactd.CheckPassword(u.PasswordHash, "a long enough password") {
		t.Errorf("stored user %+v %v", u, err)
	}
	// Flags before the command, and --help.
	if _, _, err := run("", "--db", db, "user", "list", "--tenant", "acme"); err != nil {
		t.Errorf("flags first: %v", err)
	}
	if _, stderr, _ := run("", "user", "--help"); !strings.Contains(stderr, "Examples:") {
		t.Errorf("user --help: %q", stderr)
	}
}
