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
    -- Filterable and sortable fields, generated from the document.
    kind          TEXT    GENERATED ALWAYS AS (COALESCE(json_extract(doc, '$.kind'), '')) VIRTUAL,
    contact_type  TEXT    GENERATED ALWAYS AS (COALESCE(json_extract(doc, '$.contactType'), '')) VIRTUAL,
    first_name    TEXT    GENERATED ALWAYS AS (COALESCE(json_extract(doc, '$.firstName'), '')) VIRTUAL,
    last_name     TEXT    GENERATED ALWAYS AS (COALESCE(json_extract(doc, '$.lastName'), '')) VIRTUAL,
    company       TEXT    GENERATED ALWAYS AS (COALESCE(json_extract(doc, '$.company'), '')) VIRTUAL,
    department    TEXT    GENERATED ALWAYS AS (COALESCE(json_extract(doc, '$.department'), '')) VIRTUAL,
    job_title     TEXT    GENERATED ALWAYS AS (COALESCE(json_extract(doc, '$.jobTitle'), '')) VIRTUAL,
    status        TEXT    GENERATED ALWAYS AS (COALESCE(json_extract(doc, '$.status'), '')) VIRTUAL,
    source        TEXT    GENERATED ALWAYS AS (COALESCE(json_extract(doc, '$.source'), '')) VIRTUAL,
    owner_id      TEXT    GENERATED ALWAYS AS (COALESCE(json_extract(doc, '$.ownerId'), '')) VIRTUAL,
    account_id    TEXT    GENERATED ALWAYS AS (COALESCE(json_extract(doc, '$.accountId'), '')) VIRTUAL,
    do_not_call   INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.doNotCall')) VIRTUAL,
    email_opt_out INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.emailOptOut')) VIRTUAL,
    sms_opt_out   INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.smsOptOut')) VIRTUAL,
    is_unknown    INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.unknown')) VIRTUAL,
    blocked       INTEGER GENERATED ALWAYS AS (json_extract(doc, '$.blockedAt') IS NOT NULL) VIRTUAL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX contacts_external_id ON contacts (tenant_id, external_id)
    WHERE external_id IS NOT NULL AND deleted_at IS NULL;
-- Keyset pagination over the common sort orders.
CREATE INDEX contacts_updated ON contacts (tenant_id, updated_at, id);
CREATE INDEX contacts_created ON contacts (tenant_id, created_at, id);
CREATE INDEX contacts_display_name ON contacts (tenant_id, display_name, id);
CREATE INDEX contacts_last_name ON contacts (tenant_id, last_name, id);

-- Tags, lower-cased, for filters.
CREATE TABLE contact_tags (
    tenant_id  TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    tag        TEXT NOT NULL,
    PRIMARY KEY (tenant_id, contact_id, tag),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX contact_tags_tag ON contact_tags (tenant_id, tag);

-- Members of static segments.
CREATE TABLE segment_members (
    tenant_id  TEXT NOT NULL,
    segment_id TEXT NOT NULL,
    contact_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, segment_id, contact_id)
) WITHOUT ROWID;
CREATE INDEX segment_members_contact ON segment_members (tenant_id, contact_id);

-- The full-text index: normalized terms (lower case, accents removed) of
-- names, company, emails and phone digits, each with a weight; a query
-- token matches the terms it is a prefix of.
CREATE TABLE contact_terms (
    tenant_id  TEXT    NOT NULL,
    term       TEXT    NOT NULL,
    contact_id TEXT    NOT NULL,
    weight     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, term, contact_id),
    FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX contact_terms_contact ON contact_terms (tenant_id, contact_id);

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
CREATE INDEX contact_phones_e164 ON contact_phones (tenant_id, e164, contact_id);

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

