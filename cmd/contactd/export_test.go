package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/formats"
	"github.com/contactd/contactd/internal/httpapi"
)

// TestExportCommand: contactd export writes the same NDJSON from the
// database (--db, --tenant) and from a running server (--url, --token),
// across pages, with the filter, query and fields it is given; it leaves no
// file behind when it fails, and says why.
func TestExportCommand(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "c.db")
	svc, tn, p := openTenant(t, path, "acme")
	const n = contactd.MaxLimit + 57
	var ins []*contactd.ContactInput
	for i := range n {
		in := &contactd.ContactInput{FirstName: fmt.Sprintf("Ex%04d", i), LastName: "Export"}
		if i%4 == 0 {
			in.Tags = []string{"vip"}
		}
		ins = append(ins, in)
	}
	var vip []string
	for chunk := range slices.Chunk(ins, contactd.MaxBulk) {
		cs, err := svc.CreateContacts(ctx, p, "test", chunk)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if slices.Contains(c.Tags, "vip") {
				vip = append(vip, c.ID)
			}
		}
	}
	slices.Sort(vip)
	if _, err := svc.CreateTenant(ctx, "other", "US"); err != nil {
		t.Fatal(err)
	}
	secret, _, err := svc.CreateToken(ctx, contactd.TokenParams{TenantID: tn.ID, Name: "export", Scopes: []contactd.Scope{contactd.ScopeRead}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(svc, slog.New(slog.DiscardHandler), httpapi.Config{Version: "test"}))
	defer srv.Close()

	read := func(file string) []map[string]any {
		t.Helper()
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var out []map[string]any
		for line := range bytes.Lines(b) {
			var c map[string]any
			if err := json.Unmarshal(line, &c); err != nil {
				t.Fatalf("%s: %v: %s", file, err, line)
			}
			out = append(out, c)
		}
		return out
	}
	ids := func(cs []map[string]any) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c["id"].(string))
		}
		return out
	}
	local, remote := filepath.Join(dir, "local.ndjson"), filepath.Join(dir, "remote.ndjson")
	if _, stderr, err := runCmd(t, env(nil), "export", "--db", path, "--tenant", "acme", "--output", local); err != nil ||
		!strings.Contains(stderr, fmt.Sprintf("exported %d contacts to %s", n, local)) {
		t.Fatalf("local export: %v, stderr %q", err, stderr)
	}
	if _, stderr, err := runCmd(t, env(map[string]string{"CONTACTD_URL": srv.URL, "CONTACTD_TOKEN": secret}), "export", "-o", remote); err != nil ||
		!strings.Contains(stderr, fmt.Sprintf("exported %d contacts", n)) {
		t.Fatalf("remote export: %v, stderr %q", err, stderr)
	}
	lb, _ := os.ReadFile(local)
	rb, _ := os.ReadFile(remote)
	if got := ids(read(local)); len(got) != n || !slices.IsSorted(got) || !bytes.Equal(lb, rb) {
		t.Errorf("local export: %d contacts (sorted %v); the same bytes as the server's: %v", len(got), slices.IsSorted(got), bytes.Equal(lb, rb))
	}
	// A filter and fields, both ways, to standard output.
	for _, how := range [][]string{{"--db", path, "--tenant", tn.ID}, {"--url", srv.URL, "--token", secret}} {
		out, _, err := runCmd(t, env(nil), append([]string{"export", "--filter", `{"tags":"vip"}`, "--fields", "firstName"}, how...)...)
		if err != nil {
			t.Fatalf("export %v: %v", how, err)
		}
		var got []string
		for line := range strings.Lines(out) {
			var c map[string]any
			if err := json.Unmarshal([]byte(line), &c); err != nil || len(c) != 2 || c["firstName"] == nil {
				t.Fatalf("export %v: line %q, %v", how, line, err)
			}
			got = append(got, c["id"].(string))
		}
		if !slices.Equal(got, vip) {
			t.Errorf("export %v of the vip tag: %d contacts, want %d", how, len(got), len(vip))
		}
	}
	// CSV and vCard, both ways: the same file, every contact in it.
	for _, format := range []string{"csv", "vcard"} {
		var files [2][]byte
		for i, how := range [][]string{{"--db", path, "--tenant", "acme"}, {"--url", srv.URL, "--token", secret}} {
			file := filepath.Join(dir, fmt.Sprintf("%d.%s", i, format))
			_, stderr, err := runCmd(t, env(nil), append([]string{"export", "--format", format, "--vcard-version", "3.0", "-o", file}, how...)...)
			if err != nil || !strings.Contains(stderr, fmt.Sprintf("exported %d contacts", n)) {
				t.Fatalf("export --format %s %v: %v, %s", format, how, err, stderr)
			}
			files[i], _ = os.ReadFile(file)
		}
		if !bytes.Equal(files[0], files[1]) {
			t.Errorf("--format %s: the database's file and the server's differ", format)
		}
		var r formats.Reader = formats.NewVCardReader(bytes.NewReader(files[0]))
		if format == "csv" {
			if r, err = formats.NewCSVReader(bytes.NewReader(files[0]), formats.CSVOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		count := 0
		for {
			rec, err := r.Next()
			if err != nil {
				break
			}
			if rec.Err != nil || rec.Input.LastName != "Export" {
				t.Fatalf("--format %s: record %d: %+v", format, rec.N, rec)
			}
			count++
		}
		if count != n {
			t.Errorf("--format %s: %d contacts read back, want %d", format, count, n)
		}
	}
	// Failures leave no file and say why.
	failed := filepath.Join(dir, "failed.ndjson")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--url", srv.URL, "--token", "cdt_wrong"}, "401"},
		{[]string{"--url", srv.URL, "--token", secret, "--filter", "{nope"}, "filter"},
		{[]string{"--db", path, "--tenant", "acme", "--filter", "{nope"}, "filter"},
		{[]string{"--db", path, "--tenant", "nobody"}, "nobody"},
	} {
		_, _, err := runCmd(t, env(nil), append([]string{"export", "-o", failed}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("export %v: %v, want an error saying %q", tc.args, err, tc.want)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, "*failed*")); len(left) > 0 {
			t.Errorf("export %v left %v", tc.args, left)
		}
	}
	// --tenant reads the database even with CONTACTD_URL set.
	if _, stderr, err := runCmd(t, env(map[string]string{"CONTACTD_URL": "http://127.0.0.1:1"}), "export", "--db", path, "--tenant", "acme", "-o", filepath.Join(dir, "env.ndjson")); err != nil {
		t.Errorf("local export with CONTACTD_URL set: %v, %s", err, stderr)
	}
	for _, args := range [][]string{{}, {"--db", path, "--tenant", "acme", "--url", srv.URL}, {"--url", srv.URL}, {"--tenant", "acme", "--format", "xml"},
		{"--tenant", "acme", "--format", "csv", "--fields", "firstName"}, {"--tenant", "acme", "--format", "vcard", "--vcard-version", "2.1"}} {
		if _, _, err := runCmd(t, env(nil), append([]string{"export"}, args...)...); err == nil {
			t.Errorf("export %v succeeded", args)
		}
	}
}

// TestExportCommandCut: a server export that is cut after its first lines
// fails the command, which keeps no file.
func TestExportCommandCut(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		w.Write([]byte("{\"id\":\"ct_1\"}\n{\"id\":"))
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}))
	defer srv.Close()
	dir := t.TempDir()
	out := filepath.Join(dir, "cut.ndjson")
	_, _, err := runCmd(t, env(nil), "export", "--url", srv.URL, "--token", "t", "-o", out)
	if err == nil || !strings.Contains(err.Error(), "cut after 1 contacts") {
		t.Errorf("a cut export: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) > 0 {
		t.Errorf("a cut export left %v", left)
	}
}
