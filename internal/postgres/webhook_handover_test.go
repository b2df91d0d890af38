package postgres_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/storetest"
	"github.com/contactd/contactd/internal/webhook"
)

// TestWebhookHandover: two nodes on one database. A node that took a
// subscription and died (it never saves, never gives the lease up) holds
// it until the lease expires; then the other node delivers, in order, and
// each message goes to the receiver from one node at a time.
func TestWebhookHandover(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := storetest.PostgresURL(t)
	stores, nodes := openNodes(t, url, 2)
	for _, n := range nodes {
		n.UseWebhooks(webhook.NewTransport(true))
	}
	var mu sync.Mutex
	var got []string
	rv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p struct {
			Data struct {
				ContactID string `json:"contactId"`
			} `json:"data"`
		}
		b, _ := io.ReadAll(r.Body)
		json.Unmarshal(b, &p)
		mu.Lock()
		got = append(got, p.Data.ContactID)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rv.Close()
	tn, err := nodes[0].CreateTenant(ctx, "handover", "US")
	if err != nil {
		t.Fatal(err)
	}
	p := contactd.Principal{TenantID: tn.ID, Actor: "test", Region: "US", Scopes: contactd.AllScopes}
	u := rv.URL
	w, err := nodes[0].CreateWebhook(ctx, p, &contactd.WebhookInput{URL: &u, Events: []string{"*"}, EventsSet: true})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, name := range []string{"A", "B", "C"} {
		c, err := nodes[0].CreateContact(ctx, p, &contactd.ContactInput{FirstName: name})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, c.ID)
	}
	// Node 0 takes the subscription for 2 s and dies.
	claimed, err := stores[0].ClaimWebhooks(ctx, "node-0", time.Now(), 2*time.Second, 10)
	if err != nil || len(claimed) != 1 || claimed[0].ID != w.Webhook.ID {
		t.Fatalf("node 0's claim: %v, %v", claimed, err)
	}
	start := time.Now()
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		nodes[1].RunWebhooks(rctx, contactd.WebhookOptions{Node: "node-1"})
		close(done)
	}()
	defer func() { cancel(); <-done }()
	for deadline := time.Now().Add(20 * time.Second); ; {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= len(want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node 1 delivered %d of %d messages", n, len(want))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if took := time.Since(start); took < 1500*time.Millisecond {
		t.Errorf("node 1 delivered after %s, before node 0's lease expired", took)
	}
	mu.Lock()
	defer mu.Unlock()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("delivered %v, want %v in order", got, want)
		}
	}
}
