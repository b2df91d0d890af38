package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlq"
)

// DuplicateMembers implements contactd.Store.
func (s *Store) DuplicateMembers(ctx context.Context, tenantID string, keys []string) (map[string][]contactd.DupMember, error) {
	out := make(map[string][]contactd.DupMember, len(keys))
	for _, k := range keys {
		ms, err := collect(scanMember)(s.pool.Query(ctx, sqlq.Postgres.BlockMembers(), tenantID, k))
		if err != nil {
			return nil, err
		}
		out[k] = ms
	}
	return out, nil
}

func scanMember(r pgx.Row) (contactd.DupMember, error) {
	var m contactd.DupMember
	err := r.Scan(&m.ID, &m.Weak)
	return m, err
}

// DuplicateBlocks implements contactd.Store.
func (s *Store) DuplicateBlocks(ctx context.Context, tenantID, after string, limit int) ([]contactd.DupBlock, error) {
	keys, err := collect(scanString)(s.pool.Query(ctx, sqlq.Postgres.Blocks(), tenantID, after, limit))
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
		return collect(func(r pgx.Row) (contactd.IDPair, error) {
			var p contactd.IDPair
			err := r.Scan(&p.A, &p.B)
			return p, err
		})(s.pool.Query(ctx, sqlq.Postgres.Dismissals(len(ids)), sqlq.InArgs(tenantID, ids)...))
	})
}

// DismissDuplicates implements contactd.Store.
func (s *Store) DismissDuplicates(ctx context.Context, tenantID string, ids []string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		found, err := collect(scanString)(tx.Query(ctx, sqlq.Postgres.ContactIDsOf(len(ids)), sqlq.InArgs(tenantID, ids)...))
		if err != nil {
			return err
		}
		if err := sqlq.MissingContact(ids, found); err != nil {
			return err
		}
		var b pgx.Batch
		for _, p := range sqlq.Pairs(ids) {
			b.Queue(sqlq.Postgres.DismissPair(), tenantID, p.A, p.B)
		}
		return tx.SendBatch(ctx, &b).Close()
	})
}

// IndexDuplicates implements contactd.Store.
func (s *Store) IndexDuplicates(ctx context.Context, tenantID string, ids []string, first bool) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := lockTenantSeq(ctx, tx, tenantID); err != nil {
			return err
		}
		if first {
			for _, q := range sqlq.Postgres.ClearDuplicateKeys() {
				if _, err := tx.Exec(ctx, q, tenantID); err != nil {
					return err
				}
			}
		}
		cs, err := sqlq.InChunks(ids, func(ids []string) ([]*contactd.Contact, error) {
			return collect(scanContact)(tx.Query(ctx, sqlq.Postgres.ContactsOf(contactColumns, len(ids)), sqlq.InArgs(tenantID, ids)...))
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
		return r.insert(ctx, tx)
	})
}

// ContactsWithKey implements contactd.Store.
func (s *Store) ContactsWithKey(ctx context.Context, tenantID, key string, limit int) ([]*contactd.Contact, error) {
	return collect(scanContact)(s.pool.Query(ctx, sqlq.Postgres.ContactsWithKey(contactColumns), tenantID, key, limit))
}

// LastMerge implements contactd.Store.
func (s *Store) LastMerge(ctx context.Context, tenantID, targetID string) (*contactd.Merge, error) {
	var doc string
	if err := s.pool.QueryRow(ctx, sqlq.Postgres.LastMerge(), tenantID, targetID).Scan(&doc); err != nil {
		return nil, interpretError(err)
	}
	return sqlq.DecodeMerge([]byte(doc))
}

func (b *batchWriter) WriteMerge(m *contactd.MergeWrite) error {
	sts, err := sqlq.Postgres.MergeStatements(b.tenantID, m)
	if err != nil {
		return err
	}
	var batch pgx.Batch
	for _, st := range sts {
		batch.Queue(st.Query, st.Args...)
	}
	return b.tx.SendBatch(b.ctx, &batch).Close()
}

// StartRescan implements contactd.Store.
func (s *Store) StartRescan(ctx context.Context, r *contactd.Rescan, staleBefore time.Time) error {
	args, err := sqlq.Postgres.RescanArgs(r)
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, sqlq.Postgres.StartRescan(), append(args, staleBefore.UTC())...)
	if err != nil {
		return interpretError(err)
	}
	if tag.RowsAffected() == 0 {
		return contactd.Errorf(contactd.EConflict, "a rescan runs")
	}
	return nil
}

// SaveRescan implements contactd.Store.
func (s *Store) SaveRescan(ctx context.Context, r *contactd.Rescan) error {
	args, err := sqlq.Postgres.RescanArgs(r)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, sqlq.Postgres.SaveRescan(), args[1], args[2], args[3], args[0])
	return interpretError(err)
}

// LastRescan implements contactd.Store.
func (s *Store) LastRescan(ctx context.Context, tenantID string) (*contactd.Rescan, error) {
	var doc string
	if err := s.pool.QueryRow(ctx, sqlq.Postgres.LastRescan(), tenantID).Scan(&doc); err != nil {
		return nil, interpretError(err)
	}
	return sqlq.DecodeRescan(tenantID, []byte(doc))
}
