package client

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"iter"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// WebhookTolerance is how far a webhook's timestamp may be from now
// before VerifyWebhook refuses it (a replay).
const WebhookTolerance = 5 * time.Minute

// ErrWebhookSignature is the error of a webhook whose signature, or
// timestamp, does not verify.
var ErrWebhookSignature = errors.New("contactd: the webhook's signature does not verify")

// VerifyWebhook checks a webhook request contactd sent (Standard
// Webhooks: the webhook-id, webhook-timestamp and webhook-signature
// headers, an HMAC-SHA256 of "id.timestamp.body") with the subscription's
// secret ("whsec_…"), and that its timestamp is within WebhookTolerance
// of now. While a secret is being rotated, either the old or the new one
// verifies. body is the request body exactly as received.
func VerifyWebhook(secret string, h http.Header, body []byte) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || len(key) == 0 {
		return errors.New("contactd: the webhook secret is not a whsec_ secret")
	}
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if id == "" || err != nil {
		return ErrWebhookSignature
	}
	if d := time.Since(time.Unix(sec, 0)); d > WebhookTolerance || d < -WebhookTolerance {
		return ErrWebhookSignature
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return ErrWebhookSignature
}

// WebhookEvent is the body of a webhook: an event of one contact.
type WebhookEvent struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	TenantID  string    `json:"tenantId"`
	Timestamp time.Time `json:"timestamp"`
	Data      struct {
		ContactID string   `json:"contactId"`
		ChangeID  int64    `json:"changeId"`
		Version   int64    `json:"version"`
		Actor     string   `json:"actor"`
		Contact   *Contact `json:"contact,omitempty"`
		// ContactOmitted says the contact was too large to send.
		ContactOmitted bool `json:"contactOmitted,omitempty"`
		Fields         []struct {
			Field string          `json:"field"`
			Old   json.RawMessage `json:"old"`
			New   json.RawMessage `json:"new"`
		} `json:"fields,omitempty"`
		ValuesOmitted bool `json:"valuesOmitted,omitempty"`
	} `json:"data"`
}

// ParseWebhook verifies a webhook request (VerifyWebhook) and decodes its
// event.
func ParseWebhook(secret string, h http.Header, body []byte) (*WebhookEvent, error) {
	if err := VerifyWebhook(secret, h, body); err != nil {
		return nil, err
	}
	var ev WebhookEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, err
	}
	return &ev, nil
}

// WebhooksService is /v1/webhooks: subscriptions to the tenant's events.
type WebhooksService struct{ c *Client }

// NewWebhook is a subscription with its signing secret, shown when it is
// made or rotated.
type NewWebhook struct {
	Webhook *Webhook `json:"webhook"`
	Secret  string   `json:"secret"`
}

// List reads a page of subscriptions.
func (s *WebhooksService) List(ctx context.Context, opts ListOptions) (*Page[Webhook], error) {
	return listOnce[Webhook](ctx, s.c, "/v1/webhooks", opts, nil)
}

// All iterates over the subscriptions.
func (s *WebhooksService) All(ctx context.Context, opts ListOptions) iter.Seq2[Webhook, error] {
	return listAll[Webhook](ctx, s.c, "/v1/webhooks", opts, nil)
}

// Create subscribes a URL to events; the answer holds the secret, once.
func (s *WebhooksService) Create(ctx context.Context, w *Webhook, opts ...RequestOption) (*NewWebhook, error) {
	return doJSON[NewWebhook](ctx, s.c, "POST", "/v1/webhooks", nil, w, opts)
}

// Get reads a subscription.
func (s *WebhooksService) Get(ctx context.Context, id string) (*Webhook, error) {
	return doJSON[Webhook](ctx, s.c, "GET", "/v1/webhooks/"+seg(id), nil, nil, nil)
}

// Update merge-patches a subscription (url, events, description, enabled).
func (s *WebhooksService) Update(ctx context.Context, id string, patch any, opts ...RequestOption) (*Webhook, error) {
	return doJSON[Webhook](ctx, s.c, "PATCH", "/v1/webhooks/"+seg(id), nil, patch, opts)
}

// Delete removes a subscription.
func (s *WebhooksService) Delete(ctx context.Context, id string, opts ...RequestOption) error {
	_, err := s.c.call(ctx, "DELETE", "/v1/webhooks/"+seg(id), nil, nil, nil, opts...)
	return err
}

// Deliveries reads a page of a subscription's delivery log, newest first.
func (s *WebhooksService) Deliveries(ctx context.Context, id string, opts ListOptions) (*Page[WebhookDelivery], error) {
	return listOnce[WebhookDelivery](ctx, s.c, "/v1/webhooks/"+seg(id)+"/deliveries", opts, nil)
}

// AllDeliveries iterates over a subscription's delivery log.
func (s *WebhooksService) AllDeliveries(ctx context.Context, id string, opts ListOptions) iter.Seq2[WebhookDelivery, error] {
	return listAll[WebhookDelivery](ctx, s.c, "/v1/webhooks/"+seg(id)+"/deliveries", opts, nil)
}

// Redeliver sends a delivery's event again, now.
func (s *WebhooksService) Redeliver(ctx context.Context, id, deliveryID string, opts ...RequestOption) (*WebhookDelivery, error) {
	return doJSON[WebhookDelivery](ctx, s.c, "POST", "/v1/webhooks/"+seg(id)+"/deliveries/"+seg(deliveryID)+"/redeliver", nil, nil, opts)
}

// RotateSecret gives the subscription a new secret (secret, when not "",
// is the one to use); the old one keeps signing for 24 hours.
func (s *WebhooksService) RotateSecret(ctx context.Context, id, secret string, opts ...RequestOption) (*NewWebhook, error) {
	body := map[string]string{}
	if secret != "" {
		body["secret"] = secret
	}
	return doJSON[NewWebhook](ctx, s.c, "POST", "/v1/webhooks/"+seg(id)+"/rotate-secret", nil, body, opts)
}

// Test sends a test event to the subscription and answers the delivery.
func (s *WebhooksService) Test(ctx context.Context, id string, opts ...RequestOption) (*WebhookDelivery, error) {
	return doJSON[WebhookDelivery](ctx, s.c, "POST", "/v1/webhooks/"+seg(id)+"/test", nil, nil, opts)
}
