package contactd

import (
	"context"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Service holds every business rule of contactd: validation, normalization,
// permissions, references, history and the change log. Its methods are
// grouped by noun in <noun>_service.go and <noun>_list.go. It is safe for
// concurrent use.
type Service struct {
	store Store
	log   *slog.Logger
	now   func() time.Time
	// tokens caches authenticated principals when the store is its
	// tenants' and tokens' sole writer or watches them (token_cache.go);
	// nil otherwise.
	tokens *tokenCache
	// cursors holds the key that signs list cursors.
	cursors cursorKey
	// transport checks and sends webhook deliveries (UseWebhooks).
	webhookTransport WebhookTransport
	// stopping closes when the service stops (Stop): long polls answer,
	// and background jobs end.
	stopping chan struct{}
	stopOnce sync.Once
	sessionState
	// stats counts what operators watch (Stats).
	stats struct {
		tokenHits, tokenMisses          atomic.Uint64
		webhookDelivered, webhookFailed atomic.Uint64
		webhookLatencyMicros            atomic.Uint64
	}
}

// Stats are the Service's running counts, for metrics.
type Stats struct {
	// TokenCacheHits and TokenCacheMisses count authentications answered
	// from the token cache and from the store.
	TokenCacheHits, TokenCacheMisses uint64
	// WebhookDelivered and WebhookFailed count delivery attempts by
	// outcome (a 2xx answer or not); WebhookLatency is their total time.
	WebhookDelivered, WebhookFailed uint64
	WebhookLatency                  time.Duration
}

// Stats returns the Service's running counts.
func (s *Service) Stats() Stats {
	return Stats{TokenCacheHits: s.stats.tokenHits.Load(), TokenCacheMisses: s.stats.tokenMisses.Load(),
		WebhookDelivered: s.stats.webhookDelivered.Load(), WebhookFailed: s.stats.webhookFailed.Load(),
		WebhookLatency: time.Duration(s.stats.webhookLatencyMicros.Load()) * time.Microsecond}
}

// stopped reports whether Stop was called.
func (s *Service) stopped() bool {
	select {
	case <-s.stopping:
		return true
	default:
		return false
	}
}

// Stopping is closed when the service stops (Stop).
func (s *Service) Stopping() <-chan struct{} { return s.stopping }

// Stop ends the service's long polls (they answer at once, as if their
// wait were over) and its background jobs. Requests still work.
func (s *Service) Stop() {
	s.stopOnce.Do(func() { close(s.stopping) })
}

// NewService returns a Service over store.
func NewService(store Store, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{store: store, log: log, now: func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) },
		stopping: make(chan struct{})}
	if sw, ok := store.(SoleWriter); ok && sw.SoleWriter() {
		s.tokens = &tokenCache{}
	} else if tw, ok := store.(TokenWatcher); ok {
		s.tokens = &tokenCache{}
		tw.WatchTokens(s.tokens.watch())
	}
	return s
}

// Ready reports whether the database answers and its schema is current.
func (s *Service) Ready(ctx context.Context) error {
	if err := s.store.Ping(ctx); err != nil {
		return err
	}
	ok, err := s.store.SchemaCurrent(ctx)
	if err != nil {
		return err
	}
	if !ok {
		return Errorf(EInternal, "the database schema is not current: run contactd migrate")
	}
	return nil
}

// Precondition carries an If-Match header: the request applies only when
// the object's current ETag is one of ETags, or exists at all when Any.
type Precondition struct {
	Any   bool
	ETags []string
}

func (pc Precondition) set() bool { return pc.Any || len(pc.ETags) > 0 }

// check applies the precondition to an object (noun: "contact") whose
// current entity tag is etag.
func (pc Precondition) check(noun, etag string) error {
	if !pc.set() || pc.Any || slices.Contains(pc.ETags, etag) {
		return nil
	}
	return Errorf(EPreconditionFailed, "the %s has changed: its current ETag is %s", noun, etag)
}

// maxWriteAttempts bounds how often a write is re-applied after losing a
// race with another writer.
const maxWriteAttempts = 100

// retry runs attempt until it is done, re-running it when it loses a race
// with another writer (retry true), backing off a little longer each time
// so that a crowd of writers on one object drains instead of colliding
// again. what names the object in the error of a write that never wins.
func retry[T any](ctx context.Context, what string, attempt func(n int) (result T, again bool, err error)) (T, error) {
	for n := 0; ; n++ {
		v, again, err := attempt(n)
		if !again {
			return v, err
		}
		var zero T
		if n >= maxWriteAttempts {
			return zero, Errorf(EConflict, "%s is being changed by many requests at once; retry", what)
		}
		if err := sleepCtx(ctx, backoff(n)); err != nil {
			return zero, err
		}
	}
}

// backoff is how long the nth retry of a write waits: a few random
// milliseconds, more as attempts go on, so that writers that collided
// spread out.
func backoff(n int) time.Duration {
	return time.Duration(rand.IntN(n+1)+1) * time.Millisecond
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// checkReadOnly rejects read-only fields sent with a value other than the
// current object's; unchanged ones are ignored, so that a client may send
// back what it read. Values compare as plain JSON values (1 equals 1.0).
func checkReadOnly(cur any, sent map[string]json.RawMessage) error {
	if len(sent) == 0 {
		return nil
	}
	b, err := json.Marshal(cur)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return err
	}
	var fe []FieldError
	for k, raw := range sent {
		var v any
		if json.Unmarshal(raw, &v) != nil || !reflect.DeepEqual(v, doc[k]) {
			fe = append(fe, FieldError{Location: k, Message: "is read-only"})
		}
	}
	if len(fe) > 0 {
		slices.SortFunc(fe, func(a, b FieldError) int { return strings.Compare(a.Location, b.Location) })
		return invalid(fe)
	}
	return nil
}
