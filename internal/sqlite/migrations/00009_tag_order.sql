-- +goose Up
-- A tag's contacts can be listed in order of their last change, and
-- counted, from the tag index alone: each tag row carries whether its
-- contact is live and when the contact last changed. A list of a tag's
-- contacts, newest first, then reads the index in order and stops at the
-- page, instead of walking all the tenant's contacts and testing each for
-- the tag.
ALTER TABLE contact_tags ADD COLUMN live INTEGER NOT NULL DEFAULT 1;
ALTER TABLE contact_tags ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
UPDATE contact_tags SET (live, updated_at) = (
    SELECT c.deleted_at IS NULL, c.updated_at FROM contacts c WHERE c.tenant_id = contact_tags.tenant_id AND c.id = contact_tags.contact_id);
DROP INDEX contact_tags_tag;
CREATE INDEX contact_tags_tag ON contact_tags (tenant_id, tag, live, updated_at);

-- The tag rows follow their contact wherever it changes (written anew with
-- it on a full write; here when only its version moves, as when a tag is
-- renamed or an account it belonged to is deleted).
-- +goose StatementBegin
CREATE TRIGGER contacts_tag_order AFTER UPDATE OF updated_at, deleted_at ON contacts
WHEN new.updated_at IS NOT old.updated_at OR new.deleted_at IS NOT old.deleted_at
BEGIN
    UPDATE contact_tags SET live = new.deleted_at IS NULL, updated_at = new.updated_at
    WHERE tenant_id = new.tenant_id AND contact_id = new.id;
END;
-- +goose StatementEnd
