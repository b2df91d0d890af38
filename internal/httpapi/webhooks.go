package httpapi

import (
	"net/http"

	"github.com/contactd/contactd"
)

// webhookWrite documents the body of POST /v1/webhooks and PATCH.
type webhookWrite struct {
	URL         string   `json:"url,omitempty" doc:"Where deliveries go: an http or https URL of a public address (private, loopback and metadata addresses are refused unless the server runs with --webhook-allow-private)."`
	Events      []string `json:"events,omitempty" doc:"The events to deliver: contact.created, contact.updated, contact.deleted, contact.restored, contact.erased, contact.blocked, contact.unblocked, contact.merged, or * for every one."`
	Secret      string   `json:"secret,omitempty" doc:"The signing secret, whsec_ and base64 of 24 to 64 bytes; generated when not given."`
	Description string   `json:"description,omitempty" doc:"Up to 500 characters."`
	Enabled     *bool    `json:"enabled,omitempty" doc:"Default true. Enabling a subscription that stopped resumes it where it stopped, at once."`
}

// rotateBody documents the body of POST …/rotate-secret.
type rotateBody struct {
	Secret string `json:"secret,omitempty" doc:"The new secret; generated when not given."`
}

var (
	pathWebhookID  = param{In: "path", Name: "webhookId", Doc: "The subscription id (wh_…).", Type: "string", Required: true}
	pathDeliveryID = param{In: "path", Name: "deliveryId", Doc: "The attempt id (dlv_…).", Type: "string", Required: true}
	webhookOne     = []response{{Status: 200, Doc: "The subscription (never its secret).", Body: contactd.Webhook{}}}
	webhookNew     = []response{{Status: 201, Doc: "The subscription and its secret, shown this once.", Body: contactd.NewWebhook{}}}
	deliveryOne    = []response{{Status: 200, Doc: "The attempt, as logged.", Body: contactd.WebhookDelivery{}}}
)

func (s *Server) webhookRoutes() []route {
	return []route{
		{Method: "GET", Path: "/v1/webhooks", ID: "listWebhooks", Tag: "Webhooks", Scope: contactd.ScopeAdmin,
			Summary: "List the subscriptions", Doc: "The tenant's webhook subscriptions, oldest first, with where each stands.",
			Params:    []param{limitParam, cursorParam, fieldsParam},
			Responses: []response{{Status: 200, Doc: "A page of subscriptions.", Body: contactd.Page[*contactd.Webhook]{}}}, serve: s.listWebhooks},
		{Method: "POST", Path: "/v1/webhooks", ID: "createWebhook", Tag: "Webhooks", Scope: contactd.ScopeAdmin,
			Summary: "Subscribe", Doc: "Deliveries start with the changes written after it, in order, signed the Standard Webhooks way.",
			Params: []param{idemKey}, Body: webhookWrite{}, Responses: webhookNew, serve: s.createWebhook},
		{Method: "GET", Path: "/v1/webhooks/{webhookId}", ID: "getWebhook", Tag: "Webhooks", Scope: contactd.ScopeAdmin,
			Summary: "A subscription", Params: []param{pathWebhookID}, Responses: webhookOne, Errors: []int{404}, serve: s.getWebhook},
		{Method: "PATCH", Path: "/v1/webhooks/{webhookId}", ID: "patchWebhook", Tag: "Webhooks", Scope: contactd.ScopeAdmin,
			Summary: "Change a subscription", Doc: "A JSON merge patch of url, events, description, enabled and secret (replaced at once; rotate-secret keeps the old one signing for 24 h).",
			Params: []param{pathWebhookID}, Body: webhookWrite{}, BodyType: "application/merge-patch+json",
			Responses: webhookOne, Errors: []int{404}, serve: s.patchWebhook},
		{Method: "DELETE", Path: "/v1/webhooks/{webhookId}", ID: "deleteWebhook", Tag: "Webhooks", Scope: contactd.ScopeAdmin,
			Summary: "Unsubscribe", Doc: "Deletes the subscription and its delivery log.",
			Params: []param{pathWebhookID}, Responses: noContent, Errors: []int{404}, serve: s.deleteWebhook},
		{Method: "POST", Path: "/v1/webhooks/{webhookId}/rotate-secret", ID: "rotateWebhookSecret", Tag: "Webhooks", Scope: contactd.ScopeAdmin,
			Summary: "Rotate the signing secret", Doc: "Deliveries are signed with the new secret and, for 24 hours, the old one too (two signatures in webhook-signature), so the receiver can switch without missing one.",
			Params: []param{pathWebhookID}, Body: rotateBody{}, OptionalBody: true, Responses: []response{{Status: 200, Doc: "The subscription and its new secret, shown this once.", Body: contactd.NewWebhook{}}},
			Errors: []int{404}, serve: s.rotateWebhookSecret},
		{Method: "POST", Path: "/v1/webhooks/{webhookId}/test", ID: "testWebhook", Long: true, Tag: "Webhooks", Scope: contactd.ScopeAdmin,
			Summary: "Send a ping", Doc: "Sends a webhook.ping message now, enabled or not, and answers the attempt (also in the log).",
			Params: []param{pathWebhookID}, Responses: deliveryOne, Errors: []int{404}, serve: s.testWebhook},
		{Method: "GET", Path: "/v1/webhooks/{webhookId}/deliveries", ID: "listWebhookDeliveries", Tag: "Webhooks", Scope: contactd.ScopeAdmin,
			Summary: "The delivery log", Doc: "Every attempt, newest first (the last 1,000): when, the message, the receiver's status code, the latency, the error, the start of the answer.",
			Params:    []param{pathWebhookID, limitParam, cursorParam, fieldsParam},
			Responses: []response{{Status: 200, Doc: "A page of attempts.", Body: contactd.Page[*contactd.WebhookDelivery]{}}}, Errors: []int{404}, serve: s.listDeliveries},
		{Method: "POST", Path: "/v1/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver", ID: "redeliverWebhook", Long: true, Tag: "Webhooks", Scope: contactd.ScopeAdmin,
			Summary: "Send a message again", Doc: "Sends the attempt's message again now, as it was (the same webhook-id), and answers the new attempt. A message about a contact since erased has no body left: 409.",
			Params: []param{pathWebhookID, pathDeliveryID}, Responses: deliveryOne, Errors: []int{404, 409}, serve: s.redeliver},
	}
}

func (s *Server) listWebhooks(c *call) (*reply, error) {
	lp, err := listParams(c)
	if err != nil {
		return nil, err
	}
	return pageReply(s.svc.Webhooks(c.r.Context(), c.p, lp))
}

func (s *Server) createWebhook(c *call) (*reply, error) {
	in, err := contactd.DecodeWebhookInput(c.body)
	if err != nil {
		return nil, err
	}
	w, err := s.svc.CreateWebhook(c.r.Context(), c.p, in)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusCreated, body: w, location: "/v1/webhooks/" + w.Webhook.ID}, nil
}

func (s *Server) getWebhook(c *call) (*reply, error) {
	w, err := s.svc.GetWebhook(c.r.Context(), c.p, c.path("webhookId"))
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: w}, nil
}

func (s *Server) patchWebhook(c *call) (*reply, error) {
	in, err := contactd.DecodeWebhookInput(c.body)
	if err != nil {
		return nil, err
	}
	w, err := s.svc.UpdateWebhook(c.r.Context(), c.p, c.path("webhookId"), in)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: w}, nil
}

func (s *Server) deleteWebhook(c *call) (*reply, error) {
	if err := s.svc.DeleteWebhook(c.r.Context(), c.p, c.path("webhookId")); err != nil {
		return nil, err
	}
	return &reply{status: http.StatusNoContent}, nil
}

func (s *Server) rotateWebhookSecret(c *call) (*reply, error) {
	var secret string
	if len(c.body) > 0 {
		in, err := contactd.DecodeWebhookInput(c.body)
		if err != nil {
			return nil, err
		}
		if in.URL != nil || in.EventsSet || in.Description != nil || in.Enabled != nil || len(in.ReadOnly) > 0 {
			return nil, errStatus(http.StatusBadRequest, "invalid", "body: only secret may be given", contactd.FieldError{Location: "body", Message: "only secret may be given"})
		}
		if in.Secret != nil {
			secret = *in.Secret
		}
	}
	w, err := s.svc.RotateWebhookSecret(c.r.Context(), c.p, c.path("webhookId"), secret)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: w}, nil
}

func (s *Server) testWebhook(c *call) (*reply, error) {
	d, err := s.svc.TestWebhook(c.r.Context(), c.p, c.path("webhookId"))
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: d}, nil
}

func (s *Server) listDeliveries(c *call) (*reply, error) {
	lp, err := listParams(c)
	if err != nil {
		return nil, err
	}
	return pageReply(s.svc.WebhookDeliveries(c.r.Context(), c.p, c.path("webhookId"), lp))
}

func (s *Server) redeliver(c *call) (*reply, error) {
	d, err := s.svc.Redeliver(c.r.Context(), c.p, c.path("webhookId"), c.path("deliveryId"))
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: d}, nil
}
