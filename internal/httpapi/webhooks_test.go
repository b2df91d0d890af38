package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/storetest"
	"github.com/contactd/contactd/internal/webhook"
)

// sink is a receiver that takes everything, for the matrices.
var sink = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))

func init() {
	extraCases = append(extraCases, func() map[string]routeCase {
		return map[string]routeCase{
			"GET /v1/webhooks": {ok: 200},
			"POST /v1/webhooks": {body: func() any {
				return map[string]any{"url": sink.URL + "/hook", "events": []string{"*"}}
			}, ok: 201},
			"GET /v1/webhooks/{webhookId}":                                    {ok: 200},
			"PATCH /v1/webhooks/{webhookId}":                                  {body: map[string]any{"description": "changed"}, ok: 200},
			"DELETE /v1/webhooks/{webhookId}":                                 {ok: 204},
			"POST /v1/webhooks/{webhookId}/rotate-secret":                     {body: map[string]any{}, ok: 200},
			"POST /v1/webhooks/{webhookId}/test":                              {ok: 200},
			"GET /v1/webhooks/{webhookId}/deliveries":                         {ok: 200},
			"POST /v1/webhooks/{webhookId}/deliveries/{deliveryId}/redeliver": {ok: 200},
		}
	})
	// Every target's tenant has a subscription of its own, with an attempt
	// in its log.
	targetHooks = append(targetHooks, func(m mx, tenant string, tg *target) {
		m.t.Helper()
		r := m.do("POST /v1/webhooks", true, "POST", "/v1/webhooks", m.e.tokens[tenant]["all"],
			map[string]any{"url": sink.URL + "/target", "events": []string{"contact.created"}})
		if r.status != http.StatusCreated {
			m.t.Fatalf("create target webhook: status %d: %s", r.status, r.body)
		}
		tg.WebhookID = jStr(r.json(m.t)["webhook"].(map[string]any)["id"])
		r = m.do("POST /v1/webhooks/{webhookId}/test", true, "POST", "/v1/webhooks/"+tg.WebhookID+"/test", m.e.tokens[tenant]["all"], nil)
		if r.status != http.StatusOK {
			m.t.Fatalf("ping target webhook: status %d: %s", r.status, r.body)
		}
		tg.DeliveryID = jStr(r.json(m.t)["id"])
	})
}

// receiver is a webhook receiver that verifies every message with the
// Standard Webhooks reference library, and can refuse them for a while.
type receiver struct {
	t   *testing.T
	srv *httptest.Server
	mu  sync.Mutex
	// secrets verify the messages; refuse answers 503 to that many
	// attempts first.
	secrets []string
	refuse  int
	got     []received
	arrived chan struct{}
}

type received struct {
	id      string
	payload map[string]any
}

func newReceiver(t *testing.T) *receiver {
	rv := &receiver{t: t, arrived: make(chan struct{}, 10000)}
	rv.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rv.mu.Lock()
		defer rv.mu.Unlock()
		for _, secret := range rv.secrets {
			wh, err := standardwebhooks.NewWebhook(secret)
			if err != nil {
				rv.t.Errorf("the reference library refuses the secret: %v", err)
				continue
			}
			if err := wh.Verify(body, r.Header); err != nil {
				rv.t.Errorf("message %s does not verify with %.12s…: %v", r.Header.Get("webhook-id"), secret, err)
			}
		}
		if rv.refuse > 0 {
			rv.refuse--
			http.Error(w, "not now", http.StatusServiceUnavailable)
			return
		}
		var p map[string]any
		if err := json.Unmarshal(body, &p); err != nil {
			rv.t.Errorf("a body that is not JSON: %s", body)
		}
		rv.got = append(rv.got, received{id: r.Header.Get("webhook-id"), payload: p})
		w.WriteHeader(http.StatusNoContent)
		rv.arrived <- struct{}{}
	}))
	t.Cleanup(rv.srv.Close)
	return rv
}

// wait waits for n messages in all.
func (rv *receiver) wait(n int) []received {
	rv.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		rv.mu.Lock()
		got := append([]received(nil), rv.got...)
		rv.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-rv.arrived:
		case <-deadline:
			rv.t.Fatalf("%d messages arrived, want %d", len(got), n)
		}
	}
}

func (rv *receiver) set(f func()) {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	f()
}

// deliverer runs the service's deliverer until the test ends.
func deliverer(t *testing.T, e *env, o contactd.WebhookOptions) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		e.svc.RunWebhooks(ctx, o)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// TestWebhookDelivery: a subscription receives the changes written after
// it, in order, each signed (verified by the reference library), with its
// event, message id, fields and the contact; only the events it lists;
// refused messages are tried again in order; one that keeps failing is
// disabled with a reason and, enabled again, resumes where it stopped;
// the log shows every attempt; a ping and a redelivery go at once.
func TestWebhookDelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin := e.tokens["A"]["all"]
		rv := newReceiver(t)
		e.create("A", map[string]any{"firstName": "Before"}) // not delivered: before the subscription
		r := e.do("POST", "/v1/webhooks", admin, map[string]any{"url": rv.srv.URL + "/in", "events": []string{"contact.created", "contact.deleted"}, "description": "crm"})
		if r.status != http.StatusCreated || r.header.Get("Location") == "" {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		w := r.json(t)["webhook"].(map[string]any)
		id, secret := jStr(w["id"]), jStr(r.json(t)["secret"])
		if !strings.HasPrefix(secret, "whsec_") || w["enabled"] != true || !strings.HasPrefix(id, "wh_") || w["description"] != "crm" {
			t.Fatalf("created: %s", r.body)
		}
		if g := e.do("GET", "/v1/webhooks/"+id, admin, nil); strings.Contains(string(g.body), "whsec_") || g.status != 200 {
			t.Errorf("GET shows the secret or fails: %d %s", g.status, g.body)
		}
		rv.set(func() { rv.secrets = []string{secret} })
		deliverer(t, e, contactd.WebhookOptions{Node: "test", MaxFailures: 3, Delay: func(int) time.Duration { return 50 * time.Millisecond }})

		var ids []string
		for _, name := range []string{"One", "Two", "Three"} {
			ids = append(ids, jStr(e.create("A", map[string]any{"firstName": name, "email": strings.ToLower(name) + "@example.com"})["id"]))
		}
		e.do("PATCH", "/v1/contacts/"+ids[0], admin, map[string]any{"lastName": "Updated"}) // not an event it lists
		e.do("DELETE", "/v1/contacts/"+ids[1], admin, nil)
		e.create("B", map[string]any{"firstName": "Other tenant"})
		got := rv.wait(4)
		wantTypes := []string{"contact.created", "contact.created", "contact.created", "contact.deleted"}
		wantContacts := []string{ids[0], ids[1], ids[2], ids[1]}
		for i, m := range got[:4] {
			data := m.payload["data"].(map[string]any)
			if m.payload["type"] != wantTypes[i] || data["contactId"] != wantContacts[i] || m.payload["id"] != m.id ||
				!strings.HasPrefix(m.id, "msg_") || m.payload["tenantId"] != e.tenant["A"].ID {
				t.Errorf("message %d: %s %v, want %s of %s", i, m.id, m.payload, wantTypes[i], wantContacts[i])
			}
			if c, _ := data["contact"].(map[string]any); c == nil || c["id"] != wantContacts[i] {
				t.Errorf("message %d carries no contact: %v", i, data)
			}
		}
		if fields := got[0].payload["data"].(map[string]any)["fields"].([]any); len(fields) == 0 {
			t.Errorf("the creation's fields are missing: %v", got[0].payload)
		}
		time.Sleep(300 * time.Millisecond)
		if n := len(rv.wait(4)); n != 4 {
			t.Errorf("%d messages, want 4 (the update and the other tenant are not delivered)", n)
		}

		// Refused twice, then taken: tried again, in order.
		rv.set(func() { rv.refuse = 2 })
		four := jStr(e.create("A", map[string]any{"firstName": "Four"})["id"])
		five := jStr(e.create("A", map[string]any{"firstName": "Five"})["id"])
		got = rv.wait(6)
		if got[4].payload["data"].(map[string]any)["contactId"] != four || got[5].payload["data"].(map[string]any)["contactId"] != five {
			t.Errorf("after refusals the order is %v, %v", got[4].payload["data"], got[5].payload["data"])
		}
		// The log is written with the deliverer's state, just after the
		// receiver has the messages.
		var ds []any
		for deadline := time.Now().Add(10 * time.Second); ; {
			log := e.do("GET", "/v1/webhooks/"+id+"/deliveries?limit=100", admin, nil)
			ds, _ = log.json(t)["data"].([]any)
			if log.status != 200 || len(ds) >= 8 || time.Now().After(deadline) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(ds) != 8 {
			t.Fatalf("the log has %d attempts, want 8: %v", len(ds), ds)
		}
		refused := 0
		for _, d := range ds {
			dm := d.(map[string]any)
			if dm["statusCode"] == float64(503) {
				refused++
				if dm["error"] == nil || dm["response"] != "not now\n" {
					t.Errorf("a refused attempt: %v", dm)
				}
			}
		}
		if refused != 2 || ds[0].(map[string]any)["statusCode"] != float64(204) {
			t.Errorf("the log has %d refused attempts, newest %v", refused, ds[0])
		}

		// Failing three times in a row disables it.
		rv.set(func() { rv.refuse = 1000 })
		six := jStr(e.create("A", map[string]any{"firstName": "Six"})["id"])
		deadline := time.Now().Add(20 * time.Second)
		var cur map[string]any
		for {
			cur = e.do("GET", "/v1/webhooks/"+id, admin, nil).json(t)
			if cur["enabled"] == false || time.Now().After(deadline) {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if cur["enabled"] != false || !strings.Contains(jStr(cur["disabledReason"]), "3 failed attempts") {
			t.Fatalf("after failing: %v", cur)
		}
		// Enabled again, it resumes with the message it stopped at.
		rv.set(func() { rv.refuse = 0 })
		if p := e.do("PATCH", "/v1/webhooks/"+id, admin, map[string]any{"enabled": true}); p.status != 200 || p.json(t)["disabledReason"] != nil {
			t.Fatalf("re-enable: %d %s", p.status, p.body)
		}
		got = rv.wait(7)
		if got[6].payload["data"].(map[string]any)["contactId"] != six {
			t.Errorf("after re-enabling: %v, want the creation of %s", got[6].payload, six)
		}

		// A ping, and a redelivery with the same message id.
		ping := e.do("POST", "/v1/webhooks/"+id+"/test", admin, nil)
		if ping.status != 200 || ping.json(t)["statusCode"] != float64(204) || ping.json(t)["event"] != "webhook.ping" {
			t.Errorf("ping: %d %s", ping.status, ping.body)
		}
		rv.wait(8)
		last := e.do("GET", "/v1/webhooks/"+id+"/deliveries?limit=2", admin, nil).json(t)["data"].([]any)
		first := last[1].(map[string]any)
		again := e.do("POST", "/v1/webhooks/"+id+"/deliveries/"+jStr(first["id"])+"/redeliver", admin, nil)
		if again.status != 200 || again.json(t)["messageId"] != first["messageId"] || again.json(t)["attempt"] != first["attempt"].(float64)+1 {
			t.Errorf("redeliver %v: %d %s", first, again.status, again.body)
		}
		if got := rv.wait(9); got[8].id != jStr(first["messageId"]) {
			t.Errorf("the redelivery arrived as %s, want %s", got[8].id, first["messageId"])
		}

		// Erased, a contact's messages lose their bodies: no redelivery.
		if r := e.do("DELETE", "/v1/contacts/"+six+"?permanent=true", admin, nil); r.status != http.StatusNoContent {
			t.Fatalf("erase: %d %s", r.status, r.body)
		}
		if again := e.do("POST", "/v1/webhooks/"+id+"/deliveries/"+jStr(first["id"])+"/redeliver", admin, nil); again.status != http.StatusConflict {
			t.Errorf("redeliver a message about an erased contact: %d %s, want 409", again.status, again.body)
		}
	})
}

// TestWebhookRotation: after a rotation, messages carry a signature by
// each secret, so a receiver with either verifies them.
func TestWebhookRotation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin := e.tokens["A"]["all"]
		rv := newReceiver(t)
		w := e.do("POST", "/v1/webhooks", admin, map[string]any{"url": rv.srv.URL, "events": []string{"*"}}).json(t)
		id, oldSecret := jStr(w["webhook"].(map[string]any)["id"]), jStr(w["secret"])
		r := e.do("POST", "/v1/webhooks/"+id+"/rotate-secret", admin, map[string]any{})
		newSecret := jStr(r.json(t)["secret"])
		if r.status != 200 || !strings.HasPrefix(newSecret, "whsec_") || newSecret == oldSecret {
			t.Fatalf("rotate: %d %s", r.status, r.body)
		}
		rv.set(func() { rv.secrets = []string{oldSecret, newSecret} }) // each must verify
		if ping := e.do("POST", "/v1/webhooks/"+id+"/test", admin, nil); ping.json(t)["statusCode"] != float64(204) {
			t.Errorf("ping after rotation: %s", ping.body)
		}
		rv.wait(1)
		mine := contactd.NewWebhookSecret()
		if r := e.do("POST", "/v1/webhooks/"+id+"/rotate-secret", admin, map[string]any{"secret": mine}); r.json(t)["secret"] != mine {
			t.Errorf("rotate to a given secret: %s", r.body)
		}
		if r := e.do("POST", "/v1/webhooks/"+id+"/rotate-secret", admin, nil); r.status != 200 || !strings.HasPrefix(jStr(r.json(t)["secret"]), "whsec_") {
			t.Errorf("rotate with no body: %d %s", r.status, r.body)
		}
		if r := e.do("POST", "/v1/webhooks/"+id+"/rotate-secret", admin, map[string]any{"secret": "nope"}); r.status != 400 || !strings.Contains(string(r.body), `"location":"body.secret"`) {
			t.Errorf("rotate to a bad secret: %d %s", r.status, r.body)
		}
	})
}

// TestWebhookValidation: bad subscriptions are 400s naming the field;
// without --webhook-allow-private, loopback URLs are refused.
func TestWebhookValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin := e.tokens["A"]["all"]
		for body, loc := range map[string]string{
			`{"events":["*"]}`: "body.url",
			`{"url":"ftp://x.example.com","events":["*"]}`:                                               "body.url",
			`{"url":"` + sink.URL + `","events":[]}`:                                                     "body.events",
			`{"url":"` + sink.URL + `"}`:                                                                 "body.events",
			`{"url":"` + sink.URL + `","events":["contact.exploded"]}`:                                   "body.events[0]",
			`{"url":"` + sink.URL + `","events":["*"],"secret":"plain"}`:                                 "body.secret",
			`{"url":"` + sink.URL + `","events":["*"],"id":"wh_mine"}`:                                   "body.id",
			`{"url":"` + sink.URL + `","events":["*"],"colour":"red"}`:                                   "body.colour",
			`{"url":"` + sink.URL + `","events":["*"],"enabled":"yes"}`:                                  "body.enabled",
			`{"url":"` + sink.URL + `","events":["*"],"description":"` + strings.Repeat("d", 501) + `"}`: "body.description",
		} {
			r := e.do("POST", "/v1/webhooks", admin, body)
			if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), `"location":"`+loc+`"`) {
				t.Errorf("POST %.80s: %d %s, want 400 naming %s", body, r.status, r.body, loc)
			}
		}
		// The production guard refuses private targets.
		strict := contactd.NewService(e.store, nil)
		strict.UseWebhooks(webhook.NewTransport(false))
		p, err := strict.Authenticate(context.Background(), admin)
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range []string{sink.URL, "http://169.254.169.254/latest", "http://2130706433/", "http://localhost:9/"} {
			_, err := strict.CreateWebhook(context.Background(), p, &contactd.WebhookInput{URL: &u, Events: []string{"*"}, EventsSet: true})
			e2, ok := err.(*contactd.Error)
			if !ok || e2.Code != contactd.EInvalid || len(e2.Fields) != 1 || e2.Fields[0].Location != "url" || !strings.Contains(e2.Fields[0].Message, "public") {
				t.Errorf("%s without allow-private: %v", u, err)
			}
		}
	})
}

// TestWebhookGap: a subscription disabled while retention removed changes
// it had not delivered tells its receiver, once enabled again, which
// changes it missed (webhook.gap), then goes on.
func TestWebhookGap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin := e.tokens["A"]["all"]
		rv := newReceiver(t)
		r := e.do("POST", "/v1/webhooks", admin, map[string]any{"url": rv.srv.URL, "events": []string{"*"}})
		id := jStr(r.json(t)["webhook"].(map[string]any)["id"])
		rv.set(func() { rv.secrets = []string{jStr(r.json(t)["secret"])} })
		deliverer(t, e, contactd.WebhookOptions{Node: "gap"})
		e.create("A", map[string]any{"firstName": "Delivered"})
		rv.wait(1)
		e.do("PATCH", "/v1/webhooks/"+id, admin, map[string]any{"enabled": false})
		time.Sleep(300 * time.Millisecond) // a run under way reads it before its next messages
		e.create("A", map[string]any{"firstName": "Missed"})
		e.create("A", map[string]any{"firstName": "Missed too"})
		if n, err := e.store.PruneChanges(t.Context(), e.tenant["A"].ID, time.Now().Add(time.Hour), 100); err != nil || n != 3 {
			t.Fatalf("PruneChanges: %d, %v; want all 3 (the disabled subscription holds none)", n, err)
		}
		after := jStr(e.create("A", map[string]any{"firstName": "After"})["id"])
		e.do("PATCH", "/v1/webhooks/"+id, admin, map[string]any{"enabled": true})
		got := rv.wait(3)
		gap := got[1].payload
		data, _ := gap["data"].(map[string]any)
		if gap["type"] != "webhook.gap" || data["fromChangeId"] != float64(2) || data["toChangeId"] != float64(3) || gap["id"] != got[1].id {
			t.Errorf("the gap message: %v", gap)
		}
		if got[2].payload["type"] != "contact.created" || got[2].payload["data"].(map[string]any)["contactId"] != after {
			t.Errorf("after the gap: %v, want the creation of %s", got[2].payload, after)
		}
	})
}
