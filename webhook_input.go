package contactd

import "encoding/json"

// WebhookInput is the body of POST /v1/webhooks, or a merge patch of a
// subscription (PATCH): nil members are absent.
type WebhookInput struct {
	URL         *string
	Events      []string
	EventsSet   bool
	Secret      *string
	Description *string
	Enabled     *bool
	// ReadOnly holds the read-only members sent (id, createdAt, …).
	ReadOnly map[string]json.RawMessage
}

// DecodeWebhookInput decodes a subscription's body.
func DecodeWebhookInput(data []byte) (*WebhookInput, error) {
	in := &WebhookInput{}
	err := decodeBody(data, func(d *decoder, k string, raw json.RawMessage) {
		switch k {
		case "url":
			in.URL = d.optStr(raw, k, false)
		case "events":
			in.Events, in.EventsSet = d.strs(raw, k), true
		case "secret":
			in.Secret = d.optStr(raw, k, false)
		case "description":
			in.Description = d.optStr(raw, k, true)
		case "enabled":
			var b bool
			d.boolean(raw, k, &b)
			in.Enabled = &b
		case "id", "createdAt", "updatedAt", "disabledReason", "consecutiveFailures", "nextAttemptAt":
			d.readOnly(&in.ReadOnly, k, raw)
		default:
			d.unknownField("", k)
		}
	})
	return in, err
}
