package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/storetest"
)

// reliabilityDBs are the databases the reliability tests run on: a SQLite
// file, and a PostgreSQL schema when the suite has one.
func reliabilityDBs(t *testing.T) map[string]func(t *testing.T) string {
	dbs := map[string]func(t *testing.T) string{
		"sqlite": func(t *testing.T) string { return filepath.Join(t.TempDir(), "c.db") },
	}
	if os.Getenv(storetest.PostgresURLEnv) != "" {
		dbs["postgres"] = func(t *testing.T) string { return storetest.PostgresURL(t) }
	}
	return dbs
}

// TestKillLosesNoAcknowledgedWrite: contactd is killed (SIGKILL) in the
// middle of a stream of creates and patches from several clients. Started
// again, it has every create it acknowledged, each patch it acknowledged
// (or a later one), and no half-written contact: each is readable, found
// by its number and its email, and its version is whole.
func TestKillLosesNoAcknowledgedWrite(t *testing.T) {
	for name, db := range reliabilityDBs(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := db(t)
			n := startNode(t, path, true)
			token := regexp.MustCompile(`cdt_[A-Za-z0-9_-]{43}`).FindString(n.banner)
			type acked struct {
				id, phone, email string
				version          int // the highest version a patch was acknowledged at
				title            string
			}
			var mu sync.Mutex
			var writes []*acked
			var wg sync.WaitGroup
			stop := make(chan struct{})
			client := &http.Client{Timeout: 5 * time.Second}
			send := func(method, url, body string) (int, string, error) {
				req, _ := http.NewRequest(method, n.base+url, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				res, err := client.Do(req)
				if err != nil {
					return 0, "", err
				}
				defer res.Body.Close()
				b, err := io.ReadAll(res.Body)
				return res.StatusCode, string(b), err
			}
			versionRE := regexp.MustCompile(`"version":(\d+)`)
			for w := range 4 {
				wg.Go(func() {
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						a := &acked{phone: fmt.Sprintf("+1415%03d%04d", 200+w, i), email: fmt.Sprintf("k%d.%d@example.com", w, i)}
						status, body, err := send("POST", "/v1/contacts", fmt.Sprintf(`{"firstName":"K%d","lastName":"N%d","phone":%q,"email":%q}`, w, i, a.phone, a.email))
						if err != nil || status != http.StatusCreated {
							return // the server is gone
						}
						a.id = regexp.MustCompile(`"id":"(ct_[0-9a-z]+)"`).FindStringSubmatch(body)[1]
						a.version = 1
						mu.Lock()
						writes = append(writes, a)
						mu.Unlock()
						for p := range 2 {
							title := fmt.Sprintf("T%d", p)
							status, body, err := send("PATCH", "/v1/contacts/"+a.id, fmt.Sprintf(`{"jobTitle":%q}`, title))
							if err != nil || status != http.StatusOK {
								return
							}
							var v int
							fmt.Sscan(versionRE.FindStringSubmatch(body)[1], &v)
							mu.Lock()
							a.version, a.title = v, title
							mu.Unlock()
						}
					}
				})
			}
			// Kill it mid-stream, once enough writes are acknowledged (however
			// slow the machine, with the race detector on): a fixed wait
			// left too few under a loaded CI.
			for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				mu.Lock()
				enough := len(writes) >= 20
				mu.Unlock()
				if enough {
					break
				}
			}
			time.Sleep(100 * time.Millisecond) // patches in flight, too
			n.cmd.Process.Kill()
			n.cmd.Wait()
			close(stop)
			wg.Wait()
			if len(writes) < 10 {
				t.Fatalf("only %d creates acknowledged before the kill", len(writes))
			}
			n = startNode(t, path, false)
			for _, a := range writes {
				r := n.do(t, "GET", "/v1/contacts/"+a.id, token, "")
				if r.status != http.StatusOK {
					t.Fatalf("acknowledged contact %s: %d %s", a.id, r.status, r.raw)
				}
				v := int(r.body["version"].(float64))
				if v < a.version || v > 3 {
					t.Errorf("%s: version %d, acknowledged %d", a.id, v, a.version)
				}
				if a.version > 1 && v == a.version && r.body["jobTitle"] != a.title {
					t.Errorf("%s: jobTitle %v at version %d, acknowledged %q", a.id, r.body["jobTitle"], v, a.title)
				}
				for _, q := range []string{"phone=" + strings.ReplaceAll(a.phone, "+", "%2B"), "email=" + a.email} {
					l := n.do(t, "GET", "/v1/contacts/lookup?"+q, token, "")
					data, _ := l.body["data"].([]any)
					if l.status != http.StatusOK || len(data) != 1 || data[0].(map[string]any)["id"] != a.id {
						t.Errorf("%s: lookup %s: %d %s", a.id, q, l.status, l.raw)
					}
				}
			}
			t.Logf("%s: %d acknowledged creates (and their patches) all there after SIGKILL", name, len(writes))
		})
	}
}

// TestSIGTERMDrains: on SIGTERM contactd answers what is in flight (a
// long poll answers at once, a batch of writes completes) and exits 0.
func TestSIGTERMDrains(t *testing.T) {
	for name, db := range reliabilityDBs(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			n := startNode(t, db(t), true)
			token := regexp.MustCompile(`cdt_[A-Za-z0-9_-]{43}`).FindString(n.banner)
			var ops []string
			for i := range 1000 {
				ops = append(ops, fmt.Sprintf(`{"op": "create", "contact": {"firstName": "D%04d"}}`, i))
			}
			type answer struct {
				status int
				body   string
				err    error
			}
			call := func(method, path, body string) chan answer {
				out := make(chan answer, 1)
				go func() {
					req, _ := http.NewRequest(method, n.base+path, strings.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+token)
					req.Header.Set("Content-Type", "application/json")
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						out <- answer{err: err}
						return
					}
					defer res.Body.Close()
					b, err := io.ReadAll(res.Body)
					out <- answer{res.StatusCode, string(b), err}
				}()
				return out
			}
			poll := call("GET", "/v1/changes?from=now&wait=30s", "")
			time.Sleep(300 * time.Millisecond) // the poll is waiting
			batch := call("POST", "/v1/contacts/batch", `{"operations": [`+strings.Join(ops, ",")+`]}`)
			time.Sleep(100 * time.Millisecond) // the batch is in flight (it takes longer than that)
			start := time.Now()
			if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			for what, ch := range map[string]chan answer{"long poll": poll, "batch": batch} {
				select {
				case a := <-ch:
					if a.err != nil || a.status != http.StatusOK {
						t.Errorf("%s in flight at SIGTERM: %d %v %.200s", what, a.status, a.err, a.body)
					}
					if what == "batch" && strings.Count(a.body, `"status":"created"`) != 1000 {
						t.Errorf("the batch was cut: %.300s", a.body)
					}
				case <-time.After(15 * time.Second):
					t.Fatalf("%s not answered after SIGTERM", what)
				}
			}
			if err := n.cmd.Wait(); err != nil {
				t.Fatalf("exit after SIGTERM: %v", err)
			}
			t.Logf("%s: drained and exited in %v", name, time.Since(start).Round(time.Millisecond))
		})
	}
}
