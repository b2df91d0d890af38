package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlq"
)

const tagColumns = `id, name, color, description, created_at, updated_at`

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

// checkTagName finds another tag of the tenant with the key.
func checkTagName(ctx context.Context, tx *sql.Tx, tenantID, key, self string) error {
	var other, name string
	err := tx.QueryRowContext(ctx, `SELECT id, name FROM tags WHERE tenant_id = ? AND name_key = ? AND id <> ?`, tenantID, key, self).Scan(&other, &name)
	if err == nil {
		return &contactd.ConflictError{Field: "name", Value: name, ID: other}
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
	return collect(func(row rowScanner) (*contactd.Tag, error) { return scanTag(p.TenantID, row) })(
		s.read.QueryContext(ctx, `SELECT `+tagColumns+where+` ORDER BY name_key LIMIT ?`, append(args, p.Limit)...))
}

// CountTags implements contactd.Store.
func (s *Store) CountTags(ctx context.Context, p contactd.TagsParams) (int, error) {
	where, args := tagsWhere(p, false)
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT COUNT(*)`+where, args...).Scan(&n)
	return n, interpretError(err)
}

// TagNames implements contactd.Store.
func (s *Store) TagNames(ctx context.Context, tenantID string, keys []string) (map[string]string, error) {
	return tagNames(ctx, s.read, tenantID, anys(keys))
}

// tagNames reads the registry's spelling of tags by key.
func tagNames(ctx context.Context, db querier, tenantID string, keys []any) (map[string]string, error) {
	out := map[string]string{}
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := db.QueryContext(ctx, `SELECT name_key, name FROM tags WHERE tenant_id = ? AND name_key IN (`+placeholders(len(keys))+`)`,
		append([]any{tenantID}, keys...)...)
	if err != nil {
		return nil, interpretError(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, n string
		if err := rows.Scan(&k, &n); err != nil {
			return nil, interpretError(err)
		}
		out[k] = n
	}
	return out, interpretError(rows.Err())
}

// UpdateTag implements contactd.Store.
func (s *Store) UpdateTag(ctx context.Context, p contactd.UpdateTagParams) (*contactd.Tag, int, error) {
	var t *contactd.Tag
	n := 0
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, _, err := s.lockTenant(ctx, tx, p.TenantID, 0); err != nil {
			return err
		}
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
		}
		p.Apply(t)
		if _, err := tx.ExecContext(ctx, `UPDATE tags SET name = ?, name_key = ?, color = ?, description = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
			t.Name, contactd.TagKey(t.Name), t.Color, t.Description, formatTime(t.UpdatedAt), p.TenantID, p.ID); err != nil {
			return err
		}
		if t.Name != old {
			n, err = s.rewriteTag(ctx, tx, p.TenantID, old, t.Name, p.Retag)
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
		if _, _, err := s.lockTenant(ctx, tx, p.TenantID, 0); err != nil {
			return err
		}
		var name string
		err := tx.QueryRowContext(ctx, `DELETE FROM tags WHERE tenant_id = ? AND id = ? RETURNING name`, p.TenantID, p.ID).Scan(&name)
		if err != nil {
			return interpretError(err)
		}
		n, err = s.rewriteTag(ctx, tx, p.TenantID, name, "", p.Retag)
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
	Actor   string          `json:"actor"`
	At      string          `json:"at"`
}

// rewriteTag rewrites every contact of the tenant that carries the tag
// from (deleted ones included) as retag says, renamed to to ("" when
// deleted). The edits are made in Go; the rows are then written by a few
// set-based statements that read them from one JSON parameter.
func (s *Store) rewriteTag(ctx context.Context, tx *sql.Tx, tenantID, from, to string, retag contactd.Retag) (int, error) {
	key := contactd.TagKey(from)
	tagged, err := collect(scanTagged)(tx.QueryContext(ctx, `SELECT c.id, c.version, json_extract(c.doc, '$.tags') FROM contact_tags t
		JOIN contacts c ON c.tenant_id = t.tenant_id AND c.id = t.contact_id
		WHERE t.tenant_id = ? AND t.tag = ? ORDER BY c.id`, tenantID, key))
	if err != nil {
		return 0, err
	}
	edits := make([]tagEdit, len(tagged))
	if len(tagged) > 0 {
		last, _, err := s.lockTenant(ctx, tx, tenantID, len(tagged))
		if err != nil {
			return 0, err
		}
		for i, c := range tagged {
			tags, ch := retag(from, to, c)
			e := tagEdit{ID: c.ID, Version: ch.Version, Seq: last - int64(len(tagged)-1-i), Actor: ch.Actor, At: formatTime(ch.At)}
			if e.Tags, err = json.Marshal(tags); err != nil {
				return 0, err
			}
			if e.Fields, err = json.Marshal(ch.Fields); err != nil {
				return 0, err
			}
			edits[i] = e
		}
		payload, err := json.Marshal(edits)
		if err != nil {
			return 0, err
		}
		// The edits go to a temporary table with a primary key, so that
		// the join of the UPDATE is a lookup per contact (json_each has no
		// index to join on).
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`DROP TABLE IF EXISTS temp.tag_edits`, nil},
			{`CREATE TEMP TABLE tag_edits (id TEXT PRIMARY KEY, v INTEGER NOT NULL, seq INTEGER NOT NULL, tags TEXT NOT NULL,
				fields TEXT NOT NULL, actor TEXT NOT NULL, at TEXT NOT NULL)`, nil},
			{`INSERT INTO temp.tag_edits (id, v, seq, tags, fields, actor, at)
				SELECT value ->> '$.id', value ->> '$.v', value ->> '$.seq', value -> '$.tags', value -> '$.fields', value ->> '$.actor', value ->> '$.at'
				FROM json_each(?)`, []any{payload}},
			{`UPDATE contacts SET version = e.v, updated_at = e.at,
					doc = json_set(doc, '$.version', e.v, '$.updatedAt', e.at, '$.updatedBy', e.actor, '$.tags', json(e.tags))
				FROM temp.tag_edits e WHERE contacts.tenant_id = ?1 AND contacts.id = e.id`, []any{tenantID}},
			{`INSERT INTO changes (tenant_id, seq, contact_id, type, version, actor, at, fields)
				SELECT ?1, e.seq, e.id, 'updated', e.v, e.actor, e.at, e.fields FROM temp.tag_edits e`, []any{tenantID}},
			{`DROP TABLE temp.tag_edits`, nil},
		} {
			if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
				return 0, err
			}
		}
	}
	newKey := contactd.TagKey(to)
	switch {
	case to == "":
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

// scanTagged scans a contact's id, version and tags (a JSON array).
func scanTagged(row rowScanner) (contactd.TaggedContact, error) {
	var c contactd.TaggedContact
	var raw []byte
	if err := row.Scan(&c.ID, &c.Version, &raw); err != nil {
		return c, err
	}
	return c, sqlq.Unmarshal("tags of contact "+c.ID, raw, &c.Tags)
}
