// Package webhook sends contactd's webhook deliveries: each request signed
// the Standard Webhooks way (https://www.standardwebhooks.com), to an
// address checked against server-side request forgery both when a
// subscription is saved and when each connection is made.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Signature returns the value of the webhook-signature header for a
// message: "v1,<base64 HMAC-SHA256 of id.timestamp.body>" for each key,
// separated by spaces (while a secret is being rotated, the old one signs
// too, so a receiver that has either verifies).
func Signature(id string, at time.Time, body []byte, keys ...[]byte) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	sigs := make([]string, 0, len(keys))
	for _, k := range keys {
		m := hmac.New(sha256.New, k)
		m.Write([]byte(id))
		m.Write([]byte{'.'})
		m.Write([]byte(ts))
		m.Write([]byte{'.'})
		m.Write(body)
		sigs = append(sigs, "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
	}
	return strings.Join(sigs, " ")
}

// Headers returns the three headers of a signed message.
func Headers(id string, at time.Time, body []byte, keys ...[]byte) map[string]string {
	return map[string]string{
		"webhook-id":        id,
		"webhook-timestamp": strconv.FormatInt(at.Unix(), 10),
		"webhook-signature": Signature(id, at, body, keys...),
	}
}
