package sqlq

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/contactd/contactd"
)

// What both stores share beyond queries: the stored forms of the domain's
// objects, and the state of their migrations.

// DecodeContact decodes a stored contact document, with the field that is
// stored beside it.
func DecodeContact(doc []byte, displayNameSet bool) (*contactd.Contact, error) {
	c := new(contactd.Contact)
	if err := Unmarshal("contact document", doc, c); err != nil {
		return nil, err
	}
	c.DisplayNameSet = displayNameSet
	return c, nil
}

// StoredContact is a contact's document as read, not yet decoded.
type StoredContact struct {
	Doc            []byte
	DisplayNameSet bool
}

// DecodeContacts decodes documents; a page of many (an export reads a
// thousand at a time) is decoded on every core.
func DecodeContacts(docs []StoredContact) ([]*contactd.Contact, error) {
	cs := make([]*contactd.Contact, len(docs))
	errs := make([]error, len(docs))
	decode := func(from, to int) {
		for i := from; i < to; i++ {
			cs[i], errs[i] = DecodeContact(docs[i].Doc, docs[i].DisplayNameSet)
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(docs)/64)
	if workers < 2 {
		decode(0, len(docs))
	} else {
		var wg sync.WaitGroup
		per := (len(docs) + workers - 1) / workers
		for from := 0; from < len(docs); from += per {
			wg.Go(func() { decode(from, min(from+per, len(docs))) })
		}
		wg.Wait()
	}
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return cs, nil
}

// DecodeAccount decodes a stored account document.
func DecodeAccount(doc []byte) (*contactd.Account, error) {
	a := new(contactd.Account)
	if err := Unmarshal("account document", doc, a); err != nil {
		return nil, err
	}
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	return a, nil
}

// Unmarshal decodes stored JSON (nothing, or SQL NULL, leaves v as it is);
// what names it in the error of corrupt data.
func Unmarshal(what string, raw []byte, v any) error {
	if len(raw) == 0 {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("corrupt %s: %w", what, err)
	}
	return nil
}

// NumberChanges gives changes of a tenant the change numbers that end at
// last (the counter after the store allocated them), in order.
func NumberChanges(tenantID string, last int64, chs []*contactd.Change) {
	for i, ch := range chs {
		ch.TenantID, ch.Seq = tenantID, last-int64(len(chs)-1-i)
	}
}

// AppliedVersion is the query of the schema version a database is at.
const AppliedVersion = `SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied`

// LatestMigration returns the number of the last of the migration files
// in fsys (named NNNNN_name.sql).
func LatestMigration(fsys fs.FS) (int64, error) {
	files, err := fs.Glob(fsys, "*.sql")
	if err != nil || len(files) == 0 {
		return 0, fmt.Errorf("no embedded migrations")
	}
	var v int64
	_, err = fmt.Sscanf(files[len(files)-1], "%d_", &v)
	return v, err
}

// ContactColumns are the columns of a contact's row, in the order
// Dialect.ContactRow gives their values: its keys and version, what is
// stored beside the document, the fields lists filter and sort by (written
// by contactd, so that storing a contact parses no JSON), and the document.
var ContactColumns = []string{"tenant_id", "id", "version", "display_name", "display_name_set", "external_id",
	"created_at", "updated_at", "deleted_at",
	"kind", "contact_type", "first_name", "last_name", "company", "department", "job_title", "status", "source",
	"owner_id", "account_id", "do_not_call", "email_opt_out", "sms_opt_out", "is_unknown", "blocked",
	"directory", "doc"}

// ContactRow returns the values of a contact's row (ContactColumns), doc
// being its stored document.
func (d *Dialect) ContactRow(tenantID string, c *contactd.Contact, doc any) []any {
	var externalID, deletedAt any
	if c.ExternalID != "" {
		externalID = c.ExternalID
	}
	if c.DeletedAt != nil {
		deletedAt = d.timeArg(*c.DeletedAt)
	}
	return []any{tenantID, c.ID, c.Version, c.DisplayName, d.boolArg(c.DisplayNameSet), externalID,
		d.timeArg(c.CreatedAt), d.timeArg(c.UpdatedAt), deletedAt,
		c.Kind, c.ContactType, c.FirstName, c.LastName, c.Company, c.Department, c.JobTitle, c.Status, c.Source,
		c.OwnerID, c.AccountID, d.boolArg(c.DoNotCall), d.boolArg(c.EmailOptOut), d.boolArg(c.SMSOptOut),
		d.boolArg(c.Unknown), d.boolArg(c.BlockedAt != nil),
		int16(contactd.DirectoryOf(c)), doc}
}

// UpdateContact is the statement that replaces a contact's row if it is
// still at a version. Its parameters are ContactRow's values, then the
// version it must be at; it sets every column but the keys.
func (d *Dialect) UpdateContact() string {
	var set []string
	for i, col := range ContactColumns {
		switch col {
		case "tenant_id", "id":
		default:
			set = append(set, col+" = "+d.placeholder(i+1))
		}
	}
	return "UPDATE contacts SET " + strings.Join(set, ", ") +
		" WHERE tenant_id = " + d.placeholder(1) + " AND id = " + d.placeholder(2) +
		" AND version = " + d.placeholder(len(ContactColumns)+1)
}

// ListTotal is the total of a list whose query counted it in every row
// (Builder.HasTotal): the count read, or when the page has no rows, 0 on
// the first page and unknown (-1) past it.
func ListTotal(read, rows, offset int) int {
	switch {
	case rows > 0:
		return read
	case offset == 0:
		return 0
	}
	return -1
}

// storedImport is an import job as a store keeps it: its API document and
// its heartbeat, which the API does not show.
type storedImport struct {
	*contactd.Import
	HeartbeatAt time.Time `json:"heartbeatAt"`
}

// EncodeImport returns the stored document of a job.
func EncodeImport(im *contactd.Import) ([]byte, error) {
	return json.Marshal(storedImport{Import: im, HeartbeatAt: im.HeartbeatAt})
}

// DecodeImport decodes a stored job of a tenant.
func DecodeImport(tenantID string, doc []byte) (*contactd.Import, error) {
	st := storedImport{Import: new(contactd.Import)}
	if err := Unmarshal("import document", doc, &st); err != nil {
		return nil, err
	}
	st.Import.TenantID, st.Import.HeartbeatAt = tenantID, st.HeartbeatAt
	return st.Import, nil
}

// ImportEnded is the error of a write to a job that has ended.
func ImportEnded(id string) error {
	return contactd.Errorf(contactd.EConflict, "import %q has ended", id)
}

// CancelledImport returns the stored document of a job cancelled at at,
// or nil when the job had ended.
func CancelledImport(tenantID string, doc []byte, at time.Time) (*contactd.Import, []byte, error) {
	im, err := DecodeImport(tenantID, doc)
	if err != nil || im.Done() {
		return im, nil, err
	}
	im.Status, im.FinishedAt, im.HeartbeatAt = contactd.ImportCancelled, &at, at
	if im.StartedAt != nil {
		if d := at.Sub(*im.StartedAt).Seconds(); d > 0 {
			im.Rate = float64(im.Processed) / d
		}
	}
	out, err := EncodeImport(im)
	return im, out, err
}
