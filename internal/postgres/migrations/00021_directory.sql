-- +goose Up
-- The phone-system directory and links to work items.
--
-- directory says which directories list a contact (contactd.DirectoryOf:
-- 0 none, 1 desk phones, 2 desk phones and the auto attendant), written
-- with the contact; the partial index holds the directory's few contacts
-- only. Service contacts are listed from the start.
ALTER TABLE contacts ADD COLUMN directory SMALLINT NOT NULL DEFAULT 0;
UPDATE contacts SET directory = 2 WHERE contact_type = 'service' AND deleted_at IS NULL;
CREATE INDEX contacts_directory ON contacts (tenant_id, directory, display_name COLLATE "C", id) WHERE directory > 0;

-- contact_codes are the codes a contact is found by, beside its phones and
-- emails: kind 'x' an extension (scope: its PBX's id, or ''), 'f' a fully
-- qualified extension (scope ''), 'l' a link to a work item (scope: its
-- type; code: its external id). entry_id is the entry's id. Extensions are
-- unique among live contacts, links are not.
CREATE TABLE contact_codes (
    tenant_id  TEXT    NOT NULL,
    contact_id TEXT    NOT NULL,
    kind       TEXT    NOT NULL COLLATE "C",
    scope      TEXT    NOT NULL COLLATE "C",
    code       TEXT    NOT NULL COLLATE "C",
    entry_id   TEXT    NOT NULL,
    live       BOOLEAN NOT NULL,
    PRIMARY KEY (tenant_id, contact_id, kind, scope, code),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX contact_codes_unique ON contact_codes (tenant_id, kind, scope, code) WHERE live AND kind <> 'l';
CREATE INDEX contact_codes_code ON contact_codes (tenant_id, code, kind);

-- +goose Down
DROP TABLE contact_codes;
DROP INDEX contacts_directory;
ALTER TABLE contacts DROP COLUMN directory;
