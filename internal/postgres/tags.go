package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlq"
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

// nameConflict names the tag whose name a unique violation on tags_name_key
// was about (the check before it can lose a race).
func (s *Store) nameConflict(ctx context.Context, tenantID, key, self string, err error) error {
	if c, ok := constraintOf(err); ok && c == "tags_name_key" {
		if cerr := checkTagName(ctx, s.pool, tenantID, key, self); cerr != nil {
			return cerr
		}
	}
	return interpretError(err)
}

// checkTagName finds another tag of the tenant with the key.
func checkTagName(ctx context.Context, db interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, tenantID, key, self string) error {
	var other, name string
	err := db.QueryRow(ctx, `SELECT id, name FROM tags WHERE tenant_id = $1 AND name_key = $2 AND id <> $3`, tenantID, key, self).Scan(&other, &name)
	if err == nil {
		return &contactd.ConflictError{Field: "name", Value: name, ID: other}
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
	return collect(func(row pgx.Row) (*contactd.Tag, error) { return scanTag(p.TenantID, row) })(
		s.pool.Query(ctx, `SELECT `+tagColumns+where+fmt.Sprintf(` ORDER BY name_key LIMIT $%d`, len(args)), args...))
}

// CountTags implements contactd.Store.
func (s *Store) CountTags(ctx context.Context, p contactd.TagsParams) (int, error) {
	where, args := tagsWhere(p, false)
	var n int
	err := s.pool.QueryRow(ctx, `SELECT COUNT(*)`+where, args...).Scan(&n)
	return n, interpretError(err)
}

// TagNames implements contactd.Store.
func (s *Store) TagNames(ctx context.Context, tenantID string, keys []string) (map[string]string, error) {
	return tagNames(ctx, s.pool, tenantID, keys)
}

// tagNames reads the registry's spelling of tags by key.
func tagNames(ctx context.Context, db interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, tenantID string, keys []string) (map[string]string, error) {
	pairs, err := collect(func(row pgx.Row) ([2]string, error) {
		var kv [2]string
		err := row.Scan(&kv[0], &kv[1])
		return kv, err
	})(db.Query(ctx, `SELECT name_key, name FROM tags WHERE tenant_id = $1 AND name_key = ANY($2)`, tenantID, keys))
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(pairs))
	for _, kv := range pairs {
		out[kv[0]] = kv[1]
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
		}
		p.Apply(t)
		if _, err := tx.Exec(ctx, `UPDATE tags SET name = $1, name_key = $2, color = $3, description = $4, updated_at = $5 WHERE tenant_id = $6 AND id = $7`,
			t.Name, contactd.TagKey(t.Name), t.Color, t.Description, t.UpdatedAt, p.TenantID, p.ID); err != nil {
			return err
		}
		n = 0
		if t.Name != old {
			n, err = rewriteTag(ctx, tx, p.TenantID, old, t.Name, p.Retag)
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
		n, err = rewriteTag(ctx, tx, p.TenantID, name, "", p.Retag)
		return err
	})
	return n, interpretError(err)
}

// rewriteTag rewrites every contact of the tenant that carries the tag
// from (deleted ones included) as retag says, renamed to to ("" when
// deleted). The caller holds the tenant row. The edits are made in Go; the
// rows are written by one UPDATE from arrays, one COPY of the changes and
// one statement on contact_tags.
func rewriteTag(ctx context.Context, tx pgx.Tx, tenantID, from, to string, retag contactd.Retag) (int, error) {
	key := contactd.TagKey(from)
	tagged, err := collect(scanTagged)(tx.Query(ctx, `SELECT c.id, c.version, c.doc->'tags' FROM contact_tags t
		JOIN contacts c ON c.tenant_id = t.tenant_id AND c.id = t.contact_id
		WHERE t.tenant_id = $1 AND t.tag = $2 ORDER BY c.id`, tenantID, key))
	if err != nil {
		return 0, err
	}
	if len(tagged) > 0 {
		ids, docs, actors, atTexts := make([]string, len(tagged)), make([]string, len(tagged)), make([]string, len(tagged)), make([]string, len(tagged))
		versions, ats := make([]int64, len(tagged)), make([]time.Time, len(tagged))
		chs := make([]*contactd.Change, len(tagged))
		for i, c := range tagged {
			tags, ch := retag(from, to, c)
			b, err := json.Marshal(tags)
			if err != nil {
				return 0, err
			}
			ids[i], docs[i], actors[i], versions[i], ats[i], chs[i] = c.ID, string(b), ch.Actor, ch.Version, ch.At, ch
			atTexts[i] = ch.At.UTC().Format(contactd.TimeFormat)
		}
		if _, err := tx.Exec(ctx, `UPDATE contacts c SET version = e.v, updated_at = e.at,
				doc = c.doc || jsonb_build_object('version', e.v, 'updatedAt', e.at_text, 'updatedBy', e.actor, 'tags', e.tags::jsonb)
			FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::timestamptz[], $7::text[]) AS e(id, v, tags, actor, at, at_text)
			WHERE c.tenant_id = $1 AND c.id = e.id`,
			tenantID, ids, versions, docs, actors, ats, atTexts); err != nil {
			return 0, err
		}
		if err := appendChanges(ctx, tx, tenantID, chs...); err != nil {
			return 0, err
		}
	}
	newKey := contactd.TagKey(to)
	switch {
	case to == "":
		_, err = tx.Exec(ctx, `DELETE FROM contact_tags WHERE tenant_id = $1 AND tag = $2`, tenantID, key)
	case newKey != key:
		// A contact that somehow also holds the new key already keeps one row.
		if _, err = tx.Exec(ctx, `DELETE FROM contact_tags t WHERE t.tenant_id = $1 AND t.tag = $2
			AND EXISTS (SELECT 1 FROM contact_tags o WHERE o.tenant_id = $1 AND o.contact_id = t.contact_id AND o.tag = $3)`, tenantID, key, newKey); err == nil {
			_, err = tx.Exec(ctx, `UPDATE contact_tags SET tag = $1 WHERE tenant_id = $2 AND tag = $3`, newKey, tenantID, key)
		}
	}
	return len(tagged), err
}

// scanTagged scans a contact's id, version and tags (a JSON array).
func scanTagged(row pgx.Row) (contactd.TaggedContact, error) {
	var c contactd.TaggedContact
	var raw []byte
	if err := row.Scan(&c.ID, &c.Version, &raw); err != nil {
		return c, err
	}
	return c, sqlq.Unmarshal("tags of contact "+c.ID, raw, &c.Tags)
}
