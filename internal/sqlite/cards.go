package sqlite

import (
	"context"
	"database/sql"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlq"
)

// CardByName implements contactd.Store.
func (s *Store) CardByName(ctx context.Context, tenantID, name string) (*contactd.Card, error) {
	k, err := sqlq.ScanCard(s.queryRow(ctx, sqlq.SQLite.CardByName(), tenantID, name).Scan)
	if err != nil {
		return nil, interpretError(err)
	}
	return &k, nil
}

// Cards implements contactd.Store.
func (s *Store) Cards(ctx context.Context, tenantID string, contactIDs []string) ([]contactd.Card, error) {
	return sqlq.InChunks(contactIDs, func(ids []string) ([]contactd.Card, error) {
		return collect(scanCard)(s.queryList(ctx, sqlq.SQLite.CardsOf(len(ids)), sqlq.InArgs(tenantID, ids)))
	})
}

// CardsByName implements contactd.Store.
func (s *Store) CardsByName(ctx context.Context, tenantID string, names []string) ([]contactd.Card, error) {
	return sqlq.InChunks(names, func(ns []string) ([]contactd.Card, error) {
		return collect(scanCard)(s.queryList(ctx, sqlq.SQLite.CardsNamed(len(ns)), sqlq.InArgs(tenantID, ns)))
	})
}

// CardContacts implements contactd.Store.
func (s *Store) CardContacts(ctx context.Context, tenantID string, ids []string) ([]*contactd.Contact, error) {
	return sqlq.InChunks(ids, func(ids []string) ([]*contactd.Contact, error) {
		return collect(scanContact)(s.queryList(ctx, sqlq.SQLite.ContactsOf(contactColumns, len(ids)), sqlq.InArgs(tenantID, ids)))
	})
}

func scanCard(r rowScanner) (contactd.Card, error) { return sqlq.ScanCard(r.Scan) }

// CardEntries implements contactd.Store.
func (s *Store) CardEntries(ctx context.Context, tenantID, afterID string, limit int) ([]contactd.CardEntry, error) {
	return collect(func(r rowScanner) (contactd.CardEntry, error) {
		var e contactd.CardEntry
		err := r.Scan(&e.ContactID, &e.Version, &e.Name)
		return e, err
	})(s.queryList(ctx, sqlq.SQLite.CardEntries(), []any{tenantID, afterID, limit}))
}

// writeCard stores the card a client wrote for a contact, in the contact's
// write: its name is taken from a card whose contact is no longer live.
func (x *txExec) writeCard(tenantID string, k *contactd.Card) error {
	var holder string
	var live bool
	err := x.QueryRowContext(x.ctx, sqlq.SQLite.CardNameHolder(), tenantID, k.Name).Scan(&holder, &live)
	switch {
	case err == sql.ErrNoRows:
	case err != nil:
		return err
	case holder != k.ContactID && live:
		return sqlq.CardHolderConflict(holder, k.Name)
	case holder != k.ContactID:
		if err := x.exec(sqlq.SQLite.DeleteCard(), tenantID, holder); err != nil {
			return err
		}
	}
	return x.exec(sqlq.SQLite.UpsertCard(), sqlq.CardArgs(tenantID, k)...)
}

// Photo implements contactd.Store.
func (s *Store) Photo(ctx context.Context, tenantID, contactID string) (*contactd.PhotoData, error) {
	var d contactd.PhotoData
	if err := s.queryRow(ctx, sqlq.SQLite.PhotoOf(), tenantID, contactID).Scan(&d.ContentType, &d.Data); err != nil {
		return nil, interpretError(err)
	}
	return &d, nil
}
