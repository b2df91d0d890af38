package webhook

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/contactd/contactd"
)

// TestSignatureVerifiesWithTheReference: every signature contactd makes
// verifies with the Standard Webhooks reference library, with either of
// the two secrets during a rotation, and not with another secret or a
// changed body, id or timestamp.
func TestSignatureVerifiesWithTheReference(t *testing.T) {
	oldSecret, newSecret, stranger := contactd.NewWebhookSecret(), contactd.NewWebhookSecret(), contactd.NewWebhookSecret()
	oldKey, _ := contactd.WebhookKey(oldSecret)
	newKey, _ := contactd.WebhookKey(newSecret)
	body := []byte(`{"type":"contact.created","data":{"contactId":"ct_1","name":"Zoë \u00e9"}}`)
	at := time.Now()
	headers := func(body []byte, keys ...[]byte) http.Header {
		h := http.Header{}
		for k, v := range Headers("msg_1", at, body, keys...) {
			h.Set(k, v)
		}
		return h
	}
	verify := func(secret string, body []byte, h http.Header) error {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatalf("the reference library refuses secret %s: %v", secret, err)
		}
		return wh.Verify(body, h)
	}
	for _, secret := range []string{oldSecret, newSecret} {
		if err := verify(secret, body, headers(body, newKey, oldKey)); err != nil {
			t.Errorf("a message signed with both keys does not verify with %s: %v", secret[:10], err)
		}
	}
	if err := verify(newSecret, body, headers(body, newKey)); err != nil {
		t.Errorf("a message signed with one key: %v", err)
	}
	if err := verify(stranger, body, headers(body, newKey, oldKey)); err == nil {
		t.Error("a message verified with a secret that did not sign it")
	}
	if err := verify(newSecret, append(bytes.Clone(body), ' '), headers(body, newKey)); err == nil {
		t.Error("a changed body verified")
	}
	h := headers(body, newKey)
	h.Set("webhook-id", "msg_2")
	if err := verify(newSecret, body, h); err == nil {
		t.Error("a changed webhook-id verified")
	}
	h = headers(body, newKey)
	h.Set("webhook-timestamp", "1")
	if err := verify(newSecret, body, h); err == nil {
		t.Error("a changed timestamp verified")
	}
	// The reference library's own signature is ours.
	wh, _ := standardwebhooks.NewWebhook(newSecret)
	ref, err := wh.Sign("msg_1", at, body)
	if err != nil || ref != Signature("msg_1", at, body, newKey) {
		t.Errorf("the reference signs %q, contactd %q", ref, Signature("msg_1", at, body, newKey))
	}
}

func TestSecrets(t *testing.T) {
	s := contactd.NewWebhookSecret()
	if !strings.HasPrefix(s, "whsec_") || s == contactd.NewWebhookSecret() {
		t.Fatalf("NewWebhookSecret: %q", s)
	}
	if k, err := contactd.WebhookKey(s); err != nil || len(k) != 32 {
		t.Errorf("WebhookKey(%s): %d bytes, %v", s, len(k), err)
	}
	for _, bad := range []string{"", "abc", "whsec_", "whsec_!!!!", "whsec_c2hvcnQ=", "sk_" + s[6:]} {
		if _, err := contactd.WebhookKey(bad); err == nil {
			t.Errorf("WebhookKey(%q) accepted", bad)
		}
	}
}
