package sqlite

import (
	"context"
	"database/sql"
	"time"

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
	last, _, err := x.s.lockTenant(x.ctx, x, tenantID, len(chs))
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
		last, _, err := s.lockTenant(ctx, tx, tenantID, 1)
		if err != nil {
			return err
		}
		old, err := scanContact(x.QueryRowContext(ctx, `SELECT `+contactColumns+` FROM contacts c WHERE c.tenant_id = ? AND c.id = ?`, tenantID, id))
		if contactd.ErrorCodeOf(err) == contactd.ENotFound {
			return contactd.Errorf(contactd.ENotFound, "contact %q not found", id)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM contacts WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
			return err
		}
		for _, st := range sqlq.SQLite.DropKeys(tenantID, id, contactd.DuplicateKeys(old), sqliteBool) {
			if err := x.exec(st.Query, st.Args...); err != nil {
				return err
			}
		}
		if err := x.exec(`DELETE FROM changes WHERE tenant_id = ? AND contact_id = ?`, tenantID, id); err != nil {
			return err
		}
		// The merges into it hold what it was: they go with it.
		if err := x.exec(`DELETE FROM contact_merges WHERE tenant_id = ? AND target_id = ?`, tenantID, id); err != nil {
			return err
		}
		if err := x.exec(sqlq.SQLite.EraseCard(), tenantID, id); err != nil {
			return err
		}
		if err := x.exec(sqlq.SQLite.DeletePhoto(), tenantID, id); err != nil {
			return err
		}
		// The webhook messages about it keep their attempts, not their bodies.
		if err := x.exec(`UPDATE webhook_deliveries SET body = NULL WHERE tenant_id = ? AND contact_id = ?`, tenantID, id); err != nil {
			return err
		}
		return x.insertChanges(tenantID, last, change)
	})
}

// ChangeHorizon implements contactd.Store.
func (s *Store) ChangeHorizon(ctx context.Context, tenantID string) (contactd.ChangeHorizon, error) {
	var h contactd.ChangeHorizon
	err := s.read.QueryRowContext(ctx, `SELECT changes_pruned_through, change_seq FROM tenants WHERE id = ?`, tenantID).Scan(&h.Pruned, &h.Last)
	if err == sql.ErrNoRows {
		return h, contactd.Errorf(contactd.ENotFound, "tenant %q not found", tenantID)
	}
	return h, interpretError(err)
}

// PruneChanges implements contactd.Store. The changes it removes are a
// prefix of the log: up to max after the last pruned, ending before the
// first made at or after before (times written in TimeFormat compare as
// strings) and before the first an enabled subscription has not handled.
func (s *Store) PruneChanges(ctx context.Context, tenantID string, before time.Time, max int) (int, error) {
	var n int
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var pruned int64
		if err := tx.QueryRowContext(ctx, `SELECT changes_pruned_through FROM tenants WHERE id = ?`, tenantID).Scan(&pruned); err != nil {
			return err
		}
		var through sql.NullInt64
		if err := tx.QueryRowContext(ctx, `WITH next AS (SELECT seq, at FROM changes WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?),
			kept AS (SELECT MIN(seq) AS seq FROM next WHERE at >= ?)
			SELECT MAX(next.seq) FROM next, kept WHERE kept.seq IS NULL OR next.seq < kept.seq`,
			tenantID, pruned, max, formatTime(before)).Scan(&through); err != nil {
			return err
		}
		if !through.Valid {
			return nil
		}
		// Never past what an enabled subscription has yet to deliver.
		var held sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT MIN(cursor) FROM webhooks WHERE tenant_id = ? AND enabled = 1`, tenantID).Scan(&held); err != nil {
			return err
		}
		if held.Valid && held.Int64 < through.Int64 {
			if through.Int64 = held.Int64; through.Int64 <= pruned {
				return nil
			}
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM changes WHERE tenant_id = ? AND seq > ? AND seq <= ?`, tenantID, pruned, through.Int64)
		if err != nil {
			return err
		}
		removed, _ := res.RowsAffected()
		n = int(removed)
		_, err = tx.ExecContext(ctx, `UPDATE tenants SET changes_pruned_through = ? WHERE id = ?`, through.Int64, tenantID)
		return err
	})
	return n, err
}

// ChangeSignal implements contactd.Store. The writer notes the tenants
// whose change numbers a transaction allocates (lockTenant) and wakes
// their waiters once it commits; a database file has one contactd, so no
// other node writes.
func (s *Store) ChangeSignal(tenantID string) (<-chan struct{}, func()) {
	return s.changeWaits.Wait(tenantID)
}

// noteChanges notes that the running transaction adds changes to a
// tenant's log.
func (s *Store) noteChanges(tenantID string) {
	s.changedMu.Lock()
	defer s.changedMu.Unlock()
	if s.changed == nil {
		s.changed = map[string]bool{}
	}
	s.changed[tenantID] = true
}

// wakeNoted wakes the long polls of the tenants noted since the last call
// (when committed is true; a transaction rolled back wakes nobody).
func (s *Store) wakeNoted(committed bool) {
	s.changedMu.Lock()
	noted := s.changed
	s.changed = nil
	s.changedMu.Unlock()
	if !committed {
		return
	}
	for tenantID := range noted {
		s.changeWaits.Wake(tenantID)
	}
}
