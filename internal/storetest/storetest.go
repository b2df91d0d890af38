package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd"
)

// Run runs the conformance suite against a backend. Every subtest opens its
// own store with b.Open and runs in parallel.
//
// The suite exercises the contactd.Store contract directly, with hand-built
// values, so that a backend is held to the documented behaviour rather than
// to whatever the Service happens to ask of it.
func Run(t *testing.T, b Backend) {
	groups := []struct {
		name string
		run  func(t *testing.T, b Backend)
	}{
		{"Tenants", testTenants},
		{"Tokens", testTokens},
		{"Contacts", testContacts},
		{"Uniqueness", testUniqueness},
		{"TenantIsolation", testTenantIsolation},
		{"ChangeLog", testChangeLog},
		{"ChangeRetention", testChangeRetention},
		{"ChangeSignal", testChangeSignal},
		{"EraseContact", testEraseContact},
		{"Cards", testCards},
		{"Photos", testPhotos},
		{"Concurrency", testConcurrency},
		{"Idempotency", testIdempotency},
		{"Health", testHealth},
		{"Secrets", testSecrets},
		{"InsertContacts", testInsertContacts},
		{"WriteContacts", testWriteContacts},
		{"Imports", testImports},
		{"Webhooks", testWebhooks},
		{"WebhookBacklog", testWebhookBacklog},
		{"Accounts", testAccounts},
		{"Tags", testTags},
		{"Segments", testSegments},
		{"Duplicates", testDuplicates},
		{"Users", testUsers},
		{"Sessions", testSessions},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			g.run(t, b)
		})
	}
}

// now returns the current time in UTC at millisecond precision, which every
// backend stores exactly.
func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// newTenant creates and returns a tenant with a unique name.
func newTenant(t *testing.T, s contactd.Store) *contactd.Tenant {
	t.Helper()
	id := contactd.NewID(contactd.PrefixTenant)
	tn := &contactd.Tenant{ID: id, Name: "tenant-" + id, DefaultRegion: "US", CreatedAt: now()}
	if err := s.CreateTenant(t.Context(), tn); err != nil {
		t.Fatalf("CreateTenant(%s): %v", tn.Name, err)
	}
	return tn
}

// newContact returns a valid, live version-1 contact with most fields set.
// Its two email addresses and its external id are derived from its id, so
// they are unique unless a test makes them collide on purpose. mods are
// applied in order.
func newContact(mods ...func(*contactd.Contact)) *contactd.Contact {
	id := contactd.NewID(contactd.PrefixContact)
	body := strings.TrimPrefix(id, contactd.PrefixContact)
	at := now()
	c := &contactd.Contact{
		ID:          id,
		Version:     1,
		Kind:        "person",
		FirstName:   "Ann",
		LastName:    "Lee",
		DisplayName: "Ann Lee",
		Company:     "Acme",
		JobTitle:    "Engineer",
		Birthday:    "1990-04-01",
		Locale:      "en-US",
		Timezone:    "America/New_York",
		Phones: []contactd.Phone{
			{ID: contactd.NewID(contactd.PrefixPhone), Number: "(415) 555-0100", E164: "+14155550100", Type: "mobile", Primary: true},
			{ID: contactd.NewID(contactd.PrefixPhone), Number: "415 555 0101", E164: "+14155550101", Extension: "12", Type: "work"},
		},
		Emails: []contactd.Email{
			{ID: contactd.NewID(contactd.PrefixEmail), Address: body + "@example.com", Type: "work", Primary: true},
			{ID: contactd.NewID(contactd.PrefixEmail), Address: "alt-" + body + "@example.org", Type: "personal"},
		},
		Addresses: []contactd.Address{
			{ID: contactd.NewID(contactd.PrefixAddress), Type: "work", Street: "Main St", StreetNumber: "1", City: "Springfield", PostalCode: "12345", Country: "US", Primary: true},
		},
		Handles:     []contactd.Handle{{ID: contactd.NewID(contactd.PrefixHandle), Type: "telegram", Value: "@ann"}},
		Tags:        []string{"vip", "customer"},
		ExternalID:  "ext-" + body,
		Source:      "api",
		Properties:  json.RawMessage(`{"tier":"gold","score":7,"nested":{"list":[1,2,3],"ok":true}}`),
		Metadata:    json.RawMessage(`{"crm":"hubspot"}`),
		EmailOptOut: true,
		CreatedAt:   at,
		CreatedBy:   "storetest",
		UpdatedAt:   at,
		UpdatedBy:   "storetest",
	}
	for _, m := range mods {
		m(c)
	}
	return c
}

// next returns a copy of c as its next version, to be written with
// PrevVersion c.Version. The copy shares c's slices: replace them, do not
// modify their elements.
func next(c *contactd.Contact) *contactd.Contact {
	n := *c
	n.Version++
	n.UpdatedAt = now()
	return &n
}

// softDeleted returns the next version of c with DeletedAt set.
func softDeleted(c *contactd.Contact) *contactd.Contact {
	n := next(c)
	at := now()
	n.DeletedAt, n.DeletedBy = &at, "storetest"
	return n
}

// restored returns the next version of c with DeletedAt cleared.
func restored(c *contactd.Contact) *contactd.Contact {
	n := next(c)
	n.DeletedAt, n.DeletedBy = nil, ""
	return n
}

// write stores c in a tenant, replacing version prev (0 inserts), with a
// change describing the write, and returns that change.
func write(ctx context.Context, s contactd.Store, tenantID string, c *contactd.Contact, prev int64) (*contactd.Change, error) {
	typ := "updated"
	switch {
	case prev == 0:
		typ = "created"
	case c.DeletedAt != nil:
		typ = "deleted"
	}
	ch := &contactd.Change{TenantID: tenantID, Type: typ, ContactID: c.ID, Version: c.Version, Actor: "storetest", At: now()}
	err := s.WriteContact(ctx, contactd.WriteContactParams{TenantID: tenantID, Contact: c, PrevVersion: prev, Change: ch})
	return ch, err
}

// mustWrite is write that fails the test on error.
func mustWrite(t *testing.T, s contactd.Store, tenantID string, c *contactd.Contact, prev int64) *contactd.Change {
	t.Helper()
	ch, err := write(t.Context(), s, tenantID, c, prev)
	if err != nil {
		t.Fatalf("WriteContact(%s version %d, PrevVersion %d): %v", c.ID, c.Version, prev, err)
	}
	return ch
}

// erasedChange returns the change EraseContact is given for c.
func erasedChange(tenantID string, c *contactd.Contact) *contactd.Change {
	return &contactd.Change{TenantID: tenantID, Type: "erased", ContactID: c.ID, Version: c.Version, Actor: "storetest", At: now()}
}

// wantCode reports an error unless err carries the code want ("" for nil).
func wantCode(t *testing.T, err error, want contactd.ErrorCode, what string) {
	t.Helper()
	if got := contactd.ErrorCodeOf(err); got != want {
		t.Errorf("%s: got error %v (code %q), want code %q", what, err, got, want)
	}
}

// wantConflict reports an error unless err is a *contactd.ConflictError
// naming the object id and the field it conflicts on.
func wantConflict(t *testing.T, err error, id, field, what string) {
	t.Helper()
	var e *contactd.ConflictError
	if !errors.As(err, &e) {
		t.Errorf("%s: got error %v, want a *contactd.ConflictError", what, err)
		return
	}
	if e.ID != id {
		t.Errorf("%s: got conflicting id %q, want %q", what, e.ID, id)
	}
	if e.Field != field {
		t.Errorf("%s: got conflicting field %q, want %q", what, e.Field, field)
	}
}

// jsonEqual reports whether a and b encode the same JSON value, ignoring
// formatting and key order (a backend may normalise stored JSON). An empty
// input is the JSON null.
func jsonEqual(a, b []byte) bool {
	decode := func(p []byte) (any, bool) {
		if len(bytes.TrimSpace(p)) == 0 {
			return nil, true
		}
		d := json.NewDecoder(bytes.NewReader(p))
		d.UseNumber()
		var v any
		return v, d.Decode(&v) == nil
	}
	va, okA := decode(a)
	vb, okB := decode(b)
	return okA && okB && reflect.DeepEqual(va, vb)
}

// sameContact reports an error unless got is want: equal as JSON (the API
// representation) and with the same DisplayNameSet.
func sameContact(t *testing.T, got, want *contactd.Contact, what string) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: got no contact, want %s", what, want.ID)
		return
	}
	g, err := json.Marshal(got)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	w, err := json.Marshal(want)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	if !jsonEqual(g, w) {
		t.Errorf("%s: got contact\n%s\nwant\n%s", what, g, w)
	}
	if got.DisplayNameSet != want.DisplayNameSet {
		t.Errorf("%s: got DisplayNameSet %t, want %t", what, got.DisplayNameSet, want.DisplayNameSet)
	}
}

// wantStored reports an error unless the store holds want in the tenant.
func wantStored(t *testing.T, s contactd.Store, tenantID string, want *contactd.Contact) {
	t.Helper()
	got, err := s.Contact(t.Context(), tenantID, want.ID)
	if err != nil {
		t.Errorf("Contact(%s): got error %v, want version %d", want.ID, err, want.Version)
		return
	}
	sameContact(t, got, want, "Contact("+want.ID+")")
	sameDoc(t, s, tenantID, got)
}

// sameDoc checks that ContactDoc hands out the contact as it marshals.
func sameDoc(t *testing.T, s contactd.Store, tenantID string, c *contactd.Contact) {
	t.Helper()
	d, err := s.ContactDoc(t.Context(), tenantID, c.ID)
	if err != nil {
		t.Errorf("ContactDoc(%s): %v", c.ID, err)
		return
	}
	if d.Version != c.Version || d.Deleted != (c.DeletedAt != nil) {
		t.Errorf("ContactDoc(%s): version %d deleted %v, want %d %v", c.ID, d.Version, d.Deleted, c.Version, c.DeletedAt != nil)
	}
	want, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(d.JSON, &a); err != nil {
		t.Errorf("ContactDoc(%s): %v in %s", c.ID, err, d.JSON)
		return
	}
	_ = json.Unmarshal(want, &b)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("ContactDoc(%s):\n got %s\nwant %s", c.ID, d.JSON, want)
	}
}

// decodeMatch returns the contact of a PhoneMatch, checking that its
// document is the contact as the store holds it.
func decodeMatch(t *testing.T, m contactd.PhoneMatch) *contactd.Contact {
	t.Helper()
	var c contactd.Contact
	if err := json.Unmarshal(m.Doc, &c); err != nil {
		t.Fatalf("PhoneMatch document: %v in %s", err, m.Doc)
	}
	if c.ID != m.ContactID {
		t.Errorf("PhoneMatch: document of %s, ContactID %s", c.ID, m.ContactID)
	}
	return &c
}

// changes returns the tenant's whole change log, or one contact's part of
// it when contactID is not empty.
func changes(t *testing.T, s contactd.Store, tenantID, contactID string) []contactd.Change {
	t.Helper()
	chs, err := s.Changes(t.Context(), contactd.ChangesParams{TenantID: tenantID, ContactID: contactID, Limit: 10000})
	if err != nil {
		t.Fatalf("Changes(tenant %s, contact %q): %v", tenantID, contactID, err)
	}
	return chs
}

// seqs returns the sequence numbers of chs.
func seqs(chs []contactd.Change) []int64 {
	out := []int64{}
	for _, ch := range chs {
		out = append(out, ch.Seq)
	}
	return out
}

// wantSeqs reports an error unless the change log (or a contact's part of
// it) has exactly the sequence numbers want, in order.
func wantSeqs(t *testing.T, s contactd.Store, tenantID, contactID string, want ...int64) {
	t.Helper()
	if want == nil {
		want = []int64{}
	}
	if got := seqs(changes(t, s, tenantID, contactID)); !slices.Equal(got, want) {
		t.Errorf("Changes(tenant %s, contact %q): got seqs %v, want %v", tenantID, contactID, got, want)
	}
}

// sameChange reports an error unless got is want (TenantID aside, which a
// change's JSON form omits).
func sameChange(t *testing.T, got, want contactd.Change, what string) {
	t.Helper()
	if got.Seq != want.Seq || got.Type != want.Type || got.ContactID != want.ContactID ||
		got.Version != want.Version || got.Actor != want.Actor || !got.At.Equal(want.At) {
		t.Errorf("%s: got change %+v, want %+v", what, got, want)
	}
	if len(got.Fields) != len(want.Fields) {
		t.Errorf("%s: got %d fields %v, want %d %v", what, len(got.Fields), got.Fields, len(want.Fields), want.Fields)
	}
	for name, w := range want.Fields {
		g, ok := got.Fields[name]
		if !ok {
			t.Errorf("%s: field %q missing, want old %s new %s", what, name, w.Old, w.New)
			continue
		}
		if !jsonEqual(g.Old, w.Old) || !jsonEqual(g.New, w.New) {
			t.Errorf("%s: field %q: got old %s new %s, want old %s new %s", what, name, g.Old, g.New, w.Old, w.New)
		}
	}
}

func testHealth(t *testing.T, b Backend) {
	t.Run("Ping", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		if err := s.Ping(t.Context()); err != nil {
			t.Errorf("Ping: got %v, want nil", err)
		}
	})
	t.Run("SchemaCurrent", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ok, err := s.SchemaCurrent(t.Context())
		if err != nil || !ok {
			t.Errorf("SchemaCurrent after Open: got %t, %v; want true, nil", ok, err)
		}
	})
}

// testSecrets: the first secret stored under a name is the one every later
// call gets, whatever fresh value it offers, also when callers race.
func testSecrets(t *testing.T, b Backend) {
	s := b.Open(t)
	ctx := t.Context()
	errs := make([]error, 8)
	got := make([][]byte, 8)
	race(8, func(i int) error {
		got[i], errs[i] = s.Secret(ctx, "race", []byte{byte(i), 1, 2, 3})
		return errs[i]
	})
	for i := range got {
		if errs[i] != nil || !bytes.Equal(got[i], got[0]) || len(got[0]) != 4 {
			t.Errorf("Secret call %d: %x, %v; want the one stored first, %x", i, got[i], errs[i], got[0])
		}
	}
	first, err := s.Secret(ctx, "cursor", []byte("first"))
	if err != nil || string(first) != "first" {
		t.Fatalf("Secret: %q, %v", first, err)
	}
	if again, err := s.Secret(ctx, "cursor", []byte("second")); err != nil || string(again) != "first" {
		t.Errorf("Secret again: %q, %v; want the first", again, err)
	}
	if other, err := s.Secret(ctx, "other", []byte("x")); err != nil || string(other) != "x" {
		t.Errorf("Secret of another name: %q, %v", other, err)
	}
}
