package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// exportResult is the export pass: one tenant's contacts exported whole
// over HTTP (GET /v1/contacts/export), checked against the tenant's count.
type exportResult struct {
	Contacts       int     `json:"contacts"`
	Want           int     `json:"want"`
	Seconds        float64 `json:"seconds"`
	ContactsPerSec float64 `json:"contactsPerSecond"`
	Bytes          int64   `json:"bytes"`
	PeakRSS        int64   `json:"peakRssBytes"`
	Error          string  `json:"error,omitempty"`
}

func (e *exportResult) valid() bool { return e.Error == "" && e.Contacts == e.Want }

// measureExport exports a tenant's contacts from contactd at addr and
// counts them, after asking the list for its exact count.
func measureExport(addr string, t *tenantData) *exportResult {
	res := &exportResult{}
	get := func(path string) (*http.Response, error) {
		req, err := http.NewRequest("GET", "http://"+addr+path, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+t.Token)
		return http.DefaultClient.Do(req)
	}
	r, err := get("/v1/contacts?limit=1&count=exact")
	if err != nil {
		res.Error = err.Error()
		return res
	}
	var page struct{ Total int }
	err = json.NewDecoder(r.Body).Decode(&page)
	r.Body.Close()
	if err != nil {
		res.Error = "count: " + err.Error()
		return res
	}
	res.Want = page.Total
	start := time.Now()
	r, err = get("/v1/contacts/export")
	if err != nil {
		res.Error = err.Error()
		return res
	}
	defer r.Body.Close()
	if r.StatusCode != http.StatusOK {
		res.Error = "export: " + r.Status
		return res
	}
	buf := make([]byte, 1<<16)
	var first, last []byte
	for {
		n, err := r.Body.Read(buf)
		for _, c := range buf[:n] {
			if c == '\n' {
				res.Contacts++
			}
		}
		if first == nil && n > 0 {
			first = append([]byte(nil), buf[:n]...)
		}
		if n > 0 {
			last = append(last[:0], buf[:n]...)
		}
		res.Bytes += int64(n)
		if err == io.EOF {
			break
		}
		if err != nil {
			res.Error = fmt.Sprintf("export cut after %d contacts: %v", res.Contacts, err)
			return res
		}
	}
	res.Seconds = time.Since(start).Seconds()
	res.ContactsPerSec = float64(res.Contacts) / res.Seconds
	// The first and the last line must be contacts of the tenant.
	if line, _, _ := bytes.Cut(first, []byte("\n")); res.Contacts > 0 && !isContact(line) {
		res.Error = fmt.Sprintf("the first line is not a contact: %.100s", line)
	}
	if i := bytes.LastIndexByte(bytes.TrimSuffix(last, []byte("\n")), '\n'); res.Contacts > 1 && i >= 0 && !isContact(bytes.TrimSuffix(last[i+1:], []byte("\n"))) {
		res.Error = fmt.Sprintf("the last line is not a contact: %.100s", last[i+1:])
	}
	return res
}

func isContact(line []byte) bool {
	var c struct{ ID string }
	return json.Unmarshal(line, &c) == nil && len(c.ID) > 3 && c.ID[:3] == "ct_"
}
