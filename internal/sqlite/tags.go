package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/contactd/contactd"
)

const tagColumns = `id, name, color, description, created_at, updated_at`

type rowScanner interface{ Scan(dest ...any) error }

func scanTag(tenantID string, row rowScanner) (*contactd.Tag, error) {
	t := &contactd.Tag{TenantID: tenantID}
	var created, updated string
	if err := row.Scan(&t.ID, &t.Name, &t.Color, &t.Description, &created, &updated); err != nil {
		return nil, interpretError(err)
	}
	var err error
	if t.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	t.UpdatedAt, err = parseTime(updated)
	return t, err
}

// tagConflict is the error for a name another tag has.
func tagConflict(id, name string) error {
	msg := fmt.Sprintf("the tag %s is named %q", id, name)
	return &contactd.Error{Code: contactd.EConflict, Message: msg, ConflictingID: id, ConflictingField: "name",
		Fields: []contactd.FieldError{{Location: "name", Message: msg}}}
}

// checkTagName finds another tag of the tenant with the key.
func checkTagName(ctx context.Context, tx *sql.Tx, tenantID, key, self string) error {
	var other, name string
	err := tx.QueryRowContext(ctx, `SELECT id, name FROM tags WHERE tenant_id = ? AND name_key = ? AND id <> ?`, tenantID, key, self).Scan(&other, &name)
	if err == nil {
		return tagConflict(other, name)
	} else if err != sql.ErrNoRows {
		return err
	}
	return nil
}

// CreateTag implements contactd.Store.
func (s *Store) CreateTag(ctx context.Context, t *contactd.Tag) error {
	key := contactd.TagKey(t.Name)
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if err := checkTagName(ctx, tx, t.TenantID, key, t.ID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO tags (tenant_id, id, name, name_key, color, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			t.TenantID, t.ID, t.Name, key, t.Color, t.Description, formatTime(t.CreatedAt), formatTime(t.UpdatedAt))
		return err
	})
}

// Tag implements contactd.Store.
func (s *Store) Tag(ctx context.Context, tenantID, id string) (*contactd.Tag, error) {
	return scanTag(tenantID, s.read.QueryRowContext(ctx, `SELECT `+tagColumns+` FROM tags WHERE tenant_id = ? AND id = ?`, tenantID, id))
}

func tagsWhere(p contactd.TagsParams, after bool) (string, []any) {
	q := ` FROM tags WHERE tenant_id = ?`
	args := []any{p.TenantID}
	if p.Prefix != "" {
		q += ` AND substr(name_key, 1, ?) = ?`
		args = append(args, len([]rune(p.Prefix)), p.Prefix)
	}
	if after && p.After != "" {
		q += ` AND name_key > ?`
		args = append(args, p.After)
	}
	return q, args
}

// Tags implements contactd.Store.
func (s *Store) Tags(ctx context.Context, p contactd.TagsParams) ([]*contactd.Tag, error) {
	where, args := tagsWhere(p, true)
	rows, err := s.read.QueryContext(ctx, `SELECT `+tagColumns+where+` ORDER BY name_key LIMIT ?`, append(args, p.Limit)...)
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
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*)`+where, args...).Scan(&n)
	return n, interpretError(err)
}

// EnsureTags implements contactd.Store: one read when every tag exists,
// else one write transaction that inserts the missing ones and reads all.
func (s *Store) EnsureTags(ctx context.Context, tenantID string, tags []*contactd.Tag) ([]string, error) {
	keys := make([]string, len(tags))
	args := []any{tenantID}
	for i, t := range tags {
		keys[i] = contactd.TagKey(t.Name)
		args = append(args, keys[i])
	}
	q := `SELECT name_key, name FROM tags WHERE tenant_id = ? AND name_key IN (?` + strings.Repeat(", ?", len(keys)-1) + `)`
	read := func(db interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}) (map[string]string, error) {
		rows, err := db.QueryContext(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		out := map[string]string{}
		for rows.Next() {
			var k, n string
			if err := rows.Scan(&k, &n); err != nil {
				return nil, err
			}
			out[k] = n
		}
		return out, rows.Err()
	}
	names, err := read(s.read)
	if err != nil {
		return nil, interpretError(err)
	}
	if len(names) < len(keys) {
		err = s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
			for i, t := range tags {
				if _, ok := names[keys[i]]; ok {
					continue
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO tags (tenant_id, id, name, name_key, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)
					ON CONFLICT (tenant_id, name_key) DO NOTHING`,
					tenantID, t.ID, t.Name, keys[i], formatTime(t.CreatedAt), formatTime(t.UpdatedAt)); err != nil {
					return err
				}
			}
			names, err = read(tx)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]string, len(keys))
	for i, k := range keys {
		n, ok := names[k]
		if !ok {
			return nil, fmt.Errorf("sqlite: tag %q missing after insert", k)
		}
		out[i] = n
	}
	return out, nil
}

// UpdateTag implements contactd.Store.
func (s *Store) UpdateTag(ctx context.Context, p contactd.UpdateTagParams) (*contactd.Tag, int, error) {
	var t *contactd.Tag
	n := 0
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		t, err = scanTag(p.TenantID, tx.QueryRowContext(ctx, `SELECT `+tagColumns+` FROM tags WHERE tenant_id = ? AND id = ?`, p.TenantID, p.ID))
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
		if _, err := tx.ExecContext(ctx, `UPDATE tags SET name = ?, name_key = ?, color = ?, description = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
			t.Name, contactd.TagKey(t.Name), t.Color, t.Description, formatTime(t.UpdatedAt), p.TenantID, p.ID); err != nil {
			return err
		}
		if t.Name != old {
			n, err = rewriteTag(ctx, tx, p.TenantID, contactd.TagKey(old), t.Name, p.Actor, p.At)
		}
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	return t, n, nil
}

// DeleteTag implements contactd.Store.
func (s *Store) DeleteTag(ctx context.Context, p contactd.DeleteTagParams) (int, error) {
	n := 0
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var name string
		err := tx.QueryRowContext(ctx, `DELETE FROM tags WHERE tenant_id = ? AND id = ? RETURNING name`, p.TenantID, p.ID).Scan(&name)
		if err != nil {
			return err
		}
		n, err = rewriteTag(ctx, tx, p.TenantID, contactd.TagKey(name), "", p.Actor, p.At)
		return err
	})
	return n, err
}

// tagEdit is the rewrite of one contact's tags, as json_each reads it.
type tagEdit struct {
	ID      string          `json:"id"`
	Version int64           `json:"v"`
	Seq     int64           `json:"seq"`
	Tags    json.RawMessage `json:"tags"`
	Fields  json.RawMessage `json:"fields"`
}

// rewriteTag spells the tag with the given key as name on every contact
// of the tenant that carries it (removes it when name is ""), each with a
// new version and an "updated" change. The tags are computed in Go (with
// Go's case folding, as contact_tags holds them); the rows are then
// written by a few set-based statements that read the edits from one JSON
// parameter.
func rewriteTag(ctx context.Context, tx *sql.Tx, tenantID, key, name, actor string, at time.Time) (int, error) {
	rows, err := tx.QueryContext(ctx, `SELECT c.id, c.version, json_extract(c.doc, '$.tags') FROM contact_tags t
		JOIN contacts c ON c.tenant_id = t.tenant_id AND c.id = t.contact_id
		WHERE t.tenant_id = ? AND t.tag = ? ORDER BY c.id`, tenantID, key)
	if err != nil {
		return 0, err
	}
	var edits []tagEdit
	for rows.Next() {
		var e tagEdit
		var raw sql.NullString
		if err := rows.Scan(&e.ID, &e.Version, &raw); err != nil {
			rows.Close()
			return 0, err
		}
		var tags []string
		if raw.Valid {
			if err := json.Unmarshal([]byte(raw.String), &tags); err != nil {
				rows.Close()
				return 0, fmt.Errorf("sqlite: corrupt tags of contact %s: %w", e.ID, err)
			}
		}
		next, _ := contactd.ReplaceTag(tags, key, name)
		e.Version++
		if e.Tags, err = json.Marshal(next); err != nil {
			rows.Close()
			return 0, err
		}
		old, _ := json.Marshal(tags)
		if tags == nil {
			old = []byte("[]")
		}
		if e.Fields, err = json.Marshal(map[string]contactd.FieldChange{"tags": {Old: old, New: e.Tags}}); err != nil {
			rows.Close()
			return 0, err
		}
		edits = append(edits, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(edits) > 0 {
		var last int64
		if err := tx.QueryRowContext(ctx, `UPDATE tenants SET change_seq = change_seq + ? WHERE id = ? RETURNING change_seq`, len(edits), tenantID).Scan(&last); err != nil {
			return 0, err
		}
		for i := range edits {
			edits[i].Seq = last - int64(len(edits)) + int64(i) + 1
		}
		payload, err := json.Marshal(edits)
		if err != nil {
			return 0, err
		}
		// The edits go to a temporary table with a primary key, so that
		// the join of the UPDATE is a lookup per contact (json_each has no
		// index to join on).
		ts := formatTime(at)
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`DROP TABLE IF EXISTS temp.tag_edits`, nil},
			{`CREATE TEMP TABLE tag_edits (id TEXT PRIMARY KEY, v INTEGER NOT NULL, seq INTEGER NOT NULL, tags TEXT NOT NULL, fields TEXT NOT NULL)`, nil},
			{`INSERT INTO temp.tag_edits (id, v, seq, tags, fields)
				SELECT value ->> '$.id', value ->> '$.v', value ->> '$.seq', value -> '$.tags', value -> '$.fields' FROM json_each(?)`, []any{payload}},
			{`UPDATE contacts SET version = e.v, updated_at = ?1,
					doc = json_set(doc, '$.version', e.v, '$.updatedAt', ?1, '$.updatedBy', ?2, '$.tags', json(e.tags))
				FROM temp.tag_edits e WHERE contacts.tenant_id = ?3 AND contacts.id = e.id`, []any{ts, actor, tenantID}},
			{`INSERT INTO changes (tenant_id, seq, contact_id, type, version, actor, at, fields)
				SELECT ?1, e.seq, e.id, 'updated', e.v, ?2, ?3, e.fields FROM temp.tag_edits e`, []any{tenantID, actor, ts}},
			{`DROP TABLE temp.tag_edits`, nil},
		} {
			if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
				return 0, err
			}
		}
	}
	newKey := contactd.TagKey(name)
	switch {
	case name == "":
		_, err = tx.ExecContext(ctx, `DELETE FROM contact_tags WHERE tenant_id = ? AND tag = ?`, tenantID, key)
	case newKey != key:
		// A contact that somehow also holds the new key already keeps one row.
		if _, err = tx.ExecContext(ctx, `DELETE FROM contact_tags WHERE tenant_id = ?1 AND tag = ?2
			AND contact_id IN (SELECT contact_id FROM contact_tags WHERE tenant_id = ?1 AND tag = ?3)`, tenantID, key, newKey); err == nil {
			_, err = tx.ExecContext(ctx, `UPDATE contact_tags SET tag = ? WHERE tenant_id = ? AND tag = ?`, newKey, tenantID, key)
		}
	}
	return len(edits), err
}
