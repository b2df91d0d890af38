-- +goose Up
-- The tag registry. name is the spelling contacts carry; name_key is its
-- lower-case form (Go's strings.ToLower, as in contact_tags.tag, so that it
-- does not depend on the database's collation), unique per tenant, so
-- "VIP" and "vip" are one tag.
CREATE TABLE tags (
    tenant_id   TEXT        NOT NULL REFERENCES tenants (id),
    id          TEXT        NOT NULL,
    name        TEXT        NOT NULL,
    name_key    TEXT COLLATE "C" NOT NULL,
    color       TEXT        NOT NULL DEFAULT '',
    description TEXT        NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX tags_name_key ON tags (tenant_id, name_key);

-- Segments: static ones list their members in segment_members; a dynamic
-- one has a filter (JSON text, as the client wrote it, compacted).
CREATE TABLE segments (
    tenant_id   TEXT        NOT NULL REFERENCES tenants (id),
    id          TEXT        NOT NULL,
    name        TEXT        NOT NULL,
    description TEXT        NOT NULL DEFAULT '',
    kind        TEXT        NOT NULL,
    filter      TEXT,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX segments_kind ON segments (tenant_id, kind, id);

-- Erasing a contact ends its memberships (segment_members predates this
-- migration and has no foreign key to contacts).
-- +goose StatementBegin
CREATE FUNCTION contacts_erase_memberships() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    DELETE FROM segment_members WHERE tenant_id = OLD.tenant_id AND contact_id = OLD.id;
    RETURN OLD;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER contacts_erase_memberships AFTER DELETE ON contacts
    FOR EACH ROW EXECUTE FUNCTION contacts_erase_memberships();
