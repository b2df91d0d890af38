package formats

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"io"
	"mime"
	"slices"
	"strconv"
	"strings"

	"github.com/contactd/contactd"
)

// Detect names the format of a file to import: the one its media type
// names (text/csv, text/vcard, application/x-ndjson), else the one its
// first bytes look like (a vCard begins with BEGIN:VCARD, an NDJSON file
// with "{"), else csv.
func Detect(contentType string, head []byte) string {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "text/csv", "application/csv", "text/tab-separated-values":
		return "csv"
	case "text/vcard", "text/x-vcard", "text/directory":
		return "vcard"
	case "application/x-ndjson", "application/jsonl", "application/x-jsonlines":
		return "ndjson"
	}
	head = bytes.TrimPrefix(bytes.TrimLeft(head, " \t\r\n"), []byte("\uFEFF"))
	switch {
	case len(head) >= 11 && strings.EqualFold(string(head[:11]), "BEGIN:VCARD"):
		return "vcard"
	case len(head) > 0 && head[0] == '{':
		return "ndjson"
	}
	return "csv"
}

// Opened is a file opened for an import: its records, and what its
// header said (CSV only).
type Opened struct {
	Source   contactd.ImportSource
	Columns  []string
	Layout   string
	Warnings []string
}

// Open opens the reader of a file's format; a CSV file's header is read
// here, so that a file or a mapping that cannot be read is an error now
// (a *CSVError), before any job starts.
func Open(r io.Reader, format string, opt CSVOptions) (*Opened, error) {
	switch format {
	case "vcard":
		return &Opened{Source: NewVCardReader(r)}, nil
	case "ndjson":
		return &Opened{Source: NewNDJSONReader(r)}, nil
	}
	cr, err := NewCSVReader(bufio.NewReaderSize(r, 64<<10), opt)
	if err != nil {
		return nil, err
	}
	return &Opened{Source: cr, Columns: cr.Headers(), Layout: cr.Layout(), Warnings: cr.Warnings()}, nil
}

// WriteImportErrors writes the failed records of a job as CSV, the pages
// of its errors as next hands them out (nil at the end): for a CSV import
// the file's own header and each record's cells with a last column
// (ErrorColumn) of what is wrong, to fix and import again; else the
// record, location, message and value.
func WriteImportErrors(w io.Writer, im *contactd.Import, next func() ([]contactd.ImportRowError, error)) error {
	cw := csv.NewWriter(w)
	asFile := im.Format == "csv" && len(im.Columns) > 0
	if asFile {
		_ = cw.Write(append(slices.Clone(im.Columns), ErrorColumn))
	} else {
		_ = cw.Write([]string{"record", "location", "message", "value"})
	}
	for {
		page, err := next()
		if err != nil {
			return err
		}
		if page == nil {
			break
		}
		// A record's problems come together: one row a record.
		for i := 0; i < len(page); i++ {
			e := page[i]
			msgs := []string{describe(e)}
			for i+1 < len(page) && page[i+1].Record == e.Record {
				i++
				msgs = append(msgs, describe(page[i]))
			}
			if asFile {
				row := make([]string, len(im.Columns))
				copy(row, e.Raw)
				_ = cw.Write(append(row, strings.Join(msgs, "; ")))
			} else {
				_ = cw.Write([]string{strconv.Itoa(e.Record), e.Location, strings.Join(msgs, "; "), e.Value})
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

// describe words one problem of a record.
func describe(e contactd.ImportRowError) string {
	if e.Location == "" {
		return e.Message
	}
	return e.Location + ": " + e.Message
}
