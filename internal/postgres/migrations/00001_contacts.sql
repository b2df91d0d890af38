-- +goose Up
CREATE TABLE tenants (
    id             TEXT        NOT NULL PRIMARY KEY,
    name           TEXT        NOT NULL,
    default_region TEXT        NOT NULL DEFAULT '',
    unique_phones  BOOLEAN     NOT NULL DEFAULT false,
    change_seq     BIGINT      NOT NULL DEFAULT 0,
    created_at     TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX tenants_name ON tenants (name);

CREATE TABLE tokens (
    tenant_id  TEXT        NOT NULL REFERENCES tenants (id),
    id         TEXT        NOT NULL,
    name       TEXT        NOT NULL,
    kind       TEXT        NOT NULL,
    user_id    TEXT        NOT NULL DEFAULT '',
    scopes     TEXT        NOT NULL,
    hash       BYTEA       NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, id)
);
-- Authentication finds a token by the hash of its secret, before the tenant is known.
CREATE UNIQUE INDEX tokens_hash ON tokens (hash);

-- doc is the contact's API representation; the columns beside it are what
-- is looked up, sorted or constrained.
CREATE TABLE contacts (
    tenant_id        TEXT        NOT NULL REFERENCES tenants (id),
    id               TEXT        NOT NULL,
    version          BIGINT      NOT NULL,
    display_name     TEXT        NOT NULL,
    display_name_set BOOLEAN     NOT NULL DEFAULT false,
    external_id      TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    deleted_at       TIMESTAMPTZ,
    doc              JSONB       NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX contacts_external_id ON contacts (tenant_id, external_id)
    WHERE external_id IS NOT NULL AND deleted_at IS NULL;

CREATE TABLE contact_emails (
    tenant_id  TEXT    NOT NULL,
    contact_id TEXT    NOT NULL,
    address    TEXT    NOT NULL,
    live       BOOLEAN NOT NULL,
    PRIMARY KEY (tenant_id, contact_id, address),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX contact_emails_live ON contact_emails (tenant_id, address) WHERE live;

CREATE TABLE contact_phones (
    tenant_id  TEXT    NOT NULL,
    contact_id TEXT    NOT NULL,
    phone_id   TEXT    NOT NULL,
    e164       TEXT    NOT NULL,
    is_primary BOOLEAN NOT NULL,
    live       BOOLEAN NOT NULL,
    PRIMARY KEY (tenant_id, contact_id, phone_id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX contact_phones_e164 ON contact_phones (tenant_id, e164);

-- The change log: per tenant, seq is allocated from tenants.change_seq in the
-- writing transaction (whose row lock orders a tenant's writers), so it is
-- gap-free and in commit order.
CREATE TABLE changes (
    tenant_id  TEXT        NOT NULL,
    seq        BIGINT      NOT NULL,
    contact_id TEXT        NOT NULL,
    type       TEXT        NOT NULL,
    version    BIGINT      NOT NULL,
    actor      TEXT        NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    fields     JSONB,
    PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX changes_contact ON changes (tenant_id, contact_id, seq);

CREATE TABLE idempotency_keys (
    tenant_id    TEXT        NOT NULL,
    key          TEXT        NOT NULL,
    request_hash BYTEA       NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    response     JSONB,
    PRIMARY KEY (tenant_id, key)
);
