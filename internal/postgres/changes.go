package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlq"
)

const changeColumns = `tenant_id, seq, contact_id, type, version, actor, at, fields`

// scanChange scans a row of changeColumns (fields as text).
func scanChange(row pgx.Row) (contactd.Change, error) {
	var ch contactd.Change
	var fields []byte
	if err := row.Scan(&ch.TenantID, &ch.Seq, &ch.ContactID, &ch.Type, &ch.Version, &ch.Actor, &ch.At, &fields); err != nil {
		return ch, interpretError(err)
	}
	ch.At = ch.At.UTC()
	return ch, sqlq.Unmarshal("change", fields, &ch.Fields)
}

// changeRow is a change as the changes table holds it (changeColumns).
func changeRow(ch *contactd.Change) ([]any, error) {
	fields, err := ch.FieldsJSON()
	if fields == nil {
		return []any{ch.TenantID, ch.Seq, ch.ContactID, ch.Type, ch.Version, ch.Actor, ch.At, nil}, err
	}
	return []any{ch.TenantID, ch.Seq, ch.ContactID, ch.Type, ch.Version, ch.Actor, ch.At, string(fields)}, err
}

// Changes implements contactd.Store.
func (s *Store) Changes(ctx context.Context, p contactd.ChangesParams) ([]contactd.Change, error) {
	const cols = `tenant_id, seq, contact_id, type, version, actor, at, fields::text`
	if p.ContactID != "" {
		return collect(scanChange)(s.pool.Query(ctx, `SELECT `+cols+` FROM changes WHERE tenant_id = $1 AND contact_id = $2 AND seq > $3 ORDER BY seq LIMIT $4`,
			p.TenantID, p.ContactID, p.After, p.Limit))
	}
	return collect(scanChange)(s.pool.Query(ctx, `SELECT `+cols+` FROM changes WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
		p.TenantID, p.After, p.Limit))
}

// appendChanges allocates change numbers for changes and inserts them.
func appendChanges(ctx context.Context, tx pgx.Tx, tenantID string, chs ...*contactd.Change) error {
	last, _, err := lockTenant(ctx, tx, tenantID, len(chs))
	if err != nil {
		return err
	}
	return insertChanges(ctx, tx, tenantID, last, chs...)
}

// insertChanges numbers changes to end at last (allocated by lockTenant)
// and inserts them.
func insertChanges(ctx context.Context, tx pgx.Tx, tenantID string, last int64, chs ...*contactd.Change) error {
	sqlq.NumberChanges(tenantID, last, chs)
	rows := make([][]any, len(chs))
	for i, ch := range chs {
		var err error
		if rows[i], err = changeRow(ch); err != nil {
			return err
		}
	}
	r := rowSet{changes: rows}
	return r.insert(ctx, tx)
}

// EraseContact implements contactd.Store.
func (s *Store) EraseContact(ctx context.Context, tenantID, id string, change *contactd.Change) error {
	return interpretError(s.inTx(ctx, func(tx pgx.Tx) error {
		last, _, err := lockTenant(ctx, tx, tenantID, 1)
		if err != nil {
			return err
		}
		old, err := scanContact(tx.QueryRow(ctx, `SELECT `+contactColumns+` FROM contacts c WHERE c.tenant_id = $1 AND c.id = $2 FOR UPDATE`, tenantID, id))
		if contactd.ErrorCodeOf(err) == contactd.ENotFound {
			return contactd.Errorf(contactd.ENotFound, "contact %q not found", id)
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM contacts WHERE tenant_id = $1 AND id = $2`, tenantID, id); err != nil {
			return err
		}
		var drops pgx.Batch
		for _, st := range sqlq.Postgres.DropKeys(tenantID, id, contactd.DuplicateKeys(old), pgBool) {
			drops.Queue(st.Query, st.Args...)
		}
		if err := tx.SendBatch(ctx, &drops).Close(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM changes WHERE tenant_id = $1 AND contact_id = $2`, tenantID, id); err != nil {
			return err
		}
		// The merges into it hold what it was: they go with it.
		if _, err := tx.Exec(ctx, `DELETE FROM contact_merges WHERE tenant_id = $1 AND target_id = $2`, tenantID, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlq.Postgres.EraseCard(), tenantID, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlq.Postgres.DeletePhoto(), tenantID, id); err != nil {
			return err
		}
		// The webhook messages about it keep their attempts, not their bodies.
		if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET body = NULL WHERE tenant_id = $1 AND contact_id = $2`, tenantID, id); err != nil {
			return err
		}
		return insertChanges(ctx, tx, tenantID, last, change)
	}))
}
