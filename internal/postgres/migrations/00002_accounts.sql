-- +goose Up
-- Accounts: the organizations that contacts belong to (contacts.account_id).
-- doc is the account's API representation (phones and addresses included);
-- the columns beside it are what is looked up, sorted or constrained. Text
-- that is sorted compares bytewise (COLLATE "C"), as in SQLite.
CREATE TABLE accounts (
    tenant_id   TEXT             NOT NULL REFERENCES tenants (id),
    id          TEXT COLLATE "C" NOT NULL,
    version     BIGINT           NOT NULL,
    external_id TEXT,
    created_at  TIMESTAMPTZ      NOT NULL,
    updated_at  TIMESTAMPTZ      NOT NULL,
    doc         JSONB            NOT NULL,
    name        TEXT COLLATE "C" GENERATED ALWAYS AS (COALESCE(doc->>'name', '')) STORED,
    domain      TEXT COLLATE "C" GENERATED ALWAYS AS (COALESCE(doc->>'domain', '')) STORED,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX accounts_external_id ON accounts (tenant_id, external_id) WHERE external_id IS NOT NULL;
-- Keyset pagination over the sort orders, and lookups by domain.
CREATE INDEX accounts_name ON accounts (tenant_id, name, id);
CREATE INDEX accounts_domain ON accounts (tenant_id, domain, id);
CREATE INDEX accounts_created ON accounts (tenant_id, created_at, id);
CREATE INDEX accounts_updated ON accounts (tenant_id, updated_at, id);

-- The contacts of an account: listing them, and detaching them when the
-- account is deleted.
CREATE INDEX contacts_account ON contacts (tenant_id, account_id, id);
