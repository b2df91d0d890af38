package sqlq

import (
	"encoding/json"
	"fmt"
	"io/fs"

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
