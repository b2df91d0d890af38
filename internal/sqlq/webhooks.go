package sqlq

import (
	"encoding/json"
	"time"

	"github.com/contactd/contactd"
)

// storedWebhook is the document of a subscription's settings (its
// secrets among them, which its JSON form hides). Whether it is enabled,
// and its delivery state, are columns of their own: the deliverer writes
// them, and must not overwrite a settings change made meanwhile.
type storedWebhook struct {
	URL                 string     `json:"url"`
	Events              []string   `json:"events"`
	Description         string     `json:"description"`
	Secret              string     `json:"secret"`
	PreviousSecret      string     `json:"previousSecret,omitempty"`
	PreviousSecretUntil *time.Time `json:"previousSecretUntil,omitempty"`
	CreatedAt           time.Time  `json:"createdAt"`
	UpdatedAt           time.Time  `json:"updatedAt"`
}

// EncodeWebhook returns the stored document of a subscription's settings.
func EncodeWebhook(w *contactd.Webhook) ([]byte, error) {
	return json.Marshal(storedWebhook{URL: w.URL, Events: w.Events, Description: w.Description, Secret: w.Secret,
		PreviousSecret: w.PreviousSecret, PreviousSecretUntil: w.PreviousSecretUntil, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt})
}

// DecodeWebhook fills a subscription's settings from its document.
func DecodeWebhook(doc []byte, w *contactd.Webhook) error {
	var st storedWebhook
	if err := Unmarshal("webhook document", doc, &st); err != nil {
		return err
	}
	w.URL, w.Events, w.Description, w.Secret = st.URL, st.Events, st.Description, st.Secret
	w.PreviousSecret, w.PreviousSecretUntil = st.PreviousSecret, st.PreviousSecretUntil
	w.CreatedAt, w.UpdatedAt = st.CreatedAt.UTC(), st.UpdatedAt.UTC()
	if w.PreviousSecretUntil != nil {
		u := w.PreviousSecretUntil.UTC()
		w.PreviousSecretUntil = &u
	}
	return nil
}

// EncodeDelivery returns the stored document of an attempt (its body is
// a column of its own).
func EncodeDelivery(d *contactd.WebhookDelivery) ([]byte, error) { return json.Marshal(d) }

// DecodeDelivery decodes a stored attempt.
func DecodeDelivery(tenantID string, doc, body []byte) (*contactd.WebhookDelivery, error) {
	d := &contactd.WebhookDelivery{}
	if err := Unmarshal("delivery document", doc, d); err != nil {
		return nil, err
	}
	d.TenantID, d.Body, d.At = tenantID, body, d.At.UTC()
	return d, nil
}

// LeaseLost is the error of a deliverer that no longer holds a
// subscription.
func LeaseLost(id string) error {
	return contactd.Errorf(contactd.EConflict, "webhook %q is no longer leased to this node", id)
}
