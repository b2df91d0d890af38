package wake

import (
	"sync"
	"testing"
	"time"
)

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

func TestWakeKey(t *testing.T) {
	var h Hub
	a1, stopA1 := h.Wait("a")
	a2, stopA2 := h.Wait("a")
	b, stopB := h.Wait("b")
	defer stopB()
	h.Wake("a")
	if !closed(a1) || !closed(a2) {
		t.Error("a's waiters were not woken")
	}
	if closed(b) {
		t.Error("waking a woke b")
	}
	stopA1()
	stopA2()
	stopA2() // a second call does nothing
	// A wait that starts after a wake-up waits for the next one.
	a3, stopA3 := h.Wait("a")
	defer stopA3()
	if closed(a3) {
		t.Error("a wait begun after the wake-up saw it")
	}
	h.Wake("a")
	if !closed(a3) {
		t.Error("the second wake-up did not reach the new waiter")
	}
	h.Wake("nobody") // no waiters: nothing happens
}

func TestStopForgetsTheKey(t *testing.T) {
	var h Hub
	_, stop1 := h.Wait("a")
	_, stop2 := h.Wait("a")
	if h.Waiting() != 1 {
		t.Fatalf("waiting %d keys, want 1", h.Waiting())
	}
	stop1()
	if h.Waiting() != 1 {
		t.Error("the key was forgotten while it had a waiter")
	}
	stop2()
	if h.Waiting() != 0 {
		t.Errorf("waiting %d keys after every waiter stopped, want 0", h.Waiting())
	}
}

func TestClose(t *testing.T) {
	var h Hub
	a, stop := h.Wait("a")
	defer stop()
	h.Close()
	if !closed(a) {
		t.Error("closing did not wake a waiter")
	}
	b, stop2 := h.Wait("b")
	defer stop2()
	if !closed(b) {
		t.Error("a wait after close did not return at once")
	}
}

func TestConcurrent(t *testing.T) {
	var h Hub
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			for range 100 {
				ch, stop := h.Wait("k")
				select {
				case <-ch:
				case <-time.After(time.Millisecond):
				}
				stop()
			}
		})
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			default:
				h.Wake("k")
			}
		}
	}()
	wg.Wait()
	close(done)
	if h.Waiting() != 0 {
		t.Errorf("waiting %d keys at the end", h.Waiting())
	}
}
