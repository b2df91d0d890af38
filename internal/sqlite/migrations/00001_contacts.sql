-- +goose Up
CREATE TABLE tenants (
    id             TEXT    NOT NULL PRIMARY KEY,
    name           TEXT    NOT NULL,
    default_region TEXT    NOT NULL DEFAULT '',
    unique_phones  INTEGER NOT NULL DEFAULT 0,
    change_seq     INTEGER NOT NULL DEFAULT 0,
    created_at     TEXT    NOT NULL
);
CREATE UNIQUE INDEX tenants_name ON tenants (name);

CREATE TABLE tokens (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    id         TEXT NOT NULL,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    user_id    TEXT NOT NULL DEFAULT '',
    scopes     TEXT NOT NULL,
    hash       BLOB NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    PRIMARY KEY (tenant_id, id)
);
-- Authentication finds a token by the hash of its secret, before the tenant is known.
CREATE UNIQUE INDEX tokens_hash ON tokens (hash);

-- doc is the contact's API representation (JSON); the columns beside it are
-- what is looked up, sorted or constrained.
CREATE TABLE contacts (
    tenant_id        TEXT    NOT NULL REFERENCES tenants (id),
    id               TEXT    NOT NULL,
    version          INTEGER NOT NULL,
    display_name     TEXT    NOT NULL,
    display_name_set INTEGER NOT NULL DEFAULT 0,
    external_id      TEXT,
    created_at       TEXT    NOT NULL,
    updated_at       TEXT    NOT NULL,
    deleted_at       TEXT,
    doc              TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX contacts_external_id ON contacts (tenant_id, external_id)
    WHERE external_id IS NOT NULL AND deleted_at IS NULL;

CREATE TABLE contact_emails (
    tenant_id  TEXT    NOT NULL,
    contact_id TEXT    NOT NULL,
    address    TEXT    NOT NULL,
    live       INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, contact_id, address),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE UNIQUE INDEX contact_emails_live ON contact_emails (tenant_id, address) WHERE live = 1;

CREATE TABLE contact_phones (
    tenant_id  TEXT    NOT NULL,
    contact_id TEXT    NOT NULL,
    phone_id   TEXT    NOT NULL,
    e164       TEXT    NOT NULL,
    is_primary INTEGER NOT NULL,
    live       INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, contact_id, phone_id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX contact_phones_e164 ON contact_phones (tenant_id, e164);

-- The change log: per tenant, seq is allocated from tenants.change_seq in the
-- writing transaction, so it is gap-free and totally ordered.
CREATE TABLE changes (
    tenant_id  TEXT    NOT NULL,
    seq        INTEGER NOT NULL,
    contact_id TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    version    INTEGER NOT NULL,
    actor      TEXT    NOT NULL,
    at         TEXT    NOT NULL,
    fields     TEXT,
    PRIMARY KEY (tenant_id, seq)
) WITHOUT ROWID;
CREATE INDEX changes_contact ON changes (tenant_id, contact_id, seq);

CREATE TABLE idempotency_keys (
    tenant_id    TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash BLOB NOT NULL,
    created_at   TEXT NOT NULL,
    response     TEXT,
    PRIMARY KEY (tenant_id, key)
) WITHOUT ROWID;

