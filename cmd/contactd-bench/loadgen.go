package main

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The load generator: a fixed number of keep-alive HTTP/1.1 connections,
// each a goroutine sending its next request as soon as the previous answer
// has been read in full (a closed loop). Requests are written as bytes on
// the connection and answers read with net/http's response parser, which
// keeps the client's own CPU cost low: on a small machine the client
// shares the cores with the server under test.

// request is one request to send.
type request struct {
	method, path string
	token        string
	// cookie is a web session's secret, sent as its cookie.
	cookie string
	body   []byte
	// want, when set, is a string the answer's body must contain; an
	// answer without it is counted as wrong.
	want []byte
	// check, when set, says what is wrong with the answer's body ("" when
	// nothing is); an answer it faults is counted as wrong.
	check func(body []byte) string
}

// scenario makes the requests of one benchmark scenario. next is called
// concurrently, each worker with its own random source.
type scenario struct {
	Name string
	Doc  string
	next func(r *rand.Rand, worker int, seq uint64) request
}

// result is what one scenario measured.
type result struct {
	Scenario    string           `json:"scenario"`
	Requests    int64            `json:"requests"`
	Seconds     float64          `json:"seconds"`
	RPS         float64          `json:"requestsPerSecond"`
	P50ms       float64          `json:"p50Ms"`
	P90ms       float64          `json:"p90Ms"`
	P99ms       float64          `json:"p99Ms"`
	MaxMs       float64          `json:"maxMs"`
	Errors      int64            `json:"errors"`
	Wrong       int64            `json:"wrongAnswers"`
	RatioPct    float64          `json:"percentOfMinimal,omitempty"`
	PeakRSS     int64            `json:"peakRssBytes,omitempty"`
	RSS         int64            `json:"rssBytes,omitempty"`
	Statuses    map[string]int64 `json:"statuses"`
	ErrorSample []string         `json:"errorSample,omitempty"`
	// ItemsPerRequest is how many contacts one request writes (batch).
	ItemsPerRequest int `json:"itemsPerRequest,omitempty"`
}

// maxErrorSamples is how many error answers are kept for the report.
const maxErrorSamples = 3

// drive runs a scenario against addr over conns connections: a warm-up
// that is not measured, then measure. Only answers that arrive within the
// measured window count, for throughput and latency alike. It always ends
// on time: the deadline of every connection is the end of the window, and
// requests still in flight then are abandoned, not counted.
func drive(addr string, sc scenario, conns int, warmup, measure time.Duration, seed uint64) *result {
	start := time.Now()
	measureFrom := start.Add(warmup)
	end := measureFrom.Add(measure)
	var mu sync.Mutex
	res := &result{Scenario: sc.Name, Statuses: map[string]int64{}}
	var lats [][]time.Duration
	var seq atomic.Uint64
	var wg sync.WaitGroup
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(w)))
			lat := make([]time.Duration, 0, 1<<14)
			statuses := map[string]int64{}
			var errs, wrong, n int64
			var samples []string
			var conn net.Conn
			var br *bufio.Reader
			var buf []byte
			var body bytes.Buffer
			for {
				now := time.Now()
				if !now.Before(end) {
					break
				}
				req := sc.next(r, w, seq.Add(1))
				if conn == nil {
					c, err := net.DialTimeout("tcp", addr, min(5*time.Second, end.Sub(now)))
					if err != nil {
						if t := time.Now(); !t.Before(measureFrom) && t.Before(end) {
							errs++
							statuses["dial error"]++
						}
						time.Sleep(10 * time.Millisecond)
						continue
					}
					c.SetDeadline(end)
					conn, br = c, bufio.NewReaderSize(c, 32<<10)
				}
				buf = appendRequest(buf[:0], addr, req)
				t0 := time.Now()
				status, keep, err := roundTrip(conn, br, buf, &body)
				t1 := time.Now()
				if err != nil || !keep {
					conn.Close()
					conn = nil
				}
				if t1.Before(measureFrom) || !t1.Before(end) {
					continue
				}
				d := t1.Sub(t0)
				n++
				lat = append(lat, d)
				switch {
				case err != nil:
					errs++
					statuses["transport error"]++
					if len(samples) < maxErrorSamples {
						samples = append(samples, req.method+" "+req.path+": "+err.Error())
					}
				case status < 200 || status > 299:
					errs++
					statuses[strconv.Itoa(status)]++
					if len(samples) < maxErrorSamples {
						samples = append(samples, fmt.Sprintf("%s %s: %d %s", req.method, req.path, status, truncate(body.Bytes(), 300)))
					}
				default:
					statuses[strconv.Itoa(status)]++
					if req.want != nil && !bytes.Contains(body.Bytes(), req.want) {
						wrong++
						if len(samples) < maxErrorSamples {
							samples = append(samples, fmt.Sprintf("%s %s: wanted %s in %s", req.method, req.path, req.want, truncate(body.Bytes(), 300)))
						}
					} else if req.check != nil {
						if why := req.check(body.Bytes()); why != "" {
							wrong++
							if len(samples) < maxErrorSamples {
								samples = append(samples, fmt.Sprintf("%s %s: %s in %s", req.method, req.path, why, truncate(body.Bytes(), 300)))
							}
						}
					}
				}
			}
			if conn != nil {
				conn.Close()
			}
			mu.Lock()
			defer mu.Unlock()
			lats = append(lats, lat)
			res.Requests += n
			res.Errors += errs
			res.Wrong += wrong
			for k, v := range statuses {
				res.Statuses[k] += v
			}
			for _, s := range samples {
				if len(res.ErrorSample) < maxErrorSamples {
					res.ErrorSample = append(res.ErrorSample, s)
				}
			}
		}()
	}
	wg.Wait()
	res.Seconds = measure.Seconds()
	res.RPS = float64(res.Requests) / res.Seconds
	all := slices.Concat(lats...)
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	res.P50ms = ms(percentile(all, 0.50))
	res.P90ms = ms(percentile(all, 0.90))
	res.P99ms = ms(percentile(all, 0.99))
	if len(all) > 0 {
		res.MaxMs = ms(all[len(all)-1])
	}
	return res
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// percentile returns the p-quantile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

func appendRequest(b []byte, host string, r request) []byte {
	b = append(b, r.method...)
	b = append(b, ' ')
	b = append(b, r.path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\nUser-Agent: contactd-bench\r\n"...)
	if r.token != "" {
		b = append(b, "Authorization: Bearer "...)
		b = append(b, r.token...)
		b = append(b, "\r\n"...)
	}
	if r.cookie != "" {
		b = append(b, "Cookie: contactd_session="...)
		b = append(b, r.cookie...)
		b = append(b, "\r\n"...)
	}
	if r.body != nil {
		b = append(b, "Content-Type: application/json\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(len(r.body)), 10)
		b = append(b, "\r\n\r\n"...)
		return append(b, r.body...)
	}
	return append(b, "\r\n"...)
}

// roundTrip writes a request and reads the answer's status and body;
// keep reports whether the connection may be used again.
func roundTrip(conn net.Conn, br *bufio.Reader, req []byte, body *bytes.Buffer) (status int, keep bool, err error) {
	if _, err := conn.Write(req); err != nil {
		return 0, false, err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return 0, false, err
	}
	body.Reset()
	_, err = body.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, false, err
	}
	return resp.StatusCode, !resp.Close, nil
}
