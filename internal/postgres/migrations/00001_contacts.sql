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
    display_name     TEXT COLLATE "C" NOT NULL,
    display_name_set BOOLEAN     NOT NULL DEFAULT false,
    external_id      TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    deleted_at       TIMESTAMPTZ,
    doc              JSONB       NOT NULL,
    -- Filterable and sortable fields, generated from the document. Text
    -- compares bytewise (COLLATE "C"), as in SQLite, so both databases
    -- sort and page alike.
    kind          TEXT COLLATE "C" GENERATED ALWAYS AS (COALESCE(doc->>'kind', '')) STORED,
    contact_type  TEXT COLLATE "C" GENERATED ALWAYS AS (COALESCE(doc->>'contactType', '')) STORED,
    first_name    TEXT COLLATE "C" GENERATED ALWAYS AS (COALESCE(doc->>'firstName', '')) STORED,
    last_name     TEXT COLLATE "C" GENERATED ALWAYS AS (COALESCE(doc->>'lastName', '')) STORED,
    company       TEXT COLLATE "C" GENERATED ALWAYS AS (COALESCE(doc->>'company', '')) STORED,
    department    TEXT COLLATE "C" GENERATED ALWAYS AS (COALESCE(doc->>'department', '')) STORED,
    job_title     TEXT COLLATE "C" GENERATED ALWAYS AS (COALESCE(doc->>'jobTitle', '')) STORED,
    status        TEXT COLLATE "C" GENERATED ALWAYS AS (COALESCE(doc->>'status', '')) STORED,
    source        TEXT COLLATE "C" GENERATED ALWAYS AS (COALESCE(doc->>'source', '')) STORED,
    owner_id      TEXT COLLATE "C" GENERATED ALWAYS AS (COALESCE(doc->>'ownerId', '')) STORED,
    account_id    TEXT COLLATE "C" GENERATED ALWAYS AS (COALESCE(doc->>'accountId', '')) STORED,
    do_not_call   BOOLEAN GENERATED ALWAYS AS ((doc->>'doNotCall')::boolean) STORED,
    email_opt_out BOOLEAN GENERATED ALWAYS AS ((doc->>'emailOptOut')::boolean) STORED,
    sms_opt_out   BOOLEAN GENERATED ALWAYS AS ((doc->>'smsOptOut')::boolean) STORED,
    is_unknown    BOOLEAN GENERATED ALWAYS AS ((doc->>'unknown')::boolean) STORED,
    blocked       BOOLEAN GENERATED ALWAYS AS (doc ? 'blockedAt') STORED,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX contacts_external_id ON contacts (tenant_id, external_id)
    WHERE external_id IS NOT NULL AND deleted_at IS NULL;
-- Keyset pagination over the common sort orders.
CREATE INDEX contacts_updated ON contacts (tenant_id, updated_at, id);
CREATE INDEX contacts_created ON contacts (tenant_id, created_at, id);
CREATE INDEX contacts_display_name ON contacts (tenant_id, display_name COLLATE "C", id);
CREATE INDEX contacts_last_name ON contacts (tenant_id, last_name, id);

-- Tags, lower-cased, for filters.
CREATE TABLE contact_tags (
    tenant_id  TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    tag        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, contact_id, tag),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX contact_tags_tag ON contact_tags (tenant_id, tag);

-- Members of static segments.
CREATE TABLE segment_members (
    tenant_id  TEXT NOT NULL,
    segment_id TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, segment_id, contact_id)
);
CREATE INDEX segment_members_contact ON segment_members (tenant_id, contact_id);

-- The full-text index: normalized terms (lower case, accents removed) of
-- names, company, emails and phone digits, each with a weight; a query
-- token matches the terms it is a prefix of.
CREATE TABLE contact_terms (
    tenant_id  TEXT             NOT NULL,
    term       TEXT COLLATE "C" NOT NULL,
    contact_id TEXT             NOT NULL,
    weight     SMALLINT         NOT NULL,
    PRIMARY KEY (tenant_id, term, contact_id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX contact_terms_contact ON contact_terms (tenant_id, contact_id);

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
CREATE INDEX contact_phones_e164 ON contact_phones (tenant_id, e164, contact_id);

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
