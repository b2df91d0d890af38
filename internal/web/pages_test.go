package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/storetest"
	"github.com/contactd/contactd/internal/web"
)

func TestAdminPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, web.Options{})
		ctx := context.Background()
		br := e.browser()
		br.mustSignIn("A", "admin")
		token := br.get("/admin/users").csrf(t)

		// Users: a bad email is shown next to its field; a good user is
		// made, its role changed, then deleted; an admin cannot delete
		// itself.
		p := br.post("/admin/users", url.Values{"csrf": {token}, "email": {"not an email"}, "password": {"long enough password"}, "role": {"editor"}})
		if p.status != http.StatusBadRequest || !regexp.MustCompile(`id="new-email-error">[^<]*email`).MatchString(p.body) {
			t.Errorf("a bad email: %d", p.status)
		}
		p = br.post("/admin/users", url.Values{"csrf": {token}, "email": {"lin@a.example"}, "name": {"Lin"}, "password": {"short"}, "role": {"editor"}})
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="new-password-error"`) {
			t.Errorf("a short password: %d", p.status)
		}
		if p = br.post("/admin/users", url.Values{"csrf": {token}, "email": {"lin@a.example"}, "name": {"Lin"}, "password": {"long enough password"}, "role": {"editor"}}); p.status != http.StatusSeeOther {
			t.Fatalf("create user: %d %.300s", p.status, p.body)
		}
		var lin *contactd.User
		us, _ := e.svc.Users(ctx, e.admin["A"], contactd.UserListRequest{})
		for _, u := range us.Data {
			if u.Email == "lin@a.example" {
				lin = u
			}
		}
		if lin == nil || lin.Role != "editor" || lin.Name != "Lin" {
			t.Fatalf("the user made: %+v", lin)
		}
		if p = br.post("/admin/users/"+lin.ID, url.Values{"csrf": {token}, "role": {"viewer"}}); p.status != http.StatusSeeOther {
			t.Fatalf("change role: %d", p.status)
		}
		if u, _ := e.svc.GetUser(ctx, e.admin["A"], lin.ID); u.Role != "viewer" {
			t.Errorf("role after the change: %s", u.Role)
		}
		if p = br.post("/admin/users/"+e.users["A"]["admin"].ID+"/delete", url.Values{"csrf": {token}}); p.status != http.StatusBadRequest {
			t.Errorf("an admin deleting itself: %d", p.status)
		}
		if p = br.post("/admin/users/"+lin.ID+"/delete", url.Values{"csrf": {token}}); p.status != http.StatusSeeOther {
			t.Errorf("delete user: %d", p.status)
		}
		if _, err := e.svc.GetUser(ctx, e.admin["A"], lin.ID); contactd.ErrorCodeOf(err) != contactd.ENotFound {
			t.Errorf("the deleted user: %v", err)
		}
		// Another tenant's user is not found from here.
		if p = br.post("/admin/users/"+e.users["B"]["viewer"].ID, url.Values{"csrf": {token}, "role": {"admin"}}); p.status != http.StatusNotFound {
			t.Errorf("changing B's user from A: %d", p.status)
		}

		// Tokens: the secret is on the answer to the create, and only there.
		p = br.post("/admin/tokens", url.Values{"csrf": {token}, "name": {"crm"}, "scopes": {"contacts:read", "contacts:write"}})
		secret := regexp.MustCompile(`value="(cdt_[^"]+)"`).FindStringSubmatch(p.body)
		if p.status != http.StatusOK || secret == nil {
			t.Fatalf("create token: %d", p.status)
		}
		pr, err := e.svc.Authenticate(ctx, secret[1])
		if err != nil || len(pr.Scopes) != 2 || pr.TenantID != e.tenant["A"].ID {
			t.Fatalf("the token shown: %+v %v", pr, err)
		}
		if p = br.get("/admin/tokens"); strings.Contains(p.body, secret[1]) {
			t.Error("the token's secret is shown again")
		}
		p = br.post("/admin/tokens", url.Values{"csrf": {token}, "name": {"too much"}, "scopes": {"contacts:admin"}, "userId": {e.users["A"]["viewer"].ID}})
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "role") {
			t.Errorf("a viewer's admin token: %d", p.status)
		}
		if p = br.post("/admin/tokens/"+pr.TokenID+"/revoke", url.Values{"csrf": {token}}); p.status != http.StatusSeeOther {
			t.Fatalf("revoke: %d", p.status)
		}
		if _, err := e.svc.Authenticate(ctx, secret[1]); contactd.ErrorCodeOf(err) != contactd.EUnauthorized {
			t.Errorf("the revoked token: %v", err)
		}

		// Webhooks: a URL that is not http(s) is refused, next to the form.
		p = br.post("/admin/webhooks", url.Values{"csrf": {token}, "url": {"ftp://hooks.example/x"}})
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "url") {
			t.Errorf("an ftp webhook: %d", p.status)
		}
		p = br.post("/admin/webhooks", url.Values{"csrf": {token}, "url": {e.srv.URL + "/hook"}, "description": {"crm"}, "events": {"contact.created"}})
		whSecret := regexp.MustCompile(`id="secret" type="text" readonly value="([^"]+)"`).FindStringSubmatch(p.body)
		if p.status != http.StatusOK || whSecret == nil {
			t.Fatalf("create webhook: %d %.500s", p.status, p.body)
		}
		whs, _ := e.svc.Webhooks(ctx, e.admin["A"], contactd.ListParams{})
		if len(whs.Data) != 1 || whs.Data[0].Description != "crm" {
			t.Fatalf("webhooks: %+v", whs.Data)
		}
		if p = br.get("/admin/webhooks/" + whs.Data[0].ID); p.status != http.StatusOK || !strings.Contains(p.body, "Deliveries") {
			t.Errorf("the webhook's page: %d", p.status)
		}
		if p = br.get("/admin/webhooks"); strings.Contains(p.body, whSecret[1]) {
			t.Error("the webhook's secret is shown again")
		}

		// Settings: a bad region is refused and named; a good one is saved.
		p = br.post("/admin/settings", url.Values{"csrf": {token}, "name": {"tenant-A"}, "defaultRegion": {"ZZ"}, "changeRetentionDays": {"30"}})
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, `class="error"`) {
			t.Errorf("region ZZ: %d", p.status)
		}
		p = br.post("/admin/settings", url.Values{"csrf": {token}, "name": {"Acme"}, "defaultRegion": {"GB"}, "changeRetentionDays": {"60"}, "rateLimit": {"50"}})
		if p.status != http.StatusSeeOther {
			t.Fatalf("save settings: %d %.500s", p.status, p.body)
		}
		ten, _ := e.svc.TenantSettings(ctx, e.admin["A"])
		if ten.Name != "Acme" || ten.DefaultRegion != "GB" || ten.ChangeRetentionDays != 60 || ten.RateLimit == nil || *ten.RateLimit != 50 {
			t.Errorf("settings saved: %+v", ten)
		}
		if other, _ := e.svc.TenantSettings(ctx, e.admin["B"]); other.Name != "tenant-B" {
			t.Errorf("B's settings changed: %+v", other)
		}
	})
}

func TestExportAndDetect(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		e := newEnv(t, b, web.Options{})
		ctx := context.Background()
		for _, c := range []*contactd.ContactInput{{FirstName: "Tagged", LastName: "One", Tags: []string{"vip"}}, {FirstName: "Plain", LastName: "Two"}} {
			if _, err := e.svc.CreateContact(ctx, e.admin["A"], c); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.svc.CreateContact(ctx, e.admin["B"], &contactd.ContactInput{FirstName: "Other", LastName: "Tenant", Tags: []string{"vip"}}); err != nil {
			t.Fatal(err)
		}
		br := e.browser()
		br.mustSignIn("A", "viewer")
		if p := br.get("/export?tag=vip"); !strings.Contains(p.body, "tagged vip: 1") {
			t.Errorf("the export page does not count the list: %.2000s", p.body)
		}
		p := br.get("/export/download?format=csv&tag=vip")
		if p.status != http.StatusOK || !strings.Contains(p.header.Get("Content-Type"), "csv") || !strings.Contains(p.body, "Tagged") ||
			strings.Contains(p.body, "Plain") || strings.Contains(p.body, "Other") {
			t.Errorf("export of tag vip: %d %q\n%s", p.status, p.header.Get("Content-Type"), p.body)
		}
		if p := br.get("/export/download?format=ndjson"); strings.Count(strings.TrimSpace(p.body), "\n") != 1 {
			t.Errorf("export of everything: %s", p.body)
		}

		admin := e.browser()
		admin.mustSignIn("A", "admin")
		token := admin.get("/import").csrf(t)
		req, _ := http.NewRequest("POST", e.srv.URL+"/import/detect", strings.NewReader("First Name;Last Name;E-mail Address;Shoe size\nAda;Lovelace;ada@example.com;38\n"))
		req.Header.Set("X-CSRF-Token", token)
		p = admin.do(req)
		var d struct {
			Format, Layout   string
			Columns, Targets []string
		}
		if err := json.Unmarshal([]byte(p.body), &d); err != nil || d.Format != "csv" || strings.Join(d.Targets, ",") != "firstName,lastName,email,unknown (kept)" {
			t.Errorf("detect: %d %s", p.status, p.body)
		}
		// The script's upload goes to the API as the user, and the job's
		// page shows it.
		req, _ = http.NewRequest("POST", e.srv.URL+"/app/api/v1/imports?dryRun=true", strings.NewReader("First Name,Last Name\nGrace,Hopper\n"))
		req.Header.Set("X-CSRF-Token", token)
		req.Header.Set("Content-Type", "text/csv")
		resp, err := admin.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var im contactd.Import
		if resp.StatusCode != http.StatusAccepted || json.Unmarshal(body, &im) != nil {
			t.Fatalf("upload: %d %s", resp.StatusCode, body)
		}
		if p := admin.get("/imports/" + im.ID); p.status != http.StatusOK || !strings.Contains(p.body, "(dry run)") {
			t.Errorf("the job's page: %d", p.status)
		}
		other := e.browser()
		other.mustSignIn("B", "admin")
		if p := other.get("/imports/" + im.ID); p.status != http.StatusNotFound {
			t.Errorf("B sees A's import: %d", p.status)
		}
	})
}
