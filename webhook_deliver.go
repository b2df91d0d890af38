package contactd

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"
)

// The deliverer. Every node runs one (RunWebhooks); it leases the
// subscriptions that have changes to deliver and may try now, a few at a
// time, and delivers each one's changes in order, one message at a time,
// from its cursor. A message the receiver takes moves the cursor past it;
// one it refuses is tried again later (RetryDelay), from the same place,
// so nothing is skipped and order holds; a subscription that keeps
// failing is disabled (GiveUp). State is saved with the attempts every
// few messages and when the lease is given up; a node that dies leaves its
// lease to expire, and the next node starts from the last saved cursor:
// at least once, in order.

// Deliverer settings.
var (
	// webhookLease is how long a claim holds a subscription; a run gives
	// it up well before (webhookRun).
	webhookLease = 60 * time.Second
	webhookRun   = 20 * time.Second
	// webhookIdle is how long the deliverer waits between claims when
	// there was nothing to deliver.
	webhookIdle = 200 * time.Millisecond
	// webhookSaveEvery is how many delivered messages a run saves at once.
	webhookSaveEvery = 100
	// webhookParallel is how many subscriptions a node delivers to at once.
	webhookParallel = 16
)

// WebhookOptions configure RunWebhooks.
type WebhookOptions struct {
	// Node names this deliverer in leases; unique per process.
	Node string
	// MaxFailures disables a subscription after this many failed attempts
	// in a row (DefaultMaxWebhookFailures when 0).
	MaxFailures int
	// Delay is the wait before the next attempt after failures failures
	// in a row (RetryDelay when nil).
	Delay func(failures int) time.Duration
}

// RunWebhooks delivers the tenants' changes to their subscriptions until
// ctx ends or the service stops.
func (s *Service) RunWebhooks(ctx context.Context, o WebhookOptions) {
	if o.Node == "" {
		o.Node = NewID("node_")
	}
	if o.MaxFailures == 0 {
		o.MaxFailures = DefaultMaxWebhookFailures
	}
	if o.Delay == nil {
		o.Delay = func(n int) time.Duration { return RetryDelay(n, nil) }
	}
	if sw, ok := s.store.(SoleWriter); ok && sw.SoleWriter() {
		// This process is the database's only one: the leases held are a
		// killed predecessor's, and need not be waited out.
		if err := s.store.ReleaseLeases(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("webhooks: release leases", "err", err)
		}
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	slots := make(chan struct{}, webhookParallel)
	for ctx.Err() == nil && !s.stopped() {
		free := webhookParallel - len(slots)
		var ws []*Webhook
		if free > 0 {
			var err error
			if ws, err = s.store.ClaimWebhooks(ctx, o.Node, s.now(), webhookLease, free); err != nil && ctx.Err() == nil {
				s.log.Error("webhooks: claim", "err", err)
			}
		}
		for _, w := range ws {
			slots <- struct{}{}
			wg.Go(func() {
				defer func() { <-slots }()
				s.deliverRun(ctx, o, w)
			})
		}
		if len(ws) == 0 {
			t := time.NewTimer(webhookIdle)
			select {
			case <-t.C:
			case <-ctx.Done():
			case <-s.stopping:
			}
			t.Stop()
		}
	}
}

// deliverRun delivers a leased subscription's changes for at most
// webhookRun, then saves and gives the lease up.
func (s *Service) deliverRun(ctx context.Context, o WebhookOptions, w *Webhook) {
	deadline := time.Now().Add(webhookRun)
	var done []*WebhookDelivery
	save := func(release bool) bool {
		err := s.store.SaveDeliveries(context.WithoutCancel(ctx), o.Node, w, done, release)
		done = done[:0]
		if err != nil {
			if ErrorCodeOf(err) != EConflict && ErrorCodeOf(err) != ENotFound {
				s.log.Error("webhooks: save", "webhook", w.ID, "err", err)
			}
			return false
		}
		return true
	}
	// A subscription that was disabled while retention removed changes it
	// had not delivered tells its receiver, which must resync, before it
	// goes on from the oldest change kept.
	if h, err := s.store.ChangeHorizon(ctx, w.TenantID); err != nil {
		if ctx.Err() == nil {
			s.log.Error("webhooks: read the change horizon", "webhook", w.ID, "err", err)
		}
		save(true)
		return
	} else if w.Cursor < h.Pruned {
		d, err := s.deliverGap(ctx, w, h.Pruned)
		if err != nil {
			save(true)
			return
		}
		done = append(done, d)
		if !s.settle(o, w, d, h.Pruned) {
			save(true)
			return
		}
	}
	for time.Now().Before(deadline) && ctx.Err() == nil && !s.stopped() {
		// The settings as they are now: a subscription disabled, deleted
		// or pointed elsewhere meanwhile is so from its next messages on.
		cur, err := s.store.Webhook(ctx, w.TenantID, w.ID)
		switch {
		case ErrorCodeOf(err) == ENotFound:
			return
		case err != nil:
			if ctx.Err() == nil {
				s.log.Error("webhooks: read the subscription", "webhook", w.ID, "err", err)
			}
			save(true)
			return
		case !cur.Enabled:
			save(true) // (the store never turns it back on)
			return
		}
		w.URL, w.Events, w.Secret, w.PreviousSecret, w.PreviousSecretUntil = cur.URL, cur.Events, cur.Secret, cur.PreviousSecret, cur.PreviousSecretUntil
		chs, err := s.store.Changes(ctx, ChangesParams{TenantID: w.TenantID, After: w.Cursor, Limit: webhookSaveEvery})
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("webhooks: read changes", "webhook", w.ID, "err", err)
			}
			break
		}
		if len(chs) == 0 {
			break
		}
		for i := range chs {
			ch := &chs[i]
			if !Hears(w.Events, ch.Type) {
				w.Cursor = ch.Seq
				continue
			}
			d, err := s.deliverChange(ctx, w, ch)
			if err != nil {
				if ctx.Err() == nil {
					s.log.Error("webhooks: build message", "webhook", w.ID, "change", ch.Seq, "err", err)
				}
				save(true)
				return
			}
			done = append(done, d)
			if !s.settle(o, w, d, ch.Seq) {
				save(true)
				return
			}
		}
		if !save(false) {
			return
		}
	}
	save(true)
}

// settle moves a subscription past seq when its attempt d succeeded and
// reports true; when d failed, it schedules the same message again, or
// disables the subscription when it is time to give up, and reports
// false.
func (s *Service) settle(o WebhookOptions, w *Webhook, d *WebhookDelivery, seq int64) bool {
	if d.Error == "" {
		w.Cursor, w.Failures, w.FirstFailureAt, w.NextAttemptAt = seq, 0, nil, nil
		return true
	}
	now := s.now()
	w.Failures++
	if w.FirstFailureAt == nil {
		w.FirstFailureAt = &now
	}
	if GiveUp(w.Failures, o.MaxFailures, *w.FirstFailureAt, now) {
		w.Enabled = false
		w.DisabledReason = fmt.Sprintf("disabled at %s after %d failed attempts in a row since %s; the last: %s",
			now.Format(TimeFormat), w.Failures, w.FirstFailureAt.Format(TimeFormat), d.Error)
	} else {
		next := now.Add(o.Delay(w.Failures))
		w.NextAttemptAt = &next
	}
	return false
}

// deliverGap makes one attempt to tell a receiver that the changes after
// the subscription's cursor up to through were removed by retention
// before it could deliver them (it was disabled meanwhile).
func (s *Service) deliverGap(ctx context.Context, w *Webhook, through int64) (*WebhookDelivery, error) {
	msgID := MessageID(w.ID, through) + "_gap"
	body, err := json.Marshal(map[string]any{"type": WebhookGapEvent, "id": msgID, "timestamp": jsonTime(s.now()), "tenantId": w.TenantID,
		"data": map[string]any{"fromChangeId": w.Cursor + 1, "toChangeId": through}})
	if err != nil {
		return nil, err
	}
	return s.send(ctx, w, msgID, WebhookGapEvent, through, w.Failures+1, body), nil
}

// WebhookGapEvent is the message that tells a receiver it missed changes
// (data.fromChangeId to data.toChangeId): retention removed them while its
// subscription was disabled. The receiver resyncs from the API.
const WebhookGapEvent = "webhook.gap"

// deliverChange makes one attempt to deliver a change: its fields filled
// in, the contact as it is now.
func (s *Service) deliverChange(ctx context.Context, w *Webhook, ch *Change) (*WebhookDelivery, error) {
	one := []Change{*ch}
	if err := s.creationFields(ctx, w.TenantID, one); err != nil {
		return nil, err
	}
	c, err := s.store.Contact(ctx, w.TenantID, ch.ContactID)
	switch {
	case ErrorCodeOf(err) == ENotFound:
		c = nil // erased
	case err != nil:
		return nil, err
	}
	body, err := WebhookBody(w.ID, &one[0], c)
	if err != nil {
		return nil, err
	}
	d := s.send(ctx, w, MessageID(w.ID, ch.Seq), EventOf(ch.Type), ch.Seq, w.Failures+1, body)
	d.ContactID = ch.ContactID
	return d, nil
}

// WebhookBacklog is the deliverers' queue: the changes written after the
// cursors of every enabled subscription, all tenants together (see
// Store.WebhookBacklog). For the operator's metrics; no token reads it.
func (s *Service) WebhookBacklog(ctx context.Context) (int64, error) {
	return s.store.WebhookBacklog(ctx)
}
