-- +goose Up
-- A tag's contacts can be listed in order of their last change, and
-- counted, from the tag index alone: each tag row carries whether its
-- contact is live and when the contact last changed. A list of a tag's
-- contacts, newest first, then reads the index in order and stops at the
-- page, instead of walking all the tenant's contacts and testing each for
-- the tag.
ALTER TABLE contact_tags ADD COLUMN live BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE contact_tags ADD COLUMN updated_at TIMESTAMPTZ;
UPDATE contact_tags t SET live = c.deleted_at IS NULL, updated_at = c.updated_at
    FROM contacts c WHERE c.tenant_id = t.tenant_id AND c.id = t.contact_id;
ALTER TABLE contact_tags ALTER COLUMN updated_at SET NOT NULL;
DROP INDEX contact_tags_tag;
CREATE INDEX contact_tags_tag ON contact_tags (tenant_id, tag, live, updated_at, contact_id);

-- The tag rows follow their contact wherever it changes (written anew with
-- it on a full write; here when only its version moves, as when a tag is
-- renamed or an account it belonged to is deleted).
-- +goose StatementBegin
CREATE FUNCTION contacts_tag_order() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE contact_tags SET live = NEW.deleted_at IS NULL, updated_at = NEW.updated_at
    WHERE tenant_id = NEW.tenant_id AND contact_id = NEW.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER contacts_tag_order AFTER UPDATE OF updated_at, deleted_at ON contacts
    FOR EACH ROW WHEN (OLD.updated_at IS DISTINCT FROM NEW.updated_at OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION contacts_tag_order();
