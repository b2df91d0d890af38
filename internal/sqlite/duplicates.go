package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlq"
)

// DuplicateMembers implements contactd.Store.
func (s *Store) DuplicateMembers(ctx context.Context, tenantID string, keys []string) (map[string][]contactd.DupMember, error) {
	out := make(map[string][]contactd.DupMember, len(keys))
	for _, k := range keys {
		ms, err := collect(scanMember)(s.queryList(ctx, sqlq.SQLite.BlockMembers(), []any{tenantID, k}))
		if err != nil {
			return nil, err
		}
		out[k] = ms
	}
	return out, nil
}

func scanMember(r rowScanner) (contactd.DupMember, error) {
	var m contactd.DupMember
	err := r.Scan(&m.ID, &m.Weak)
	return m, err
}

// DuplicateBlocks implements contactd.Store.
func (s *Store) DuplicateBlocks(ctx context.Context, tenantID, after string, limit int) ([]contactd.DupBlock, error) {
	keys, err := collect(scanString)(s.queryList(ctx, sqlq.SQLite.Blocks(), []any{tenantID, after, limit}))
	if err != nil {
		return nil, err
	}
	members, err := s.DuplicateMembers(ctx, tenantID, keys)
	if err != nil {
		return nil, err
	}
	out := make([]contactd.DupBlock, len(keys))
	for i, k := range keys {
		out[i] = contactd.DupBlock{Key: k, Members: members[k]}
	}
	return out, nil
}

// Dismissals implements contactd.Store.
func (s *Store) Dismissals(ctx context.Context, tenantID string, ids []string) ([]contactd.IDPair, error) {
	return sqlq.InChunks(ids, func(ids []string) ([]contactd.IDPair, error) {
		return collect(func(r rowScanner) (contactd.IDPair, error) {
			var p contactd.IDPair
			err := r.Scan(&p.A, &p.B)
			return p, err
		})(s.queryList(ctx, sqlq.SQLite.Dismissals(len(ids)), sqlq.InArgs(tenantID, ids)))
	})
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
func (s *Store) IndexDuplicates(ctx context.Context, tenantID string, ids []string, first bool) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		x := &txExec{ctx: ctx, tx: tx, s: s}
		if _, _, err := s.lockTenant(ctx, x, tenantID, 0); err != nil {
			return err
		}
		if first {
			for _, q := range sqlq.SQLite.ClearDuplicateKeys() {
				if err := x.exec(q, tenantID); err != nil {
					return err
				}
			}
		}
		cs, err := sqlq.InChunks(ids, func(ids []string) ([]*contactd.Contact, error) {
			return collect(scanContact)(x.QueryContext(ctx, sqlq.SQLite.ContactsOf(contactColumns, len(ids)), sqlq.InArgs(tenantID, ids)...))
		})
		if err != nil {
			return err
		}
		var r rowSet
		for _, c := range cs {
			// Written anew: a write since the rescan began may have
			// written them already.
			r.addKeys(tenantID, nil, c, true)
		}
		return r.write(x)
	})
}

// ContactsWithKey implements contactd.Store.
func (s *Store) ContactsWithKey(ctx context.Context, tenantID, key string, limit int) ([]*contactd.Contact, error) {
	return collect(scanContact)(s.queryList(ctx, sqlq.SQLite.ContactsWithKey(contactColumns), []any{tenantID, key, limit}))
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

// StartRescan implements contactd.Store.
func (s *Store) StartRescan(ctx context.Context, r *contactd.Rescan, staleBefore time.Time) error {
	args, err := sqlq.SQLite.RescanArgs(r)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, sqlq.SQLite.StartRescan(), append(args, formatTime(staleBefore))...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return contactd.Errorf(contactd.EConflict, "a rescan runs")
		}
		return nil
	})
}

// SaveRescan implements contactd.Store.
func (s *Store) SaveRescan(ctx context.Context, r *contactd.Rescan) error {
	args, err := sqlq.SQLite.RescanArgs(r)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, sqlq.SQLite.SaveRescan(), args[1], args[2], args[3], args[0])
		return err
	})
}

// LastRescan implements contactd.Store.
func (s *Store) LastRescan(ctx context.Context, tenantID string) (*contactd.Rescan, error) {
	var doc string
	if err := s.queryRow(ctx, sqlq.SQLite.LastRescan(), tenantID).Scan(&doc); err != nil {
		return nil, interpretError(err)
	}
	return sqlq.DecodeRescan(tenantID, []byte(doc))
}
