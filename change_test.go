package contactd_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/storetest"
)

// TestCreationFields: the log keeps a creation by reference to the
// contact's document, and reading it must give what a copy would have: every
// field of the contact as created, however it changed since (fields set,
// cleared, added, replaced; deleted, restored, blocked), through the feed
// and through history, for single and bulk creations. The oracle is the
// contact each create returned.
func TestCreationFields(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newRaceEnv(t, b)
		ctx := t.Context()
		sel := func(id string) contactd.Selector { return contactd.Selector{ID: id} }
		patch := func(id, body string) {
			t.Helper()
			if _, err := e.svc.PatchContact(ctx, e.p, sel(id), []byte(body), contactd.Precondition{}); err != nil {
				t.Fatalf("patch %s: %v", body, err)
			}
		}
		created := map[string]*contactd.Contact{}
		untouched, err := e.svc.CreateContact(ctx, e.p, &contactd.ContactInput{FirstName: "Ada", LastName: "Lovelace"})
		if err != nil {
			t.Fatal(err)
		}
		created[untouched.ID] = untouched
		busy, err := e.svc.CreateContact(ctx, e.p, &contactd.ContactInput{
			FirstName: "Grace", LastName: "Hopper", Company: "Navy", JobTitle: "Rear Admiral",
			Phones:     []contactd.Phone{{Number: "+1 202 555 0143", Type: "work"}},
			Emails:     []contactd.Email{{Address: "grace@example.com"}},
			Tags:       []string{"vip", "Pioneers"},
			Properties: json.RawMessage(`{"zeta":1,"alpha":{"b":[1,2],"a":"x"}}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		created[busy.ID] = busy
		bulk, err := e.svc.CreateContacts(ctx, e.p, "import", []*contactd.ContactInput{
			{Name: "Bulk One", Emails: []contactd.Email{{Address: "one@example.com"}}},
			{FirstName: "Bulk", LastName: "Two", Phones: []contactd.Phone{{Number: "+44 20 7946 0958"}}, Tags: []string{"vip"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range bulk {
			created[c.ID] = c
		}
		patch(busy.ID, `{"company": null, "department": "Research", "properties": {"zeta": 2}}`)
		patch(busy.ID, `{"firstName": "Amazing Grace", "emails": [{"address": "hopper@example.com"}], "tags": []}`)
		if err := e.svc.DeleteContact(ctx, e.p, sel(busy.ID), contactd.Precondition{}, false); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.RestoreContact(ctx, e.p, busy.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.BlockContact(ctx, e.p, busy.ID, "spam", contactd.Precondition{}); err != nil {
			t.Fatal(err)
		}
		patch(bulk[1].ID, `{"phones": [], "lastName": "Three", "jobTitle": "Clerk"}`)
		for range 7 { // more than a page of later changes (see export_test.go)
			patch(bulk[0].ID, fmt.Sprintf(`{"jobTitle": "T%d"}`, len(created)))
			patch(bulk[0].ID, `{"jobTitle": null}`)
		}
		patch(bulk[0].ID, `{"department": "Late"}`) // undone only from the last page

		check := func(where string, chs []contactd.Change) {
			t.Helper()
			seen := 0
			for _, ch := range chs {
				if ch.Type != "created" {
					continue
				}
				seen++
				c := created[ch.ContactID]
				if c == nil {
					t.Fatalf("%s: a creation of unknown contact %s", where, ch.ContactID)
				}
				if got, want := fieldValues(t, ch.Fields), creationOf(t, c); !reflect.DeepEqual(got, want) {
					t.Errorf("%s: creation of %s:\n got %v\nwant %v", where, c.ID, got, want)
				}
			}
			if seen == 0 {
				t.Errorf("%s: no creation among %d changes", where, len(chs))
			}
		}
		var feed []contactd.Change
		r := contactd.ChangeListRequest{ListParams: contactd.ListParams{Limit: 3}}
		for {
			page, err := e.svc.Changes(ctx, e.p, r)
			if err != nil {
				t.Fatal(err)
			}
			feed = append(feed, page.Data...)
			if len(page.Data) == 0 {
				break
			}
			r.Cursor = *page.NextCursor
		}
		check("feed", feed)
		for id := range created {
			h, err := e.svc.History(ctx, e.p, id, contactd.ChangeListRequest{ListParams: contactd.ListParams{Limit: 1}})
			if err != nil {
				t.Fatal(err)
			}
			check("history of "+id, h.Data)
		}
	})
}

// creationOf is what a copy of c's creation in the log would hold: each
// field of c but version, updatedAt and updatedBy, with no old value.
func creationOf(t *testing.T, c *contactd.Contact) map[string]any {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	out := map[string]any{}
	for k, v := range m {
		if k != "version" && k != "updatedAt" && k != "updatedBy" && v != nil {
			out[k] = []any{nil, v}
		}
	}
	return out
}

// fieldValues decodes a change's fields as [old, new] per field.
func fieldValues(t *testing.T, fs map[string]contactd.FieldChange) map[string]any {
	t.Helper()
	out := map[string]any{}
	for k, f := range fs {
		var o, n any
		if err := json.Unmarshal(f.Old, &o); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(f.New, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = []any{o, n}
	}
	return out
}
