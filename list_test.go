package contactd

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// TestContactFilterFields checks the contact filter schema against the
// field list of SPEC §3, and the directory issue's fields beside it.
func TestContactFilterFields(t *testing.T) {
	t.Parallel()
	spec := strings.Fields(`id kind contactType firstName lastName displayName company
department jobTitle status source ownerId accountId externalId tags segments phones emails
doNotCall emailOptOut smsOptOut blocked unknown createdAt updatedAt deletedAt
address.country address.city address.state address.postalCode properties
extensions site.id pbx.id location subscription.type links.type links.externalId`)
	fields := ContactFilter.Fields()
	if len(fields) != len(spec) {
		t.Errorf("ContactFilter has %d fields, SPEC lists %d", len(fields), len(spec))
	}
	for _, name := range spec {
		f, ok := ContactFilter.Field(name)
		if !ok {
			t.Errorf("ContactFilter lacks %s", name)
			continue
		}
		if f.Name != name {
			t.Errorf("field %q is named %q", name, f.Name)
		}
	}
}

func TestPageProjection(t *testing.T) {
	t.Parallel()
	c := &Contact{ID: "ct_1", FirstName: "Ada", LastName: "Lovelace", DisplayName: "Ada Lovelace"}
	all, _ := json.Marshal(Page[*Contact]{Data: []*Contact{c}, Limit: 1})
	if !strings.Contains(string(all), `"lastName":"Lovelace"`) || !strings.Contains(string(all), `"nextCursor":null`) {
		t.Errorf("unprojected page: %s", all)
	}
	n := 3
	b, err := json.Marshal(Page[*Contact]{Data: []*Contact{c}, Total: &n, Limit: 1, fields: []string{"firstName", "company"}})
	if want := `{"data":[{"company":null,"firstName":"Ada","id":"ct_1"}],"nextCursor":null,"total":3,"limit":1}`; err != nil || string(b) != want {
		t.Errorf("projected page:\n got  %s, %v\n want %s", b, err, want)
	}
	if err := CheckFields(Contact{}, []string{"firstName", "nope"}, "query.fields"); ErrorCodeOf(err) != EInvalid ||
		err.(*Error).Fields[0].Location != "query.fields" || err.(*Error).Fields[0].Value != "nope" {
		t.Errorf("CheckFields of an unknown field: %v", err)
	}
	if err := CheckFields(Contact{}, []string{"firstName", "metadata", "deletedBy"}, "query.fields"); err != nil {
		t.Errorf("CheckFields: %v", err)
	}
}

// secretStore is the part of a Store the cursor codec uses.
type secretStore struct {
	Store
	secret []byte
}

func (s *secretStore) Secret(_ context.Context, _ string, fresh []byte) ([]byte, error) {
	if s.secret == nil {
		s.secret = fresh
	}
	return s.secret, nil
}

func TestCursorCodec(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := &secretStore{}
	s := NewService(st, nil)
	a, b := Principal{TenantID: "tn_a"}, Principal{TenantID: "tn_b"}
	pos := cursorPos{Sort: "-updatedAt", Values: []string{"2024-01-02T03:04:05Z", "ct_9"}}
	c, err := s.encodeCursor(ctx, a, "contacts\x00", pos)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.decodeCursor(ctx, a, "contacts\x00", c)
	if err != nil || got.Sort != pos.Sort || strings.Join(got.Values, "|") != strings.Join(pos.Values, "|") {
		t.Errorf("round trip: %+v, %v", got, err)
	}
	// Another service over the same store (another node) reads it.
	if _, err := NewService(st, nil).decodeCursor(ctx, a, "contacts\x00", c); err != nil {
		t.Errorf("another node: %v", err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(c)
	edited := []byte(strings.Replace(string(raw), "ct_9", "ct_8", 1))
	wrongVersion := append([]byte{2}, raw[1:]...)
	for what, bad := range map[string]struct {
		p      Principal
		scope  string
		cursor string
	}{
		"another tenant":  {b, "contacts\x00", c},
		"another list":    {a, "accounts\x00", c},
		"edited":          {a, "contacts\x00", base64.RawURLEncoding.EncodeToString(edited)},
		"another version": {a, "contacts\x00", base64.RawURLEncoding.EncodeToString(wrongVersion)},
		"short":           {a, "contacts\x00", c[:10]},
		"not base64":      {a, "contacts\x00", "a cursor!"},
		"empty":           {a, "contacts\x00", ""},
	} {
		if _, err := s.decodeCursor(ctx, bad.p, bad.scope, bad.cursor); err != errBadCursor {
			t.Errorf("%s: got %v, want errBadCursor", what, err)
		}
	}
}

// FuzzDecodeCursor: no input but a cursor the service signed decodes, and
// none panics.
func FuzzDecodeCursor(f *testing.F) {
	s := NewService(&secretStore{}, nil)
	p := Principal{TenantID: "tn_a"}
	good, err := s.encodeCursor(context.Background(), p, "tags\x00", cursorPos{Values: []string{"vip"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)-1] + "A")
	f.Add("AQ")
	f.Fuzz(func(t *testing.T, cursor string) {
		pos, err := s.decodeCursor(context.Background(), p, "tags\x00", cursor)
		if err == nil && cursor != good && (len(pos.Values) != 1 || pos.Values[0] != "vip") {
			t.Fatalf("%q decoded to %+v", cursor, pos)
		}
		if err != nil && err != errBadCursor {
			t.Fatalf("%q: %v", cursor, err)
		}
	})
}

// TestPropertySortValue: a cursor keeps a contact's rank, number and text
// of a custom field as its columns compute them.
func TestPropertySortValue(t *testing.T) {
	props := json.RawMessage(`{"a":{"n":2.50,"s":"x","b":true,"z":null},"big":12345678901234567890}`)
	for _, tc := range []struct{ path, rank, num, text string }{
		{"properties.a.n", "0", "2.5", ""},
		{"properties.a.s", "1", "0", "x"},
		{"properties.a.b", "2", "0", ""},
		{"properties.a.z", "2", "0", ""},
		{"properties.a", "2", "0", ""},
		{"properties.missing.deep", "2", "0", ""},
		{"properties.big", "0", "1.2345678901234567e+19", ""},
	} {
		keys := PropertySortKeys(tc.path, false)
		got := []string{propertySortValue(props, keys[0].Field), propertySortValue(props, keys[1].Field), propertySortValue(props, keys[2].Field)}
		if got[0] != tc.rank || got[1] != tc.num || got[2] != tc.text {
			t.Errorf("%s: %q", tc.path, got)
		}
		if path, part, ok := PropertySortPart(keys[1].Field); !ok || part != "number" || "properties."+strings.Join(path, ".") != tc.path {
			t.Errorf("PropertySortPart(%q) = %v %q %v", keys[1].Field, path, part, ok)
		}
	}
	if propertySortValue(nil, "properties.x#rank") != "2" {
		t.Error("no properties")
	}
	if v := propertySortArg("properties.x#number", "2.5"); v != 2.5 {
		t.Errorf("number arg %v", v)
	}
	if v := propertySortArg("properties.x#rank", "1"); v != 1 {
		t.Errorf("rank arg %v", v)
	}
}
