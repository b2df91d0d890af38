package contactd

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Webhook is a subscription: the tenant's changes of the events it lists,
// signed and delivered to its URL in order, at least once. Its delivery
// state (where it stands in the change feed, its failures in a row, when
// it tries next, which node holds it) lives beside its settings.
type Webhook struct {
	ID          string   `json:"id"`
	TenantID    string   `json:"-"`
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description"`
	Enabled     bool     `json:"enabled"`
	// DisabledReason says why delivery stopped, when it stopped by itself.
	DisabledReason string `json:"disabledReason,omitempty"`
	// Secret signs deliveries; PreviousSecret, while a rotation is under
	// way, signs them too until PreviousSecretUntil. Neither is shown
	// after the request that made it.
	Secret              string     `json:"-"`
	PreviousSecret      string     `json:"-"`
	PreviousSecretUntil *time.Time `json:"-"`
	CreatedAt           time.Time  `json:"createdAt"`
	UpdatedAt           time.Time  `json:"updatedAt"`

	// Delivery state, written by the deliverer.
	// Cursor is the seq of the last change of the tenant handled
	// (delivered, or not one of the events).
	Cursor int64 `json:"-"`
	// Failures counts the failed attempts in a row since the last
	// success, the first at FirstFailureAt; NextAttemptAt is when the
	// next may be made.
	Failures       int        `json:"consecutiveFailures"`
	FirstFailureAt *time.Time `json:"-"`
	NextAttemptAt  *time.Time `json:"nextAttemptAt,omitempty"`
}

// WebhookDelivery is one attempt to deliver a message: a change, or a test
// ping (Seq 0).
type WebhookDelivery struct {
	ID        string `json:"id"`
	TenantID  string `json:"-"`
	WebhookID string `json:"webhookId"`
	// MessageID is the webhook-id header: the same for every attempt of a
	// message.
	MessageID string `json:"messageId"`
	Event     string `json:"event"`
	Seq       int64  `json:"changeId,omitempty"`
	// ContactID is the contact the message is about: erasing it clears
	// the message's body.
	ContactID string `json:"contactId,omitempty"`
	// Attempt counts the attempts of the message, from 1.
	Attempt int       `json:"attempt"`
	At      time.Time `json:"at"`
	// Status is the receiver's HTTP status (0: no answer).
	Status    int    `json:"statusCode"`
	LatencyMS int64  `json:"latencyMs"`
	Error     string `json:"error,omitempty"`
	Response  string `json:"response,omitempty"`
	// Body is what was sent, kept for redelivery (nil once its contact is
	// erased).
	Body []byte `json:"-"`
}

// WebhookStore is the part of the Store that keeps subscriptions and their
// delivery log.
type WebhookStore interface {
	// CreateWebhook stores a new subscription, its cursor at the tenant's
	// newest change (it hears what is written from now on).
	CreateWebhook(ctx context.Context, w *Webhook) error
	// Webhook returns a subscription of the tenant. ENotFound.
	Webhook(ctx context.Context, tenantID, id string) (*Webhook, error)
	// Webhooks returns a page of the tenant's subscriptions, oldest first
	// (by id), after the id After.
	Webhooks(ctx context.Context, tenantID, after string, limit int) ([]*Webhook, error)
	// UpdateWebhook stores a subscription's settings (not its delivery
	// state, except that enabling one clears its failures so that it
	// tries at once). ENotFound.
	UpdateWebhook(ctx context.Context, w *Webhook) error
	// DeleteWebhook removes a subscription and its delivery log. ENotFound.
	DeleteWebhook(ctx context.Context, tenantID, id string) error
	// ClaimWebhooks leases to owner, until now+lease, up to max enabled
	// subscriptions of any tenant that have something to deliver (changes
	// after their cursor) and may try now, whose lease is free or has
	// expired; it returns them with their delivery state.
	ClaimWebhooks(ctx context.Context, owner string, now time.Time, lease time.Duration, max int) ([]*Webhook, error)
	// ReleaseLeases frees every subscription's lease. Only a store's sole
	// writer calls it, when it starts: no lease can be anyone else's, and
	// its predecessor's (a process killed mid-delivery) need not expire.
	ReleaseLeases(ctx context.Context) error
	// WebhookBacklog counts, over every enabled subscription of every
	// tenant, the changes written after its cursor: the deliverers'
	// queue, for metrics (an upper bound: a subscription passes over the
	// events it does not take without sending them).
	WebhookBacklog(ctx context.Context) (int64, error)
	// SaveDeliveries writes a subscription's delivery state (cursor,
	// failures, next attempt, and enabled/disabledReason when it gives up)
	// and appends attempts to its log, if owner still holds its lease;
	// release gives the lease up. EConflict when the lease was lost (the
	// subscription then belongs to another node), ENotFound when deleted.
	SaveDeliveries(ctx context.Context, owner string, w *Webhook, ds []*WebhookDelivery, release bool) error
	// AddDelivery appends an attempt made outside the deliverer (a test
	// ping, a redelivery) to a subscription's log.
	AddDelivery(ctx context.Context, d *WebhookDelivery) error
	// WebhookDeliveries returns a page of a subscription's attempts, newest
	// first (id descending), before the id Before ("" for the newest).
	WebhookDeliveries(ctx context.Context, tenantID, webhookID, before string, limit int) ([]*WebhookDelivery, error)
	// WebhookDelivery returns one attempt. ENotFound.
	WebhookDelivery(ctx context.Context, tenantID, webhookID, id string) (*WebhookDelivery, error)
}

// MaxWebhookDeliveries is how many attempts a subscription's log keeps:
// SaveDeliveries and AddDelivery drop the oldest past it.
const MaxWebhookDeliveries = 1000

// WebhookSecretPrefix starts every signing secret.
const WebhookSecretPrefix = "whsec_"

// NewWebhookSecret returns a fresh signing secret: "whsec_" and the base64
// of 32 random bytes.
func NewWebhookSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return WebhookSecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// WebhookKey returns the key a secret signs with: the base64 after
// "whsec_", 24 to 64 bytes of it.
func WebhookKey(secret string) ([]byte, error) {
	body, ok := strings.CutPrefix(secret, WebhookSecretPrefix)
	if !ok {
		return nil, errors.New(`must start with "whsec_"`)
	}
	key, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, errors.New(`must be "whsec_" followed by base64`)
	}
	if len(key) < 24 || len(key) > 64 {
		return nil, errors.New("must hold 24 to 64 bytes of key (32 or more random bytes are best)")
	}
	return key, nil
}

// WebhookMessage is one attempt to send: where, the message id and the
// time it is signed with, the body, and the secrets that sign it.
type WebhookMessage struct {
	URL     string
	ID      string
	At      time.Time
	Body    []byte
	Secrets []string
}

// WebhookAttempt is how an attempt went: the receiver's status (0 when no
// answer came), how long it took, the start of its answer, and why it
// failed (nil when the receiver took the message).
type WebhookAttempt struct {
	Status  int
	Latency time.Duration
	Snippet string
	Err     error
}

// WebhookTransport sends deliveries: it checks the URL a subscription
// names (for server-side request forgery, say) and makes signed attempts.
// internal/webhook implements it over HTTP.
type WebhookTransport interface {
	CheckURL(ctx context.Context, url string) error
	Deliver(ctx context.Context, m WebhookMessage) WebhookAttempt
}

// MarshalJSON writes the subscription with its timestamps in TimeFormat.
func (w Webhook) MarshalJSON() ([]byte, error) {
	type plain Webhook
	return json.Marshal(struct {
		plain
		CreatedAt jsonTime `json:"createdAt"`
		UpdatedAt jsonTime `json:"updatedAt"`
	}{plain(w), jsonTime(w.CreatedAt), jsonTime(w.UpdatedAt)})
}

// MarshalJSON writes the attempt with its time in TimeFormat.
func (d WebhookDelivery) MarshalJSON() ([]byte, error) {
	type plain WebhookDelivery
	return json.Marshal(struct {
		plain
		At jsonTime `json:"at"`
	}{plain(d), jsonTime(d.At)})
}
