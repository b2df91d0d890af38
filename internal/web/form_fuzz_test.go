package web

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/contactd/contactd"
)

// FuzzReadForm reads arbitrary posted forms: the document is always JSON
// the decoders can read, and each entry of it maps back to a row of the
// form that holds its values.
func FuzzReadForm(f *testing.F) {
	f.Add("firstName=Ada&emails[0].address=ada@example.com&emails[0].type=work&emails[1].address=&phones[3].number=%2B1415&phones[3].remove=1&phones[7].number=555", true)
	f.Add("addresses[2].city=Paris&addresses[0].type=home&tags=a,+b,,c&notes=line%0D%0Aline", false)
	f.Add("phones[999].number=1&phones[1000].number=2&emails[0]x=1&phones[-1].number=3", true)
	f.Add("phones[0].id=ph_1&phones[0].number=%2B14155550101&phones[0].type=mobile&addresses[0].id=ad_1&addresses[0].type=home&displayName=X&displayNameWas=X", true)
	f.Fuzz(func(t *testing.T, body string, patch bool) {
		r := httptest.NewRequest("POST", "/contacts/ct_x", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if err := r.ParseForm(); err != nil {
			return
		}
		var prev *contactd.Contact
		if patch {
			prev = &contactd.Contact{ID: "ct_x", Phones: []contactd.Phone{{ID: "ph_1", Number: "+14155550100", Extension: "12", Type: "work", Verified: true}},
				Addresses: []contactd.Address{{ID: "ad_1", County: "Kent", Type: "home"}}}
		}
		_, doc, rename := readForm(r, prev)
		kept := entriesOf(prev)
		var m map[string]any
		if err := json.Unmarshal(doc, &m); err != nil {
			t.Fatalf("not JSON: %s", doc)
		}
		for _, list := range []string{"phones", "emails", "addresses"} {
			entries, ok := m[list].([]any)
			if !ok {
				t.Fatalf("%s is %T", list, m[list])
			}
			for n, e := range entries {
				loc := rename(list + "[" + strconv.Itoa(n) + "].x")
				mm := regexp.MustCompile(`^` + list + `\[(\d+)\]\.x$`).FindStringSubmatch(loc)
				if mm == nil {
					t.Fatalf("%s[%d] renamed to %q", list, n, loc)
				}
				em := e.(map[string]any)
				id, _ := em["id"].(string)
				before := kept[list][id]
				for k, v := range em {
					shown := slices.Contains(entryFields[list], k)
					got := formValue(r.PostForm.Get(list + "[" + mm[1] + "]." + k))
					switch {
					case shown && got != v:
						t.Fatalf("%s[%d].%s = %q, but the form's row %s has %q", list, n, k, v, mm[1], got)
					case !shown && (before == nil || !reflect.DeepEqual(before[k], v)):
						t.Fatalf("%s[%d].%s = %v, which neither the form nor the contact has", list, n, k, v)
					}
				}
				// What the form does not show of an entry is kept.
				for k, v := range before {
					if !slices.Contains(entryFields[list], k) && !reflect.DeepEqual(em[k], v) {
						t.Fatalf("%s[%d] lost %s (%v)", list, n, k, v)
					}
				}
			}
		}
	})
}
