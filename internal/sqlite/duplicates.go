package sqlite

import (
	"context"
	"database/sql"
	"slices"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlq"
)

// DuplicatePartners implements contactd.Store.
func (s *Store) DuplicatePartners(ctx context.Context, tenantID, id string, limit int) ([]string, error) {
	ids, err := collect(scanString)(s.queryList(ctx, sqlq.SQLite.DuplicatePartners(), []any{tenantID, id, id}))
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return ids[:min(len(ids), limit)], nil
}

// DuplicatePairs implements contactd.Store.
func (s *Store) DuplicatePairs(ctx context.Context, tenantID, after string, limit int) ([]contactd.IDPair, error) {
	return collect(func(r rowScanner) (contactd.IDPair, error) {
		var p contactd.IDPair
		err := r.Scan(&p.A, &p.B)
		return p, err
	})(s.queryList(ctx, sqlq.SQLite.DuplicatePairs(), []any{tenantID, after, limit}))
}

// DismissDuplicates implements contactd.Store.
func (s *Store) DismissDuplicates(ctx context.Context, tenantID string, ids []string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		x := &txExec{ctx: ctx, tx: tx, s: s}
		found, err := collect(scanString)(x.QueryContext(ctx, sqlq.SQLite.ContactIDsOf(len(ids)), sqlq.InArgs(tenantID, ids)...))
		if err != nil {
			return err
		}
		if err := sqlq.MissingContact(ids, found); err != nil {
			return err
		}
		for _, p := range sqlq.Pairs(ids) {
			if err := x.exec(sqlq.SQLite.DismissPair(), tenantID, p.A, p.B); err != nil {
				return err
			}
		}
		return nil
	})
}

// IndexDuplicates implements contactd.Store.
func (s *Store) IndexDuplicates(ctx context.Context, tenantID string, ids []string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		x := &txExec{ctx: ctx, tx: tx, s: s}
		if _, _, err := s.lockTenant(ctx, x, tenantID, 0); err != nil {
			return err
		}
		cs, err := sqlq.InChunks(ids, func(ids []string) ([]*contactd.Contact, error) {
			return collect(scanContact)(x.QueryContext(ctx, sqlq.SQLite.ContactsOf(contactColumns, len(ids)), sqlq.InArgs(tenantID, ids)...))
		})
		if err != nil {
			return err
		}
		var r rowSet
		for _, c := range cs {
			if err := x.clearDuplicates(tenantID, c.ID); err != nil {
				return err
			}
			if keys := sqlq.DupKeyRows(tenantID, c, func(b bool) any { return boolInt(b) }); len(keys) > 0 {
				r.dupKeys = append(r.dupKeys, keys...)
				r.tenantID, r.paired = tenantID, append(r.paired, c.ID)
			}
		}
		return r.write(x)
	})
}

// LastMerge implements contactd.Store.
func (s *Store) LastMerge(ctx context.Context, tenantID, targetID string) (*contactd.Merge, error) {
	var doc string
	if err := s.queryRow(ctx, sqlq.SQLite.LastMerge(), tenantID, targetID).Scan(&doc); err != nil {
		return nil, interpretError(err)
	}
	return sqlq.DecodeMerge([]byte(doc))
}

func (b *batchWriter) WriteMerge(m *contactd.MergeWrite) error {
	sts, err := sqlq.SQLite.MergeStatements(b.tenantID, m)
	if err != nil {
		return err
	}
	for _, st := range sts {
		if err := b.x.exec(st.Query, st.Args...); err != nil {
			return err
		}
	}
	return nil
}

// ContactsWithKey implements contactd.Store.
func (s *Store) ContactsWithKey(ctx context.Context, tenantID, key string, limit int) ([]*contactd.Contact, error) {
	return collect(scanContact)(s.queryList(ctx, sqlq.SQLite.ContactsWithKey(contactColumns), []any{tenantID, key, limit}))
}
