package contactd

import (
	"slices"
	"testing"
	"time"
)

func person(first, last, company string, phones []string, emails ...string) *Contact {
	c := &Contact{Kind: "person", FirstName: first, LastName: last, Company: company, DisplayName: first + " " + last}
	for _, p := range phones {
		c.Phones = append(c.Phones, Phone{E164: p})
	}
	for _, e := range emails {
		c.Emails = append(c.Emails, Email{Address: e})
	}
	return c
}

func TestComparePair(t *testing.T) {
	deleted := func(c *Contact) *Contact {
		now := time.Now()
		c.DeletedAt = &now
		return c
	}
	withExt := func(c *Contact, id string) *Contact { c.ExternalID = id; return c }
	org := func(name string) *Contact { return &Contact{Kind: "organization", Company: name, DisplayName: name} }
	for _, tc := range []struct {
		name     string
		a, b     *Contact
		reasons  []string // reason types, in order; nil: not candidates
		min, max float64
	}{
		{"same number, same name", person("Ann", "Lee", "", []string{"+14155550100"}), person("Ann", "Lee", "", []string{"+14155550100"}),
			[]string{ReasonPhone}, 0.9, 0.9},
		{"same number, one nameless", person("Ann", "Lee", "", []string{"+14155550100"}), &Contact{Kind: "person", DisplayName: "+1 415-555-0100", Phones: []Phone{{E164: "+14155550100"}}},
			[]string{ReasonPhone}, 0.75, 0.75},
		{"switchboard: same number, other names", person("Ann", "Lee", "Acme", []string{"+14155550100"}), person("Bo", "Park", "Acme", []string{"+14155550100"}),
			[]string{ReasonPhone}, 0.35, 0.35},
		{"same national number in two regions", person("Ann", "Lee", "", []string{"+442079460000"}), person("Ann", "Lee", "", []string{"+12079460000"}),
			[]string{ReasonNationalNumber}, 0.6, 0.6},
		{"gmail dots and +tag", person("", "", "", nil, "j.smith+crm@gmail.com"), person("", "", "", nil, "jsmith@googlemail.com"),
			[]string{ReasonEmail}, 0.9, 0.9},
		{"plus tag at a domain that keeps them", person("", "", "", nil, "j+a@example.com"), person("", "", "", nil, "j@example.com"), nil, 0, 0},
		{"dots at outlook are not ignored", person("", "", "", nil, "j.s@outlook.com"), person("", "", "", nil, "js@outlook.com"), nil, 0, 0},
		{"nickname with company", person("Bob", "Smith", "Acme Inc.", nil), person("Robert", "Smith", "ACME", nil),
			[]string{ReasonName}, 0.7, 0.7},
		{"accents and reordering with an email domain", person("José", "Núñez", "", nil, "jose@kline.io"), person("Nunez", "Jose", "", nil, "j.nunez@kline.io"),
			[]string{ReasonName}, 0.7, 0.7},
		{"initial", person("J.", "Smith", "Acme", nil), person("John", "Smith", "Acme", nil),
			[]string{ReasonName}, 0.55, 0.55},
		{"transliterated", person("Дмитрий", "Иванов", "Acme", nil), person("Dmitrii", "Ivanov", "Acme", nil),
			[]string{ReasonName}, 0.7, 0.7},
		{"umlaut spelled out", person("Jörg", "Müller", "Acme", nil), person("Joerg", "Mueller", "Acme", nil),
			[]string{ReasonName}, 0.7, 0.7},
		{"same name, no shared company or domain", person("John", "Smith", "Acme", nil), person("John", "Smith", "Globex", nil), nil, 0, 0},
		{"same name at a free mail domain", person("John", "Smith", "", nil, "a@gmail.com"), person("John", "Smith", "", nil, "b@gmail.com"), nil, 0, 0},
		{"other given name at one company", person("John", "Smith", "Acme", nil), person("Jane", "Smith", "Acme", nil), nil, 0, 0},
		{"reordered initial", person("Smith", "J.", "Acme", nil), person("John", "Smith", "Acme", nil), []string{ReasonName}, 0.55, 0.55},
		{"organizations of one name", org("Globex Corporation"), org("globex"), []string{ReasonName}, 0.7, 0.7},
		{"external id of a deleted contact", withExt(person("Ann", "Lee", "", nil), "crm-1"), deleted(withExt(person("Ann", "Lee", "", nil), "crm-1")),
			[]string{ReasonExternalID}, 0.95, 0.95},
		{"two deleted contacts", deleted(withExt(person("Ann", "Lee", "", nil), "crm-1")), deleted(withExt(person("Ann", "Lee", "", nil), "crm-1")), nil, 0, 0},
		{"a deleted contact's number", person("Ann", "Lee", "", []string{"+14155550100"}), deleted(person("Ann", "Lee", "", []string{"+14155550100"})), nil, 0, 0},
		{"number and name together", person("Ann", "Lee", "Acme", []string{"+14155550100"}), person("Ann", "Lee", "Acme", []string{"+14155550100"}),
			[]string{ReasonPhone, ReasonName}, 0.97, 0.97},
		{"strangers", person("Ann", "Lee", "", []string{"+14155550100"}, "ann@lee.io"), person("Bo", "Park", "", []string{"+14155550101"}, "bo@park.io"), nil, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := ComparePair(tc.a, tc.b)
			var got []string
			for _, r := range m.Reasons {
				got = append(got, r.Type)
			}
			if !slices.Equal(got, tc.reasons) || m.Score < tc.min || m.Score > tc.max {
				t.Fatalf("ComparePair = %v %.2f, want %v in [%.2f, %.2f] (%+v)", got, m.Score, tc.reasons, tc.min, tc.max, m.Reasons)
			}
			if r := ComparePair(tc.b, tc.a); r.Score != m.Score || len(r.Reasons) != len(m.Reasons) {
				t.Fatalf("not symmetric: %+v against %+v", r, m)
			}
			// Every candidate pair is found through a key the two share:
			// the stores pair contacts by their keys alone.
			ka, kb := DuplicateKeys(tc.a), DuplicateKeys(tc.b)
			shared := slices.ContainsFunc(ka, func(k DupKey) bool {
				return slices.ContainsFunc(kb, func(o DupKey) bool { return o.Key == k.Key && !(k.Weak && o.Weak) })
			})
			if len(m.Reasons) > 0 && !shared {
				t.Fatalf("candidates share no key: %v and %v", ka, kb)
			}
		})
	}
}

func TestDuplicateKeysOfMergedContact(t *testing.T) {
	c := person("Ann", "Lee", "Acme", []string{"+14155550100"}, "ann@lee.io")
	c.ExternalID = "crm-1"
	if len(DuplicateKeys(c)) < 4 {
		t.Fatalf("keys = %v", DuplicateKeys(c))
	}
	now := time.Now()
	c.DeletedAt = &now
	if k := DuplicateKeys(c); !slices.Equal(k, []DupKey{{Key: "x:crm-1"}}) {
		t.Fatalf("deleted contact's keys = %v, want only its external id's", k)
	}
	c.MergedInto = "ct_x"
	if k := DuplicateKeys(c); !slices.Equal(k, []DupKey{{Key: "x:crm-1"}}) {
		t.Fatalf("merged contact's keys = %v, want only its external id's", k)
	}
}

func TestCanonicalEmail(t *testing.T) {
	for in, want := range map[string]string{
		"J.Smith+news@GMail.com":  "jsmith@gmail.com",
		"j.smith@googlemail.com":  "jsmith@gmail.com",
		"ann+x@outlook.com":       "ann@outlook.com",
		"ann.lee+x@example.com":   "ann.lee+x@example.com",
		"not-an-address":          "not-an-address",
		" Ann.Lee@Example.COM ":   "ann.lee@example.com",
		"a.b+c+d@icloud.com":      "a.b@icloud.com",
		"first.last@fastmail.com": "first.last@fastmail.com",
	} {
		if got := CanonicalEmail(in); got != want {
			t.Errorf("CanonicalEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzDuplicateKeys(f *testing.F) {
	f.Add("José", "Núñez", "Acme Inc.", "j.smith+x@gmail.com", "+442079460000")
	f.Add("Дмитрий", "И", "", "a@b", "+1")
	f.Fuzz(func(t *testing.T, first, last, company, email, number string) {
		a := person(first, last, company, []string{number}, email)
		b := person(last, first, company, []string{number}, email)
		m := ComparePair(a, b)
		if m.Score < 0 || m.Score > 1 {
			t.Fatalf("score %v", m.Score)
		}
		for _, k := range DuplicateKeys(a) {
			if k.Key == "" || len(k.Key) > 255 {
				t.Fatalf("key %q", k.Key)
			}
		}
	})
}

// TestInitialKeysAreWeak: two full names of one initial at one company
// hold their initial's key weakly, so they are not paired through it;
// a name given as an initial pairs with both.
func TestInitialKeysAreWeak(t *testing.T) {
	pairs := func(a, b *Contact) bool {
		for _, k := range DuplicateKeys(a) {
			for _, o := range DuplicateKeys(b) {
				if k.Key == o.Key && !(k.Weak && o.Weak) {
					return true
				}
			}
		}
		return false
	}
	james, jack, j := person("James", "Smith", "Acme", nil), person("Jack", "Smith", "Acme", nil), person("J", "Smith", "Acme", nil)
	if pairs(james, jack) {
		t.Errorf("James and Jack Smith share a key: %v, %v", DuplicateKeys(james), DuplicateKeys(jack))
	}
	if !pairs(j, james) || !pairs(j, jack) {
		t.Errorf("J Smith does not meet James and Jack: %v", DuplicateKeys(j))
	}
}
