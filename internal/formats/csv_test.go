package formats

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/contactd/contactd"
)

// csvFile writes a header and rows as CSV.
func csvFile(t testing.TB, header []string, rows ...[]string) string {
	t.Helper()
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	_ = w.Write(header)
	for _, r := range rows {
		_ = w.Write(r)
	}
	w.Flush()
	return b.String()
}

// rowFor makes a row of header with the given values by header name.
func rowFor(header []string, values map[string]string) []string {
	row := make([]string, len(header))
	for i, h := range header {
		row[i] = values[h]
	}
	return row
}

func readCSV(t testing.TB, text string, opt CSVOptions) (*CSVReader, []*Record) {
	t.Helper()
	r, err := NewCSVReader(strings.NewReader(text), opt)
	if err != nil {
		t.Fatalf("NewCSVReader: %v", err)
	}
	return r, readAll(t, r)
}

func sharedHeader(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile("../../../shared/testdata/csv/headers/" + name)
	if err != nil {
		t.Skip("../shared/testdata is not beside the checkout")
	}
	h, err := csv.NewReader(bytes.NewReader(b)).Read()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestCSVLayouts: a row of each common export, with the real header of
// ../shared/testdata, reads into the contact it describes.
func TestCSVLayouts(t *testing.T) {
	cases := []struct {
		file, layout string
		values       map[string]string
		want         contactd.ContactInput
		props        string
	}{
		{"google_contacts_current_export.header.csv", "google", map[string]string{
			"First Name": "Ada", "Middle Name": "King", "Last Name": "Lovelace", "Name Prefix": "Lady", "Name Suffix": "II",
			"Nickname": "Ada", "Organization Name": "Analytical Engines", "Organization Title": "Programmer",
			"Organization Department": "R&D", "Birthday": "1815-12-10", "Notes": "First programmer\nNote bene", "Labels": "* myContacts ::: Math ::: VIP",
			"E-mail 1 - Label": "* Work", "E-mail 1 - Value": "ada@engines.example", "E-mail 2 - Label": "Home", "E-mail 2 - Value": "ada@home.example ::: ada2@home.example",
			"Phone 1 - Label": "Mobile", "Phone 1 - Value": "+44 7700 900123", "Phone 2 - Label": "Work Fax", "Phone 2 - Value": "+44 20 7946 0000",
			"Address 1 - Label": "Home", "Address 1 - Street": "12 St James's Square", "Address 1 - City": "London", "Address 1 - Postal Code": "SW1Y 4JH",
			"Address 1 - Country": "United Kingdom", "Address 1 - Formatted": "12 St James's Square\nLondon",
			"Website 1 - Label": "Homepage", "Website 1 - Value": "https://ada.example", "Custom Field 1 - Label": "tier", "Custom Field 1 - Value": "gold",
			"Event 1 - Label": "Anniversary", "Event 1 - Value": "1835-07-08",
		}, contactd.ContactInput{FirstName: "Ada", MiddleName: "King", LastName: "Lovelace", Suffix: "II", NickName: "Ada",
			Company: "Analytical Engines", JobTitle: "Programmer", Department: "R&D", Birthday: "1815-12-10", Anniversary: "1835-07-08", Notes: "First programmer\nNote bene",
			Tags:      []string{"Math", "VIP"},
			Emails:    []contactd.Email{{Address: "ada@engines.example", Type: "work", Primary: true}, {Address: "ada@home.example", Type: "personal"}, {Address: "ada2@home.example", Type: "personal"}},
			Phones:    []contactd.Phone{{Number: "+44 7700 900123", Type: "mobile"}, {Number: "+44 20 7946 0000", Type: "work_fax"}},
			Addresses: []contactd.Address{{Type: "home", Street: "12 St James's Square", City: "London", PostalCode: "SW1Y 4JH", Country: "United Kingdom"}},
			Handles:   []contactd.Handle{{Type: "url", Value: "https://ada.example"}},
		}, `{"namePrefix":"Lady","tier":"gold"}`},
		{"google_legacy_google_csv.header.csv", "google-legacy", map[string]string{
			"Name": "Grace Hopper", "Given Name": "Grace", "Family Name": "Hopper", "Group Membership": "* My Contacts ::: Navy",
			"E-mail 1 - Type": "* Work", "E-mail 1 - Value": "grace@navy.example", "Phone 1 - Type": "Mobile", "Phone 1 - Value": "(415) 555-2671",
			"Organization 1 - Name": "US Navy", "Organization 1 - Title": "Rear Admiral", "Notes": "COBOL", "Gender": "female",
		}, contactd.ContactInput{Name: "Grace Hopper", FirstName: "Grace", LastName: "Hopper", Tags: []string{"Navy"}, Company: "US Navy",
			JobTitle: "Rear Admiral", Notes: "COBOL", Emails: []contactd.Email{{Address: "grace@navy.example", Type: "work", Primary: true}},
			Phones: []contactd.Phone{{Number: "(415) 555-2671", Type: "mobile"}},
		}, `{"csv":{"Gender":"female"}}`},
		{"outlook_com_export.header.csv", "outlook", map[string]string{
			"First Name": "Alan", "Last Name": "Turing", "Title": "Dr.", "Job Title": "Mathematician", "Company": "Bletchley Park",
			"E-mail Address": "alan@bletchley.example", "E-mail 2 Address": "turing@example.org", "Mobile Phone": "+44 7700 900456",
			"Business Phone": "+44 1908 640404", "Home Fax": "+44 20 7946 0001", "Birthday": "6/23/1912",
			"Business Street": "Sherwood Drive", "Business City": "Milton Keynes", "Business Postal Code": "MK3 6EB", "Business Country": "UK",
			"Business Address": "Sherwood Drive, Milton Keynes", "Categories": "Enigma;Computing", "Notes": "Codebreaker", "Web Page": "https://turing.example",
		}, contactd.ContactInput{FirstName: "Alan", LastName: "Turing", JobTitle: "Mathematician", Company: "Bletchley Park",
			Birthday: "1912-06-23", Notes: "Codebreaker", Tags: []string{"Enigma", "Computing"},
			Emails:    []contactd.Email{{Address: "alan@bletchley.example", Type: "other", Primary: true}, {Address: "turing@example.org", Type: "other"}},
			Phones:    []contactd.Phone{{Number: "+44 7700 900456", Type: "mobile"}, {Number: "+44 20 7946 0001", Type: "home_fax"}, {Number: "+44 1908 640404", Type: "work"}},
			Addresses: []contactd.Address{{Type: "work", Street: "Sherwood Drive", City: "Milton Keynes", PostalCode: "MK3 6EB", Country: "UK"}},
			Handles:   []contactd.Handle{{Type: "url", Value: "https://turing.example"}},
		}, `{"namePrefix":"Dr."}`},
		{"outlook_desktop_classic_export.header.csv", "outlook", map[string]string{
			"First Name": "Hedy", "Last Name": "Lamarr", "Business Country/Region": "USA", "Business City": "Los Angeles",
			"Primary Phone": "+1 310 555 0100", "E-mail Address": "hedy@example.com", "Birthday": "0/0/00", "Categories": "Inventors",
		}, contactd.ContactInput{FirstName: "Hedy", LastName: "Lamarr", Tags: []string{"Inventors"},
			Addresses: []contactd.Address{{Type: "work", City: "Los Angeles", Country: "USA"}},
			Phones:    []contactd.Phone{{Number: "+1 310 555 0100", Type: "other", Primary: true}},
			Emails:    []contactd.Email{{Address: "hedy@example.com", Type: "other", Primary: true}},
		}, ``},
		{"thunderbird_export.header.csv", "thunderbird", map[string]string{
			"First Name": "Linus", "Last Name": "Torvalds", "Display Name": "Linus T.", "Primary Email": "linus@kernel.example",
			"Secondary Email": "lt@example.org", "Work Phone": "+1 503 555 0199", "Mobile Number": "+1 503 555 0100",
			"Home City": "Portland", "Home State": "OR", "Home ZipCode": "97201", "Birth Year": "1969", "Birth Month": "12", "Birth Day": "28",
			"Organization": "Linux Foundation", "Web Page 1": "https://kernel.example", "Custom 1": "penguin",
		}, contactd.ContactInput{FirstName: "Linus", LastName: "Torvalds", DisplayName: "Linus T.", Company: "Linux Foundation",
			Birthday:  "1969-12-28",
			Emails:    []contactd.Email{{Address: "linus@kernel.example", Type: "other", Primary: true}, {Address: "lt@example.org", Type: "other"}},
			Phones:    []contactd.Phone{{Number: "+1 503 555 0199", Type: "work"}, {Number: "+1 503 555 0100", Type: "mobile"}},
			Addresses: []contactd.Address{{Type: "home", City: "Portland", State: "OR", PostalCode: "97201"}},
			Handles:   []contactd.Handle{{Type: "url", Value: "https://kernel.example"}},
		}, `{"csv":{"Custom 1":"penguin"}}`},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			h := sharedHeader(t, tc.file)
			for k := range tc.values {
				if !slices.Contains(h, k) {
					t.Fatalf("the test names %q, which the header lacks", k)
				}
			}
			r, recs := readCSV(t, csvFile(t, h, rowFor(h, tc.values)), CSVOptions{})
			if r.Layout() != tc.layout {
				t.Errorf("layout %s, want %s", r.Layout(), tc.layout)
			}
			if len(recs) != 1 || recs[0].Err != nil || recs[0].N != 2 {
				t.Fatalf("records %+v", recs)
			}
			got := recs[0].Input
			props := string(got.Properties)
			got.Properties = nil
			if !reflect.DeepEqual(*got, tc.want) {
				gj, _ := json.Marshal(got)
				wj, _ := json.Marshal(tc.want)
				t.Errorf("read\n%s\nwant\n%s", gj, wj)
			}
			if props != tc.props {
				t.Errorf("properties %s, want %s", props, tc.props)
			}
		})
	}
}

func TestCSVCharsetsAndDelimiters(t *testing.T) {
	text := "First Name;Last Name;Notes\r\nJürgen;Müller;\"Zeile 1\r\nZeile 2; mit Semikolon\"\r\n"
	utf16, _ := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(text)
	latin1, _ := charmap.ISO8859_1.NewEncoder().String(text)
	for name, tc := range map[string]struct {
		data    string
		charset string
	}{
		"utf-8":            {text, ""},
		"utf-8 with bom":   {"\uFEFF" + text, ""},
		"utf-16 with bom":  {utf16, ""},
		"latin-1 detected": {latin1, ""},
		"latin-1 given":    {latin1, "iso-8859-1"},
		"utf-16 given":     {utf16, "utf-16"},
		"tabs":             {strings.ReplaceAll(strings.ReplaceAll(text, ";", "\t"), "Zeile 2\t mit", "Zeile 2; mit"), ""},
	} {
		t.Run(name, func(t *testing.T) {
			_, recs := readCSV(t, tc.data, CSVOptions{Charset: tc.charset})
			if len(recs) != 1 || recs[0].Err != nil {
				t.Fatalf("records %+v", recs)
			}
			in := recs[0].Input
			if in.FirstName != "Jürgen" || in.LastName != "Müller" || in.Notes != "Zeile 1\nZeile 2; mit Semikolon" {
				t.Errorf("read %q %q %q", in.FirstName, in.LastName, in.Notes)
			}
		})
	}
	if _, err := NewCSVReader(strings.NewReader(text), CSVOptions{Charset: "klingon"}); !isCSVError(err, "charset") {
		t.Errorf("an unknown charset: %v", err)
	}
}

func isCSVError(err error, field string) bool {
	var ce *CSVError
	return errors.As(err, &ce) && ce.Field == field
}

func TestCSVRowsAndMapping(t *testing.T) {
	text := "Name,Phone,Member Since,Account\n" +
		"Ann Lee,+1 415 555 2671,2020,A-1\n" +
		"too,few\n" +
		"Bob,+1 415 555 2672,2021,B-2,extra\n" +
		"\n" +
		"Cy,,2022,C-3\n"
	r, recs := readCSV(t, text, CSVOptions{})
	if !slices.ContainsFunc(r.Warnings(), func(w string) bool { return strings.Contains(w, "Member Since, Account") }) {
		t.Errorf("warnings %q", r.Warnings())
	}
	if len(recs) != 4 {
		t.Fatalf("%d records", len(recs))
	}
	if recs[0].Err != nil || recs[0].Input.Name != "Ann Lee" || string(recs[0].Input.Properties) != `{"csv":{"Account":"A-1","Member Since":"2020"}}` {
		t.Errorf("row 2: %+v %s", recs[0], recs[0].Input.Properties)
	}
	for i, line := range []int{3, 4} {
		rec := recs[1+i]
		if rec.Err == nil || rec.N != line || len(rec.Raw) == 0 {
			t.Errorf("ragged row on line %d: %+v", line, rec)
		}
	}
	if recs[3].N != 6 || recs[3].Input.Name != "Cy" {
		t.Errorf("the row after ragged ones: %+v", recs[3])
	}

	_, recs = readCSV(t, text, CSVOptions{Mapping: map[string]string{"account": "externalId", "Member Since": "properties.since", "Phone": "phone:work"}})
	in := recs[0].Input
	if in.ExternalID != "A-1" || string(in.Properties) != `{"since":"2020"}` || in.Phones[0].Type != "work" {
		t.Errorf("mapped: %+v %s", in, in.Properties)
	}
	for mapping, field := range map[string]string{
		`{"Nope":"firstName"}`:    "mapping.Nope",
		`{"Phone":"phone:cell"}`:  "mapping.Phone",
		`{"Name":"shoeSize"}`:     "mapping.Name",
		`{"Name":"address:home"}`: "mapping.Name",
	} {
		var m map[string]string
		_ = json.Unmarshal([]byte(mapping), &m)
		if _, err := NewCSVReader(strings.NewReader(text), CSVOptions{Mapping: m}); !isCSVError(err, field) {
			t.Errorf("mapping %s: %v, want a problem at %s", mapping, err, field)
		}
	}
	if _, err := NewCSVReader(strings.NewReader(""), CSVOptions{}); !isCSVError(err, "") {
		t.Errorf("an empty file: %v", err)
	}
}

// TestCSVRoundTrip: a contact written in Google's layout reads back as the
// same input, but for what the layout does not carry.
func TestCSVRoundTrip(t *testing.T) {
	c := roundTripContact()
	c.DisplayNameSet = true
	c.Addresses[0].StreetNumber = "5"
	var buf bytes.Buffer
	w, err := NewCSVWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(c); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r, recs := readCSV(t, buf.String(), CSVOptions{})
	if r.Layout() != "google" || len(r.Warnings()) != 0 {
		t.Errorf("layout %s, warnings %q", r.Layout(), r.Warnings())
	}
	if len(recs) != 1 || recs[0].Err != nil {
		t.Fatalf("%+v", recs)
	}
	got := recs[0].Input
	want := &contactd.ContactInput{
		FirstName: c.FirstName, MiddleName: c.MiddleName, LastName: c.LastName, Suffix: c.Suffix, DisplayName: c.DisplayName,
		NickName: c.NickName, Company: c.Company, Department: c.Department, JobTitle: c.JobTitle, Birthday: c.Birthday,
		Notes: c.Notes, Tags: c.Tags, ExternalID: c.ExternalID,
		Emails: c.Emails,
		Phones: []contactd.Phone{{Number: "+14155552671", Type: "mobile", Primary: true}, {Number: "+442079460000 ext. 12", Type: "work_fax"}},
		Addresses: []contactd.Address{{Type: "home", Street: "5 Rue de la Paix", Apartment: "Apt 4", City: "Paris", State: "IDF",
			PostalCode: "75002", Country: "France", Primary: true}},
		Handles: c.Handles[:CSVWebsites],
	}
	if !reflect.DeepEqual(got, want) {
		gj, _ := json.MarshalIndent(got, "", " ")
		wj, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("read back\n%s\nwant\n%s\nfile:\n%s", gj, wj, buf.String())
	}
}

func FuzzCSVReader(f *testing.F) {
	f.Add("First Name,Last Name,E-mail 1 - Label,E-mail 1 - Value\nA,B,* Work,a@b.c ::: d@e.f\n", "", `{}`)
	f.Add("Name;Phone\n\"x\ny\";1\n;\n", "", `{"Phone":"phone:mobile"}`)
	f.Add("Birth Year\tBirth Month\tBirth Day\n1\t2\t3\n", "windows-1252", `{"Birth Year":"ignore"}`)
	f.Add("\xff\xfeN\x00a\x00m\x00e\x00\n\x00", "", `{}`)
	f.Add("Address 1 - Formatted,Address 1 - Label\n\"a\nb\",Home\n", "utf-16", `{"x":"y"}`)
	// Each real export's header, with a row whose cells look like what
	// the columns hold.
	headers, _ := filepath.Glob("../../../shared/testdata/csv/headers/*.csv")
	for _, name := range headers {
		b, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		cols, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")))).Read()
		if err != nil {
			continue
		}
		row := make([]string, len(cols))
		for i, c := range cols {
			switch lc := strings.ToLower(c); {
			case strings.Contains(lc, "mail"):
				row[i] = "a@example.com"
			case strings.Contains(lc, "phone") || strings.Contains(lc, "fax"):
				row[i] = "+1 415 555 2671"
			case strings.Contains(lc, "birth"):
				row[i] = "1990-02-03"
			default:
				row[i] = "v"
			}
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write(cols)
		_ = w.Write(row)
		w.Flush()
		f.Add(buf.String(), "", `{}`)
	}
	f.Fuzz(func(t *testing.T, text, charset, mapping string) {
		var m map[string]string
		_ = json.Unmarshal([]byte(mapping), &m)
		r, err := NewCSVReader(strings.NewReader(text), CSVOptions{Charset: charset, Mapping: m})
		if err != nil {
			var ce *CSVError
			if !errors.As(err, &ce) {
				t.Fatalf("an error that is not a *CSVError: %v", err)
			}
			return
		}
		for {
			rec, err := r.Next()
			if err != nil {
				return
			}
			if (rec.Err == nil) == (rec.Input == nil) {
				t.Fatalf("record %d: input %v and error %v", rec.N, rec.Input, rec.Err)
			}
			if rec.Input != nil && rec.Input.Properties != nil && (len(rec.Input.Properties) > contactd.MaxPropertyBytes || !json.Valid(rec.Input.Properties)) {
				t.Fatalf("properties %q", rec.Input.Properties)
			}
		}
	})
}

// The targets shown for a file's columns read back as the same targets
// (those a mapping can name), and a Google export's groups are described.
func TestCSVTargets(t *testing.T) {
	head := "First Name,Last Name,E-mail Address,Mobile Phone,Home Street,Labels,Notes,Phone 1 - Value,Shoe size\r\n"
	r, err := NewCSVReader(strings.NewReader(head), CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := r.Targets()
	want := []string{"firstName", "lastName", "email", "phone:mobile", "address:home.street", "tags", "notes", "phone 1 value", "unknown (kept)"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("targets:\n got %q\nwant %q", got, want)
	}
	for i, s := range got[:7] {
		tg, err := ParseTarget(s)
		if err != nil || tg.String() != s {
			t.Errorf("column %d: %q reads back as %q, %v", i, s, tg.String(), err)
		}
	}
}
