package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/storetest"
)

// listPage is a decoded list response.
type listPage struct {
	Data       []map[string]any `json:"data"`
	NextCursor *string          `json:"nextCursor"`
	Total      *int             `json:"total"`
	Limit      int              `json:"limit"`
	raw        map[string]any
}

func decodePage(t *testing.T, r resp) listPage {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	var p listPage
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("list page: %v: %s", err, r.body)
	}
	if p.Data == nil {
		t.Fatalf("list page without a data array: %s", r.body)
	}
	p.raw = r.json(t)
	return p
}

// list sends GET /v1/contacts with the given query parameters (alternating
// names and values).
func (e *env) list(token string, kv ...string) listPage {
	e.t.Helper()
	return decodePage(e.t, e.do("GET", listPath(kv...), token, nil))
}

func listPath(kv ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Add(kv[i], kv[i+1])
	}
	return "/v1/contacts?" + q.Encode()
}

// search sends POST /v1/contacts/search with a body.
func (e *env) search(token string, body map[string]any) listPage {
	e.t.Helper()
	return decodePage(e.t, e.do("POST", "/v1/contacts/search", token, body))
}

func pageIDs(p listPage) []string {
	out := []string{}
	for _, d := range p.Data {
		out = append(out, jStr(d["id"]))
	}
	return out
}

func sorted(ids []string) []string {
	out := slices.Clone(ids)
	sort.Strings(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// walk follows nextCursor from the first page of a GET list (kv are the
// parameters besides cursor) and returns every id in order, failing on a
// loop. between, if not nil, runs after each page.
func (e *env) walk(token string, between func(page int, p listPage), kv ...string) []string {
	e.t.Helper()
	var out []string
	cursor := ""
	for page := 0; ; page++ {
		if page > 200 {
			e.t.Fatalf("more than 200 pages: the cursor loops (%v)", kv)
		}
		args := kv
		if cursor != "" {
			args = append(slices.Clone(kv), "cursor", cursor)
		}
		p := e.list(token, args...)
		out = append(out, pageIDs(p)...)
		if between != nil {
			between(page, p)
		}
		if p.NextCursor == nil {
			return out
		}
		if *p.NextCursor == "" || *p.NextCursor == cursor {
			e.t.Fatalf("bad nextCursor %q after cursor %q", *p.NextCursor, cursor)
		}
		cursor = *p.NextCursor
	}
}

// listData is the data set of the list tests: contacts of tenants A and B
// by short name.
type listData struct {
	ids      map[string]string         // name → id
	contacts map[string]map[string]any // name → contact as last returned
	a, b     []string                  // names of live contacts in A, in B
}

func (d *listData) idsOf(names ...string) []string {
	out := []string{}
	for _, n := range names {
		id, ok := d.ids[n]
		if !ok {
			panic("unknown contact " + n)
		}
		out = append(out, id)
	}
	return sorted(out)
}

func (d *listData) names(ids []string) []string { return names(d.ids, ids) }

func (d *listData) time(name, field string) string { return jStr(d.contacts[name][field]) }

// seedLists creates the data set. Each write happens in a later millisecond
// than the previous one, so that times are distinct.
func seedLists(t *testing.T, e *env) *listData {
	t.Helper()
	d := &listData{ids: map[string]string{}, contacts: map[string]map[string]any{}}
	var last map[string]any
	add := func(tenant, name string, body map[string]any) {
		if last != nil {
			laterThan(t, last)
		}
		c := e.create(tenant, body)
		d.ids[name], d.contacts[name], last = jStr(c["id"]), c, c
		if tenant == "A" {
			d.a = append(d.a, name)
		} else {
			d.b = append(d.b, name)
		}
	}
	ph := func(n string) map[string]any { return map[string]any{"number": n} }
	em := func(a string) map[string]any { return map[string]any{"address": a} }
	add("A", "zoe", map[string]any{
		"firstName": "Zoë", "lastName": "Adams", "company": "Acme Corp", "department": "Sales", "jobTitle": "CEO",
		"status": "vip", "ownerId": "u1", "externalId": "crm-1", "tags": []any{"VIP", "Enterprise"},
		"phones": []any{ph("+14155552671"), map[string]any{"number": "+1 415 555 0199", "type": "work"}},
		"emails": []any{em("zoe@acme.com")},
		"addresses": []any{
			map[string]any{"city": "Paris", "country": "FR", "state": "IDF", "postalCode": "75001"},
			map[string]any{"city": "Lyon", "country": "FR"}},
		"properties": map[string]any{"tier": 2, "plan": "gold", "active": true, "score": 9.5,
			"nested": map[string]any{"level": "deep", "n": 3}},
	})
	add("A", "jordan", map[string]any{
		"firstName": "Jordan", "lastName": "Kline", "company": "Globex", "status": "active", "ownerId": "u2",
		"tags": []any{"vip"}, "phones": []any{ph("(480) 555-1212")}, "emails": []any{em("Jordan@Globex.com")},
		"addresses":  []any{map[string]any{"city": "Berlin", "country": "DE"}},
		"properties": map[string]any{"tier": "2", "plan": "silver", "active": false},
		"doNotCall":  true, "emailOptOut": true,
	})
	add("A", "initech", map[string]any{
		"kind": "organization", "company": "Initech", "status": "active", "tags": []any{"partner"},
		"phones":     []any{ph("+44 20 7946 0000")},
		"addresses":  []any{map[string]any{"city": "London", "country": "GB"}},
		"properties": map[string]any{"tier": 5, "nested": map[string]any{"level": "shallow"}},
		"smsOptOut":  true,
	})
	add("A", "emile", map[string]any{
		"firstName": "Émile", "lastName": "Zola", "externalId": "crm-4",
		"emails":     []any{em("emile@zola.fr"), em("e.zola@work.fr")},
		"properties": map[string]any{"tier": 1, "plan": nil},
	})
	add("A", "ann", map[string]any{"firstName": "Ann", "lastName": "Blocked", "phones": []any{ph("+14155550000")}})
	add("A", "dee", map[string]any{"firstName": "Dee", "lastName": "Leted", "tags": []any{"VIP"},
		"emails": []any{em("dee@deleted.com")}, "phones": []any{ph("+14155552671")}, "properties": map[string]any{"tier": 2}})
	add("A", "bob", map[string]any{"firstName": "bob", "lastName": "adams", "tags": []any{"Enterprise", "Partner"},
		"properties": map[string]any{"tier": 10, "plan": "Gold"}})
	add("B", "bzoe", map[string]any{"firstName": "Zoë", "lastName": "Adams", "tags": []any{"VIP", "partner"},
		"phones": []any{ph("+14155552671")}, "emails": []any{em("zoe@acme.com")}, "externalId": "crm-1",
		"addresses": []any{map[string]any{"city": "Paris"}}, "properties": map[string]any{"tier": 2}})
	add("B", "bjordan", map[string]any{"firstName": "Jordan", "lastName": "Kline", "emails": []any{em("jordan@globex.com")},
		"phones": []any{ph("+14805551212")}, "tags": []any{"enterprise"}})

	tok := e.tokens["A"]["all"]
	laterThan(t, last)
	r := e.do("POST", "/v1/contacts/"+d.ids["ann"]+"/block", tok, map[string]any{"reason": "spam"})
	wantStatus(t, r, http.StatusOK)
	d.contacts["ann"] = r.json(t)
	laterThan(t, d.contacts["ann"])
	wantStatus(t, e.do("DELETE", "/v1/contacts/"+d.ids["dee"], tok, nil), http.StatusNoContent)
	d.a = slices.DeleteFunc(d.a, func(n string) bool { return n == "dee" })
	return d
}

func TestListFilters(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		d := seedLists(t, e)
		tokA := e.tokens["A"]["contacts:read"]
		tokB := e.tokens["B"]["contacts:read"]
		live := d.a // zoe jordan initech emile ann bob
		except := func(names ...string) []string {
			return slices.DeleteFunc(slices.Clone(live), func(n string) bool { return slices.Contains(names, n) })
		}
		cases := []struct {
			filter         string
			want           []string
			includeDeleted bool
		}{
			// Strings compare exactly, bytewise.
			{`{"firstName":"Zoë"}`, []string{"zoe"}, false},
			{`{"firstName":"zoë"}`, nil, false},
			{`{"firstName":{"$eq":"Zoë"}}`, []string{"zoe"}, false},
			{`{"firstName":{"$ne":"Zoë"}}`, except("zoe"), false},
			{`{"firstName":{"$in":["Jordan","bob","Nobody"]}}`, []string{"jordan", "bob"}, false},
			{`{"firstName":{"$nin":["Jordan","bob"]}}`, []string{"zoe", "initech", "emile", "ann"}, false},
			{`{"firstName":{"$exists":false}}`, []string{"initech"}, false},
			{`{"firstName":null}`, []string{"initech"}, false},
			{`{"firstName":{"$ne":null}}`, except("initech"), false},
			{`{"lastName":{"$exists":true}}`, except("initech"), false},
			{`{"lastName":{"$gt":"Kline"}}`, []string{"emile", "bob"}, false},
			{`{"lastName":{"$gte":"Kline"}}`, []string{"jordan", "emile", "bob"}, false},
			{`{"lastName":{"$lt":"Blocked"}}`, []string{"zoe", "initech"}, false},
			{`{"lastName":{"$lte":"Blocked"}}`, []string{"zoe", "initech", "ann"}, false},
			{`{"lastName":{"$prefix":"Ad"}}`, []string{"zoe"}, false},
			{`{"lastName":{"$prefix":"ad"}}`, []string{"bob"}, false},
			{`{"firstName":{"$prefix":"Ém"}}`, []string{"emile"}, false},
			{`{"company":{"$contains":"ec"}}`, []string{"initech"}, false},
			{`{"company":{"$contains":"e"}}`, []string{"zoe", "jordan", "initech"}, false},
			{`{"company":{"$contains":"E"}}`, nil, false},
			{`{"displayName":"Initech"}`, []string{"initech"}, false},
			{`{"displayName":{"$prefix":"Zo"}}`, []string{"zoe"}, false},
			{`{"department":"Sales"}`, []string{"zoe"}, false},
			{`{"jobTitle":{"$prefix":"CE"}}`, []string{"zoe"}, false},
			{`{"status":{"$in":["vip","active"]}}`, []string{"zoe", "jordan", "initech"}, false},
			{`{"status":{"$exists":false}}`, []string{"emile", "ann", "bob"}, false},
			{`{"ownerId":"u2"}`, []string{"jordan"}, false},
			{`{"accountId":{"$exists":false}}`, live, false},
			{`{"accountId":{"$exists":true}}`, nil, false},
			{`{"externalId":"crm-4"}`, []string{"emile"}, false},
			{`{"externalId":{"$exists":true}}`, []string{"zoe", "emile"}, false},
			{`{"externalId":{"$ne":"crm-1"}}`, except("zoe"), false},
			{`{"externalId":{"$prefix":"crm-"}}`, []string{"zoe", "emile"}, false},
			{fmt.Sprintf(`{"id":%q}`, d.ids["jordan"]), []string{"jordan"}, false},
			{fmt.Sprintf(`{"id":{"$in":[%q,%q,%q]}}`, d.ids["zoe"], d.ids["dee"], d.ids["bzoe"]), []string{"zoe"}, false},
			{fmt.Sprintf(`{"id":{"$in":[%q,%q]}}`, d.ids["zoe"], d.ids["dee"]), []string{"zoe", "dee"}, true},
			// Enums.
			{`{"kind":"organization"}`, []string{"initech"}, false},
			{`{"kind":{"$ne":"organization"}}`, except("initech"), false},
			{`{"kind":{"$in":["person"]}}`, except("initech"), false},
			{`{"kind":{"$nin":["person","organization"]}}`, nil, false},
			{`{"kind":{"$exists":true}}`, live, false},
			{`{"contactType":"company"}`, live, false},
			{`{"contactType":{"$in":["corporate","service"]}}`, nil, false},
			{`{"source":"api"}`, live, false},
			{`{"source":{"$ne":"api"}}`, nil, false},
			// Booleans.
			{`{"doNotCall":true}`, []string{"jordan"}, false},
			{`{"doNotCall":{"$eq":false}}`, except("jordan"), false},
			{`{"doNotCall":{"$ne":true}}`, except("jordan"), false},
			{`{"doNotCall":{"$exists":true}}`, live, false},
			{`{"emailOptOut":true}`, []string{"jordan"}, false},
			{`{"smsOptOut":true}`, []string{"initech"}, false},
			{`{"blocked":true}`, []string{"ann"}, false},
			{`{"blocked":false}`, except("ann"), false},
			{`{"unknown":false}`, live, false},
			{`{"unknown":true}`, nil, false},
			// Times.
			{fmt.Sprintf(`{"createdAt":{"$gte":%q}}`, d.time("emile", "createdAt")), []string{"emile", "ann", "bob"}, false},
			{fmt.Sprintf(`{"createdAt":{"$gt":%q}}`, d.time("emile", "createdAt")), []string{"ann", "bob"}, false},
			{fmt.Sprintf(`{"createdAt":{"$lt":%q}}`, d.time("jordan", "createdAt")), []string{"zoe"}, false},
			{fmt.Sprintf(`{"createdAt":{"$lte":%q}}`, d.time("jordan", "createdAt")), []string{"zoe", "jordan"}, false},
			{fmt.Sprintf(`{"createdAt":%q}`, d.time("initech", "createdAt")), []string{"initech"}, false},
			{fmt.Sprintf(`{"createdAt":{"$ne":%q}}`, d.time("initech", "createdAt")), except("initech"), false},
			{fmt.Sprintf(`{"updatedAt":{"$gt":%q}}`, d.time("bob", "updatedAt")), []string{"ann"}, false},
			{fmt.Sprintf(`{"updatedAt":{"$gt":%q}}`, d.time("bob", "updatedAt")), []string{"ann", "dee"}, true},
			{`{"createdAt":{"$gt":"2000-01-01T00:00:00+02:00"}}`, live, false},
			{`{"createdAt":{"$exists":true}}`, live, false},
			{`{"deletedAt":{"$exists":true}}`, nil, false},
			{`{"deletedAt":{"$exists":true}}`, []string{"dee"}, true},
			{`{"deletedAt":null}`, live, true},
			{`{"deletedAt":{"$gt":"2000-01-01T00:00:00Z"}}`, []string{"dee"}, true},
			// Tags: case-insensitive, $eq means contains.
			{`{"tags":"vip"}`, []string{"zoe", "jordan"}, false},
			{`{"tags":"VIP"}`, []string{"zoe", "jordan"}, false},
			{`{"tags":"vip"}`, []string{"zoe", "jordan", "dee"}, true},
			{`{"tags":{"$ne":"vip"}}`, []string{"initech", "emile", "ann", "bob"}, false},
			{`{"tags":{"$in":["PARTNER","nope"]}}`, []string{"initech", "bob"}, false},
			{`{"tags":{"$nin":["vip","partner"]}}`, []string{"emile", "ann"}, false},
			{`{"tags":{"$all":["enterprise","Vip"]}}`, []string{"zoe"}, false},
			{`{"tags":{"$all":["enterprise"]}}`, []string{"zoe", "bob"}, false},
			{`{"tags":{"$exists":false}}`, []string{"emile", "ann"}, false},
			{`{"tags":{"$exists":true}}`, []string{"zoe", "jordan", "initech", "bob"}, false},
			{`{"tags":null}`, []string{"emile", "ann"}, false},
			{`{"tags":"vi"}`, nil, false},
			// Segments (no segment has members yet).
			{`{"segments":{"$exists":false}}`, live, false},
			{`{"segments":"seg_none"}`, nil, false},
			{`{"segments":{"$nin":["seg_none"]}}`, live, false},
			// Phones: values are normalized.
			{`{"phones":"(415) 555-2671"}`, []string{"zoe"}, false},
			{`{"phones":"+14155552671"}`, []string{"zoe"}, false},
			{`{"phones":"tel:+1-415-555-2671"}`, []string{"zoe"}, false},
			{`{"phones":"+14155552671"}`, []string{"zoe", "dee"}, true},
			{`{"phones":{"$eq":"480.555.1212"}}`, []string{"jordan"}, false},
			{`{"phones":{"$in":["+44 20 7946 0000","1-480-555-1212"]}}`, []string{"jordan", "initech"}, false},
			{`{"phones":{"$nin":["4155552671"]}}`, except("zoe"), false},
			{`{"phones":{"$ne":"+1 415 555 2671"}}`, except("zoe"), false},
			{`{"phones":{"$all":["+14155552671","415-555-0199"]}}`, []string{"zoe"}, false},
			{`{"phones":{"$all":["+14155552671","+14805551212"]}}`, nil, false},
			{`{"phones":{"$exists":false}}`, []string{"emile", "bob"}, false},
			{`{"phones":"+14155552672"}`, nil, false},
			// Emails: lower-cased; $prefix.
			{`{"emails":"ZOE@acme.com"}`, []string{"zoe"}, false},
			{`{"emails":"jordan@globex.com"}`, []string{"jordan"}, false},
			{`{"emails":{"$prefix":"e"}}`, []string{"emile"}, false},
			{`{"emails":{"$prefix":"Jordan@"}}`, []string{"jordan"}, false},
			{`{"emails":{"$in":["jordan@globex.com","dee@deleted.com"]}}`, []string{"jordan"}, false},
			{`{"emails":{"$nin":["zoe@acme.com","emile@zola.fr"]}}`, []string{"jordan", "initech", "ann", "bob"}, false},
			{`{"emails":{"$ne":"e.zola@work.fr"}}`, except("emile"), false},
			{`{"emails":{"$all":["emile@zola.fr","E.Zola@work.fr"]}}`, []string{"emile"}, false},
			{`{"emails":{"$all":["emile@zola.fr","zoe@acme.com"]}}`, nil, false},
			{`{"emails":{"$exists":false}}`, []string{"initech", "ann", "bob"}, false},
			// Addresses: any address.
			{`{"address.city":"Lyon"}`, []string{"zoe"}, false},
			{`{"address.city":"Paris"}`, []string{"zoe"}, false},
			{`{"address.city":"paris"}`, nil, false},
			{`{"address.city":{"$ne":"Paris"}}`, except("zoe"), false},
			{`{"address.city":{"$in":["Berlin","London"]}}`, []string{"jordan", "initech"}, false},
			{`{"address.city":{"$nin":["Paris","Berlin"]}}`, []string{"initech", "emile", "ann", "bob"}, false},
			{`{"address.city":{"$exists":false}}`, []string{"emile", "ann", "bob"}, false},
			{`{"address.city":{"$exists":true}}`, []string{"zoe", "jordan", "initech"}, false},
			{`{"address.city":{"$prefix":"L"}}`, []string{"zoe", "initech"}, false},
			{`{"address.city":{"$contains":"erl"}}`, []string{"jordan"}, false},
			{`{"address.city":{"$gt":"M"}}`, []string{"zoe"}, false},
			{`{"address.city":{"$lte":"Berlin"}}`, []string{"jordan"}, false},
			{`{"address.city":"Lyon","address.country":"FR"}`, []string{"zoe"}, false},
			{`{"address.country":"FR"}`, []string{"zoe"}, false},
			{`{"address.country":{"$in":["DE","GB"]}}`, []string{"jordan", "initech"}, false},
			{`{"address.state":"IDF"}`, []string{"zoe"}, false},
			{`{"address.postalCode":{"$gte":"75000"}}`, []string{"zoe"}, false},
			{`{"address.postalCode":{"$exists":true}}`, []string{"zoe"}, false},
			// Properties: compared by JSON type.
			{`{"properties.tier":2}`, []string{"zoe"}, false},
			{`{"properties.tier":2.0}`, []string{"zoe"}, false},
			{`{"properties.tier":"2"}`, []string{"jordan"}, false},
			{`{"properties.tier":{"$gt":2}}`, []string{"initech", "bob"}, false},
			{`{"properties.tier":{"$gte":2}}`, []string{"zoe", "initech", "bob"}, false},
			{`{"properties.tier":{"$lt":2}}`, []string{"emile"}, false},
			{`{"properties.tier":{"$lte":2}}`, []string{"zoe", "emile"}, false},
			{`{"properties.tier":{"$gt":1.5,"$lt":6}}`, []string{"zoe", "initech"}, false},
			{`{"properties.tier":{"$gt":"1"}}`, []string{"jordan"}, false},
			{`{"properties.tier":{"$in":[1,"2"]}}`, []string{"emile", "jordan"}, false},
			{`{"properties.tier":{"$nin":[1,2]}}`, []string{"jordan", "initech", "ann", "bob"}, false},
			{`{"properties.tier":{"$ne":2}}`, except("zoe"), false},
			{`{"properties.tier":{"$exists":true}}`, except("ann"), false},
			{`{"properties.tier":{"$exists":false}}`, []string{"ann"}, false},
			{`{"properties.tier":true}`, nil, false},
			{`{"properties.plan":null}`, []string{"emile"}, false},
			{`{"properties.plan":{"$exists":true}}`, []string{"zoe", "jordan", "emile", "bob"}, false},
			{`{"properties.plan":"gold"}`, []string{"zoe"}, false},
			{`{"properties.plan":{"$prefix":"g"}}`, []string{"zoe"}, false},
			{`{"properties.plan":{"$contains":"ol"}}`, []string{"zoe", "bob"}, false},
			{`{"properties.plan":{"$gt":"gold"}}`, []string{"jordan"}, false},
			{`{"properties.plan":{"$lt":"gold"}}`, []string{"bob"}, false},
			{`{"properties.plan":{"$gt":0}}`, nil, false},
			{`{"properties.plan":{"$lt":0}}`, nil, false},
			{`{"properties.active":true}`, []string{"zoe"}, false},
			{`{"properties.active":false}`, []string{"jordan"}, false},
			{`{"properties.active":"true"}`, nil, false},
			{`{"properties.active":1}`, nil, false},
			{`{"properties.active":{"$ne":true}}`, except("zoe"), false},
			{`{"properties.score":9.5}`, []string{"zoe"}, false},
			{`{"properties.score":{"$gt":9}}`, []string{"zoe"}, false},
			{`{"properties.score":{"$gt":9.5}}`, nil, false},
			{`{"properties.nested.level":"deep"}`, []string{"zoe"}, false},
			{`{"properties.nested.level":{"$in":["deep","shallow"]}}`, []string{"zoe", "initech"}, false},
			{`{"properties.nested.n":{"$gte":3}}`, []string{"zoe"}, false},
			{`{"properties.nested":{"$exists":true}}`, []string{"zoe", "initech"}, false},
			{`{"properties.nested":"deep"}`, nil, false},
			{`{"properties.missing":{"$exists":true}}`, nil, false},
			// Logic.
			{`{"$or":[{"status":"active"},{"doNotCall":true}]}`, []string{"jordan", "initech"}, false},
			{`{"$or":[{"firstName":"Zoë"},{"properties.tier":{"$lt":2}}]}`, []string{"zoe", "emile"}, false},
			{`{"$and":[{"tags":"vip"},{"properties.tier":{"$gte":2}}]}`, []string{"zoe"}, false},
			{`{"$not":{"tags":"vip"}}`, []string{"initech", "emile", "ann", "bob"}, false},
			{`{"$not":{"$or":[{"firstName":"Zoë"},{"company":"Globex"}]}}`, []string{"initech", "emile", "ann", "bob"}, false},
			{`{"$not":{"properties.tier":{"$gte":2}}}`, []string{"jordan", "emile", "ann"}, false},
			{`{"$not":{"properties.plan":{"$prefix":"g"}}}`, except("zoe"), false},
			{`{"$not":{"properties.active":true}}`, except("zoe"), false},
			{`{"$not":{"properties.nested.level":{"$in":["deep"]}}}`, except("zoe"), false},
			{`{"$not":{"$or":[{"properties.tier":{"$lt":2}},{"properties.plan":"gold"}]}}`, except("zoe", "emile"), false},
			{`{"$not":{"deletedAt":{"$gt":"2000-01-01T00:00:00Z"}}}`, live, true},
			{`{"$not":{"$not":{"properties.tier":{"$gte":2}}}}`, []string{"zoe", "initech", "bob"}, false},
			{`{"tags":{"$in":["vip","enterprise"]},"properties.tier":{"$gte":2},"$or":[{"status":"active"},{"doNotCall":false}]}`, []string{"zoe", "bob"}, false},
			{`{"$and":[{"$or":[{"kind":"organization"},{"lastName":"Zola"}]},{"$not":{"smsOptOut":true}}]}`, []string{"emile"}, false},
			{`{}`, live, false},
		}
		for _, tc := range cases {
			name := tc.filter
			if tc.includeDeleted {
				name += " includeDeleted"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				e := e.withTest(t)
				want := d.idsOf(tc.want...)
				kv := []string{"filter", tc.filter, "limit", "1000"}
				body := map[string]any{"filter": json.RawMessage(tc.filter), "limit": 1000}
				if tc.includeDeleted {
					kv = append(kv, "includeDeleted", "true")
					body["includeDeleted"] = true
				}
				p := e.list(tokA, kv...)
				if got := sorted(pageIDs(p)); !slices.Equal(got, want) {
					t.Errorf("GET: got %v, want %v", d.names(got), d.names(want))
				}
				if p.Total == nil || *p.Total != len(want) {
					t.Errorf("GET: total %v, want %d", p.raw["total"], len(want))
				}
				p = e.search(tokA, body)
				if got := sorted(pageIDs(p)); !slices.Equal(got, want) {
					t.Errorf("POST search: got %v, want %v", d.names(got), d.names(want))
				}
				// Tenant B never sees A's contacts, whatever the filter.
				for _, id := range pageIDs(e.list(tokB, kv...)) {
					if !slices.Contains(d.idsOf(d.b...), id) {
						t.Errorf("B's list with this filter includes %v", d.names([]string{id}))
					}
				}
			})
		}
	})
}

func TestListTenantIsolation(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		d := seedLists(t, e)
		tokB := e.tokens["B"]["all"]
		onlyB := d.idsOf(d.b...)
		if got := sorted(pageIDs(e.list(tokB, "limit", "1000", "includeDeleted", "true"))); !slices.Equal(got, onlyB) {
			t.Errorf("B's list: %v, want %v", d.names(got), d.names(onlyB))
		}
		if p := e.list(tokB); p.Total == nil || *p.Total != len(onlyB) {
			t.Errorf("B's total %v, want %d", p.raw["total"], len(onlyB))
		}
		// Filters naming only A's data find nothing in B.
		for _, f := range []string{
			`{"emails":"emile@zola.fr"}`, `{"phones":"+14155552671","tags":"enterprise"}`, `{"phones":"(480) 555-1212","lastName":"Adams"}`,
			`{"tags":"enterprise","firstName":"Zoë"}`, `{"externalId":"crm-4"}`, fmt.Sprintf(`{"id":%q}`, d.ids["zoe"]),
			`{"address.city":"Lyon"}`, `{"properties.tier":5}`, `{"company":"Initech"}`, `{"blocked":true}`,
		} {
			if p := e.list(tokB, "filter", f, "includeDeleted", "true"); len(p.Data) != 0 || *p.Total != 0 {
				t.Errorf("B with %s: %v", f, d.names(pageIDs(p)))
			}
			if p := e.search(tokB, map[string]any{"filter": json.RawMessage(f), "includeDeleted": true}); len(p.Data) != 0 {
				t.Errorf("B searching %s: %v", f, d.names(pageIDs(p)))
			}
		}
		// Filters matching both tenants' data find only B's.
		for f, want := range map[string][]string{
			`{"emails":"zoe@acme.com"}`:       {"bzoe"},
			`{"phones":"+14155552671"}`:       {"bzoe"},
			`{"phones":"+14805551212"}`:       {"bjordan"},
			`{"tags":"vip"}`:                  {"bzoe"},
			`{"externalId":"crm-1"}`:          {"bzoe"},
			`{"address.city":"Paris"}`:        {"bzoe"},
			`{"properties.tier":2}`:           {"bzoe"},
			`{"tags":{"$exists":true}}`:       {"bzoe", "bjordan"},
			`{"$not":{"firstName":"Nobody"}}`: {"bzoe", "bjordan"},
		} {
			if got := sorted(pageIDs(e.list(tokB, "filter", f, "includeDeleted", "true"))); !slices.Equal(got, d.idsOf(want...)) {
				t.Errorf("B with %s: %v, want %v", f, d.names(got), want)
			}
		}
		// A's cursor is no cursor of B's list: refused, naming it.
		p := e.list(e.tokens["A"]["all"], "limit", "1")
		if p.NextCursor == nil {
			t.Fatal("A's first page of one has no nextCursor")
		}
		requireProblem(t, e.do("GET", listPath("limit", "1000", "cursor", *p.NextCursor), tokB, nil), http.StatusBadRequest, "query.cursor")
	})
}

// sortableFields are the fields a list can be sorted by.
var sortableFields = []string{"id", "displayName", "firstName", "lastName", "company", "department", "jobTitle",
	"status", "ownerId", "kind", "createdAt", "updatedAt"}

// expectOrder sorts contacts the way the API must: bytewise by each key
// (times as times, absent strings as ""), then by id.
func expectOrder(cs []map[string]any, spec string) []string {
	type key struct {
		field string
		desc  bool
	}
	var keys []key
	for _, part := range strings.Split(spec, ",") {
		keys = append(keys, key{strings.TrimPrefix(part, "-"), strings.HasPrefix(part, "-")})
	}
	cs = slices.Clone(cs)
	cmpField := func(a, b map[string]any, f string) int {
		if f == "createdAt" || f == "updatedAt" {
			ta, _ := time.Parse(time.RFC3339Nano, jStr(a[f]))
			tb, _ := time.Parse(time.RFC3339Nano, jStr(b[f]))
			return ta.Compare(tb)
		}
		return bytes.Compare([]byte(jStr(a[f])), []byte(jStr(b[f])))
	}
	slices.SortStableFunc(cs, func(a, b map[string]any) int {
		for _, k := range keys {
			c := cmpField(a, b, k.field)
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
			if k.field == "id" {
				return 0
			}
		}
		// id breaks ties in the direction of the last key.
		c := strings.Compare(jStr(a["id"]), jStr(b["id"]))
		if keys[len(keys)-1].desc {
			c = -c
		}
		return c
	})
	out := []string{}
	for _, c := range cs {
		out = append(out, jStr(c["id"]))
	}
	return out
}

func TestListSortAndCursor(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		d := seedLists(t, e)
		tok := e.tokens["A"]["contacts:read"]
		// More rows with ties on every sort key, so that id breaks them.
		for i := range 5 {
			e.create("A", map[string]any{"firstName": "Tie", "lastName": "Same", "company": "Same Co", "status": "active",
				"ownerId": "u1", "jobTitle": "CEO", "department": "Sales", "tags": []any{fmt.Sprintf("t%d", i%2)}})
		}
		all := e.list(tok, "limit", "1000")
		if len(all.Data) != len(d.a)+5 {
			t.Fatalf("unpaged list has %d rows, want %d", len(all.Data), len(d.a)+5)
		}
		// The default order is by id.
		if got, want := pageIDs(all), expectOrder(all.Data, "id"); !slices.Equal(got, want) {
			t.Errorf("default order %v, want by id %v", got, want)
		}
		// Bytewise, on every backend: "" < "Ann" < … < "bob" < "Émile".
		p := e.list(tok, "sort", "firstName", "filter", `{"tags":{"$nin":["t0","t1"]}}`)
		if got, want := pageIDs(p), []string{d.ids["initech"], d.ids["ann"], d.ids["jordan"], d.ids["zoe"], d.ids["bob"], d.ids["emile"]}; !slices.Equal(got, want) {
			t.Errorf("sort=firstName: %v, want %v", d.names(got), d.names(want))
		}
		p = e.list(tok, "sort", "-lastName", "filter", `{"tags":{"$nin":["t0","t1"]}}`)
		if got, want := pageIDs(p), []string{d.ids["bob"], d.ids["emile"], d.ids["jordan"], d.ids["ann"], d.ids["zoe"], d.ids["initech"]}; !slices.Equal(got, want) {
			t.Errorf("sort=-lastName: %v, want %v", d.names(got), d.names(want))
		}

		var specs []string
		for _, f := range sortableFields {
			specs = append(specs, f, "-"+f)
		}
		specs = append(specs, "-status,lastName", "company,-firstName", "kind,-createdAt", "ownerId,-id", "+lastName", "-updatedAt,id")
		for _, spec := range specs {
			t.Run(spec, func(t *testing.T) {
				t.Parallel()
				e := e.withTest(t)
				want := expectOrder(all.Data, strings.ReplaceAll(spec, "+", ""))
				p := e.list(tok, "sort", spec, "limit", "1000")
				if got := pageIDs(p); !slices.Equal(got, want) {
					t.Fatalf("sort=%s: %v, want %v", spec, got, want)
				}
				// Keyset pages of two visit every row once, in the same order.
				if got := e.walk(tok, nil, "sort", spec, "limit", "2"); !slices.Equal(got, want) {
					t.Errorf("walking sort=%s by 2: %v, want %v", spec, got, want)
				}
				// The same through POST search, with the same cursors.
				var got []string
				body := map[string]any{"sort": spec, "limit": 3}
				for range 100 {
					p := e.search(tok, body)
					got = append(got, pageIDs(p)...)
					if p.NextCursor == nil {
						break
					}
					body["cursor"] = *p.NextCursor
				}
				if !slices.Equal(got, want) {
					t.Errorf("POST search walking sort=%s by 3: %v, want %v", spec, got, want)
				}
			})
		}
	})
}

func TestListCursorWhileInserting(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		for i := range 9 {
			e.create("A", map[string]any{"firstName": fmt.Sprintf("Pre%d", i), "lastName": fmt.Sprintf("M%d", i%4)})
		}
		before := pageIDs(e.list(tok, "limit", "1000"))
		n := 0
		for _, spec := range []string{"", "lastName", "-lastName", "-createdAt", "updatedAt", "firstName,-id"} {
			seen := map[string]int{}
			ids := e.walk(tok, func(page int, p listPage) {
				if len(p.Data) == 0 || page >= 3 {
					return
				}
				// Insert rows before, at and after the cursor position.
				lastName := jStr(p.Data[len(p.Data)-1]["lastName"])
				for _, ln := range []string{"A" + lastName, lastName, "Z" + lastName} {
					n++
					e.create("A", map[string]any{"firstName": fmt.Sprintf("New%03d", n), "lastName": ln})
				}
			}, "sort", spec, "limit", "2")
			for _, id := range ids {
				seen[id]++
				if seen[id] > 1 {
					t.Errorf("sort=%q: %s seen twice", spec, id)
				}
			}
			for _, id := range before {
				if seen[id] != 1 {
					t.Errorf("sort=%q: pre-existing %s seen %d times", spec, id, seen[id])
				}
			}
		}
	})
}

func TestListPagesTotalsAndProjection(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		d := seedLists(t, e)
		tok := e.tokens["A"]["contacts:read"]
		all := pageIDs(e.list(tok, "limit", "1000"))
		if len(all) != len(d.a) {
			t.Fatalf("list has %d rows, want %d", len(all), len(d.a))
		}

		t.Run("page numbers", func(t *testing.T) {
			e := e.withTest(t)
			var got []string
			for page := 1; page <= 3; page++ {
				p := e.list(tok, "limit", "2", "page", fmt.Sprint(page))
				if len(p.Data) != 2 {
					t.Errorf("page %d has %d rows", page, len(p.Data))
				}
				if p.Total == nil || *p.Total != len(all) {
					t.Errorf("page %d: total %v, want %d", page, p.raw["total"], len(all))
				}
				got = append(got, pageIDs(p)...)
			}
			if !slices.Equal(got, all) {
				t.Errorf("pages 1-3: %v, want %v", got, all)
			}
			p := e.list(tok, "limit", "2", "page", "4")
			if len(p.Data) != 0 || p.NextCursor != nil || *p.Total != len(all) {
				t.Errorf("page past the end: %s", p.raw)
			}
			p = e.search(tok, map[string]any{"limit": 4, "page": 2, "sort": "-createdAt"})
			if want := expectOrder(e.list(tok, "limit", "1000").Data, "-createdAt")[4:]; !slices.Equal(pageIDs(p), want) {
				t.Errorf("POST page 2 by -createdAt: %v, want %v", pageIDs(p), want)
			}
		})
		t.Run("cursor end and limit", func(t *testing.T) {
			e := e.withTest(t)
			p := e.list(tok)
			if p.Limit != 50 || p.NextCursor != nil || len(p.Data) != len(all) {
				t.Errorf("default page: limit %d, nextCursor %v, %d rows", p.Limit, p.NextCursor, len(p.Data))
			}
			if _, ok := p.raw["nextCursor"]; !ok {
				t.Errorf("nextCursor is absent, want null: %v", p.raw)
			}
			p = e.list(tok, "limit", "4")
			if p.Limit != 4 || p.NextCursor == nil || len(p.Data) != 4 {
				t.Fatalf("first page of 4: limit %d, nextCursor %v, %d rows", p.Limit, p.NextCursor, len(p.Data))
			}
			p = e.list(tok, "limit", "4", "cursor", *p.NextCursor)
			if p.NextCursor != nil || !slices.Equal(pageIDs(p), all[4:]) {
				t.Errorf("last page: %v (nextCursor %v), want %v and null", pageIDs(p), p.NextCursor, all[4:])
			}
			if got := e.walk(tok, nil, "limit", "1"); !slices.Equal(got, all) {
				t.Errorf("walking by 1: %v, want %v", got, all)
			}
			// A full last page says it is the last: no empty page follows.
			if n := len(all); n != 6 {
				t.Fatalf("%d rows, want 6", n)
			}
			if p := e.list(tok, "limit", "6"); p.NextCursor != nil || len(p.Data) != 6 {
				t.Errorf("one full page of 6: nextCursor %v, %d rows", p.raw["nextCursor"], len(p.Data))
			}
			if p := e.list(tok, "limit", "5"); p.NextCursor == nil {
				t.Errorf("first page of 5 of 6 has no nextCursor")
			}
			for _, spec := range []string{"", "-lastName", "updatedAt"} {
				pages := 0
				got := e.walk(tok, func(int, listPage) { pages++ }, "limit", "3", "sort", spec)
				if pages != 2 || len(got) != 6 {
					t.Errorf("sort=%q: 6 rows by 3 took %d pages for %d rows, want 2 pages", spec, pages, len(got))
				}
			}
			if p := e.search(tok, map[string]any{"limit": 2, "page": 3}); p.NextCursor != nil || len(p.Data) != 2 {
				t.Errorf("page 3 of 3: nextCursor %v, %d rows", p.NextCursor, len(p.Data))
			}
		})
		t.Run("total and count=false", func(t *testing.T) {
			e := e.withTest(t)
			p := e.list(tok, "limit", "1", "filter", `{"tags":{"$exists":true}}`)
			if p.Total == nil || *p.Total != 4 || len(p.Data) != 1 {
				t.Errorf("total %v with %d rows, want 4 with 1", p.raw["total"], len(p.Data))
			}
			for _, p := range []listPage{e.list(tok, "count", "false"), e.search(tok, map[string]any{"count": false})} {
				if _, ok := p.raw["total"]; ok || len(p.Data) != len(all) {
					t.Errorf("count=false: total %v present (or %d rows)", p.raw["total"], len(p.Data))
				}
			}
			for _, p := range []listPage{e.list(tok, "count", "true"), e.search(tok, map[string]any{"count": true}), e.search(tok, map[string]any{})} {
				if p.Total == nil || *p.Total != len(all) {
					t.Errorf("count=true: total %v, want %d", p.raw["total"], len(all))
				}
			}
			p = e.list(tok, "filter", `{"firstName":"Nobody"}`)
			if v, ok := p.raw["total"]; !ok || v != 0.0 {
				t.Errorf("empty list: total %v (present %v), want 0", v, ok)
			}
		})
		t.Run("includeDeleted", func(t *testing.T) {
			e := e.withTest(t)
			for _, p := range []listPage{e.list(tok, "includeDeleted", "true"), e.search(tok, map[string]any{"includeDeleted": true})} {
				if got, want := sorted(pageIDs(p)), d.idsOf(append(slices.Clone(d.a), "dee")...); !slices.Equal(got, want) || *p.Total != len(want) {
					t.Errorf("includeDeleted: %v (total %v), want %v", d.names(got), p.raw["total"], d.names(want))
				}
				for _, c := range p.Data {
					if (c["id"] == d.ids["dee"]) != (jStr(c["deletedAt"]) != "") {
						t.Errorf("deletedAt of %v: %v", c["id"], c["deletedAt"])
					}
				}
			}
			if slices.Contains(pageIDs(e.list(tok, "includeDeleted", "false")), d.ids["dee"]) {
				t.Errorf("includeDeleted=false lists the deleted contact")
			}
		})
		t.Run("fields", func(t *testing.T) {
			e := e.withTest(t)
			check := func(what string, p listPage, rows int, want ...string) {
				t.Helper()
				if len(p.Data) != rows {
					t.Fatalf("%s: %d rows, want %d", what, len(p.Data), rows)
				}
				for _, c := range p.Data {
					var keys []string
					for k := range c {
						keys = append(keys, k)
					}
					sort.Strings(keys)
					if !slices.Equal(keys, want) {
						t.Fatalf("%s: keys %v, want %v", what, keys, want)
					}
				}
				if p.Total == nil || *p.Total != rows {
					t.Errorf("%s: total %v, want %d", what, p.raw["total"], rows)
				}
			}
			p := e.list(tok, "fields", "firstName,tags", "filter", `{"firstName":"Zoë"}`)
			check("GET fields=firstName,tags", p, 1, "firstName", "id", "tags")
			if p.Data[0]["id"] != d.ids["zoe"] || len(jList(p.Data[0]["tags"])) != 2 {
				t.Errorf("projection: %v", p.Data)
			}
			check("GET fields=company", e.list(tok, "fields", "company"), len(all), "company", "id")
			check("POST fields", e.search(tok, map[string]any{"fields": []string{"lastName", "emails"}}), len(all), "emails", "id", "lastName")
			requireProblem(t, e.do("GET", listPath("fields", "firstName,bogus"), tok, nil), http.StatusBadRequest, "query.fields")
			requireProblem(t, e.do("POST", "/v1/contacts/search", tok, map[string]any{"fields": []string{"bogus"}}), http.StatusBadRequest, "body.fields")
		})
	})
}

func TestListBadQueries(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["contacts:read"]
		for i := range 3 {
			e.create("A", map[string]any{"firstName": fmt.Sprintf("C%d", i), "lastName": "L"})
		}
		cursorOf := func(kv ...string) string {
			p := e.list(tok, append(kv, "limit", "1")...)
			if p.NextCursor == nil {
				t.Fatalf("no nextCursor for %v", kv)
			}
			return *p.NextCursor
		}
		byLast := cursorOf("sort", "lastName")
		byID := cursorOf()
		ranked := cursorOf("q", "c")
		deep := `{"tags":"x"}`
		for range 9 {
			deep = `{"$not":` + deep + `}`
		}
		many := make([]string, 101)
		for i := range many {
			many[i] = fmt.Sprintf(`{"status":"s%d"}`, i)
		}
		tooMany := `{"$or":[` + strings.Join(many, ",") + `]}`
		bigIn := make([]string, 1001)
		for i := range bigIn {
			bigIn[i] = fmt.Sprintf(`"t%d"`, i)
		}
		cases := []struct {
			kv  []string
			loc string
		}{
			{[]string{"filter", `{"nope":1}`}, "query.filter.nope"},
			{[]string{"filter", `{"tags":{"$foo":1}}`}, "query.filter.tags.$foo"},
			{[]string{"filter", `{"$xor":[]}`}, "query.filter.$xor"},
			{[]string{"filter", `{"tags":{"$gt":"a"}}`}, "query.filter.tags.$gt"},
			{[]string{"filter", `{"doNotCall":{"$prefix":"t"}}`}, "query.filter.doNotCall.$prefix"},
			{[]string{"filter", `{"doNotCall":"yes"}`}, "query.filter.doNotCall"},
			{[]string{"filter", `{"firstName":5}`}, "query.filter.firstName"},
			{[]string{"filter", `{"tags":{"$in":["a","b","c",4]}}`}, "query.filter.tags.$in[3]"},
			{[]string{"filter", `{"tags":{"$in":[]}}`}, "query.filter.tags.$in"},
			{[]string{"filter", `{"tags":{"$in":"vip"}}`}, "query.filter.tags.$in"},
			{[]string{"filter", `{"createdAt":{"$gt":"yesterday"}}`}, "query.filter.createdAt.$gt"},
			{[]string{"filter", `{"kind":"robot"}`}, "query.filter.kind"},
			{[]string{"filter", `{"phones":"hello"}`}, "query.filter.phones"},
			{[]string{"filter", `{"properties":1}`}, "query.filter.properties"},
			{[]string{"filter", `{"properties.a b":1}`}, "query.filter.properties.a b"},
			{[]string{"filter", `{"properties.tier":{"$gt":true}}`}, "query.filter.properties.tier.$gt"},
			{[]string{"filter", `{"$or":[{"status":"a"},{"nope":1}]}`}, "query.filter.$or[1].nope"},
			{[]string{"filter", `{"$and":[{"status":"a"},{"tags":{"$all":["x",null]}}]}`}, "query.filter.$and[1].tags.$all[1]"},
			{[]string{"filter", `{"tags":"a","tags":"b"}`}, "query.filter.tags"},
			{[]string{"filter", deep}, ""},
			{[]string{"filter", tooMany}, ""},
			{[]string{"filter", `{"tags":{"$in":[` + strings.Join(bigIn, ",") + `]}}`}, "query.filter.tags.$in"},
			{[]string{"filter", `{"tags":`}, "query.filter"},
			{[]string{"filter", `[1]`}, "query.filter"},
			{[]string{"filter", `"vip"`}, "query.filter"},
			{[]string{"cursor", "garbage!"}, "query.cursor"},
			{[]string{"cursor", "eyJ4IjoxfQ"}, "query.cursor"},
			{[]string{"cursor", byLast}, "query.cursor"},
			{[]string{"cursor", byLast, "sort", "firstName"}, "query.cursor"},
			{[]string{"cursor", byLast, "sort", "-lastName"}, "query.cursor"},
			{[]string{"cursor", byID, "sort", "lastName"}, "query.cursor"},
			{[]string{"cursor", byID, "q", "c"}, "query.cursor"},
			{[]string{"cursor", ranked}, "query.cursor"},
			{[]string{"sort", "nope"}, "query.sort"},
			{[]string{"sort", "phones"}, "query.sort"},
			{[]string{"sort", "lastName,lastName"}, "query.sort"},
			{[]string{"sort", "lastName,-lastName"}, "query.sort"},
			{[]string{"sort", "lastName,"}, "query.sort"},
			{[]string{"limit", "0"}, "query.limit"},
			{[]string{"limit", "1001"}, "query.limit"},
			{[]string{"limit", "-1"}, "query.limit"},
			{[]string{"limit", "ten"}, "query.limit"},
			{[]string{"page", "0"}, "query.page"},
			{[]string{"page", "-2"}, "query.page"},
			{[]string{"page", "x"}, "query.page"},
			{[]string{"cursor", byID, "page", "2"}, "query.page"},
			{[]string{"q", strings.Repeat("a", 257)}, "query.q"},
			{[]string{"q", strings.Repeat("é", 257)}, "query.q"},
			{[]string{"count", "maybe"}, "query.count"},
			{[]string{"includeDeleted", "yes please"}, "query.includeDeleted"},
		}
		for _, tc := range cases {
			name := strings.Join(tc.kv, "=")
			if len(name) > 80 {
				name = name[:80]
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				e := e.withTest(t)
				r := e.do("GET", listPath(tc.kv...), tok, nil)
				p := requireProblem(t, r, http.StatusBadRequest, tc.loc)
				if tc.loc == "" {
					errs := jList(p["errors"])
					if len(errs) == 0 || !strings.HasPrefix(jStr(jObj(errs[0])["location"]), "query.filter") {
						t.Errorf("no error under query.filter: %s", r.body)
					}
				}
			})
		}
		// 256 characters is the longest q.
		wantStatus(t, e.do("GET", listPath("q", strings.Repeat("é", 256)), tok, nil), http.StatusOK)
		wantStatus(t, e.do("GET", listPath("limit", "1000"), tok, nil), http.StatusOK)
		// A cursor works with the sort it was made for, in GET and POST.
		wantStatus(t, e.do("GET", listPath("cursor", byLast, "sort", "lastName"), tok, nil), http.StatusOK)
		wantStatus(t, e.do("POST", "/v1/contacts/search", tok, map[string]any{"cursor": byLast, "sort": "lastName"}), http.StatusOK)

		bodyCases := []struct {
			body any
			loc  string
		}{
			{map[string]any{"filter": map[string]any{"x": 1}}, "body.filter.x"},
			{map[string]any{"filter": json.RawMessage(`{"tags":{"$in":["a","b","c",4]}}`)}, "body.filter.tags.$in[3]"},
			{map[string]any{"filter": json.RawMessage(`{"$or":[{"status":"a"},{"tags":{"$foo":1}}]}`)}, "body.filter.$or[1].tags.$foo"},
			{map[string]any{"filter": "vip"}, "body.filter"},
			{map[string]any{"filter": []any{1}}, "body.filter"},
			{map[string]any{"sort": "nope"}, "body.sort"},
			{map[string]any{"sort": 5}, "body.sort"},
			{map[string]any{"limit": 1001}, "body.limit"},
			{map[string]any{"limit": -1}, "body.limit"},
			{map[string]any{"limit": "10"}, "body.limit"},
			{map[string]any{"cursor": "garbage!"}, "body.cursor"},
			{map[string]any{"cursor": byLast, "sort": "firstName"}, "body.cursor"},
			{map[string]any{"cursor": byID, "page": 2}, "body.page"},
			{map[string]any{"page": -1}, "body.page"},
			{map[string]any{"q": strings.Repeat("a", 257)}, "body.q"},
			{map[string]any{"count": "no"}, "body.count"},
			{map[string]any{"includeDeleted": 1}, "body.includeDeleted"},
			{map[string]any{"bogus": 1}, "body.bogus"},
			{map[string]any{"fields": "firstName"}, "body.fields"},
			{`[]`, "body"},
			{`{"q":`, "body"},
		}
		for _, tc := range bodyCases {
			r := e.do("POST", "/v1/contacts/search", tok, tc.body)
			requireProblem(t, r, http.StatusBadRequest, tc.loc)
		}
	})
}

// TestListTotalBound: a contact list counts up to contactd.CountBound
// contacts; past that its total is the bound, flagged as a lower bound,
// unless count=exact.
func TestListTotalBound(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b)
		tok := e.tokens["A"]["all"]
		p, err := e.svc.Authenticate(t.Context(), tok)
		if err != nil {
			t.Fatal(err)
		}
		n := contactd.CountBound + 5
		ins := make([]*contactd.ContactInput, n)
		for i := range ins {
			ins[i] = &contactd.ContactInput{FirstName: fmt.Sprintf("Many%04d", i), Status: map[bool]string{true: "few"}[i < 3]}
		}
		if _, err := e.svc.CreateContacts(t.Context(), p, "import", ins); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			page       listPage
			total      int
			lowerBound bool
		}{
			{e.list(tok, "limit", "1"), contactd.CountBound, true},
			{e.list(tok, "limit", "1", "count", "true"), contactd.CountBound, true},
			{e.search(tok, map[string]any{"limit": 1}), contactd.CountBound, true},
			{e.list(tok, "limit", "1", "count", "exact"), n, false},
			{e.search(tok, map[string]any{"limit": 1, "count": "exact"}), n, false},
			{e.list(tok, "limit", "1", "filter", `{"status":"few"}`), 3, false},
			// Ranked searches count their matches while ranking them.
			{e.list(tok, "limit", "1", "q", "many"), contactd.CountBound, true},
			{e.list(tok, "limit", "1", "q", "many", "count", "exact"), n, false},
			{e.list(tok, "limit", "1", "q", "many000"), 10, false},
			{e.list(tok, "limit", "1", "q", "many", "filter", `{"status":"few"}`), 3, false},
			{e.list(tok, "limit", "1", "q", "many", "sort", "firstName"), contactd.CountBound, true},
		} {
			if c.page.Total == nil || *c.page.Total != c.total || (c.page.raw["totalIsLowerBound"] == true) != c.lowerBound {
				t.Errorf("total %v, totalIsLowerBound %v; want %d, %t", c.page.raw["total"], c.page.raw["totalIsLowerBound"], c.total, c.lowerBound)
			}
		}
		// A later page of a ranked search, and deleted contacts.
		first := e.list(tok, "limit", "4", "q", "many000")
		if first.NextCursor == nil || len(first.Data) != 4 {
			t.Fatalf("first page of many000: %+v", first.raw)
		}
		if got := e.list(tok, "limit", "4", "q", "many000", "cursor", *first.NextCursor); got.Total == nil || *got.Total != 10 || len(got.Data) != 4 {
			t.Errorf("second page of many000: total %v, %d contacts", got.raw["total"], len(got.Data))
		}
		if err := e.svc.DeleteContact(t.Context(), p, contactd.Selector{ID: first.Data[0]["id"].(string)}, contactd.Precondition{}, false); err != nil {
			t.Fatal(err)
		}
		if got := e.list(tok, "limit", "1", "q", "many000"); got.Total == nil || *got.Total != 9 {
			t.Errorf("many000 after a deletion: total %v", got.raw["total"])
		}
		if _, ok := e.list(tok, "limit", "1", "count", "exact").raw["totalIsLowerBound"]; ok {
			t.Error("an exact total carries totalIsLowerBound")
		}
		requireProblem(t, e.do("GET", listPath("count", "maybe"), tok, nil), http.StatusBadRequest, "query.count")
		requireProblem(t, e.do("POST", "/v1/contacts/search", tok, map[string]any{"count": "exactly"}), http.StatusBadRequest, "body.count")
	})
}
