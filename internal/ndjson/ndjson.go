// Package ndjson follows newline-delimited JSON as it streams past: how
// many lines, and whether the stream ended with a whole line.
package ndjson

import "bytes"

// Counter is an io.Writer that counts the lines written through it and
// keeps the first and the last whole line (without their newlines).
type Counter struct {
	Lines int
	Bytes int64
	First []byte
	Last  []byte
	cur   []byte // the line under way
}

// Write counts the lines p completes; it never fails.
func (c *Counter) Write(p []byte) (int, error) {
	n := len(p)
	c.Bytes += int64(n)
	for {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			c.cur = append(c.cur, p...)
			return n, nil
		}
		c.cur = append(c.cur, p[:i]...)
		if c.Lines == 0 {
			c.First = bytes.Clone(c.cur)
		}
		c.Last = append(c.Last[:0], c.cur...)
		c.cur = c.cur[:0]
		c.Lines++
		p = p[i+1:]
	}
}

// Whole reports whether everything written so far ends with a whole line
// (or nothing was written): a stream that was cut ends mid-line.
func (c *Counter) Whole() bool { return len(c.cur) == 0 }
