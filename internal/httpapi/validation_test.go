package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/contactd/contactd/internal/storetest"
)

// withTest returns a copy of e that reports to t, so that parallel subtests
// can share one environment without failing the wrong test.
func (e *env) withTest(t *testing.T) *env {
	c := *e
	c.t = t
	return &c
}

// requireProblem checks that r is a problem+json response with the given
// status and, when loc is not "", an errors entry located exactly at loc.
// It returns the decoded problem.
func requireProblem(t *testing.T, r resp, status int, loc string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	p := r.json(t)
	if int(jNum(p["status"])) != status {
		t.Errorf("problem status %v, want %d", p["status"], status)
	}
	for _, k := range []string{"type", "title"} {
		if s, _ := p[k].(string); s == "" {
			t.Errorf("problem has no %s: %s", k, r.body)
		}
	}
	if loc == "" {
		return p
	}
	if !hasLocation(p, loc) {
		t.Fatalf("errors has no entry at %q: %s", loc, r.body)
	}
	return p
}

func hasLocation(p map[string]any, loc string) bool {
	errs, _ := p["errors"].([]any)
	for _, e := range errs {
		m, _ := e.(map[string]any)
		if m["location"] == loc {
			if msg, _ := m["message"].(string); msg != "" {
				return true
			}
		}
	}
	return false
}

func jNum(v any) float64 { f, _ := v.(float64); return f }

func jStr(v any) string { s, _ := v.(string); return s }

func jList(v any) []any { a, _ := v.([]any); return a }

func jObj(v any) map[string]any { m, _ := v.(map[string]any); return m }

// ada returns a valid contact body (it names someone) with extra fields.
func ada(kv ...any) map[string]any {
	m := map[string]any{"firstName": "Ada"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	return m
}

// exampleDomain matches the domain of the test email addresses.
var exampleDomain = regexp.MustCompile(`(?i)@example\.com`)

// roundTrip returns v as it reads after a trip through JSON.
func roundTrip(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func repeatStr(s string, n int) string { return strings.Repeat(s, n) }

// nested returns an object nested depth levels deep (counting itself).
func nested(depth int) map[string]any {
	m := map[string]any{"leaf": 1}
	for i := 1; i < depth; i++ {
		m = map[string]any{fmt.Sprintf("l%d", i): m}
	}
	return m
}

func phonesN(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"number": fmt.Sprintf("+1415555%04d", 100+i)}
	}
	return out
}

func emailsN(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"address": fmt.Sprintf("ada%d@example.com", i)}
	}
	return out
}

func addressesN(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"city": fmt.Sprintf("City %d", i)}
	}
	return out
}

func handlesN(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"type": "telegram", "value": fmt.Sprintf("@ada%d", i)}
	}
	return out
}

func tagsN(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = fmt.Sprintf("tag-%d", i)
	}
	return out
}

// TestCreateValidation runs every SPEC §2 contact rule against POST
// /v1/contacts: each case must be a 400 problem naming the field.
func TestCreateValidation(t *testing.T) {
	t.Parallel()
	tooLong := repeatStr("é", 129) // 129 characters, 258 bytes
	type tc struct {
		name string
		body any // a map is sent as JSON, a string as is
		loc  string
	}
	cases := []tc{
		// Lengths, counted in characters.
		{"firstName 129", ada("firstName", tooLong), "body.firstName"},
		{"middleName 129", ada("middleName", tooLong), "body.middleName"},
		{"lastName 129", ada("lastName", tooLong), "body.lastName"},
		{"nickName 129", ada("nickName", tooLong), "body.nickName"},
		{"suffix 33", ada("suffix", repeatStr("é", 33)), "body.suffix"},
		{"displayName 256", ada("displayName", repeatStr("é", 256)), "body.displayName"},
		{"company 256", ada("company", repeatStr("é", 256)), "body.company"},
		{"department 129", ada("department", tooLong), "body.department"},
		{"jobTitle 129", ada("jobTitle", tooLong), "body.jobTitle"},
		{"notes 10001", ada("notes", repeatStr("é", 10001)), "body.notes"},
		{"ownerId 129", ada("ownerId", tooLong), "body.ownerId"},
		{"externalId 256", ada("externalId", repeatStr("é", 256)), "body.externalId"},
		{"status 33", ada("status", repeatStr("é", 33)), "body.status"},
		{"name 256", map[string]any{"name": repeatStr("é", 256)}, "body.name"},
		{"phone number 41", ada("phones", []any{map[string]any{"number": "+1" + repeatStr("5", 39)}}), "body.phones[0].number"},
		{"email 255", ada("emails", []any{map[string]any{"address": repeatStr("a", 243) + "@example.com"}}), "body.emails[0].address"},
		{"address street 256", ada("addresses", []any{map[string]any{"street": repeatStr("é", 256)}}), "body.addresses[0].street"},
		{"address city 256", ada("addresses", []any{map[string]any{"city": repeatStr("é", 256)}}), "body.addresses[0].city"},
		{"address notes 256", ada("addresses", []any{map[string]any{"notes": repeatStr("é", 256)}}), "body.addresses[0].notes"},
		{"address postalCode 17", ada("addresses", []any{map[string]any{"postalCode": repeatStr("9", 17)}}), "body.addresses[0].postalCode"},
		{"handle value 256", ada("handles", []any{map[string]any{"type": "x", "value": repeatStr("é", 256)}}), "body.handles[0].value"},

		// Enumerations.
		{"kind", ada("kind", "robot"), "body.kind"},
		{"contactType", ada("contactType", "alien"), "body.contactType"},
		{"phone type", ada("phones", []any{map[string]any{"number": "+14155552671", "type": "cell"}}), "body.phones[0].type"},
		{"email type", ada("emails", []any{map[string]any{"address": "a@example.com", "type": "home"}}), "body.emails[0].type"},
		{"address type", ada("addresses", []any{map[string]any{"city": "Paris", "type": "office"}}), "body.addresses[0].type"},
		{"handle type", ada("handles", []any{map[string]any{"type": "myspace", "value": "ada"}}), "body.handles[0].type"},
		{"handle without type", ada("handles", []any{map[string]any{"value": "ada"}}), "body.handles[0].type"},
		{"handle without value", ada("handles", []any{map[string]any{"type": "x"}}), "body.handles[0].value"},

		// Birthday, timezone, locale, colour.
		{"birthday 2023-02-29", ada("birthday", "2023-02-29"), "body.birthday"},
		{"birthday --02-30", ada("birthday", "--02-30"), "body.birthday"},
		{"birthday month 13", ada("birthday", "1990-13-01"), "body.birthday"},
		{"birthday short", ada("birthday", "1990-1-1"), "body.birthday"},
		{"birthday garbage", ada("birthday", "next tuesday"), "body.birthday"},
		{"birthday slashes", ada("birthday", "12/31/1990"), "body.birthday"},
		{"timezone unknown", ada("timezone", "Mars/Olympus_Mons"), "body.timezone"},
		{"timezone Local", ada("timezone", "Local"), "body.timezone"},
		{"timezone path", ada("timezone", "../../etc/passwd"), "body.timezone"},
		{"address timezone", ada("addresses", []any{map[string]any{"city": "Paris", "timezone": "Europe/Atlantis"}}), "body.addresses[0].timezone"},
		{"locale garbage", ada("locale", "klingon!!"), "body.locale"},
		{"locale digits", ada("locale", "12"), "body.locale"},
		{"color name", ada("profileColor", "red"), "body.profileColor"},
		{"color short", ada("profileColor", "#FFF"), "body.profileColor"},
		{"color not hex", ada("profileColor", "#GGGGGG"), "body.profileColor"},
		{"color no hash", ada("profileColor", "A1B2C3"), "body.profileColor"},

		// List limits.
		{"21 phones", ada("phones", phonesN(21)), "body.phones"},
		{"21 emails", ada("emails", emailsN(21)), "body.emails"},
		{"11 addresses", ada("addresses", addressesN(11)), "body.addresses"},
		{"21 handles", ada("handles", handlesN(21)), "body.handles"},
		{"33 tags", ada("tags", tagsN(33)), "body.tags"},
		{"tag of 65", ada("tags", []any{repeatStr("t", 65)}), "body.tags[0]"},
		{"empty tag", ada("tags", []any{"ok", ""}), "body.tags[1]"},
		{"blank tag", ada("tags", []any{"   "}), "body.tags[0]"},

		// Primaries and duplicates.
		{"two primary phones", ada("phones", []any{
			map[string]any{"number": "+14155552671", "primary": true},
			map[string]any{"number": "+14155552672", "primary": true}}), "body.phones[1].primary"},
		{"two primary emails", ada("emails", []any{
			map[string]any{"address": "a@example.com", "primary": true},
			map[string]any{"address": "b@example.com", "primary": true}}), "body.emails[1].primary"},
		{"two primary addresses", ada("addresses", []any{
			map[string]any{"city": "Paris", "primary": true},
			map[string]any{"city": "Rome", "primary": true}}), "body.addresses[1].primary"},
		{"duplicate email in one contact", ada("emails", []any{
			map[string]any{"address": "ada@example.com"},
			map[string]any{"address": "ADA@Example.com"}}), "body.emails[1].address"},
		{"duplicate phone in one contact", ada("phones", []any{
			map[string]any{"number": "+14155552671"},
			map[string]any{"number": "(415) 555-2671"}}), "body.phones[1].number"},

		// A contact must identify something.
		{"empty object", map[string]any{}, "body"},
		{"only flags and tags", map[string]any{"kind": "organization", "tags": []any{"vip"}, "doNotCall": true}, "body"},
		{"blank names", map[string]any{"firstName": "   ", "company": " "}, "body"},
		{"only an address", map[string]any{"addresses": []any{map[string]any{"city": "Paris"}}}, "body"},
		{"an empty address", ada("addresses", []any{map[string]any{"type": "home"}}), "body.addresses[0]"},

		// Custom data.
		{"properties over 16 KiB", ada("properties", map[string]any{"blob": repeatStr("a", 16<<10)}), "body.properties"},
		{"properties nesting 6", ada("properties", nested(6)), "body.properties"},
		{"properties array nesting 6", ada("properties", map[string]any{"a": []any{[]any{[]any{[]any{[]any{1}}}}}}), "body.properties"},
		{"metadata over 16 KiB", ada("metadata", map[string]any{"blob": repeatStr("a", 16<<10)}), "body.metadata"},

		// Wrong JSON types.
		{"number for string", ada("lastName", 42), "body.lastName"},
		{"object for string", ada("company", map[string]any{}), "body.company"},
		{"string for bool", ada("doNotCall", "yes"), "body.doNotCall"},
		{"number for bool", ada("smsOptOut", 1), "body.smsOptOut"},
		{"object for array", ada("phones", map[string]any{"number": "+14155552671"}), "body.phones"},
		{"string for array", ada("tags", "vip"), "body.tags"},
		{"number in tags", ada("tags", []any{"ok", 7}), "body.tags[1]"},
		{"array for object", ada("properties", []any{1, 2}), "body.properties"},
		{"string for object", ada("metadata", "x"), "body.metadata"},
		{"string for entry", ada("phones", []any{"+14155552671"}), "body.phones[0]"},
		{"string for bool in entry", ada("phones", []any{map[string]any{"number": "+14155552671", "primary": "true"}}), "body.phones[0].primary"},
		{"number for string in entry", ada("emails", []any{map[string]any{"address": 5}}), "body.emails[0].address"},
		{"bool in address", ada("addresses", []any{map[string]any{"city": true}}), "body.addresses[0].city"},
		{"array in handle", ada("handles", []any{map[string]any{"type": "x", "value": []any{}}}), "body.handles[0].value"},

		// Malformed and non-object bodies.
		{"truncated JSON", `{"firstName": "Ada"`, "body"},
		{"trailing comma", `{"firstName": "Ada",}`, "body"},
		{"two documents", `{"firstName": "Ada"} {}`, "body"},
		{"array body", `[{"firstName": "Ada"}]`, "body"},
		{"string body", `"Ada"`, "body"},
		{"number body", `42`, "body"},
		{"null body", `null`, "body"},
		{"empty body", ``, "body"},

		// Unknown fields.
		{"unknown field", ada("bogus", 1), "body.bogus"},
		{"empty key", ada("", 1), "body"},
		{"empty key in an entry", ada("phones", []any{map[string]any{"number": "+14155552671", "": 1}}), "body.phones[0]"},
		{"unknown field by case", map[string]any{"FirstName": "Ada"}, "body.FirstName"},
		{"unknown phone field", ada("phones", []any{map[string]any{"number": "+14155552671", "bogus": 1}}), "body.phones[0].bogus"},
		{"unknown email field", ada("emails", []any{map[string]any{"address": "a@example.com", "label": "x"}}), "body.emails[0].label"},
		{"unknown address field", ada("addresses", []any{map[string]any{"city": "Paris", "zip": "75001"}}), "body.addresses[0].zip"},
		{"unknown handle field", ada("handles", []any{map[string]any{"type": "x", "value": "ada", "url": "u"}}), "body.handles[0].url"},

		// Phones.
		{"too few digits", ada("phones", []any{map[string]any{"number": "123"}}), "body.phones[0].number"},
		{"no digits", ada("phones", []any{map[string]any{"number": "call me"}}), "body.phones[0].number"},
		{"unknown country code", ada("phones", []any{map[string]any{"number": "+999 1234 5678"}}), "body.phones[0].number"},
		{"missing number", ada("phones", []any{map[string]any{"type": "work"}}), "body.phones[0].number"},
		{"bad number second entry", ada("phones", []any{map[string]any{"number": "+14155552671"}, map[string]any{"number": "12"}}), "body.phones[1].number"},
		{"bad extension", ada("phones", []any{map[string]any{"number": "+14155552671", "extension": "ext"}}), "body.phones[0].extension"},
		{"bad phone convenience", ada("phone", "12"), "body.phone"},

		// Emails.
		{"email without @", ada("emails", []any{map[string]any{"address": "not-an-email"}}), "body.emails[0].address"},
		{"email without domain", ada("emails", []any{map[string]any{"address": "ada@"}}), "body.emails[0].address"},
		{"email with name", ada("emails", []any{map[string]any{"address": "Ada <ada@example.com>"}}), "body.emails[0].address"},
		{"email with space", ada("emails", []any{map[string]any{"address": "ada lovelace@example.com"}}), "body.emails[0].address"},
		{"email missing", ada("emails", []any{map[string]any{"type": "work"}}), "body.emails[0].address"},
		{"bad email second entry", ada("emails", []any{map[string]any{"address": "a@example.com"}, map[string]any{"address": "@example.com"}}), "body.emails[1].address"},
		{"bad email convenience", ada("email", "nope"), "body.email"},
	}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				e := e.withTest(t)
				r := e.do("POST", "/v1/contacts", tok, c.body)
				requireProblem(t, r, http.StatusBadRequest, c.loc)
			})
		}
		t.Run("every problem is reported", func(t *testing.T) {
			t.Parallel()
			e := e.withTest(t)
			r := e.do("POST", "/v1/contacts", tok, ada("kind", "robot", "birthday", "soon", "profileColor", "red",
				"emails", []any{map[string]any{"address": "x"}}))
			p := requireProblem(t, r, http.StatusBadRequest, "body.kind")
			for _, loc := range []string{"body.birthday", "body.profileColor", "body.emails[0].address"} {
				if !hasLocation(p, loc) {
					t.Errorf("no error at %s: %s", loc, r.body)
				}
			}
		})
		t.Run("block reason 256", func(t *testing.T) {
			t.Parallel()
			e := e.withTest(t)
			c := e.create("A", ada())
			r := e.do("POST", "/v1/contacts/"+jStr(c["id"])+"/block", tok, map[string]any{"reason": repeatStr("é", 256)})
			requireProblem(t, r, http.StatusBadRequest, "body.reason")
		})
		t.Run("nothing is created by a rejected request", func(t *testing.T) {
			t.Parallel()
			e := e.withTest(t)
			e.do("POST", "/v1/contacts", tok, ada("emails", []any{map[string]any{"address": "rejected@example.com", "type": "bogus"}}))
			r := e.do("GET", "/v1/contacts/by-email/rejected@example.com", tok, nil)
			requireProblem(t, r, http.StatusNotFound, "")
		})
	})
}

// TestCreateSystemContactType checks that only contacts:admin may create a
// corporate or service contact.
func TestCreateSystemContactType(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		for _, typ := range []string{"corporate", "service"} {
			r := e.do("POST", "/v1/contacts", e.tokens["A"]["contacts:write"], ada("contactType", typ))
			requireProblem(t, r, http.StatusForbidden, "")
			c := e.create("A", ada("contactType", typ))
			if c["contactType"] != typ {
				t.Errorf("contactType %v, want %s", c["contactType"], typ)
			}
			// A writer may not change it either.
			r = e.do("PATCH", "/v1/contacts/"+jStr(c["id"]), e.tokens["A"]["contacts:write"], map[string]any{"jobTitle": "x"})
			requireProblem(t, r, http.StatusForbidden, "")
		}
	})
}

// TestCreateNormalization checks the normalizations and defaults of SPEC §2
// on create, and that the stored contact (GET) equals the created one.
func TestCreateNormalization(t *testing.T) {
	t.Parallel()
	type tc struct {
		name  string
		body  map[string]any
		check func(t *testing.T, c map[string]any)
	}
	eq := func(t *testing.T, what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", what, got, want)
		}
	}
	entry := func(c map[string]any, listName string, i int) map[string]any {
		l := jList(c[listName])
		if i >= len(l) {
			return nil
		}
		return jObj(l[i])
	}
	cases := []tc{
		{"defaults", ada(), func(t *testing.T, c map[string]any) {
			eq(t, "kind", c["kind"], "person")
			eq(t, "contactType", c["contactType"], "company")
			eq(t, "source", c["source"], "api")
			eq(t, "version", c["version"], 1.0)
			eq(t, "doNotCall", c["doNotCall"], false)
			eq(t, "emailOptOut", c["emailOptOut"], false)
			eq(t, "smsOptOut", c["smsOptOut"], false)
			eq(t, "unknown", c["unknown"], false)
			eq(t, "createdBy", c["createdBy"], "user-A")
			eq(t, "updatedBy", c["updatedBy"], "user-A")
			for _, l := range []string{"phones", "emails", "addresses", "handles", "tags"} {
				if a, ok := c[l].([]any); !ok || len(a) != 0 {
					t.Errorf("%s = %#v, want []", l, c[l])
				}
			}
			if !strings.HasPrefix(jStr(c["id"]), "ct_") {
				t.Errorf("id %v lacks the ct_ prefix", c["id"])
			}
			if jStr(c["createdAt"]) == "" || c["createdAt"] != c["updatedAt"] {
				t.Errorf("createdAt %v, updatedAt %v", c["createdAt"], c["updatedAt"])
			}
		}},
		{"email lowercased and trimmed", ada("emails", []any{map[string]any{"address": "  Ada@Example.COM "}}), func(t *testing.T, c map[string]any) {
			em := entry(c, "emails", 0)
			eq(t, "address", em["address"], "ada@example.com")
			eq(t, "type", em["type"], "other")
			eq(t, "primary", em["primary"], true)
			if !strings.HasPrefix(jStr(em["id"]), "em_") {
				t.Errorf("email id %v", em["id"])
			}
		}},
		{"locale en_US", ada("locale", "en_US"), func(t *testing.T, c map[string]any) { eq(t, "locale", c["locale"], "en-US") }},
		{"locale fr_ca", ada("locale", "fr_ca"), func(t *testing.T, c map[string]any) { eq(t, "locale", c["locale"], "fr-CA") }},
		{"color upper-cased", ada("profileColor", "#a1b2c3"), func(t *testing.T, c map[string]any) {
			eq(t, "profileColor", c["profileColor"], "#A1B2C3")
		}},
		{"international phone", ada("phones", []any{map[string]any{"number": "+44 20 7946 0000", "type": "work"}}), func(t *testing.T, c map[string]any) {
			p := entry(c, "phones", 0)
			eq(t, "e164", p["e164"], "+442079460000")
			eq(t, "number", p["number"], "+44 20 7946 0000")
			eq(t, "type", p["type"], "work")
			eq(t, "primary", p["primary"], true)
			eq(t, "verified", p["verified"], false)
			if !strings.HasPrefix(jStr(p["id"]), "ph_") {
				t.Errorf("phone id %v", p["id"])
			}
		}},
		{"national phone in the tenant region", ada("phones", []any{map[string]any{"number": "(415) 555-2671"}}), func(t *testing.T, c map[string]any) {
			p := entry(c, "phones", 0)
			eq(t, "e164", p["e164"], "+14155552671")
			eq(t, "type", p["type"], "other")
		}},
		{"extension split off", ada("phones", []any{map[string]any{"number": "+1 415 555 2671 x123"}}), func(t *testing.T, c map[string]any) {
			p := entry(c, "phones", 0)
			eq(t, "e164", p["e164"], "+14155552671")
			eq(t, "extension", p["extension"], "123")
		}},
		{"explicit extension", ada("phones", []any{map[string]any{"number": "+14155552671", "extension": "77"}}), func(t *testing.T, c map[string]any) {
			eq(t, "extension", entry(c, "phones", 0)["extension"], "77")
		}},
		{"e164 sent is ignored", ada("phones", []any{map[string]any{"number": "+14155552671", "e164": "+19999999999"}}), func(t *testing.T, c map[string]any) {
			eq(t, "e164", entry(c, "phones", 0)["e164"], "+14155552671")
		}},
		{"first entry primary by default", ada(
			"phones", []any{map[string]any{"number": "+14155552671"}, map[string]any{"number": "+14155552672"}},
			"emails", []any{map[string]any{"address": "a@example.com"}, map[string]any{"address": "b@example.com"}},
			"addresses", []any{map[string]any{"city": "Paris"}, map[string]any{"city": "Rome"}}),
			func(t *testing.T, c map[string]any) {
				for _, l := range []string{"phones", "emails", "addresses"} {
					eq(t, l+"[0].primary", entry(c, l, 0)["primary"], true)
					eq(t, l+"[1].primary", entry(c, l, 1)["primary"], false)
				}
			}},
		{"a marked primary is kept", ada(
			"phones", []any{map[string]any{"number": "+14155552671"}, map[string]any{"number": "+14155552672", "primary": true}},
			"emails", []any{map[string]any{"address": "a@example.com", "primary": false}, map[string]any{"address": "b@example.com", "primary": true}}),
			func(t *testing.T, c map[string]any) {
				for _, l := range []string{"phones", "emails"} {
					eq(t, l+"[0].primary", entry(c, l, 0)["primary"], false)
					eq(t, l+"[1].primary", entry(c, l, 1)["primary"], true)
				}
			}},
		{"name split", map[string]any{"name": "Ada King Lovelace"}, func(t *testing.T, c map[string]any) {
			eq(t, "displayName", c["displayName"], "Ada King Lovelace")
			eq(t, "firstName", c["firstName"], "Ada King")
			eq(t, "lastName", c["lastName"], "Lovelace")
		}},
		{"name of one word", map[string]any{"name": "Cher"}, func(t *testing.T, c map[string]any) {
			eq(t, "displayName", c["displayName"], "Cher")
			eq(t, "firstName", c["firstName"], "Cher")
			eq(t, "lastName", c["lastName"], nil)
		}},
		{"name does not override given names", map[string]any{"name": "The Countess", "firstName": "Ada"}, func(t *testing.T, c map[string]any) {
			eq(t, "displayName", c["displayName"], "The Countess")
			eq(t, "firstName", c["firstName"], "Ada")
			eq(t, "lastName", c["lastName"], nil)
		}},
		{"email and phone conveniences become primary entries", ada(
			"email", "Main@Example.com", "emails", []any{map[string]any{"address": "other@example.com", "primary": true}},
			"phone", "+1 415 555 0100", "phones", []any{map[string]any{"number": "+14155550101", "primary": true}}),
			func(t *testing.T, c map[string]any) {
				eq(t, "emails", len(jList(c["emails"])), 2)
				eq(t, "emails[0].address", entry(c, "emails", 0)["address"], "main@example.com")
				eq(t, "emails[0].primary", entry(c, "emails", 0)["primary"], true)
				eq(t, "emails[1].primary", entry(c, "emails", 1)["primary"], false)
				eq(t, "phones", len(jList(c["phones"])), 2)
				eq(t, "phones[0].e164", entry(c, "phones", 0)["e164"], "+14155550100")
				eq(t, "phones[0].primary", entry(c, "phones", 0)["primary"], true)
				eq(t, "phones[1].primary", entry(c, "phones", 1)["primary"], false)
			}},
		{"conveniences naming an existing entry promote it", ada(
			"email", "B@example.com", "emails", []any{map[string]any{"address": "a@example.com"}, map[string]any{"address": "b@example.com"}},
			"phone", "(415) 555-0101", "phones", []any{map[string]any{"number": "+14155550100"}, map[string]any{"number": "+14155550101"}}),
			func(t *testing.T, c map[string]any) {
				eq(t, "emails", len(jList(c["emails"])), 2)
				eq(t, "emails[1].primary", entry(c, "emails", 1)["primary"], true)
				eq(t, "emails[0].primary", entry(c, "emails", 0)["primary"], false)
				eq(t, "phones", len(jList(c["phones"])), 2)
				eq(t, "phones[1].primary", entry(c, "phones", 1)["primary"], true)
				eq(t, "phones[0].primary", entry(c, "phones", 0)["primary"], false)
			}},
		{"displayName from names", map[string]any{"firstName": "Ada", "middleName": "King", "lastName": "Lovelace", "company": "Analytical", "email": "ada@example.com"},
			func(t *testing.T, c map[string]any) { eq(t, "displayName", c["displayName"], "Ada King Lovelace") }},
		{"displayName from company", map[string]any{"company": "Acme Corp", "email": "sales@example.com", "phone": "+14155552671"},
			func(t *testing.T, c map[string]any) { eq(t, "displayName", c["displayName"], "Acme Corp") }},
		{"displayName from email", map[string]any{"email": "Info@Example.com", "phone": "+14155552671"},
			func(t *testing.T, c map[string]any) { eq(t, "displayName", c["displayName"], "info@example.com") }},
		{"displayName from primary email", map[string]any{"emails": []any{map[string]any{"address": "a@example.com"}, map[string]any{"address": "b@example.com", "primary": true}}},
			func(t *testing.T, c map[string]any) { eq(t, "displayName", c["displayName"], "b@example.com") }},
		{"displayName from phone", map[string]any{"phone": "+1 415 555 2671"},
			func(t *testing.T, c map[string]any) { eq(t, "displayName", c["displayName"], "+1 415 555 2671") }},
		{"explicit displayName wins", map[string]any{"displayName": "The Enchantress", "firstName": "Ada", "company": "Acme"},
			func(t *testing.T, c map[string]any) { eq(t, "displayName", c["displayName"], "The Enchantress") }},
		{"strings trimmed", ada("lastName", "  Lovelace  ", "company", "\tAcme\n"), func(t *testing.T, c map[string]any) {
			eq(t, "lastName", c["lastName"], "Lovelace")
			eq(t, "company", c["company"], "Acme")
			eq(t, "displayName", c["displayName"], "Ada Lovelace")
		}},
		{"birthdays", ada("birthday", "1815-12-10"), func(t *testing.T, c map[string]any) { eq(t, "birthday", c["birthday"], "1815-12-10") }},
		{"birthday without year", ada("birthday", "--12-10"), func(t *testing.T, c map[string]any) { eq(t, "birthday", c["birthday"], "--12-10") }},
		{"birthday --02-29", ada("birthday", "--02-29"), func(t *testing.T, c map[string]any) { eq(t, "birthday", c["birthday"], "--02-29") }},
		{"birthday 2024-02-29", ada("birthday", "2024-02-29"), func(t *testing.T, c map[string]any) { eq(t, "birthday", c["birthday"], "2024-02-29") }},
		{"timezone", ada("timezone", "America/New_York", "addresses", []any{map[string]any{"city": "Paris", "timezone": "Europe/Paris"}}),
			func(t *testing.T, c map[string]any) {
				eq(t, "timezone", c["timezone"], "America/New_York")
				eq(t, "addresses[0].timezone", entry(c, "addresses", 0)["timezone"], "Europe/Paris")
			}},
		{"tags deduplicated case-insensitively", ada("tags", []any{"VIP", "vip", " gold "}), func(t *testing.T, c map[string]any) {
			eq(t, "tags", c["tags"], []any{"VIP", "gold"})
		}},
		{"handles", ada("handles", []any{map[string]any{"type": "whatsapp", "value": "+14155552671"}, map[string]any{"type": "url", "value": "https://ada.example"}}),
			func(t *testing.T, c map[string]any) {
				eq(t, "handles", len(jList(c["handles"])), 2)
				eq(t, "handles[0].type", entry(c, "handles", 0)["type"], "whatsapp")
			}},
		{"limits are inclusive", ada(
			"firstName", repeatStr("é", 128), "middleName", repeatStr("é", 128), "lastName", repeatStr("é", 128), "nickName", repeatStr("é", 128),
			"suffix", repeatStr("é", 32), "displayName", repeatStr("é", 255), "company", repeatStr("é", 255), "department", repeatStr("é", 128),
			"jobTitle", repeatStr("é", 128), "ownerId", repeatStr("é", 128), "externalId", repeatStr("é", 255), "status", repeatStr("é", 32),
			"phones", phonesN(20), "emails", emailsN(20), "addresses", addressesN(10), "handles", handlesN(20),
			"tags", append(tagsN(31), repeatStr("é", 64)),
			"properties", nested(5), "metadata", nested(12)),
			func(t *testing.T, c map[string]any) {
				eq(t, "firstName", c["firstName"], repeatStr("é", 128))
				eq(t, "displayName", c["displayName"], repeatStr("é", 255))
				eq(t, "phones", len(jList(c["phones"])), 20)
				eq(t, "emails", len(jList(c["emails"])), 20)
				eq(t, "addresses", len(jList(c["addresses"])), 10)
				eq(t, "handles", len(jList(c["handles"])), 20)
				eq(t, "tags", len(jList(c["tags"])), 32)
				eq(t, "properties", c["properties"], roundTrip(nested(5)))
			}},
		{"properties of exactly 16 KiB", ada("properties", map[string]any{"blob": repeatStr("a", 16<<10-len(`{"blob":""}`))}),
			func(t *testing.T, c map[string]any) {
				b, _ := json.Marshal(c["properties"])
				eq(t, "len(properties)", len(b), 16<<10)
			}},
		{"null members are absent", map[string]any{"firstName": "Ada", "lastName": nil, "phones": nil, "doNotCall": nil, "properties": nil},
			func(t *testing.T, c map[string]any) {
				eq(t, "lastName", c["lastName"], nil)
				eq(t, "phones", c["phones"], []any{})
				eq(t, "properties", c["properties"], nil)
			}},
		{"read-only fields ignored on create", ada(
			"id", "ct_01aaaaaaaaaaaaaaaaaaaaaaaa", "version", 42, "source", "import", "createdAt", "2001-01-01T00:00:00Z",
			"createdBy", "mallory", "updatedAt", "2001-01-01T00:00:00Z", "updatedBy", "mallory", "deletedAt", "2001-01-01T00:00:00Z",
			"deletedBy", "mallory", "blockedAt", "2001-01-01T00:00:00Z", "blockedBy", "mallory", "blockReason", "spam"),
			func(t *testing.T, c map[string]any) {
				if c["id"] == "ct_01aaaaaaaaaaaaaaaaaaaaaaaa" {
					t.Errorf("the client chose the id")
				}
				eq(t, "version", c["version"], 1.0)
				eq(t, "source", c["source"], "api")
				eq(t, "createdBy", c["createdBy"], "user-A")
				if c["createdAt"] == "2001-01-01T00:00:00Z" {
					t.Errorf("the client chose createdAt")
				}
				for _, k := range []string{"deletedAt", "deletedBy", "blockedAt", "blockedBy", "blockReason"} {
					if _, ok := c[k]; ok {
						t.Errorf("%s = %v, want absent", k, c[k])
					}
				}
			}},
	}
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				e := e.withTest(t)
				// Emails are unique per tenant: give each case its own
				// domain, and map it back for the checks.
				body, _ := json.Marshal(c.body)
				domain := fmt.Sprintf("@c%d.example.com", i)
				body = exampleDomain.ReplaceAll(body, []byte(domain))
				unmap := func(b []byte) resp {
					return resp{body: bytes.ReplaceAll(b, []byte(domain), []byte("@example.com"))}
				}
				r := e.do("POST", "/v1/contacts", e.tokens["A"]["all"], body)
				if r.status != http.StatusCreated {
					t.Fatalf("status %d: %s", r.status, r.body)
				}
				created := unmap(r.body).json(t)
				c.check(t, created)
				g := e.do("GET", "/v1/contacts/"+jStr(created["id"]), e.tokens["A"]["all"], nil)
				if g.status != http.StatusOK {
					t.Fatalf("GET: status %d: %s", g.status, g.body)
				}
				if got := unmap(g.body).json(t); !reflect.DeepEqual(got, created) {
					t.Errorf("GET differs from the create response:\n got %s\nwant %s", g.body, r.body)
				}
			})
		}
	})
}

// TestPatchReadOnlyFields checks that a client may PATCH back what it GOT,
// and that changing a read-only field is a 400 naming it.
func TestPatchReadOnlyFields(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		c := e.create("A", map[string]any{"firstName": "Ada", "lastName": "Lovelace",
			"phones":     []any{map[string]any{"number": "+14155552671", "extension": "12"}},
			"emails":     []any{map[string]any{"address": "ada@example.com"}},
			"addresses":  []any{map[string]any{"city": "London"}},
			"handles":    []any{map[string]any{"type": "x", "value": "@ada"}},
			"tags":       []any{"math"},
			"properties": map[string]any{"tier": 2}, "metadata": map[string]any{"crm": "x"}})
		path := "/v1/contacts/" + jStr(c["id"])
		e.do("POST", path+"/block", tok, map[string]any{"reason": "testing"})

		t.Run("whole GET body with one change", func(t *testing.T) {
			g := e.do("GET", path, tok, nil)
			doc := g.json(t)
			doc["jobTitle"] = "Analyst"
			r := e.do("PATCH", path, tok, doc)
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			got := r.json(t)
			if got["jobTitle"] != "Analyst" || got["version"] != jNum(doc["version"])+1 {
				t.Errorf("jobTitle %v version %v: %s", got["jobTitle"], got["version"], r.body)
			}
			for _, l := range []string{"phones", "emails", "addresses", "handles"} {
				if jStr(jObj(jList(got[l])[0])["id"]) != jStr(jObj(jList(doc[l])[0])["id"]) {
					t.Errorf("%s entry id changed: %v → %v", l, jList(doc[l])[0], jList(got[l])[0])
				}
			}
			if got["blockReason"] != "testing" {
				t.Errorf("blockReason %v", got["blockReason"])
			}
		})
		t.Run("whole GET body unchanged is a no-op", func(t *testing.T) {
			g := e.do("GET", path, tok, nil)
			doc := g.json(t)
			r := e.do("PATCH", path, tok, doc)
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if got := r.json(t); got["version"] != doc["version"] {
				t.Errorf("version %v, want %v", got["version"], doc["version"])
			}
		})
		for _, f := range []struct {
			field string
			value any
		}{
			{"id", "ct_01aaaaaaaaaaaaaaaaaaaaaaaa"},
			{"version", 99},
			{"createdAt", "2001-01-01T00:00:00Z"},
			{"createdBy", "mallory"},
			{"updatedAt", "2001-01-01T00:00:00Z"},
			{"source", "import"},
			{"blockReason", "other"},
			{"deletedAt", "2001-01-01T00:00:00Z"},
		} {
			t.Run("changed "+f.field, func(t *testing.T) {
				before := e.do("GET", path, tok, nil).json(t)
				r := e.do("PATCH", path, tok, map[string]any{f.field: f.value, "jobTitle": "Changed"})
				requireProblem(t, r, http.StatusBadRequest, "body."+f.field)
				after := e.do("GET", path, tok, nil).json(t)
				if !reflect.DeepEqual(before, after) {
					t.Errorf("a rejected PATCH changed the contact:\n%v\n%v", before, after)
				}
			})
		}
		t.Run("unknown field in PATCH", func(t *testing.T) {
			r := e.do("PATCH", path, tok, map[string]any{"bogus": 1})
			requireProblem(t, r, http.StatusBadRequest, "body.bogus")
			r = e.do("PATCH", path, tok, map[string]any{"phones": []any{map[string]any{"number": "+14155552671", "bogus": true}}})
			requireProblem(t, r, http.StatusBadRequest, "body.phones[0].bogus")
		})
		t.Run("invalid values in PATCH", func(t *testing.T) {
			r := e.do("PATCH", path, tok, map[string]any{"birthday": "2023-02-29"})
			requireProblem(t, r, http.StatusBadRequest, "body.birthday")
			r = e.do("PATCH", path, tok, map[string]any{"emails": []any{map[string]any{"address": "x"}}})
			requireProblem(t, r, http.StatusBadRequest, "body.emails[0].address")
			r = e.do("PATCH", path, tok, `[1]`)
			requireProblem(t, r, http.StatusBadRequest, "body")
			r = e.do("PATCH", path, tok, `{"firstName":`)
			requireProblem(t, r, http.StatusBadRequest, "body")
			solo := e.create("A", map[string]any{"firstName": "Solo", "jobTitle": "Pilot"})
			r = e.do("PATCH", "/v1/contacts/"+jStr(solo["id"]), tok, map[string]any{"firstName": nil})
			requireProblem(t, r, http.StatusBadRequest, "body")
		})
	})
}
