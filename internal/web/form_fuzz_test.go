package web

import (
	"encoding/json"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// FuzzReadForm reads arbitrary posted forms: the document is always JSON
// the decoders can read, and each entry of it maps back to a row of the
// form that holds its values.
func FuzzReadForm(f *testing.F) {
	f.Add("firstName=Ada&emails[0].address=ada@example.com&emails[0].type=work&emails[1].address=&phones[3].number=%2B1415&phones[3].remove=1&phones[7].number=555", true)
	f.Add("addresses[2].city=Paris&addresses[0].type=home&tags=a,+b,,c&notes=line%0D%0Aline", false)
	f.Add("phones[999].number=1&phones[1000].number=2&emails[0]x=1&phones[-1].number=3", true)
	f.Fuzz(func(t *testing.T, body string, patch bool) {
		r := httptest.NewRequest("POST", "/contacts/ct_x", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if err := r.ParseForm(); err != nil {
			return
		}
		_, doc, rename := readForm(r, patch)
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
				for k, v := range e.(map[string]any) {
					if got := formValue(r.PostForm.Get(list + "[" + mm[1] + "]." + k)); got != v {
						t.Fatalf("%s[%d].%s = %q, but the form's row %s has %q", list, n, k, v, mm[1], got)
					}
				}
			}
		}
	})
}
