// Package wake lets goroutines wait for something to happen under a key
// (a tenant's change log growing, say) and be woken when it does.
package wake

import "sync"

// Hub wakes the waiters of a key. The zero Hub is ready to use.
type Hub struct {
	mu      sync.Mutex
	waiting map[string]*signal
	closed  bool
}

// signal is one round of waiting on a key: ch closes when it ends.
type signal struct {
	ch      chan struct{}
	waiters int
}

// Wait returns a channel that is closed the next time key is woken (or the
// hub closes), and a function to call when the caller stops waiting.
// Waiting starts when Wait returns: to miss nothing, call Wait before
// looking at what the wake-up announces, and look again after it.
func (h *Hub) Wait(key string) (<-chan struct{}, func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		ch := make(chan struct{})
		close(ch)
		return ch, func() {}
	}
	if h.waiting == nil {
		h.waiting = map[string]*signal{}
	}
	sig := h.waiting[key]
	if sig == nil {
		sig = &signal{ch: make(chan struct{})}
		h.waiting[key] = sig
	}
	sig.waiters++
	var once sync.Once
	return sig.ch, func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			sig.waiters--
			if sig.waiters == 0 && h.waiting[key] == sig {
				delete(h.waiting, key)
			}
		})
	}
}

// Wake wakes every goroutine waiting on key.
func (h *Hub) Wake(key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if sig := h.waiting[key]; sig != nil {
		close(sig.ch)
		delete(h.waiting, key)
	}
}

// WakeAll wakes every waiter of every key.
func (h *Hub) WakeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for key, sig := range h.waiting {
		close(sig.ch)
		delete(h.waiting, key)
	}
}

// Close wakes every waiter, and every later Wait returns at once.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.WakeAll()
}

// Waiting returns how many keys have waiters.
func (h *Hub) Waiting() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.waiting)
}
