package contactd

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Subscriptions are contacts:admin's: they send the tenant's contacts to
// another system, and their secrets sign what it receives.

// WebhookRotationOverlap is how long a rotated secret keeps signing beside
// the new one, so that receivers can switch without missing a message.
const WebhookRotationOverlap = 24 * time.Hour

// NewWebhook is a subscription as created or rotated, with its secret,
// shown this once (as a token's is).
type NewWebhook struct {
	Webhook *Webhook `json:"webhook"`
	Secret  string   `json:"secret" doc:"The signing secret, shown this once: keep it where the receiver can read it."`
}

var webhookList = &listKind[*Webhook]{
	name:   "webhooks",
	fixed:  []SortKey{{Field: "id"}},
	value:  func(w *Webhook, _ string) string { return w.ID },
	fields: jsonFields(reflect.TypeFor[Webhook]()),
}

var deliveryList = &listKind[*WebhookDelivery]{
	name:   "deliveries",
	fixed:  []SortKey{{Field: "id", Desc: true}},
	value:  func(d *WebhookDelivery, _ string) string { return d.ID },
	fields: jsonFields(reflect.TypeFor[WebhookDelivery]()),
}

// UseWebhooks gives the service the transport its subscriptions are
// checked and delivered with. Without one, subscriptions cannot be made.
func (s *Service) UseWebhooks(t WebhookTransport) { s.webhookTransport = t }

func (s *Service) transport() (WebhookTransport, error) {
	if s.webhookTransport == nil {
		return nil, Errorf(EInternal, "webhooks: no transport configured")
	}
	return s.webhookTransport, nil
}

// CreateWebhook makes a subscription from now on (it hears the changes
// written after it), with the secret given or a new one. EInvalid,
// EForbidden.
func (s *Service) CreateWebhook(ctx context.Context, p Principal, in *WebhookInput) (*NewWebhook, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	now := s.now()
	w := &Webhook{ID: NewID(PrefixWebhook), TenantID: p.TenantID, Events: []string{}, Enabled: true, CreatedAt: now, UpdatedAt: now}
	if len(in.ReadOnly) > 0 {
		var fe []FieldError
		for _, k := range slices.Sorted(maps.Keys(in.ReadOnly)) {
			fe = append(fe, FieldError{Location: k, Message: "is read-only"})
		}
		return nil, invalid(fe)
	}
	if err := s.applyWebhookInput(ctx, w, in, true); err != nil {
		return nil, err
	}
	if in.Secret == nil {
		w.Secret = NewWebhookSecret()
	}
	if err := s.store.CreateWebhook(ctx, w); err != nil {
		return nil, err
	}
	return &NewWebhook{Webhook: w, Secret: w.Secret}, nil
}

// applyWebhookInput sets what in has on w and checks the result.
func (s *Service) applyWebhookInput(ctx context.Context, w *Webhook, in *WebhookInput, create bool) error {
	t, err := s.transport()
	if err != nil {
		return err
	}
	var fe []FieldError
	if in.URL != nil {
		w.URL = strings.TrimSpace(*in.URL)
		if err := t.CheckURL(ctx, w.URL); err != nil {
			fe = append(fe, FieldError{Location: "url", Message: err.Error(), Value: w.URL})
		}
	} else if create {
		fe = append(fe, FieldError{Location: "url", Message: "is required"})
	}
	if in.EventsSet {
		w.Events = []string{}
		for i, ev := range in.Events {
			switch {
			case ev != AllEvents && !slices.Contains(WebhookEvents, ev):
				fe = append(fe, FieldError{Location: fmt.Sprintf("events[%d]", i), Value: ev,
					Message: "must be one of " + strings.Join(WebhookEvents, ", ") + ", or * for every event"})
			case !slices.Contains(w.Events, ev):
				w.Events = append(w.Events, ev)
			}
		}
	}
	if (in.EventsSet || create) && len(w.Events) == 0 {
		fe = append(fe, FieldError{Location: "events", Message: "must list at least one event (* for every event)"})
	}
	if in.Secret != nil {
		if _, err := WebhookKey(*in.Secret); err != nil {
			fe = append(fe, FieldError{Location: "secret", Message: err.Error()})
		}
		w.Secret = *in.Secret
	}
	if in.Description != nil {
		w.Description = strings.TrimSpace(*in.Description)
		if utf8.RuneCountInString(w.Description) > 500 {
			fe = append(fe, FieldError{Location: "description", Message: "must be at most 500 characters"})
		}
	}
	if in.Enabled != nil {
		if *in.Enabled && !w.Enabled {
			w.DisabledReason = "" // enabling resumes from where it stopped
		}
		w.Enabled = *in.Enabled
	}
	if len(fe) > 0 {
		return invalid(fe)
	}
	return nil
}

// GetWebhook returns a subscription (never its secret). ENotFound,
// EForbidden.
func (s *Service) GetWebhook(ctx context.Context, p Principal, id string) (*Webhook, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	return s.store.Webhook(ctx, p.TenantID, id)
}

// Webhooks lists the tenant's subscriptions, oldest first.
func (s *Service) Webhooks(ctx context.Context, p Principal, lp ListParams) (*Page[*Webhook], error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	l, err := startList(ctx, s, p, webhookList, lp, "", false)
	if err != nil {
		return nil, err
	}
	after := ""
	if l.after != nil {
		after = l.after[0]
	}
	ws, err := s.store.Webhooks(ctx, p.TenantID, after, l.limit+1)
	if err != nil {
		return nil, err
	}
	return finishList(ctx, s, p, webhookList, l, ws, nil)
}

// UpdateWebhook applies a merge patch: url, events, description, enabled
// (enabling one that stopped resumes where it stopped, at once), secret
// (replaced outright; RotateWebhookSecret keeps the old one signing a
// while). ENotFound, EInvalid, EForbidden.
func (s *Service) UpdateWebhook(ctx context.Context, p Principal, id string, in *WebhookInput) (*Webhook, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	w, err := s.store.Webhook(ctx, p.TenantID, id)
	if err != nil {
		return nil, err
	}
	if err := checkReadOnly(w, in.ReadOnly); err != nil {
		return nil, err
	}
	if err := s.applyWebhookInput(ctx, w, in, false); err != nil {
		return nil, err
	}
	if in.Secret != nil {
		w.PreviousSecret, w.PreviousSecretUntil = "", nil
	}
	w.UpdatedAt = s.now()
	if err := s.store.UpdateWebhook(ctx, w); err != nil {
		return nil, err
	}
	return s.store.Webhook(ctx, p.TenantID, id)
}

// RotateWebhookSecret gives a subscription a new secret (secret, or a new
// one when empty); the old one signs beside it for
// WebhookRotationOverlap. ENotFound, EInvalid, EForbidden.
func (s *Service) RotateWebhookSecret(ctx context.Context, p Principal, id, secret string) (*NewWebhook, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	w, err := s.store.Webhook(ctx, p.TenantID, id)
	if err != nil {
		return nil, err
	}
	if secret == "" {
		secret = NewWebhookSecret()
	} else if _, err := WebhookKey(secret); err != nil {
		return nil, invalidField("secret", "%s", err.Error())
	}
	now := s.now()
	until := now.Add(WebhookRotationOverlap)
	w.PreviousSecret, w.PreviousSecretUntil, w.Secret, w.UpdatedAt = w.Secret, &until, secret, now
	if err := s.store.UpdateWebhook(ctx, w); err != nil {
		return nil, err
	}
	return &NewWebhook{Webhook: w, Secret: secret}, nil
}

// DeleteWebhook removes a subscription and its log. ENotFound, EForbidden.
func (s *Service) DeleteWebhook(ctx context.Context, p Principal, id string) error {
	if err := p.require(ScopeAdmin); err != nil {
		return err
	}
	return s.store.DeleteWebhook(ctx, p.TenantID, id)
}

// secrets are the secrets that sign a subscription's messages at now.
func (w *Webhook) secrets(now time.Time) []string {
	out := []string{w.Secret}
	if w.PreviousSecret != "" && w.PreviousSecretUntil != nil && now.Before(*w.PreviousSecretUntil) {
		out = append(out, w.PreviousSecret)
	}
	return out
}

// send makes one attempt of a message and describes it as a delivery.
func (s *Service) send(ctx context.Context, w *Webhook, msgID, event string, seq int64, attempt int, body []byte) *WebhookDelivery {
	t, err := s.transport()
	now := s.now()
	d := &WebhookDelivery{ID: NewID(PrefixDelivery), TenantID: w.TenantID, WebhookID: w.ID, MessageID: msgID, Event: event,
		Seq: seq, Attempt: attempt, At: now, Body: body}
	if err != nil {
		d.Error = err.Error()
		return d
	}
	a := t.Deliver(ctx, WebhookMessage{URL: w.URL, ID: msgID, At: now, Body: body, Secrets: w.secrets(now)})
	d.Status, d.LatencyMS, d.Response = a.Status, a.Latency.Milliseconds(), a.Snippet
	if a.Err != nil {
		d.Error = a.Err.Error()
	}
	if d.Error == "" { // taken: a 2xx answer
		s.stats.webhookDelivered.Add(1)
	} else {
		s.stats.webhookFailed.Add(1)
	}
	s.stats.webhookLatencyMicros.Add(uint64(a.Latency.Microseconds()))
	return d
}

// TestWebhook sends a webhook.ping message to a subscription now, enabled
// or not, and logs and returns the attempt. ENotFound, EForbidden.
func (s *Service) TestWebhook(ctx context.Context, p Principal, id string) (*WebhookDelivery, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	w, err := s.store.Webhook(ctx, p.TenantID, id)
	if err != nil {
		return nil, err
	}
	msgID := "msg_ping_" + NewID("")
	body, err := json.Marshal(map[string]any{"type": "webhook.ping", "id": msgID, "timestamp": jsonTime(s.now()), "tenantId": p.TenantID,
		"data": map[string]any{"webhookId": w.ID}})
	if err != nil {
		return nil, err
	}
	d := s.send(ctx, w, msgID, "webhook.ping", 0, 1, body)
	if err := s.store.AddDelivery(ctx, d); err != nil {
		return nil, err
	}
	return d, nil
}

// WebhookDeliveries lists a subscription's attempts, newest first.
func (s *Service) WebhookDeliveries(ctx context.Context, p Principal, id string, lp ListParams) (*Page[*WebhookDelivery], error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	if _, err := s.store.Webhook(ctx, p.TenantID, id); err != nil {
		return nil, err
	}
	l, err := startList(ctx, s, p, deliveryList, lp, id, false)
	if err != nil {
		return nil, err
	}
	before := ""
	if l.after != nil {
		before = l.after[0]
	}
	ds, err := s.store.WebhookDeliveries(ctx, p.TenantID, id, before, l.limit+1)
	if err != nil {
		return nil, err
	}
	return finishList(ctx, s, p, deliveryList, l, ds, nil)
}

// Redeliver sends a logged message again now, as it was (the same
// webhook-id, so the receiver can tell it has it), and logs and returns
// the attempt. It does not move the subscription's place in the feed.
// EConflict once the message's contact is erased; ENotFound, EForbidden.
func (s *Service) Redeliver(ctx context.Context, p Principal, id, deliveryID string) (*WebhookDelivery, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	w, err := s.store.Webhook(ctx, p.TenantID, id)
	if err != nil {
		return nil, err
	}
	old, err := s.store.WebhookDelivery(ctx, p.TenantID, id, deliveryID)
	if err != nil {
		return nil, err
	}
	if old.Body == nil {
		return nil, Errorf(EConflict, "the message of delivery %s was about a contact that has been erased: its body is gone", deliveryID)
	}
	d := s.send(ctx, w, old.MessageID, old.Event, old.Seq, old.Attempt+1, old.Body)
	d.ContactID = old.ContactID
	if err := s.store.AddDelivery(ctx, d); err != nil {
		return nil, err
	}
	return d, nil
}
