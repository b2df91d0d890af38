package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/contactd/contactd"
)

// UpdateTenant implements contactd.Store. It locks the tenant row first, as
// every contact write does, so no write slips a shared number in between the
// check and the switch.
func (s *Store) UpdateTenant(ctx context.Context, t *contactd.Tenant) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var id string
		if err := tx.QueryRow(ctx, `SELECT id FROM tenants WHERE id = $1 FOR UPDATE`, t.ID).Scan(&id); err != nil {
			return err
		}
		if t.UniquePhones {
			rows, err := tx.Query(ctx, `SELECT e164, string_agg(DISTINCT contact_id, ',') FROM contact_phones
				WHERE tenant_id = $1 AND live GROUP BY e164 HAVING COUNT(DISTINCT contact_id) > 1 ORDER BY e164 LIMIT $2`, t.ID, contactd.MaxListedSharedNumbers)
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
		_, err := tx.Exec(ctx, `UPDATE tenants SET name = $1, default_region = $2, unique_phones = $3 WHERE id = $4`,
			t.Name, t.DefaultRegion, t.UniquePhones, t.ID)
		return err
	})
	if c, ok := constraintOf(err); ok && c == "tenants_name" {
		return &contactd.Error{Code: contactd.EConflict, Message: fmt.Sprintf("a tenant named %q exists", t.Name), ConflictingField: "name"}
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return contactd.Errorf(contactd.ENotFound, "tenant %q not found", t.ID)
	}
	return interpretError(err)
}
