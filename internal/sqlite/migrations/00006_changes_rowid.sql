-- +goose Up
-- The change log moves to a rowid table. A "created" change holds the whole
-- contact (a few KiB); in a WITHOUT ROWID table a row that large keeps only
-- about 1 KiB on its B-tree page and spills the rest to an overflow page of
-- its own, so each change took about two pages. A rowid table stores rows
-- up to a page inline, packed.
CREATE TABLE changes_new (
    tenant_id  TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    contact_id TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    actor      TEXT    NOT NULL,
    at         TEXT    NOT NULL,
    fields     TEXT,
    PRIMARY KEY (tenant_id, seq)
);
INSERT INTO changes_new (tenant_id, seq, contact_id, type, version, actor, at, fields)
    SELECT tenant_id, seq, contact_id, type, version, actor, at, fields FROM changes;
DROP TABLE changes;
ALTER TABLE changes_new RENAME TO changes;
CREATE INDEX changes_contact ON changes (tenant_id, contact_id, seq);
