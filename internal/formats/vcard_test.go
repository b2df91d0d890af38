package formats

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd"
)

// readAll reads every record of a reader.
func readAll(t testing.TB, r Reader) []*Record {
	t.Helper()
	var out []*Record
	for {
		rec, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, rec)
	}
}

func readCards(t testing.TB, text string) []*Record {
	t.Helper()
	return readAll(t, NewVCardReader(strings.NewReader(text)))
}

// TestVCardTestdata: every card of the shared test files reads, with a
// name, and what the model cannot hold is named in the warnings.
func TestVCardTestdata(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/testdata/vcard/*/*.vcf")
	if len(files) == 0 {
		t.Skip("../shared/testdata is not beside the checkout")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			recs := readCards(t, string(b))
			if len(recs) == 0 {
				t.Fatal("no card read")
			}
			for _, r := range recs {
				if r.Err != nil {
					t.Errorf("card %d: %v", r.N, r.Err)
					continue
				}
				in := r.Input
				named := in.FirstName+in.LastName+in.DisplayName+in.Company != "" || len(in.Emails) > 0 || len(in.Phones) > 0
				if !named && !slices.Contains(r.Warnings, "the card has neither FN nor N") {
					// (sabre-vobject's issue64.vcf is a photo and nothing
					// else: the import reports it as a row that names no one.)
					t.Errorf("card %d names no one, and no warning says so: %+v %q", r.N, in, r.Warnings)
				}
			}
		})
	}
}

func TestVCard40Full(t *testing.T) {
	b, err := os.ReadFile("../../../shared/testdata/vcard/py-vobject/vcard40_full.vcf")
	if err != nil {
		t.Skip("../shared/testdata is not beside the checkout")
	}
	recs := readCards(t, string(b))
	in := recs[0].Input
	want := &contactd.ContactInput{
		FirstName: "John", MiddleName: "Quinlan", LastName: "Public", Suffix: "III", DisplayName: "Dr. John Q. Public, III",
		NickName: "Johnny", Company: "Example Corp.", Department: "North Division, Marketing", JobTitle: "CEO",
		Birthday: "1985-04-15", Anniversary: "2010-06-12", Notes: "This is a note about John.\nHe likes vCards.", Locale: "en", Timezone: "America/New_York",
		Phones: []contactd.Phone{{Number: "+1-555-555-5555", Type: "other", Primary: true}, {Number: "+1-555-123-4567", Type: "mobile"}},
		Emails: []contactd.Email{{Address: "john.public@example.com", Type: "work"}, {Address: "johnny@personal.example.org", Type: "personal", Primary: true}},
		Addresses: []contactd.Address{
			{Type: "work", Street: "123 Main Street", City: "Any Town", State: "CA", PostalCode: "91921-1234", Country: "U.S.A."},
			{Type: "home", Street: "456 Oak Lane", City: "Somewhere", State: "NY", PostalCode: "10001", Country: "U.S.A.", Primary: true},
		},
		Handles: []contactd.Handle{{Type: "url", Value: "http://www.example.com/~jqpublic"},
			{Type: "other", Value: "xmpp:john@jabber.example.com"}, {Type: "sip", Value: "sip:john@voip.example.com"}},
		Tags: []string{"BUSINESS", "NETWORKING"},
	}
	props := in.Properties
	in.Properties = nil
	if !reflect.DeepEqual(in, want) {
		t.Errorf("read\n %+v\nwant\n %+v", in, want)
	}
	var p map[string]map[string]any
	if err := json.Unmarshal(props, &p); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"namePrefix", "GENDER", "GEO", "ROLE", "RELATED", "UID", "REV", "FBURL", "CALURI", "CALADRURI"} {
		if _, ok := p["vcard"][k]; !ok {
			t.Errorf("properties.vcard lacks %s: %s", k, props)
		}
	}
	for _, w := range []string{"PHOTO is not kept", "LOGO is not kept", "SOUND is not kept", "KEY is not kept", "GENDER kept in properties.vcard"} {
		if !slices.ContainsFunc(recs[0].Warnings, func(s string) bool { return strings.HasPrefix(s, w) }) {
			t.Errorf("no warning %q in %q", w, recs[0].Warnings)
		}
	}
}

// TestVCard21: version 2.1's quoted-printable values (with soft line
// breaks), charsets and bare parameters.
func TestVCard21(t *testing.T) {
	latin1 := "N;CHARSET=ISO-8859-1:M\xfcller;J\xfcrgen;;;\r\n"
	card := "BEGIN:VCARD\r\nVERSION:2.1\r\n" + latin1 +
		"FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen M=C3=BCller\r\n" +
		"NOTE;ENCODING=QUOTED-PRINTABLE:Line one=0D=0ALine two, with a soft=\r\n break\r\n" +
		"TEL;CELL;PREF:+49 151 1234567\r\nTEL;WORK;FAX:+49 30 1234567\r\nEMAIL;INTERNET:j@example.de\r\n" +
		"ADR;HOME:;;Hauptstr. 1;Berlin;;10115;Germany\r\nEND:VCARD\r\n"
	recs := readCards(t, card)
	if len(recs) != 1 || recs[0].Err != nil {
		t.Fatalf("%+v", recs)
	}
	in := recs[0].Input
	if in.LastName != "Müller" || in.FirstName != "Jürgen" || in.DisplayName != "" {
		t.Errorf("names %q %q %q", in.FirstName, in.LastName, in.DisplayName)
	}
	if in.Notes != "Line one\nLine two, with a soft break" {
		t.Errorf("notes %q", in.Notes)
	}
	wantPhones := []contactd.Phone{{Number: "+49 151 1234567", Type: "mobile", Primary: true}, {Number: "+49 30 1234567", Type: "work_fax"}}
	if !reflect.DeepEqual(in.Phones, wantPhones) {
		t.Errorf("phones %+v", in.Phones)
	}
	if len(in.Emails) != 1 || in.Emails[0].Address != "j@example.de" || len(in.Addresses) != 1 || in.Addresses[0].Type != "home" || in.Addresses[0].City != "Berlin" {
		t.Errorf("emails %+v addresses %+v", in.Emails, in.Addresses)
	}
}

func TestVCardReaderStream(t *testing.T) {
	text := "junk before\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:One\r\nEND:VCARD\r\n" +
		"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Two\r\nNOTE:folded\r\n  across lines\r\nEND:VCARD\r\n" +
		"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Cut short\r\n"
	recs := readCards(t, text)
	if len(recs) != 3 {
		t.Fatalf("%d records", len(recs))
	}
	if recs[0].Input.DisplayName != "One" || recs[1].Input.Notes != "folded across lines" || recs[1].N != 2 {
		t.Errorf("records %+v %+v", recs[0].Input, recs[1].Input)
	}
	if recs[2].Err == nil {
		t.Errorf("a card without END read as %+v", recs[2].Input)
	}

	// A card over the size limit is an error of its own; the next is read.
	big := "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Big\r\n" + strings.Repeat("X-BLOB:"+strings.Repeat("a", 60000)+"\r\n", 80) + "END:VCARD\r\n"
	recs = readCards(t, big+"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:After\r\nEND:VCARD\r\n")
	if len(recs) != 2 || recs[0].Err == nil || recs[1].Input.DisplayName != "After" {
		t.Errorf("after a large card: %+v", recs)
	}
}

// roundTripContact is a contact with every field vCard carries.
func roundTripContact() *contactd.Contact {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return &contactd.Contact{
		ID: "ct_01roundtrip0000000000000000", Version: 3, Kind: "person", ContactType: "company",
		FirstName: "Zoë", MiddleName: "Ann", LastName: "O'Brien; Jr", Suffix: "PhD", DisplayName: "Dr. Zoë O'Brien",
		NickName: "Zo", Company: "Acme, Inc.", Department: "R&D", JobTitle: "Chief Scientist", Birthday: "--02-29",
		Notes: "Line one, with a comma;\nline two\\with a backslash", Locale: "fr-CA", Timezone: "America/Montreal",
		Phones: []contactd.Phone{{Number: "+1 415 555 2671", E164: "+14155552671", Type: "mobile", Primary: true},
			{Number: "+44 20 7946 0000 x12", E164: "+442079460000", Extension: "12", Type: "work_fax"}},
		Emails: []contactd.Email{{Address: "zoe@example.org", Type: "work", Primary: true}, {Address: "z@home.example", Type: "personal"}},
		Addresses: []contactd.Address{{Type: "home", Street: "Rue de la Paix", Apartment: "Apt 4", City: "Paris",
			State: "IDF", PostalCode: "75002", Country: "France", Primary: true}},
		Handles: []contactd.Handle{{Type: "url", Value: "https://zoe.example"}, {Type: "whatsapp", Value: "+14155552671"},
			{Type: "sip", Value: "sip:zoe@pbx.example"}, {Type: "x", Value: "https://x.com/zoe"}, {Type: "linkedin", Value: "https://linkedin.com/in/zoe"}},
		Tags: []string{"vip", "a, b"}, ExternalID: "crm-42", Properties: json.RawMessage(`{"tier":2}`),
		Source: "api", CreatedAt: at, UpdatedAt: at,
	}
}

// TestVCardRoundTrip: a contact written as a vCard of either version reads
// back as the same input, but for what vCard does not carry.
func TestVCardRoundTrip(t *testing.T) {
	for _, version := range []string{"4.0", "3.0"} {
		t.Run(version, func(t *testing.T) {
			c := roundTripContact()
			var buf bytes.Buffer
			if err := WriteVCard(&buf, c, version, nil); err != nil {
				t.Fatal(err)
			}
			for _, l := range strings.Split(strings.TrimSuffix(buf.String(), "\r\n"), "\r\n") {
				if len(l) > 75 {
					t.Errorf("line of %d octets: %q", len(l), l)
				}
			}
			recs := readCards(t, buf.String())
			if len(recs) != 1 || recs[0].Err != nil {
				t.Fatalf("%+v", recs)
			}
			got := recs[0].Input
			want := &contactd.ContactInput{
				FirstName: c.FirstName, MiddleName: c.MiddleName, LastName: c.LastName, Suffix: c.Suffix,
				DisplayName: c.DisplayName, NickName: c.NickName, Company: c.Company, Department: c.Department,
				JobTitle: c.JobTitle, Birthday: c.Birthday, Notes: c.Notes, Locale: c.Locale, Timezone: c.Timezone,
				Phones: []contactd.Phone{{Number: "+14155552671", Type: "mobile", Primary: true},
					{Number: "+442079460000 ext. 12", Type: "work_fax"}},
				Emails:    c.Emails,
				Addresses: c.Addresses,
				Handles:   c.Handles,
				Tags:      c.Tags, ExternalID: c.ExternalID, Properties: c.Properties,
			}
			if !reflect.DeepEqual(got, want) {
				gj, _ := json.MarshalIndent(got, "", " ")
				wj, _ := json.MarshalIndent(want, "", " ")
				t.Errorf("read back\n%s\nwant\n%s\ncard:\n%s", gj, wj, buf.String())
			}
			if len(recs[0].Warnings) != 0 {
				t.Errorf("warnings %q", recs[0].Warnings)
			}
		})
	}
}

func FuzzVCardReader(f *testing.F) {
	f.Add("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nTEL;TYPE=cell:+1 415 555 2671\r\nEND:VCARD\r\n")
	f.Add("BEGIN:VCARD\nVERSION:2.1\nN;ENCODING=QUOTED-PRINTABLE:=C3=BC;a=\n b\nTEL;CELL;PREF:1\nEND:VCARD\n")
	f.Add("BEGIN:VCARD\r\nVERSION:4.0\r\nN:;;;;\r\nADR:;;;;;;\r\nBDAY:--0229\r\nX-A;\"q:\"=1:v\r\nEND:VCARD\r\n")
	f.Add("BEGIN:VCARD\r\nEND:VCARD\r\nBEGIN:VCARD\r\n")
	files, _ := filepath.Glob("../../../shared/testdata/vcard/*/*.vcf")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(string(b))
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		r := NewVCardReader(strings.NewReader(text))
		for n := 1; ; n++ {
			rec, err := r.Next()
			if err != nil {
				return // io.EOF, or a line over the limit
			}
			if rec.N != n {
				t.Fatalf("record %d numbered %d", n, rec.N)
			}
			if (rec.Err == nil) == (rec.Input == nil) {
				t.Fatalf("record %d: input %v and error %v", n, rec.Input, rec.Err)
			}
			if rec.Input != nil && rec.Input.Properties != nil {
				if len(rec.Input.Properties) > contactd.MaxPropertyBytes || !json.Valid(rec.Input.Properties) {
					t.Fatalf("properties %q", rec.Input.Properties)
				}
			}
		}
	})
}
