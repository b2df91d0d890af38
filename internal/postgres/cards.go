package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlq"
)

// CardByName implements contactd.Store.
func (s *Store) CardByName(ctx context.Context, tenantID, name string) (*contactd.Card, error) {
	k, err := sqlq.ScanCard(s.pool.QueryRow(ctx, sqlq.Postgres.CardByName(), tenantID, name).Scan)
	if err != nil {
		return nil, interpretError(err)
	}
	return &k, nil
}

// Cards implements contactd.Store.
func (s *Store) Cards(ctx context.Context, tenantID string, contactIDs []string) ([]contactd.Card, error) {
	return sqlq.InChunks(contactIDs, func(ids []string) ([]contactd.Card, error) {
		return collect(scanCard)(s.pool.Query(ctx, sqlq.Postgres.CardsOf(len(ids)), sqlq.InArgs(tenantID, ids)...))
	})
}

// CardsByName implements contactd.Store.
func (s *Store) CardsByName(ctx context.Context, tenantID string, names []string) ([]contactd.Card, error) {
	return sqlq.InChunks(names, func(ns []string) ([]contactd.Card, error) {
		return collect(scanCard)(s.pool.Query(ctx, sqlq.Postgres.CardsNamed(len(ns)), sqlq.InArgs(tenantID, ns)...))
	})
}

// CardContacts implements contactd.Store.
func (s *Store) CardContacts(ctx context.Context, tenantID string, ids []string) ([]*contactd.Contact, error) {
	return sqlq.InChunks(ids, func(ids []string) ([]*contactd.Contact, error) {
		return collect(scanContact)(s.pool.Query(ctx, sqlq.Postgres.ContactsOf(contactColumns, len(ids)), sqlq.InArgs(tenantID, ids)...))
	})
}

func scanCard(r pgx.Row) (contactd.Card, error) { return sqlq.ScanCard(r.Scan) }

// CardEntries implements contactd.Store.
func (s *Store) CardEntries(ctx context.Context, tenantID, afterID string, limit int) ([]contactd.CardEntry, error) {
	return collect(func(r pgx.Row) (contactd.CardEntry, error) {
		var e contactd.CardEntry
		err := r.Scan(&e.ContactID, &e.Version, &e.Name)
		return e, err
	})(s.pool.Query(ctx, sqlq.Postgres.CardEntries(), tenantID, afterID, limit))
}

// writeCard stores the card a client wrote for a contact, in the contact's
// write: its name is taken from a card whose contact is no longer live.
func writeCard(ctx context.Context, tx pgx.Tx, tenantID string, k *contactd.Card) error {
	var holder string
	var live bool
	err := tx.QueryRow(ctx, sqlq.Postgres.CardNameHolder(), tenantID, k.Name).Scan(&holder, &live)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return err
	case holder != k.ContactID && live:
		return sqlq.CardHolderConflict(holder, k.Name)
	case holder != k.ContactID:
		if _, err := tx.Exec(ctx, sqlq.Postgres.DeleteCard(), tenantID, holder); err != nil {
			return err
		}
	}
	_, err = tx.Exec(ctx, sqlq.Postgres.UpsertCard(), sqlq.CardArgs(tenantID, k)...)
	return err
}

// Photo implements contactd.Store.
func (s *Store) Photo(ctx context.Context, tenantID, contactID string) (*contactd.PhotoData, error) {
	var d contactd.PhotoData
	if err := s.pool.QueryRow(ctx, sqlq.Postgres.PhotoOf(), tenantID, contactID).Scan(&d.ContentType, &d.Data); err != nil {
		return nil, interpretError(err)
	}
	return &d, nil
}
