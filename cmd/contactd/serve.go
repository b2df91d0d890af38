package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/carddav"
	"github.com/contactd/contactd/internal/httpapi"
	"github.com/contactd/contactd/internal/logbuf"
	"github.com/contactd/contactd/internal/metrics"
	"github.com/contactd/contactd/internal/web"
	"github.com/contactd/contactd/internal/webhook"
)

// Main is a running server; tests start it on port 0.
type Main struct {
	Addr string // the address it listens on, once started
	// MetricsAddr is where /metrics is served: Addr, or the address of
	// its own listener (ServeConfig.MetricsAddr).
	MetricsAddr string
	metricsSrv  *http.Server
	store       contactd.Store
	svc         *contactd.Service
	bg          sync.WaitGroup // background jobs (change retention)
	api         *httpapi.Server
	httpSrv     *http.Server
	ln          net.Listener
}

// ServeConfig configures a server.
type ServeConfig struct {
	Addr, DB, Region string
	Log              *slog.Logger
	// MaxImportBytes limits an imported file (0 for the default, 1 GiB).
	MaxImportBytes int64
	// Banner receives the first-start message (token and curl example).
	Banner io.Writer
	// RetentionInterval is how often the change log is pruned (0 for
	// the default, DefaultRetentionInterval).
	RetentionInterval time.Duration
	// WebhookAllowPrivate lets webhooks deliver to private, loopback and
	// link-local addresses (local development and tests).
	WebhookAllowPrivate bool
	// WebhookMaxFailures disables a subscription after this many failed
	// attempts in a row (0: contactd.DefaultMaxWebhookFailures).
	WebhookMaxFailures int
	// Timeouts bounds each stage of a request (zero fields take the
	// defaults of DefaultTimeouts).
	Timeouts Timeouts
	// MetricsAddr, when set, serves /metrics on a listener of its own
	// instead of the API's.
	MetricsAddr string
	// RateLimit is each token's requests per second (0: no limit) and
	// TokenConcurrency its lists, searches and exports in flight (0: no
	// limit); see httpapi.Config.
	RateLimit, TokenConcurrency int
	// SecureCookies marks the web address book's cookies Secure even for
	// requests that reached contactd over plain HTTP (TLS ends at a proxy
	// in front).
	SecureCookies bool
	// Sessions are the lifetimes of the web address book's sessions (zero
	// fields take the defaults).
	Sessions contactd.SessionLimits
}

// The defaults of serve's --rate-limit and --token-concurrency.
const (
	DefaultRateLimit        = 1000
	DefaultTokenConcurrency = 8
)

// Timeouts bounds the stages of a request, so that a slow or hostile
// client (slowloris) or an expensive query holds nothing for long.
type Timeouts struct {
	// ReadHeader bounds reading a request's headers.
	ReadHeader time.Duration
	// Read bounds reading a whole request, body included (an import's
	// upload lifts it for its file).
	Read time.Duration
	// Idle bounds how long a keep-alive connection waits for its next
	// request.
	Idle time.Duration
	// Request is a request's time budget in the handler, queries included
	// (see httpapi.Config.RequestTimeout).
	Request time.Duration
	// Shutdown bounds the drain of in-flight requests at SIGTERM.
	Shutdown time.Duration
}

// DefaultTimeouts are the timeouts of a server started without flags.
var DefaultTimeouts = Timeouts{ReadHeader: 10 * time.Second, Read: 60 * time.Second, Idle: 120 * time.Second,
	Request: httpapi.DefaultRequestTimeout, Shutdown: 20 * time.Second}

// orDefaults fills the zero fields of t from DefaultTimeouts.
func (t Timeouts) orDefaults() Timeouts {
	d := DefaultTimeouts
	return Timeouts{ReadHeader: cmp.Or(t.ReadHeader, d.ReadHeader), Read: cmp.Or(t.Read, d.Read),
		Idle: cmp.Or(t.Idle, d.Idle), Request: cmp.Or(t.Request, d.Request), Shutdown: cmp.Or(t.Shutdown, d.Shutdown)}
}

// DefaultRetentionInterval is how often a server prunes the change log of
// changes past their tenant's changeRetentionDays.
const DefaultRetentionInterval = 10 * time.Minute

// Start opens the database, bootstraps it when empty and starts serving.
func Start(ctx context.Context, cfg ServeConfig) (*Main, error) {
	store, err := openStore(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	svc := contactd.NewService(store, cfg.Log)
	svc.UseWebhooks(webhook.NewTransport(cfg.WebhookAllowPrivate))
	secret, err := svc.Bootstrap(ctx, cfg.Region)
	if err != nil {
		store.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		store.Close()
		return nil, err
	}
	svc.SetSessionLimits(cfg.Sessions)
	m := &Main{Addr: ln.Addr().String(), store: store, svc: svc, ln: ln}
	if secret != "" && cfg.Banner != nil {
		printBanner(cfg.Banner, m.Addr, secret)
	}
	to := cfg.Timeouts.orDefaults()
	storeName := "sqlite"
	if isPostgres(cfg.DB) {
		storeName = "postgres"
	}
	mt := metrics.New(metrics.Sources{Store: storeName, Stats: svc.Stats, RunningImports: func() int { return m.api.RunningImports() },
		WebhookBacklog: svc.WebhookBacklog})
	if sm, ok := store.(interface{ SetMetrics(contactd.StoreMetrics) }); ok {
		sm.SetMetrics(mt)
	}
	m.api = httpapi.New(svc, cfg.Log, httpapi.Config{Version: version, MaxImportBytes: cfg.MaxImportBytes, RequestTimeout: to.Request,
		RateLimit: cfg.RateLimit, TokenConcurrency: cfg.TokenConcurrency, Observer: mt})
	mux := http.NewServeMux()
	mux.Handle("/", m.api)
	web.New(svc, m.api, cfg.Log, web.Options{Secure: cfg.SecureCookies}).Register(mux)
	carddav.New(svc, cfg.Log, carddav.Options{Limiter: m.api.Limiter(), Timeout: to.Request, Observer: mt}).Register(mux)
	handler := http.Handler(mux)
	m.MetricsAddr = m.Addr
	if cfg.MetricsAddr == "" {
		mux.Handle("GET /metrics", mt.Handler())
	} else {
		mln, err := net.Listen("tcp", cfg.MetricsAddr)
		if err != nil {
			ln.Close()
			store.Close()
			return nil, fmt.Errorf("--metrics-addr: %w", err)
		}
		m.MetricsAddr = mln.Addr().String()
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", mt.Handler())
		m.metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: to.ReadHeader, ReadTimeout: to.Read, IdleTimeout: to.Idle}
		go func() {
			if err := m.metricsSrv.Serve(mln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				cfg.Log.Error("serve metrics", "err", err)
			}
		}()
	}
	m.httpSrv = &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: to.ReadHeader,
		ReadTimeout:       to.Read,
		IdleTimeout:       to.Idle,
		ErrorLog:          slog.NewLogLogger(cfg.Log.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := m.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			cfg.Log.Error("serve", "err", err)
		}
	}()
	m.bg.Go(func() {
		svc.RunChangeRetention(context.WithoutCancel(ctx), cmp.Or(cfg.RetentionInterval, DefaultRetentionInterval))
	})
	m.bg.Go(func() { pruneSessions(context.WithoutCancel(ctx), svc, cfg.Log) })
	m.bg.Go(func() {
		svc.RunWebhooks(context.WithoutCancel(ctx), contactd.WebhookOptions{MaxFailures: cfg.WebhookMaxFailures})
	})
	return m, nil
}

// Close answers the long polls, drains in-flight requests (up to the
// context's deadline), stops the imports under way (each ends failed,
// with the counts of what it wrote) and the background jobs (a webhook
// delivery under way ends, and its state is saved), then closes the
// database.
func (m *Main) Close(ctx context.Context) error {
	m.svc.Stop()
	err := m.httpSrv.Shutdown(ctx)
	if m.metricsSrv != nil {
		err = errors.Join(err, m.metricsSrv.Shutdown(ctx))
	}
	m.api.Close()
	m.bg.Wait()
	return errors.Join(err, m.store.Close())
}

func printBanner(w io.Writer, addr, secret string) {
	fmt.Fprintf(w, `
contactd: created tenant "default" and this token with every scope.
It is shown once and cannot be recovered; keep it somewhere safe.

    %s

Try it:

    curl -s -X POST http://%s/v1/contacts \
      -H 'Authorization: Bearer %s' \
      -H 'Content-Type: application/json' \
      -d '{"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0000"}'

API reference: http://%s/docs

The web address book is at http://%s/ for the tenant's users. Create the
first one (an admin; it asks for a password), then sign in with it:

    contactd user create --tenant default --email you@example.com --role admin

`, secret, addr, secret, addr, addr)
}

// logFlushInterval bounds how long a log line stays in the buffer.
const logFlushInterval = 100 * time.Millisecond

func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs, db := newFlags("serve", stderr, getenv)
	defAddr := getenv("CONTACTD_ADDR")
	if defAddr == "" {
		defAddr = "127.0.0.1:8080"
	}
	addr := fs.String("addr", defAddr, "address to listen on; env CONTACTD_ADDR")
	region := fs.String("region", "US", "default region of the tenant created on first start")
	maxImport := fs.Int64("max-import-bytes", httpapi.MaxImportBytes, "the largest file POST /v1/imports takes")
	allowPrivate := fs.Bool("webhook-allow-private", getenv("CONTACTD_WEBHOOK_ALLOW_PRIVATE") == "true",
		"let webhooks deliver to private, loopback and link-local addresses (local development only); env CONTACTD_WEBHOOK_ALLOW_PRIVATE=true")
	maxFailures := fs.Int("webhook-max-failures", contactd.DefaultMaxWebhookFailures, "disable a webhook subscription after this many failed attempts in a row (it is also disabled after 24 h of failures)")
	rateLimit := fs.Int("rate-limit", DefaultRateLimit, "requests per second each token may make, with bursts of twice that (a tenant's rateLimit may lower it); an address sending no valid token is held to 20, then one a second; 0 turns rate limiting off")
	sessionIdle := fs.Duration("session-idle", contactd.DefaultSessionIdle, "a web session ends after this long without a request")
	sessionMax := fs.Duration("session-max", contactd.DefaultSessionMax, "a web session ends this long after sign-in, however active")
	secureCookies := fs.Bool("secure-cookies", false, "mark the web address book's cookies Secure: set it when a proxy in front ends TLS")
	metricsAddr := fs.String("metrics-addr", "", "serve /metrics on a listener of its own at this address (for example 127.0.0.1:9090) instead of the API's")
	concurrency := fs.Int("token-concurrency", DefaultTokenConcurrency, "lists, searches and exports a token may have in flight at once; 0 for no limit")
	d := DefaultTimeouts
	var to Timeouts
	fs.DurationVar(&to.Request, "request-timeout", d.Request, "a request's time budget, queries included; past it the request is stopped and answered 503 (the export, import uploads and long polls are bounded their own ways)")
	fs.DurationVar(&to.ReadHeader, "read-header-timeout", d.ReadHeader, "how long a client may take to send a request's headers")
	fs.DurationVar(&to.Read, "read-timeout", d.Read, "how long a client may take to send a whole request (import uploads excepted)")
	fs.DurationVar(&to.Idle, "idle-timeout", d.Idle, "how long a keep-alive connection may wait for its next request")
	fs.DurationVar(&to.Shutdown, "shutdown-timeout", d.Shutdown, "how long SIGTERM waits for in-flight requests to finish")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usageError{"usage: contactd serve [--addr HOST:PORT] [--db PATH]"}
	}
	if *rateLimit < 0 || *concurrency < 0 {
		return usageError{"--rate-limit and --token-concurrency: must be 0 (no limit) or more"}
	}
	for name, v := range map[string]time.Duration{"request-timeout": to.Request, "read-header-timeout": to.ReadHeader,
		"read-timeout": to.Read, "idle-timeout": to.Idle, "shutdown-timeout": to.Shutdown} {
		if v <= 0 {
			return usageError{"--" + name + ": must be a positive duration such as 10s"}
		}
	}
	if *maxFailures < 1 {
		return usageError{"--webhook-max-failures: must be 1 or more"}
	}
	// Request logs are buffered: a write per line would cost a system call
	// per request. Lines are out within logFlushInterval, and at exit.
	lw := logbuf.New(stderr, logFlushInterval)
	defer lw.Close()
	log := slog.New(slog.NewJSONHandler(lw, nil))
	m, err := Start(ctx, ServeConfig{Addr: *addr, DB: *db, Region: *region, Log: log, Banner: stdout, MaxImportBytes: *maxImport,
		WebhookAllowPrivate: *allowPrivate, WebhookMaxFailures: *maxFailures, Timeouts: to,
		RateLimit: *rateLimit, TokenConcurrency: *concurrency, MetricsAddr: *metricsAddr, SecureCookies: *secureCookies,
		Sessions: contactd.SessionLimits{Idle: *sessionIdle, Max: *sessionMax}})
	if err != nil {
		return err
	}
	log.Info("listening", "addr", m.Addr, "metrics", m.MetricsAddr, "db", *db, "version", version)
	lw.Flush()
	<-ctx.Done()
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), to.Shutdown)
	defer cancel()
	return m.Close(sctx)
}

// pruneSessions deletes the web address book's ended sessions every hour
// until the service stops.
func pruneSessions(ctx context.Context, svc *contactd.Service, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := svc.PruneSessions(ctx); err != nil {
			log.Warn("prune sessions", "err", err)
		} else if n > 0 {
			log.Info("pruned sessions", "ended", n)
		}
		select {
		case <-svc.Stopping():
			return
		case <-t.C:
		}
	}
}
