package formats

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/contactd/contactd"
)

// The groups of each kind a Google CSV row holds: as many as Google's own
// exports of contacts with several of each; further entries of a contact
// are not written (the NDJSON and vCard exports carry every one).
const (
	CSVEmails    = 4
	CSVPhones    = 7
	CSVAddresses = 3
	CSVWebsites  = 3
)

// googleColumns are the fixed columns of a Google Contacts export.
var googleColumns = []string{"First Name", "Middle Name", "Last Name", "Phonetic First Name", "Phonetic Middle Name",
	"Phonetic Last Name", "Name Prefix", "Name Suffix", "Nickname", "File As", "Organization Name", "Organization Title",
	"Organization Department", "Birthday", "Notes", "Photo", "Labels"}

// googleAddressParts are the columns of an address group, after its label.
var googleAddressParts = []string{"Formatted", "Street", "City", "PO Box", "Region", "Postal Code", "Country", "Extended Address"}

// CSVHeader is the header row CSVWriter writes: Google Contacts' layout,
// with CSVEmails e-mail, CSVPhones phone, CSVAddresses address and
// CSVWebsites website groups, one event (the anniversary) and one custom
// field (the external id).
func CSVHeader() []string {
	h := append([]string(nil), googleColumns...)
	for i := 1; i <= CSVEmails; i++ {
		h = append(h, fmt.Sprintf("E-mail %d - Label", i), fmt.Sprintf("E-mail %d - Value", i))
	}
	for i := 1; i <= CSVPhones; i++ {
		h = append(h, fmt.Sprintf("Phone %d - Label", i), fmt.Sprintf("Phone %d - Value", i))
	}
	for i := 1; i <= CSVAddresses; i++ {
		h = append(h, fmt.Sprintf("Address %d - Label", i))
		for _, p := range googleAddressParts {
			h = append(h, fmt.Sprintf("Address %d - %s", i, p))
		}
	}
	for i := 1; i <= CSVWebsites; i++ {
		h = append(h, fmt.Sprintf("Website %d - Label", i), fmt.Sprintf("Website %d - Value", i))
	}
	return append(h, "Event 1 - Label", "Event 1 - Value", "Custom Field 1 - Label", "Custom Field 1 - Value")
}

// CSVWriter writes contacts as a Google Contacts CSV file, which Google
// Contacts and contactd import.
type CSVWriter struct {
	w   *csv.Writer
	row []string
}

// NewCSVWriter writes the header row to w.
func NewCSVWriter(w io.Writer) (*CSVWriter, error) {
	h := CSVHeader()
	cw := &CSVWriter{w: csv.NewWriter(w), row: make([]string, len(h))}
	return cw, cw.w.Write(h)
}

// phoneLabels and the others are the Google labels of contactd's types.
var (
	phoneLabels   = map[string]string{"mobile": "Mobile", "work": "Work", "home": "Home", "fax": "Other Fax", "work_fax": "Work Fax", "home_fax": "Home Fax", "pager": "Pager", "other": "Other"}
	emailLabels   = map[string]string{"work": "Work", "personal": "Home", "other": "Other"}
	addressLabels = map[string]string{"work": "Work", "home": "Home", "billing": "Other", "shipping": "Other", "other": "Other"}
)

// label is a Google label, starred for the primary entry.
func label(l string, primary bool) string {
	if primary {
		return "* " + l
	}
	return l
}

// Write writes one contact as a row.
func (cw *CSVWriter) Write(c *contactd.Contact) error {
	r := cw.row
	clear(r)
	fileAs := ""
	if c.DisplayNameSet {
		fileAs = c.DisplayName
	}
	copy(r, []string{c.FirstName, c.MiddleName, c.LastName, "", "", "", "", c.Suffix, c.NickName, fileAs,
		c.Company, c.JobTitle, c.Department, c.Birthday, c.Notes, "", strings.Join(append([]string{"* myContacts"}, c.Tags...), " ::: ")})
	i := len(googleColumns)
	for k := range CSVEmails {
		if k < len(c.Emails) {
			e := c.Emails[k]
			r[i], r[i+1] = label(emailLabels[e.Type], e.Primary), e.Address
		}
		i += 2
	}
	for k := range CSVPhones {
		if k < len(c.Phones) {
			p := c.Phones[k]
			num := p.E164
			if p.Extension != "" {
				num += " ext. " + p.Extension
			}
			r[i], r[i+1] = label(phoneLabels[p.Type], p.Primary), num
		}
		i += 2
	}
	for k := range CSVAddresses {
		if k < len(c.Addresses) {
			a := c.Addresses[k]
			street := joinNonEmpty(" ", a.StreetNumber, a.Street)
			formatted := strings.Join(nonEmpty(a.Apartment, street, joinNonEmpty(" ", a.PostalCode, a.City), a.State, a.Country), "\n")
			copy(r[i:], []string{label(addressLabels[a.Type], a.Primary), formatted, street, a.City, "", a.State, a.PostalCode, a.Country, a.Apartment})
		}
		i += 1 + len(googleAddressParts)
	}
	for k := range CSVWebsites {
		if k < len(c.Handles) {
			h := c.Handles[k]
			l := h.Type
			if l == "url" {
				l = "Homepage"
			}
			r[i], r[i+1] = l, h.Value
		}
		i += 2
	}
	if c.Anniversary != "" {
		r[i], r[i+1] = "Anniversary", c.Anniversary
	}
	i += 2
	if c.ExternalID != "" {
		r[i], r[i+1] = "externalId", c.ExternalID
	}
	return cw.w.Write(r)
}

// Flush writes what is buffered and returns the first error of any write.
func (cw *CSVWriter) Flush() error {
	cw.w.Flush()
	return cw.w.Error()
}
