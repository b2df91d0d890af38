-- +goose Up
-- contact_phones gets an INTEGER PRIMARY KEY. The trigram index of phone
-- digits (00004) is keyed by the phone rows' rowids, and SQLite may
-- renumber the rowids of a table without one: VACUUM is allowed to, and a
-- dump written without --preserve-rowids loads with new ones. The index
-- would then point at other numbers. The rows keep the rowids they have,
-- so the index stays as it is.
--
-- The insert trigger goes: it indexed each number as its row went in, and
-- the store indexes a write's new numbers again, all in one statement
-- (one FTS5 segment a write, not one per multi-row INSERT), so every
-- number was indexed twice. Deleting or renumbering a row still updates
-- the index by trigger.
CREATE TABLE contact_phones_new (
    rid        INTEGER PRIMARY KEY,
    tenant_id  TEXT    NOT NULL,
    contact_id TEXT    NOT NULL,
    phone_id   TEXT    NOT NULL,
    e164       TEXT    NOT NULL,
    is_primary INTEGER NOT NULL,
    live       INTEGER NOT NULL,
    UNIQUE (tenant_id, contact_id, phone_id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE
);
INSERT INTO contact_phones_new (rid, tenant_id, contact_id, phone_id, e164, is_primary, live)
    SELECT rowid, tenant_id, contact_id, phone_id, e164, is_primary, live FROM contact_phones ORDER BY rowid;
-- Dropping a table drops its triggers first: the index keeps its rows.
DROP TABLE contact_phones;
ALTER TABLE contact_phones_new RENAME TO contact_phones;
CREATE INDEX contact_phones_e164 ON contact_phones (tenant_id, e164, live, contact_id, is_primary, phone_id);

-- +goose StatementBegin
CREATE TRIGGER contact_phones_digits_delete AFTER DELETE ON contact_phones BEGIN
    DELETE FROM contact_phone_digits WHERE rowid = old.rid;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contact_phones_digits_update AFTER UPDATE OF e164 ON contact_phones BEGIN
    DELETE FROM contact_phone_digits WHERE rowid = old.rid;
    INSERT INTO contact_phone_digits (rowid, digits) VALUES (new.rid, substr(new.e164, 2));
END;
-- +goose StatementEnd
