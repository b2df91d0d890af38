-- +goose NO TRANSACTION
-- +goose Up
-- contacts becomes a rowid table whose filtered, sorted and constrained
-- fields are columns contactd writes, instead of columns generated from the
-- document:
--
-- * An insert parses no JSON (the indexes on generated columns evaluated
--   json_extract for every row written), and a filter on kind, company or
--   any other field reads a column instead of parsing each document.
-- * A contact row (about 1 KiB with its document) fits its page: in a
--   WITHOUT ROWID table a row that large keeps only part of itself on its
--   B-tree page and spills the rest to an overflow page of its own, so each
--   contact took about two pages.
-- * The sort indexes carry deleted_at, so a list walks one of them, skips
--   deleted contacts and tests its filter's side tables without reading a
--   contact row until it has the page.
--
-- The table is rebuilt as SQLite's documented procedure for a change ALTER
-- TABLE cannot make: with foreign keys off (dropping the old table must not
-- cascade to the side tables that point at it), in one transaction, checked
-- before it commits.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE contacts_new (
    rid              INTEGER PRIMARY KEY,
    tenant_id        TEXT    NOT NULL REFERENCES tenants (id),
    id               TEXT    NOT NULL,
    version          INTEGER NOT NULL,
    display_name     TEXT    NOT NULL,
    display_name_set INTEGER NOT NULL DEFAULT 0,
    external_id      TEXT,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    deleted_at       TEXT,
    kind             TEXT    NOT NULL DEFAULT '',
    contact_type     TEXT    NOT NULL DEFAULT '',
    first_name       TEXT    NOT NULL DEFAULT '',
    last_name        TEXT    NOT NULL DEFAULT '',
    company          TEXT    NOT NULL DEFAULT '',
    department       TEXT    NOT NULL DEFAULT '',
    job_title        TEXT    NOT NULL DEFAULT '',
    status           TEXT    NOT NULL DEFAULT '',
    source           TEXT    NOT NULL DEFAULT '',
    owner_id         TEXT    NOT NULL DEFAULT '',
    account_id       TEXT    NOT NULL DEFAULT '',
    do_not_call      INTEGER NOT NULL DEFAULT 0,
    email_opt_out    INTEGER NOT NULL DEFAULT 0,
    sms_opt_out      INTEGER NOT NULL DEFAULT 0,
    is_unknown       INTEGER NOT NULL DEFAULT 0,
    blocked          INTEGER NOT NULL DEFAULT 0,
    doc              TEXT    NOT NULL,
    UNIQUE (tenant_id, id)
);
INSERT INTO contacts_new (tenant_id, id, version, display_name, display_name_set, external_id, created_at, updated_at, deleted_at,
        kind, contact_type, first_name, last_name, company, department, job_title, status, source, owner_id, account_id,
        do_not_call, email_opt_out, sms_opt_out, is_unknown, blocked, doc)
    SELECT tenant_id, id, version, display_name, display_name_set, external_id, created_at, updated_at, deleted_at,
        kind, contact_type, first_name, last_name, company, department, job_title, status, source, owner_id, account_id,
        COALESCE(do_not_call, 0), COALESCE(email_opt_out, 0), COALESCE(sms_opt_out, 0), COALESCE(is_unknown, 0), blocked, doc
    FROM contacts ORDER BY tenant_id, created_at, id;
DROP TABLE contacts;
ALTER TABLE contacts_new RENAME TO contacts;
CREATE UNIQUE INDEX contacts_external_id ON contacts (tenant_id, external_id)
    WHERE external_id IS NOT NULL AND deleted_at IS NULL;
CREATE INDEX contacts_updated ON contacts (tenant_id, updated_at, id, deleted_at);
CREATE INDEX contacts_created ON contacts (tenant_id, created_at, id, deleted_at);
CREATE INDEX contacts_display_name ON contacts (tenant_id, display_name, id, deleted_at);
CREATE INDEX contacts_last_name ON contacts (tenant_id, last_name, id, deleted_at);
CREATE INDEX contacts_account ON contacts (tenant_id, account_id, id);
CREATE INDEX contacts_live ON contacts (tenant_id, id, deleted_at, display_name);
-- +goose StatementBegin
CREATE TRIGGER contacts_erase_memberships AFTER DELETE ON contacts
BEGIN
    DELETE FROM segment_members WHERE tenant_id = OLD.tenant_id AND contact_id = OLD.id;
END;
-- +goose StatementEnd
COMMIT;
PRAGMA foreign_keys = ON;
