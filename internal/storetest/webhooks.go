package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/contactd/contactd"
)

func newWebhook(tenantID string) *contactd.Webhook {
	at := now()
	return &contactd.Webhook{ID: contactd.NewID(contactd.PrefixWebhook), TenantID: tenantID, URL: "https://hooks.example.com/x",
		Events: []string{"contact.created"}, Description: "crm", Enabled: true, Secret: "whsec_a", CreatedAt: at, UpdatedAt: at}
}

// testWebhooks checks subscriptions: stored and read back whole (secrets
// too), each tenant's own, created at the tenant's newest change; the
// claim that leases those with changes to deliver to one owner at a time;
// the delivery state written only by the lease's holder, never turning a
// subscription back on; and the log of attempts, newest first and
// bounded.
func testWebhooks(t *testing.T, b Backend) {
	s := b.Open(t)
	ctx := t.Context()
	tn, other := newTenant(t, s), newTenant(t, s)
	mustWrite(t, s, tn.ID, newContact(), 0)
	mustWrite(t, s, tn.ID, newContact(), 0)

	w := newWebhook(tn.ID)
	until := now().Add(time.Hour)
	w.PreviousSecret, w.PreviousSecretUntil = "whsec_old", &until
	if err := s.CreateWebhook(ctx, w); err != nil {
		t.Fatal(err)
	}
	if w.Cursor != 2 {
		t.Errorf("a new subscription's cursor: %d, want the tenant's newest change, 2", w.Cursor)
	}

	got, err := s.Webhook(ctx, tn.ID, w.ID)
	if err != nil || got.URL != w.URL || !slices.Equal(got.Events, w.Events) || got.Secret != "whsec_a" || got.PreviousSecret != "whsec_old" ||
		!got.PreviousSecretUntil.Equal(until) || !got.CreatedAt.Equal(w.CreatedAt) || !got.Enabled || got.Cursor != 2 || got.Failures != 0 || got.NextAttemptAt != nil {
		t.Errorf("Webhook: %+v, %v; want %+v", got, err, w)
	}
	wantCode(t, s.CreateWebhook(ctx, &contactd.Webhook{ID: contactd.NewID(contactd.PrefixWebhook), TenantID: "tn_nobody"}), contactd.ENotFound, "CreateWebhook of no tenant")
	_, err = s.Webhook(ctx, other.ID, w.ID)
	wantCode(t, err, contactd.ENotFound, "Webhook of another tenant")
	wantCode(t, s.DeleteWebhook(ctx, other.ID, w.ID), contactd.ENotFound, "DeleteWebhook of another tenant")
	wo := *w
	wo.TenantID = other.ID
	wantCode(t, s.UpdateWebhook(ctx, &wo), contactd.ENotFound, "UpdateWebhook of another tenant")

	var ids []string
	for range 3 {
		x := newWebhook(tn.ID)
		if err := s.CreateWebhook(ctx, x); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, x.ID)
	}
	if err := s.CreateWebhook(ctx, newWebhook(other.ID)); err != nil {
		t.Fatal(err)
	}
	all := append([]string{w.ID}, ids...)
	slices.Sort(all)
	page, err := s.Webhooks(ctx, tn.ID, "", 3)
	if err != nil || len(page) != 3 || page[0].ID != all[0] || page[2].ID != all[2] {
		t.Errorf("Webhooks page 1: %d, %v", len(page), err)
	}
	if page, err := s.Webhooks(ctx, tn.ID, all[2], 3); err != nil || len(page) != 1 || page[0].ID != all[3] {
		t.Errorf("Webhooks page 2: %d, %v", len(page), err)
	}
	for _, id := range ids {
		if err := s.DeleteWebhook(ctx, tn.ID, id); err != nil {
			t.Fatal(err)
		}
	}

	// Nothing to deliver yet: the cursor is at the newest change.
	t0 := now()
	claim := func(owner string, at time.Time) []string {
		t.Helper()
		ws, err := s.ClaimWebhooks(ctx, owner, at, time.Minute, 10)
		if err != nil {
			t.Fatalf("ClaimWebhooks: %v", err)
		}
		var out []string
		for _, x := range ws {
			if x.TenantID == tn.ID || x.TenantID == other.ID {
				out = append(out, x.ID)
			}
		}
		return out
	}
	if got := claim("a", t0); len(got) != 0 {
		t.Errorf("claimed %v with nothing to deliver", got)
	}
	mustWrite(t, s, tn.ID, newContact(), 0) // change 3
	if got := claim("a", t0); !slices.Equal(got, []string{w.ID}) {
		t.Errorf("claim after a change: %v, want %s", got, w.ID)
	}
	if got := claim("b", t0.Add(30*time.Second)); len(got) != 0 {
		t.Errorf("claimed %v while a's lease holds", got)
	}

	// The holder writes its state; another owner may not.
	w.Cursor, w.Failures = 3, 0
	wantCode(t, s.SaveDeliveries(ctx, "b", w, nil, false), contactd.EConflict, "SaveDeliveries by a node without the lease")
	d := &contactd.WebhookDelivery{ID: contactd.NewID(contactd.PrefixDelivery), TenantID: tn.ID, WebhookID: w.ID, MessageID: "msg_1_3",
		Event: "contact.created", Seq: 3, Attempt: 1, At: now(), Status: 200, LatencyMS: 12, Response: "ok", Body: []byte(`{"a":1}`)}
	if err := s.SaveDeliveries(ctx, "a", w, []*contactd.WebhookDelivery{d}, true); err != nil {
		t.Fatalf("SaveDeliveries: %v", err)
	}
	if got := claim("b", t0); len(got) != 0 {
		t.Errorf("claimed %v with the cursor at the newest change", got)
	}
	dl, err := s.WebhookDelivery(ctx, tn.ID, w.ID, d.ID)
	if err != nil || dl.MessageID != d.MessageID || dl.Seq != 3 || dl.Status != 200 || dl.LatencyMS != 12 || dl.Response != "ok" ||
		string(dl.Body) != `{"a":1}` || !dl.At.Equal(d.At) || dl.TenantID != tn.ID {
		t.Errorf("WebhookDelivery: %+v, %v", dl, err)
	}
	_, err = s.WebhookDelivery(ctx, other.ID, w.ID, d.ID)
	wantCode(t, err, contactd.ENotFound, "WebhookDelivery of another tenant")

	// A failure: the next attempt waits; then the lease expires and
	// another node takes over.
	mustWrite(t, s, tn.ID, newContact(), 0) // change 4
	if got := claim("a", t0); len(got) != 1 {
		t.Fatalf("claim: %v", got)
	}
	next := t0.Add(time.Hour)
	first := t0
	w.Failures, w.FirstFailureAt, w.NextAttemptAt = 1, &first, &next
	if err := s.SaveDeliveries(ctx, "a", w, nil, true); err != nil {
		t.Fatal(err)
	}
	if got := claim("b", t0.Add(time.Minute)); len(got) != 0 {
		t.Errorf("claimed %v before its next attempt", got)
	}
	if got := claim("a", next); len(got) != 1 {
		t.Errorf("not claimed at its next attempt: %v", got)
	}
	if got := claim("b", next.Add(2*time.Minute)); len(got) != 1 {
		t.Errorf("not claimed by b once a's lease expired: %v", got)
	}
	wantCode(t, s.SaveDeliveries(ctx, "a", w, nil, false), contactd.EConflict, "SaveDeliveries after the lease went to b")
	// Released, it is anyone's again at once.
	if err := s.ReleaseLeases(ctx); err != nil {
		t.Fatal(err)
	}
	if got := claim("e", next.Add(3*time.Minute)); len(got) != 1 {
		t.Errorf("not claimed after ReleaseLeases: %v", got)
	}
	wantCode(t, s.SaveDeliveries(ctx, "b", w, nil, false), contactd.EConflict, "SaveDeliveries by b after the release")
	if err := s.ReleaseLeases(ctx); err != nil {
		t.Fatal(err)
	}
	if got := claim("b", next.Add(3*time.Minute)); len(got) != 1 {
		t.Fatalf("b's claim: %v", got)
	}

	// Giving up disables it with a reason; the holder never enables one
	// the tenant disabled meanwhile.
	w.Enabled, w.DisabledReason = false, "gave up"
	if err := s.SaveDeliveries(ctx, "b", w, nil, true); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Webhook(ctx, tn.ID, w.ID)
	if got.Enabled || got.DisabledReason != "gave up" || got.Failures != 1 || got.NextAttemptAt == nil {
		t.Errorf("after giving up: %+v", got)
	}
	if c := claim("c", next.Add(time.Hour)); len(c) != 0 {
		t.Errorf("claimed a disabled subscription: %v", c)
	}
	// Enabling clears the failures (it tries at once) and keeps the cursor.
	got.Enabled, got.DisabledReason = true, ""
	if err := s.UpdateWebhook(ctx, got); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Webhook(ctx, tn.ID, w.ID)
	if !got.Enabled || got.Failures != 0 || got.NextAttemptAt != nil || got.FirstFailureAt != nil || got.Cursor != 3 {
		t.Errorf("re-enabled: %+v", got)
	}
	if c := claim("c", t0); len(c) != 1 {
		t.Fatalf("re-enabled, not claimed: %v", c)
	}
	got.Enabled = false
	if err := s.UpdateWebhook(ctx, got); err != nil { // the tenant disables it while c holds it
		t.Fatal(err)
	}
	w.Enabled, w.DisabledReason = true, ""
	if err := s.SaveDeliveries(ctx, "c", w, nil, true); err != nil {
		t.Fatal(err)
	}
	if got, _ = s.Webhook(ctx, tn.ID, w.ID); got.Enabled {
		t.Error("the deliverer's write turned a disabled subscription back on")
	}

	// The log: newest first, paged, bounded.
	var ds []*contactd.WebhookDelivery
	for i := range contactd.MaxWebhookDeliveries + 5 {
		ds = append(ds, &contactd.WebhookDelivery{ID: contactd.NewID(contactd.PrefixDelivery), TenantID: tn.ID, WebhookID: w.ID,
			MessageID: fmt.Sprintf("msg_%d", i), Attempt: 1, At: now()})
	}
	if err := s.AddDelivery(ctx, ds[0]); err != nil {
		t.Fatal(err)
	}
	got.Enabled = true
	if err := s.UpdateWebhook(ctx, got); err != nil {
		t.Fatal(err)
	}
	if c := claim("d", t0); len(c) != 1 {
		t.Fatalf("claim: %v", c)
	}
	if err := s.SaveDeliveries(ctx, "d", w, ds[1:], true); err != nil {
		t.Fatal(err)
	}
	newest, err := s.WebhookDeliveries(ctx, tn.ID, w.ID, "", 2)
	if err != nil || len(newest) != 2 || newest[0].ID != ds[len(ds)-1].ID || newest[1].ID != ds[len(ds)-2].ID {
		t.Fatalf("WebhookDeliveries, newest: %d, %v", len(newest), err)
	}
	n := 0
	for before := ""; ; {
		page, err := s.WebhookDeliveries(ctx, tn.ID, w.ID, before, 300)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page)
		if len(page) < 300 {
			break
		}
		before = page[len(page)-1].ID
	}
	if n != contactd.MaxWebhookDeliveries {
		t.Errorf("the log holds %d attempts, want the newest %d", n, contactd.MaxWebhookDeliveries)
	}
	wantCode(t, s.AddDelivery(ctx, &contactd.WebhookDelivery{ID: contactd.NewID(contactd.PrefixDelivery), TenantID: other.ID, WebhookID: w.ID}),
		contactd.ENotFound, "AddDelivery to another tenant's subscription")

	// Erasing a contact clears the bodies of the messages about it, and
	// only those.
	erased, kept := newContact(), newContact()
	mustWrite(t, s, tn.ID, erased, 0)
	mustWrite(t, s, tn.ID, kept, 0)
	about := func(c *contactd.Contact) *contactd.WebhookDelivery {
		return &contactd.WebhookDelivery{ID: contactd.NewID(contactd.PrefixDelivery), TenantID: tn.ID, WebhookID: w.ID, ContactID: c.ID,
			MessageID: "msg_" + c.ID, Attempt: 1, At: now(), Body: []byte(`{"contact":"` + c.ID + `"}`)}
	}
	de, dk := about(erased), about(kept)
	for _, d := range []*contactd.WebhookDelivery{de, dk} {
		if err := s.AddDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.EraseContact(ctx, tn.ID, erased.ID, erasedChange(tn.ID, erased)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.WebhookDelivery(ctx, tn.ID, w.ID, de.ID); err != nil || got.Body != nil || got.ContactID != erased.ID || got.MessageID != de.MessageID {
		t.Errorf("the attempt about an erased contact: %+v, %v; want it kept without its body", got, err)
	}
	if got, err := s.WebhookDelivery(ctx, tn.ID, w.ID, dk.ID); err != nil || string(got.Body) != string(dk.Body) {
		t.Errorf("the attempt about another contact: %+v, %v; want its body", got, err)
	}

	// Deleting removes the log too.
	if err := s.DeleteWebhook(ctx, tn.ID, w.ID); err != nil {
		t.Fatal(err)
	}
	if page, err := s.WebhookDeliveries(ctx, tn.ID, w.ID, "", 10); err != nil || len(page) != 0 {
		t.Errorf("the log of a deleted subscription: %d, %v", len(page), err)
	}
	wantCode(t, s.SaveDeliveries(ctx, "d", w, nil, true), contactd.ENotFound, "SaveDeliveries of a deleted subscription")
}

// testWebhookBacklog: the deliverers' queue counts the changes after the
// cursor of each enabled subscription, every tenant's.
func testWebhookBacklog(t *testing.T, b Backend) {
	s := b.Open(t)
	ctx := t.Context()
	tn, other, quiet := newTenant(t, s), newTenant(t, s), newTenant(t, s)
	mustWrite(t, s, tn.ID, newContact(), 0)
	w, v := newWebhook(tn.ID), newWebhook(other.ID)
	for _, x := range []*contactd.Webhook{w, v, newWebhook(quiet.ID)} {
		if err := s.CreateWebhook(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.WebhookBacklog(ctx); err != nil || n != 0 {
		t.Errorf("WebhookBacklog of new subscriptions: %d, %v", n, err)
	}
	mustWrite(t, s, tn.ID, newContact(), 0)
	mustWrite(t, s, tn.ID, newContact(), 0)
	mustWrite(t, s, other.ID, newContact(), 0)
	if n, err := s.WebhookBacklog(ctx); err != nil || n != 3 {
		t.Errorf("WebhookBacklog after three changes: %d, %v; want 3", n, err)
	}
	w.Enabled = false
	if err := s.UpdateWebhook(ctx, w); err != nil {
		t.Fatal(err)
	}
	if n, err := s.WebhookBacklog(ctx); err != nil || n != 1 {
		t.Errorf("WebhookBacklog with one subscription disabled: %d, %v; want 1", n, err)
	}
}
