package sqlq

import (
	"slices"
	"strings"

	"github.com/contactd/contactd"
)

// The queries of the cards CardDAV clients wrote (contactd.CardStore), in
// a dialect's placeholders; CardsOf's for n contact ids.

// CardColumns are the columns ScanCard reads, in its order.
const cardColumns = "contact_id, name, version, base, data"

// CardByName selects a card by (tenant, name).
func (d *Dialect) CardByName() string {
	return "SELECT " + cardColumns + " FROM cards" + d.indexedBy("cards_name") + " WHERE tenant_id = " + d.placeholder(1) + " AND name = " + d.placeholder(2)
}

// CardsOf selects the cards of n contacts: (tenant, id…).
func (d *Dialect) CardsOf(n int) string {
	return "SELECT " + cardColumns + " FROM cards WHERE tenant_id = " + d.placeholder(1) + " AND contact_id IN (" + d.list(2, n) + ")"
}

// CardsNamed selects the cards with n names: (tenant, name…). SQLite,
// with no statistics, would read the tenant's cards by their primary key
// instead of the names' index.
func (d *Dialect) CardsNamed(n int) string {
	return "SELECT " + cardColumns + " FROM cards" + d.indexedBy("cards_name") + " WHERE tenant_id = " + d.placeholder(1) + " AND name IN (" + d.list(2, n) + ")"
}

// ContactsOf selects n contacts, as columns cols: (tenant, id…).
func (d *Dialect) ContactsOf(cols string, n int) string {
	return "SELECT " + cols + " FROM contacts c WHERE c.tenant_id = " + d.placeholder(1) + " AND c.id IN (" + d.list(2, n) + ")"
}

// list is n placeholders from the first-th.
func (d *Dialect) list(first, n int) string {
	ph := make([]string, n)
	for i := range ph {
		ph[i] = d.placeholder(first + i)
	}
	return strings.Join(ph, ", ")
}

// InChunks runs a query of many keys a chunk of them at a time (SQLite
// bounds a statement's parameters), in chunks of one size, so that the
// statement is prepared once.
func InChunks[T any](keys []string, query func([]string) ([]T, error)) ([]T, error) {
	var out []T
	for chunk := range slices.Chunk(keys, 500) {
		rows, err := query(chunk)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

// InArgs are the parameters of a query of a tenant's keys.
func InArgs(tenantID string, keys []string) []any {
	args := make([]any, 0, len(keys)+1)
	args = append(args, tenantID)
	for _, k := range keys {
		args = append(args, k)
	}
	return args
}

// CardEntries selects the live contacts after an id with their cards'
// names: (tenant, after, limit).
func (d *Dialect) CardEntries() string {
	return "SELECT c.id, c.version, COALESCE(k.name, '') FROM contacts c" +
		" LEFT JOIN cards k ON k.tenant_id = c.tenant_id AND k.contact_id = c.id" +
		" WHERE c.tenant_id = " + d.placeholder(1) + " AND c.id > " + d.placeholder(2) + " AND c.deleted_at IS NULL" +
		" ORDER BY c.id LIMIT " + d.placeholder(3)
}

// CardNameHolder selects the contact whose card has a name, and whether
// that contact is live: (tenant, name).
func (d *Dialect) CardNameHolder() string {
	return "SELECT k.contact_id, EXISTS (SELECT 1 FROM contacts c WHERE c.tenant_id = k.tenant_id AND c.id = k.contact_id" +
		" AND c.deleted_at IS NULL) FROM cards k WHERE k.tenant_id = " + d.placeholder(1) + " AND k.name = " + d.placeholder(2)
}

// DeleteCard removes a contact's card: (tenant, contact).
func (d *Dialect) DeleteCard() string {
	return "DELETE FROM cards WHERE tenant_id = " + d.placeholder(1) + " AND contact_id = " + d.placeholder(2)
}

// UpsertCard writes a contact's card: (tenant, contact, name, version,
// base, data).
func (d *Dialect) UpsertCard() string {
	return "INSERT INTO cards (tenant_id, contact_id, name, version, base, data) VALUES (" +
		d.placeholder(1) + ", " + d.placeholder(2) + ", " + d.placeholder(3) + ", " + d.placeholder(4) + ", " +
		d.placeholder(5) + ", " + d.placeholder(6) + ") ON CONFLICT (tenant_id, contact_id) DO UPDATE SET" +
		" name = excluded.name, version = excluded.version, base = excluded.base, data = excluded.data"
}

// EraseCard keeps only the name of an erased contact's card: (tenant,
// contact).
func (d *Dialect) EraseCard() string {
	return "UPDATE cards SET version = 0, base = NULL, data = NULL WHERE tenant_id = " + d.placeholder(1) +
		" AND contact_id = " + d.placeholder(2)
}

// CardArgs are UpsertCard's parameters.
func CardArgs(tenantID string, k *contactd.Card) []any {
	var base any
	if k.Base != nil {
		base = string(k.Base)
	}
	return []any{tenantID, k.ContactID, k.Name, k.Version, base, k.Data}
}

// ScanCard reads a row of cardColumns.
func ScanCard(scan func(dest ...any) error) (contactd.Card, error) {
	var k contactd.Card
	var base *string
	err := scan(&k.ContactID, &k.Name, &k.Version, &base, &k.Data)
	if base != nil {
		k.Base = []byte(*base)
	}
	return k, err
}

// CardHolderConflict is the error of a card whose name a live contact's
// card has.
func CardHolderConflict(holder, name string) error {
	return &contactd.ConflictError{Field: "card", ID: holder, Value: name}
}

// The queries of contacts' photos (contactd.PhotoStore).

// PhotoOf selects a contact's photo: (tenant, contact).
func (d *Dialect) PhotoOf() string {
	return "SELECT content_type, data FROM contact_photos WHERE tenant_id = " + d.placeholder(1) + " AND contact_id = " + d.placeholder(2)
}

// UpsertPhoto writes a contact's photo: (tenant, contact, type, data).
func (d *Dialect) UpsertPhoto() string {
	return "INSERT INTO contact_photos (tenant_id, contact_id, content_type, data) VALUES (" + d.placeholder(1) + ", " +
		d.placeholder(2) + ", " + d.placeholder(3) + ", " + d.placeholder(4) + ") ON CONFLICT (tenant_id, contact_id) DO UPDATE SET" +
		" content_type = excluded.content_type, data = excluded.data"
}

// DeletePhoto removes a contact's photo: (tenant, contact).
func (d *Dialect) DeletePhoto() string {
	return "DELETE FROM contact_photos WHERE tenant_id = " + d.placeholder(1) + " AND contact_id = " + d.placeholder(2)
}

// PhotoWrite returns the statement and parameters that store what a
// version of a contact does to its photo, or "" when it leaves it.
func (d *Dialect) PhotoWrite(tenantID string, c *contactd.Contact) (string, []any) {
	switch {
	case c.PhotoWrite == nil:
		return "", nil
	case c.PhotoWrite.Data == nil:
		return d.DeletePhoto(), []any{tenantID, c.ID}
	}
	return d.UpsertPhoto(), []any{tenantID, c.ID, c.PhotoWrite.ContentType, c.PhotoWrite.Data}
}
