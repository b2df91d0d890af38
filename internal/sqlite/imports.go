package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlq"
)

// CreateImport implements contactd.Store.
func (s *Store) CreateImport(ctx context.Context, im *contactd.Import) error {
	doc, err := sqlq.EncodeImport(im)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO imports (tenant_id, id, status, doc) VALUES (?, ?, ?, ?)`, im.TenantID, im.ID, im.Status, string(doc))
		return err
	})
}

// Import implements contactd.Store.
func (s *Store) Import(ctx context.Context, tenantID, id string) (*contactd.Import, error) {
	var doc []byte
	err := s.queryRow(ctx, `SELECT doc FROM imports WHERE tenant_id = ? AND id = ?`, tenantID, id).Scan(&doc)
	if err == sql.ErrNoRows {
		return nil, contactd.Errorf(contactd.ENotFound, "import %q not found", id)
	}
	if err != nil {
		return nil, interpretError(err)
	}
	return sqlq.DecodeImport(tenantID, doc)
}

// Imports implements contactd.Store.
func (s *Store) Imports(ctx context.Context, p contactd.ImportsParams) ([]*contactd.Import, error) {
	after := p.After
	if after == "" {
		after = "\U0010FFFF"
	}
	return collect(func(row rowScanner) (*contactd.Import, error) {
		var doc []byte
		if err := row.Scan(&doc); err != nil {
			return nil, err
		}
		return sqlq.DecodeImport(p.TenantID, doc)
	})(s.read.QueryContext(ctx, `SELECT doc FROM imports WHERE tenant_id = ? AND id < ? ORDER BY id DESC LIMIT ?`, p.TenantID, after, p.Limit))
}

// UpdateImport implements contactd.Store.
func (s *Store) UpdateImport(ctx context.Context, im *contactd.Import, errs []contactd.ImportRowError) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return (&txExec{ctx: ctx, tx: tx, s: s}).updateImport(im, errs)
	})
}

// updateImport writes a job's state and errors if it has not ended.
func (x *txExec) updateImport(im *contactd.Import, errs []contactd.ImportRowError) error {
	doc, err := sqlq.EncodeImport(im)
	if err != nil {
		return err
	}
	res, err := x.tx.ExecContext(x.ctx, `UPDATE imports SET status = ?, doc = ? WHERE tenant_id = ? AND id = ? AND status IN ('queued', 'running')`,
		im.Status, string(doc), im.TenantID, im.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return sqlq.ImportEnded(im.ID)
	}
	if len(errs) == 0 {
		return nil
	}
	var last int64
	if err := x.tx.QueryRowContext(x.ctx, `SELECT COALESCE(MAX(seq), 0) FROM import_errors WHERE tenant_id = ? AND import_id = ?`,
		im.TenantID, im.ID).Scan(&last); err != nil {
		return err
	}
	rows := make([][]any, len(errs))
	for i := range errs {
		errs[i].Seq = last + int64(i) + 1
		b, err := json.Marshal(errs[i])
		if err != nil {
			return err
		}
		rows[i] = []any{im.TenantID, im.ID, errs[i].Seq, string(b)}
	}
	return x.insertRows("import_errors", rows)
}

// ImportErrors implements contactd.Store.
func (s *Store) ImportErrors(ctx context.Context, p contactd.ImportErrorsParams) ([]contactd.ImportRowError, error) {
	return collect(func(row rowScanner) (contactd.ImportRowError, error) {
		var e contactd.ImportRowError
		var doc []byte
		if err := row.Scan(&e.Seq, &doc); err != nil {
			return e, err
		}
		seq := e.Seq
		err := sqlq.Unmarshal("import error", doc, &e)
		e.Seq = seq
		return e, err
	})(s.read.QueryContext(ctx, `SELECT seq, doc FROM import_errors WHERE tenant_id = ? AND import_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
		p.TenantID, p.ImportID, p.After, p.Limit))
}

// CancelImport implements contactd.Store.
func (s *Store) CancelImport(ctx context.Context, tenantID, id string, at time.Time) (*contactd.Import, error) {
	var im *contactd.Import
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var doc []byte
		err := tx.QueryRowContext(ctx, `SELECT doc FROM imports WHERE tenant_id = ? AND id = ?`, tenantID, id).Scan(&doc)
		if err == sql.ErrNoRows {
			return contactd.Errorf(contactd.ENotFound, "import %q not found", id)
		}
		if err != nil {
			return err
		}
		var out []byte
		if im, out, err = sqlq.CancelledImport(tenantID, doc, at); err != nil || out == nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE imports SET status = ?, doc = ? WHERE tenant_id = ? AND id = ?`, im.Status, string(out), tenantID, id)
		return err
	})
	return im, err
}
