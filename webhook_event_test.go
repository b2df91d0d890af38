package contactd_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd"
)

func TestWebhookEvents(t *testing.T) {
	want := []string{"contact.created", "contact.updated", "contact.deleted", "contact.restored", "contact.erased",
		"contact.blocked", "contact.unblocked", "contact.merged", "contact.unmerged"}
	for _, ev := range want {
		if !slices.Contains(contactd.WebhookEvents, ev) {
			t.Errorf("WebhookEvents lacks %s", ev)
		}
	}
	if len(contactd.WebhookEvents) != len(want) {
		t.Errorf("WebhookEvents %v, want %v", contactd.WebhookEvents, want)
	}
	for _, tc := range []struct {
		events []string
		typ    string
		want   bool
	}{
		{[]string{"*"}, "erased", true},
		{[]string{"contact.updated"}, "updated", true},
		{[]string{"contact.updated"}, "created", false},
		{[]string{"contact.created", "contact.deleted"}, "deleted", true},
		{nil, "created", false},
	} {
		if got := contactd.Hears(tc.events, tc.typ); got != tc.want {
			t.Errorf("Hears(%v, %s) = %v", tc.events, tc.typ, got)
		}
	}
}

// TestWebhookBody: the body names the event, the message, the change and
// its fields (sorted), carries the contact, and stays within the bound by
// leaving out the contact, then the values.
func TestWebhookBody(t *testing.T) {
	at := time.Date(2026, 12, 3, 10, 0, 0, 123e6, time.UTC)
	ch := &contactd.Change{Seq: 42, TenantID: "tn_1", Type: "updated", ContactID: "ct_1", Version: 3, Actor: "tk_1", At: at,
		Fields: map[string]contactd.FieldChange{
			"lastName":  {Old: json.RawMessage(`"Lee"`), New: json.RawMessage(`"Li"`)},
			"firstName": {Old: json.RawMessage(`null`), New: json.RawMessage(`"Ann"`)},
		}}
	c := &contactd.Contact{ID: "ct_1", Version: 3, FirstName: "Ann", LastName: "Li"}
	b, err := contactd.WebhookBody("wh_01abc", ch, c)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	data := got["data"].(map[string]any)
	fields := data["fields"].([]any)
	if got["type"] != "contact.updated" || got["id"] != "msg_01abc_42" || got["timestamp"] != "2026-12-03T10:00:00.123Z" || got["tenantId"] != "tn_1" ||
		data["changeId"] != float64(42) || data["contactId"] != "ct_1" || data["version"] != float64(3) ||
		len(fields) != 2 || fields[0].(map[string]any)["field"] != "firstName" || fields[1].(map[string]any)["new"] != "Li" ||
		data["contact"].(map[string]any)["lastName"] != "Li" || data["contactOmitted"] != nil {
		t.Errorf("body %s", b)
	}
	if contactd.MessageID("wh_01abc", 42) != got["id"] || contactd.MessageID("wh_01abd", 42) == got["id"] {
		t.Error("message ids are not per subscription and change")
	}

	// Erased: no contact.
	erased := *ch
	erased.Type, erased.Fields = "erased", nil
	b, _ = contactd.WebhookBody("wh_1", &erased, nil)
	if !strings.Contains(string(b), `"contact":null`) || strings.Contains(string(b), "contactOmitted") || !strings.Contains(string(b), `"fields":[]`) {
		t.Errorf("erased: %s", b)
	}

	// A large contact is left out; large values too.
	big := *c
	big.Notes = strings.Repeat("n", contactd.MaxWebhookPayload)
	b, _ = contactd.WebhookBody("wh_1", ch, &big)
	if len(b) > contactd.MaxWebhookPayload || !strings.Contains(string(b), `"contact":null`) || !strings.Contains(string(b), `"contactOmitted":true`) ||
		!strings.Contains(string(b), `"new":"Li"`) {
		t.Errorf("a large contact: %d bytes, %.300s", len(b), b)
	}
	huge := *ch
	huge.Fields = map[string]contactd.FieldChange{"notes": {Old: json.RawMessage(`"` + strings.Repeat("o", contactd.MaxWebhookPayload) + `"`), New: json.RawMessage(`"x"`)}}
	b, _ = contactd.WebhookBody("wh_1", &huge, &big)
	if len(b) > contactd.MaxWebhookPayload || !strings.Contains(string(b), `"valuesOmitted":true`) || !strings.Contains(string(b), `{"field":"notes"}`) {
		t.Errorf("large values: %d bytes, %.300s", len(b), b)
	}
}

// TestRetrySchedule: the delay grows fourfold from 5 s to at most 4 h,
// within a fifth either way, and a subscription is given up after 24 h of
// failures or the maximum failures in a row; the schedule reaches 24 h
// before the default maximum.
func TestRetrySchedule(t *testing.T) {
	mid := func() float64 { return 0.5 }
	want := []time.Duration{5 * time.Second, 20 * time.Second, 80 * time.Second, 320 * time.Second, 1280 * time.Second, 5120 * time.Second, 4 * time.Hour, 4 * time.Hour}
	for i, w := range want {
		if got := contactd.RetryDelay(i+1, mid); got != w {
			t.Errorf("delay after failure %d: %s, want %s", i+1, got, w)
		}
	}
	if lo, hi := contactd.RetryDelay(3, func() float64 { return 0 }), contactd.RetryDelay(3, func() float64 { return 0.999999 }); lo != 64*time.Second || hi < 95*time.Second || hi > 96*time.Second {
		t.Errorf("jitter bounds of 80 s: %s to %s, want 64 s to 96 s", lo, hi)
	}
	for range 100 {
		if d := contactd.RetryDelay(1, nil); d < 4*time.Second || d > 6*time.Second {
			t.Fatalf("random jitter gave %s for 5 s", d)
		}
	}
	var total time.Duration
	n := 0
	for total < contactd.WebhookGiveUpAfter {
		n++
		total += contactd.RetryDelay(n, mid)
	}
	if n >= contactd.DefaultMaxWebhookFailures {
		t.Errorf("the schedule reaches 24 h after %d failures, past the default maximum %d", n, contactd.DefaultMaxWebhookFailures)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if contactd.GiveUp(3, 15, start, start.Add(23*time.Hour)) || !contactd.GiveUp(3, 15, start, start.Add(24*time.Hour)) || !contactd.GiveUp(15, 15, start, start) {
		t.Error("GiveUp does not follow the 24 h and maximum-failure rules")
	}
}
