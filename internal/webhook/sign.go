// Package webhook sends contactd's webhook deliveries: each request signed
// the Standard Webhooks way (https://www.standardwebhooks.com), to an
// address checked against server-side request forgery both when a
// subscription is saved and when each connection is made.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix starts every signing secret.
const SecretPrefix = "whsec_"

// secretBytes is the length of a generated secret's key.
const secretBytes = 32

// NewSecret returns a fresh signing secret: "whsec_" and the base64 of 32
// random bytes.
func NewSecret() string {
	b := make([]byte, secretBytes)
	rand.Read(b)
	return SecretPrefix + base64.StdEncoding.EncodeToString(b)
}

// Key returns the key a secret signs with: the base64 after "whsec_".
// A secret given by a client must decode to 24 to 64 bytes.
func Key(secret string) ([]byte, error) {
	body, ok := strings.CutPrefix(secret, SecretPrefix)
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
