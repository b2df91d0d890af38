package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/client"
	"github.com/contactd/contactd/internal/formats"
)

// importCmd imports a file of contacts into a tenant, straight into the
// database (--db, --tenant) or through a running server (--url, --token),
// showing its progress; records that fail are written to FILE.errors.csv
// and make the command fail.
func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs, db := newFlags("import", stderr, getenv)
	tenant := fs.String("tenant", "", "tenant name or id, to write the database (--db) directly")
	srvURL := fs.String("url", getenv("CONTACTD_URL"), "URL of a running server to import through instead; env CONTACTD_URL")
	token := fs.String("token", getenv("CONTACTD_TOKEN"), "a token with contacts:admin, with --url; env CONTACTD_TOKEN")
	format := fs.String("format", "", "csv, vcard or ndjson (default: told by the file)")
	mode := fs.String("mode", "create", "create, or upsert (update the contact a record matches by external id, email or number)")
	dryRun := fs.Bool("dry-run", false, "check every record and report, writing nothing")
	mapping := fs.String("mapping", "", `CSV: a JSON object of column headers and fields, e.g. {"Cell":"phone:mobile"}`)
	charset := fs.String("charset", "", "CSV: the file's character set (default: detected)")
	if err := parse(fs, args); err != nil {
		return err
	}
	const use = "usage: contactd import FILE [--format csv|vcard|ndjson] [--mode create|upsert] [--dry-run] [--mapping JSON] [--charset C] (--tenant T [--db PATH] | --url URL --token TOKEN)"
	if *tenant != "" && !fs.Changed("url") {
		*srvURL = ""
	}
	if fs.NArg() != 1 || (*tenant == "") == (*srvURL == "") {
		return usageError{use}
	}
	if *srvURL != "" && *token == "" {
		return usageError{"--url needs --token (or CONTACTD_TOKEN)"}
	}
	var m map[string]string
	if *mapping != "" {
		if err := json.Unmarshal([]byte(*mapping), &m); err != nil {
			return usageError{"--mapping must be a JSON object of column headers and fields: " + err.Error()}
		}
	}
	path := fs.Arg(0)
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if *format == "" {
		head := make([]byte, 512)
		n, _ := f.ReadAt(head, 0)
		*format = formats.Detect("", head[:n])
	}
	q := url.Values{"format": {*format}, "mode": {*mode}}
	if *dryRun {
		q.Set("dryRun", "true")
	}
	if *mapping != "" {
		q.Set("mapping", *mapping)
	}
	if *charset != "" {
		q.Set("charset", *charset)
	}
	pr := newProgress(stderr, st.Size())
	var im *contactd.Import
	if *srvURL != "" {
		im, err = importRemote(ctx, *srvURL, *token, q, f, pr)
	} else {
		im, err = importLocal(ctx, *db, *tenant, q, m, f, pr)
	}
	pr.done()
	if err != nil {
		return err
	}
	fmt.Fprintln(stderr, summary(im))
	if im.Status != contactd.ImportSucceeded {
		return fmt.Errorf("the import %s %s: %s", im.ID, im.Status, im.Error)
	}
	if im.Failed > 0 {
		return fmt.Errorf("%d records failed; they are in %s (fix them there and import that file again)", im.Failed, path+".errors.csv")
	}
	return nil
}

// summary words what a job did.
func summary(im *contactd.Import) string {
	what := "imported"
	if im.DryRun {
		what = "checked (dry run, nothing written)"
	}
	s := fmt.Sprintf("%s %d records: %d created, %d updated, %d unchanged, %d skipped, %d failed", what,
		im.Processed, im.Created, im.Updated, im.Unchanged, im.Skipped, im.Failed)
	if im.Rate > 0 {
		s += fmt.Sprintf(" (%.0f records/s)", im.Rate)
	}
	for _, w := range im.Warnings {
		s += fmt.Sprintf("\nwarning: %s (%d records)", w.Message, w.Records)
	}
	return s
}

func importLocal(ctx context.Context, db, tenant string, q url.Values, mapping map[string]string, f *os.File, pr *progress) (*contactd.Import, error) {
	svc, p, closeDB, err := useTenant(ctx, db, tenant, "contactd import", contactd.AllScopes)
	if err != nil {
		return nil, err
	}
	defer closeDB()
	opened, err := formats.Open(pr.reader(f), q.Get("format"), formats.CSVOptions{Charset: q.Get("charset"), Mapping: mapping})
	if err != nil {
		return nil, err
	}
	st, _ := f.Stat()
	im, err := svc.CreateImport(ctx, p, contactd.ImportParams{Format: q.Get("format"), Mode: q.Get("mode"), DryRun: q.Get("dryRun") == "true",
		Layout: opened.Layout, Columns: opened.Columns, Bytes: st.Size()})
	if err != nil {
		return nil, err
	}
	im, err = svc.RunImport(ctx, p, im, opened.Source, opened.Warnings, pr.update)
	if err != nil || im.Failed == 0 {
		return im, err
	}
	var cursor string
	done := false
	return im, writeErrorsFile(f.Name()+".errors.csv", im, func() ([]contactd.ImportRowError, error) {
		if done {
			return nil, nil
		}
		page, err := svc.ImportErrors(ctx, p, im.ID, contactd.ImportListRequest{ListParams: contactd.ListParams{Limit: contactd.MaxLimit, NoCount: true, Cursor: cursor}})
		if err != nil {
			return nil, err
		}
		if page.NextCursor == nil {
			done = true
		} else {
			cursor = *page.NextCursor
		}
		return page.Data, nil
	})
}

// writeErrorsFile writes a job's failed records as CSV to path.
func writeErrorsFile(path string, im *contactd.Import, next func() ([]contactd.ImportRowError, error)) error {
	out, done, err := createOutput(path, nil)
	if err != nil {
		return err
	}
	return done(formats.WriteImportErrors(out, im, next))
}

// importRemote uploads the file and follows the job to its end.
func importRemote(ctx context.Context, base, token string, q url.Values, f *os.File, pr *progress) (*contactd.Import, error) {
	cl := client.New(base, token)
	o := client.ImportOptions{Format: q.Get("format"), Mode: q.Get("mode"), DryRun: q.Get("dryRun") == "true", Charset: q.Get("charset")}
	if m := q.Get("mapping"); m != "" {
		if err := json.Unmarshal([]byte(m), &o.Mapping); err != nil {
			return nil, err
		}
	}
	job, err := cl.Imports.Upload(ctx, pr.reader(f), o)
	if err != nil {
		return nil, apiError(err)
	}
	im, err := asImport(job)
	for err == nil && !im.Done() {
		if err := sleepCtx(ctx, 300*time.Millisecond); err != nil {
			return nil, fmt.Errorf("stopped following import %s, which goes on (DELETE /v1/imports/%s cancels it): %w", im.ID, im.ID, err)
		}
		if job, err = cl.Imports.Get(ctx, im.ID); err != nil {
			return nil, apiError(err)
		}
		if im, err = asImport(job); err == nil {
			pr.update(im)
		}
	}
	if err != nil || im.Failed == 0 {
		return im, err
	}
	rows, err := cl.Imports.FailedRows(ctx, im.ID)
	if err != nil {
		return nil, apiError(err)
	}
	defer rows.Close()
	out, done, err := createOutput(f.Name()+".errors.csv", nil)
	if err != nil {
		return nil, err
	}
	_, err = io.Copy(out, rows)
	return im, done(err)
}

// asImport reads a job the client answered as the domain's.
func asImport(job *client.Import) (*contactd.Import, error) {
	b, err := json.Marshal(job)
	if err != nil {
		return nil, err
	}
	var im contactd.Import
	return &im, json.Unmarshal(b, &im)
}

// sleepCtx waits d, or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

// progress shows an import's progress: on a terminal a bar redrawn in
// place (the share of the file read, counts, rate, time left), elsewhere
// a line every few seconds.
type progress struct {
	w     io.Writer
	tty   bool
	size  int64
	read  atomic.Int64
	start time.Time
	last  time.Time
	shown bool
}

func newProgress(w io.Writer, size int64) *progress {
	p := &progress{w: w, size: size, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

// reader counts the bytes read from r, for the share of the file done.
func (p *progress) reader(r io.Reader) io.Reader { return &countingReader{r: r, n: &p.read} }

type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
	return n, err
}

func (p *progress) update(im *contactd.Import) {
	now := time.Now()
	every := 2 * time.Second
	if p.tty {
		every = 100 * time.Millisecond
	}
	if now.Sub(p.last) < every && !im.Done() {
		return
	}
	p.last = now
	elapsed := now.Sub(p.start).Seconds()
	rate := 0.0
	if elapsed > 0 {
		rate = float64(im.Processed) / elapsed
	}
	counts := fmt.Sprintf("%d records, %d created, %d updated, %d failed, %.0f/s", im.Processed, im.Created, im.Updated, im.Failed, rate)
	if !p.tty {
		fmt.Fprintln(p.w, "import:", counts)
		return
	}
	frac := 0.0
	if p.size > 0 {
		frac = min(1, float64(p.read.Load())/float64(p.size))
	}
	const width = 30
	bar := strings.Repeat("=", int(frac*width)) + strings.Repeat(" ", width-int(frac*width))
	eta := ""
	if frac > 0 && frac < 1 {
		eta = fmt.Sprintf(", about %s left", (time.Duration(elapsed*(1-frac)/frac) * time.Second).Round(time.Second))
	}
	fmt.Fprintf(p.w, "\r[%s] %3.0f%% %s%s\033[K", bar, frac*100, counts, eta)
	p.shown = true
}

// done ends the bar's line.
func (p *progress) done() {
	if p.shown {
		fmt.Fprintln(p.w)
	}
}
