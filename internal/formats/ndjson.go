package formats

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/contactd/contactd"
)

// maxNDJSONLine bounds one line of an NDJSON file: a contact at its
// largest (custom data, metadata, notes and a hundred entries) is far
// smaller.
const maxNDJSONLine = 1 << 20

// NDJSONReader reads contacts from newline-delimited JSON: one contact a
// line, in the form the API reads and writes (an export re-imports as it
// was: read-only fields such as id and version are left aside).
type NDJSONReader struct {
	r    *bufio.Reader
	line int
}

// NewNDJSONReader returns a reader of the contacts in r.
func NewNDJSONReader(r io.Reader) *NDJSONReader {
	return &NDJSONReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// Next implements Reader. Blank lines are passed over.
func (nr *NDJSONReader) Next() (*Record, error) {
	for {
		line, err := nr.readLine()
		if err != nil {
			return nil, err
		}
		nr.line++
		if nr.line == 1 {
			line = bytes.TrimPrefix(line, []byte("\uFEFF"))
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		rec := &Record{N: nr.line, Raw: []string{string(line)}}
		if len(line) > maxNDJSONLine {
			rec.Err = fmt.Errorf("the line is longer than %d MiB", maxNDJSONLine>>20)
			return rec, nil
		}
		rec.Input, rec.Err = contactd.DecodeContactInput(line)
		if rec.Err != nil {
			rec.Input = nil
		}
		return rec, nil
	}
}

// readLine reads a line without its end; a line longer than the limit is
// read to its end and returned cut just past the limit.
func (nr *NDJSONReader) readLine() ([]byte, error) {
	var line []byte
	for {
		part, err := nr.r.ReadSlice('\n')
		if len(line) <= maxNDJSONLine {
			line = append(line, part...)
		}
		switch {
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF && len(line) > 0:
			return bytes.TrimRight(line, "\r\n"), nil
		case err != nil:
			return nil, err
		}
		return bytes.TrimRight(line, "\r\n"), nil
	}
}
