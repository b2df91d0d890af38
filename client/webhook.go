package client

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
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
