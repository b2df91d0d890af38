-- +goose Up
-- A search is ranked from the term index alone: each term row carries
-- whether its contact is live and the contact's display name (the tie
-- breaker of equal scores), so the matches of a common prefix are scored
-- and ordered without reading a contact each; only the page's contacts are
-- read.
ALTER TABLE contact_terms ADD COLUMN live INTEGER NOT NULL DEFAULT 1;
ALTER TABLE contact_terms ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
UPDATE contact_terms SET (live, display_name) = (
    SELECT c.deleted_at IS NULL, c.display_name FROM contacts c WHERE c.tenant_id = contact_terms.tenant_id AND c.id = contact_terms.contact_id);

-- A contact's terms are written anew with every full write of it; its
-- liveness also changes alone (deletion and restoration write the contact
-- in full, but nothing else may be assumed).
-- +goose StatementBegin
CREATE TRIGGER contacts_terms_live AFTER UPDATE OF deleted_at ON contacts
WHEN new.deleted_at IS NOT old.deleted_at
BEGIN
    UPDATE contact_terms SET live = new.deleted_at IS NULL
    WHERE tenant_id = new.tenant_id AND contact_id = new.id;
END;
-- +goose StatementEnd
