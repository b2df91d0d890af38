package sqlq

import "github.com/contactd/contactd"

// The codes a contact is found by beside its numbers and emails (table
// contact_codes, migration 00021): its extensions and links.

// Kinds of code.
const (
	CodeExtension   = "x" // scope: the extension's PBX id, or ""
	CodeFQExtension = "f" // scope: ""
	CodeLink        = "l" // scope: the link's type; code: its external id
)

// CodeColumns are the columns of contact_codes, in the order CodeRows
// gives their values.
var CodeColumns = []string{"tenant_id", "contact_id", "kind", "scope", "code", "entry_id", "live"}

// Code is one row of contact_codes, without its tenant and contact.
type Code struct {
	Kind, Scope, Code, EntryID string
}

// Codes returns the codes of a contact: its extensions' (unique among
// live contacts), then its links'.
func Codes(c *contactd.Contact) []Code {
	var out []Code
	for i := range c.Extensions {
		e := &c.Extensions[i]
		out = append(out, Code{CodeExtension, contactd.PBXOf(c, e), e.Extension, e.ID})
		if e.FQExtension != "" {
			out = append(out, Code{CodeFQExtension, "", e.FQExtension, e.ID})
		}
	}
	for _, l := range c.Links {
		out = append(out, Code{CodeLink, l.Type, l.ExternalID, l.ID})
	}
	return out
}

// UniqueCodes returns the codes of a contact that no other live contact
// of its tenant may have: its extensions'.
func UniqueCodes(c *contactd.Contact) []Code {
	var out []Code
	for _, k := range Codes(c) {
		if k.Kind != CodeLink {
			out = append(out, k)
		}
	}
	return out
}

// CodeRows returns the contact_codes rows of a contact, live as the
// dialect writes a boolean.
func CodeRows(tenantID string, c *contactd.Contact, live any) [][]any {
	var rows [][]any
	for _, k := range Codes(c) {
		rows = append(rows, []any{tenantID, c.ID, k.Kind, k.Scope, k.Code, k.EntryID, live})
	}
	return rows
}

// CodeConflict is the conflict of a contact's unique code with another
// contact's.
func CodeConflict(k Code, other string) *contactd.ConflictError {
	if k.Kind == CodeFQExtension {
		return &contactd.ConflictError{Field: "fqExtension", Value: k.Code, ID: other}
	}
	return &contactd.ConflictError{Field: "extension", Value: k.Code, Scope: k.Scope, ID: other}
}

// ExtensionLookup returns caller-ID's query of an extension and its
// parameters: the live contacts with the code, most recently updated
// first: each one's id, document, display_name_set and the ids of the
// matching extensions (comma-separated).
// The contact_codes_code index finds the rows.
func (d *Dialect) ExtensionLookup(tenantID string, q contactd.ExtensionQuery, limit int) (string, []any) {
	b := &Builder{d: d, t: contacts}
	kind := CodeExtension
	if q.FQ {
		kind = CodeFQExtension
	}
	tenant := b.Arg(tenantID)
	where := "x.tenant_id = " + tenant + " AND x.code = " + b.Arg(q.Code) + " AND x.kind = " + b.Arg(kind) +
		" AND x.live = " + b.Arg(d.boolArg(true))
	if q.PBXSet {
		where += " AND x.scope = " + b.Arg(q.PBX)
	}
	agg := "group_concat(x.entry_id)"
	if d.Name != "sqlite" {
		agg = "string_agg(x.entry_id, ',' ORDER BY x.entry_id)"
	}
	return "SELECT c.id, c.doc, c.display_name_set, m.ids FROM (SELECT x.contact_id, " + agg + " AS ids FROM contact_codes x WHERE " + where +
		" GROUP BY x.contact_id) m JOIN contacts c ON c.tenant_id = " + tenant + " AND c.id = m.contact_id" +
		" ORDER BY c.updated_at DESC, c.id LIMIT " + b.Arg(limit), b.Args()
}
