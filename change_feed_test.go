package contactd_test

import (
	"context"
	"encoding/base64"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlite"
	"github.com/contactd/contactd/internal/storetest"
)

// clock is a settable time for a Service.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// feed reads the change feed after cursor and returns the page, or the
// error.
func feed(t *testing.T, svc *contactd.Service, p contactd.Principal, cursor string, wait time.Duration) (*contactd.Page[contactd.Change], error) {
	t.Helper()
	return svc.Changes(t.Context(), p, contactd.ChangeListRequest{ListParams: contactd.ListParams{Cursor: cursor}, Wait: wait})
}

func contactIDs(chs []contactd.Change) []string {
	var ids []string
	for _, ch := range chs {
		ids = append(ids, ch.ContactID)
	}
	return ids
}

// TestChangeRetention: changes older than the tenant's retention are
// pruned, oldest first; a cursor from before them answers ECursorExpired,
// one at or after them goes on as before, and the feed from the start
// begins at the oldest change kept. Other tenants keep theirs.
func TestChangeRetention(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		st := b.Open(t)
		svc := contactd.NewService(st, nil)
		clk := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
		contactd.SetClock(svc, clk.now)
		p, _ := benchTenant(t, svc)
		q, _ := benchTenant(t, svc)
		create := func(p contactd.Principal, name string) string {
			t.Helper()
			c, err := svc.CreateContact(ctx, p, &contactd.ContactInput{FirstName: name})
			if err != nil {
				t.Fatal(err)
			}
			return c.ID
		}
		a, bb := create(p, "A"), create(p, "B")
		create(q, "Q")
		start, err := feed(t, svc, p, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		first, err := svc.Changes(ctx, p, contactd.ChangeListRequest{ListParams: contactd.ListParams{Limit: 1}})
		if err != nil {
			t.Fatal(err)
		}
		afterA := *first.NextCursor // after A's creation
		afterB := *start.NextCursor // after B's
		clk.add(10 * 24 * time.Hour)
		c := create(p, "C")

		days := 5
		if _, err := svc.UpdateTenant(ctx, p, &contactd.TenantPatch{ChangeRetentionDays: &days}); err != nil {
			t.Fatal(err)
		}
		clk.add(2 * 24 * time.Hour) // A and B are 12 days old, C 2
		n, err := svc.PruneChanges(ctx)
		if err != nil || n != 2 {
			t.Fatalf("PruneChanges: %d, %v; want the 2 changes older than 5 days", n, err)
		}
		if n, err := svc.PruneChanges(ctx); err != nil || n != 0 {
			t.Errorf("PruneChanges again: %d, %v; want 0", n, err)
		}

		_, err = feed(t, svc, p, afterA, 0)
		if contactd.ErrorCodeOf(err) != contactd.ECursorExpired {
			t.Errorf("a cursor from before the pruned changes: %v, want cursor-expired", err)
		}
		if e, ok := err.(*contactd.Error); !ok || len(e.Fields) != 1 || e.Fields[0].Location != "query.cursor" {
			t.Errorf("the expired cursor's error %#v does not name query.cursor", err)
		}
		page, err := feed(t, svc, p, afterB, 0)
		if err != nil || !equal(contactIDs(page.Data), []string{c}) {
			t.Errorf("the cursor after the last pruned change: %v, %v; want C's creation", contactIDs(page.Data), err)
		}
		page, err = feed(t, svc, p, "", 0)
		if err != nil || !equal(contactIDs(page.Data), []string{c}) {
			t.Errorf("the feed from the start: %v, %v; want C's creation", contactIDs(page.Data), err)
		}
		hist, err := svc.History(ctx, p, bb, contactd.ChangeListRequest{})
		if err != nil || len(hist.Data) != 0 {
			t.Errorf("B's history after pruning: %+v, %v; want none", hist, err)
		}
		_ = a
		// The other tenant's retention (30 days) keeps its change.
		page, err = feed(t, svc, q, "", 0)
		if err != nil || len(page.Data) != 1 {
			t.Errorf("the other tenant's feed: %+v, %v; want its change", page, err)
		}
	})
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestFeedCursorChecks: a cursor that was not made for this feed (forged,
// malformed, another tenant's, a contact's history's) is refused naming
// query.cursor, as is one ahead of the newest change, which a database
// restored from an older backup gives.
func TestFeedCursorChecks(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "contactd.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	svc := contactd.NewService(st, nil)
	p, _ := benchTenant(t, svc)
	q, _ := benchTenant(t, svc)
	c, err := svc.CreateContact(ctx, p, &contactd.ContactInput{FirstName: "A"})
	if err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(dir, "backup.db")
	if _, err := sqlite.Backup(ctx, path, backup); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateContact(ctx, p, &contactd.ContactInput{FirstName: "B"}); err != nil {
		t.Fatal(err)
	}
	head, err := feed(t, svc, p, "", 0)
	if err != nil || len(head.Data) != 2 {
		t.Fatalf("the feed: %+v, %v", head, err)
	}
	hist, err := svc.History(ctx, p, c.ID, contactd.ChangeListRequest{})
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{
		"forged":           base64.RawURLEncoding.EncodeToString([]byte("chg:999999")),
		"malformed":        "%%%",
		"a history's":      *hist.NextCursor,
		"another tenant's": "",
	}
	other, err := feed(t, svc, q, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	bad["another tenant's"] = *other.NextCursor
	for name, cursor := range bad {
		_, err := feed(t, svc, p, cursor, 0)
		e, ok := err.(*contactd.Error)
		if !ok || e.Code != contactd.EInvalid || len(e.Fields) != 1 || e.Fields[0].Location != "query.cursor" {
			t.Errorf("%s cursor: %v, want invalid naming query.cursor", name, err)
		}
	}
	st.Close()

	// The database goes back to the backup, with one change: the cursor
	// after the second is ahead of the feed.
	restored, err := sqlite.Open(ctx, backup)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	svc = contactd.NewService(restored, nil)
	_, err = feed(t, svc, p, *head.NextCursor, 0)
	e, ok := err.(*contactd.Error)
	if !ok || e.Code != contactd.EInvalid || len(e.Fields) != 1 || e.Fields[0].Location != "query.cursor" {
		t.Errorf("a cursor ahead of the feed: %v, want invalid naming query.cursor", err)
	}
	// A cursor within it still works.
	first, err := svc.Changes(ctx, p, contactd.ChangeListRequest{ListParams: contactd.ListParams{Limit: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if page, err := feed(t, svc, p, *first.NextCursor, 0); err != nil || len(page.Data) != 0 {
		t.Errorf("the cursor at the restored head: %+v, %v; want an empty page", page, err)
	}
}

// TestLongPoll: with wait, an empty feed answers as soon as a change is
// written, or with an empty page and the same position when the wait is
// over, or at once when the service stops; wait is bounded.
func TestLongPoll(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		st := b.Open(t)
		svc := contactd.NewService(st, nil)
		p, _ := benchTenant(t, svc)
		q, _ := benchTenant(t, svc)
		start, err := feed(t, svc, p, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		cursor := *start.NextCursor

		// Answered by a write.
		type answer struct {
			page *contactd.Page[contactd.Change]
			took time.Duration
			err  error
		}
		poll := func(cursor string, wait time.Duration) chan answer {
			done := make(chan answer, 1)
			go func() {
				t0 := time.Now()
				page, err := svc.Changes(context.Background(), p, contactd.ChangeListRequest{ListParams: contactd.ListParams{Cursor: cursor}, Wait: wait})
				done <- answer{page, time.Since(t0), err}
			}()
			return done
		}
		done := poll(cursor, 30*time.Second)
		time.Sleep(200 * time.Millisecond)
		// Another tenant's write does not answer it.
		if _, err := svc.CreateContact(ctx, q, &contactd.ContactInput{FirstName: "Q"}); err != nil {
			t.Fatal(err)
		}
		select {
		case a := <-done:
			t.Fatalf("another tenant's write answered the poll: %+v, %v", a.page, a.err)
		case <-time.After(300 * time.Millisecond):
		}
		c, err := svc.CreateContact(ctx, p, &contactd.ContactInput{FirstName: "A"})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case a := <-done:
			if a.err != nil || !equal(contactIDs(a.page.Data), []string{c.ID}) {
				t.Fatalf("the poll answered %+v, %v; want A's creation", a.page, a.err)
			}
			if a.took > 10*time.Second {
				t.Errorf("the poll answered after %s", a.took)
			}
			cursor = *a.page.NextCursor
		case <-time.After(20 * time.Second):
			t.Fatal("the poll did not answer the write")
		}

		// A wait that ends empty keeps the position.
		a := <-poll(cursor, 300*time.Millisecond)
		if a.err != nil || len(a.page.Data) != 0 || a.page.NextCursor == nil || a.took < 250*time.Millisecond {
			t.Fatalf("a wait with no change: %+v after %s, %v; want an empty page with a cursor after the wait", a.page, a.took, a.err)
		}
		c2, err := svc.CreateContact(ctx, p, &contactd.ContactInput{FirstName: "B"})
		if err != nil {
			t.Fatal(err)
		}
		page, err := feed(t, svc, p, *a.page.NextCursor, 0)
		if err != nil || !equal(contactIDs(page.Data), []string{c2.ID}) {
			t.Errorf("after an empty wait the cursor gives %v, %v; want B's creation", contactIDs(page.Data), err)
		}
		// Changes already there answer at once, whatever the wait.
		a = <-poll(cursor, 30*time.Second)
		if a.err != nil || len(a.page.Data) != 1 || a.took > 5*time.Second {
			t.Errorf("a poll with a change waiting: %+v after %s, %v", a.page, a.took, a.err)
		}

		for _, w := range []time.Duration{-time.Second, contactd.MaxChangeWait + time.Second} {
			_, err := feed(t, svc, p, "", w)
			e, ok := err.(*contactd.Error)
			if !ok || e.Code != contactd.EInvalid || len(e.Fields) != 1 || e.Fields[0].Location != "query.wait" {
				t.Errorf("wait %s: %v, want invalid naming query.wait", w, err)
			}
		}

		// Stopping the service answers the polls.
		page, err = feed(t, svc, p, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		for page.NextCursor != nil && len(page.Data) > 0 {
			if page, err = feed(t, svc, p, *page.NextCursor, 0); err != nil {
				t.Fatal(err)
			}
		}
		done = poll(*page.NextCursor, 50*time.Second)
		time.Sleep(200 * time.Millisecond)
		svc.Stop()
		select {
		case a := <-done:
			if a.err != nil || len(a.page.Data) != 0 {
				t.Errorf("the poll answered the stop with %+v, %v", a.page, a.err)
			}
		case <-time.After(10 * time.Second):
			t.Error("stopping the service did not answer the poll")
		}
	})
}

// TestRunChangeRetention: the background job prunes on its own, again at
// each interval, and ends when the service stops.
func TestRunChangeRetention(t *testing.T) {
	t.Parallel()
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := t.Context()
		svc := contactd.NewService(b.Open(t), nil)
		clk := &clock{t: time.Now().UTC().Truncate(time.Millisecond)}
		contactd.SetClock(svc, clk.now)
		p, _ := benchTenant(t, svc)
		if _, err := svc.CreateContact(ctx, p, &contactd.ContactInput{FirstName: "Old"}); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() {
			svc.RunChangeRetention(context.Background(), 20*time.Millisecond)
			close(done)
		}()
		count := func() int {
			page, err := feed(t, svc, p, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			return len(page.Data)
		}
		time.Sleep(100 * time.Millisecond)
		if n := count(); n != 1 {
			t.Fatalf("a fresh change was pruned: %d left", n)
		}
		clk.add(31 * 24 * time.Hour) // past the default 30 days
		deadline := time.Now().Add(10 * time.Second)
		for count() != 0 {
			if time.Now().After(deadline) {
				t.Fatal("the job did not prune the change 31 days later")
			}
			time.Sleep(20 * time.Millisecond)
		}
		svc.Stop()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the job did not end when the service stopped")
		}
	})
}
