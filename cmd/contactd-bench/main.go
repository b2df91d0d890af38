// Command contactd-bench is contactd's benchmark: in one run it generates
// a realistic data set, loads it through the bulk path, starts contactd
// and a minimal Go HTTP server as separate processes on 127.0.0.1, drives
// both with the same load generator and prints requests/s, latency
// percentiles, errors, throughput as a share of the minimal server's and
// contactd's peak memory. See BENCHMARKS.md at the root of the module.
//
//	go run ./cmd/contactd-bench [--contacts 1000000] [--tenants 10] [--seed 1]
//	    [--db PATH|postgres://…] [--duration 10s] [--connections 32] [--interactive 4]
//	    [--scenarios lookup,get,list,search,create,batch] [--keep] [--json FILE]
//	    [--cpuprofile FILE [--profile-scenario lookup]] [--load-cpuprofile FILE]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// config is what one run does.
type config struct {
	Contacts    int           `json:"contacts"`
	Tenants     int           `json:"tenants"`
	Seed        uint64        `json:"seed"`
	DB          string        `json:"db"`
	Duration    time.Duration `json:"-"`
	Warmup      time.Duration `json:"-"`
	Connections int           `json:"connections"`
	Interactive int           `json:"interactiveConnections"`
	BatchSize   int           `json:"batchSize"`
	Scenarios   []string      `json:"scenarios"`
	Export      bool          `json:"export"`
	Import      int           `json:"import"`
	Webhooks    int           `json:"webhooks"`
	CardDAV     bool          `json:"carddav"`
	Keep        bool          `json:"-"`
	JSON        string        `json:"-"`
	CPUProfile  string        `json:"-"`
	LoadProfile string        `json:"-"`
	ProfileOf   string        `json:"-"`
}

var allScenarios = []string{"lookup", "extension", "get", "list", "search", "web-list", "web-search", "web-contact", "create", "batch", "candidates", "duplicates"}

// batchConns is how many connections the batch scenario sends its
// batches over: a CRM sync or an import tool pushing batches a few at a
// time.
const batchConns = 4

// report is everything a run measured; --json writes it.
type report struct {
	Machine   machine     `json:"machine"`
	Config    config      `json:"config"`
	Duration  string      `json:"duration"`
	Warmup    string      `json:"warmup"`
	Load      *loadResult `json:"load"`
	Minimal   *result     `json:"minimal"`
	Scenarios []*result   `json:"scenarios"`
	// Profiled is the extra pass of one scenario run with contactd's CPU
	// profiler on (--cpuprofile); it is not part of the table.
	Profiled *result `json:"profiled,omitempty"`
	// Export is the export pass (--export).
	Export *exportResult `json:"export,omitempty"`
	Import *importResult `json:"import,omitempty"`
	// Webhooks is the webhook pass.
	Webhooks *webhookResult `json:"webhooks,omitempty"`
	// CardDAV is the CardDAV pass (--carddav).
	CardDAV *carddavResult `json:"carddav,omitempty"`
	Started time.Time      `json:"started"`
}

type machine struct {
	CPU        string `json:"cpu"`
	NumCPU     int    `json:"nproc"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Go         string `json:"go"`
	OS         string `json:"os"`
	Kernel     string `json:"kernel,omitempty"`
	MemTotal   string `json:"memTotal,omitempty"`
}

func main() {
	if runChild() {
		return
	}
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, cfg, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "contactd-bench:", err)
		os.Exit(1)
	}
	if rep.failed() {
		os.Exit(3)
	}
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("contactd-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg config
	var scen string
	fs.IntVar(&cfg.Contacts, "contacts", 1_000_000, "contacts in the generated data set")
	fs.IntVar(&cfg.Tenants, "tenants", 10, "tenants the contacts are spread over")
	fs.Uint64Var(&cfg.Seed, "seed", 1, "seed of the data set and of the request mix")
	fs.StringVar(&cfg.DB, "db", "", "database: a SQLite file path or a postgres:// URL (default: a new SQLite file in a temporary directory)")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "measured time of each scenario (after a warm-up of a fifth of it, at most 2s)")
	fs.IntVar(&cfg.Connections, "connections", 32, "concurrent keep-alive connections")
	fs.IntVar(&cfg.BatchSize, "batch-size", 1000, "creates a request of the batch scenario holds (1 to 1000)")
	fs.IntVar(&cfg.Interactive, "interactive", 4, "connections of the interactive pass, which runs list and search again as a few agents browsing would (0: no such pass)")
	fs.StringVar(&scen, "scenarios", strings.Join(allScenarios, ","), "comma-separated scenarios to run after the minimal server: "+strings.Join(allScenarios, ", "))
	fs.IntVar(&cfg.Webhooks, "webhooks", 20000, "last, subscribe a receiver in this process to the first tenant's creations, create this many contacts in batches and wait for their deliveries (0: no webhook pass)")
	fs.IntVar(&cfg.Import, "import", 20000, "after the scenarios, import a CSV file of this many new contacts (Google's layout) into the first tenant over HTTP (POST /v1/imports) and report the rate (0: no import)")
	fs.BoolVar(&cfg.CardDAV, "carddav", false, "after the export, sync the first tenant's address book with vdirsyncer (a first sync, then one with no changes), and the same cards served by Radicale, when both are installed")
	fs.BoolVar(&cfg.Export, "export", true, "after the scenarios, export the first tenant's contacts whole over HTTP (GET /v1/contacts/export) and report the rate")
	fs.BoolVar(&cfg.Keep, "keep", false, "keep the temporary directory (database and server logs)")
	fs.StringVar(&cfg.JSON, "json", "", "also write the results as JSON to this file")
	fs.StringVar(&cfg.CPUProfile, "cpuprofile", "", "after the scenarios, run one of them once more (--profile-scenario) with contactd's CPU profiler on, and write the profile here")
	fs.StringVar(&cfg.LoadProfile, "load-cpuprofile", "", "write a CPU profile of the bulk load (generation and storing) to this file")
	fs.StringVar(&cfg.ProfileOf, "profile-scenario", "lookup", "the scenario --cpuprofile profiles (or import, export: that pass)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected arguments: %v\n", fs.Args())
		return cfg, errors.New("usage")
	}
	for _, s := range strings.Split(scen, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !contains(allScenarios, s) {
			fmt.Fprintf(stderr, "unknown scenario %q (known: %s)\n", s, strings.Join(allScenarios, ", "))
			return cfg, errors.New("usage")
		}
		cfg.Scenarios = append(cfg.Scenarios, s)
	}
	if !contains(allScenarios, cfg.ProfileOf) && (cfg.ProfileOf != "import" || cfg.Import == 0) && (cfg.ProfileOf != "export" || !cfg.Export) {
		fmt.Fprintf(stderr, "--profile-scenario: unknown scenario %q\n", cfg.ProfileOf)
		return cfg, errors.New("usage")
	}
	switch {
	case cfg.Contacts < 1 || cfg.Tenants < 1 || cfg.Tenants > cfg.Contacts:
		fmt.Fprintln(stderr, "--contacts and --tenants must be at least 1, and tenants at most contacts")
		return cfg, errors.New("usage")
	case cfg.Connections < 1 || cfg.Duration <= 0 || cfg.Interactive < 0 || cfg.BatchSize < 1 || cfg.BatchSize > 1000:
		fmt.Fprintln(stderr, "--connections and --duration must be positive, --interactive not negative")
		return cfg, errors.New("usage")
	case uint64(cfg.Contacts)*3+unknownPool+300_000 > minCap():
		fmt.Fprintf(stderr, "--contacts: at most %d\n", (minCap()-unknownPool-300_000)/3)
		return cfg, errors.New("usage")
	}
	cfg.Warmup = min(cfg.Duration/5, 2*time.Second)
	return cfg, nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// run does one whole benchmark run; progress goes to logw, the results to
// out.
func run(ctx context.Context, cfg config, out, logw io.Writer) (*report, error) {
	rep := &report{Machine: describeMachine(), Config: cfg, Duration: cfg.Duration.String(), Warmup: cfg.Warmup.String(), Started: time.Now().UTC()}
	dir, err := os.MkdirTemp("", "contactd-bench-")
	if err != nil {
		return nil, err
	}
	if cfg.Keep {
		fmt.Fprintf(logw, "keeping %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	db := cfg.DB
	if db == "" {
		db = filepath.Join(dir, "contactd.db")
	}
	rep.Config.DB = db
	if strings.Contains(db, "://") {
		if u, err := url.Parse(db); err == nil && u.User != nil {
			u.User = url.User(u.User.Username()) // no password in the report
			rep.Config.DB = u.String()
		}
	}
	printMachine(out, rep.Machine)

	// The run id makes tenant names (and created emails) new on a
	// database that already holds an earlier run.
	runID := strconv.FormatInt(time.Now().UnixNano()/1e6, 36)
	g := newGenerator(cfg.Seed, cfg.Contacts)
	fmt.Fprintf(logw, "generating and loading %d contacts over %d tenants into %s\n", cfg.Contacts, cfg.Tenants, rep.Config.DB)
	stopProfile, err := startProfile(cfg.LoadProfile)
	if err != nil {
		return nil, err
	}
	tenants, lr, err := load(ctx, db, g, cfg.Tenants, runID, logw)
	stopProfile()
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	lr.DBBytes = dbSize(ctx, db)
	if lr.DBBytes > 0 {
		lr.BytesPerContact = lr.DBBytes / int64(lr.Contacts)
	}
	rep.Load = lr
	fmt.Fprintf(out, "data set: %d contacts (%d phones, %d emails) over %d tenants, seed %d; database %s",
		lr.Contacts, lr.Phones, lr.Emails, lr.Tenants, cfg.Seed, rep.Config.DB)
	if lr.DBBytes > 0 {
		fmt.Fprintf(out, " (%s, %d bytes per contact)", mib(lr.DBBytes), lr.BytesPerContact)
	}
	fmt.Fprintf(out, "\nbulk load: %.1f s, %.0f contacts/s (%d batches of up to %d; %.1f s inside CreateContacts); then statistics refreshed in %.1f s\n",
		lr.Seconds, lr.ContactsPerSec, lr.Batches, batchSize, lr.StoreSeconds, lr.OptimizeSeconds)
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	mix := newMix(g, tenants, runID)
	mix.batchSize = cfg.BatchSize
	fmt.Fprintf(out, "load generator: %d keep-alive HTTP/1.1 connections, %s warm-up + %s measured per scenario\n\n",
		cfg.Connections, cfg.Warmup, cfg.Duration)

	// The minimal server first.
	mc, err := startChild("minimal", nil, filepath.Join(dir, "minimal.log"))
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(logw, "minimal server on %s (pid %d)\n", mc.Addr, mc.cmd.Process.Pid)
	rep.Minimal = drive(mc.Addr, mix.minimal(), cfg.Connections, cfg.Warmup, cfg.Duration, cfg.Seed)
	rep.Minimal.PeakRSS, rep.Minimal.RSS = memory(mc.cmd.Process.Pid)
	rep.Minimal.RatioPct = 100
	if err := mc.stop(); err != nil {
		fmt.Fprintln(logw, "minimal server:", err)
	}
	fmt.Fprintf(logw, "minimal: %.0f req/s\n", rep.Minimal.RPS)

	cc, err := startChild("contactd", []string{"CONTACTD_BENCH_DB=" + db}, filepath.Join(dir, "contactd.log"))
	if err != nil {
		return nil, err
	}
	defer func() {
		if cc != nil {
			cc.stop()
		}
	}()
	pid := cc.cmd.Process.Pid
	for _, t := range tenants {
		if t.Session, err = webSignIn(cc.Addr, t.UserEmail, benchPassword); err != nil {
			return nil, fmt.Errorf("sign in to the web address book: %w", err)
		}
	}
	fmt.Fprintf(logw, "contactd on %s (pid %d), log %s\n", cc.Addr, pid, filepath.Join(dir, "contactd.log"))
	for _, name := range cfg.Scenarios {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		conns := cfg.Connections
		if name == "batch" {
			conns = batchConns
		}
		res := drive(cc.Addr, mix.scenario(name), conns, cfg.Warmup, cfg.Duration, cfg.Seed)
		if name == "batch" {
			res.Scenario = fmt.Sprintf("batch@%d", conns)
			res.ItemsPerRequest = cfg.BatchSize
		}
		res.PeakRSS, res.RSS = memory(pid)
		if rep.Minimal.RPS > 0 {
			res.RatioPct = 100 * res.RPS / rep.Minimal.RPS
		}
		rep.Scenarios = append(rep.Scenarios, res)
		fmt.Fprintf(logw, "%s: %.0f req/s, p99 %.2f ms, %d errors\n", name, res.RPS, res.P99ms, res.Errors+res.Wrong)
	}
	// The interactive pass: the list and search scenarios again, with as
	// few connections as a handful of agents browsing, for their latency.
	for _, name := range cfg.Scenarios {
		if cfg.Interactive == 0 || !interactive[name] {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res := drive(cc.Addr, mix.scenario(name), cfg.Interactive, cfg.Warmup, cfg.Duration, cfg.Seed)
		res.Scenario = fmt.Sprintf("%s@%d", name, cfg.Interactive)
		res.PeakRSS, res.RSS = memory(pid)
		if rep.Minimal.RPS > 0 {
			res.RatioPct = 100 * res.RPS / rep.Minimal.RPS
		}
		rep.Scenarios = append(rep.Scenarios, res)
		fmt.Fprintf(logw, "%s: %.0f req/s, p99 %.2f ms, %d errors\n", res.Scenario, res.RPS, res.P99ms, res.Errors+res.Wrong)
	}
	// profiled runs f with contactd's CPU profiler on when pass is the
	// one --profile-scenario names.
	profiled := func(pass string, f func()) error {
		if cfg.CPUProfile == "" || cfg.ProfileOf != pass {
			f()
			return nil
		}
		path, err := filepath.Abs(cfg.CPUProfile)
		if err != nil {
			return err
		}
		if err := cc.command("profile-start " + path); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		f()
		if err := cc.command("profile-stop"); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		return nil
	}
	if cfg.Export {
		if err := profiled("export", func() { rep.Export = measureExport(cc.Addr, tenants[0]) }); err != nil {
			return nil, err
		}
		rep.Export.PeakRSS, _ = memory(pid)
		fmt.Fprintf(logw, "export: %d contacts, %.0f contacts/s\n", rep.Export.Contacts, rep.Export.ContactsPerSec)
	}
	if cfg.CardDAV {
		rep.CardDAV = measureCardDAV(cc.Addr, tenants[0], dir, logw)
		rep.CardDAV.PeakRSS, _ = memory(pid)
	}
	if cfg.Import > 0 {
		file, err := writeImportFile(dir, g, runID, cfg.Import)
		if err != nil {
			return nil, err
		}
		if err := profiled("import", func() { rep.Import = measureImport(cc.Addr, tenants[0], file, cfg.Import, pid) }); err != nil {
			return nil, err
		}
		os.Remove(file)
		fmt.Fprintf(logw, "import: %d rows, %.0f rows/s\n", rep.Import.Rows, rep.Import.RowsPerSec)
	}
	if cfg.Webhooks > 0 {
		rep.Webhooks = measureWebhooks(cc.Addr, tenants[0], cfg.Webhooks)
		fmt.Fprintf(logw, "webhooks: %d of %d messages, %.0f deliveries/s\n", rep.Webhooks.Received, rep.Webhooks.Messages, rep.Webhooks.PerSec)
	}
	if cfg.CPUProfile != "" && cfg.ProfileOf != "import" && cfg.ProfileOf != "export" {
		path, err := filepath.Abs(cfg.CPUProfile)
		if err != nil {
			return nil, err
		}
		if err := cc.command("profile-start " + path); err != nil {
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
		rep.Profiled = drive(cc.Addr, mix.scenario(cfg.ProfileOf), cfg.Connections, cfg.Warmup, cfg.Duration, cfg.Seed+1)
		if err := cc.command("profile-stop"); err != nil {
			return nil, fmt.Errorf("cpu profile: %w", err)
		}
		fmt.Fprintf(logw, "profiled %s: %.0f req/s; profile in %s (go tool pprof -top %s)\n", cfg.ProfileOf, rep.Profiled.RPS, path, path)
	}
	err = cc.stop()
	cc = nil
	if err != nil {
		fmt.Fprintln(logw, "contactd:", err)
	}
	if size := dbSize(ctx, db); size > 0 {
		fmt.Fprintf(logw, "database after the run: %s\n", mib(size))
	}

	printTable(out, rep)
	if cfg.JSON != "" {
		b, err := json.MarshalIndent(rep, "", "  ")
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(cfg.JSON, append(b, '\n'), 0o644); err != nil {
			return nil, err
		}
	}
	return rep, nil
}

// failed reports whether a scenario had errors or wrong answers.
func (r *report) failed() bool {
	if r.Import != nil && !r.Import.valid() {
		return true
	}
	if r.Webhooks != nil && !r.Webhooks.valid() {
		return true
	}
	if r.Export != nil && !r.Export.valid() {
		return true
	}
	for _, s := range append([]*result{r.Minimal}, r.Scenarios...) {
		if s != nil && (s.Errors > 0 || s.Wrong > 0 || s.Requests == 0) {
			return true
		}
	}
	return false
}

func printMachine(out io.Writer, m machine) {
	fmt.Fprintf(out, "machine: %s, nproc %d, GOMAXPROCS %d, %s %s", m.CPU, m.NumCPU, m.GOMAXPROCS, m.Go, m.OS)
	if m.Kernel != "" {
		fmt.Fprintf(out, ", kernel %s", m.Kernel)
	}
	if m.MemTotal != "" {
		fmt.Fprintf(out, ", memory %s", m.MemTotal)
	}
	fmt.Fprintln(out)
}

func printTable(out io.Writer, rep *report) {
	fmt.Fprintf(out, "%-9s %9s %10s %9s %9s %9s %8s %11s %14s\n", "scenario", "requests", "req/s", "p50 ms", "p99 ms", "max ms", "errors", "% minimal", "contactd RSS")
	row := func(r *result, rss string) {
		errs := strconv.FormatInt(r.Errors+r.Wrong, 10)
		if r.Errors+r.Wrong > 0 {
			errs += " !!"
		}
		rps := strconv.FormatFloat(r.RPS, 'f', 0, 64)
		if r.RPS < 100 {
			rps = strconv.FormatFloat(r.RPS, 'f', 1, 64)
		}
		pct := strconv.FormatFloat(r.RatioPct, 'f', 1, 64)
		if r.RatioPct < 1 {
			pct = strconv.FormatFloat(r.RatioPct, 'f', 2, 64)
		}
		fmt.Fprintf(out, "%-9s %9d %10s %9.2f %9.2f %9.2f %8s %10s%% %14s\n", r.Scenario, r.Requests, rps, r.P50ms, r.P99ms, r.MaxMs, errs, pct, rss)
	}
	row(rep.Minimal, "-")
	for _, r := range rep.Scenarios {
		row(r, mib(r.PeakRSS)+" peak")
	}
	fmt.Fprintf(out, "(requests: answers within the measured window; minimal server peak RSS %s; contactd RSS is VmHWM after the scenario)\n", mib(rep.Minimal.PeakRSS))
	for _, r := range rep.Scenarios {
		if r.ItemsPerRequest > 0 {
			fmt.Fprintf(out, "%s: %.0f contacts/s (%d creates a request)\n", r.Scenario, r.RPS*float64(r.ItemsPerRequest), r.ItemsPerRequest)
		}
	}
	if im := rep.Import; im != nil {
		fmt.Fprintf(out, "import of a Google CSV into one tenant: %d rows (%s) in %.2f s, %.0f rows/s; contactd peak RSS %s\n",
			im.Rows, mib(im.Bytes), im.Seconds, im.RowsPerSec, mib(im.PeakRSS))
		if !im.valid() {
			fmt.Fprintf(out, "\n!!! IMPORT: %d created and %d failed of %d, %s: its figures are NOT VALID\n", im.Created, im.Failed, im.Rows, im.Error)
		}
	}
	if wh := rep.Webhooks; wh != nil {
		fmt.Fprintf(out, "webhooks to a receiver on 127.0.0.1: %d messages of %d creations (written at %.0f/s) delivered in %.2f s from the first write, %.0f deliveries/s; median lag from change to receipt %.0f ms\n",
			wh.Received, wh.Messages, wh.WritesPerSec, wh.Seconds, wh.PerSec, wh.MedianLagMs)
		if !wh.valid() {
			fmt.Fprintf(out, "\n!!! WEBHOOKS: %s: its figures are NOT VALID\n", wh.Error)
		}
	}
	if cd := rep.CardDAV; cd != nil {
		if cd.Error != "" {
			fmt.Fprintf(out, "\n!!! CARDDAV: %s: no figures\n", cd.Error)
		} else {
			fmt.Fprintf(out, "CardDAV, %s, one tenant's %d cards: contactd first sync %.2f s, no-change sync %.2f s (contactd peak RSS %s); vdirsyncer alone between two directories of the same cards %.2f s and %.2f s",
				cd.VdirsyncerVersion, cd.Cards, cd.FirstSyncSeconds, cd.NoChangeSeconds, mib(cd.PeakRSS), cd.FloorFirstSync, cd.FloorNoChange)
			if cd.RadicaleError != "" {
				fmt.Fprintf(out, "; Radicale not measured: %s\n", cd.RadicaleError)
			} else {
				fmt.Fprintf(out, "; %s on the same %d cards: first sync %.2f s, no-change sync %.2f s\n", cd.Radicale, cd.RadicaleCards, cd.RadicaleFirstSync, cd.RadicaleNoChange)
			}
		}
	}
	if e := rep.Export; e != nil {
		fmt.Fprintf(out, "export of one tenant: %d contacts in %.2f s, %.0f contacts/s, %s of NDJSON; contactd peak RSS %s\n",
			e.Contacts, e.Seconds, e.ContactsPerSec, mib(e.Bytes), mib(e.PeakRSS))
		if !e.valid() {
			fmt.Fprintf(out, "\n!!! EXPORT: %d contacts of %d, %s: its figures are NOT VALID\n", e.Contacts, e.Want, e.Error)
		}
	}
	for _, r := range append([]*result{rep.Minimal}, rep.Scenarios...) {
		if r.Errors == 0 && r.Wrong == 0 && r.Requests > 0 {
			continue
		}
		fmt.Fprintf(out, "\n!!! %s: %d requests, %d errors, %d wrong answers: its figures are NOT VALID\n", strings.ToUpper(r.Scenario), r.Requests, r.Errors, r.Wrong)
		fmt.Fprintf(out, "!!!   statuses: %v\n", r.Statuses)
		for _, s := range r.ErrorSample {
			fmt.Fprintf(out, "!!!   %s\n", s)
		}
	}
}

func mib(b int64) string {
	if b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20))
}

// dbSize is the size of a SQLite database with its WAL, or of a
// PostgreSQL database; 0 when it cannot be told.
func dbSize(ctx context.Context, db string) int64 {
	if strings.Contains(db, "://") {
		conn, err := pgx.Connect(ctx, db)
		if err != nil {
			return 0
		}
		defer conn.Close(ctx)
		var n int64
		if conn.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&n) != nil {
			return 0
		}
		return n
	}
	path := strings.TrimPrefix(db, "sqlite:")
	var total int64
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if st, err := os.Stat(p); err == nil {
			total += st.Size()
		}
	}
	return total
}

func describeMachine() machine {
	m := machine{CPU: "unknown", NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), Go: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				if f := strings.Fields(v); len(f) > 0 {
					if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
						m.MemTotal = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
					}
				}
			}
		}
	}
	return m
}

// interactive are the scenarios the interactive pass runs again: what a
// few people browsing wait for.
var interactive = map[string]bool{"list": true, "search": true, "web-list": true, "web-search": true, "web-contact": true}

// mix makes the requests of every scenario.
type mix struct {
	g       *generator
	tenants []*tenantData
	run     string
	// unknown are lookup queries of numbers nobody in the data set has.
	unknown  []string
	listPath []string
	created  atomic.Int64
	// batchSize is how many creates a request of the batch scenario holds.
	batchSize int
}

func newMix(g *generator, tenants []*tenantData, run string) *mix {
	m := &mix{g: g, tenants: tenants, run: run}
	r := rand.New(rand.NewPCG(g.seed, 1<<62))
	for i := range 2000 {
		reg := countryList[i%len(countryList)]
		u := g.unknownBase() + uint64(r.IntN(unknownPool))
		m.unknown = append(m.unknown, lookupQuery(reg, countries[reg].number(u)))
	}
	for _, tag := range tagVocab {
		f := `{"tags":{"$in":["` + tag + `"]}}`
		m.listPath = append(m.listPath, "/v1/contacts?filter="+url.QueryEscape(f)+"&sort=-updatedAt&limit=50")
	}
	return m
}

// tenant rotates over the tenants request by request.
func (m *mix) tenant(seq uint64) *tenantData { return m.tenants[seq%uint64(len(m.tenants))] }

var (
	wantWebList    = []byte(`<table class="list">`)
	wantWebResults = []byte(`<div id="results"`)
	wantExact      = []byte(`"match":"exact"`)
	wantNone       = []byte(`"match":"none"`)
)

func (m *mix) minimal() scenario {
	return scenario{Name: "minimal", next: func(r *rand.Rand, w int, seq uint64) request {
		return request{method: "GET", path: "/"}
	}}
}

func (m *mix) scenario(name string) scenario {
	switch name {
	case "lookup":
		// A caller's number as a phone system of its country hands it
		// over (national format, region= of the country; US numbers
		// without region, the tenants' default); one in ten unknown.
		return scenario{Name: name, next: func(r *rand.Rand, w int, seq uint64) request {
			t := m.tenant(seq)
			if r.IntN(10) == 0 || len(t.Sample) == 0 {
				return request{method: "GET", path: "/v1/contacts/lookup?" + pick(r, m.unknown), token: t.Token, want: wantNone}
			}
			s := pick(r, t.Sample)
			return request{method: "GET", path: "/v1/contacts/lookup?" + pick(r, s.Lookups), token: t.Token, want: wantExact}
		}}
	case "extension":
		// Who is extension N: a phone system asking about an internal
		// caller (a corporate contact, one in fifty of the data set).
		return scenario{Name: name, next: func(r *rand.Rand, w int, seq uint64) request {
			t := m.tenant(seq)
			if len(t.Extensions) == 0 {
				return request{method: "GET", path: "/v1/contacts/lookup?extension=1", token: t.Token, want: wantNone}
			}
			return request{method: "GET", path: "/v1/contacts/lookup?extension=" + pick(r, t.Extensions), token: t.Token, want: wantExact}
		}}
	case "get":
		return scenario{Name: name, next: func(r *rand.Rand, w int, seq uint64) request {
			t := m.tenant(seq)
			s := pick(r, t.Sample)
			return request{method: "GET", path: "/v1/contacts/" + s.ID, token: t.Token, want: []byte(s.ID)}
		}}
	case "candidates":
		// The duplicate candidates of one contact, as a contact page
		// shows them.
		return scenario{Name: name, next: func(r *rand.Rand, w int, seq uint64) request {
			t := m.tenant(seq)
			s := pick(r, t.Sample)
			return request{method: "GET", path: "/v1/contacts/" + s.ID + "/duplicates", token: t.Token, want: []byte(`{"data":[`)}
		}}
	case "duplicates":
		// The first page of duplicate groups, as a clean-up page opens.
		return scenario{Name: name, next: func(r *rand.Rand, w int, seq uint64) request {
			return request{method: "GET", path: "/v1/contacts/duplicates?limit=50", token: m.tenant(seq).Token, want: []byte(`"data":[{`)}
		}}
	case "list":
		// A page of the contacts with a tag, most recently updated first:
		// each answer is checked to hold only contacts with the tag, in
		// that order.
		return scenario{Name: name, next: func(r *rand.Rand, w int, seq uint64) request {
			i := r.IntN(len(tagVocab))
			return request{method: "GET", path: m.listPath[i], token: m.tenant(seq).Token, check: checkTagPage(tagVocab[i])}
		}}
	case "search":
		// Prefixes of names as people type them; one in four searches a
		// sampled contact by its name and email, which must find it.
		return scenario{Name: name, next: func(r *rand.Rand, w int, seq uint64) request {
			t := m.tenant(seq)
			if s := pick(r, t.Sample); r.IntN(4) == 0 && len(m.g.contact(s.at).Emails) > 0 {
				c := m.g.contact(s.at)
				q := strings.TrimSpace(c.FirstName + " " + c.LastName + " " + pick(r, c.Emails))
				return request{method: "GET", path: "/v1/contacts?q=" + url.QueryEscape(q), token: t.Token, want: []byte(`"id":"` + s.ID + `"`)}
			}
			return request{method: "GET", path: "/v1/contacts?q=" + url.QueryEscape(searchQuery(r)), token: t.Token}
		}}
	case "web-list":
		// The web address book's contacts page with a tag chosen, most
		// recently updated first, as a person opens it.
		return scenario{Name: name, next: func(r *rand.Rand, w int, seq uint64) request {
			t := m.tenant(seq)
			return request{method: "GET", path: "/contacts?sort=updated&tag=" + url.QueryEscape(pick(r, tagVocab)), cookie: t.Session, want: wantWebList}
		}}
	case "web-search":
		// The results the contacts page's search box fetches as a person
		// types: prefixes of names.
		return scenario{Name: name, next: func(r *rand.Rand, w int, seq uint64) request {
			t := m.tenant(seq)
			return request{method: "GET", path: "/contacts?partial=results&q=" + url.QueryEscape(searchQuery(r)), cookie: t.Session, want: wantWebResults}
		}}
	case "web-contact":
		// A contact's page: every field, its account and segments, its
		// history with the names of the people who changed it.
		return scenario{Name: name, next: func(r *rand.Rand, w int, seq uint64) request {
			t := m.tenant(seq)
			s := pick(r, t.Sample)
			return request{method: "GET", path: "/contacts/" + s.ID, cookie: t.Session, want: []byte(s.ID)}
		}}
	case "create":
		return scenario{Name: name, next: func(r *rand.Rand, w int, seq uint64) request {
			j := int(m.created.Add(1)-1) % m.g.maxCreates()
			return request{method: "POST", path: "/v1/contacts", token: m.tenant(seq).Token, body: m.g.created(j, m.run).jsonDoc()}
		}}
	case "batch":
		// POST /v1/contacts/batch with batchSize new contacts, each of
		// which must be created.
		n := m.batchSize
		return scenario{Name: name, next: func(r *rand.Rand, w int, seq uint64) request {
			first := int(m.created.Add(int64(n)) - int64(n))
			var b bytes.Buffer
			b.WriteString(`{"operations":[`)
			for k := range n {
				if k > 0 {
					b.WriteByte(',')
				}
				b.WriteString(`{"op":"create","contact":`)
				b.Write(m.g.created((first+k)%m.g.maxCreates(), m.run).jsonDoc())
				b.WriteByte('}')
			}
			b.WriteString(`]}`)
			return request{method: "POST", path: "/v1/contacts/batch", token: m.tenant(seq).Token, body: b.Bytes(), check: checkBatch(n)}
		}}
	}
	panic("unknown scenario " + name)
}

// checkBatch checks the answer to a batch of n creates: n results, every
// one created.
func checkBatch(n int) func([]byte) string {
	return func(body []byte) string {
		if got := bytes.Count(body, []byte(`"status":"created"`)); got != n {
			return fmt.Sprintf("%d of %d operations created: %.300s", got, n, body)
		}
		return ""
	}
}

// checkTagPage checks a page of contacts listed with a tag filter and
// sort=-updatedAt: every contact carries the tag, in order (ties by id,
// descending too).
func checkTagPage(tag string) func([]byte) string {
	return func(body []byte) string {
		var page struct {
			Data []struct {
				ID        string   `json:"id"`
				Tags      []string `json:"tags"`
				UpdatedAt string   `json:"updatedAt"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			return "not a page: " + err.Error()
		}
		for i, c := range page.Data {
			if !slices.ContainsFunc(c.Tags, func(t string) bool { return strings.EqualFold(t, tag) }) {
				return fmt.Sprintf("contact %s lacks the tag %s", c.ID, tag)
			}
			if i > 0 {
				p := page.Data[i-1]
				if c.UpdatedAt > p.UpdatedAt || c.UpdatedAt == p.UpdatedAt && c.ID > p.ID {
					return fmt.Sprintf("contact %s (%s) after %s (%s): not in -updatedAt order", c.ID, c.UpdatedAt, p.ID, p.UpdatedAt)
				}
			}
		}
		return ""
	}
}

// startProfile starts this process's CPU profiler writing to path, unless
// path is empty; the function it returns stops it.
func startProfile(path string) (stop func(), err error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// webSignIn signs in to the web address book at addr as a person does
// (the form, its CSRF token and cookie) and returns the session's secret.
func webSignIn(addr, email, password string) (string, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get("http://" + addr + "/signin")
	if err != nil {
		return "", err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(body)
	if m == nil {
		return "", fmt.Errorf("the sign-in page has no form (%s)", resp.Status)
	}
	resp, err = c.PostForm("http://"+addr+"/signin", url.Values{"csrf": {string(m[1])}, "email": {email}, "password": {password}})
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == "contactd_session" && ck.Value != "" {
			return ck.Value, nil
		}
	}
	return "", fmt.Errorf("signing in as %s answered %s with no session", email, resp.Status)
}
