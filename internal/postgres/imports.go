package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlq"
)

// CreateImport implements contactd.Store.
func (s *Store) CreateImport(ctx context.Context, im *contactd.Import) error {
	doc, err := sqlq.EncodeImport(im)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO imports (tenant_id, id, status, doc) VALUES ($1, $2, $3, $4)`, im.TenantID, im.ID, im.Status, doc)
	return interpretError(err)
}

// Import implements contactd.Store.
func (s *Store) Import(ctx context.Context, tenantID, id string) (*contactd.Import, error) {
	var doc []byte
	err := s.pool.QueryRow(ctx, `SELECT doc::text FROM imports WHERE tenant_id = $1 AND id = $2`, tenantID, id).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
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
	return collect(func(row pgx.Row) (*contactd.Import, error) {
		var doc []byte
		if err := row.Scan(&doc); err != nil {
			return nil, err
		}
		return sqlq.DecodeImport(p.TenantID, doc)
	})(s.pool.Query(ctx, `SELECT doc::text FROM imports WHERE tenant_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, p.TenantID, after, p.Limit))
}

// UpdateImport implements contactd.Store.
func (s *Store) UpdateImport(ctx context.Context, im *contactd.Import, errs []contactd.ImportRowError) error {
	return interpretError(s.inTx(ctx, func(tx pgx.Tx) error { return updateImport(ctx, tx, im, errs) }))
}

// updateImport writes a job's state and errors if it has not ended.
func updateImport(ctx context.Context, tx pgx.Tx, im *contactd.Import, errs []contactd.ImportRowError) error {
	doc, err := sqlq.EncodeImport(im)
	if err != nil {
		return err
	}
	tag, err := tx.Exec(ctx, `UPDATE imports SET status = $1, doc = $2 WHERE tenant_id = $3 AND id = $4 AND status IN ('queued', 'running')`,
		im.Status, doc, im.TenantID, im.ID)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return sqlq.ImportEnded(im.ID)
	}
	if len(errs) == 0 {
		return nil
	}
	var last int64
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM import_errors WHERE tenant_id = $1 AND import_id = $2`,
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
		rows[i] = []any{im.TenantID, im.ID, errs[i].Seq, b}
	}
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"import_errors"}, []string{"tenant_id", "import_id", "seq", "doc"}, pgx.CopyFromRows(rows))
	return err
}

// ImportErrors implements contactd.Store.
func (s *Store) ImportErrors(ctx context.Context, p contactd.ImportErrorsParams) ([]contactd.ImportRowError, error) {
	return collect(func(row pgx.Row) (contactd.ImportRowError, error) {
		var e contactd.ImportRowError
		var seq int64
		var doc []byte
		if err := row.Scan(&seq, &doc); err != nil {
			return e, err
		}
		err := sqlq.Unmarshal("import error", doc, &e)
		e.Seq = seq
		return e, err
	})(s.pool.Query(ctx, `SELECT seq, doc::text FROM import_errors WHERE tenant_id = $1 AND import_id = $2 AND seq > $3 ORDER BY seq LIMIT $4`,
		p.TenantID, p.ImportID, p.After, p.Limit))
}

// CancelImport implements contactd.Store.
func (s *Store) CancelImport(ctx context.Context, tenantID, id string, at time.Time) (*contactd.Import, error) {
	var im *contactd.Import
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var doc []byte
		err := tx.QueryRow(ctx, `SELECT doc::text FROM imports WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenantID, id).Scan(&doc)
		if errors.Is(err, pgx.ErrNoRows) {
			return contactd.Errorf(contactd.ENotFound, "import %q not found", id)
		}
		if err != nil {
			return err
		}
		var out []byte
		if im, out, err = sqlq.CancelledImport(tenantID, doc, at); err != nil || out == nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE imports SET status = $1, doc = $2 WHERE tenant_id = $3 AND id = $4`, im.Status, out, tenantID, id)
		return err
	})
	return im, interpretError(err)
}
