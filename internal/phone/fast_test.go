package phone

import (
	"fmt"
	"slices"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// sameAnswer reports the difference between the fast and the reference
// answers of Normalize, Read and NormalizeLookup for raw in region, or "".
func sameAnswer(raw, region string) string {
	for _, f := range []struct {
		name string
		fn   func(raw, region string, fast bool) (Number, error)
	}{
		{"Normalize", func(raw, region string, fast bool) (Number, error) { return normalize(raw, region, true, fast) }},
		{"Read", func(raw, region string, fast bool) (Number, error) { return normalize(raw, region, false, fast) }},
		{"NormalizeLookup", normalizeLookup},
	} {
		n1, err1 := f.fn(raw, region, true)
		n2, err2 := f.fn(raw, region, false)
		if n1 != n2 || fmt.Sprint(err1) != fmt.Sprint(err2) {
			return fmt.Sprintf("%s(%q, %q): fast %+v, %v; reference %+v, %v", f.name, raw, region, n1, err1, n2, err2)
		}
	}
	return ""
}

// TestFastPathExampleNumbers: for every region's example number of every
// type (and every non-geographic calling code's), written as E.164, in
// international, national and RFC 3966 form, and read with no default
// region, its own, and regions that take each shortcut (US, GB) or not
// (CA, DE), the shortcuts answer exactly as libphonenumber's full checks.
func TestFastPathExampleNumbers(t *testing.T) {
	types := []phonenumbers.PhoneNumberType{phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE,
		phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST, phonenumbers.VOIP, phonenumbers.PERSONAL_NUMBER,
		phonenumbers.PAGER, phonenumbers.UAN, phonenumbers.VOICEMAIL}
	var examples []*phonenumbers.PhoneNumber
	regions := []string{}
	for r := range phonenumbers.GetSupportedRegions() {
		regions = append(regions, r)
	}
	slices.Sort(regions)
	for _, r := range regions {
		for _, typ := range types {
			if ex := phonenumbers.GetExampleNumberForType(r, typ); ex != nil {
				examples = append(examples, ex)
			}
		}
	}
	for cc := range phonenumbers.GetSupportedGlobalNetworkCallingCodes() {
		if ex := phonenumbers.GetExampleNumberForNonGeoEntity(cc); ex != nil {
			examples = append(examples, ex)
		}
	}
	compared, valid := 0, 0
	for _, ex := range examples {
		own := phonenumbers.GetRegionCodeForNumber(ex)
		for _, format := range []phonenumbers.PhoneNumberFormat{phonenumbers.E164, phonenumbers.INTERNATIONAL, phonenumbers.NATIONAL, phonenumbers.RFC3966} {
			raw := phonenumbers.Format(ex, format)
			for _, region := range []string{"", own, "US", "GB", "CA", "DE"} {
				if region == phonenumbers.UNKNOWN_REGION || region == "001" {
					continue
				}
				if diff := sameAnswer(raw, region); diff != "" {
					t.Error(diff)
				}
				compared++
				if n, err := NormalizeLookup(raw, region); err == nil && n.E164 == phonenumbers.Format(ex, phonenumbers.E164) {
					valid++
				}
			}
		}
	}
	t.Logf("%d examples, %d comparisons, %d found their number", len(examples), compared, valid)
	// The table is the regions' own examples: thousands of comparisons,
	// most of which find the example's number.
	if len(examples) < 1000 || compared < 20000 || valid < compared/3 {
		t.Errorf("%d examples, %d comparisons, %d found their number: the table is not what it should be", len(examples), compared, valid)
	}
}

// TestMainRegions: the first shortcut applies to the main region of a
// shared calling code that claims no leading digits, and to no other.
func TestMainRegions(t *testing.T) {
	m := mainRegions()
	for _, r := range []string{"US", "GB", "AU", "IT"} {
		if !m[r] {
			t.Errorf("%s is not among the main regions", r)
		}
	}
	for _, r := range []string{"CA", "GG", "KZ", "DE", "FR", "JE"} {
		if m[r] {
			t.Errorf("%s is among the main regions", r)
		}
	}
}

// FuzzFastPath: whatever the input and region, the shortcuts answer as
// libphonenumber's full checks do.
func FuzzFastPath(f *testing.F) {
	for _, tc := range normalizeCases {
		f.Add(tc.raw, tc.region)
	}
	for _, s := range []string{"+1 268 464 1234", "268 464 1234", "+44 1481 256789", "01481 256789", "+7 701 234 5678",
		"8 (701) 234-56-78", "+358 00000000", "+14155552671", "tel:+1-415-555-2671", "+800 1234 5678"} {
		for _, r := range []string{"", "US", "GB", "RU", "KZ", "GG", "CA", "AG"} {
			f.Add(s, r)
		}
	}
	f.Fuzz(func(t *testing.T, raw, region string) {
		if diff := sameAnswer(raw, region); diff != "" {
			t.Error(diff)
		}
	})
}
