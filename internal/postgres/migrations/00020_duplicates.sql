-- +goose Up
-- Duplicate candidates. Each contact's blocking keys (contactd.DuplicateKeys:
-- its national numbers, emails as delivered, external id, and name within
-- its company or email domain), written with the contact, keyed by the key
-- alone: a write adds one index entry a key, and removes the keys of the
-- version it replaces, which it computes from that version. Two contacts
-- that share a key, unless both hold it weakly, are candidates; the keys
-- that two contacts share are listed in contact_dup_blocks, for the list of
-- groups. Pairs dismissed as not duplicates stay dismissed.
-- Contacts written before this migration have no keys until the tenant is
-- rescanned (POST /v1/contacts/duplicates/rescan).
CREATE TABLE contact_dup_keys (
    tenant_id  TEXT NOT NULL,
    key        TEXT NOT NULL COLLATE "C",
    weak       BOOLEAN NOT NULL,
    contact_id TEXT NOT NULL COLLATE "C",
    PRIMARY KEY (tenant_id, key, weak, contact_id)
);

CREATE TABLE contact_dup_blocks (
    tenant_id TEXT NOT NULL,
    key       TEXT NOT NULL COLLATE "C",
    PRIMARY KEY (tenant_id, key)
);

CREATE TABLE contact_dup_dismissals (
    tenant_id TEXT NOT NULL,
    a         TEXT NOT NULL COLLATE "C",
    b         TEXT NOT NULL COLLATE "C",
    PRIMARY KEY (tenant_id, a, b),
    FOREIGN KEY (tenant_id, a) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, b) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX contact_dup_dismissals_b ON contact_dup_dismissals (tenant_id, b);

-- Merges, for undo: the survivor (target_id) and the record of what the
-- merge did (contactd.Merge as JSON: the survivor as it was, the sources'
-- versions, where each field came from). undone_at is set by an unmerge.
CREATE TABLE contact_merges (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    id         TEXT NOT NULL,
    target_id  TEXT NOT NULL,
    doc        TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    undone_at  TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX contact_merges_target ON contact_merges (tenant_id, target_id, id);

-- The latest rescan of each tenant's keys (contactd.Rescan as JSON).
CREATE TABLE contact_dup_rescans (
    tenant_id  TEXT NOT NULL PRIMARY KEY REFERENCES tenants (id),
    status     TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    doc        TEXT NOT NULL
);

-- +goose Down
DROP TABLE contact_dup_rescans;
DROP TABLE contact_merges;
DROP TABLE contact_dup_dismissals;
DROP TABLE contact_dup_blocks;
DROP TABLE contact_dup_keys;
