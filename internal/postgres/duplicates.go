package postgres

import (
	"context"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlq"
)

// DuplicatePartners implements contactd.Store.
func (s *Store) DuplicatePartners(ctx context.Context, tenantID, id string, limit int) ([]string, error) {
	ids, err := collect(scanString)(s.pool.Query(ctx, sqlq.Postgres.DuplicatePartners(), tenantID, id, id))
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	return ids[:min(len(ids), limit)], nil
}

// DuplicatePairs implements contactd.Store.
func (s *Store) DuplicatePairs(ctx context.Context, tenantID, after string, limit int) ([]contactd.IDPair, error) {
	return collect(func(r pgx.Row) (contactd.IDPair, error) {
		var p contactd.IDPair
		err := r.Scan(&p.A, &p.B)
		return p, err
	})(s.pool.Query(ctx, sqlq.Postgres.DuplicatePairs(), tenantID, after, limit))
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
func (s *Store) IndexDuplicates(ctx context.Context, tenantID string, ids []string) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := lockTenantSeq(ctx, tx, tenantID); err != nil {
			return err
		}
		cs, err := sqlq.InChunks(ids, func(ids []string) ([]*contactd.Contact, error) {
			return collect(scanContact)(tx.Query(ctx, sqlq.Postgres.ContactsOf(contactColumns, len(ids)), sqlq.InArgs(tenantID, ids)...))
		})
		if err != nil {
			return err
		}
		var b pgx.Batch
		var r rowSet
		for _, c := range cs {
			for _, q := range sqlq.Postgres.ClearDuplicates() {
				b.Queue(q, tenantID, c.ID)
			}
			if keys := sqlq.DupKeyRows(tenantID, c, func(b bool) any { return b }); len(keys) > 0 {
				r.dupKeys = append(r.dupKeys, keys...)
				r.tenantID, r.paired = tenantID, append(r.paired, c.ID)
			}
		}
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return err
		}
		return r.insert(ctx, tx)
	})
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

// ContactsWithKey implements contactd.Store.
func (s *Store) ContactsWithKey(ctx context.Context, tenantID, key string, limit int) ([]*contactd.Contact, error) {
	return collect(scanContact)(s.pool.Query(ctx, sqlq.Postgres.ContactsWithKey(contactColumns), tenantID, key, limit))
}
