package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/contactd/contactd"
)

// UpdateTenant implements contactd.Store.
func (s *Store) UpdateTenant(ctx context.Context, t *contactd.Tenant) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var other string
		err := tx.QueryRowContext(ctx, `SELECT id FROM tenants WHERE name = ? AND id <> ?`, t.Name, t.ID).Scan(&other)
		if err == nil {
			return &contactd.Error{Code: contactd.EConflict, Message: fmt.Sprintf("a tenant named %q exists", t.Name), ConflictingID: other, ConflictingField: "name"}
		} else if err != sql.ErrNoRows {
			return err
		}
		if t.UniquePhones {
			rows, err := tx.QueryContext(ctx, `SELECT e164, group_concat(DISTINCT contact_id) FROM contact_phones
				WHERE tenant_id = ? AND live = 1 GROUP BY e164 HAVING COUNT(DISTINCT contact_id) > 1 ORDER BY e164 LIMIT ?`, t.ID, contactd.MaxListedSharedNumbers)
			if err != nil {
				return err
			}
			var shared []contactd.SharedNumber
			for rows.Next() {
				var e164, ids string
				if err := rows.Scan(&e164, &ids); err != nil {
					rows.Close()
					return err
				}
				shared = append(shared, contactd.SharedNumber{E164: e164, ContactIDs: strings.Split(ids, ",")})
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if len(shared) > 0 {
				return contactd.SharedNumbersError(shared)
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE tenants SET name = ?, default_region = ?, unique_phones = ? WHERE id = ?`,
			t.Name, t.DefaultRegion, boolInt(t.UniquePhones), t.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return contactd.Errorf(contactd.ENotFound, "tenant %q not found", t.ID)
		}
		return nil
	})
}
