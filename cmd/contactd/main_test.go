package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// runCmd runs a command line and returns its stdout and stderr.
func runCmd(t *testing.T, getenv func(string) string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb, getenv)
	return out.String(), errb.String(), err
}

var tokenRE = regexp.MustCompile(`^cdt_[A-Za-z0-9_-]{43}\n$`)
var tenantRE = regexp.MustCompile(`^tn_[0-9a-z]{26}\n$`)

func TestTenantAndTokenCreate(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "c.db")
	noenv := env(nil)

	// Flags after the argument, as people type them.
	id, stderr, err := runCmd(t, noenv, "tenant", "create", "acme", "--region", "GB", "--db", db)
	if err != nil || !tenantRE.MatchString(id) {
		t.Fatalf("tenant create: %q, %v, stderr %q; want a tenant id alone", id, err, stderr)
	}
	// Flags before the argument, and the database from the environment.
	if _, _, err := runCmd(t, env(map[string]string{"CONTACTD_DB": db}), "tenant", "--region", "US", "create", "beta"); err != nil {
		t.Fatalf("tenant create with flags first: %v", err)
	}
	if _, _, err := runCmd(t, noenv, "tenant", "create", "acme", "--db", db); err == nil {
		t.Errorf("a second tenant named acme was created")
	}
	if _, _, err := runCmd(t, noenv, "tenant", "create", "x", "--region", "ZZ", "--db", db); err == nil {
		t.Errorf("tenant with region ZZ was created")
	}

	for _, tenant := range []string{"acme", strings.TrimSpace(id)} {
		tok, stderr, err := runCmd(t, noenv, "token", "create", "--tenant", tenant, "--scopes", "contacts:read,contacts:write", "--name", "crm", "--db", db)
		if err != nil || !tokenRE.MatchString(tok) {
			t.Fatalf("token create --tenant %s: %q, %v, stderr %q; want a token alone", tenant, tok, err, stderr)
		}
	}
	if _, _, err := runCmd(t, noenv, "token", "create", "--tenant", "acme", "--scopes", "contacts:everything", "--db", db); err == nil {
		t.Errorf("token with an unknown scope was created")
	}
	if _, _, err := runCmd(t, noenv, "token", "create", "--tenant", "nobody", "--scopes", "contacts:read", "--db", db); err == nil {
		t.Errorf("token for an unknown tenant was created")
	}
	if _, _, err := runCmd(t, noenv, "token", "create", "--tenant", "acme", "--scopes", "contacts:read", "--kind", "personal", "--db", db); err == nil {
		t.Errorf("personal token without --user was created")
	}
	if _, _, err := runCmd(t, noenv, "token", "create", "--tenant", "acme", "--scopes", "contacts:read", "--user", "u1", "--db", db); err != nil {
		t.Errorf("personal token: %v", err)
	}
}

// TestTenantAndTokenLists: an operator can list the tenants and a
// tenant's tokens and revoke one, the way back in when a token is lost.
func TestTenantAndTokenLists(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "c.db")
	noenv := env(nil)
	id, _, err := runCmd(t, noenv, "tenant", "create", "acme", "--region", "GB", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCmd(t, noenv, "tenant", "create", "beta", "--db", db); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCmd(t, noenv, "tenant", "list", "--db", db)
	if err != nil || !strings.Contains(out, strings.TrimSpace(id)+"  acme  GB") || !strings.Contains(out, "beta") {
		t.Fatalf("tenant list: %q, %v", out, err)
	}
	secret, _, err := runCmd(t, noenv, "token", "create", "--tenant", "acme", "--scopes", "contacts:read", "--name", "crm", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	out, _, err = runCmd(t, noenv, "token", "list", "--tenant", "acme", "--db", db)
	m := regexp.MustCompile(`(?m)^(tk_[0-9a-z]{26})\s+crm\s+service\s+-\s+contacts:read\s+\S+\s+-$`).FindStringSubmatch(out)
	if err != nil || m == nil || strings.Contains(out, strings.TrimSpace(secret)) {
		t.Fatalf("token list: %q, %v", out, err)
	}
	if out, _, err := runCmd(t, noenv, "token", "list", "--tenant", "beta", "--db", db); err != nil || strings.Contains(out, "crm") {
		t.Fatalf("beta's tokens show acme's: %q, %v", out, err)
	}
	if _, _, err := runCmd(t, noenv, "token", "revoke", "--tenant", "beta", m[1], "--db", db); err == nil {
		t.Fatal("beta revoked a token of acme")
	}
	if out, _, err := runCmd(t, noenv, "token", "revoke", "--tenant", "acme", m[1], "--db", db); err != nil || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: %q, %v", out, err)
	}
	out, _, _ = runCmd(t, noenv, "token", "list", "--tenant", "acme", "--db", db)
	if regexp.MustCompile(`(?m)^tk_\S+\s+crm\s+.*\s-$`).MatchString(out) {
		t.Fatalf("the revoked token is listed as live: %q", out)
	}
}

// TestHelpAndErrors: --help on any command is no error, and an error is
// printed once.
func TestHelpAndErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"serve", "--help"}, {"tenant", "-h"}, {"token", "--help"}, {"import", "--help"}, {"export", "--help"}, {"backup", "--help"}, {"migrate", "--help"}} {
		_, stderr, err := runCmd(t, env(nil), args...)
		if !errors.Is(err, errHelp) || !strings.Contains(stderr, "--db") {
			t.Errorf("%q: %v, %q", args, err, stderr)
		}
	}
	out, _, err := runCmd(t, env(nil), "help")
	if err != nil || !strings.Contains(out, "postgres://") || !strings.Contains(out, "CONTACTD_DB") || !strings.Contains(out, "token revoke") {
		t.Errorf("help: %q, %v", out, err)
	}
	_, _, err = runCmd(t, env(nil), "tenant", "create", "x", "--region", "ZZ", "--db", filepath.Join(t.TempDir(), "c.db"))
	if err == nil || strings.Count(err.Error(), "ISO 3166") != 1 {
		t.Errorf("the error is not said once: %v", err)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "c.db")
	for _, args := range [][]string{
		{},
		{"bogus"},
		{"tenant"},
		{"tenant", "create"},
		{"tenant", "create", "a", "b", "--db", db},
		{"token", "create", "--db", db},
		{"serve", "extra", "--db", db},
		{"migrate", "--nope"},
	} {
		_, _, err := runCmd(t, env(nil), args...)
		if _, ok := err.(usageError); !ok {
			t.Errorf("%q: got %v, want a usage error", args, err)
		}
	}
	out, _, err := runCmd(t, env(nil), "version")
	if err != nil || !strings.HasPrefix(out, "contactd ") {
		t.Errorf("version: %q, %v", out, err)
	}
	out, _, err = runCmd(t, env(nil), "migrate", "--db", db)
	if err != nil || out == "" {
		t.Errorf("migrate: %q, %v", out, err)
	}
}

// TestServeFirstStart starts the server on port 0 with an empty database:
// it prints a full-scope token and a curl example once, and the token works.
func TestServeFirstStart(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "c.db")
	ctx := context.Background()
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	var banner bytes.Buffer
	m, err := Start(ctx, ServeConfig{Addr: "127.0.0.1:0", DB: db, Region: "US", Log: log, Banner: &banner})
	if err != nil {
		t.Fatal(err)
	}
	secret := regexp.MustCompile(`cdt_[A-Za-z0-9_-]{43}`).FindString(banner.String())
	if secret == "" || !strings.Contains(banner.String(), "curl") {
		t.Fatalf("first start printed no token and curl example:\n%s", banner.String())
	}
	if !strings.Contains(banner.String(), "contactd user create --tenant default --email") || !strings.Contains(banner.String(), "http://"+m.Addr+"/ ") {
		t.Errorf("first start does not say how to create the first user of the web address book:\n%s", banner.String())
	}

	// While the server runs, the CLI works on the same database.
	if _, _, err := runCmd(t, env(nil), "tenant", "create", "side", "--db", db); err != nil {
		t.Errorf("tenant create while serving: %v", err)
	}

	body := `{"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0000"}`
	req, _ := http.NewRequest("POST", "http://"+m.Addr+"/v1/contacts", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		ID string `json:"id"`
	}
	json.NewDecoder(res.Body).Decode(&c)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated || c.ID == "" {
		t.Fatalf("create with the printed token: status %d", res.StatusCode)
	}
	// The bootstrap token carries every scope: permanent delete needs admin.
	req, _ = http.NewRequest("DELETE", "http://"+m.Addr+"/v1/contacts/"+c.ID+"?permanent=true", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Errorf("permanent delete with the printed token: status %d, want 204", res.StatusCode)
	}
	sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := m.Close(sctx); err != nil {
		t.Fatal(err)
	}

	// A second start on the same database prints nothing.
	banner.Reset()
	m, err = Start(ctx, ServeConfig{Addr: "127.0.0.1:0", DB: db, Region: "US", Log: log, Banner: &banner})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close(sctx)
	if banner.Len() != 0 {
		t.Errorf("second start printed %q, want nothing", banner.String())
	}
}
