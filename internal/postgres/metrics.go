package postgres

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/contactd/contactd"
)

// SetMetrics implements the contactd.StoreMetrics hook: m hears the time
// of every statement the store sends, by its verb.
func (s *Store) SetMetrics(m contactd.StoreMetrics) { s.metrics.m.Store(&m) }

// metricsTracer times the statements of a pool's connections for the
// store's metrics, passing them on to another tracer (tests') if any.
type metricsTracer struct {
	m     atomic.Pointer[contactd.StoreMetrics]
	inner pgx.QueryTracer
}

type traceStart struct{}

type started struct {
	at time.Time
	op string
}

func (t *metricsTracer) TraceQueryStart(ctx context.Context, c *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if t.inner != nil {
		ctx = t.inner.TraceQueryStart(ctx, c, d)
	}
	if t.m.Load() == nil {
		return ctx
	}
	return context.WithValue(ctx, traceStart{}, started{at: time.Now(), op: verb(d.SQL)})
}

func (t *metricsTracer) TraceQueryEnd(ctx context.Context, c *pgx.Conn, d pgx.TraceQueryEndData) {
	if t.inner != nil {
		t.inner.TraceQueryEnd(ctx, c, d)
	}
	if st, ok := ctx.Value(traceStart{}).(started); ok {
		if m := t.m.Load(); m != nil {
			(*m).Query(st.op, time.Since(st.at))
		}
	}
}

// verb names a statement by its first word, from a short list so that
// the metrics' labels stay few.
func verb(sql string) string {
	sql = strings.TrimSpace(sql)
	for strings.HasPrefix(sql, "--") {
		if i := strings.IndexByte(sql, '\n'); i >= 0 {
			sql = strings.TrimSpace(sql[i+1:])
		} else {
			return "other"
		}
	}
	w := sql
	if i := strings.IndexFunc(sql, func(r rune) bool { return r == ' ' || r == '\n' || r == '\t' || r == '(' }); i >= 0 {
		w = sql[:i]
	}
	switch w = strings.ToLower(w); w {
	case "select", "insert", "update", "delete", "with", "begin", "commit", "rollback", "listen", "copy":
		return w
	}
	return "other"
}
