package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/contactd/contactd"
)

// segmentColumns are the columns of segments s, with the live member count
// of a static segment (NULL for a dynamic one).
const segmentColumns = `s.id, s.name, s.description, s.kind, s.filter, s.created_at, s.updated_at,
	CASE WHEN s.kind = 'static' THEN (SELECT COUNT(*) FROM segment_members m
		JOIN contacts c ON c.tenant_id = m.tenant_id AND c.id = m.contact_id
		WHERE m.tenant_id = s.tenant_id AND m.segment_id = s.id AND c.deleted_at IS NULL) END`

// segmentColumnsNoCount are segmentColumns without the count.
const segmentColumnsNoCount = `s.id, s.name, s.description, s.kind, s.filter, s.created_at, s.updated_at, NULL::bigint`

func scanSegment(tenantID string, row pgx.Row) (*contactd.Segment, error) {
	sg := &contactd.Segment{TenantID: tenantID}
	var filter *string
	var count *int64
	if err := row.Scan(&sg.ID, &sg.Name, &sg.Description, &sg.Kind, &filter, &sg.CreatedAt, &sg.UpdatedAt, &count); err != nil {
		return nil, interpretError(err)
	}
	if filter != nil {
		sg.Filter = json.RawMessage(*filter)
	}
	if count != nil {
		n := int(*count)
		sg.MemberCount = &n
	}
	sg.CreatedAt, sg.UpdatedAt = sg.CreatedAt.UTC(), sg.UpdatedAt.UTC()
	return sg, nil
}

// querySegments scans the rows of a query of segmentColumns.
func querySegments(tenantID string) func(pgx.Rows, error) ([]*contactd.Segment, error) {
	return collect(func(row pgx.Row) (*contactd.Segment, error) { return scanSegment(tenantID, row) })
}

func nullJSON(raw json.RawMessage) any {
	if raw == nil {
		return nil
	}
	return string(raw)
}

// CreateSegment implements contactd.Store.
func (s *Store) CreateSegment(ctx context.Context, sg *contactd.Segment) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO segments (tenant_id, id, name, description, kind, filter, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		sg.TenantID, sg.ID, sg.Name, sg.Description, sg.Kind, nullJSON(sg.Filter), sg.CreatedAt, sg.UpdatedAt)
	return interpretError(err)
}

// Segment implements contactd.Store.
func (s *Store) Segment(ctx context.Context, tenantID, id string) (*contactd.Segment, error) {
	return scanSegment(tenantID, s.pool.QueryRow(ctx, `SELECT `+segmentColumns+` FROM segments s WHERE s.tenant_id = $1 AND s.id = $2`, tenantID, id))
}

func segmentsWhere(p contactd.SegmentsParams, after bool) (string, []any) {
	q := ` FROM segments s WHERE s.tenant_id = $1`
	args := []any{p.TenantID}
	if p.Kind != "" {
		args = append(args, p.Kind)
		q += fmt.Sprintf(` AND s.kind = $%d`, len(args))
	}
	if after && p.After != "" {
		args = append(args, p.After)
		q += fmt.Sprintf(` AND s.id > $%d`, len(args))
	}
	return q, args
}

// Segments implements contactd.Store.
func (s *Store) Segments(ctx context.Context, p contactd.SegmentsParams) ([]*contactd.Segment, error) {
	where, args := segmentsWhere(p, true)
	args = append(args, p.Limit)
	return querySegments(p.TenantID)(s.pool.Query(ctx, `SELECT `+segmentColumns+where+fmt.Sprintf(` ORDER BY s.id LIMIT $%d`, len(args)), args...))
}

// CountSegments implements contactd.Store.
func (s *Store) CountSegments(ctx context.Context, p contactd.SegmentsParams) (int, error) {
	where, args := segmentsWhere(p, false)
	var n int
	err := s.pool.QueryRow(ctx, `SELECT COUNT(*)`+where, args...).Scan(&n)
	return n, interpretError(err)
}

// SegmentsByID implements contactd.Store.
func (s *Store) SegmentsByID(ctx context.Context, tenantID string, ids []string) ([]*contactd.Segment, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return querySegments(tenantID)(s.pool.Query(ctx, `SELECT `+segmentColumnsNoCount+` FROM segments s WHERE s.tenant_id = $1 AND s.id = ANY($2) ORDER BY s.id`, tenantID, ids))
}

// SegmentsOfContact implements contactd.Store.
func (s *Store) SegmentsOfContact(ctx context.Context, tenantID, contactID string) ([]*contactd.Segment, error) {
	return querySegments(tenantID)(s.pool.Query(ctx, `SELECT `+segmentColumns+` FROM segment_members sm
		JOIN segments s ON s.tenant_id = sm.tenant_id AND s.id = sm.segment_id
		WHERE sm.tenant_id = $1 AND sm.contact_id = $2 ORDER BY s.id`, tenantID, contactID))
}

// UpdateSegment implements contactd.Store.
func (s *Store) UpdateSegment(ctx context.Context, p contactd.UpdateSegmentParams) (*contactd.Segment, error) {
	var sg *contactd.Segment
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE segments SET name = COALESCE($1, name), description = COALESCE($2, description),
			filter = COALESCE($3, filter), updated_at = $4 WHERE tenant_id = $5 AND id = $6`,
			p.Name, p.Description, nullJSON(p.Filter), p.At, p.TenantID, p.ID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return contactd.Errorf(contactd.ENotFound, "segment %q not found", p.ID)
		}
		sg, err = scanSegment(p.TenantID, tx.QueryRow(ctx, `SELECT `+segmentColumns+` FROM segments s WHERE s.tenant_id = $1 AND s.id = $2`, p.TenantID, p.ID))
		return err
	})
	return sg, interpretError(err)
}

// DeleteSegment implements contactd.Store.
func (s *Store) DeleteSegment(ctx context.Context, tenantID, id string) error {
	return interpretError(s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM segments WHERE tenant_id = $1 AND id = $2`, tenantID, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return contactd.Errorf(contactd.ENotFound, "segment %q not found", id)
		}
		_, err = tx.Exec(ctx, `DELETE FROM segment_members WHERE tenant_id = $1 AND segment_id = $2`, tenantID, id)
		return err
	}))
}

// AddSegmentMembers implements contactd.Store.
func (s *Store) AddSegmentMembers(ctx context.Context, p contactd.SegmentMembersParams) ([]string, error) {
	return s.changeMembers(ctx, p, true)
}

// RemoveSegmentMembers implements contactd.Store.
func (s *Store) RemoveSegmentMembers(ctx context.Context, p contactd.SegmentMembersParams) ([]string, error) {
	return s.changeMembers(ctx, p, false)
}

// errRollback ends a transaction that found nothing to write.
var errRollback = errors.New("rolled back")

// changeMembers checks that every id is a contact of the tenant (a live one
// to add), then adds or removes the memberships. The segment row is locked
// first, so that a concurrent delete of the segment leaves no members behind.
func (s *Store) changeMembers(ctx context.Context, p contactd.SegmentMembersParams, add bool) ([]string, error) {
	var missing []string
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		missing = nil
		tag, err := tx.Exec(ctx, `UPDATE segments SET updated_at = $1 WHERE tenant_id = $2 AND id = $3 AND kind = 'static'`, p.At, p.TenantID, p.SegmentID)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return contactd.Errorf(contactd.ENotFound, "static segment %q not found", p.SegmentID)
		}
		live := ""
		if add {
			live = " AND c.deleted_at IS NULL"
		}
		// FOR KEY SHARE keeps the contacts from being erased before commit.
		missing, err = collect(scanString)(tx.Query(ctx, `SELECT i.id FROM unnest($2::text[]) WITH ORDINALITY AS i(id, n)
			LEFT JOIN LATERAL (SELECT 1 AS ok FROM contacts c WHERE c.tenant_id = $1 AND c.id = i.id`+live+` FOR KEY SHARE) c ON true
			WHERE c.ok IS NULL ORDER BY i.n`, p.TenantID, p.ContactIDs))
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			return errRollback
		}
		if add {
			_, err = tx.Exec(ctx, `INSERT INTO segment_members (tenant_id, segment_id, contact_id)
				SELECT $1, $2, id FROM unnest($3::text[]) AS i(id) ON CONFLICT DO NOTHING`, p.TenantID, p.SegmentID, p.ContactIDs)
		} else {
			_, err = tx.Exec(ctx, `DELETE FROM segment_members WHERE tenant_id = $1 AND segment_id = $2 AND contact_id = ANY($3)`,
				p.TenantID, p.SegmentID, p.ContactIDs)
		}
		return err
	})
	if errors.Is(err, errRollback) {
		return missing, nil
	}
	return nil, interpretError(err)
}
