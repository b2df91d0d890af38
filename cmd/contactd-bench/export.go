package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/contactd/contactd/internal/ndjson"
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
	var c ndjson.Counter
	_, err = io.Copy(&c, r.Body)
	res.Contacts, res.Bytes = c.Lines, c.Bytes
	if err != nil || !c.Whole() {
		res.Error = fmt.Sprintf("export cut after %d contacts: %v", c.Lines, err)
		return res
	}
	res.Seconds = time.Since(start).Seconds()
	res.ContactsPerSec = float64(res.Contacts) / res.Seconds
	// The first and the last line must be contacts of the tenant.
	if res.Contacts > 0 && (!isContact(c.First) || !isContact(c.Last)) {
		res.Error = fmt.Sprintf("the first or last line is not a contact: %.100s … %.100s", c.First, c.Last)
	}
	return res
}

func isContact(line []byte) bool {
	var c struct{ ID string }
	return json.Unmarshal(line, &c) == nil && len(c.ID) > 3 && c.ID[:3] == "ct_"
}
