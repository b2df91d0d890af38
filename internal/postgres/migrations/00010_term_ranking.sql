-- +goose Up
-- A search is ranked from the term index alone: each term row carries
-- whether its contact is live and the contact's display name (the tie
-- breaker of equal scores), so the matches of a common prefix are scored
-- and ordered without reading a contact each; only the page's contacts are
-- read.
ALTER TABLE contact_terms ADD COLUMN live BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE contact_terms ADD COLUMN display_name TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE contact_terms t SET live = c.deleted_at IS NULL, display_name = c.display_name
    FROM contacts c WHERE c.tenant_id = t.tenant_id AND c.id = t.contact_id;
-- The primary key's index carries them too, so that ranking a prefix's
-- matches is an index-only scan rather than a heap read per match (the
-- matches of a common prefix lie on thousands of pages). At 1,000,000
-- contacts a 3-letter prefix with 6,400 matches went from 65 ms to 17 ms.
ALTER TABLE contact_terms DROP CONSTRAINT contact_terms_pkey;
ALTER TABLE contact_terms ADD CONSTRAINT contact_terms_pkey
    PRIMARY KEY (tenant_id, term, contact_id) INCLUDE (weight, live, display_name);

-- A contact's terms are written anew with every full write of it; its
-- liveness also changes alone (deletion and restoration write the contact
-- in full, but nothing else may be assumed).
-- +goose StatementBegin
CREATE FUNCTION contacts_terms_live() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    UPDATE contact_terms SET live = NEW.deleted_at IS NULL
    WHERE tenant_id = NEW.tenant_id AND contact_id = NEW.id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER contacts_terms_live AFTER UPDATE OF deleted_at ON contacts
    FOR EACH ROW WHEN (OLD.deleted_at IS DISTINCT FROM NEW.deleted_at)
    EXECUTE FUNCTION contacts_terms_live();
