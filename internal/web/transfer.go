package web

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"net/http"
	"net/url"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/formats"
)

type importData struct {
	Recent []*contactd.Import
}

func (h *Handler) importPage(w http.ResponseWriter, r *http.Request, v *visit) {
	d := importData{}
	if pg, err := h.svc.Imports(r.Context(), v.p, contactd.ImportListRequest{ListParams: contactd.ListParams{Limit: 10, NoCount: true}}); err == nil {
		d.Recent = pg.Data
	}
	h.render(w, r, v, http.StatusOK, "import", "Import contacts", d)
}

// detectHead is how much of a file the page sends to be looked at.
const detectHead = 64 << 10

type detection struct {
	Format  string   `json:"format"`
	Layout  string   `json:"layout,omitempty"`
	Columns []string `json:"columns,omitempty"`
	Targets []string `json:"targets,omitempty"`
	Error   string   `json:"error,omitempty"`
}

// detectImport tells the page what a file is, from its first bytes: the
// format, and for CSV the layout and each column's target, to show and
// change before the import.
func (h *Handler) detectImport(w http.ResponseWriter, r *http.Request, v *visit) {
	head, _ := io.ReadAll(io.LimitReader(r.Body, detectHead))
	d := detection{Format: cmp.Or(r.URL.Query().Get("format"), formats.Detect(r.Header.Get("X-File-Type"), head))}
	if d.Format == "csv" {
		var mapping map[string]string
		if m := r.URL.Query().Get("mapping"); m != "" {
			_ = json.Unmarshal([]byte(m), &mapping)
		}
		cr, err := formats.NewCSVReader(bytes.NewReader(head), formats.CSVOptions{Charset: r.URL.Query().Get("charset"), Mapping: mapping})
		if err != nil {
			d.Error = err.Error()
		} else {
			d.Layout, d.Columns, d.Targets = cr.Layout(), cr.Headers(), cr.Targets()
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(d)
}

type importJobData struct {
	Job     *contactd.Import
	Errors  []contactd.ImportRowError
	More    bool
	Percent int
}

func (h *Handler) importJobPage(w http.ResponseWriter, r *http.Request, v *visit) {
	im, err := h.svc.GetImport(r.Context(), v.p, r.PathValue("id"))
	if err != nil {
		h.failErr(w, r, v, err)
		return
	}
	d := importJobData{Job: im}
	if im.Total != nil && *im.Total > 0 {
		d.Percent = int(im.Processed * 100 / *im.Total)
	}
	if im.Failed > 0 {
		if pg, err := h.svc.ImportErrors(r.Context(), v.p, im.ID, contactd.ImportListRequest{ListParams: contactd.ListParams{Limit: 100, NoCount: true}}); err == nil {
			d.Errors, d.More = pg.Data, pg.NextCursor != nil
		}
	}
	h.render(w, r, v, http.StatusOK, "importjob", "Import "+im.ID, d)
}

type exportData struct {
	Query listQuery
	Count string
}

func (h *Handler) exportPage(w http.ResponseWriter, r *http.Request, v *visit) {
	lq := readListQuery(r)
	lq.Cursor = ""
	d := exportData{Query: lq}
	req := lq.request(1)
	if pg, err := h.svc.ListContacts(r.Context(), v.p, req); err == nil && pg.Total != nil {
		d.Count = itoa(*pg.Total)
		if pg.TotalIsLowerBound {
			d.Count += "+"
		}
	}
	h.render(w, r, v, http.StatusOK, "export", "Export contacts", d)
}

// exportDownload streams an export of the list's current filter, through
// the API's export (which names the file and streams it).
func (h *Handler) exportDownload(w http.ResponseWriter, r *http.Request, v *visit) {
	lq := readListQuery(r)
	lq.Cursor = ""
	req := lq.request(0)
	q := url.Values{}
	q.Set("format", cmp.Or(r.URL.Query().Get("format"), "csv"))
	if req.Q != "" {
		q.Set("q", req.Q)
	}
	if len(req.Filter) > 0 {
		q.Set("filter", string(req.Filter))
	}
	if req.IncludeDeleted {
		q.Set("includeDeleted", "true")
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/app/api/v1/contacts/export"
	r2.URL.RawQuery = q.Encode()
	h.forward(w, r2, v)
}
