package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/postgres"
	"github.com/contactd/contactd/internal/sqlite"
)

// batchSize is how many contacts one CreateContacts call stores.
const batchSize = 5000

// sampleSize is how many contacts of each tenant the request mix draws
// from; they are spread evenly over the tenant's contacts.
const sampleSize = 4096

// tenantData is what the request mix needs of one tenant.
type tenantData struct {
	Name   string
	ID     string
	Token  string
	Start  int // the tenant holds contacts [Start, End) of the data set
	End    int
	Sample []sampled
	// Extensions are extensions of the tenant's corporate contacts, for
	// lookups by extension.
	Extensions []string
	// UserEmail is the tenant's user, an admin with the password
	// benchPassword, who browses the web address book; Session is the
	// cookie of its session, once signed in.
	UserEmail string
	Session   string
}

// benchPassword is the password of the tenants' users.
const benchPassword = "contactd-bench password"

// sampled is one contact of the data set that requests address.
type sampled struct {
	ID string
	// Lookups are query strings of GET /v1/contacts/lookup finding the
	// contact: each of its numbers in the national format of its country.
	Lookups []string
	at      int // the contact's index in the data set
}

// loadResult reports the load phase.
type loadResult struct {
	Contacts       int     `json:"contacts"`
	Tenants        int     `json:"tenants"`
	Batches        int     `json:"batches"`
	Seconds        float64 `json:"seconds"`
	ContactsPerSec float64 `json:"contactsPerSecond"`
	// StoreSeconds is the time spent inside CreateContacts, summed over the
	// callers (two at once), so it can exceed Seconds.
	StoreSeconds float64 `json:"storeSeconds"`
	// OptimizeSeconds is the time the store took to refresh its statistics
	// after the load (Optimize), not part of Seconds.
	OptimizeSeconds float64 `json:"optimizeSeconds"`
	Phones          int     `json:"phones"`
	Emails          int     `json:"emails"`
	DBBytes         int64   `json:"dbBytes,omitempty"`
	// BytesPerContact is DBBytes over the contacts loaded.
	BytesPerContact int64 `json:"bytesPerContact,omitempty"`
}

// openStore opens and migrates the database named by a --db value, as
// cmd/contactd does.
func openStore(ctx context.Context, db string) (contactd.Store, error) {
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") {
		return postgres.Open(ctx, db)
	}
	path := strings.TrimPrefix(strings.TrimPrefix(db, "sqlite://"), "sqlite:")
	return sqlite.Open(ctx, path)
}

// lookupQuery returns the query string that looks a number up as a phone
// system of its country hands it over: national format, with the region
// of the country unless it is the tenants' default (US).
func lookupQuery(region, e164 string) string {
	q := "phone=" + url.QueryEscape(national(e164))
	if region != "US" {
		q += "&region=" + region
	}
	return q
}

type batch struct {
	tenant     int
	start, end int
	ins        []*contactd.ContactInput
	gen        []*genContact
}

// load creates the tenants and their tokens and stores the data set
// through the bulk path, generating the next batches while one is stored.
func load(ctx context.Context, db string, g *generator, tenants int, run string, progress io.Writer) ([]*tenantData, *loadResult, error) {
	store, err := openStore(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	defer store.Close()
	svc := contactd.NewService(store, nil)

	res := &loadResult{Contacts: g.n, Tenants: tenants}
	ts := make([]*tenantData, tenants)
	ps := make([]contactd.Principal, tenants)
	var batches []batch
	for t := range tenants {
		td := &tenantData{Name: fmt.Sprintf("bench-%s-%02d", run, t), Start: t * g.n / tenants, End: (t + 1) * g.n / tenants}
		tn, err := svc.CreateTenant(ctx, td.Name, "US")
		if err != nil {
			return nil, nil, fmt.Errorf("create tenant: %w", err)
		}
		td.ID = tn.ID
		secret, _, err := svc.CreateToken(ctx, contactd.TokenParams{TenantID: tn.ID, Name: "bench", Kind: contactd.TokenService, Scopes: contactd.AllScopes})
		if err != nil {
			return nil, nil, fmt.Errorf("create token: %w", err)
		}
		td.Token = secret
		if ps[t], err = svc.Authenticate(ctx, secret); err != nil {
			return nil, nil, err
		}
		td.UserEmail = "bench@" + td.Name + ".example"
		if _, err := svc.CreateUser(ctx, ps[t], &contactd.UserInput{Email: td.UserEmail, Role: "admin", Password: benchPassword,
			Set: map[string]bool{"email": true, "role": true, "password": true}}); err != nil {
			return nil, nil, fmt.Errorf("create user: %w", err)
		}
		ts[t] = td
		for s := td.Start; s < td.End; s += batchSize {
			batches = append(batches, batch{tenant: t, start: s, end: min(s+batchSize, td.End)})
		}
	}
	res.Batches = len(batches)

	// Two generators work ahead of the loader; the channels bound how far.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	const ahead = 2
	jobs := make(chan int)
	done := make([]chan batch, len(batches))
	for i := range done {
		done[i] = make(chan batch, 1)
	}
	credit := make(chan struct{}, ahead+1) // batches generated and not yet stored
	go func() {
		defer close(jobs)
		for i := range batches {
			select {
			case credit <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	for range ahead {
		go func() {
			for i := range jobs {
				b := batches[i]
				b.gen = make([]*genContact, 0, b.end-b.start)
				b.ins = make([]*contactd.ContactInput, 0, b.end-b.start)
				for k := b.start; k < b.end; k++ {
					c := g.contact(k)
					b.gen = append(b.gen, c)
					b.ins = append(b.ins, c.input())
				}
				done[i] <- b
			}
		}()
	}

	// Two callers store batches at once, as an import with two workers
	// would: while one batch is validated (on every core), the other is
	// being written (by the store's single writer).
	start := time.Now()
	lastReport := start
	stored := 0
	var mu sync.Mutex // guards res, ts, stored, lastReport
	var next atomic.Int64
	errs := make(chan error, storers)
	for range storers {
		go func() {
			errs <- func() error {
				for {
					i := int(next.Add(1) - 1)
					if i >= len(batches) {
						return nil
					}
					var b batch
					select {
					case b = <-done[i]:
					case <-ctx.Done():
						return ctx.Err()
					}
					<-credit
					t0 := time.Now()
					cs, err := svc.CreateContacts(ctx, ps[b.tenant], "import", b.ins)
					if err != nil {
						return fmt.Errorf("batch %d (contacts %d-%d): %w", i, b.start, b.end-1, err)
					}
					mu.Lock()
					res.StoreSeconds += time.Since(t0).Seconds()
					sample(ts[b.tenant], res, b, cs)
					stored += len(cs)
					if now := time.Now(); progress != nil && (now.Sub(lastReport) >= 10*time.Second || stored == g.n) {
						lastReport = now
						el := now.Sub(start).Seconds()
						fmt.Fprintf(progress, "load: %d/%d contacts, %.0f s, %.0f contacts/s\n", stored, g.n, el, float64(stored)/el)
					}
					mu.Unlock()
				}
			}()
		}()
	}
	for range storers {
		if err := <-errs; err != nil {
			cancel()
			return nil, nil, err
		}
	}
	for _, td := range ts {
		// Two storers may have finished a tenant's batches out of order.
		slices.SortFunc(td.Sample, func(a, b sampled) int { return a.at - b.at })
	}
	res.Seconds = time.Since(start).Seconds()
	res.ContactsPerSec = float64(g.n) / res.Seconds
	// Let the database take stock of what it was given, as a deployment
	// would after an import (SQLite: PRAGMA optimize; PostgreSQL: VACUUM
	// ANALYZE, which autovacuum would do within minutes): the planner's
	// statistics, and PostgreSQL's visibility map that index-only scans
	// need. Timed apart from the load.
	if o, ok := store.(interface{ Optimize(context.Context) error }); ok {
		t0 := time.Now()
		if err := o.Optimize(ctx); err != nil {
			return nil, nil, fmt.Errorf("optimize after the load: %w", err)
		}
		res.OptimizeSeconds = time.Since(t0).Seconds()
	}
	return ts, res, nil
}

// storers is how many batches are stored at once.
const storers = 2

// sample counts a stored batch's numbers and emails and keeps the contacts
// of it that fall on the tenant's sampling stride.
func sample(td *tenantData, res *loadResult, b batch, cs []*contactd.Contact) {
	stride := max(1, (td.End-td.Start)/sampleSize)
	for k, c := range cs {
		gc := b.gen[k]
		res.Phones += len(gc.Phones)
		res.Emails += len(gc.Emails)
		if gc.Extension != "" && len(td.Extensions) < sampleSize {
			td.Extensions = append(td.Extensions, gc.Extension)
		}
		if (b.start+k-td.Start)%stride != 0 || (b.start+k-td.Start)/stride >= sampleSize {
			continue
		}
		s := sampled{ID: c.ID, at: b.start + k}
		for _, p := range gc.Phones {
			s.Lookups = append(s.Lookups, lookupQuery(p.Region, p.E164))
		}
		td.Sample = append(td.Sample, s)
	}
}
