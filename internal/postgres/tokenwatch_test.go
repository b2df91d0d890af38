package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/postgres"
	"github.com/contactd/contactd/internal/storetest"
)

// TestTokenWatch: a store listening for token news hears of a revocation
// and of a tenant change made through another store on the same database,
// says it is not listening when its connection is cut, listens again, and
// stops when closed.
func TestTokenWatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := storetest.PostgresURL(t)
	a, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	var nb [6]byte
	rand.Read(nb[:])
	listener := "contactd-test-" + hex.EncodeToString(nb[:])
	postgres.NameListener(b, listener)

	type news struct{ tenant, token string }
	changed, listening := make(chan news, 100), make(chan bool, 100)
	b.WatchTokens(contactd.TokenWatch{
		Changed:   func(tenant, token string) { changed <- news{tenant, token} },
		Listening: func(on bool) { listening <- on },
	})
	expectListening := func(want bool) {
		t.Helper()
		select {
		case on := <-listening:
			if on != want {
				t.Fatalf("listening %v, want %v", on, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("not told listening %v", want)
		}
	}
	// Other tests' stores notify on the same database: only this tenant's
	// news count.
	tn := &contactd.Tenant{ID: contactd.NewID(contactd.PrefixTenant), Name: "watch-" + listener, CreatedAt: time.Now()}
	expectNews := func(want news) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case n := <-changed:
				if n.tenant == tn.ID {
					if n != want {
						t.Fatalf("told %+v, want %+v", n, want)
					}
					return
				}
			case <-deadline:
				t.Fatalf("not told %+v", want)
			}
		}
	}
	expectListening(true)

	if err := a.CreateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	// newToken creates a token of the tenant through s.
	newToken := func(s *postgres.Store, name string) *contactd.Token {
		t.Helper()
		tok := &contactd.Token{ID: contactd.NewID(contactd.PrefixToken), TenantID: tn.ID, Name: name, Kind: contactd.TokenService,
			Scopes: []contactd.Scope{contactd.ScopeRead}, Hash: contactd.HashToken("cdt_" + name + listener), CreatedAt: time.Now()}
		if err := s.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
		return tok
	}
	tok := newToken(a, "t1")
	if err := a.RevokeToken(ctx, tn.ID, tok.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	expectNews(news{tn.ID, tok.ID})
	if err := a.RevokeToken(ctx, tn.ID, "tok_none", time.Now()); contactd.ErrorCodeOf(err) != contactd.ENotFound {
		t.Fatalf("revoking a token that does not exist: %v, want not found", err)
	}
	tn.DefaultRegion = "GB"
	if err := a.UpdateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	expectNews(news{tn.ID, ""})

	// A listening store's own changes wait for the acknowledgements, and
	// forget about them when they sent no notification.
	if err := b.RevokeToken(ctx, tn.ID, tok.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	expectNews(news{tn.ID, tok.ID})
	if err := b.RevokeToken(ctx, tn.ID, "tok_none", time.Now()); contactd.ErrorCodeOf(err) != contactd.ENotFound {
		t.Fatalf("revoking a token that does not exist: %v, want not found", err)
	}
	if n := postgres.AcksAwaited(b); n != 0 {
		t.Errorf("%d notifications still awaited", n)
	}

	// A change returns only once every listening node has been told: here
	// a third store whose watch takes its time.
	c, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var slowDone atomic.Bool
	cListening := make(chan bool, 100)
	c.WatchTokens(contactd.TokenWatch{
		Changed: func(tenant, _ string) {
			if tenant == tn.ID {
				time.Sleep(300 * time.Millisecond)
				slowDone.Store(true)
			}
		},
		Listening: func(on bool) { cListening <- on },
	})
	if on := <-cListening; !on {
		t.Fatal("the third store does not listen")
	}
	tok2 := newToken(b, "t2")
	if err := b.RevokeToken(ctx, tn.ID, tok2.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if !slowDone.Load() {
		t.Errorf("the revocation returned before another node had forgotten the token")
	}
	expectNews(news{tn.ID, tok2.ID})

	// So does one through a node that has only just started to listen.
	d, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	tok3 := newToken(d, "t3")
	slowDone.Store(false)
	d.WatchTokens(contactd.TokenWatch{Changed: func(string, string) {}, Listening: func(bool) {}})
	if err := d.RevokeToken(ctx, tn.ID, tok3.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if !slowDone.Load() {
		t.Errorf("a revocation through a starting node returned before another node had forgotten the token")
	}
	expectNews(news{tn.ID, tok3.ID})

	// Cut the listener's connection: told, then listening again, and
	// hearing what follows.
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var cut int
	if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'contactd-token-watch-' || $1`, listener).Scan(&cut); err != nil || cut != 1 {
		t.Fatalf("terminating the listener: %d connections, %v", cut, err)
	}
	expectListening(false)
	expectListening(true)
	tn.DefaultRegion = "FR"
	if err := a.UpdateTenant(ctx, tn); err != nil {
		t.Fatal(err)
	}
	expectNews(news{tn.ID, ""})

	// Closed, the store stops listening.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	// (Its backend ends a moment after the connection is closed.)
	left := -1
	for deadline := time.Now().Add(5 * time.Second); left != 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = 'contactd-token-watch-' || $1`, listener).Scan(&left); err != nil {
			t.Fatal(err)
		}
	}
	if left != 0 {
		t.Errorf("after Close, %d listening connections", left)
	}
}

// TestTokenWatchWithoutProbe: a listener that does not hear its own probe
// (a pooler in transaction mode hands notifications to no one) never says
// it listens, so the Service never caches, and keeps trying.
func TestTokenWatchWithoutProbe(t *testing.T) {
	t.Parallel()
	s, err := postgres.Open(context.Background(), storetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	postgres.LoseProbes(s)
	listening := make(chan bool, 100)
	s.WatchTokens(contactd.TokenWatch{Changed: func(string, string) {}, Listening: func(on bool) { listening <- on }})
	offs := 0
	for deadline := time.After(3 * time.Second); offs < 3; {
		select {
		case on := <-listening:
			if on {
				t.Fatalf("listening without hearing its probe")
			}
			offs++
		case <-deadline:
			t.Fatalf("%d attempts in 3 s, want 3 or more", offs)
		}
	}
}
