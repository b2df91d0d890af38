package main

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/contactd/contactd/internal/formats"
)

// importResult is the import pass: a CSV file of new contacts in Google
// Contacts' layout, uploaded to POST /v1/imports and followed to its end.
type importResult struct {
	Rows       int     `json:"rows"`
	Created    int64   `json:"created"`
	Failed     int64   `json:"failed"`
	Bytes      int64   `json:"bytes"`
	Seconds    float64 `json:"seconds"`
	RowsPerSec float64 `json:"rowsPerSecond"`
	PeakRSS    int64   `json:"peakRssBytes"`
	Error      string  `json:"error,omitempty"`
}

func (r *importResult) valid() bool {
	return r.Error == "" && r.Created == int64(r.Rows) && r.Failed == 0
}

// writeImportFile writes n new contacts (the create scenario's, after
// those it may add) as a Google Contacts CSV in dir.
func writeImportFile(dir string, g *generator, run string, n int) (string, error) {
	path := filepath.Join(dir, "import.csv")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	w := csv.NewWriter(bw)
	header := formats.CSVHeader()
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	if err := w.Write(header); err != nil {
		return "", err
	}
	row := make([]string, len(header))
	base := g.maxCreates() - n // the far end of the create scenario's range
	for i := range n {
		c := g.created(base+i, run+"i")
		clear(row)
		row[col["First Name"]], row[col["Last Name"]] = c.FirstName, c.LastName
		row[col["Organization Name"]], row[col["Organization Title"]] = c.Company, c.JobTitle
		row[col["Labels"]] = strings.Join(append([]string{"* myContacts"}, c.Tags...), " ::: ")
		for k, e := range c.Emails[:min(len(c.Emails), formats.CSVEmails)] {
			row[col[fmt.Sprintf("E-mail %d - Value", k+1)]] = e
		}
		for k, p := range c.Phones[:min(len(c.Phones), formats.CSVPhones)] {
			row[col[fmt.Sprintf("Phone %d - Label", k+1)]] = p.Type
			row[col[fmt.Sprintf("Phone %d - Value", k+1)]] = p.Number
		}
		if c.ExternalID != "" {
			row[col["Custom Field 1 - Label"]], row[col["Custom Field 1 - Value"]] = "externalId", c.ExternalID+"-i"
		}
		if err := w.Write(row); err != nil {
			return "", err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return "", err
	}
	return path, bw.Flush()
}

// measureImport uploads the file to contactd at addr in a tenant and
// follows the job to its end.
func measureImport(addr string, t *tenantData, path string, rows int, pid int) *importResult {
	res := &importResult{Rows: rows}
	f, err := os.Open(path)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil {
		res.Bytes = st.Size()
	}
	do := func(method, p string, body *os.File) (*http.Response, error) {
		req, err := http.NewRequest(method, "http://"+addr+p, nil)
		if body != nil {
			req, err = http.NewRequest(method, "http://"+addr+p, body)
		}
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+t.Token)
		req.Header.Set("Content-Type", "text/csv")
		return http.DefaultClient.Do(req)
	}
	var job struct {
		ID, Status, Error      string
		Created, Failed, Total int64
		Processed              int64
		StartedAt, FinishedAt  *time.Time
	}
	decode := func(r *http.Response, err error) error {
		if err != nil {
			return err
		}
		defer r.Body.Close()
		if r.StatusCode/100 != 2 {
			return fmt.Errorf("%s", r.Status)
		}
		return json.NewDecoder(r.Body).Decode(&job)
	}
	start := time.Now()
	if err := decode(do("POST", "/v1/imports", f)); err != nil {
		res.Error = "upload: " + err.Error()
		return res
	}
	var peak int64
	for job.Status == "queued" || job.Status == "running" {
		time.Sleep(200 * time.Millisecond)
		if p, _ := memory(pid); p > peak {
			peak = p
		}
		if err := decode(do("GET", "/v1/imports/"+job.ID, nil)); err != nil {
			res.Error = "follow: " + err.Error()
			return res
		}
	}
	res.Seconds = time.Since(start).Seconds()
	res.Created, res.Failed, res.PeakRSS = job.Created, job.Failed, peak
	if job.Status != "succeeded" {
		res.Error = job.Status + ": " + job.Error
	}
	if res.Seconds > 0 {
		res.RowsPerSec = float64(job.Processed) / res.Seconds
	}
	return res
}
