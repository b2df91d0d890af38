package storetest

import (
	"context"
	"database/sql"
	"encoding/json"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/postgres"
	"github.com/contactd/contactd/internal/sqlite"
	"github.com/contactd/contactd/internal/sqlq"
)

// upgradeFrom is the schema version whose data TestUpgradeWithData writes
// before opening the store, which migrates it to the current schema. It is
// the version before the last change to how contacts are stored (00008
// made their filtered fields columns contactd writes, and rebuilt the
// SQLite table).
const upgradeFrom = 7

// TestUpgradeWithData writes contacts as the schema at upgradeFrom holds
// them, with raw SQL, then opens the store, which migrates in place, and
// checks through the Service that everything is still there and works:
// reads, filters on the migrated columns, tags, caller-ID, search, soft
// deletion, updates, and erasure cascading to the side tables.
func TestUpgradeWithData(t *testing.T) {
	type backend struct {
		name string
		// prepare returns a database at upgradeFrom, how a value is
		// written to it, and a function that opens the store over it.
		prepare func(t *testing.T) (db *sql.DB, dialect goose.Dialect, migrations fs.FS, conv func(any) any, open func() contactd.Store)
	}
	backends := []backend{{"sqlite", func(t *testing.T) (*sql.DB, goose.Dialect, fs.FS, func(any) any, func() contactd.Store) {
		path := filepath.Join(t.TempDir(), "contactd.db")
		db, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(ON)")
		if err != nil {
			t.Fatal(err)
		}
		conv := func(v any) any {
			switch v := v.(type) {
			case time.Time:
				return v.UTC().Format(sqlq.TimeFormat)
			case bool:
				if v {
					return 1
				}
				return 0
			}
			return v
		}
		return db, goose.DialectSQLite3, sqlite.Migrations(), conv, func() contactd.Store {
			s, err := sqlite.Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	}}}
	if os.Getenv(PostgresURLEnv) != "" {
		backends = append(backends, backend{"postgres", func(t *testing.T) (*sql.DB, goose.Dialect, fs.FS, func(any) any, func() contactd.Store) {
			url := PostgresURL(t)
			db, err := sql.Open("pgx", url)
			if err != nil {
				t.Fatal(err)
			}
			return db, goose.DialectPostgres, postgres.Migrations(), func(v any) any { return v }, func() contactd.Store {
				s, err := postgres.Open(context.Background(), url)
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
		}})
	}
	_ = stdlib.GetDefaultDriver() // registers "pgx"
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, dialect, migrations, conv, open := b.prepare(t)
			defer db.Close()
			p, err := goose.NewProvider(dialect, db, migrations)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.UpTo(ctx, upgradeFrom); err != nil {
				t.Fatal(err)
			}
			exec := func(q string, args ...any) {
				t.Helper()
				if dialect == goose.DialectPostgres {
					for i := 1; strings.Contains(q, "?"); i++ {
						q = strings.Replace(q, "?", "$"+strconv.Itoa(i), 1)
					}
				}
				for i, a := range args {
					args[i] = conv(a)
				}
				if _, err := db.ExecContext(ctx, q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}

			// A tenant with a live contact (names, company, tags, emails,
			// phones) and a soft-deleted one, as version upgradeFrom
			// stored them.
			tenantID := contactd.NewID(contactd.PrefixTenant)
			exec(`INSERT INTO tenants (id, name, default_region, unique_phones, change_seq, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
				tenantID, "upgrade", "US", false, 2, now())
			live := newContact(func(c *contactd.Contact) { c.Company, c.Status, c.DoNotCall = "Initech", "customer", true })
			gone := newContact(func(c *contactd.Contact) { c.FirstName, c.DisplayName, c.Tags = "Bob", "Bob Lee", []string{"old"} })
			at := now()
			gone.DeletedAt = &at
			for seq, c := range []*contactd.Contact{live, gone} {
				doc, err := json.Marshal(c)
				if err != nil {
					t.Fatal(err)
				}
				var ext any
				if c.ExternalID != "" {
					ext = c.ExternalID
				}
				var deleted any
				if c.DeletedAt != nil {
					deleted = conv(*c.DeletedAt)
				}
				exec(`INSERT INTO contacts (tenant_id, id, version, display_name, display_name_set, external_id, created_at, updated_at, deleted_at, doc)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					tenantID, c.ID, c.Version, c.DisplayName, c.DisplayNameSet, ext, c.CreatedAt, c.UpdatedAt, deleted, string(doc))
				for _, e := range c.Emails {
					exec(`INSERT INTO contact_emails (tenant_id, contact_id, address, live) VALUES (?, ?, ?, ?)`, tenantID, c.ID, e.Address, c.Live())
				}
				for _, ph := range c.Phones {
					exec(`INSERT INTO contact_phones (tenant_id, contact_id, phone_id, e164, is_primary, live) VALUES (?, ?, ?, ?, ?, ?)`,
						tenantID, c.ID, ph.ID, ph.E164, ph.Primary, c.Live())
				}
				for _, tag := range contactd.TagKeys(c.Tags) {
					exec(`INSERT INTO contact_tags (tenant_id, contact_id, tag) VALUES (?, ?, ?)`, tenantID, c.ID, tag)
				}
				for _, term := range slices.Concat(contactd.SearchTerms(c), oldDigitTerms(dialect, c)) {
					exec(`INSERT INTO contact_terms (tenant_id, term, contact_id, weight) VALUES (?, ?, ?, ?)`, tenantID, term.Term, c.ID, term.Weight)
				}
				exec(`INSERT INTO changes (tenant_id, seq, contact_id, type, version, actor, at, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
					tenantID, seq+1, c.ID, "created", 1, "storetest", c.CreatedAt, nil)
			}
			s := open()
			defer s.Close()
			if ok, err := s.SchemaCurrent(ctx); err != nil || !ok {
				t.Fatalf("SchemaCurrent after opening = %v, %v", ok, err)
			}
			svc := contactd.NewService(s, slog.New(slog.DiscardHandler))
			pr := contactd.Principal{TenantID: tenantID, Actor: "storetest", Region: "US",
				Scopes: []contactd.Scope{contactd.ScopeRead, contactd.ScopeWrite, contactd.ScopeDelete, contactd.ScopeAdmin}}

			got, err := s.Contact(ctx, tenantID, live.ID)
			if err != nil {
				t.Fatal(err)
			}
			sameContact(t, got, live, "migrated contact")

			list := func(filter string, includeDeleted bool) []string {
				t.Helper()
				page, err := svc.ListContacts(ctx, pr, contactd.ContactListRequest{IncludeDeleted: includeDeleted,
					ListParams: contactd.ListParams{Filter: []byte(filter), Sort: "-updatedAt"}})
				if err != nil {
					t.Fatalf("list %s: %v", filter, err)
				}
				var ids []string
				for _, c := range page.Data {
					ids = append(ids, c.ID)
				}
				return ids
			}
			want := func(what string, got []string, ids ...string) {
				t.Helper()
				if strings.Join(got, ",") != strings.Join(ids, ",") {
					t.Errorf("%s: got %v, want %v", what, got, ids)
				}
			}
			want("company filter", list(`{"company":"Initech"}`, false), live.ID)
			want("status and doNotCall filter", list(`{"status":"customer","doNotCall":true}`, false), live.ID)
			want("kind filter", list(`{"kind":"person","emailOptOut":true}`, false), live.ID)
			want("tag filter", list(`{"tags":"vip"}`, false), live.ID)
			want("deleted contact's tag", list(`{"tags":"old"}`, false))
			want("deleted contact's tag, deleted included", list(`{"tags":"old"}`, true), gone.ID)
			want("first name filter, deleted included", list(`{"firstName":"Bob"}`, true), gone.ID)

			page, err := svc.ListContacts(ctx, pr, contactd.ContactListRequest{Q: "initech"})
			if err != nil || len(page.Data) != 1 || page.Data[0].ID != live.ID {
				t.Errorf("search after upgrade: %v, %v", page, err)
			}
			// Digits in the middle of a number find it (on PostgreSQL, now
			// through the trigram index), and no suffix term is left.
			digits := strings.TrimPrefix(live.Phones[0].E164, "+")
			page, err = svc.ListContacts(ctx, pr, contactd.ContactListRequest{Q: digits[2:8]})
			if err != nil || len(page.Data) != 1 || page.Data[0].ID != live.ID {
				t.Errorf("search of digits after upgrade: %v, %v", page, err)
			}
			rows, err := db.QueryContext(ctx, `SELECT term FROM contact_terms`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			suffixes := oldDigitTerms(goose.DialectPostgres, live)
			for rows.Next() {
				var term string
				if err := rows.Scan(&term); err != nil {
					t.Fatal(err)
				}
				if slices.ContainsFunc(suffixes, func(s contactd.Term) bool { return s.Term == term }) {
					t.Errorf("the suffix %q of a number is a term after upgrade", term)
				}
			}
			if len(suffixes) < 10 {
				t.Fatalf("the test's numbers have %d suffixes", len(suffixes))
			}
			res, err := svc.Lookup(ctx, pr, contactd.LookupQuery{Phone: live.Phones[0].E164})
			if err != nil || res.Match != "exact" {
				t.Errorf("caller-ID after upgrade: %+v, %v", res, err)
			}

			// Writes after the upgrade keep the columns in step with the
			// document.
			upd := next(live)
			upd.Company, upd.DoNotCall = "Globex", false
			mustWrite(t, s, tenantID, upd, live.Version)
			want("company filter after update", list(`{"company":"Initech"}`, false))
			want("new company after update", list(`{"company":"Globex","doNotCall":false}`, false), live.ID)

			// Erasing cascades to the side tables: the foreign keys survived.
			if err := s.EraseContact(ctx, tenantID, live.ID, erasedChange(tenantID, live)); err != nil {
				t.Fatal(err)
			}
			if ms, err := s.LookupPhone(ctx, tenantID, live.Phones[0].E164, 10); err != nil || len(ms) != 0 {
				t.Errorf("phone of an erased contact: %v, %v", ms, err)
			}
			want("tag of an erased contact", list(`{"tags":"vip"}`, true))

			// Change retention (00015): the tenant that was there keeps its
			// whole log; a new one starts at the default.
			if tn, err := s.Tenant(ctx, tenantID); err != nil || tn.ChangeRetentionDays != contactd.MaxChangeRetentionDays {
				t.Errorf("the upgraded tenant's retention: %+v, %v; want %d days", tn, err, contactd.MaxChangeRetentionDays)
			}
			if h, err := s.ChangeHorizon(ctx, tenantID); err != nil || h.Pruned != 0 || h.Last < 2 {
				t.Errorf("the upgraded tenant's change horizon: %+v, %v", h, err)
			}
			fresh, err := svc.CreateTenant(ctx, "after-upgrade", "US")
			if err != nil || fresh.ChangeRetentionDays != contactd.DefaultChangeRetentionDays {
				t.Errorf("a tenant created after the upgrade: %+v, %v", fresh, err)
			}
			for _, table := range []string{"contact_emails", "contact_phones", "contact_tags", "contact_terms"} {
				var n int
				q := "SELECT COUNT(*) FROM " + table + " WHERE contact_id = " + map[bool]string{true: "$1", false: "?"}[dialect == goose.DialectPostgres]
				if err := db.QueryRowContext(ctx, q, live.ID).Scan(&n); err != nil || n != 0 {
					t.Errorf("%s rows of an erased contact: %d, %v", table, n, err)
				}
			}
		})
	}
}

// oldDigitTerms are the terms PostgreSQL kept for a contact's phone digits
// before migration 00012: every trailing run of three or more digits of
// each number, weight 1, unless the contact had the term already.
func oldDigitTerms(dialect goose.Dialect, c *contactd.Contact) []contactd.Term {
	if dialect != goose.DialectPostgres {
		return nil
	}
	seen := map[string]bool{}
	for _, t := range contactd.SearchTerms(c) {
		seen[t.Term] = true
	}
	var out []contactd.Term
	for _, p := range c.Phones {
		digits := strings.TrimPrefix(p.E164, "+")
		for i := 0; i+3 <= len(digits); i++ {
			if t := digits[i:]; !seen[t] {
				seen[t] = true
				out = append(out, contactd.Term{Term: t, Weight: contactd.WeightOther})
			}
		}
	}
	return out
}
