-- +goose Up
-- The tag registry. name is the spelling contacts carry; name_key is its
-- lower-case form (Go's strings.ToLower, as in contact_tags.tag, which
-- SQLite's ASCII-only lower() is not), unique per tenant, so "VIP" and
-- "vip" are one tag.
CREATE TABLE tags (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    color       TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX tags_name_key ON tags (tenant_id, name_key);

-- Segments: static ones list their members in segment_members; a dynamic
-- one has a filter (JSON text, as the client wrote it, compacted).
CREATE TABLE segments (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    id          TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    kind        TEXT NOT NULL,
    filter      TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE INDEX segments_kind ON segments (tenant_id, kind, id);

-- Erasing a contact ends its memberships (segment_members predates this
-- migration and has no foreign key to contacts).
-- +goose StatementBegin
CREATE TRIGGER contacts_erase_memberships AFTER DELETE ON contacts
BEGIN
    DELETE FROM segment_members WHERE tenant_id = OLD.tenant_id AND contact_id = OLD.id;
END;
-- +goose StatementEnd
