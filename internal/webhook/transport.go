package webhook

import (
	"context"
	"fmt"

	"github.com/contactd/contactd"
)

// Transport is contactd.WebhookTransport over HTTP: URLs checked by the
// guard, messages signed with every secret given and sent by a Sender.
type Transport struct {
	guard  Guard
	sender *Sender
}

// NewTransport returns a Transport whose guard lets private addresses
// through only with allowPrivate (local development and tests).
func NewTransport(allowPrivate bool) *Transport {
	g := Guard{AllowPrivate: allowPrivate}
	return &Transport{guard: g, sender: NewSender(g)}
}

// CheckURL implements contactd.WebhookTransport.
func (t *Transport) CheckURL(ctx context.Context, url string) error {
	return t.guard.CheckURL(ctx, url)
}

// Deliver implements contactd.WebhookTransport.
func (t *Transport) Deliver(ctx context.Context, m contactd.WebhookMessage) contactd.WebhookAttempt {
	keys := make([][]byte, 0, len(m.Secrets))
	for _, s := range m.Secrets {
		k, err := contactd.WebhookKey(s)
		if err != nil {
			return contactd.WebhookAttempt{Err: fmt.Errorf("the signing secret: %w", err)}
		}
		keys = append(keys, k)
	}
	r := t.sender.Send(ctx, Request{URL: m.URL, Headers: Headers(m.ID, m.At, m.Body, keys...), Body: m.Body})
	return contactd.WebhookAttempt{Status: r.Status, Latency: r.Latency, Snippet: r.Snippet, Err: r.Err}
}
