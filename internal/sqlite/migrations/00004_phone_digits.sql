-- +goose Up
-- Phone digits leave the term index. It held every trailing run of three or
-- more digits of every number (about twenty rows per contact, each a random
-- insert into a large B-tree); a trigram FTS5 index over the digits of each
-- stored number answers the same "any three consecutive digits" queries and
-- costs a fraction of that to write. contact_phones gets a rowid for it, and
-- its lookup index covers every column the caller-ID query reads.
CREATE TABLE contact_phones_new (
    tenant_id  TEXT    NOT NULL,
    contact_id TEXT    NOT NULL,
    phone_id   TEXT    NOT NULL,
    e164       TEXT    NOT NULL,
    is_primary INTEGER NOT NULL,
    live       INTEGER NOT NULL,
    UNIQUE (tenant_id, contact_id, phone_id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE
);
INSERT INTO contact_phones_new (tenant_id, contact_id, phone_id, e164, is_primary, live)
    SELECT tenant_id, contact_id, phone_id, e164, is_primary, live FROM contact_phones;
DROP TABLE contact_phones;
ALTER TABLE contact_phones_new RENAME TO contact_phones;
CREATE INDEX contact_phones_e164 ON contact_phones (tenant_id, e164, live, contact_id, is_primary, phone_id);

CREATE VIRTUAL TABLE contact_phone_digits USING fts5(
    digits, content='', contentless_delete=1, tokenize='trigram');
INSERT INTO contact_phone_digits (rowid, digits) SELECT rowid, substr(e164, 2) FROM contact_phones;

-- +goose StatementBegin
CREATE TRIGGER contact_phones_digits_insert AFTER INSERT ON contact_phones BEGIN
    INSERT INTO contact_phone_digits (rowid, digits) VALUES (new.rowid, substr(new.e164, 2));
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contact_phones_digits_delete AFTER DELETE ON contact_phones BEGIN
    DELETE FROM contact_phone_digits WHERE rowid = old.rowid;
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER contact_phones_digits_update AFTER UPDATE OF e164 ON contact_phones BEGIN
    DELETE FROM contact_phone_digits WHERE rowid = old.rowid;
    INSERT INTO contact_phone_digits (rowid, digits) VALUES (new.rowid, substr(new.e164, 2));
END;
-- +goose StatementEnd

-- The suffix rows written before this migration stay until their contact
-- is next written: they match the same queries, so nothing is lost.
