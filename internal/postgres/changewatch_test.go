package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/postgres"
	"github.com/contactd/contactd/internal/storetest"
)

// TestLongPollAcrossNodes: two nodes on one database; a long poll of the
// change feed on one answers as soon as the other writes, and again after
// its listening connection was cut and came back.
func TestLongPollAcrossNodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := storetest.PostgresURL(t)
	var nb [6]byte
	rand.Read(nb[:])
	listener := "contactd-test-changes-" + hex.EncodeToString(nb[:])
	stores, nodes := openNodes(t, url, 2)
	postgres.NameChangeListener(stores[1], listener)
	tn, err := nodes[0].CreateTenant(ctx, "longpoll", "US")
	if err != nil {
		t.Fatal(err)
	}
	p := contactd.Principal{TenantID: tn.ID, Actor: "test", Region: "US", Scopes: contactd.AllScopes}
	page, err := nodes[1].Changes(ctx, p, contactd.ChangeListRequest{})
	if err != nil || len(page.Data) != 0 || page.NextCursor == nil {
		t.Fatalf("the empty feed: %+v, %v", page, err)
	}
	cursor := *page.NextCursor

	// poll long-polls node 1 from cursor while node 0 writes, and returns
	// the change and how long the poll took.
	poll := func(name string) {
		t.Helper()
		type answer struct {
			page *contactd.Page[contactd.Change]
			took time.Duration
			err  error
		}
		done := make(chan answer, 1)
		go func() {
			start := time.Now()
			page, err := nodes[1].Changes(ctx, p, contactd.ChangeListRequest{ListParams: contactd.ListParams{Cursor: cursor}, Wait: 30 * time.Second})
			done <- answer{page, time.Since(start), err}
		}()
		time.Sleep(300 * time.Millisecond) // the poll is waiting
		c, err := nodes[0].CreateContact(ctx, p, &contactd.ContactInput{FirstName: name})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case a := <-done:
			if a.err != nil || len(a.page.Data) != 1 || a.page.Data[0].ContactID != c.ID {
				t.Fatalf("%s: the long poll answered %+v, %v; want the creation of %s", name, a.page, a.err, c.ID)
			}
			if a.took > 10*time.Second {
				t.Errorf("%s: the long poll answered after %s, not when the other node wrote", name, a.took)
			}
			cursor = *a.page.NextCursor
		case <-time.After(25 * time.Second):
			t.Fatalf("%s: the long poll did not answer when the other node wrote", name)
		}
	}
	poll("first")

	// Cut node 1's listening connection: it listens again.
	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var cut int
	if err := admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1`, listener).Scan(&cut); err != nil || cut != 1 {
		t.Fatalf("terminating the listener: %d connections, %v", cut, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, listener).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the listener did not connect again")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // it has issued LISTEN
	poll("second")
}

// openNodes opens n stores on one database, each with its Service, as n
// contactd nodes would be; they close when the test ends.
func openNodes(t *testing.T, url string, n int) ([]*postgres.Store, []*contactd.Service) {
	t.Helper()
	stores, nodes := make([]*postgres.Store, n), make([]*contactd.Service, n)
	for i := range n {
		st, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		stores[i], nodes[i] = st, contactd.NewService(st, nil)
	}
	return stores, nodes
}

// TestFirstLongPollWithChanges: a node's first long poll, with changes
// already after its cursor, answers them at once: it waits for the
// listener to connect (listenWait, 5 s, at most), not for its own
// timeout. The wait once held the lock the listener needs to say it
// listens, so every node's first poll took the full 5 s.
func TestFirstLongPollWithChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, nodes := openNodes(t, storetest.PostgresURL(t), 1)
	tn, err := nodes[0].CreateTenant(ctx, "firstpoll", "US")
	if err != nil {
		t.Fatal(err)
	}
	p := contactd.Principal{TenantID: tn.ID, Actor: "test", Region: "US", Scopes: contactd.AllScopes}
	if _, err := nodes[0].CreateContact(ctx, p, &contactd.ContactInput{FirstName: "Early"}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	page, err := nodes[0].Changes(ctx, p, contactd.ChangeListRequest{Wait: 30 * time.Second})
	if err != nil || len(page.Data) != 1 {
		t.Fatalf("first poll: %+v, %v", page, err)
	}
	if took := time.Since(start); took > 4*time.Second {
		t.Errorf("the first poll took %v: it waited out the listener's timeout", took)
	}
}
