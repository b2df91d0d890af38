package httpapi

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/formats"
)

// MaxImportBytes is the default limit of an imported file.
const MaxImportBytes = 1 << 30

// importJobs runs the imports this server accepted, in the background,
// until Close.
type importJobs struct {
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	running atomic.Int64 // jobs this node runs now
}

var (
	pathImportID = param{In: "path", Name: "importId", Doc: "The import id (imp_…).", Type: "string", Required: true}
	importOK     = []response{{Status: 200, Doc: "The import job.", Body: contactd.Import{}}}
)

func (s *Server) importRoutes() []route {
	return []route{
		{Method: "POST", Path: "/v1/imports", ID: "createImport", Long: true, Tag: "Imports", Scope: contactd.ScopeAdmin,
			Summary: "Import a file of contacts",
			Doc: "The body is the file, streamed (the limit is the server's --max-import-bytes, 1 GiB by default): CSV (the exports of Google Contacts, Outlook and Thunderbird are recognised by their headers, others by a documented table of column names, and mapping overrides any column), vCard (2.1, 3.0, 4.0) or NDJSON (one contact a line, as GET returns it). " +
				"The job runs in the background: follow it with GET /v1/imports/{id}, read its failed records at /v1/imports/{id}/errors, cancel it with DELETE. Each record is checked as its API request would be; a batch of 1,000 records is written in one transaction with the job's counts, so the counts are exact whenever they are read. " +
				"In upsert mode a record updates the live contact with its externalId, else one of its emails, else one of its phone numbers, with what the record has (a merge patch), and creates one otherwise. An Idempotency-Key is not honoured here: a retried upload is a new job.",
			Params: []param{
				{In: "query", Name: "format", Type: "string", Enum: contactd.ImportFormats, Doc: "The file's format; detected when absent (Content-Type text/csv, text/vcard, application/x-ndjson, else the file's first bytes)."},
				{In: "query", Name: "mode", Type: "string", Enum: contactd.ImportModes, Doc: "create (the default): every record is a new contact; upsert: a record updates the contact it matches."},
				{In: "query", Name: "dryRun", Type: "boolean", Doc: "Check every record as a real run would, write nothing, and report the same counts and errors."},
				{In: "query", Name: "charset", Type: "string", Doc: "CSV: the file's character set (utf-8, utf-16, iso-8859-1, windows-1252, …); detected when absent."},
				{In: "query", Name: "mapping", Type: "string", Doc: "CSV: a JSON object giving columns, by header, their field: a contact field (firstName, company, notes, …), tags, phone or phone:<type>, email or email:<type>, address:<type>.<part> (street, street2, city, state, postalCode, country, poBox), url, properties.<key>, or ignore."},
			},
			Upload: true, Responses: []response{{Status: 202, Doc: "The job, queued.", Body: contactd.Import{}, Headers: []string{"Location"}}},
			serve: s.createImport},
		{Method: "GET", Path: "/v1/imports", ID: "listImports", Tag: "Imports", Scope: contactd.ScopeAdmin,
			Summary: "List the tenant's imports", Doc: "Newest first.",
			Params:    []param{limitParam, cursorParam, fieldsParam},
			Responses: []response{{Status: 200, Doc: "A page of import jobs.", Body: contactd.Page[*contactd.Import]{}}}, serve: s.listImports},
		{Method: "GET", Path: "/v1/imports/{importId}", ID: "getImport", Tag: "Imports", Scope: contactd.ScopeAdmin,
			Summary: "Get an import", Doc: "Its progress while it runs, its outcome when it has ended. A job whose server stopped while it ran is failed, with the counts of what it wrote.",
			Params: []param{pathImportID}, Responses: importOK, Errors: []int{404}, serve: s.getImport},
		{Method: "DELETE", Path: "/v1/imports/{importId}", ID: "cancelImport", Tag: "Imports", Scope: contactd.ScopeAdmin,
			Summary: "Cancel an import", Doc: "The job stops after the batch it is writing; what it wrote stays written. A job that has ended is answered as it is.",
			Params: []param{pathImportID}, Responses: importOK, Errors: []int{404}, serve: s.cancelImport},
		{Method: "GET", Path: "/v1/imports/{importId}/errors", ID: "listImportErrors", Tag: "Imports", Scope: contactd.ScopeAdmin,
			Summary: "The records of an import that failed",
			Doc:     "Each failed record: its place in the file (a CSV row's line, a vCard's number, an NDJSON line), the field at fault, the message and the value; a record with several problems has one entry for each. With format=csv, every failed record of a CSV import as a CSV file: the file's own header and the records' cells, and a last column saying what is wrong, to fix and import again (contactd leaves that column aside).",
			Params: []param{pathImportID, limitParam, cursorParam, fieldsParam,
				{In: "query", Name: "format", Type: "string", Enum: []string{"json", "csv"}, Doc: "json (the default): a page; csv: every failed record at once, as a file."}},
			Responses: []response{{Status: 200, Doc: "A page of errors (or a CSV file).", Body: contactd.Page[contactd.ImportRowError]{}}},
			Errors:    []int{404}, serve: s.listImportErrors},
	}
}

func badParam(name, msg, value string) error {
	return errStatus(http.StatusBadRequest, "invalid", "query."+name+": "+msg,
		contactd.FieldError{Location: "query." + name, Message: msg, Value: value})
}

// createImport spools the upload to a file of its own, reads what it
// must to answer (the format, a CSV header), records the job and runs it
// in the background.
func (s *Server) createImport(c *call) (*reply, error) {
	q := c.r.URL.Query()
	dryRun, err := boolParam(q, "dryRun")
	if err != nil {
		return nil, err
	}
	if f := q.Get("format"); f != "" && !slices.Contains(contactd.ImportFormats, f) {
		return nil, badParam("format", "must be one of csv, vcard, ndjson", f)
	}
	if m := q.Get("mode"); m != "" && !slices.Contains(contactd.ImportModes, m) {
		return nil, badParam("mode", "must be create or upsert", m)
	}
	var mapping map[string]string
	if m := q.Get("mapping"); m != "" {
		if err := json.Unmarshal([]byte(m), &mapping); err != nil {
			return nil, badParam("mapping", "must be a JSON object of column headers and fields", m)
		}
	}
	// An upload may take longer than the server's read timeout.
	_ = http.NewResponseController(c.w).SetReadDeadline(time.Time{})
	f, size, err := s.spool(c)
	if err != nil {
		return nil, err
	}
	keep := false
	defer func() {
		if !keep {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	head := make([]byte, 512)
	n, _ := f.ReadAt(head, 0)
	format := cmp.Or(q.Get("format"), formats.Detect(c.r.Header.Get("Content-Type"), head[:n]))
	if format != "csv" && (q.Get("charset") != "" || mapping != nil) {
		return nil, badParam(cmp.Or(map[bool]string{true: "charset", false: "mapping"}[q.Get("charset") != ""]), "applies to CSV files only", "")
	}
	opened, err := formats.Open(f, format, formats.CSVOptions{Charset: q.Get("charset"), Mapping: mapping})
	var ce *formats.CSVError
	if errors.As(err, &ce) {
		loc := "body"
		if ce.Field != "" {
			loc = "query." + ce.Field
		}
		return nil, errStatus(http.StatusBadRequest, "invalid", loc+": "+ce.Message, contactd.FieldError{Location: loc, Message: ce.Message})
	}
	if err != nil {
		return nil, err
	}
	ctx := c.r.Context()
	im, err := s.svc.CreateImport(ctx, c.p, contactd.ImportParams{Format: format, Mode: q.Get("mode"), DryRun: dryRun,
		Layout: opened.Layout, Columns: opened.Columns, Bytes: size})
	if err != nil {
		return nil, err
	}
	keep = true
	p := c.p
	// The job runs on a copy of its own: the answer below is rendered
	// while it goes.
	run := *im
	run.Warnings, run.MatchedBy = slices.Clone(im.Warnings), maps.Clone(im.MatchedBy)
	s.jobs.wg.Add(1)
	s.jobs.running.Add(1)
	go func() {
		defer s.jobs.wg.Done()
		defer s.jobs.running.Add(-1)
		defer os.Remove(f.Name())
		defer f.Close()
		if _, err := s.svc.RunImport(s.jobs.ctx, p, &run, opened.Source, opened.Warnings, nil); err != nil {
			s.log.Error("import", "import", im.ID, "err", err)
		}
	}()
	return &reply{status: http.StatusAccepted, body: im, location: "/v1/imports/" + im.ID}, nil
}

// spool copies the request body to a temporary file, within the limit.
func (s *Server) spool(c *call) (*os.File, int64, error) {
	f, err := os.CreateTemp(s.cfg.ImportDir, "contactd-import-*")
	if err != nil {
		return nil, 0, err
	}
	n, err := io.Copy(f, http.MaxBytesReader(c.w, c.r.Body, s.cfg.MaxImportBytes))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		err = errStatus(http.StatusRequestEntityTooLarge, "too_large", "the file is larger than the limit of "+itoa(int(mbe.Limit))+" bytes")
	case err != nil:
		err = errStatus(http.StatusBadRequest, "bad_body", "the file could not be read: "+err.Error())
	case n == 0:
		err = errStatus(http.StatusBadRequest, "invalid", "body: the file is empty", contactd.FieldError{Location: "body", Message: "the file is empty"})
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, 0, err
	}
	_, err = f.Seek(0, io.SeekStart)
	return f, n, err
}

func (s *Server) listImports(c *call) (*reply, error) {
	lp, err := listParams(c)
	if err != nil {
		return nil, err
	}
	return pageReply(s.svc.Imports(c.r.Context(), c.p, contactd.ImportListRequest{ListParams: lp}))
}

func (s *Server) getImport(c *call) (*reply, error) {
	im, err := s.svc.GetImport(c.r.Context(), c.p, c.path("importId"))
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: im}, nil
}

func (s *Server) cancelImport(c *call) (*reply, error) {
	im, err := s.svc.CancelImport(c.r.Context(), c.p, c.path("importId"))
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: im}, nil
}

func (s *Server) listImportErrors(c *call) (*reply, error) {
	q := c.r.URL.Query()
	switch f := q.Get("format"); f {
	case "", "json":
	case "csv":
		return s.importErrorsCSV(c)
	default:
		return nil, badParam("format", "must be json or csv", f)
	}
	lp, err := listParams(c)
	if err != nil {
		return nil, err
	}
	return pageReply(s.svc.ImportErrors(c.r.Context(), c.p, c.path("importId"), contactd.ImportListRequest{ListParams: lp}))
}

// importErrorsCSV writes every failed record of a job as CSV: for a CSV
// import the file's header and the records' cells with a last column of
// what is wrong, else the record, location, message and value.
func (s *Server) importErrorsCSV(c *call) (*reply, error) {
	ctx := c.r.Context()
	id := c.path("importId")
	im, err := s.svc.GetImport(ctx, c.p, id)
	if err != nil {
		return nil, err
	}
	first, err := s.svc.ImportErrors(ctx, c.p, id, contactd.ImportListRequest{ListParams: contactd.ListParams{Limit: contactd.MaxLimit, NoCount: true}})
	if err != nil {
		return nil, err
	}
	page := first
	return &reply{status: http.StatusOK, contentType: "text/csv; charset=utf-8", stream: func(w io.Writer) error {
		return formats.WriteImportErrors(w, im, func() ([]contactd.ImportRowError, error) {
			if page == nil {
				return nil, nil
			}
			data := page.Data
			if page.NextCursor == nil {
				page = nil
				return data, nil
			}
			next, err := s.svc.ImportErrors(ctx, c.p, id, contactd.ImportListRequest{ListParams: contactd.ListParams{Limit: contactd.MaxLimit, NoCount: true, Cursor: *page.NextCursor}})
			if err != nil {
				return nil, err
			}
			page = next
			return data, nil
		})
	}}, nil
}
