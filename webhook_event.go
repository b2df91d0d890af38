package contactd

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The events webhooks deliver, and the rules of their delivery that do
// not depend on how they are sent: which changes a subscription hears,
// the body each delivery carries, and when a failed delivery is tried
// again or given up.

// WebhookEvents are the events a subscription may list: one per type of
// contact change. "*" stands for every one, present and future.
var WebhookEvents = func() []string {
	evs := make([]string, 0, len(ChangeTypes)+1)
	for _, t := range ChangeTypes {
		evs = append(evs, EventOf(t))
	}
	return evs
}()

// AllEvents is the event name that stands for every event.
const AllEvents = "*"

// EventOf is the event of a change of the given type.
func EventOf(changeType string) string { return "contact." + changeType }

// Hears reports whether a subscription to events hears a change of the
// given type.
func Hears(events []string, changeType string) bool {
	return slices.Contains(events, AllEvents) || slices.Contains(events, EventOf(changeType))
}

// MaxWebhookPayload bounds the body of a delivery. A change whose body
// with the contact would be larger goes without the contact
// (contactOmitted: the receiver reads it with GET); one whose field
// values alone are too large goes with the fields' names only
// (valuesOmitted).
const MaxWebhookPayload = 256 << 10

// WebhookPayload is the body of a delivery.
type WebhookPayload struct {
	Type      string      `json:"type" doc:"The event, such as contact.updated."`
	ID        string      `json:"id" doc:"The message id, also in the webhook-id header: the same on every attempt, so a receiver can ignore a repeat."`
	Timestamp time.Time   `json:"timestamp" doc:"When the change was made."`
	TenantID  string      `json:"tenantId"`
	Data      WebhookData `json:"data"`
}

// WebhookData is what a delivery says about the change.
type WebhookData struct {
	ChangeID  int64          `json:"changeId" doc:"The change's seq in the tenant's change feed."`
	ContactID string         `json:"contactId"`
	Version   int64          `json:"version" doc:"The contact's version the change made."`
	Actor     string         `json:"actor"`
	Fields    []WebhookField `json:"fields" doc:"The top-level fields the change set, with their old and new values, by name."`
	// Contact is the contact as it is when the delivery is made (so it
	// may already carry later changes), or null once erased.
	Contact        *Contact `json:"contact" doc:"The contact as it is now; null once erased, or when omitted for size."`
	ContactOmitted bool     `json:"contactOmitted,omitempty" doc:"The contact was left out to keep the body within 256 KiB."`
	ValuesOmitted  bool     `json:"valuesOmitted,omitempty" doc:"The fields' values were left out to keep the body within 256 KiB."`
}

// WebhookField is one field a change set.
type WebhookField struct {
	Field string          `json:"field"`
	Old   json.RawMessage `json:"old,omitempty"`
	New   json.RawMessage `json:"new,omitempty"`
}

// MarshalJSON writes the payload with its timestamp in TimeFormat.
func (p WebhookPayload) MarshalJSON() ([]byte, error) {
	type plain WebhookPayload
	return json.Marshal(struct {
		plain
		Timestamp jsonTime `json:"timestamp"`
	}{plain(p), jsonTime(p.Timestamp)})
}

// MessageID is the id of the message that delivers change seq to a
// subscription: the same on every attempt and redelivery, different for
// each subscription.
func MessageID(webhookID string, seq int64) string {
	return "msg_" + strings.TrimPrefix(webhookID, PrefixWebhook) + "_" + strconv.FormatInt(seq, 10)
}

// WebhookBody builds the body of the delivery of a change (with its
// fields filled in) to a subscription, with the contact as it is now
// (nil once erased), within MaxWebhookPayload.
func WebhookBody(webhookID string, ch *Change, c *Contact) ([]byte, error) {
	names := make([]string, 0, len(ch.Fields))
	for k := range ch.Fields {
		names = append(names, k)
	}
	sort.Strings(names)
	fields := make([]WebhookField, len(names))
	for i, k := range names {
		fields[i] = WebhookField{Field: k, Old: ch.Fields[k].Old, New: ch.Fields[k].New}
	}
	p := WebhookPayload{Type: EventOf(ch.Type), ID: MessageID(webhookID, ch.Seq), Timestamp: ch.At, TenantID: ch.TenantID,
		Data: WebhookData{ChangeID: ch.Seq, ContactID: ch.ContactID, Version: ch.Version, Actor: ch.Actor, Fields: fields, Contact: c}}
	b, err := json.Marshal(p)
	if err != nil || len(b) <= MaxWebhookPayload {
		return b, err
	}
	p.Data.Contact, p.Data.ContactOmitted = nil, c != nil
	if b, err = json.Marshal(p); err != nil || len(b) <= MaxWebhookPayload {
		return b, err
	}
	for i := range fields {
		fields[i].Old, fields[i].New = nil, nil
	}
	p.Data.ValuesOmitted = true
	return json.Marshal(p)
}

// The retry schedule: the delay after the nth failure in a row grows four
// times a step from 5 s to at most 4 h (5 s, 20 s, 80 s, 5 min, 21 min,
// 85 min, then 4 h), give or take a fifth at random so that receivers
// coming back are not hit by every sender at once; a subscription that
// keeps failing for WebhookGiveUpAfter, or MaxWebhookFailures times in a
// row, is disabled.
const (
	webhookFirstDelay = 5 * time.Second
	webhookMaxDelay   = 4 * time.Hour
	// WebhookGiveUpAfter is how long a subscription may keep failing.
	WebhookGiveUpAfter = 24 * time.Hour
	// DefaultMaxWebhookFailures is how many failures in a row disable a
	// subscription unless configured otherwise (the schedule reaches 24 h
	// after about 13).
	DefaultMaxWebhookFailures = 15
)

// RetryDelay is the delay before the next attempt after failures failures
// in a row (1 for the first); jitter is a number in [0, 1) (rand's when
// nil).
func RetryDelay(failures int, jitter func() float64) time.Duration {
	if jitter == nil {
		jitter = rand.Float64
	}
	d := webhookFirstDelay
	for i := 1; i < failures && d < webhookMaxDelay; i++ {
		d *= 4
	}
	d = min(d, webhookMaxDelay)
	return time.Duration(float64(d) * (0.8 + 0.4*jitter()))
}

// GiveUp reports whether a subscription that has failed failures times in
// a row, the first at firstFailure, is to be disabled now.
func GiveUp(failures, maxFailures int, firstFailure, now time.Time) bool {
	return failures >= maxFailures || now.Sub(firstFailure) >= WebhookGiveUpAfter
}
