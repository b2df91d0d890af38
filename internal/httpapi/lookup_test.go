package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd/internal/storetest"
)

// lookupAnswer is a decoded lookup response.
type lookupAnswer struct {
	Match string           `json:"match"`
	Data  []map[string]any `json:"data"`
}

// lookup asks GET /v1/contacts/lookup with the given query parameters
// (alternating names and values) and decodes a 200 answer.
func (e *env) lookup(token string, kv ...string) lookupAnswer {
	e.t.Helper()
	r := e.do("GET", lookupPath(kv...), token, nil)
	wantStatus(e.t, r, http.StatusOK)
	var a lookupAnswer
	if err := json.Unmarshal(r.body, &a); err != nil {
		e.t.Fatalf("lookup answer: %v: %s", err, r.body)
	}
	if a.Data == nil {
		e.t.Fatalf("lookup answer without a data array: %s", r.body)
	}
	return a
}

func lookupPath(kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	return "/v1/contacts/lookup?" + q.Encode()
}

// answerIDs returns the contact ids of a lookup answer, in order.
func answerIDs(a lookupAnswer) []string {
	out := []string{}
	for _, d := range a.Data {
		out = append(out, jStr(d["id"]))
	}
	return out
}

// matched returns the matchedEntries of one lookup item.
func matched(t *testing.T, item map[string]any) []string {
	t.Helper()
	raw, ok := item["matchedEntries"]
	if !ok {
		t.Fatalf("item %v has no matchedEntries", item["id"])
	}
	out := []string{}
	for _, v := range jList(raw) {
		out = append(out, jStr(v))
	}
	return out
}

// phoneID returns the id of the phone of contact c whose e164 is e164.
func phoneID(t *testing.T, c map[string]any, e164 string) string {
	t.Helper()
	for _, p := range jList(c["phones"]) {
		if m := jObj(p); m["e164"] == e164 {
			return jStr(m["id"])
		}
	}
	t.Fatalf("contact %v has no phone %s: %v", c["id"], e164, c["phones"])
	return ""
}

// laterThan waits until the clock has moved past the millisecond of the
// given contact's updatedAt, so that the next write gets a later time.
func laterThan(t *testing.T, c map[string]any) {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, jStr(c["updatedAt"]))
	if err != nil {
		t.Fatalf("updatedAt %v: %v", c["updatedAt"], err)
	}
	for !time.Now().After(ts.Add(time.Millisecond)) {
		time.Sleep(time.Millisecond)
	}
}

func TestLookupPhoneForms(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["contacts:read"]
		us := e.create("A", map[string]any{"firstName": "Uma", "lastName": "States",
			"phones": []any{map[string]any{"number": "+1 415 555 2671", "type": "work"}}})
		gb := e.create("A", map[string]any{"firstName": "Giles", "lastName": "Brit",
			"phones": []any{map[string]any{"number": "+44 20 7946 0000"}}})
		// A decoy with a number that differs in one digit.
		e.create("A", map[string]any{"firstName": "Decoy", "phones": []any{map[string]any{"number": "+1 415 555 2672"}}})
		if got := jObj(jList(us["phones"])[0])["e164"]; got != "+14155552671" {
			t.Fatalf("stored e164 %v", got)
		}
		usPhone := phoneID(t, us, "+14155552671")
		gbPhone := phoneID(t, gb, "+442079460000")

		cases := []struct {
			phone, region string
			want          map[string]any
			phoneID       string
		}{
			{"+14155552671", "", us, usPhone},
			{"(415) 555-2671", "", us, usPhone},
			{"415.555.2671", "", us, usPhone},
			{"415 555 2671", "", us, usPhone},
			{"1-415-555-2671", "", us, usPhone},
			{"14155552671", "", us, usPhone},
			{"+1 (415) 555-2671", "", us, usPhone},
			{"011 1 415 555 2671", "", us, usPhone},
			{"  +14155552671  ", "", us, usPhone},
			{"tel:+1-415-555-2671", "", us, usPhone},
			{"tel:+14155552671;ext=12", "", us, usPhone},
			{"TEL:+14155552671", "", us, usPhone},
			{"+1 415 555 2671 ext. 99", "", us, usPhone},
			{"415-555-2671 x99", "", us, usPhone},
			{"sip:+14155552671@pbx.example.com;user=phone", "", us, usPhone},
			{"<sip:4155552671@10.0.0.1>", "", us, usPhone},
			{"sips:+14155552671@pbx.example.com", "", us, usPhone},
			{"+14155552671", "GB", us, usPhone}, // international ignores the region
			{"020 7946 0000", "GB", gb, gbPhone},
			{"020 7946 0000", "gb", gb, gbPhone},
			{"00 44 20 7946 0000", "DE", gb, gbPhone},
			{"+44 20 7946 0000", "", gb, gbPhone},
			{"011 44 20 7946 0000", "", gb, gbPhone},
			{"tel:+44-20-7946-0000", "", gb, gbPhone},
		}
		for _, tc := range cases {
			t.Run(tc.phone+"/"+tc.region, func(t *testing.T) {
				t.Parallel()
				e := e.withTest(t)
				kv := []string{"phone", tc.phone}
				if tc.region != "" {
					kv = append(kv, "region", tc.region)
				}
				a := e.lookup(tok, kv...)
				if a.Match != "exact" || len(a.Data) != 1 {
					t.Fatalf("match %q with %v, want exact with %v", a.Match, answerIDs(a), tc.want["id"])
				}
				item := a.Data[0]
				if item["id"] != tc.want["id"] || item["displayName"] != tc.want["displayName"] {
					t.Errorf("found %v %v, want %v", item["id"], item["displayName"], tc.want["id"])
				}
				if got := matched(t, item); !slices.Equal(got, []string{tc.phoneID}) {
					t.Errorf("matchedEntries %v, want [%s]", got, tc.phoneID)
				}
				if len(jList(item["phones"])) != 1 || item["version"] != 1.0 {
					t.Errorf("the item is not the whole contact: %v", item)
				}
			})
		}
	})
}

func TestLookupReadYourWrites(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		all := e.tokens["A"]["all"]
		read := e.tokens["A"]["contacts:read"]
		for i := range 5 {
			num := "+1 628 555 010" + string(rune('0'+i))
			c := e.create("A", map[string]any{"firstName": "Fresh", "phone": num})
			a := e.lookup(read, "phone", num)
			if a.Match != "exact" || len(a.Data) != 1 || a.Data[0]["id"] != c["id"] {
				t.Fatalf("lookup right after create: %q %v, want exact %v", a.Match, answerIDs(a), c["id"])
			}
		}

		// A changed number is found at once under its new value only.
		c := e.create("A", map[string]any{"firstName": "Mover", "phone": "+1 628 555 0200"})
		id := jStr(c["id"])
		r := e.do("PATCH", "/v1/contacts/"+id, all, map[string]any{"phones": []any{map[string]any{"number": "+1 628 555 0201"}}})
		wantStatus(t, r, http.StatusOK)
		if a := e.lookup(read, "phone", "+16285550200"); a.Match != "none" || len(a.Data) != 0 {
			t.Errorf("old number after PATCH: %q %v, want none", a.Match, answerIDs(a))
		}
		if a := e.lookup(read, "phone", "+16285550201"); a.Match != "exact" || a.Data[0]["id"] != id || a.Data[0]["version"] != 2.0 {
			t.Errorf("new number after PATCH: %q %v", a.Match, answerIDs(a))
		}
		// A phone added through the sub-entry endpoint is found at once.
		r = e.do("POST", "/v1/contacts/"+id+"/phones", all, map[string]any{"number": "+1 628 555 0202"})
		wantStatus(t, r, http.StatusCreated)
		a := e.lookup(read, "phone", "(628) 555-0202")
		if a.Match != "exact" || a.Data[0]["id"] != id {
			t.Fatalf("added phone: %q %v", a.Match, answerIDs(a))
		}
		if got := matched(t, a.Data[0]); !slices.Equal(got, []string{phoneID(t, r.json(t), "+16285550202")}) {
			t.Errorf("matchedEntries %v", got)
		}
	})
}

func TestLookupAmbiguousOrder(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		all := e.tokens["A"]["all"]
		const shared = "+12125550101"
		other := func(n string) map[string]any { return map[string]any{"number": n} }

		// Z and X have the shared number as a secondary phone; P and P2 as
		// their primary. Z is created first but updated last.
		z := e.create("A", map[string]any{"firstName": "Zed", "phones": []any{other("+12125550199"), other(shared)}})
		laterThan(t, z)
		p := e.create("A", map[string]any{"firstName": "Pam", "phones": []any{other(shared)}})
		laterThan(t, p)
		x := e.create("A", map[string]any{"firstName": "Xan", "phones": []any{other("+12125550198"), other("212-555-0101")}})
		laterThan(t, x)
		p2 := e.create("A", map[string]any{"firstName": "Pia", "phones": []any{other("+12125550197"), map[string]any{"number": shared, "primary": true}}})
		laterThan(t, p2)
		r := e.do("PATCH", "/v1/contacts/"+jStr(z["id"]), all, map[string]any{"nickName": "Zee"})
		wantStatus(t, r, http.StatusOK)
		z = r.json(t)
		// An unrelated contact and a deleted one with the number never match.
		e.create("A", map[string]any{"firstName": "Nope", "phone": "+12125550102"})
		d := e.create("A", map[string]any{"firstName": "Del", "phones": []any{other(shared)}})
		wantStatus(t, e.do("DELETE", "/v1/contacts/"+jStr(d["id"]), all, nil), http.StatusNoContent)

		a := e.lookup(e.tokens["A"]["contacts:read"], "phone", "(212) 555-0101")
		if a.Match != "ambiguous" {
			t.Errorf("match %q, want ambiguous", a.Match)
		}
		want := []string{jStr(p2["id"]), jStr(p["id"]), jStr(z["id"]), jStr(x["id"])}
		if got := answerIDs(a); !slices.Equal(got, want) {
			t.Fatalf("order %v, want %v (Pia, Pam: primary, most recent first; then Zed, Xan: most recently updated first)", got, want)
		}
		for i, c := range []map[string]any{p2, p, z, x} {
			if got := matched(t, a.Data[i]); !slices.Equal(got, []string{phoneID(t, c, shared)}) {
				t.Errorf("%v: matchedEntries %v, want the shared phone only", c["firstName"], got)
			}
		}
		if a.Data[2]["nickName"] != "Zee" {
			t.Errorf("the lookup does not return the current version of Zed: %v", a.Data[2])
		}
	})
}

func TestLookupDeletedAndBlocked(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		all := e.tokens["A"]["all"]
		read := e.tokens["A"]["contacts:read"]

		d := e.create("A", map[string]any{"firstName": "Gone", "phone": "+13105550100", "email": "gone@example.com", "externalId": "crm-gone"})
		did := jStr(d["id"])
		wantStatus(t, e.do("DELETE", "/v1/contacts/"+did, all, nil), http.StatusNoContent)
		for _, kv := range [][]string{{"phone", "+13105550100"}, {"email", "gone@example.com"}, {"externalId", "crm-gone"}} {
			if a := e.lookup(read, kv...); a.Match != "none" || len(a.Data) != 0 {
				t.Errorf("deleted contact by %s: %q %v, want none", kv[0], a.Match, answerIDs(a))
			}
		}
		// A live contact with the same number is found alone.
		l := e.create("A", map[string]any{"firstName": "Live", "phone": "+13105550100"})
		if a := e.lookup(read, "phone", "+13105550100"); a.Match != "exact" || !slices.Equal(answerIDs(a), []string{jStr(l["id"])}) {
			t.Errorf("with a deleted twin: %q %v, want exact %v", a.Match, answerIDs(a), l["id"])
		}
		// Restored, it is found again.
		wantStatus(t, e.do("POST", "/v1/contacts/"+did+"/restore", all, nil), http.StatusOK)
		if a := e.lookup(read, "phone", "+13105550100"); a.Match != "ambiguous" || len(a.Data) != 2 {
			t.Errorf("after restore: %q %v, want both", a.Match, answerIDs(a))
		}

		bl := e.create("A", map[string]any{"firstName": "Robo", "phone": "+13105550111"})
		r := e.do("POST", "/v1/contacts/"+jStr(bl["id"])+"/block", all, map[string]any{"reason": "robocaller"})
		wantStatus(t, r, http.StatusOK)
		blocked := r.json(t)
		a := e.lookup(read, "phone", "310-555-0111")
		if a.Match != "exact" || len(a.Data) != 1 || a.Data[0]["id"] != bl["id"] {
			t.Fatalf("blocked contact: %q %v, want exact", a.Match, answerIDs(a))
		}
		it := a.Data[0]
		if jStr(it["blockedAt"]) == "" || it["blockedAt"] != blocked["blockedAt"] || it["blockReason"] != "robocaller" || it["blockedBy"] != "user-A" {
			t.Errorf("blocked item lacks its block fields: %v", it)
		}
		// Unblocked, the fields are gone from the lookup at once.
		wantStatus(t, e.do("DELETE", "/v1/contacts/"+jStr(bl["id"])+"/block", all, nil), http.StatusOK)
		it = e.lookup(read, "phone", "310-555-0111").Data[0]
		if _, ok := it["blockedAt"]; ok {
			t.Errorf("unblocked item still has blockedAt: %v", it)
		}
	})
}

func TestLookupNoneAndErrors(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		read := e.tokens["A"]["contacts:read"]
		e.create("A", map[string]any{"firstName": "Someone", "phone": "+14155552671", "email": "someone@example.com"})

		r := e.do("GET", lookupPath("phone", "+14155550000"), read, nil)
		wantStatus(t, r, http.StatusOK)
		if got := strings.Join(strings.Fields(string(r.body)), ""); got != `{"match":"none","data":[]}` {
			t.Errorf("unknown number: %s, want {\"match\":\"none\",\"data\":[]}", r.body)
		}
		// (Digits that are no number may be a fully qualified extension:
		// none has 12.)
		for _, kv := range [][]string{{"email", "nobody@example.com"}, {"externalId", "nothing"}, {"phone", "+442079460001"}, {"phone", "12"}} {
			if a := e.lookup(read, kv...); a.Match != "none" || len(a.Data) != 0 {
				t.Errorf("%v: %q %v, want none", kv, a.Match, answerIDs(a))
			}
		}

		cases := []struct {
			kv  []string
			loc string
		}{
			{[]string{"phone", "hello"}, "query.phone"},
			{[]string{"phone", "+"}, "query.phone"},
			{[]string{"phone", "sip:alice@example.com"}, "query.phone"},
			{[]string{"phone", strings.Repeat("1", 300)}, "query.phone"},
			{[]string{"phone", "+14155552671", "region", "ZZ"}, "query.region"},
			{[]string{"phone", "+14155552671", "region", "USA"}, "query.region"},
			{[]string{"phone", "4155552671", "region", "1"}, "query.region"},
			{nil, "query.phone"},
			{[]string{"region", "US"}, "query.phone"},
			{[]string{"phone", "private-ish"}, "query.phone"},
			{[]string{"phone", "anonymous 1"}, "query.phone"},
			{[]string{"phone", "---"}, "query.phone"},
			{[]string{"email", " "}, "query.phone"},
		}
		for _, tc := range cases {
			requireProblem(t, e.do("GET", lookupPath(tc.kv...), read, nil), http.StatusBadRequest, tc.loc)
		}
		// Several keys: each given one is named.
		for _, kv := range [][]string{
			{"phone", "+14155552671", "email", "someone@example.com"},
			{"email", "someone@example.com", "externalId", "x"},
			{"phone", "+14155552671", "externalId", "x"},
			{"phone", "+14155552671", "email", "a@b.c", "externalId", "x"},
		} {
			r := e.do("GET", lookupPath(kv...), read, nil)
			p := requireProblem(t, r, http.StatusBadRequest, "query."+kv[0])
			for i := 0; i < len(kv); i += 2 {
				if !hasLocation(p, "query."+kv[i]) {
					t.Errorf("%v: no error at query.%s: %s", kv, kv[i], r.body)
				}
			}
			if !strings.Contains(jStr(p["detail"]), "exactly one") {
				t.Errorf("%v: detail %q does not say what to do", kv, p["detail"])
			}
		}
		// A blank key next to a real one counts as absent.
		if a := e.lookup(read, "phone", " ", "email", "someone@example.com"); a.Match != "exact" {
			t.Errorf("blank phone with an email: %q %v, want exact", a.Match, answerIDs(a))
		}
		if a := e.lookup(read, "phone", "+14155552671", "email", "", "externalId", "  "); a.Match != "exact" {
			t.Errorf("phone with blank email and externalId: %q %v, want exact", a.Match, answerIDs(a))
		}
		// A withheld caller, as phone systems hand it over, matches nobody
		// and says why; it is no error.
		for _, v := range []string{"anonymous", "Anonymous", "Restricted", "RESTRICTED", "Unavailable", "unknown",
			"private", "Private Number", "WITHHELD", "sip:anonymous@anonymous.invalid", "<sip:Anonymous@192.0.2.1>",
			"P", "O", "", "  "} {
			r := e.do("GET", lookupPath("phone", v), read, nil)
			wantStatus(t, r, http.StatusOK)
			if got := strings.Join(strings.Fields(string(r.body)), ""); got != `{"match":"none","data":[],"reason":"withheld"}` {
				t.Errorf("phone=%q: %s", v, r.body)
			}
		}
		if r := e.do("GET", lookupPath("phone", "", "email", ""), read, nil); !strings.Contains(string(r.body), `"withheld"`) {
			t.Errorf("an empty caller beside an empty email: %d %s", r.status, r.body)
		}
		// Needs contacts:read.
		requireProblem(t, e.do("GET", lookupPath("phone", "anonymous"), e.tokens["A"]["contacts:write"], nil), http.StatusForbidden, "")
		requireProblem(t, e.do("GET", lookupPath("phone", "+14155552671"), e.tokens["A"]["contacts:write"], nil), http.StatusForbidden, "")
		requireProblem(t, e.do("GET", lookupPath("phone", "+14155552671"), "", nil), http.StatusUnauthorized, "")
	})
}

func TestLookupEmailAndExternalID(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		read := e.tokens["A"]["contacts:read"]
		c := e.create("A", map[string]any{"firstName": "Eve", "emails": []any{
			map[string]any{"address": "eve@work.example.com"}, map[string]any{"address": "Eve.Home@Example.com"}},
			"externalId": "CRM-42/ü"})
		e.create("A", map[string]any{"firstName": "Other", "email": "other@example.com", "externalId": "crm-42/ü"})
		var homeID string
		for _, em := range jList(c["emails"]) {
			if m := jObj(em); m["address"] == "eve.home@example.com" {
				homeID = jStr(m["id"])
			}
		}
		if homeID == "" {
			t.Fatalf("emails %v", c["emails"])
		}
		for _, addr := range []string{"eve.home@example.com", "EVE.HOME@EXAMPLE.COM", " Eve.Home@example.com "} {
			a := e.lookup(read, "email", addr)
			if a.Match != "exact" || len(a.Data) != 1 || a.Data[0]["id"] != c["id"] {
				t.Fatalf("email %q: %q %v", addr, a.Match, answerIDs(a))
			}
			if got := matched(t, a.Data[0]); !slices.Equal(got, []string{homeID}) {
				t.Errorf("email %q: matchedEntries %v, want [%s]", addr, got, homeID)
			}
		}
		a := e.lookup(read, "externalId", "CRM-42/ü")
		if a.Match != "exact" || len(a.Data) != 1 || a.Data[0]["id"] != c["id"] {
			t.Fatalf("externalId: %q %v", a.Match, answerIDs(a))
		}
		if got := matched(t, a.Data[0]); len(got) != 0 {
			t.Errorf("externalId: matchedEntries %v, want []", got)
		}
		// External ids are case-sensitive: the other contact's id differs in case only.
		if a := e.lookup(read, "externalId", "crm-42/Ü"); a.Match != "none" {
			t.Errorf("externalId in another case: %q %v, want none", a.Match, answerIDs(a))
		}
		// Prefixes of an email do not match.
		if a := e.lookup(read, "email", "eve.home@example"); a.Match != "none" {
			t.Errorf("email prefix: %q %v, want none", a.Match, answerIDs(a))
		}
	})
}

func TestLookupTenantIsolation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		e.create("A", map[string]any{"firstName": "Alice", "phone": "+14155552671", "email": "alice@example.com", "externalId": "crm-a"})
		e.create("A", map[string]any{"firstName": "Amos", "phone": "+14155550001", "email": "amos@example.com", "externalId": "crm-shared"})
		bob := e.create("B", map[string]any{"firstName": "Bob", "phone": "+14155550001", "email": "amos@example.com", "externalId": "crm-shared"})
		for _, scope := range []string{"all", "contacts:read"} {
			tokB := e.tokens["B"][scope]
			for _, kv := range [][]string{{"phone", "+14155552671"}, {"phone", "(415) 555-2671"}, {"email", "alice@example.com"}, {"externalId", "crm-a"}} {
				if a := e.lookup(tokB, kv...); a.Match != "none" || len(a.Data) != 0 {
					t.Errorf("B finds A's contact by %v: %q %v", kv, a.Match, answerIDs(a))
				}
			}
			// Where both tenants hold the key, B finds its own contact only.
			for _, kv := range [][]string{{"phone", "+14155550001"}, {"email", "amos@example.com"}, {"externalId", "crm-shared"}} {
				a := e.lookup(tokB, kv...)
				if a.Match != "exact" || !slices.Equal(answerIDs(a), []string{jStr(bob["id"])}) {
					t.Errorf("B by %v: %q %v, want exact %v", kv, a.Match, answerIDs(a), bob["id"])
				}
			}
		}
		// And A likewise finds only its own.
		a := e.lookup(e.tokens["A"]["all"], "phone", "+14155550001")
		if a.Match != "exact" || a.Data[0]["firstName"] != "Amos" {
			t.Errorf("A by the shared phone: %q %v", a.Match, answerIDs(a))
		}
	})
}
