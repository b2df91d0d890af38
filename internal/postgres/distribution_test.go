package postgres_test

import (
	"context"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/postgres"
	"github.com/contactd/contactd/internal/storetest"
)

// The schema must distribute by tenant on Citus-style engines (SCALING.md):
// tenant-owned tables are distributed on tenant_id and co-located, the rest
// are small reference tables copied to every node. No such engine runs here,
// so these tests hold the schema and the store's statements to the rules
// such an engine enforces.

// referenceTables are the tables that are not distributed by tenant: the
// tenants themselves, tokens (found by the hash of their secret before the
// tenant is known), node-wide secrets, and the migration bookkeeping.
var referenceTables = []string{"tenants", "tokens", "secrets", "goose_db_version", "goose_lock"}

func isReference(table string) bool { return slices.Contains(referenceTables, table) }

// TestDistributionSchema checks Citus's rules for co-located distributed
// tables against the catalogs of a freshly migrated schema: every
// distributed table has tenant_id; every primary key and unique index of
// one includes tenant_id; every foreign key between two of them matches
// tenant_id to tenant_id; no reference table points at a distributed one.
func TestDistributionSchema(t *testing.T) {
	ctx := context.Background()
	url := storetest.PostgresURL(t)
	s, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	tables := queryStrings(t, conn, `SELECT c.relname FROM pg_class c
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') ORDER BY 1`)
	var distributed []string
	for _, tb := range tables {
		if !isReference(tb) {
			distributed = append(distributed, tb)
		}
	}
	if !slices.Contains(distributed, "contacts") || len(distributed) < 8 {
		t.Fatalf("distributed tables = %v, want contacts and its side tables", distributed)
	}
	for _, tb := range referenceTables[:3] {
		if !slices.Contains(tables, tb) {
			t.Errorf("reference table %s is not in the schema; update referenceTables", tb)
		}
	}

	for _, tb := range distributed {
		cols := queryStrings(t, conn, `SELECT attname FROM pg_attribute
			WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`, tb)
		if !slices.Contains(cols, "tenant_id") {
			t.Errorf("table %s has no tenant_id column", tb)
		}
		// Key columns (not INCLUDE columns) of every unique index, the
		// primary key among them.
		rows, err := conn.Query(ctx, `SELECT i.indexrelid::regclass::text,
				array(SELECT a.attname::text FROM unnest((i.indkey::int2[])[0:i.indnkeyatts-1]) k
					JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k)
			FROM pg_index i WHERE i.indrelid = $1::regclass AND i.indisunique`, tb)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]any, error) {
			var name string
			var cols []string
			err := r.Scan(&name, &cols)
			return [2]any{name, cols}, err
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) == 0 {
			t.Errorf("table %s has no primary key", tb)
		}
		for _, k := range keys {
			if !slices.Contains(k[1].([]string), "tenant_id") {
				t.Errorf("unique index %s on %s is on %v, without tenant_id", k[0], tb, k[1])
			}
		}
	}

	rows, err := conn.Query(ctx, `SELECT con.conname, con.conrelid::regclass::text, con.confrelid::regclass::text,
			array(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
				JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o),
			array(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, o)
				JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o)
		FROM pg_constraint con WHERE con.contype = 'f' AND con.connamespace = current_schema()::regnamespace`)
	if err != nil {
		t.Fatal(err)
	}
	type fk struct {
		name, from, to string
		cols, refs     []string
	}
	fks, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (fk, error) {
		var f fk
		err := r.Scan(&f.name, &f.from, &f.to, &f.cols, &f.refs)
		return f, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(fks) == 0 {
		t.Fatal("no foreign keys found; the catalog query is wrong")
	}
	for _, f := range fks {
		switch {
		case isReference(f.from) && !isReference(f.to):
			t.Errorf("foreign key %s points from reference table %s to distributed table %s", f.name, f.from, f.to)
		case !isReference(f.from) && !isReference(f.to):
			i := slices.Index(f.cols, "tenant_id")
			if i < 0 || f.refs[i] != "tenant_id" {
				t.Errorf("foreign key %s (%s%v → %s%v) does not match tenant_id to tenant_id", f.name, f.from, f.cols, f.to, f.refs)
			}
		}
	}
}

func queryStrings(t *testing.T, conn *pgx.Conn, sql string, args ...any) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDistributionQueries runs the store conformance suite on a store that
// reports every statement it sends, and checks each: a statement that
// touches a distributed table is confined to one tenant (a co-located
// router query), naming tenant_id for every distributed table it reads or
// writes. The only statements that touch a distributed table across
// tenants are the administrative ones in crossTenant.
func TestDistributionQueries(t *testing.T) {
	storetest.PostgresURL(t) // skips without PostgreSQL
	rec := &recorder{seen: map[string]bool{}}
	b := storetest.Backend{Name: "postgres-traced", Open: func(t testing.TB) contactd.Store {
		tr := &tracer{rec: rec}
		s, err := postgres.OpenTraced(context.Background(), storetest.PostgresURL(t), tr)
		if err != nil {
			t.Fatal(err)
		}
		tr.on.Store(true) // the migrations are not the store's statements
		t.Cleanup(func() { s.Close() })
		return s
	}}
	t.Run("Conformance", func(t *testing.T) { storetest.Run(t, b) })
	t.Run("Lists", func(t *testing.T) { exerciseLists(t, b.Open(t)) })
	if t.Failed() {
		return
	}

	stmts := rec.statements()
	if len(stmts) < 50 {
		t.Fatalf("only %d distinct statements recorded; the tracer is not seeing the store", len(stmts))
	}
	checked := 0
	for _, sql := range stmts {
		refs := distributedRefs(sql)
		if len(refs) == 0 {
			continue
		}
		checked++
		if slices.ContainsFunc(crossTenant, func(p string) bool { return strings.Contains(sql, p) }) {
			continue
		}
		if problem := tenantScoped(sql, refs); problem != "" {
			t.Errorf("%s:\n%s", problem, sql)
		}
	}
	if os.Getenv("CONTACTD_TRACE_STATEMENTS") != "" {
		t.Log(strings.Join(stmts, "\n"))
	}
	t.Logf("%d distinct statements, %d touching distributed tables, checked", len(stmts), checked)
}

// exerciseLists drives the contact list, search and lookup paths through a
// Service, which the conformance suite (written against the Store) does not
// reach in all their shapes: every sort, the filter operators on every kind
// of field, full-text search, and caller-ID.
func exerciseLists(t *testing.T, s contactd.Store) {
	ctx := context.Background()
	svc := contactd.NewService(s, slog.New(slog.DiscardHandler))
	tn, err := svc.CreateTenant(ctx, "distribution", "US")
	if err != nil {
		t.Fatal(err)
	}
	p := contactd.Principal{TenantID: tn.ID, Actor: "test", Region: "US",
		Scopes: []contactd.Scope{contactd.ScopeRead, contactd.ScopeWrite, contactd.ScopeDelete, contactd.ScopeAdmin}}
	var ins []*contactd.ContactInput
	for i, name := range []string{"Ada Lovelace", "Grace Hopper", "Alan Turing"} {
		in, err := contactd.DecodeContactInput([]byte(`{"displayName":"` + name + `","tags":["t` + strconv.Itoa(i%2) +
			`"],"emails":[{"address":"c` + strconv.Itoa(i) + `@example.com"}],"phones":[{"number":"+1415555267` + strconv.Itoa(i) + `"}]}`))
		if err != nil {
			t.Fatal(err)
		}
		ins = append(ins, in)
	}
	if _, err := svc.CreateContacts(ctx, p, "import", ins); err != nil {
		t.Fatal(err)
	}
	filters := []string{"", `{"tags":"t0"}`, `{"tags":{"$nin":["t1"]}}`, `{"emails":"c1@example.com"}`,
		`{"phones":"+14155552672"}`, `{"displayName":{"$prefix":"Ada"}}`, `{"createdAt":{"$gte":"2020-01-01T00:00:00Z"}}`,
		`{"properties.plan":"pro"}`, `{"$or":[{"status":"lead"},{"company":{"$exists":false}}]}`, `{"address.city":"Paris"}`}
	for _, f := range filters {
		for _, sort := range append(slices.Clone(contactd.ContactSortFields), "-updatedAt", "") {
			for _, exact := range []bool{false, true} {
				r := contactd.ContactListRequest{ListParams: contactd.ListParams{Filter: []byte(f), Sort: sort, Limit: 2, ExactCount: exact}}
				page, err := svc.ListContacts(ctx, p, r)
				if err != nil {
					t.Fatalf("filter %s, sort %q: %v", f, sort, err)
				}
				if page.NextCursor != nil {
					r.Cursor = *page.NextCursor
					if _, err := svc.ListContacts(ctx, p, r); err != nil {
						t.Fatalf("filter %s, sort %q, next page: %v", f, sort, err)
					}
				}
			}
		}
	}
	for _, q := range []string{"ada", "lovelace ada", "4155", "c2@example.com"} {
		r := contactd.ContactListRequest{Q: q, ListParams: contactd.ListParams{Filter: []byte(`{"tags":"t0"}`)}}
		if _, err := svc.ListContacts(ctx, p, r); err != nil {
			t.Fatalf("q %s: %v", q, err)
		}
	}
	if _, err := svc.Lookup(ctx, p, contactd.LookupQuery{Phone: "(415) 555-2671"}); err != nil {
		t.Fatal(err)
	}
}

// crossTenant holds fragments of the administrative statements that may
// span tenants: a tenant's data is otherwise only ever read or written with
// its tenant_id. The one there is, the deliverer's claim of the
// subscriptions with something to deliver, reads every tenant's webhooks
// (a handful of rows each) and leases a few; on a distributed database it
// would run on each node's shards, a multi-shard query rather than a
// router one.
// (the claim, the release of every lease by a sole writer, and the
// deliverers' queue for metrics)
//
// Sign-in to the web address book adds three, each a multi-shard query on
// a distributed database: a session is found by the hash of its secret
// before its tenant is known (with its user, co-located), a user by email
// in every tenant, and the sweep of idle and expired sessions runs over
// every tenant.
var crossTenant = []string{"UPDATE webhooks SET lease_owner", "SUM(t.change_seq - w.cursor)",
	"FROM sessions s JOIN users u ON u.tenant_id = s.tenant_id AND u.id = s.user_id JOIN tenants t ON t.id = s.tenant_id WHERE s.hash = $1",
	"FROM users WHERE email = $1 ORDER BY tenant_id", "DELETE FROM sessions WHERE last_seen_at < $1 OR expires_at < $2"}

var (
	tableRef    = regexp.MustCompile(`(?i)\b(FROM|JOIN|UPDATE|INTO)\s+([a-z_][a-z_0-9]*)(\s*\()?`)
	cteName     = regexp.MustCompile(`(?i)(?:\bWITH|,)\s*([a-z_][a-z_0-9]*)\s+AS\s*\(`)
	tenantWord  = regexp.MustCompile(`(?i)\btenant_id\b`)
	tenantBound = regexp.MustCompile(`(?i)\btenant_id\s*=\s*\$\d+|\btenant_id\s*=\s*[a-z_]+\.tenant_id\b|\btenant_id\s*=\s*[a-z_]+\.id\b`)
	insertCols  = regexp.MustCompile(`(?i)\bINSERT\s+INTO\s+[a-z_]+\s*\(\s*tenant_id\b`)
)

// distributedRefs returns the distributed tables a statement names, once
// per mention.
func distributedRefs(sql string) []string {
	var out []string
	ctes := map[string]bool{"unnest": true, "lateral": true, "only": true}
	for _, m := range cteName.FindAllStringSubmatch(sql, -1) {
		ctes[strings.ToLower(m[1])] = true
	}
	for _, m := range tableRef.FindAllStringSubmatch(sql, -1) {
		tb := strings.ToLower(m[2])
		if ctes[tb] || m[3] != "" && !strings.EqualFold(m[1], "INTO") { // a set-returning function
			continue
		}
		if !isReference(tb) && !strings.HasPrefix(tb, "pg_") { // (pg_*: PostgreSQL's own catalogs and views)
			out = append(out, tb)
		}
	}
	return out
}

// tenantScoped says what is wrong with a statement that touches the given
// distributed tables, or "" when every mention is matched by a tenant_id
// and the statement pins one tenant (tenant_id equal to a parameter) or
// inserts rows that carry their tenant_id.
func tenantScoped(sql string, refs []string) string {
	if n := len(tenantWord.FindAllString(sql, -1)); n < len(refs) {
		return "names " + strings.Join(refs, ", ") + " but tenant_id only " + strconv.Itoa(n) + " times"
	}
	if !tenantBound.MatchString(sql) && !insertCols.MatchString(sql) {
		return "touches " + strings.Join(refs, ", ") + " without pinning a tenant"
	}
	return ""
}

// recorder collects the distinct statements of every traced store.
type recorder struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (r *recorder) add(sql string) {
	sql = strings.Join(strings.Fields(sql), " ")
	r.mu.Lock()
	r.seen[sql] = true
	r.mu.Unlock()
}

func (r *recorder) statements() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.seen))
	for s := range r.seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// tracer reports a store's queries, batched queries and COPYs once on.
type tracer struct {
	rec *recorder
	on  atomic.Bool
}

func (tr *tracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	if tr.on.Load() {
		tr.rec.add(d.SQL)
	}
	return ctx
}

func (tr *tracer) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (tr *tracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

func (tr *tracer) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	if tr.on.Load() {
		tr.rec.add(d.SQL)
	}
}

func (tr *tracer) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

func (tr *tracer) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceCopyFromStartData) context.Context {
	if tr.on.Load() {
		// A COPY writes whole rows; it stays on one tenant's shards only if
		// the rows carry tenant_id, which the store sets to one tenant.
		tr.rec.add("INSERT INTO " + strings.Join(d.TableName, ".") + " (" + strings.Join(d.ColumnNames, ", ") + ") COPY")
	}
	return ctx
}

func (tr *tracer) TraceCopyFromEnd(context.Context, *pgx.Conn, pgx.TraceCopyFromEndData) {}

// TestTenantScopedCheck holds the statement check to the statements it must
// refuse, so that TestDistributionQueries passing means something.
func TestTenantScopedCheck(t *testing.T) {
	for _, c := range []struct {
		sql string
		ok  bool
	}{
		{`SELECT doc FROM contacts WHERE tenant_id = $1 AND id = $2`, true},
		{`SELECT c.doc FROM contacts c JOIN contact_tags t ON t.tenant_id = c.tenant_id AND t.contact_id = c.id WHERE c.tenant_id = $1`, true},
		{`INSERT INTO changes (tenant_id, seq) VALUES ($1, $2)`, true},
		{`SELECT 1 FROM jsonb_array_elements(x) a JOIN contacts c ON c.tenant_id = $1`, true},
		{`WITH x AS (SELECT 1) SELECT * FROM x JOIN tags ON tags.tenant_id = $1`, true},
		{`SELECT COUNT(*) FROM contacts`, false},
		{`SELECT COUNT(*) FROM contacts GROUP BY tenant_id`, false},
		{`SELECT c.doc FROM contacts c JOIN contact_tags t ON t.contact_id = c.id WHERE c.tenant_id = $1`, false},
		{`DELETE FROM idempotency_keys WHERE created_at < $1`, false},
		{`UPDATE contacts SET doc = $1 WHERE id = $2`, false},
	} {
		refs := distributedRefs(c.sql)
		if len(refs) == 0 {
			t.Errorf("%s: no distributed table found", c.sql)
			continue
		}
		if problem := tenantScoped(c.sql, refs); (problem == "") != c.ok {
			t.Errorf("%s: problem %q, want ok = %v", c.sql, problem, c.ok)
		}
	}
	if refs := distributedRefs(`SELECT id FROM tenants WHERE name = $1`); len(refs) != 0 {
		t.Errorf("tenants counted as distributed: %v", refs)
	}
}
