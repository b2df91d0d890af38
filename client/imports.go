package client

import (
	"context"
	"io"
	"iter"
	"net/http"
	"net/url"
	"time"
)

// ImportsService is /v1/imports: files of contacts brought in by a job.
type ImportsService struct{ c *Client }

// ImportOptions describe a file to import.
type ImportOptions struct {
	// Format is csv, vcard or ndjson; detected when "".
	Format string
	// Mode is create (the default) or upsert.
	Mode   string
	DryRun bool
	// Charset of a CSV file (utf-8, utf-16, windows-1252…); detected when "".
	Charset string
	// Mapping maps CSV column headers to contact fields, over detection.
	Mapping map[string]string
	// ContentType of the body (application/octet-stream when "").
	ContentType string
}

// Upload starts an import of the file r (POST /v1/imports) and answers the
// queued job; follow it with Get or Wait. r is streamed; it is sent again
// on a retry only if it is an io.Seeker.
func (s *ImportsService) Upload(ctx context.Context, r io.Reader, o ImportOptions) (*Import, error) {
	q := url.Values{}
	for k, v := range map[string]string{"format": o.Format, "mode": o.Mode, "charset": o.Charset} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if o.DryRun {
		q.Set("dryRun", "true")
	}
	if len(o.Mapping) > 0 {
		m, err := filterText(o.Mapping)
		if err != nil {
			return nil, err
		}
		q.Set("mapping", m)
	}
	ct := o.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	req := &request{method: "POST", path: "/v1/imports", query: q, header: http.Header{}, upload: r, contentType: ct}
	res, err := s.c.send(ctx, req)
	if err != nil {
		return nil, err
	}
	var im Import
	if err := unmarshal(res.body, &im); err != nil {
		return nil, err
	}
	return &im, nil
}

// Get reads a job.
func (s *ImportsService) Get(ctx context.Context, id string) (*Import, error) {
	return doJSON[Import](ctx, s.c, "GET", "/v1/imports/"+seg(id), nil, nil, nil)
}

// Wait polls a job every interval (1 s when 0) until it ends, and answers
// it as it ended.
func (s *ImportsService) Wait(ctx context.Context, id string, every time.Duration) (*Import, error) {
	if every <= 0 {
		every = time.Second
	}
	for {
		im, err := s.Get(ctx, id)
		if err != nil || im.Done() {
			return im, err
		}
		if err := sleep(ctx, every); err != nil {
			return nil, err
		}
	}
}

// Cancel stops a job; what it wrote stays.
func (s *ImportsService) Cancel(ctx context.Context, id string) (*Import, error) {
	return doJSON[Import](ctx, s.c, "DELETE", "/v1/imports/"+seg(id), nil, nil, nil)
}

// List reads a page of the tenant's jobs, newest first.
func (s *ImportsService) List(ctx context.Context, opts ListOptions) (*Page[Import], error) {
	return listOnce[Import](ctx, s.c, "/v1/imports", opts, nil)
}

// All iterates over the tenant's jobs.
func (s *ImportsService) All(ctx context.Context, opts ListOptions) iter.Seq2[Import, error] {
	return listAll[Import](ctx, s.c, "/v1/imports", opts, nil)
}

// Errors reads a page of the records a job could not write.
func (s *ImportsService) Errors(ctx context.Context, id string, opts ListOptions) (*Page[ImportRowError], error) {
	return listOnce[ImportRowError](ctx, s.c, "/v1/imports/"+seg(id)+"/errors", opts, nil)
}

// AllErrors iterates over the records a job could not write.
func (s *ImportsService) AllErrors(ctx context.Context, id string, opts ListOptions) iter.Seq2[ImportRowError, error] {
	return listAll[ImportRowError](ctx, s.c, "/v1/imports/"+seg(id)+"/errors", opts, nil)
}

// FailedRows streams the failed records of a CSV import as the CSV they
// came from, with a last column saying what is wrong.
func (s *ImportsService) FailedRows(ctx context.Context, id string) (io.ReadCloser, error) {
	return s.c.stream(ctx, "/v1/imports/"+seg(id)+"/errors", url.Values{"format": {"csv"}})
}
