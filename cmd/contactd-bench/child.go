package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/carddav"
	"github.com/contactd/contactd/internal/httpapi"
	"github.com/contactd/contactd/internal/logbuf"
	"github.com/contactd/contactd/internal/metrics"
	"github.com/contactd/contactd/internal/web"
	"github.com/contactd/contactd/internal/webhook"
)

// The servers under test run as child processes of the bench: the bench
// binary started again with CONTACTD_BENCH_ROLE set. A child listens on a
// free port of 127.0.0.1, prints "listening ADDR" on stdout, then reads
// commands from stdin ("profile-start FILE", "profile-stop"), answering
// each with a line. It shuts down when its stdin closes, so a child never
// outlives the bench.

const roleEnv = "CONTACTD_BENCH_ROLE"

// minimalBody is the minimal server's answer: a fixed JSON document of
// about 300 bytes, the size of a small contact.
var minimalBody = []byte(`{"id":"ct_01j9z3m4k8q7x2v5n6b0c1d2e3","version":1,"kind":"person","contactType":"company",` +
	`"firstName":"Ada","lastName":"Lovelace","displayName":"Ada Lovelace","phones":[{"id":"ph_01j9z3m4k8q7x2v5n6b0c1d2e4",` +
	`"number":"+44 20 7946 0000","e164":"+442079460000","type":"work","primary":true,"verified":false}],"tags":["vip"]}`)

// runChild runs the child role named by the environment, if any, and
// reports whether it did.
func runChild() bool {
	role := os.Getenv(roleEnv)
	if role == "" {
		return false
	}
	var err error
	switch role {
	case "minimal":
		err = serveMinimal()
	case "contactd":
		err = serveContactd(os.Getenv("CONTACTD_BENCH_DB"))
	default:
		err = fmt.Errorf("unknown role %q", role)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "contactd-bench child:", err)
		os.Exit(1)
	}
	return true
}

func serveMinimal() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write(minimalBody)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	go srv.Serve(ln)
	fmt.Printf("listening %s\n", ln.Addr())
	commands()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(ctx)
}

// serveContactd starts contactd's REST API over db the way
// cmd/contactd's Start does (same store, service, handler and server
// settings, JSON request logs on stderr), on a free port of 127.0.0.1.
func serveContactd(db string) error {
	ctx := context.Background()
	lw := logbuf.New(os.Stderr, 100*time.Millisecond) // as contactd serve does
	defer lw.Close()
	log := slog.New(slog.NewJSONHandler(lw, nil))
	store, err := openStore(ctx, db)
	if err != nil {
		return err
	}
	svc := contactd.NewService(store, log)
	svc.UseWebhooks(webhook.NewTransport(true))         // the receiver is this machine's
	if _, err := svc.Bootstrap(ctx, "US"); err != nil { // a no-op: the tenants exist
		store.Close()
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		store.Close()
		return err
	}
	// The server as `contactd serve` runs it, metrics included, but
	// without the per-token rate and concurrency limits: the load comes
	// from a few tokens, which the limits would throttle by design.
	name := "sqlite"
	if strings.HasPrefix(db, "postgres") {
		name = "postgres"
	}
	mt := metrics.New(metrics.Sources{Store: name, Stats: svc.Stats})
	if sm, ok := store.(interface{ SetMetrics(contactd.StoreMetrics) }); ok {
		sm.SetMetrics(mt)
	}
	api := httpapi.New(svc, log, httpapi.Config{Version: "bench", Observer: mt})
	mux := http.NewServeMux()
	mux.Handle("/", api)
	carddav.New(svc, log, carddav.Options{Limiter: api.Limiter(), Observer: mt}).Register(mux)
	web.New(svc, api, log, web.Options{}).Register(mux)
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("serve", "err", err)
		}
	}()
	delivering := make(chan struct{})
	go func() {
		svc.RunWebhooks(ctx, contactd.WebhookOptions{})
		close(delivering)
	}()
	fmt.Printf("listening %s\n", ln.Addr())
	commands()
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	svc.Stop()
	err = srv.Shutdown(sctx)
	<-delivering
	return errors.Join(err, store.Close())
}

// commands serves the parent's commands until stdin closes.
func commands() {
	var prof *os.File
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(sc.Text(), " ")
		switch cmd {
		case "profile-start":
			f, err := os.Create(arg)
			if err == nil {
				if err = pprof.StartCPUProfile(f); err != nil {
					f.Close()
				} else {
					prof = f
				}
			}
			reply(err)
		case "profile-stop":
			var err error
			if prof != nil {
				pprof.StopCPUProfile()
				err = prof.Close()
				prof = nil
			}
			reply(err)
		default:
			reply(fmt.Errorf("unknown command %q", cmd))
		}
	}
	if prof != nil {
		pprof.StopCPUProfile()
		prof.Close()
	}
}

func reply(err error) {
	if err != nil {
		fmt.Printf("error %v\n", err)
		return
	}
	fmt.Println("ok")
}

// child is a running server process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Scanner
	Addr  string
	done  chan error
}

// startChild starts the bench binary in a role; its stderr goes to logPath.
func startChild(role string, env []string, logPath string) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe)
	cmd.Env = append(append(os.Environ(), roleEnv+"="+role), env...)
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stderr = logf
	stdin, err := cmd.StdinPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	logf.Close() // the child has its own descriptor
	c := &child{cmd: cmd, stdin: stdin, out: bufio.NewScanner(stdout), done: make(chan error, 1)}
	first := make(chan string, 1)
	go func() {
		if c.out.Scan() {
			first <- c.out.Text()
		}
		close(first)
	}()
	go func() { c.done <- cmd.Wait() }()
	select {
	case line, ok := <-first:
		if addr, found := strings.CutPrefix(line, "listening "); ok && found {
			c.Addr = addr
			return c, nil
		}
		c.kill()
		return nil, fmt.Errorf("%s server did not start (see %s)", role, logPath)
	case <-time.After(2 * time.Minute):
		c.kill()
		return nil, fmt.Errorf("%s server did not start within 2 minutes (see %s)", role, logPath)
	}
}

// command sends a command to the child and waits for its answer.
func (c *child) command(line string) error {
	if _, err := fmt.Fprintln(c.stdin, line); err != nil {
		return err
	}
	if !c.out.Scan() {
		return fmt.Errorf("the server exited")
	}
	if ans := c.out.Text(); ans != "ok" {
		return errors.New(ans)
	}
	return nil
}

// stop asks the child to shut down and waits for it (killing it after 30 s).
func (c *child) stop() error {
	c.stdin.Close()
	select {
	case err := <-c.done:
		return err
	case <-time.After(30 * time.Second):
		c.kill()
		return fmt.Errorf("the server did not stop within 30 s; killed")
	}
}

func (c *child) kill() {
	c.cmd.Process.Kill()
	<-c.done
}

// memory reports a process's peak and current resident set size in bytes
// (VmHWM and VmRSS of /proc/PID/status); 0 where there is no /proc.
func memory(pid int) (peak, cur int64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmHWM" && k != "VmRSS") {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		kb, _ := strconv.ParseInt(f[0], 10, 64)
		if k == "VmHWM" {
			peak = kb * 1024
		} else {
			cur = kb * 1024
		}
	}
	return peak, cur
}
