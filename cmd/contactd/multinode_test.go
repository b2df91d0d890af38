package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/storetest"
)

// TestMain lets a test start this binary as a contactd process: with
// CONTACTD_TEST_AS_SERVER set, it runs the command line instead of tests.
func TestMain(m *testing.M) {
	if os.Getenv("CONTACTD_TEST_AS_SERVER") != "" {
		// As main: SIGINT and SIGTERM shut down gracefully.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// node is a contactd process started by a test.
type node struct {
	base   string
	banner string
	cmd    *exec.Cmd
}

// startNode runs `contactd serve` in a child process on a free port; with
// wantBanner it waits for the first-start banner too.
func startNode(t *testing.T, db string, wantBanner bool) *node {
	t.Helper()
	n, err := spawnNode(t, db, wantBanner)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// startNodeArgs is startNode with more arguments to serve.
func startNodeArgs(t *testing.T, db string, wantBanner bool, args ...string) *node {
	t.Helper()
	n, err := spawnNode(t, db, wantBanner, args...)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// spawnNode is startNode for any goroutine: it reports failure as an error.
func spawnNode(t *testing.T, db string, wantBanner bool, args ...string) (*node, error) {
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, args...)...)
	cmd.Env = append(os.Environ(), "CONTACTD_TEST_AS_SERVER=1")
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var line struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				addr <- line.Addr
			}
		}
	}()
	banner := make(chan string, 1)
	go func() {
		var b strings.Builder
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			b.WriteString(sc.Text() + "\n")
			if strings.Contains(sc.Text(), "API reference") {
				banner <- b.String()
			}
		}
	}()
	n := &node{cmd: cmd}
	timeout := time.After(30 * time.Second)
	select {
	case a := <-addr:
		n.base = "http://" + a
	case <-timeout:
		return nil, fmt.Errorf("node did not start")
	}
	if wantBanner {
		select {
		case n.banner = <-banner:
		case <-timeout:
			return nil, fmt.Errorf("node printed no banner")
		}
	}
	return n, nil
}

type result struct {
	status int
	body   map[string]any
	raw    string
}

func (n *node) do(t *testing.T, method, path, token, body string, headers ...string) result {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, n.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r := result{status: res.StatusCode, raw: string(b)}
	json.Unmarshal(b, &r.body)
	return r
}

// TestTwoNodesOnePostgres runs two contactd processes over one PostgreSQL
// database and interleaves writes and reads through both.
func TestTwoNodesOnePostgres(t *testing.T) {
	t.Parallel()
	db := storetest.PostgresURL(t)
	a := startNode(t, db, true)
	tok := regexp.MustCompile(`cdt_[A-Za-z0-9_-]{43}`).FindString(a.banner)
	if tok == "" {
		t.Fatalf("the first node printed no token:\n%s", a.banner)
	}
	b := startNode(t, db, false)

	// Read-your-writes across nodes, for every write.
	nodes := []*node{a, b}
	var ids []string
	for i := range 10 {
		w, r := nodes[i%2], nodes[(i+1)%2]
		c := w.do(t, "POST", "/v1/contacts", tok, fmt.Sprintf(`{"firstName":"Node%d","phone":"+1415555%04d"}`, i, i))
		if c.status != http.StatusCreated {
			t.Fatalf("create through node %d: %d %s", i%2, c.status, c.raw)
		}
		id := c.body["id"].(string)
		ids = append(ids, id)
		if g := r.do(t, "GET", "/v1/contacts/"+id, tok, ""); g.status != http.StatusOK {
			t.Errorf("read through the other node right after the write: %d", g.status)
		}
		l := r.do(t, "GET", fmt.Sprintf("/v1/contacts/lookup?phone=%%2B1415555%04d", i), tok, "")
		if l.body["match"] != "exact" {
			t.Errorf("lookup through the other node right after the write: %s", l.raw)
		}
		p := r.do(t, "PATCH", "/v1/contacts/"+id, tok, `{"jobTitle":"Tester"}`, "If-Match", `"1"`)
		if p.status != http.StatusOK {
			t.Errorf("If-Match PATCH through the other node: %d %s", p.status, p.raw)
		}
		if p := w.do(t, "PATCH", "/v1/contacts/"+id, tok, `{"jobTitle":"Stale"}`, "If-Match", `"1"`); p.status != http.StatusPreconditionFailed {
			t.Errorf("stale If-Match through the first node: %d, want 412", p.status)
		}
	}

	// An idempotency key used on one node is honoured on the other.
	body := `{"firstName":"Once","email":"once@example.com"}`
	first := a.do(t, "POST", "/v1/contacts", tok, body, "Idempotency-Key", "key-1")
	again := b.do(t, "POST", "/v1/contacts", tok, body, "Idempotency-Key", "key-1")
	if first.status != http.StatusCreated || again.status != http.StatusCreated || first.body["id"] != again.body["id"] {
		t.Errorf("idempotent retry on the other node: %d %v then %d %v; want the same 201", first.status, first.body["id"], again.status, again.body["id"])
	}
	if other := b.do(t, "POST", "/v1/contacts", tok, `{"firstName":"Other"}`, "Idempotency-Key", "key-1"); other.status != http.StatusConflict {
		t.Errorf("same key, other body, other node: %d, want 409", other.status)
	}

	// The change feed is one ordered log, whichever node wrote.
	feed := b.do(t, "GET", "/v1/changes?limit=1000", tok, "")
	data, _ := feed.body["data"].([]any)
	if len(data) != 21 {
		t.Errorf("feed has %d entries, want 21 (10 creates, 10 updates, 1 create)", len(data))
	}
	for i, d := range data {
		if seq := d.(map[string]any)["seq"].(float64); int(seq) != i+1 {
			t.Fatalf("feed entry %d has seq %v", i, seq)
		}
	}

	// A token revoked through one node is rejected by the other at once.
	created := a.do(t, "POST", "/v1/tokens", tok, `{"name":"short-lived","scopes":["contacts:read"]}`)
	secret, _ := created.body["secret"].(string)
	tokenID, _ := created.body["token"].(map[string]any)["id"].(string)
	if g := b.do(t, "GET", "/v1/contacts/"+ids[0], secret, ""); g.status != http.StatusOK {
		t.Fatalf("new token on the other node: %d", g.status)
	}
	if d := a.do(t, "DELETE", "/v1/tokens/"+tokenID, tok, ""); d.status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", d.status, d.raw)
	}
	if g := b.do(t, "GET", "/v1/contacts/"+ids[0], secret, ""); g.status != http.StatusUnauthorized {
		t.Errorf("revoked token on the other node: %d, want 401", g.status)
	}
}

// TestNodesStartingTogether starts three nodes at once on an empty
// database: they take turns migrating, a lost bootstrap race is no error,
// and all of them serve.
func TestNodesStartingTogether(t *testing.T) {
	t.Parallel()
	db := storetest.PostgresURL(t)
	nodes := make([]*node, 3)
	errs := make([]error, 3)
	done := make(chan int)
	for i := range nodes {
		go func() {
			nodes[i], errs[i] = spawnNode(t, db, false)
			done <- i
		}()
	}
	for range nodes {
		<-done
	}
	for i, n := range nodes {
		if errs[i] != nil {
			t.Errorf("node %d: %v", i, errs[i])
			continue
		}
		res, err := http.Get(n.base + "/readyz")
		if err != nil || res.StatusCode != http.StatusOK {
			t.Errorf("node %d not ready: %v", i, err)
		}
		if res != nil {
			res.Body.Close()
		}
	}
}
