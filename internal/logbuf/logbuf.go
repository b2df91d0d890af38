// Package logbuf buffers a log stream so that a busy server does not pay a
// write system call per log line. Lines reach the underlying writer when
// the buffer fills, at a fixed interval, and on Flush or Close, so a line
// is never held back longer than the interval.
package logbuf

import (
	"io"
	"sync"
	"time"
)

// Size is the buffer size: a write that would overflow it flushes first.
const Size = 64 << 10

// Writer is a buffered, concurrency-safe io.Writer.
type Writer struct {
	mu   sync.Mutex
	w    io.Writer
	buf  []byte
	err  error
	stop chan struct{}
	done chan struct{}
}

// New returns a Writer to w that flushes at least every interval.
func New(w io.Writer, interval time.Duration) *Writer {
	b := &Writer{w: w, buf: make([]byte, 0, Size), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				b.Flush()
			case <-b.stop:
				return
			}
		}
	}()
	return b
}

// Write buffers p; it reports the first error of an earlier flush.
func (b *Writer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return 0, b.err
	}
	if len(b.buf)+len(p) > cap(b.buf) {
		b.flushLocked()
		if len(p) > cap(b.buf) {
			_, b.err = b.w.Write(p)
			return len(p), b.err
		}
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// Flush writes out what is buffered.
func (b *Writer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushLocked()
	return b.err
}

func (b *Writer) flushLocked() {
	if len(b.buf) == 0 || b.err != nil {
		return
	}
	_, b.err = b.w.Write(b.buf)
	b.buf = b.buf[:0]
}

// Close stops the interval flushes and flushes; later writes go straight
// to the underlying writer.
func (b *Writer) Close() error {
	select {
	case <-b.stop:
	default:
		close(b.stop)
		<-b.done
	}
	err := b.Flush()
	b.mu.Lock()
	b.buf = b.buf[:0:0]
	b.mu.Unlock()
	return err
}
