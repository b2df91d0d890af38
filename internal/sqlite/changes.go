package sqlite

import (
	"context"
	"database/sql"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlq"
)

const changeColumns = `tenant_id, seq, contact_id, type, version, actor, at, fields`

// scanChange scans a row of changeColumns.
func scanChange(row rowScanner) (contactd.Change, error) {
	var ch contactd.Change
	var at string
	var fields []byte
	if err := row.Scan(&ch.TenantID, &ch.Seq, &ch.ContactID, &ch.Type, &ch.Version, &ch.Actor, &at, &fields); err != nil {
		return ch, interpretError(err)
	}
	var err error
	if ch.At, err = parseTime(at); err != nil {
		return ch, err
	}
	return ch, sqlq.Unmarshal("change", fields, &ch.Fields)
}

// changeRow is a change as the changes table holds it (changeColumns).
func changeRow(ch *contactd.Change) ([]any, error) {
	fields, err := ch.FieldsJSON()
	return []any{ch.TenantID, ch.Seq, ch.ContactID, ch.Type, ch.Version, ch.Actor, formatTime(ch.At), fields}, err
}

// Changes implements contactd.Store.
func (s *Store) Changes(ctx context.Context, p contactd.ChangesParams) ([]contactd.Change, error) {
	if p.ContactID != "" {
		return collect(scanChange)(s.read.QueryContext(ctx, `SELECT `+changeColumns+` FROM changes WHERE tenant_id = ? AND contact_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
			p.TenantID, p.ContactID, p.After, p.Limit))
	}
	return collect(scanChange)(s.read.QueryContext(ctx, `SELECT `+changeColumns+` FROM changes WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
		p.TenantID, p.After, p.Limit))
}

// appendChanges allocates change numbers for changes and inserts them.
func (x *txExec) appendChanges(tenantID string, chs ...*contactd.Change) error {
	last, _, err := lockTenant(x.ctx, x, tenantID, len(chs))
	if err != nil {
		return err
	}
	return x.insertChanges(tenantID, last, chs...)
}

// insertChanges numbers changes to end at last (allocated by lockTenant)
// and inserts them.
func (x *txExec) insertChanges(tenantID string, last int64, chs ...*contactd.Change) error {
	sqlq.NumberChanges(tenantID, last, chs)
	rows := make([][]any, len(chs))
	for i, ch := range chs {
		var err error
		if rows[i], err = changeRow(ch); err != nil {
			return err
		}
	}
	return x.insertRows("changes", rows)
}

// EraseContact implements contactd.Store.
func (s *Store) EraseContact(ctx context.Context, tenantID, id string, change *contactd.Change) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		x := &txExec{ctx: ctx, tx: tx, s: s}
		last, _, err := lockTenant(ctx, tx, tenantID, 1)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM contacts WHERE tenant_id = ? AND id = ?`, tenantID, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return contactd.Errorf(contactd.ENotFound, "contact %q not found", id)
		}
		if err := x.exec(`DELETE FROM changes WHERE tenant_id = ? AND contact_id = ?`, tenantID, id); err != nil {
			return err
		}
		return x.insertChanges(tenantID, last, change)
	})
}
