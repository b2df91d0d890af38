package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/contactd/contactd"
)

const tagColumns = `id, name, color, description, created_at, updated_at`

func scanTag(tenantID string, row pgx.Row) (*contactd.Tag, error) {
	t := &contactd.Tag{TenantID: tenantID}
	if err := row.Scan(&t.ID, &t.Name, &t.Color, &t.Description, &t.CreatedAt, &t.UpdatedAt); err != nil {
		return nil, interpretError(err)
	}
	t.CreatedAt, t.UpdatedAt = t.CreatedAt.UTC(), t.UpdatedAt.UTC()
	return t, nil
}

// tagConflict is the error for a name another tag has.
func tagConflict(id, name string) error {
	msg := fmt.Sprintf("the tag %s is named %q", id, name)
	return &contactd.Error{Code: contactd.EConflict, Message: msg, ConflictingID: id, ConflictingField: "name",
		Fields: []contactd.FieldError{{Location: "name", Message: msg}}}
}

// nameConflict names the tag whose name a unique violation on tags_name_key
// was about (the check before it can lose a race).
func (s *Store) nameConflict(ctx context.Context, tenantID, key, self string, err error) error {
	if c, ok := constraintOf(err); ok && c == "tags_name_key" {
		var other, name string
		if s.pool.QueryRow(ctx, `SELECT id, name FROM tags WHERE tenant_id = $1 AND name_key = $2 AND id <> $3`, tenantID, key, self).Scan(&other, &name) == nil {
			return tagConflict(other, name)
		}
	}
	return interpretError(err)
}

// checkTagName finds another tag of the tenant with the key.
func checkTagName(ctx context.Context, tx pgx.Tx, tenantID, key, self string) error {
	var other, name string
	err := tx.QueryRow(ctx, `SELECT id, name FROM tags WHERE tenant_id = $1 AND name_key = $2 AND id <> $3`, tenantID, key, self).Scan(&other, &name)
	if err == nil {
		return tagConflict(other, name)
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	return nil
}

// CreateTag implements contactd.Store.
func (s *Store) CreateTag(ctx context.Context, t *contactd.Tag) error {
	key := contactd.TagKey(t.Name)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if err := checkTagName(ctx, tx, t.TenantID, key, t.ID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO tags (tenant_id, id, name, name_key, color, description, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			t.TenantID, t.ID, t.Name, key, t.Color, t.Description, t.CreatedAt, t.UpdatedAt)
		return err
	})
	if err != nil {
		return s.nameConflict(ctx, t.TenantID, key, t.ID, err)
	}
	return nil
}

// Tag implements contactd.Store.
func (s *Store) Tag(ctx context.Context, tenantID, id string) (*contactd.Tag, error) {
	return scanTag(tenantID, s.pool.QueryRow(ctx, `SELECT `+tagColumns+` FROM tags WHERE tenant_id = $1 AND id = $2`, tenantID, id))
}

func tagsWhere(p contactd.TagsParams, after bool) (string, []any) {
	q := ` FROM tags WHERE tenant_id = $1`
	args := []any{p.TenantID}
	if p.Prefix != "" {
		args = append(args, p.Prefix)
		q += fmt.Sprintf(` AND starts_with(name_key, $%d)`, len(args))
	}
	if after && p.After != "" {
		args = append(args, p.After)
		q += fmt.Sprintf(` AND name_key > $%d`, len(args))
	}
	return q, args
}

// Tags implements contactd.Store.
func (s *Store) Tags(ctx context.Context, p contactd.TagsParams) ([]*contactd.Tag, error) {
	where, args := tagsWhere(p, true)
	args = append(args, p.Limit)
	rows, err := s.pool.Query(ctx, `SELECT `+tagColumns+where+fmt.Sprintf(` ORDER BY name_key LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, interpretError(err)
	}
	defer rows.Close()
	var out []*contactd.Tag
	for rows.Next() {
		t, err := scanTag(p.TenantID, rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, interpretError(rows.Err())
}

// CountTags implements contactd.Store.
func (s *Store) CountTags(ctx context.Context, p contactd.TagsParams) (int, error) {
	where, args := tagsWhere(p, false)
	var n int
	err := s.pool.QueryRow(ctx, `SELECT COUNT(*)`+where, args...).Scan(&n)
	return n, interpretError(err)
}

// EnsureTags implements contactd.Store: one read when every tag exists,
// else one statement that inserts the missing ones and reads them all.
func (s *Store) EnsureTags(ctx context.Context, tenantID string, tags []*contactd.Tag) ([]string, error) {
	keys := make([]string, len(tags))
	for i, t := range tags {
		keys[i] = contactd.TagKey(t.Name)
	}
	names := map[string]string{}
	read := func(rows pgx.Rows, err error) error {
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k, n string
			if err := rows.Scan(&k, &n); err != nil {
				return err
			}
			names[k] = n
		}
		return rows.Err()
	}
	if err := read(s.pool.Query(ctx, `SELECT name_key, name FROM tags WHERE tenant_id = $1 AND name_key = ANY($2)`, tenantID, keys)); err != nil {
		return nil, interpretError(err)
	}
	for attempt := 0; len(names) < len(keys) && attempt < 3; attempt++ {
		var ids, ns, ks []string
		var at []time.Time
		for i, t := range tags {
			if _, ok := names[keys[i]]; !ok {
				ids, ns, ks, at = append(ids, t.ID), append(ns, t.Name), append(ks, keys[i]), append(at, t.CreatedAt)
			}
		}
		// The inserted rows and the existing ones, in one statement; a tag
		// inserted by a transaction that commits meanwhile is in neither,
		// and is read by the next attempt.
		err := read(s.pool.Query(ctx, `WITH input AS (
				SELECT * FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[]) AS i(id, name, name_key, at)),
			ins AS (
				INSERT INTO tags (tenant_id, id, name, name_key, created_at, updated_at)
				SELECT $1, id, name, name_key, at, at FROM input
				ON CONFLICT (tenant_id, name_key) DO NOTHING RETURNING name_key, name)
			SELECT name_key, name FROM ins
			UNION ALL
			SELECT t.name_key, t.name FROM tags t JOIN input i ON t.tenant_id = $1 AND t.name_key = i.name_key`,
			tenantID, ids, ns, ks, at))
		if err != nil {
			return nil, interpretError(err)
		}
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		n, ok := names[k]
		if !ok {
			return nil, fmt.Errorf("postgres: tag %q missing after insert", k)
		}
		out[i] = n
	}
	return out, nil
}

// lockTenantSeq locks the tenant row (as every writer of the tenant's
// contacts does first), so that the contacts read after it stay as read
// until commit, and returns the tenant's last change number.
func lockTenantSeq(ctx context.Context, tx pgx.Tx, tenantID string) (int64, error) {
	var last int64
	err := tx.QueryRow(ctx, `SELECT change_seq FROM tenants WHERE id = $1 FOR NO KEY UPDATE`, tenantID).Scan(&last)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, contactd.Errorf(contactd.ENotFound, "tenant %q not found", tenantID)
	}
	return last, err
}

// UpdateTag implements contactd.Store.
func (s *Store) UpdateTag(ctx context.Context, p contactd.UpdateTagParams) (*contactd.Tag, int, error) {
	var t *contactd.Tag
	n := 0
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := lockTenantSeq(ctx, tx, p.TenantID); err != nil {
			return err
		}
		var err error
		t, err = scanTag(p.TenantID, tx.QueryRow(ctx, `SELECT `+tagColumns+` FROM tags WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, p.TenantID, p.ID))
		if err != nil {
			return err
		}
		old := t.Name
		if p.Name != nil {
			if err := checkTagName(ctx, tx, p.TenantID, contactd.TagKey(*p.Name), p.ID); err != nil {
				return err
			}
			t.Name = *p.Name
		}
		if p.Color != nil {
			t.Color = *p.Color
		}
		if p.Description != nil {
			t.Description = *p.Description
		}
		t.UpdatedAt = p.At
		if _, err := tx.Exec(ctx, `UPDATE tags SET name = $1, name_key = $2, color = $3, description = $4, updated_at = $5 WHERE tenant_id = $6 AND id = $7`,
			t.Name, contactd.TagKey(t.Name), t.Color, t.Description, t.UpdatedAt, p.TenantID, p.ID); err != nil {
			return err
		}
		n = 0
		if t.Name != old {
			n, err = rewriteTag(ctx, tx, p.TenantID, contactd.TagKey(old), t.Name, p.Actor, p.At)
		}
		return err
	})
	if err != nil {
		key := ""
		if p.Name != nil {
			key = contactd.TagKey(*p.Name)
		}
		return nil, 0, s.nameConflict(ctx, p.TenantID, key, p.ID, err)
	}
	return t, n, nil
}

// DeleteTag implements contactd.Store.
func (s *Store) DeleteTag(ctx context.Context, p contactd.DeleteTagParams) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := lockTenantSeq(ctx, tx, p.TenantID); err != nil {
			return err
		}
		var name string
		err := tx.QueryRow(ctx, `DELETE FROM tags WHERE tenant_id = $1 AND id = $2 RETURNING name`, p.TenantID, p.ID).Scan(&name)
		if err != nil {
			return err
		}
		n, err = rewriteTag(ctx, tx, p.TenantID, contactd.TagKey(name), "", p.Actor, p.At)
		return err
	})
	return n, interpretError(err)
}

// rewriteTag spells the tag with the given key as name on every contact
// of the tenant that carries it (removes it when name is ""), each with a
// new version and an "updated" change. The caller holds the tenant row.
// The tags are computed in Go (with Go's case folding, as contact_tags
// holds them); the rows are written by one UPDATE from arrays, one COPY of
// the changes and one statement on contact_tags.
func rewriteTag(ctx context.Context, tx pgx.Tx, tenantID, key, name, actor string, at time.Time) (int, error) {
	rows, err := tx.Query(ctx, `SELECT c.id, c.version, c.doc->'tags' FROM contact_tags t
		JOIN contacts c ON c.tenant_id = t.tenant_id AND c.id = t.contact_id
		WHERE t.tenant_id = $1 AND t.tag = $2 ORDER BY c.id`, tenantID, key)
	if err != nil {
		return 0, err
	}
	var ids, docs []string
	var versions []int64
	var changes [][]any
	for rows.Next() {
		var id string
		var version int64
		var raw []byte
		if err := rows.Scan(&id, &version, &raw); err != nil {
			rows.Close()
			return 0, err
		}
		var tags []string
		if len(raw) > 0 {
			if err := json.Unmarshal(raw, &tags); err != nil {
				rows.Close()
				return 0, fmt.Errorf("postgres: corrupt tags of contact %s: %w", id, err)
			}
		}
		next, _ := contactd.ReplaceTag(tags, key, name)
		newTags, err := json.Marshal(next)
		if err != nil {
			rows.Close()
			return 0, err
		}
		old, _ := json.Marshal(tags)
		if tags == nil {
			old = []byte("[]")
		}
		fields, err := json.Marshal(map[string]contactd.FieldChange{"tags": {Old: old, New: newTags}})
		if err != nil {
			rows.Close()
			return 0, err
		}
		ids, versions, docs = append(ids, id), append(versions, version+1), append(docs, string(newTags))
		changes = append(changes, []any{tenantID, int64(0), id, "updated", version + 1, actor, at, string(fields)})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(ids) > 0 {
		var last int64
		if err := tx.QueryRow(ctx, `UPDATE tenants SET change_seq = change_seq + $1 WHERE id = $2 RETURNING change_seq`, len(ids), tenantID).Scan(&last); err != nil {
			return 0, err
		}
		for i := range changes {
			changes[i][1] = last - int64(len(changes)) + int64(i) + 1
		}
		if _, err := tx.Exec(ctx, `UPDATE contacts c SET version = e.v, updated_at = $2,
				doc = c.doc || jsonb_build_object('version', e.v, 'updatedAt', $3::text, 'updatedBy', $4::text, 'tags', e.tags::jsonb)
			FROM unnest($5::text[], $6::bigint[], $7::text[]) AS e(id, v, tags)
			WHERE c.tenant_id = $1 AND c.id = e.id`,
			tenantID, at, at.UTC().Format(contactd.TimeFormat), actor, ids, versions, docs); err != nil {
			return 0, err
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"changes"}, []string{"tenant_id", "seq", "contact_id", "type", "version", "actor", "at", "fields"},
			pgx.CopyFromRows(changes)); err != nil {
			return 0, err
		}
	}
	newKey := contactd.TagKey(name)
	switch {
	case name == "":
		_, err = tx.Exec(ctx, `DELETE FROM contact_tags WHERE tenant_id = $1 AND tag = $2`, tenantID, key)
	case newKey != key:
		// A contact that somehow also holds the new key already keeps one row.
		if _, err = tx.Exec(ctx, `DELETE FROM contact_tags t WHERE t.tenant_id = $1 AND t.tag = $2
			AND EXISTS (SELECT 1 FROM contact_tags o WHERE o.tenant_id = $1 AND o.contact_id = t.contact_id AND o.tag = $3)`, tenantID, key, newKey); err == nil {
			_, err = tx.Exec(ctx, `UPDATE contact_tags SET tag = $1 WHERE tenant_id = $2 AND tag = $3`, newKey, tenantID, key)
		}
	}
	return len(ids), err
}
