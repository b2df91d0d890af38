package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/chromedp"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/storetest"
	"github.com/contactd/contactd/internal/web"
)

// The browser tests drive Debian's chromium through the pages as a person
// would, finding every control by its role and accessible name (the
// names the pages promise). They run when chromium is installed; with
// CONTACTD_BROWSER_TESTS=1 (CI) a missing chromium fails them. With
// CONTACTD_SCREENSHOTS=DIR they keep screenshots of the main pages at 360
// and 1440 pixels wide there.

func chromiumPath(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CONTACTD_BROWSER_TESTS") == "1" {
		t.Fatal("CONTACTD_BROWSER_TESTS=1 but no chromium is installed (apt-get install chromium)")
	}
	t.Skip("no chromium: the browser tests are skipped (CI installs it)")
	return ""
}

// byRole finds elements by their computed role and accessible name, as
// assistive technology does.
func byRole(role, name string) chromedp.QueryOption {
	return chromedp.ByFunc(func(ctx context.Context, t *chromedp.Target, n *chromedp.Node) ([]cdp.NodeID, error) {
		res, err := cdp.Call(ctx, t, accessibility.QueryAXTree, accessibility.QueryAXTreeParams{NodeID: n.NodeID, AccessibleName: name, Role: role})
		if err != nil {
			return nil, err
		}
		var ids []cdp.BackendNodeID
		for _, ax := range res.Nodes {
			if !ax.Ignored && ax.BackendDOMNodeID != 0 {
				ids = append(ids, ax.BackendDOMNodeID)
			}
		}
		if len(ids) == 0 {
			return nil, nil
		}
		pushed, err := cdp.Call(ctx, t, dom.PushNodesByBackendIDsToFrontend, dom.PushNodesByBackendIDsToFrontendParams{BackendNodeIDs: ids})
		return pushed.NodeIDs, err
	})
}

type tab struct {
	t   *testing.T
	ctx context.Context
	e   *env
}

func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 45*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		shot, _ := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if dir := os.Getenv("CONTACTD_SCREENSHOTS"); dir != "" && len(shot) > 0 {
			_ = os.WriteFile(filepath.Join(dir, "failure-"+strings.ReplaceAll(b.t.Name(), "/", "_")+".png"), shot, 0o644)
		}
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		b.t.Fatalf("at %s: %v", loc, err)
	}
}

func (b *tab) eval(js string) string {
	b.t.Helper()
	out, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		b.t.Fatalf("%s: %v", js, err)
	}
	return out
}

// waitJS waits until a script's condition holds.
func (b *tab) waitJS(cond string) {
	b.t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("!!("+cond+")"))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			loc, _ := chromedp.Run(b.ctx, chromedp.Location())
			b.t.Fatalf("waited 45s at %s for %s (%v)", loc, cond, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b *tab) open(path string) { b.t.Helper(); b.do(chromedp.Navigate(b.e.srv.URL + path)) }

// fill replaces a text field's value, typing it key by key.
func (b *tab) fill(role, name, text string) {
	b.t.Helper()
	b.do(chromedp.Clear("", byRole(role, name)), chromedp.SendKeys("", text, byRole(role, name)))
}

func (b *tab) click(role, name string) { b.t.Helper(); b.do(chromedp.Click("", byRole(role, name))) }

// has reports whether the page has a control of a role and name.
func (b *tab) has(role, name string) bool {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	return chromedp.Do(ctx, chromedp.Query("", byRole(role, name))) == nil
}

// controlRoles are the roles of things a person operates.
var controlRoles = map[string]bool{"button": true, "link": true, "textbox": true, "searchbox": true, "combobox": true,
	"checkbox": true, "radio": true, "listbox": true, "spinbutton": true, "slider": true, "switch": true}

// unnamedControls lists the page's controls that have no accessible name,
// from Chromium's accessibility tree, as the DOM elements they are.
func (b *tab) unnamedControls() []string {
	b.t.Helper()
	var out []string
	b.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		tree, err := cdp.Call(ctx, t, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
		if err != nil {
			return err
		}
		for _, n := range tree.Nodes {
			if n.Ignored || n.Role == nil || n.BackendDOMNodeID == 0 {
				continue
			}
			var role, name string
			_ = json.Unmarshal(n.Role.Value, &role)
			if n.Name != nil {
				_ = json.Unmarshal(n.Name.Value, &name)
			}
			if controlRoles[role] && strings.TrimSpace(name) == "" {
				d, err := cdp.Call(ctx, t, dom.DescribeNode, dom.DescribeNodeParams{BackendNodeID: n.BackendDOMNodeID})
				desc := role
				if err == nil && d.Node != nil {
					desc += " <" + d.Node.LocalName + " " + strings.Join(d.Node.Attributes, " ") + ">"
				}
				out = append(out, desc)
			}
		}
		return nil
	}))
	return out
}

func (b *tab) path() string { return b.eval("location.pathname") }

func (b *tab) signIn(email string) {
	b.t.Helper()
	b.open("/signin")
	// By keyboard: the Email field has the focus; Tab to Password; Enter.
	b.do(chromedp.WaitVisible("", byRole("button", "Sign in")), chromedp.WaitVisible("", byRole("textbox", "Password")))
	if got := b.eval("document.activeElement.id"); got != "email" {
		b.t.Fatalf("the sign-in form's focus is on %q, not Email", got)
	}
	b.do(chromedp.KeyEvent(email), chromedp.KeyEvent("\t"), chromedp.KeyEvent(password), chromedp.KeyEvent("\r"))
	b.waitJS(`location.pathname === "/contacts"`)
}

func (b *tab) shoot(dir, name string) {
	b.t.Helper()
	if dir == "" {
		return
	}
	for _, w := range []int64{360, 1440} {
		b.do(chromedp.EmulateViewport(w, 900))
		shot, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			b.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, w)), shot, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.do(chromedp.EmulateViewport(1280, 900))
}

func TestBrowser(t *testing.T) {
	exe := chromiumPath(t)
	shots := os.Getenv("CONTACTD_SCREENSHOTS")
	if shots != "" {
		if err := os.MkdirAll(shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	e := newEnv(t, storetest.Backends()[0], web.Options{})
	ctx := context.Background()
	admin := e.admin["A"]
	jordan, err := e.svc.CreateContact(ctx, admin, &contactd.ContactInput{FirstName: "Jordan", LastName: "Reyes", Company: "Acme",
		JobTitle: "CTO", Tags: []string{"vip"}, Emails: []contactd.Email{{Address: "jordan@acme.example", Type: "work"}},
		Phones: []contactd.Phone{{Number: "+1 415 555 0100", Type: "mobile"}}})
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range []string{"Ada Byron", "Jorge Luis", "Marie Curie", "Grace Brewster", "Rosalind Franklin"} {
		first, last, _ := strings.Cut(n, " ")
		if _, err := e.svc.CreateContact(ctx, admin, &contactd.ContactInput{FirstName: first, LastName: last,
			Phones: []contactd.Phone{{Number: fmt.Sprintf("+1 415 555 01%02d", 10+i)}}}); err != nil {
			t.Fatal(err)
		}
	}
	var dups []*contactd.Contact
	for _, co := range []string{"Initech", ""} {
		c, err := e.svc.CreateContact(ctx, admin, &contactd.ContactInput{FirstName: "Sam", LastName: "Lee", Company: co,
			Phones: []contactd.Phone{{Number: "+1 312 555 0147"}}})
		if err != nil {
			t.Fatal(err)
		}
		dups = append(dups, c)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// The browser starts on the tab's own context: a step's shorter-lived
	// context would take it down when it ends.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start %s: %v", exe, err)
	}
	b := &tab{t: t, ctx: bctx, e: e}

	t.Run("sign in", func(t *testing.T) {
		b.t = t
		b.signIn(e.users["A"]["admin"].Email)
		b.shoot(shots, "contacts")
	})
	t.Run("focus is visible", func(t *testing.T) {
		b.t = t
		b.open("/contacts")
		b.do(chromedp.WaitVisible("", byRole("searchbox", "Search contacts")))
		// The first Tab reaches the link past the navigation.
		b.do(chromedp.KeyEvent("\t"))
		if got := b.eval(`document.activeElement.textContent`); got != "Skip to content" {
			t.Errorf("the first Tab focuses %q", got)
		}
		style := b.eval(`(() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle + " " + s.outlineWidth })()`)
		if strings.HasPrefix(style, "none") || strings.HasSuffix(style, " 0px") {
			t.Errorf("the focused %s has no visible outline: %s", b.eval("document.activeElement.outerHTML.slice(0, 80)"), style)
		}
	})
	t.Run("search jor and open Jordan", func(t *testing.T) {
		b.t = t
		b.fill("searchbox", "Search contacts", "jor")
		b.waitJS(`location.search.includes("q=jor") && document.querySelectorAll("#results tbody tr").length === 2`)
		b.click("link", "Jordan Reyes")
		b.do(chromedp.WaitVisible("", byRole("heading", "Jordan Reyes")))
		if h1 := b.eval(`document.querySelector("h1").textContent`); h1 != "Jordan Reyes" {
			t.Fatalf("the page's main heading is %q", h1)
		}
		b.shoot(shots, "contact")
	})
	t.Run("edit the job title", func(t *testing.T) {
		b.t = t
		b.click("link", "Edit")
		b.do(chromedp.WaitVisible("", byRole("textbox", "First name")), chromedp.WaitVisible("", byRole("textbox", "Company")))
		b.shoot(shots, "edit")
		b.fill("textbox", "Job title", "VP Engineering")
		b.click("button", "Save")
		b.waitJS(`location.pathname === "/contacts/` + jordan.ID + `" && document.querySelector(".flash")`)
		c, err := e.svc.Contact(ctx, admin, contactd.Selector{ID: jordan.ID}, contactd.GetOptions{})
		if err != nil || c.JobTitle != "VP Engineering" {
			t.Fatalf("through the API, the job title is %q (%v)", c.JobTitle, err)
		}
		if got := b.eval(`document.getElementById("jobTitle").textContent`); got != "VP Engineering" {
			t.Errorf("the page shows the job title %q", got)
		}
		if !strings.Contains(b.eval(`document.querySelector(".timeline").textContent`), "by Admin A") {
			t.Error("the history does not name the person who changed the contact")
		}
	})
	t.Run("a bad email is shown next to its field", func(t *testing.T) {
		b.t = t
		b.click("link", "Edit")
		b.fill("textbox", "Email", "jordan-at-acme")
		b.click("button", "Save")
		b.waitJS(`document.querySelector("[aria-invalid=true]")`)
		msg := b.eval(`(() => { const i = document.querySelector("[aria-invalid=true]");
			const d = document.getElementById(i.getAttribute("aria-describedby"));
			return i.name + "|" + (d && i.closest(".field").contains(d) ? d.textContent : "not next to the field") })()`)
		if msg != "emails[0].address|is not a valid email address" {
			t.Errorf("the error is %q", msg)
		}
		c, _ := e.svc.Contact(ctx, admin, contactd.Selector{ID: jordan.ID}, contactd.GetOptions{})
		if c.Emails[0].Address != "jordan@acme.example" {
			t.Errorf("the bad email was saved: %q", c.Emails[0].Address)
		}
	})
	t.Run("add a phone inline and create a contact", func(t *testing.T) {
		b.t = t
		b.open("/contacts/new")
		b.fill("textbox", "First name", "Grace")
		b.fill("textbox", "Last name", "Hopper")
		b.fill("textbox", "Company", "US Navy")
		b.fill("textbox", "Phone", "+1 202 555 0177")
		b.click("button", "Add phone")
		b.fill("textbox", "Phone 2", "+1 202 555 0178")
		b.click("button", "Save")
		b.do(chromedp.WaitVisible("", byRole("heading", "Grace Hopper")))
		id := strings.TrimPrefix(b.path(), "/contacts/")
		c, err := e.svc.Contact(ctx, admin, contactd.Selector{ID: id}, contactd.GetOptions{})
		if err != nil || c.Company != "US Navy" || len(c.Phones) != 2 || c.CreatedBy != e.users["A"]["admin"].ID {
			t.Fatalf("created %+v, %v", c, err)
		}
	})
	t.Run("import a Google CSV", func(t *testing.T) {
		b.t = t
		b.open("/import")
		file, _ := filepath.Abs("testdata/google.csv")
		b.do(chromedp.SetUploadFiles("#file", []string{file}))
		b.waitJS(`!document.getElementById("detected").hidden && document.getElementById("detected-summary").textContent.includes("csv")`)
		if got := b.eval(`document.querySelector("#mapping tbody tr:nth-child(5) td").textContent`); got != "jobTitle" {
			t.Errorf("the detected mapping shows Organization 1 - Title as %q", got)
		}
		b.shoot(shots, "import")
		// A dry run first: the same counts, nothing written.
		b.click("button", "Dry run")
		b.waitJS(`location.pathname.startsWith("/imports/")`)
		b.waitJS(`document.getElementById("job").dataset.status === "succeeded"`)
		if text := b.eval(`document.querySelector("h1").textContent + " " + document.getElementById("job-status").textContent.replace(/\s+/g, " ")`); !strings.Contains(text, "(dry run)") || !strings.Contains(text, "3 created") {
			t.Errorf("the dry run says %q", text)
		}
		if pg, _ := e.svc.ListContacts(ctx, admin, contactd.ContactListRequest{Q: "Margaret Hamilton"}); len(pg.Data) != 0 {
			t.Fatal("the dry run wrote a contact")
		}
		b.open("/import")
		b.do(chromedp.SetUploadFiles("#file", []string{file}))
		b.waitJS(`!document.getElementById("detected").hidden`)
		// The detected mapping is changed: the notes are left out.
		b.fill("combobox", "Map column Notes to", "ignore") // a text box with suggestions
		b.click("button", "Import")
		b.waitJS(`location.pathname.startsWith("/imports/")`)
		b.waitJS(`document.getElementById("job").dataset.status === "succeeded"`)
		text := b.eval(`document.getElementById("job-status").textContent.replace(/\s+/g, " ")`)
		if !strings.Contains(text, "4 of 4 records read, 3 created") || !strings.Contains(text, "1 failed") {
			t.Errorf("the job says %q", text)
		}
		if p := b.eval(`String(document.getElementById("progress").value / document.getElementById("progress").max)`); p != "1" {
			t.Errorf("the progress bar ended at %s", p)
		}
		if rows := b.eval(`String(document.querySelectorAll("table.list tbody tr").length)`); rows != "1" {
			t.Errorf("%s failed rows listed", rows)
		}
		if !b.has("link", "Download the failed records") {
			t.Error("no download of the failed records")
		}
		b.shoot(shots, "import-done")
		pg, err := e.svc.ListContacts(ctx, admin, contactd.ContactListRequest{Q: "Margaret Hamilton"})
		if err != nil || len(pg.Data) != 1 || pg.Data[0].Company != "MIT" {
			t.Fatalf("imported: %v", err)
		}
		if pg.Data[0].Notes != "" {
			t.Errorf("the column mapped to ignore was imported: notes %q", pg.Data[0].Notes)
		}
	})
	t.Run("merge two duplicates and undo", func(t *testing.T) {
		b.t = t
		b.open("/duplicates")
		b.shoot(shots, "duplicates")
		b.click("button", "Review merge")
		b.do(chromedp.WaitVisible("", byRole("heading", "Merge contacts")))
		b.shoot(shots, "merge")
		b.click("button", "Merge")
		b.do(chromedp.WaitVisible("", byRole("button", "Undo merge")))
		survivor := strings.TrimPrefix(b.path(), "/contacts/")
		gone := dups[0].ID
		if survivor == gone {
			gone = dups[1].ID
		}
		g, err := e.svc.Contact(ctx, admin, contactd.Selector{ID: gone}, contactd.GetOptions{IncludeDeleted: true})
		if err != nil || g.MergedInto != survivor {
			t.Fatalf("after the merge, %s is merged into %q (%v)", gone, g.MergedInto, err)
		}
		b.click("button", "Undo merge")
		b.waitJS(`document.querySelector(".flash") && document.querySelector(".flash").textContent.includes("undone")`)
		for _, d := range dups {
			if _, err := e.svc.Contact(ctx, admin, contactd.Selector{ID: d.ID}, contactd.GetOptions{}); err != nil {
				t.Errorf("after the undo, %s: %v", d.ID, err)
			}
		}
	})
	t.Run("admin pages", func(t *testing.T) {
		b.t = t
		b.open("/admin/tokens")
		b.fill("textbox", "Name", "crm sync")
		b.click("button", "Create token")
		b.do(chromedp.WaitVisible("", byRole("textbox", "Token secret")))
		if s := b.eval(`document.getElementById("secret").value`); !strings.HasPrefix(s, "cdt_") {
			t.Errorf("the token secret shown is %q", s)
		} else if _, err := e.svc.Authenticate(ctx, s); err != nil {
			t.Errorf("the secret shown does not authenticate: %v", err)
		}
		b.open("/admin/users")
		b.shoot(shots, "users")
	})
	t.Run("every control has a name", func(t *testing.T) {
		b.t = t
		for _, p := range []string{"/contacts", "/contacts/" + jordan.ID, "/contacts/" + jordan.ID + "/edit", "/contacts/new", "/duplicates",
			"/import", "/export", "/admin/users", "/admin/tokens", "/admin/webhooks", "/admin/settings", "/account"} {
			b.open(p)
			b.do(chromedp.WaitVisible("main h1"))
			for _, n := range b.unnamedControls() {
				t.Errorf("%s: a %s has no accessible name", p, n)
			}
		}
	})
	t.Run("CSRF refused", func(t *testing.T) {
		b.t = t
		got, err := chromedp.Run(bctx, chromedp.Evaluate[string](`fetch("/contacts/`+jordan.ID+`/delete", {method: "POST",
			headers: {"Content-Type": "application/x-www-form-urlencoded"}, body: "csrf=forged"}).then(r => String(r.status))`, chromedp.EvalAwaitPromise))
		if err != nil || got != "403" {
			t.Errorf("a forged form answered %q (%v)", got, err)
		}
		if _, err := e.svc.Contact(ctx, admin, contactd.Selector{ID: jordan.ID}, contactd.GetOptions{}); err != nil {
			t.Errorf("the forged form deleted the contact: %v", err)
		}
	})
	t.Run("sign out", func(t *testing.T) {
		b.t = t
		b.open("/contacts")
		b.click("button", "Sign out")
		b.waitJS(`location.pathname === "/signin"`)
		b.open("/contacts/" + jordan.ID)
		b.waitJS(`location.pathname === "/signin"`)
	})
	t.Run("a viewer cannot edit", func(t *testing.T) {
		b.t = t
		b.signIn(e.users["A"]["viewer"].Email)
		b.open("/contacts/" + jordan.ID)
		b.do(chromedp.WaitVisible("", byRole("heading", "Jordan Reyes")))
		for _, c := range [][2]string{{"link", "Edit"}, {"button", "Delete"}, {"button", "Block"}, {"link", "New contact"}} {
			if b.has(c[0], c[1]) {
				t.Errorf("a viewer is offered %s %q", c[0], c[1])
			}
		}
		b.open("/contacts/" + jordan.ID + "/edit")
		if body := b.eval(`document.querySelector("main").textContent`); !strings.Contains(body, "does not allow") {
			t.Errorf("a viewer's edit page says %q", body)
		}
	})
	t.Run("readable at 360 px", func(t *testing.T) {
		b.t = t
		b.do(chromedp.EmulateViewport(360, 800))
		for _, p := range []string{"/contacts", "/contacts/" + jordan.ID} {
			b.open(p)
			if w := b.eval(`String(document.documentElement.scrollWidth)`); w != "360" {
				t.Errorf("%s at 360 px is %s px wide: it scrolls sideways", p, w)
			}
		}
		b.do(chromedp.EmulateViewport(1280, 900))
	})
}
