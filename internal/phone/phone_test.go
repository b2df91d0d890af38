package phone

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// Expected values were cross-checked with pnc (libphonenumber's C++ CLI).
var normalizeCases = []struct {
	name   string
	raw    string
	region string
	lookup bool // input for NormalizeLookup only
	want   Number
	err    error
}{
	// E.164 and international formats.
	{name: "e164", raw: "+14155552671", want: Number{E164: "+14155552671", Region: "US"}},
	{name: "e164 with region elsewhere", raw: "+442079460000", region: "US", want: Number{E164: "+442079460000", Region: "GB"}},
	{name: "international with spaces", raw: "+1 (415) 555-2671", region: "DE", want: Number{E164: "+14155552671", Region: "US"}},
	{name: "international surrounding whitespace", raw: "  +33 1 42 68 53 00 ", want: Number{E164: "+33142685300", Region: "FR"}},
	{name: "non-geographic", raw: "+800 1234 5678", want: Number{E164: "+80012345678"}},

	// National formats with punctuation.
	{name: "US national", raw: "(415) 555-2671", region: "US", want: Number{E164: "+14155552671", Region: "US"}},
	{name: "US dots", raw: "415.555.2671", region: "US", want: Number{E164: "+14155552671", Region: "US"}},
	{name: "US trunk prefix", raw: "1-415-555-2671", region: "US", want: Number{E164: "+14155552671", Region: "US"}},
	{name: "US trunk prefix digits only", raw: "14155552671", region: "US", want: Number{E164: "+14155552671", Region: "US"}},
	{name: "CA trunk prefix", raw: "1 (416) 555-0199", region: "CA", want: Number{E164: "+14165550199", Region: "CA"}},
	{name: "lowercase region", raw: "4155552671", region: "us", want: Number{E164: "+14155552671", Region: "US"}},
	{name: "GB national", raw: "020 7946 0000", region: "GB", want: Number{E164: "+442079460000", Region: "GB"}},
	{name: "GB mobile", raw: "07400 123456", region: "GB", want: Number{E164: "+447400123456", Region: "GB"}},
	{name: "DE national", raw: "030 123456", region: "DE", want: Number{E164: "+4930123456", Region: "DE"}},
	{name: "DE slash", raw: "089/1234567", region: "DE", want: Number{E164: "+49891234567", Region: "DE"}},
	{name: "FR national", raw: "01 42 68 53 00", region: "FR", want: Number{E164: "+33142685300", Region: "FR"}},
	{name: "FR mobile dots", raw: "06.12.34.56.78", region: "FR", want: Number{E164: "+33612345678", Region: "FR"}},
	{name: "BR mobile", raw: "(11) 96123-4567", region: "BR", want: Number{E164: "+5511961234567", Region: "BR"}},
	{name: "IN mobile", raw: "98765 43210", region: "IN", want: Number{E164: "+919876543210", Region: "IN"}},
	{name: "IN trunk prefix", raw: "098765-43210", region: "IN", want: Number{E164: "+919876543210", Region: "IN"}},
	{name: "JP fixed", raw: "03-1234-5678", region: "JP", want: Number{E164: "+81312345678", Region: "JP"}},
	{name: "JP mobile", raw: "090-1234-5678", region: "JP", want: Number{E164: "+819012345678", Region: "JP"}},

	// International dialling prefixes.
	{name: "00 from DE", raw: "0044 20 7946 0000", region: "DE", want: Number{E164: "+442079460000", Region: "GB"}},
	{name: "011 from US", raw: "011 44 20 7946 0000", region: "US", want: Number{E164: "+442079460000", Region: "GB"}},
	{name: "00 without region", raw: "00 33 1 42 68 53 00", want: Number{E164: "+33142685300", Region: "FR"}},
	{name: "00 from US", raw: "0049 30 123456", region: "US", want: Number{E164: "+4930123456", Region: "DE"}},

	// Never prepend a country code to a number that already has one.
	{name: "GB digits from US", raw: "442079460000", region: "US", want: Number{E164: "+442079460000", Region: "GB"}},
	{name: "GB mobile digits from US", raw: "447400123456", region: "US", want: Number{E164: "+447400123456", Region: "GB"}},
	{name: "Guernsey mobile digits from US", raw: "447911123456", region: "US", want: Number{E164: "+447911123456", Region: "GG"}},
	{name: "US digits from US", raw: "4155552671", region: "US", want: Number{E164: "+14155552671", Region: "US"}},
	{name: "US digits with 1 from GB", raw: "1 415 555 2671", region: "GB", want: Number{E164: "+14155552671", Region: "US"}},
	{name: "no region no plus", raw: "44 20 7946 0000", want: Number{E164: "+442079460000", Region: "GB"}},
	{name: "no region no plus NANP", raw: "1 415 555 2671", want: Number{E164: "+14155552671", Region: "US"}},

	// Extensions.
	{name: "ext.", raw: "+1 415 555 2671 ext. 123", want: Number{E164: "+14155552671", Extension: "123", Region: "US"}},
	{name: "x", raw: "415-555-2671 x123", region: "US", want: Number{E164: "+14155552671", Extension: "123", Region: "US"}},
	{name: "semicolon ext", raw: "+14155552671;ext=123", want: Number{E164: "+14155552671", Extension: "123", Region: "US"}},
	{name: "GB ext", raw: "020 7946 0000 ext 42", region: "GB", want: Number{E164: "+442079460000", Extension: "42", Region: "GB"}},

	// tel: URIs (lookup only).
	{name: "tel global", raw: "tel:+1-415-555-2671", lookup: true, want: Number{E164: "+14155552671", Region: "US"}},
	{name: "tel ext", raw: "tel:+1-415-555-2671;ext=123", lookup: true, want: Number{E164: "+14155552671", Extension: "123", Region: "US"}},
	{name: "tel phone-context digits", raw: "tel:20-7946-0000;phone-context=+44", lookup: true, want: Number{E164: "+442079460000", Region: "GB"}},
	{name: "tel phone-context domain", raw: "tel:415-555-2671;phone-context=example.com", region: "US", lookup: true, want: Number{E164: "+14155552671", Region: "US"}},
	{name: "tel uppercase scheme and params", raw: "TEL:+44.20.7946.0000;isub=1234;foo=bar", lookup: true, want: Number{E164: "+442079460000", Region: "GB"}},

	// sip: URIs (lookup only).
	{name: "sip", raw: "sip:+14155552671@pbx.example.com;user=phone", lookup: true, want: Number{E164: "+14155552671", Region: "US"}},
	{name: "sips", raw: "sips:+442079460000@sbc.example.net", lookup: true, want: Number{E164: "+442079460000", Region: "GB"}},
	{name: "sip angle brackets password", raw: " <sip:+1-415-555-2671:secret@10.0.0.1:5060> ", lookup: true, want: Number{E164: "+14155552671", Region: "US"}},
	{name: "sip national", raw: "sip:02079460000@gw.example.com", region: "GB", lookup: true, want: Number{E164: "+442079460000", Region: "GB"}},
	{name: "sip percent-encoded", raw: "sip:%2B4930123456@h.example", lookup: true, want: Number{E164: "+4930123456", Region: "DE"}},
	{name: "sip ext param", raw: "sip:+14155552671;ext=77@pbx", lookup: true, want: Number{E164: "+14155552671", Extension: "77", Region: "US"}},

	// Any punctuation (lookup only).
	{name: "underscores", raw: "415_555_2671", region: "US", lookup: true, want: Number{E164: "+14155552671", Region: "US"}},
	{name: "stars and hash", raw: "\t*+44*20*7946*0000#\n", lookup: true, want: Number{E164: "+442079460000", Region: "GB"}},

	// Invalid inputs.
	{name: "empty", raw: "", region: "US", err: ErrEmpty},
	{name: "whitespace", raw: " \t ", region: "US", err: ErrEmpty},
	{name: "letters", raw: "abc", region: "US", err: ErrNotPossible},
	{name: "letters no region", raw: "anonymous", err: ErrNotPossible},
	{name: "two digits", raw: "12", region: "US", err: ErrNotPossible},
	{name: "two digits no region", raw: "12", err: ErrNotPossible},
	{name: "too long", raw: "+1 415 555 2671                              ", err: ErrNotPossible},
	{name: "too many digits", raw: "+1 415 555 2671 999 999", err: ErrNotPossible},
	{name: "local only", raw: "555-2671", region: "US", err: ErrNotPossible},
	{name: "unknown country code", raw: "+999 1234 5678", err: ErrNotPossible},
	{name: "unstable trunk zeros (fuzz)", raw: "0000000000", region: "AX", err: ErrNotPossible},
	{name: "invalid region", raw: "4155552671", region: "XX", err: ErrInvalidRegion},
	{name: "non-geo region", raw: "4155552671", region: "001", err: ErrInvalidRegion},
	{name: "sip without number", raw: "sip:alice@example.com", region: "US", lookup: true, err: ErrNotPossible},
	{name: "tel local without context", raw: "tel:5552671;phone-context=example.com", region: "US", lookup: true, err: ErrNotPossible},
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	for _, tc := range normalizeCases {
		if tc.lookup {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Normalize(tc.raw, tc.region)
			checkResult(t, "Normalize", tc.raw, tc.region, got, err, tc.want, tc.err)
			// Read is Normalize without the region.
			got, err = Read(tc.raw, tc.region)
			want := tc.want
			want.Region = ""
			checkResult(t, "Read", tc.raw, tc.region, got, err, want, tc.err)
		})
	}
}

func TestNormalizeLookup(t *testing.T) {
	t.Parallel()
	for _, tc := range normalizeCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := NormalizeLookup(tc.raw, tc.region)
			want, wantErr := tc.want, tc.err
			if tc.name == "too long" {
				// Lookup allows far longer input; the number itself is fine.
				want, wantErr = Number{E164: "+14155552671", Region: "US"}, nil
			}
			// Lookups do not work out the region (it costs a scan of the
			// country's regions and a caller-ID match needs only E.164).
			want.Region = ""
			checkResult(t, "NormalizeLookup", tc.raw, tc.region, got, err, want, wantErr)
		})
	}
}

func checkResult(t *testing.T, fn, raw, region string, got Number, err error, want Number, wantErr error) {
	t.Helper()
	if wantErr != nil {
		if !errors.Is(err, wantErr) {
			t.Fatalf("%s(%q, %q) error = %v, want %v", fn, raw, region, err, wantErr)
		}
		if got != (Number{}) {
			t.Errorf("%s(%q, %q) = %+v with error, want zero Number", fn, raw, region, got)
		}
		return
	}
	if err != nil {
		t.Fatalf("%s(%q, %q) error = %v, want %+v", fn, raw, region, err, want)
	}
	if got != want {
		t.Errorf("%s(%q, %q) = %+v, want %+v", fn, raw, region, got, want)
	}
}

func TestLookupTooLong(t *testing.T) {
	t.Parallel()
	raw := "sip:+14155552671@" + strings.Repeat("a", 300) + ".example.com"
	_, err := NormalizeLookup(raw, "")
	if got, want := errors.Is(err, ErrNotPossible), true; got != want {
		t.Errorf("NormalizeLookup(<%d bytes>) error = %v, want ErrNotPossible", len(raw), err)
	}
}

func TestErrorMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw, region, want string
	}{
		{"12", "US", `"12" is not a possible phone number`},
		{"", "US", "phone number is empty"},
		{"4155552671", "XX", `"XX" is not a supported region code`},
		{strings.Repeat("1", 41), "", "input longer than 40 characters is not a possible phone number"},
	}
	for _, tc := range tests {
		_, err := Normalize(tc.raw, tc.region)
		if err == nil {
			t.Fatalf("Normalize(%q, %q) error = nil, want %q", tc.raw, tc.region, tc.want)
		}
		if got, want := err.Error(), tc.want; got != want {
			t.Errorf("Normalize(%q, %q) error = %q, want %q", tc.raw, tc.region, got, want)
		}
	}
}

func TestValidRegion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		region string
		want   bool
	}{
		{"US", true},
		{"gb", true},
		{"De", true},
		{"JP", true},
		{"", false},
		{"XX", false},
		{"ZZ", false},
		{"001", false},
		{"USA", false},
		{"U", false},
	}
	for _, tc := range tests {
		if got, want := ValidRegion(tc.region), tc.want; got != want {
			t.Errorf("ValidRegion(%q) = %v, want %v", tc.region, got, want)
		}
	}
}

// checkNumber checks the invariants of a successful result, shared by the
// fuzz targets.
func checkNumber(t *testing.T, raw string, n Number) {
	t.Helper()
	if !strings.HasPrefix(n.E164, "+") || len(n.E164) > maxE164Len || len(n.E164) < 3 {
		t.Fatalf("%q: E164 %q is not + and 2 to 15 digits", raw, n.E164)
	}
	for _, c := range n.E164[1:] {
		if c < '0' || c > '9' {
			t.Fatalf("%q: E164 %q has a non-digit", raw, n.E164)
		}
	}
	for _, c := range n.Extension {
		if c < '0' || c > '9' {
			t.Fatalf("%q: extension %q has a non-digit", raw, n.Extension)
		}
	}
	if n.Region != "" && !ValidRegion(n.Region) {
		t.Fatalf("%q: region %q is not a valid region", raw, n.Region)
	}
	again, err := Normalize(n.E164, "")
	if err != nil {
		t.Fatalf("%q: Normalize(%q, \"\") error = %v, want %q", raw, n.E164, err, n.E164)
	}
	if got, want := again.E164, n.E164; got != want {
		t.Fatalf("%q: Normalize(%q, \"\") = %q, want %q", raw, n.E164, got, want)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, tc := range normalizeCases {
		if !tc.lookup {
			f.Add(tc.raw, tc.region)
		}
	}
	f.Fuzz(func(t *testing.T, raw, region string) {
		n, err := Normalize(raw, region)
		r, rerr := Read(raw, region)
		if fmt.Sprint(err) != fmt.Sprint(rerr) || r.E164 != n.E164 || r.Extension != n.Extension || r.Region != "" {
			t.Fatalf("Read(%q, %q) = %+v, %v; Normalize gave %+v, %v", raw, region, r, rerr, n, err)
		}
		if err != nil {
			if n != (Number{}) {
				t.Fatalf("Normalize(%q, %q) = %+v with error %v", raw, region, n, err)
			}
			return
		}
		checkNumber(t, raw, n)
	})
}

func FuzzNormalizeLookup(f *testing.F) {
	for _, tc := range normalizeCases {
		f.Add(tc.raw, tc.region)
	}
	f.Fuzz(func(t *testing.T, raw, region string) {
		n, err := NormalizeLookup(raw, region)
		if err != nil {
			if n != (Number{}) {
				t.Fatalf("NormalizeLookup(%q, %q) = %+v with error %v", raw, region, n, err)
			}
			return
		}
		checkNumber(t, raw, n)
	})
}

func BenchmarkNormalize(b *testing.B) {
	inputs := []struct{ raw, region string }{
		{"+1 415 555 2671", ""},
		{"(415) 555-2671", "US"},
		{"020 7946 0000", "GB"},
		{"442079460000", "US"},
		{"+1 415 555 2671 ext. 123", ""},
	}
	for _, in := range inputs {
		b.Run(in.raw, func(b *testing.B) {
			for b.Loop() {
				if _, err := Normalize(in.raw, in.region); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkNormalizeLookup(b *testing.B) {
	for _, raw := range []string{"+14155552671", "(415) 555-2671", "tel:+1-415-555-2671;ext=12"} {
		b.Run(raw, func(b *testing.B) {
			for b.Loop() {
				if _, err := NormalizeLookup(raw, "US"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzExtensionFastPath checks the premise of mayHaveExtension: a string
// it clears holds no extension that libphonenumber would find.
func FuzzExtensionFastPath(f *testing.F) {
	for _, s := range []string{"(415) 555-0123", "+44 20 7946 0000", "1-415-555-0123", "0049 30 1234567", "415.555.0123 123",
		"+1 415 555 0123 x12", "415-555-0123#45", "0211 8776 (12)", "+1/415/555/0123"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if mayHaveExtension(s) {
			return
		}
		if _, ext := phonenumbers.MaybeSeparateExtensionFromPhone(s); ext != "" {
			t.Errorf("%q has the extension %q, but mayHaveExtension says none is possible", s, ext)
		}
	})
}

func TestWithheld(t *testing.T) {
	for _, s := range []string{"", " ", "anonymous", "Anonymous", "ANONYMOUS", "Restricted", "Unavailable", "unknown",
		"private", "Private Number", "PRIVATE_NUMBER", "withheld", "No Caller ID", "out-of-area", "P", "o",
		"sip:anonymous@anonymous.invalid", "<sip:Anonymous@10.0.0.1;user=phone>", "sips:restricted@example.com", "tel:unknown"} {
		if !Withheld(s) {
			t.Errorf("Withheld(%q) = false", s)
		}
	}
	for _, s := range []string{"+14155552671", "anonymous1", "4155552671", "hello", "---", "sip:alice@example.com",
		"private-ish", "x", "tel:+14155552671", "0"} {
		if Withheld(s) {
			t.Errorf("Withheld(%q) = true", s)
		}
	}
}

// FuzzWithheld: a withheld caller is never also a number.
func FuzzWithheld(f *testing.F) {
	for _, s := range []string{"anonymous", "sip:anonymous@anonymous.invalid", "+14155552671", "P", "tel:unknown", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if Withheld(raw) {
			if n, err := NormalizeLookup(raw, "US"); err == nil {
				t.Fatalf("Withheld(%q) and it reads as %+v", raw, n)
			}
		}
	})
}
