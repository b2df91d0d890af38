-- +goose Up
-- Accounts: the organizations that contacts belong to (contacts.account_id).
-- doc is the account's API representation (JSON, phones and addresses
-- included); the columns beside it are what is looked up, sorted or
-- constrained.
CREATE TABLE accounts (
    tenant_id   TEXT    NOT NULL REFERENCES tenants (id),
    id          TEXT    NOT NULL,
    version     INTEGER NOT NULL,
    external_id TEXT,
    created_at  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    doc         TEXT    NOT NULL,
    name        TEXT    GENERATED ALWAYS AS (COALESCE(json_extract(doc, '$.name'), '')) VIRTUAL,
    domain      TEXT    GENERATED ALWAYS AS (COALESCE(json_extract(doc, '$.domain'), '')) VIRTUAL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX accounts_external_id ON accounts (tenant_id, external_id) WHERE external_id IS NOT NULL;
-- Keyset pagination over the sort orders, and lookups by domain.
CREATE INDEX accounts_name ON accounts (tenant_id, name, id);
CREATE INDEX accounts_domain ON accounts (tenant_id, domain, id);
CREATE INDEX accounts_created ON accounts (tenant_id, created_at, id);
CREATE INDEX accounts_updated ON accounts (tenant_id, updated_at, id);

-- The contacts of an account: listing them, and detaching them when the
-- account is deleted.
CREATE INDEX contacts_account ON contacts (tenant_id, account_id, id);
