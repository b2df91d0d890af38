package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/client"
	"github.com/contactd/contactd/internal/httpapi"
)

// stdinMu serializes the tests that replace stdin.
var stdinMu sync.Mutex

// cli runs a client command against url with token, with the given
// standard input, and returns stdout, stderr and the exit code main would
// give.
func cli(t *testing.T, url, token, input string, args ...string) (string, string, int) {
	t.Helper()
	stdinMu.Lock()
	defer stdinMu.Unlock()
	stdin = strings.NewReader(input)
	defer func() { stdin = nil }()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, &out, &errb, env(map[string]string{"CONTACTD_URL": url, "CONTACTD_TOKEN": token}))
	code := 0
	if err != nil && !errors.Is(err, errHelp) {
		code = exitCode(err, &errb)
	}
	return out.String(), errb.String(), code
}

// jsonLines decodes output of one JSON object a line.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		rows = append(rows, m)
	}
	return rows
}

func jsonObject(t *testing.T, out string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("not a JSON object: %v: %q", err, out)
	}
	return m
}

// TestClientCommands: contacts, tags, segments and changes against a
// running server, with what a terminal user and a script each need: JSON
// into a pipe, useful exit codes and errors that name the field.
func TestClientCommands(t *testing.T) {
	t.Parallel()
	svc, tn, _ := openTenant(t, filepath.Join(t.TempDir(), "c.db"), "acme")
	secret, _, err := svc.CreateToken(t.Context(), contactd.TokenParams{TenantID: tn.ID, Name: "cli", Scopes: contactd.AllScopes})
	if err != nil {
		t.Fatal(err)
	}
	reader, _, err := svc.CreateToken(t.Context(), contactd.TokenParams{TenantID: tn.ID, Name: "reader", Scopes: []contactd.Scope{contactd.ScopeRead}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(svc, slog.New(slog.DiscardHandler), httpapi.Config{Version: "test"}))
	defer srv.Close()
	u := srv.URL

	// Create with flags, and with JSON on standard input.
	out, errOut, code := cli(t, u, secret, "", "contacts", "create", "--name", "Ada Lovelace", "--email", "ada@example.com",
		"--phone", "+1 415 555 0100", "--tag", "vip", "--tag", "pioneer")
	if code != 0 {
		t.Fatalf("create: %d %s", code, errOut)
	}
	ada := jsonObject(t, out)
	if ada["firstName"] != "Ada" || len(ada["tags"].([]any)) != 2 {
		t.Errorf("created %v", ada)
	}
	id := ada["id"].(string)
	out, errOut, code = cli(t, u, secret, `{"firstName":"Grace","lastName":"Hopper","company":"Navy","externalId":"crm-grace"}`, "contacts", "create")
	if code != 0 || jsonObject(t, out)["company"] != "Navy" {
		t.Fatalf("create from stdin: %d %s %s", code, out, errOut)
	}

	// Read it back every way; flags before the command work too.
	for _, args := range [][]string{
		{"contacts", "get", id},
		{"contacts", "get", "--email", "ADA@example.com"},
		{"--url", u, "--token", secret, "contacts", "get", id},
		{"--json", "contacts", "lookup", "(415) 555-0100"},
	} {
		out, errOut, code := cli(t, u, secret, "", args...)
		if code != 0 || !strings.Contains(out, id) {
			t.Errorf("%v: %d %q %q", args, code, out, errOut)
		}
	}
	if out, _, _ := cli(t, u, secret, "", "contacts", "get", "--external-id", "crm-grace"); jsonObject(t, out)["lastName"] != "Hopper" {
		t.Errorf("get by external id: %s", out)
	}

	// A list is a JSON line a contact, filtered and limited.
	out, _, code = cli(t, u, secret, "", "contacts", "list", "--filter", `{"tags":"vip"}`)
	if rows := jsonLines(t, out); code != 0 || len(rows) != 1 || rows[0]["id"] != id {
		t.Errorf("list vip: %d %v", code, rows)
	}
	out, _, _ = cli(t, u, secret, "", "contacts", "list", "--sort", "lastName", "--limit", "1", "--fields", "lastName")
	if rows := jsonLines(t, out); len(rows) != 1 || rows[0]["lastName"] != "Hopper" || rows[0]["firstName"] != nil {
		t.Errorf("list --limit 1: %v", rows)
	}

	// Update with flags; a stale version is a conflict (exit 4).
	out, errOut, code = cli(t, u, secret, "", "contacts", "update", id, "--job-title", "Analyst", "--if-version", "1")
	if code != 0 || jsonObject(t, out)["jobTitle"] != "Analyst" {
		t.Fatalf("update: %d %s %s", code, out, errOut)
	}
	_, errOut, code = cli(t, u, secret, "", "contacts", "update", id, "--job-title", "Stale", "--if-version", "1")
	if code != exitConflict || !strings.Contains(errOut, "412") {
		t.Errorf("stale update: %d %q", code, errOut)
	}
	out, _, code = cli(t, u, secret, `{"department":"Engines"}`, "contacts", "update", id)
	if code != 0 || jsonObject(t, out)["department"] != "Engines" {
		t.Errorf("update from stdin: %d %s", code, out)
	}

	// Errors: the field named on stderr, with a code for each kind.
	_, errOut, code = cli(t, u, secret, "", "contacts", "create", "--name", "Bad", "--email", "not-an-email")
	if code != exitInvalid || !strings.Contains(errOut, "body.email") {
		t.Errorf("invalid email: %d %q", code, errOut)
	}
	_, errOut, code = cli(t, u, secret, "", "contacts", "create", "--name", "Twin", "--email", "ada@example.com")
	if code != exitConflict || !strings.Contains(errOut, id) {
		t.Errorf("taken email: %d %q", code, errOut)
	}
	if _, _, code = cli(t, u, secret, "", "contacts", "get", "ct_01nosuchcontact000000000000"); code != exitNotFound {
		t.Errorf("not found: %d", code)
	}
	if _, errOut, code = cli(t, u, reader, "", "contacts", "delete", id); code != exitDenied || !strings.Contains(errOut, "403") {
		t.Errorf("reader deletes: %d %q", code, errOut)
	}
	if _, _, code = cli(t, u, "", "", "contacts", "list"); code != 2 {
		t.Errorf("no token: %d", code)
	}
	if _, _, code = cli(t, u, secret, "", "contacts", "frobnicate"); code != 2 {
		t.Errorf("unknown subcommand: %d", code)
	}
	if _, errOut, code = cli(t, u, secret, "", "contacts", "list", "--filter", "{nope"); code != 2 || !strings.Contains(errOut, "--filter") {
		t.Errorf("bad filter: %d %q", code, errOut)
	}

	// Tags and segments.
	out, _, code = cli(t, u, secret, "", "tags", "create", "gold", "--color", "#d4af37")
	tag := jsonObject(t, out)
	if code != 0 || tag["color"] != "#D4AF37" {
		t.Fatalf("tag create: %d %s", code, out)
	}
	if out, _, _ = cli(t, u, secret, "", "tags", "update", tag["id"].(string), "--name", "Gold"); jsonObject(t, out)["name"] != "Gold" {
		t.Errorf("tag update: %s", out)
	}
	if out, _, _ = cli(t, u, secret, "", "tags", "list", "--q", "g"); len(jsonLines(t, out)) != 1 {
		t.Errorf("tags list: %s", out)
	}
	if _, _, code = cli(t, u, secret, "", "tags", "delete", tag["id"].(string)); code != 0 {
		t.Errorf("tag delete: %d", code)
	}
	out, _, _ = cli(t, u, secret, "", "segments", "create", "Pioneers")
	sg := jsonObject(t, out)["id"].(string)
	if out, _, code = cli(t, u, secret, "", "segments", "add", sg, id); code != 0 || jsonObject(t, out)["memberCount"] != float64(1) {
		t.Errorf("segment add: %d %s", code, out)
	}
	if out, _, _ = cli(t, u, secret, "", "segments", "contacts", sg); len(jsonLines(t, out)) != 1 {
		t.Errorf("segment contacts: %s", out)
	}
	if out, _, code = cli(t, u, secret, "", "segments", "create", "VIPs", "--filter", `{"tags":"vip"}`); code != 0 || jsonObject(t, out)["kind"] != "dynamic" {
		t.Errorf("dynamic segment: %d %s", code, out)
	}
	if out, _, _ = cli(t, u, secret, "", "segments", "list", "--kind", "dynamic"); len(jsonLines(t, out)) != 1 {
		t.Errorf("segments list: %s", out)
	}
	cli(t, u, secret, "", "segments", "remove", sg, id)
	if _, _, code = cli(t, u, secret, "", "segments", "delete", sg); code != 0 {
		t.Errorf("segment delete: %d", code)
	}

	// The change feed: a page, and following it.
	out, _, code = cli(t, u, secret, "", "changes", "--limit", "2")
	if rows := jsonLines(t, out); code != 0 || len(rows) != 2 || rows[0]["type"] != "created" {
		t.Errorf("changes: %d %v", code, rows)
	}
	out, _, code = cli(t, u, secret, "", "changes", "--follow", "--limit", "3")
	if rows := jsonLines(t, out); code != 0 || len(rows) != 3 {
		t.Errorf("changes --follow: %d %v", code, rows)
	}

	// Delete, and the table a terminal would get is tested through show.
	if out, _, code = cli(t, u, secret, "", "contacts", "delete", id); code != 0 || out != "" {
		t.Errorf("delete: %d %q", code, out)
	}
}

// TestClientHelp: each client command's --help has examples and exits 0;
// with no subcommand the usage is shown and the exit code is 2.
func TestClientHelp(t *testing.T) {
	t.Parallel()
	stdinMu.Lock() // run reads stdin, which cli replaces
	defer stdinMu.Unlock()
	for _, cmd := range []string{"contacts", "tags", "segments", "changes"} {
		var out, errb bytes.Buffer
		err := run(context.Background(), []string{cmd, "--help"}, &out, &errb, env(nil))
		if !errors.Is(err, errHelp) || !strings.Contains(errb.String(), "Examples:") || !strings.Contains(errb.String(), "--url") {
			t.Errorf("%s --help: %v %q", cmd, err, errb.String())
		}
	}
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"contacts"}, &out, &errb, env(nil)); exitCode(err, &bytes.Buffer{}) != 2 || !strings.Contains(errb.String(), "usage:") {
		t.Errorf("contacts alone: %v %q", err, errb.String())
	}
}

// TestFlagsBeforeTheCommand: a flag given before the command is the
// command's.
func TestFlagsBeforeTheCommand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want []string }{
		{[]string{"--db", "x.db", "tenant", "create", "t"}, []string{"tenant", "create", "t", "--db", "x.db"}},
		{[]string{"--json", "contacts", "list"}, []string{"contacts", "list", "--json"}},
		{[]string{"--db=x.db", "tenant", "list"}, []string{"tenant", "list", "--db=x.db"}},
		{[]string{"tenant", "list", "--db", "x"}, []string{"tenant", "list", "--db", "x"}},
		{[]string{"--help"}, []string{"--help"}},
	} {
		if got := commandFirst(tc.in); strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%v: %v, want %v", tc.in, got, tc.want)
		}
	}
	db := filepath.Join(t.TempDir(), "c.db")
	if _, stderr, err := runCmd(t, env(nil), "--db", db, "tenant", "create", "first"); err != nil {
		t.Errorf("contactd --db X tenant create: %v %s", err, stderr)
	}
}

// TestTables: on a terminal, contacts and lists are tables.
func TestTables(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	r := &remote{stdout: &out}
	c := &client.Contact{ID: "ct_1", Version: 3, DisplayName: "Ada Lovelace", Company: "Analytical",
		Emails: []client.Email{{Address: "ada@example.com", Type: "work", Primary: true}}, Phones: []client.Phone{{E164: "+14155550100", Type: "mobile", Primary: true}}}
	if err := r.showContact(c); err != nil {
		t.Fatal(err)
	}
	collapsed := strings.Join(strings.Fields(out.String()), " ")
	for _, want := range []string{"FIELD VALUE", "name Ada Lovelace", "email ada@example.com (work)", "phone +14155550100 (mobile)", "version 3"} {
		if !strings.Contains(collapsed, want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	seq := func(yield func(client.Contact, error) bool) { yield(*c, nil) }
	if err := each(r, seq, "ID\tNAME\tEMAIL\tPHONE\tCOMPANY\tUPDATED", contactRow); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 2 || !strings.HasPrefix(strings.Join(strings.Fields(lines[1]), " "), "ct_1 Ada Lovelace ada@example.com +14155550100 Analytical") {
		t.Errorf("list table:\n%s", out.String())
	}
}
