package ndjson

import (
	"bytes"
	"testing"
)

// FuzzCounter: however a stream is cut into writes, the counter finds its
// lines, its first and last whole line, its size, and whether it ends with
// a newline, as reading the whole stream at once does.
func FuzzCounter(f *testing.F) {
	f.Add([]byte("{\"id\":1}\n{\"id\":2}\n"), uint8(3))
	f.Add([]byte("{\"id\":1}\n{\"id\":"), uint8(1))
	f.Add([]byte(""), uint8(0))
	f.Add([]byte("\n\n\n"), uint8(2))
	f.Fuzz(func(t *testing.T, b []byte, step uint8) {
		var c Counter
		k := int(step%16) + 1
		for i := 0; i < len(b); i += k {
			n, err := c.Write(b[i:min(i+k, len(b))])
			if err != nil || n != min(k, len(b)-i) {
				t.Fatalf("Write: %d, %v", n, err)
			}
		}
		lines := bytes.Split(b, []byte("\n"))
		whole := lines[:len(lines)-1] // the part after the last newline is not a whole line
		if c.Lines != len(whole) || c.Bytes != int64(len(b)) || c.Whole() != (len(lines[len(lines)-1]) == 0) {
			t.Fatalf("%q in writes of %d: %d lines, %d bytes, whole %v", b, k, c.Lines, c.Bytes, c.Whole())
		}
		if len(whole) > 0 && (!bytes.Equal(c.First, whole[0]) || !bytes.Equal(c.Last, whole[len(whole)-1])) {
			t.Fatalf("%q in writes of %d: first %q, last %q", b, k, c.First, c.Last)
		}
	})
}
