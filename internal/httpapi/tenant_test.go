package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/contactd/contactd/internal/storetest"
)

func init() {
	extraCases = append(extraCases, func() map[string]routeCase {
		return map[string]routeCase{
			"GET /v1/tenant":   {ok: 200},
			"PATCH /v1/tenant": {body: map[string]any{"defaultRegion": "US"}, ok: 200},
		}
	})
}

func TestTenantSettings(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		admin, reader := e.tokens["A"]["contacts:admin"], e.tokens["A"]["contacts:read"]
		g := e.do("GET", "/v1/tenant", reader, nil)
		if g.status != http.StatusOK || g.json(t)["name"] != "tenant-A" || g.json(t)["defaultRegion"] != "US" || g.json(t)["uniquePhones"] != false {
			t.Fatalf("GET /v1/tenant: %d %s", g.status, g.body)
		}
		if p := e.do("PATCH", "/v1/tenant", reader, `{"defaultRegion":"GB"}`); p.status != http.StatusForbidden {
			t.Errorf("PATCH with contacts:read: %d, want 403", p.status)
		}

		// A new default region reads every number parsed afterwards.
		if p := e.do("PATCH", "/v1/tenant", admin, `{"defaultRegion":"gb"}`); p.status != http.StatusOK || p.json(t)["defaultRegion"] != "GB" {
			t.Fatalf("PATCH defaultRegion: %d %s", p.status, p.body)
		}
		c := e.create("A", map[string]any{"firstName": "London", "phone": "020 7946 0000"})
		if ph := c["phones"].([]any)[0].(map[string]any); ph["e164"] != "+442079460000" {
			t.Errorf("after defaultRegion GB, 020 7946 0000 reads as %v", ph["e164"])
		}
		if l := e.do("GET", "/v1/contacts/lookup?phone=020%207946%200000", reader, nil); l.json(t)["match"] != "exact" {
			t.Errorf("lookup with the new region: %s", l.body)
		}

		// Turning uniquePhones on while two contacts share a number: 409 listing it.
		e.create("A", map[string]any{"firstName": "Twin", "phone": "+44 20 7946 0000"})
		p := e.do("PATCH", "/v1/tenant", admin, `{"uniquePhones":true}`)
		if p.status != http.StatusConflict || !strings.Contains(string(p.body), "+442079460000") || p.json(t)["conflictingId"] == nil {
			t.Fatalf("uniquePhones on with a shared number: %d %s, want 409 listing +442079460000", p.status, p.body)
		}
		if g := e.do("GET", "/v1/tenant", reader, nil); g.json(t)["uniquePhones"] != false {
			t.Errorf("a refused switch changed the setting: %s", g.body)
		}
		// Once the number is unique the switch goes through, and a duplicate is refused.
		twin := e.do("GET", "/v1/contacts/lookup?phone=%2B442079460000", reader, nil).json(t)["data"].([]any)
		for _, it := range twin[1:] {
			id := it.(map[string]any)["id"].(string)
			if d := e.do("DELETE", "/v1/contacts/"+id, e.tokens["A"]["all"], nil); d.status != http.StatusNoContent {
				t.Fatalf("delete: %d", d.status)
			}
		}
		if p := e.do("PATCH", "/v1/tenant", admin, `{"uniquePhones":true}`); p.status != http.StatusOK || p.json(t)["uniquePhones"] != true {
			t.Fatalf("uniquePhones on: %d %s", p.status, p.body)
		}
		dup := e.do("POST", "/v1/contacts", e.tokens["A"]["all"], map[string]any{"firstName": "Dup", "phones": []any{map[string]any{"number": "+44 20 7946 0000"}}})
		if dup.status != http.StatusConflict || dup.json(t)["conflictingField"] != "phone" || dup.json(t)["conflictingId"] == nil {
			t.Errorf("a shared number with uniquePhones on: %d %s, want 409 naming the phone", dup.status, dup.body)
		}
		// Tenant B is not affected.
		if r := e.do("POST", "/v1/contacts", e.tokens["B"]["all"], map[string]any{"firstName": "B1", "phone": "+442079460000"}); r.status != http.StatusCreated {
			t.Errorf("tenant B: %d", r.status)
		}
		if r := e.do("POST", "/v1/contacts", e.tokens["B"]["all"], map[string]any{"firstName": "B2", "phone": "+442079460000"}); r.status != http.StatusCreated {
			t.Errorf("tenant B, second contact with the number: %d, want 201 (its uniquePhones is off)", r.status)
		}

		// The change log's retention: 30 days unless set; null sets it back.
		if g := e.do("GET", "/v1/tenant", reader, nil); g.json(t)["changeRetentionDays"] != float64(30) {
			t.Errorf("a new tenant's changeRetentionDays: %s, want 30", g.body)
		}
		if p := e.do("PATCH", "/v1/tenant", admin, `{"changeRetentionDays":7}`); p.status != http.StatusOK || p.json(t)["changeRetentionDays"] != float64(7) {
			t.Errorf("PATCH changeRetentionDays 7: %d %s", p.status, p.body)
		}
		if g := e.do("GET", "/v1/tenant", reader, nil); g.json(t)["changeRetentionDays"] != float64(7) {
			t.Errorf("changeRetentionDays after PATCH: %s, want 7", g.body)
		}
		if p := e.do("PATCH", "/v1/tenant", admin, `{"changeRetentionDays":null}`); p.status != http.StatusOK || p.json(t)["changeRetentionDays"] != float64(30) {
			t.Errorf("PATCH changeRetentionDays null: %d %s, want 30", p.status, p.body)
		}

		for body, loc := range map[string]string{
			`{"defaultRegion":"XX"}`:       "body.defaultRegion",
			`{"name":""}`:                  "body.name",
			`{"name":"tenant-B"}`:          "",
			`{"uniquePhones":"yes"}`:       "body.uniquePhones",
			`{"changeRetentionDays":0}`:    "body.changeRetentionDays",
			`{"changeRetentionDays":3651}`: "body.changeRetentionDays",
			`{"changeRetentionDays":1.5}`:  "body.changeRetentionDays",
			`{"changeRetentionDays":"7"}`:  "body.changeRetentionDays",
			`{"color":"red"}`:              "body.color",
			`{"id":"tn_other"}`:            "body.id",
		} {
			r := e.do("PATCH", "/v1/tenant", admin, body)
			if loc == "" {
				if r.status != http.StatusConflict {
					t.Errorf("PATCH %s: %d, want 409 (name taken)", body, r.status)
				}
				continue
			}
			if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), `"location":"`+loc+`"`) {
				t.Errorf("PATCH %s: %d %s, want 400 naming %s", body, r.status, r.body, loc)
			}
		}
	})
}
