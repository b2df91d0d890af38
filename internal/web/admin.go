package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/contactd/contactd"
)

type usersData struct {
	Users  []*contactd.User
	Roles  []string
	Errors map[string]string
	Form   map[string]string
}

func (h *Handler) showUsers(w http.ResponseWriter, r *http.Request, v *visit, status int, d usersData) {
	pg, err := h.svc.Users(r.Context(), v.p, contactd.UserListRequest{ListParams: contactd.ListParams{Limit: contactd.MaxLimit, NoCount: true}})
	if err != nil {
		h.failErr(w, r, v, err)
		return
	}
	d.Users, d.Roles = pg.Data, contactd.Roles
	if d.Form == nil {
		d.Form = map[string]string{"role": "viewer"}
	}
	h.render(w, r, v, status, "users", "Users", d)
}

func (h *Handler) usersPage(w http.ResponseWriter, r *http.Request, v *visit) {
	h.showUsers(w, r, v, http.StatusOK, usersData{})
}

// formJSON builds a JSON document of the named form fields that were
// sent non-empty.
func formJSON(r *http.Request, names ...string) []byte {
	doc := map[string]any{}
	for _, n := range names {
		if s := strings.TrimSpace(r.PostFormValue(n)); s != "" {
			doc[n] = s
			if n == "password" {
				doc[n] = r.PostFormValue(n)
			}
		}
	}
	b, _ := json.Marshal(doc)
	return b
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request, v *visit) {
	in, err := contactd.DecodeUserInput(formJSON(r, "email", "name", "role", "password"))
	if err == nil {
		_, err = h.svc.CreateUser(r.Context(), v.p, in)
	}
	if fe := fieldErrors(err, nil); fe != nil {
		h.showUsers(w, r, v, http.StatusBadRequest, usersData{Errors: fe,
			Form: map[string]string{"email": r.PostFormValue("email"), "name": r.PostFormValue("name"), "role": r.PostFormValue("role")}})
		return
	}
	if err != nil {
		h.failErr(w, r, v, err)
		return
	}
	back(w, r, "/admin/users", "user-created")
}

func (h *Handler) updateUser(w http.ResponseWriter, r *http.Request, v *visit) {
	id := r.PathValue("id")
	if id == v.sess.UserID && r.PostFormValue("password") != "" {
		h.fail(w, r, v, http.StatusBadRequest, "Change your own password under Your account, with your current one.")
		return
	}
	in, err := contactd.DecodeUserInput(formJSON(r, "role", "password"))
	if err == nil {
		_, err = h.svc.UpdateUser(r.Context(), v.p, id, in)
	}
	if fe := fieldErrors(err, nil); fe != nil {
		msgs := []string{}
		for k, m := range fe {
			msgs = append(msgs, strings.TrimSpace(k+" "+m))
		}
		h.fail(w, r, v, http.StatusBadRequest, strings.Join(msgs, "; "))
		return
	}
	if err != nil {
		h.failErr(w, r, v, err)
		return
	}
	back(w, r, "/admin/users", "user-saved")
}

func (h *Handler) deleteUser(w http.ResponseWriter, r *http.Request, v *visit) {
	id := r.PathValue("id")
	if id == v.sess.UserID {
		h.fail(w, r, v, http.StatusBadRequest, "You cannot delete yourself; ask another admin.")
		return
	}
	if err := h.svc.DeleteUser(r.Context(), v.p, id); err != nil {
		h.failErr(w, r, v, err)
		return
	}
	back(w, r, "/admin/users", "user-deleted")
}

type tokensData struct {
	Tokens []contactd.TokenInfo
	Users  []*contactd.User
	Scopes []contactd.Scope
	Secret string
	Errors map[string]string
}

func (h *Handler) showTokens(w http.ResponseWriter, r *http.Request, v *visit, status int, d tokensData) {
	pg, err := h.svc.Tokens(r.Context(), v.p, contactd.TokenListRequest{ListParams: contactd.ListParams{Limit: contactd.MaxLimit, NoCount: true}})
	if err != nil {
		h.failErr(w, r, v, err)
		return
	}
	d.Tokens, d.Scopes = pg.Data, contactd.AllScopes
	if us, err := h.svc.Users(r.Context(), v.p, contactd.UserListRequest{ListParams: contactd.ListParams{Limit: contactd.MaxLimit, NoCount: true}}); err == nil {
		d.Users = us.Data
	}
	h.render(w, r, v, status, "tokens", "Tokens", d)
}

func (h *Handler) tokensPage(w http.ResponseWriter, r *http.Request, v *visit) {
	h.showTokens(w, r, v, http.StatusOK, tokensData{})
}

func (h *Handler) createToken(w http.ResponseWriter, r *http.Request, v *visit) {
	_ = r.ParseForm()
	req := contactd.TokenRequest{Name: strings.TrimSpace(r.PostFormValue("name")), Scopes: r.PostForm["scopes"],
		UserID: r.PostFormValue("userId")}
	if req.UserID != "" {
		req.Kind = contactd.TokenPersonal
	}
	secret, _, err := h.svc.IssueToken(r.Context(), v.p, req)
	if fe := fieldErrors(err, nil); fe != nil {
		h.showTokens(w, r, v, http.StatusBadRequest, tokensData{Errors: fe})
		return
	}
	if err != nil {
		h.failErr(w, r, v, err)
		return
	}
	// The secret is shown on this answer only: it is not stored.
	h.showTokens(w, r, v, http.StatusOK, tokensData{Secret: secret})
}

func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := h.svc.RevokeToken(r.Context(), v.p, r.PathValue("id")); err != nil {
		h.failErr(w, r, v, err)
		return
	}
	back(w, r, "/admin/tokens", "token-revoked")
}

type webhooksData struct {
	Webhooks []*contactd.Webhook
	Events   []string
	Secret   string
	Errors   map[string]string
}

func (h *Handler) showWebhooks(w http.ResponseWriter, r *http.Request, v *visit, status int, d webhooksData) {
	pg, err := h.svc.Webhooks(r.Context(), v.p, contactd.ListParams{Limit: contactd.MaxLimit, NoCount: true})
	if err != nil {
		h.failErr(w, r, v, err)
		return
	}
	d.Webhooks, d.Events = pg.Data, contactd.WebhookEvents
	h.render(w, r, v, status, "webhooks", "Webhooks", d)
}

func (h *Handler) webhooksPage(w http.ResponseWriter, r *http.Request, v *visit) {
	h.showWebhooks(w, r, v, http.StatusOK, webhooksData{})
}

func (h *Handler) createWebhook(w http.ResponseWriter, r *http.Request, v *visit) {
	_ = r.ParseForm()
	doc := map[string]any{"url": strings.TrimSpace(r.PostFormValue("url"))}
	if d := strings.TrimSpace(r.PostFormValue("description")); d != "" {
		doc["description"] = d
	}
	if evs := r.PostForm["events"]; len(evs) > 0 {
		doc["events"] = evs
	}
	b, _ := json.Marshal(doc)
	in, err := contactd.DecodeWebhookInput(b)
	var nw *contactd.NewWebhook
	if err == nil {
		nw, err = h.svc.CreateWebhook(r.Context(), v.p, in)
	}
	if fe := fieldErrors(err, nil); fe != nil {
		h.showWebhooks(w, r, v, http.StatusBadRequest, webhooksData{Errors: fe})
		return
	}
	if err != nil {
		h.failErr(w, r, v, err)
		return
	}
	h.showWebhooks(w, r, v, http.StatusOK, webhooksData{Secret: nw.Secret})
}

type webhookData struct {
	Webhook    *contactd.Webhook
	Deliveries []*contactd.WebhookDelivery
	Next       string
}

func (h *Handler) webhookPage(w http.ResponseWriter, r *http.Request, v *visit) {
	id := r.PathValue("id")
	wh, err := h.svc.GetWebhook(r.Context(), v.p, id)
	if err != nil {
		h.failErr(w, r, v, err)
		return
	}
	d := webhookData{Webhook: wh}
	pg, err := h.svc.WebhookDeliveries(r.Context(), v.p, id, contactd.ListParams{Limit: 50, NoCount: true, Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		h.failErr(w, r, v, err)
		return
	}
	d.Deliveries = pg.Data
	if pg.NextCursor != nil {
		d.Next = "/admin/webhooks/" + url.PathEscape(id) + "?cursor=" + url.QueryEscape(*pg.NextCursor)
	}
	h.render(w, r, v, http.StatusOK, "webhook", "Webhook", d)
}

func (h *Handler) testWebhook(w http.ResponseWriter, r *http.Request, v *visit) {
	id := r.PathValue("id")
	if _, err := h.svc.TestWebhook(r.Context(), v.p, id); err != nil {
		h.failErr(w, r, v, err)
		return
	}
	back(w, r, "/admin/webhooks/"+url.PathEscape(id), "webhook-tested")
}

func (h *Handler) deleteWebhook(w http.ResponseWriter, r *http.Request, v *visit) {
	if err := h.svc.DeleteWebhook(r.Context(), v.p, r.PathValue("id")); err != nil {
		h.failErr(w, r, v, err)
		return
	}
	back(w, r, "/admin/webhooks", "webhook-deleted")
}

type settingsData struct {
	Tenant *contactd.Tenant
	Errors map[string]string
}

func (h *Handler) settingsPage(w http.ResponseWriter, r *http.Request, v *visit) {
	t, err := h.svc.TenantSettings(r.Context(), v.p)
	if err != nil {
		h.failErr(w, r, v, err)
		return
	}
	h.render(w, r, v, http.StatusOK, "settings", "Settings", settingsData{Tenant: t})
}

func (h *Handler) saveSettings(w http.ResponseWriter, r *http.Request, v *visit) {
	doc := map[string]any{"name": strings.TrimSpace(r.PostFormValue("name")), "defaultRegion": strings.TrimSpace(r.PostFormValue("defaultRegion")),
		"uniquePhones": r.PostFormValue("uniquePhones") != ""}
	if n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("changeRetentionDays"))); err == nil {
		doc["changeRetentionDays"] = n
	} else {
		doc["changeRetentionDays"] = r.PostFormValue("changeRetentionDays")
	}
	if s := strings.TrimSpace(r.PostFormValue("rateLimit")); s == "" {
		doc["rateLimit"] = nil
	} else if n, err := strconv.Atoi(s); err == nil {
		doc["rateLimit"] = n
	} else {
		doc["rateLimit"] = s
	}
	b, _ := json.Marshal(doc)
	tp, err := contactd.DecodeTenantPatch(b)
	if err == nil {
		_, err = h.svc.UpdateTenant(r.Context(), v.p, tp)
	}
	if fe := fieldErrors(err, nil); fe != nil {
		t, terr := h.svc.TenantSettings(r.Context(), v.p)
		if terr != nil {
			h.failErr(w, r, v, terr)
			return
		}
		h.render(w, r, v, http.StatusBadRequest, "settings", "Settings", settingsData{Tenant: t, Errors: fe})
		return
	}
	if err != nil {
		h.failErr(w, r, v, err)
		return
	}
	back(w, r, "/admin/settings", "settings-saved")
}
