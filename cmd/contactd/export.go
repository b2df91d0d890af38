package main

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/client"
	"github.com/contactd/contactd/internal/formats"
	"github.com/contactd/contactd/internal/ndjson"
)

// exportCmd writes a tenant's contacts as NDJSON, CSV (Google's layout) or
// vCard, read from the database (--db, --tenant) or from a running server
// (--url, --token).
func exportCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs, db := newFlags("export", stderr, getenv)
	tenant := fs.String("tenant", "", "tenant name or id, to read the database (--db) directly")
	srvURL := fs.String("url", getenv("CONTACTD_URL"), "URL of a running server to export from instead; env CONTACTD_URL")
	token := fs.String("token", getenv("CONTACTD_TOKEN"), "a token with contacts:read, with --url; env CONTACTD_TOKEN")
	output := fs.StringP("output", "o", "-", "file to write (- for standard output)")
	format := fs.String("format", "ndjson", "file format: ndjson, csv (Google Contacts' layout) or vcard")
	version := fs.String("vcard-version", "4.0", "vCard version, with --format vcard: 4.0 or 3.0")
	filter := fs.String("filter", "", "a JSON filter, as the API's filter parameter")
	q := fs.String("q", "", "a full-text query")
	sort := fs.String("sort", "", "sort fields, as the API's sort parameter (default id)")
	fields := fs.String("fields", "", "comma-separated fields to write (default all)")
	deleted := fs.Bool("include-deleted", false, "include soft-deleted contacts")
	if err := parse(fs, args); err != nil {
		return err
	}
	const use = "usage: contactd export [--output FILE] [--format ndjson|csv|vcard] [--filter JSON] [--q Q] [--sort S] [--fields F] [--include-deleted] (--tenant T [--db PATH] | --url URL --token TOKEN)"
	// --tenant reads the database even when CONTACTD_URL is set; the two
	// flags together are a mistake.
	if *tenant != "" && !fs.Changed("url") {
		*srvURL = ""
	}
	if fs.NArg() != 0 || (*tenant == "") == (*srvURL == "") {
		return usageError{use + "\n(give --tenant to read a database, or --url to ask a server)"}
	}
	switch {
	case *format != "ndjson" && *format != "csv" && *format != "vcard":
		return usageError{fmt.Sprintf("--format %q: give ndjson, csv or vcard", *format)}
	case *version != "4.0" && *version != "3.0":
		return usageError{fmt.Sprintf("--vcard-version %q: give 4.0 or 3.0", *version)}
	case *fields != "" && *format != "ndjson":
		return usageError{"--fields applies to --format ndjson only"}
	}
	f := exportFormat{name: *format, version: *version}
	if *srvURL != "" && *token == "" {
		return usageError{"--url needs --token (or CONTACTD_TOKEN)"}
	}
	r := contactd.ContactListRequest{Q: *q, IncludeDeleted: *deleted,
		ListParams: contactd.ListParams{Filter: []byte(*filter), Sort: *sort, In: "query"}}
	if *filter == "" {
		r.Filter = nil
	}
	if *fields != "" {
		r.Fields = strings.Split(*fields, ",")
	}
	out, done, err := createOutput(*output, stdout)
	if err != nil {
		return err
	}
	start := time.Now()
	var n int
	if *srvURL != "" {
		n, err = exportRemote(ctx, *srvURL, *token, r, f, out)
	} else {
		n, err = exportLocal(ctx, *db, *tenant, r, f, out)
	}
	if err = done(err); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "exported %d contacts to %s in %s\n", n, *output, time.Since(start).Round(time.Millisecond))
	return nil
}

// createOutput opens where an export goes. A file is written under a
// temporary name beside it and renamed when the export is complete, so
// that a failed export never leaves a file that looks whole; done closes
// it, and removes it when err is not nil.
func createOutput(path string, stdout io.Writer) (w io.Writer, done func(error) error, err error) {
	if path == "-" {
		bw := bufio.NewWriterSize(stdout, 1<<16)
		return bw, func(err error) error {
			if ferr := bw.Flush(); err == nil {
				err = ferr
			}
			return err
		}, nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return nil, nil, err
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	return bw, func(err error) error {
		if err == nil {
			err = bw.Flush()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(f.Name(), path)
		}
		if err != nil {
			os.Remove(f.Name())
		}
		return err
	}, nil
}

// exportFormat is the file an export writes.
type exportFormat struct{ name, version string }

func exportLocal(ctx context.Context, db, tenant string, r contactd.ContactListRequest, f exportFormat, w io.Writer) (int, error) {
	svc, p, done, err := useTenant(ctx, db, tenant, "contactd export", []contactd.Scope{contactd.ScopeRead})
	if err != nil {
		return 0, err
	}
	defer done()
	exp, err := svc.ExportContacts(ctx, p, r)
	if err != nil {
		return 0, err
	}
	switch f.name {
	case "csv":
		cw, err := formats.NewCSVWriter(w)
		if err != nil {
			return 0, err
		}
		n, err := exp.Each(ctx, cw.Write)
		if err == nil {
			err = cw.Flush()
		}
		return n, err
	case "vcard":
		return exp.Each(ctx, func(c *contactd.Contact) error {
			photo, err := exp.Photo(ctx, c)
			if err != nil {
				return err
			}
			return formats.WriteVCard(w, c, f.version, photo)
		})
	}
	return exp.WriteNDJSON(ctx, w)
}

// exportRemote streams GET /v1/contacts/export into w, counting the
// contacts as they pass and checking that the file is whole: the server
// cuts the connection when it fails after the first byte.
func exportRemote(ctx context.Context, base, token string, r contactd.ContactListRequest, f exportFormat, w io.Writer) (int, error) {
	o := client.ExportOptions{Format: f.name, ListOptions: client.ListOptions{Q: r.Q, Sort: r.Sort, Fields: r.Fields, IncludeDeleted: r.IncludeDeleted}}
	if f.name == "vcard" {
		o.VCardVersion = f.version
	}
	if len(r.Filter) > 0 {
		o.Filter = string(r.Filter)
	}
	body, err := client.New(base, token).Contacts.Export(ctx, o)
	if err != nil {
		return 0, apiError(err)
	}
	defer body.Close()
	switch f.name {
	case "csv":
		// The rows, read as they are written (a quoted cell may hold
		// newlines), less the header.
		cr := csv.NewReader(io.TeeReader(body, w))
		cr.FieldsPerRecord, cr.ReuseRecord = -1, true
		n := -1
		for {
			if _, err := cr.Read(); err == io.EOF {
				return max(n, 0), nil
			} else if err != nil {
				return max(n, 0), fmt.Errorf("the export was cut after %d contacts: %w", max(n, 0), err)
			}
			n++
		}
	case "vcard":
		sc := bufio.NewScanner(io.TeeReader(body, w))
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		n := 0
		for sc.Scan() {
			if sc.Text() == "END:VCARD" {
				n++
			}
		}
		if err := sc.Err(); err != nil {
			return n, fmt.Errorf("the export was cut after %d contacts: %w", n, err)
		}
		return n, nil
	}
	var c ndjson.Counter
	if _, err := io.Copy(io.MultiWriter(w, &c), body); err != nil {
		return c.Lines, fmt.Errorf("the export was cut after %d contacts: %w", c.Lines, err)
	}
	if !c.Whole() {
		return c.Lines, fmt.Errorf("the export was cut after %d contacts", c.Lines)
	}
	return c.Lines, nil
}
