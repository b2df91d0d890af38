package contactd

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// requireInvalid fails unless err is an EInvalid *Error naming at least one
// field.
func requireInvalid(t *testing.T, err error, input []byte) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.Code != EInvalid {
		t.Fatalf("error %v (%T) is not EInvalid; input %q", err, err, input)
	}
	if len(e.Fields) == 0 {
		t.Fatalf("EInvalid without field errors: %v; input %q", err, input)
	}
	for _, f := range e.Fields {
		if f.Location == "" || f.Message == "" {
			t.Fatalf("field error without location or message: %+v; input %q", f, input)
		}
	}
}

var fuzzSeeds = []string{
	`{"firstName":"Ada","lastName":"Lovelace"}`,
	`{"name":"Ada King Lovelace","email":"Ada@Example.com","phone":"(415) 555-2671"}`,
	`{"phones":[{"number":"+44 20 7946 0000","type":"work"},{"number":"+1 415 555 2671 x123","primary":true}]}`,
	`{"emails":[{"address":"a@example.com"},{"address":"A@example.com"}]}`,
	`{"company":"Acme","properties":{"tier":2,"nested":{"a":[1,{"b":null}]},"big":12345678901234567890},"metadata":{"x":"<&>"}}`,
	`{"firstName":"Zoë","birthday":"--02-29","locale":"en_US","timezone":"America/New_York","profileColor":"#a1b2c3"}`,
	`{"addresses":[{"city":"Paris","postalCode":"75001","timezone":"Europe/Paris"}],"handles":[{"type":"whatsapp","value":"+14155552671"}],"nickName":"x"}`,
	`{"id":"ct_1","version":3,"createdAt":"2001-01-01T00:00:00Z","firstName":"Ada","tags":["vip","VIP"," gold "]}`,
	`{"firstName":1,"bogus":true,"phones":{},"tags":"x"}`,
	`[{"firstName":"Ada"}]`,
	`{"firstName":"Ext","contactType":"corporate","pbx":{"id":"p1","name":"Main"},"site":{"id":"br_301"},"location":"NY",` +
		`"extensions":[{"extension":"2041","fqExtension":"142041","type":"CC","displayInDirectory":true,"pbx":{"id":"p2"},"subscription":{"id":"s","type":"ue"}}]}`,
	`{"firstName":"Svc","contactType":"service","subscription":{"id":"s","type":"RG","userId":"u"},"hideInAutoAttendant":true,"extensions":[{"extension":"1"},{"extension":"1","pbx":{"id":"x"}}]}`,
	`{"firstName":"L","links":[{"type":"ticket","externalId":"T-1","url":"https://x.example/1","title":"t"},{"externalId":"T-1"}],` +
		`"emails":[{"address":"l@example.com","verified":true}],"phones":[{"number":"+33142685300","source":"EXTERNAL"}]}`,
	`{"firstName":"Bad","site":null,"pbx":{"id":"a b"},"extensions":[{"extension":"x"}],"links":[{"url":"ftp://x"}],"subscription":[]}`,
}

// FuzzDecodeContactInput checks that decoding and validating any input
// never panics, that every rejection is an EInvalid naming a field, and that
// a valid contact's own JSON decodes and validates to the same contact
// (normalization is idempotent).
func FuzzDecodeContactInput(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := DecodeContactInput(data)
		if err != nil {
			requireInvalid(t, err, data)
			return
		}
		c, err := buildContact(in, nil, "US")
		if err != nil {
			requireInvalid(t, err, data)
			return
		}
		doc, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("a valid contact does not marshal: %v; input %q", err, data)
		}
		in2, err := DecodeContactInput(doc)
		if err != nil {
			t.Fatalf("a valid contact's JSON does not decode: %v\ninput %q\njson  %s", err, data, doc)
		}
		c2, err := buildContact(in2, c, "US")
		if err != nil {
			t.Fatalf("a valid contact's JSON is not valid: %v\ninput %q\njson  %s", err, data, doc)
		}
		doc2, _ := json.Marshal(c2)
		if !bytes.Equal(doc, doc2) {
			t.Fatalf("normalization is not idempotent:\ninput %q\nonce  %s\ntwice %s", data, doc, doc2)
		}
		if d := diff(c, c2); len(d) != 0 {
			t.Fatalf("rebuilding a contact from its JSON changes %v; input %q", d, data)
		}
	})
}

// FuzzMergePatch checks PATCH's merge logic (applyPatch, strict decoding,
// read-only checks, validation) on a valid contact: it never panics, every
// rejection is an EInvalid, an empty patch changes nothing, and applying the
// same patch twice changes nothing the second time (RFC 7386 patches are
// idempotent).
func FuzzMergePatch(f *testing.F) {
	patches := []string{
		`{}`,
		`{"firstName":null,"company":"Acme"}`,
		`{"name":"Grace Hopper"}`,
		`{"name":"Grace Hopper","lastName":"Murray"}`,
		`{"displayName":"The Countess"}`,
		`{"phones":[{"number":"+14155552672"}],"email":"NEW@example.com"}`,
		`{"properties":{"tier":null,"prefs":{"lang":"fr"},"n":1.50}}`,
		`{"version":1,"id":"ct_fuzz","source":"api"}`,
		`{"version":2}`,
		`{"emails":null,"phones":null,"firstName":null,"lastName":null}`,
		`{"phone":"+1 415 555 2671 ext. 9","tags":["a","A","b"]}`,
	}
	for i, p := range patches {
		f.Add([]byte(fuzzSeeds[i%len(fuzzSeeds)]), []byte(p))
	}
	f.Fuzz(func(t *testing.T, docData, patchData []byte) {
		in, err := DecodeContactInput(docData)
		if err != nil {
			return
		}
		cur, err := buildContact(in, nil, "US")
		if err != nil {
			return
		}
		at := time.Date(2025, 1, 2, 3, 4, 5, 6e6, time.UTC)
		cur.ID, cur.Version, cur.Source = "ct_fuzz", 1, "api"
		cur.CreatedAt, cur.UpdatedAt, cur.CreatedBy, cur.UpdatedBy = at, at, "fuzz", "fuzz"

		// patch runs PatchContact's mutation of c; ok reports success.
		patch := func(c *Contact, pm map[string]any) (*Contact, bool) {
			merged, err := applyPatch(c, pm)
			if err != nil {
				t.Fatalf("applyPatch: %v; doc %q patch %q", err, docData, patchData)
			}
			in, err := DecodeContactInput(merged)
			if err != nil {
				requireInvalid(t, err, merged)
				return nil, false
			}
			if err := checkReadOnly(c, in.ReadOnly); err != nil {
				requireInvalid(t, err, merged)
				return nil, false
			}
			next, err := buildContact(in, clone(c), "US")
			if err != nil {
				requireInvalid(t, err, merged)
				return nil, false
			}
			return next, true
		}

		if same, ok := patch(cur, map[string]any{}); !ok {
			t.Fatalf("an empty patch is rejected; doc %q", docData)
		} else if d := diff(cur, same); len(d) != 0 {
			t.Fatalf("an empty patch changes %v; doc %q", d, docData)
		}

		var pm map[string]any
		if unmarshalNumbers(patchData, &pm) != nil || pm == nil {
			return
		}
		next, ok := patch(cur, pm)
		if !ok {
			return
		}
		again, ok := patch(next, pm)
		if !ok {
			t.Fatalf("a patch accepted once is rejected the second time; doc %q patch %q", docData, patchData)
		}
		if d := diff(next, again); len(d) != 0 {
			b1, _ := json.Marshal(next)
			b2, _ := json.Marshal(again)
			t.Fatalf("applying a patch twice changes %v the second time\ndoc   %q\npatch %q\nonce  %s\ntwice %s", keys(d), docData, patchData, b1, b2)
		}
	})
}

func keys(m map[string]FieldChange) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// FuzzMerge decodes a merge request and computes the survivor of two
// contacts under its field choices: a request is refused with field
// errors or gives a valid contact, whose every field has a provenance.
func FuzzMerge(f *testing.F) {
	for _, s := range []string{
		`{"targetId":"ct_a","sourceIds":["ct_b"]}`,
		`{"targetId":"ct_a","sourceIds":["ct_b"],"dryRun":true,"fields":{"jobTitle":"ct_b","company":"Acme","phones":"ct_b"}}`,
		`{"targetId":"ct_a","sourceIds":["ct_b"],"fields":{"emails":[{"address":"x@y.z"}],"tags":null,"properties":{"a":1}}}`,
		`{"targetId":"ct_a","sourceIds":["ct_a"]}`,
		`{"targetId":"ct_a","sourceIds":[],"force":"yes"}`,
		`{"targetId":"ct_a","sourceIds":["ct_b"],"fields":{"id":"ct_b","displayName":"ct_b"}}`,
	} {
		f.Add([]byte(s))
	}
	build := func(doc string) *Contact {
		in, err := DecodeContactInput([]byte(doc))
		if err != nil {
			f.Fatal(err)
		}
		c, err := buildContact(in, nil, "US")
		if err != nil {
			f.Fatal(err)
		}
		return c
	}
	a := build(`{"firstName":"Ann","lastName":"Lee","phones":[{"number":"+14155550100","primary":true}],"emails":[{"address":"ann@lee.io"}],"tags":["vip"],"properties":{"tier":"gold"}}`)
	b := build(`{"firstName":"Annie","jobTitle":"CTO","phones":[{"number":"(415) 555-0100"},{"number":"+14155550111"}],"emails":[{"address":"ANN@lee.io"},{"address":"a@b.c"}],"tags":["VIP","lead"],"properties":{"tier":"x","n":2}}`)
	a.ID, b.ID = "ct_a", "ct_b"
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := DecodeMerge(data)
		if err != nil {
			requireInvalid(t, err, data)
			return
		}
		doc, prov, err := merged(a, []*Contact{b}, in.Fields)
		if err != nil {
			requireInvalid(t, err, data)
			return
		}
		c, err := (&Service{}).contactFromDoc(doc, a, "US")
		if err != nil {
			requireInvalid(t, err, data)
			return
		}
		fixListProvenance(c, prov, []*Contact{a, b})
		if len(c.Phones) > 0 && len(prov["phones"].([]string)) != len(c.Phones) {
			t.Fatalf("phones %v, provenance %v", c.Phones, prov["phones"])
		}
	})
}

// FuzzDecodeUserInput checks that decoding a user document never panics,
// that every rejection is an EInvalid naming a field, and that what it
// accepts validates (the password aside: hashing is slow by design) to
// an error naming a field or to a user whose email is lower case.
func FuzzDecodeUserInput(f *testing.F) {
	for _, s := range []string{`{"email":"Ann@Example.com","name":"Ann","role":"editor","password":"a long enough password"}`,
		`{"email":null}`, `{"name":null,"role":"owner"}`, `{"id":"usr_1","createdAt":"x","scopes":[]}`, `{"email":1}`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := DecodeUserInput(data)
		if err != nil {
			requireInvalid(t, err, data)
			return
		}
		delete(in.Set, "password")
		u := &User{}
		if err := in.apply(u); err != nil {
			requireInvalid(t, err, data)
			return
		}
		if u.Email != strings.ToLower(u.Email) {
			t.Fatalf("email %q kept its capitals; input %q", u.Email, data)
		}
	})
}
