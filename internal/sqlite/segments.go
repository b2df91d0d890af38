package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/contactd/contactd"
)

// segmentColumns are the columns of segments s, with the live member count
// of a static segment (NULL for a dynamic one).
const segmentColumns = `s.id, s.name, s.description, s.kind, s.filter, s.created_at, s.updated_at,
	CASE WHEN s.kind = 'static' THEN (SELECT COUNT(*) FROM segment_members m
		JOIN contacts c ON c.tenant_id = m.tenant_id AND c.id = m.contact_id
		WHERE m.tenant_id = s.tenant_id AND m.segment_id = s.id AND c.deleted_at IS NULL) END`

// segmentColumnsNoCount are segmentColumns without the count.
const segmentColumnsNoCount = `s.id, s.name, s.description, s.kind, s.filter, s.created_at, s.updated_at, NULL`

func scanSegment(tenantID string, row rowScanner) (*contactd.Segment, error) {
	sg := &contactd.Segment{TenantID: tenantID}
	var filter sql.NullString
	var created, updated string
	var count sql.NullInt64
	if err := row.Scan(&sg.ID, &sg.Name, &sg.Description, &sg.Kind, &filter, &created, &updated, &count); err != nil {
		return nil, interpretError(err)
	}
	if filter.Valid {
		sg.Filter = json.RawMessage(filter.String)
	}
	if count.Valid {
		n := int(count.Int64)
		sg.MemberCount = &n
	}
	var err error
	if sg.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	sg.UpdatedAt, err = parseTime(updated)
	return sg, err
}

// querySegments runs a query of segmentColumns.
func querySegments(ctx context.Context, db querier, tenantID, q string, args ...any) ([]*contactd.Segment, error) {
	return collect(func(row rowScanner) (*contactd.Segment, error) { return scanSegment(tenantID, row) })(db.QueryContext(ctx, q, args...))
}

func nullJSON(raw json.RawMessage) any {
	if raw == nil {
		return nil
	}
	return string(raw)
}

// CreateSegment implements contactd.Store.
func (s *Store) CreateSegment(ctx context.Context, sg *contactd.Segment) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO segments (tenant_id, id, name, description, kind, filter, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		sg.TenantID, sg.ID, sg.Name, sg.Description, sg.Kind, nullJSON(sg.Filter), formatTime(sg.CreatedAt), formatTime(sg.UpdatedAt))
	return interpretError(err)
}

// Segment implements contactd.Store.
func (s *Store) Segment(ctx context.Context, tenantID, id string) (*contactd.Segment, error) {
	return scanSegment(tenantID, s.read.QueryRowContext(ctx, `SELECT `+segmentColumns+` FROM segments s WHERE s.tenant_id = ? AND s.id = ?`, tenantID, id))
}

func segmentsWhere(p contactd.SegmentsParams, after bool) (string, []any) {
	q := ` FROM segments s WHERE s.tenant_id = ?`
	args := []any{p.TenantID}
	if p.Kind != "" {
		q += ` AND s.kind = ?`
		args = append(args, p.Kind)
	}
	if after && p.After != "" {
		q += ` AND s.id > ?`
		args = append(args, p.After)
	}
	return q, args
}

// Segments implements contactd.Store.
func (s *Store) Segments(ctx context.Context, p contactd.SegmentsParams) ([]*contactd.Segment, error) {
	where, args := segmentsWhere(p, true)
	return querySegments(ctx, s.read, p.TenantID, `SELECT `+segmentColumns+where+` ORDER BY s.id LIMIT ?`, append(args, p.Limit)...)
}

// CountSegments implements contactd.Store.
func (s *Store) CountSegments(ctx context.Context, p contactd.SegmentsParams) (int, error) {
	where, args := segmentsWhere(p, false)
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*)`+where, args...).Scan(&n)
	return n, interpretError(err)
}

// SegmentsByID implements contactd.Store.
func (s *Store) SegmentsByID(ctx context.Context, tenantID string, ids []string) ([]*contactd.Segment, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return querySegments(ctx, s.read, tenantID, `SELECT `+segmentColumnsNoCount+` FROM segments s
		WHERE s.tenant_id = ? AND s.id IN (`+placeholders(len(ids))+`) ORDER BY s.id`, append([]any{tenantID}, anys(ids)...)...)
}

// SegmentsOfContact implements contactd.Store.
func (s *Store) SegmentsOfContact(ctx context.Context, tenantID, contactID string) ([]*contactd.Segment, error) {
	return querySegments(ctx, s.read, tenantID, `SELECT `+segmentColumns+` FROM segment_members sm
		JOIN segments s ON s.tenant_id = sm.tenant_id AND s.id = sm.segment_id
		WHERE sm.tenant_id = ? AND sm.contact_id = ? ORDER BY s.id`, tenantID, contactID)
}

// UpdateSegment implements contactd.Store.
func (s *Store) UpdateSegment(ctx context.Context, p contactd.UpdateSegmentParams) (*contactd.Segment, error) {
	var sg *contactd.Segment
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE segments SET name = COALESCE(?, name), description = COALESCE(?, description),
			filter = COALESCE(?, filter), updated_at = ? WHERE tenant_id = ? AND id = ?`,
			p.Name, p.Description, nullJSON(p.Filter), formatTime(p.At), p.TenantID, p.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return contactd.Errorf(contactd.ENotFound, "segment %q not found", p.ID)
		}
		sg, err = scanSegment(p.TenantID, tx.QueryRowContext(ctx, `SELECT `+segmentColumns+` FROM segments s WHERE s.tenant_id = ? AND s.id = ?`, p.TenantID, p.ID))
		return err
	})
	return sg, err
}

// DeleteSegment implements contactd.Store.
func (s *Store) DeleteSegment(ctx context.Context, tenantID, id string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM segments WHERE tenant_id = ? AND id = ?`, tenantID, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return contactd.Errorf(contactd.ENotFound, "segment %q not found", id)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM segment_members WHERE tenant_id = ? AND segment_id = ?`, tenantID, id)
		return err
	})
}

// AddSegmentMembers implements contactd.Store.
func (s *Store) AddSegmentMembers(ctx context.Context, p contactd.SegmentMembersParams) ([]string, error) {
	return s.changeMembers(ctx, p, true)
}

// RemoveSegmentMembers implements contactd.Store.
func (s *Store) RemoveSegmentMembers(ctx context.Context, p contactd.SegmentMembersParams) ([]string, error) {
	return s.changeMembers(ctx, p, false)
}

// changeMembers checks that every id is a contact of the tenant (a live one
// to add), then adds or removes the memberships, from one JSON array
// parameter.
func (s *Store) changeMembers(ctx context.Context, p contactd.SegmentMembersParams, add bool) ([]string, error) {
	ids, err := json.Marshal(p.ContactIDs)
	if err != nil {
		return nil, err
	}
	var missing []string
	err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE segments SET updated_at = ? WHERE tenant_id = ? AND id = ? AND kind = 'static'`, formatTime(p.At), p.TenantID, p.SegmentID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return contactd.Errorf(contactd.ENotFound, "static segment %q not found", p.SegmentID)
		}
		live := ""
		if add {
			live = " AND c.deleted_at IS NULL"
		}
		missing, err = collect(scanString)(tx.QueryContext(ctx, `SELECT j.value FROM json_each(?1) j WHERE NOT EXISTS
			(SELECT 1 FROM contacts c WHERE c.tenant_id = ?2 AND c.id = j.value`+live+`) ORDER BY j.key`, ids, p.TenantID))
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			return errRollback
		}
		if add {
			_, err = tx.ExecContext(ctx, `INSERT INTO segment_members (tenant_id, segment_id, contact_id)
				SELECT ?1, ?2, j.value FROM json_each(?3) j WHERE true ON CONFLICT DO NOTHING`, p.TenantID, p.SegmentID, ids)
		} else {
			_, err = tx.ExecContext(ctx, `DELETE FROM segment_members WHERE tenant_id = ?1 AND segment_id = ?2
				AND contact_id IN (SELECT j.value FROM json_each(?3) j)`, p.TenantID, p.SegmentID, ids)
		}
		return err
	})
	if err == errRollback {
		return missing, nil
	}
	return nil, err
}

// errRollback ends a transaction that found nothing to write.
var errRollback = &contactd.Error{Code: contactd.EInvalid, Message: "rolled back"}
