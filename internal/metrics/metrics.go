// Package metrics exposes contactd's Prometheus metrics: requests by route
// template and status, store statement and commit timings, the token
// cache, webhook deliveries, import jobs, and the Go runtime.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/contactd/contactd"
)

// Metrics holds one server's collectors. It is the API's Observer and the
// store's StoreMetrics.
type Metrics struct {
	reg            *prometheus.Registry
	requests       *prometheus.CounterVec
	duration       *prometheus.HistogramVec
	inFlight       prometheus.Gauge
	storeDuration  *prometheus.HistogramVec
	commitSize     prometheus.Histogram
	commitDuration prometheus.Histogram
}

// Sources are the running counts a server reads at each scrape.
type Sources struct {
	// Store names the store ("sqlite" or "postgres"), a label of the
	// store's timings.
	Store string
	// Stats reads the Service's counts (token cache, webhooks).
	Stats func() contactd.Stats
	// RunningImports reads how many import jobs the node runs.
	RunningImports func() int
	// WebhookBacklog reads the deliverers' queue (a database query, run
	// at each scrape).
	WebhookBacklog func(ctx context.Context) (int64, error)
}

// backlog collects the webhook queue at scrape time; a scrape that cannot
// read it leaves the metric out rather than report a wrong value.
type backlog struct {
	desc *prometheus.Desc
	read func(ctx context.Context) (int64, error)
}

func (b backlog) Describe(ch chan<- *prometheus.Desc) { ch <- b.desc }

func (b backlog) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if n, err := b.read(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(b.desc, prometheus.GaugeValue, float64(n))
	}
}

// New returns the collectors of a server, registered in a registry of
// their own with the Go runtime's and the process's.
func New(src Sources) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "contactd_http_requests_total",
			Help: "HTTP requests answered, by route template, method and status (499: the client went away).",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "contactd_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route template and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "contactd_http_requests_in_flight",
			Help: "HTTP requests being answered.",
		}),
		storeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:        "contactd_store_query_duration_seconds",
			Help:        "Time of a store statement (until its first row for a query), by kind: read and write on SQLite, the SQL verb on PostgreSQL.",
			Buckets:     []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5},
			ConstLabels: prometheus.Labels{"store": src.Store},
		}, []string{"op"}),
		commitSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "contactd_store_group_commit_writes",
			Help:    "Writes carried by one write transaction (SQLite's group commit).",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
		}),
		commitDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "contactd_store_group_commit_duration_seconds",
			Help:    "Time of one write transaction, its commit included (SQLite).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5},
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.inFlight, m.storeDuration, m.commitSize, m.commitDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if src.Stats != nil {
		counter := func(name, help string, v func(contactd.Stats) float64) prometheus.Collector {
			return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return v(src.Stats()) })
		}
		reg.MustRegister(
			counter("contactd_token_cache_hits_total", "Authentications answered from the token cache.",
				func(s contactd.Stats) float64 { return float64(s.TokenCacheHits) }),
			counter("contactd_token_cache_misses_total", "Authentications that read the store.",
				func(s contactd.Stats) float64 { return float64(s.TokenCacheMisses) }),
			counter("contactd_webhook_deliveries_total", "Webhook delivery attempts taken by their receiver (a 2xx answer).",
				func(s contactd.Stats) float64 { return float64(s.WebhookDelivered) }),
			counter("contactd_webhook_failures_total", "Webhook delivery attempts that failed (no answer, or not 2xx); each is retried.",
				func(s contactd.Stats) float64 { return float64(s.WebhookFailed) }),
			counter("contactd_webhook_delivery_seconds_total", "Time spent waiting for webhook receivers.",
				func(s contactd.Stats) float64 { return s.WebhookLatency.Seconds() }),
		)
	}
	if src.WebhookBacklog != nil {
		reg.MustRegister(backlog{read: src.WebhookBacklog, desc: prometheus.NewDesc("contactd_webhook_backlog",
			"Changes written after the cursors of the enabled webhook subscriptions, every tenant's (an upper bound: a subscription passes over the events it does not take).", nil, nil)})
	}
	if src.RunningImports != nil {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "contactd_imports_running", Help: "Import jobs this node is running.",
		}, func() float64 { return float64(src.RunningImports()) }))
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Started implements httpapi.Observer.
func (m *Metrics) Started(string) { m.inFlight.Inc() }

// Finished implements httpapi.Observer. A method outside HTTP's and
// WebDAV's usual ones counts as OTHER: any token is a method, and each
// would make series.
func (m *Metrics) Finished(route, method string, status int, d time.Duration) {
	m.inFlight.Dec()
	switch method {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND", "PROPPATCH", "REPORT", "MKCOL":
	default:
		method = "OTHER"
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.duration.WithLabelValues(route, method).Observe(d.Seconds())
}

// Query implements contactd.StoreMetrics.
func (m *Metrics) Query(op string, d time.Duration) {
	m.storeDuration.WithLabelValues(op).Observe(d.Seconds())
}

// Commit implements contactd.StoreMetrics.
func (m *Metrics) Commit(jobs int, d time.Duration) {
	m.commitSize.Observe(float64(jobs))
	m.commitDuration.Observe(d.Seconds())
}
