package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/storetest"
	"github.com/contactd/contactd/internal/web"
)

var (
	inputTag    = regexp.MustCompile(`<input ([^>]*)>`)
	selectTag   = regexp.MustCompile(`(?s)<select [^>]*name="([^"]+)"[^>]*>(.*?)</select>`)
	selectedOpt = regexp.MustCompile(`<option value="([^"]*)" selected`)
	textareaTag = regexp.MustCompile(`(?s)<textarea [^>]*name="([^"]+)"[^>]*>(.*?)</textarea>`)
	attr        = regexp.MustCompile(`([a-zA-Z-]+)="([^"]*)"`)
)

// formValues reads the values a browser would post from a page's first
// form with the given action: what the page shows, sent back unchanged.
func formValues(t *testing.T, body, action string) url.Values {
	t.Helper()
	i := strings.Index(body, `action="`+action+`"`)
	if i < 0 {
		t.Fatalf("no form posting to %s", action)
	}
	form := body[i:]
	form = form[:strings.Index(form, "</form>")]
	v := url.Values{}
	for _, m := range inputTag.FindAllStringSubmatch(form, -1) {
		a := map[string]string{}
		for _, kv := range attr.FindAllStringSubmatch(m[1], -1) {
			a[kv[1]] = html.UnescapeString(kv[2])
		}
		if a["name"] == "" || (a["type"] == "checkbox" && !strings.Contains(m[1], " checked")) {
			continue
		}
		v.Add(a["name"], a["value"])
	}
	for _, m := range selectTag.FindAllStringSubmatch(form, -1) {
		if o := selectedOpt.FindStringSubmatch(m[2]); o != nil {
			v.Set(m[1], html.UnescapeString(o[1]))
		} else if o := regexp.MustCompile(`<option value="([^"]*)"`).FindStringSubmatch(m[2]); o != nil {
			v.Set(m[1], html.UnescapeString(o[1]))
		}
	}
	for _, m := range textareaTag.FindAllStringSubmatch(form, -1) {
		v.Set(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// Saving the edit form as it was shown changes nothing of the contact,
// not even what the form does not show.
func TestSaveKeepsWhatTheFormDoesNotShow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, web.Options{})
		ctx := context.Background()
		adm := e.admin["A"]
		in, err := contactd.DecodeContactInput([]byte(`{"firstName": "Jordan", "lastName": "Reyes", "displayName": "J. Reyes (Acme)",
			"phones": [{"number": "+14155550100", "type": "work", "extension": "12"}, {"number": "+14155550111", "type": "mobile", "primary": true, "verified": true}],
			"emails": [{"address": "j@example.com"}, {"address": "jr@example.com", "primary": true, "verified": true}],
			"addresses": [{"type": "home", "county": "Kent"}, {"type": "work", "street": "Main St", "streetNumber": "12", "apartment": "4B", "notes": "ring twice"}],
			"handles": [{"type": "url", "value": "https://example.com/jordan"}], "properties": {"tier": 2}, "notes": "a <b>note</b>\non two lines"}`))
		if err != nil {
			t.Fatal(err)
		}
		c, err := e.svc.CreateContact(ctx, adm, in)
		if err != nil {
			t.Fatal(err)
		}
		br := e.browser()
		br.mustSignIn("A", "editor")
		edit := br.get("/contacts/" + c.ID + "/edit")
		form := formValues(t, edit.body, "/contacts/"+c.ID)
		if p := br.post("/contacts/"+c.ID, form); p.status != http.StatusSeeOther {
			t.Fatalf("save: %d %.500s", p.status, p.body)
		}
		after, err := e.svc.Contact(ctx, adm, contactd.Selector{ID: c.ID}, contactd.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		same := func(c *contactd.Contact) string {
			c.Version, c.UpdatedAt, c.UpdatedBy = 0, c.CreatedAt, ""
			b, _ := jsonOf(c)
			return b
		}
		if a, b := same(after), same(c); a != b {
			t.Errorf("an unchanged save changed the contact:\nbefore %s\nafter  %s", b, a)
		}
		// Names changed, the display name written by a person stays.
		form.Set("firstName", "Jordy")
		form.Set("version", "")
		br.post("/contacts/"+c.ID, form)
		after, _ = e.svc.Contact(ctx, adm, contactd.Selector{ID: c.ID}, contactd.GetOptions{})
		if after.FirstName != "Jordy" || after.DisplayName != "J. Reyes (Acme)" {
			t.Errorf("after a new first name: %q, %q", after.FirstName, after.DisplayName)
		}
		// Cleared, the display name is made from the names again.
		form.Set("displayName", "")
		br.post("/contacts/"+c.ID, form)
		after, _ = e.svc.Contact(ctx, adm, contactd.Selector{ID: c.ID}, contactd.GetOptions{})
		if after.DisplayName != "Jordy Reyes" {
			t.Errorf("a cleared display name: %q", after.DisplayName)
		}
	})
}

// Each error of a save is shown: at its field, or at the top of the form
// when no field is its own.
func TestFormErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, web.Options{})
		br := e.browser()
		br.mustSignIn("A", "editor")
		token := br.get("/contacts/new").csrf(t)
		for name, c := range map[string]struct {
			form url.Values
			want *regexp.Regexp
		}{
			"empty":    {url.Values{}, regexp.MustCompile(`role="alert">[^<]*body`)},
			"long tag": {url.Values{"firstName": {"A"}, "tags": {strings.Repeat("x", 200)}}, regexp.MustCompile(`id="tags-error">[^<]+`)},
			"bad phone": {url.Values{"firstName": {"A"}, "phones[0].number": {"+1 415 555 0100"}, "phones[4].number": {"not a number"}},
				regexp.MustCompile(`id="phones\[4\]\.number-error">[^<]+`)},
		} {
			c.form.Set("csrf", token)
			p := br.post("/contacts", c.form)
			if p.status != http.StatusBadRequest || !c.want.MatchString(p.body) {
				t.Errorf("%s: %d, no %s in %.3000s", name, p.status, c.want, p.body)
			}
			if strings.Count(p.body, `class="entry"`) < 2 {
				t.Errorf("%s: the form comes back without rows to add entries", name)
			}
		}
	})
}

func TestSignInRedirectsStayHere(t *testing.T) {
	e := newEnv(t, storetest.Backends()[0], web.Options{})
	for next, want := range map[string]string{
		"/contacts/ct_1?tab=history": "/contacts/ct_1?tab=history",
		"//evil.example/x":           "/contacts",
		"/\t/evil.example/x":         "/contacts",
		"/\\evil.example":            "/contacts",
		"https://evil.example/":      "/contacts",
		"javascript:alert(1)":        "/contacts",
		"/signin?next=/x":            "/contacts",
		"":                           "/contacts",
	} {
		br := e.browser()
		form := br.get("/signin?next=" + url.QueryEscape(next))
		p := br.post("/signin", url.Values{"csrf": {form.csrf(t)}, "email": {"viewer@a.example"}, "password": {password}, "next": {next}})
		if got := p.header.Get("Location"); p.status != http.StatusSeeOther || got != want {
			t.Errorf("next %q: %d to %q, want %q", next, p.status, got, want)
		}
	}
	// A page's message comes from a fixed list, never from the address.
	br := e.browser()
	br.mustSignIn("A", "viewer")
	if p := br.get("/contacts?done=Your+account+is+suspended%2C+call+555"); strings.Contains(p.body, "suspended") {
		t.Error("a link put its own words on the page")
	}
	if p := br.get("/contacts?done=saved"); !strings.Contains(p.body, `class="flash"`) {
		t.Error("a known message is not shown")
	}
}

// Parallel guesses at one email cannot pass the limit together: each try
// is counted before its password is checked.
func TestSignInBurst(t *testing.T) {
	e := newEnv(t, storetest.Backends()[0], web.Options{})
	var wg sync.WaitGroup
	statuses := make(chan int, 12)
	for range 12 {
		br := e.browser()
		token := br.get("/signin").csrf(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", e.srv.URL+"/signin", strings.NewReader(url.Values{"csrf": {token}, "email": {"admin@a.example"}, "password": {"guess guess guess"}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := br.c.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	checked := 0
	for s := range statuses {
		if s == http.StatusUnauthorized {
			checked++
		} else if s != http.StatusTooManyRequests {
			t.Errorf("a guess answered %d", s)
		}
	}
	if checked != 5 {
		t.Errorf("%d of 12 parallel guesses had their password checked, want 5", checked)
	}
}
