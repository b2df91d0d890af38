-- +goose Up
-- The cards CardDAV clients wrote: under the resource name the client
-- chose, the vCard exactly as it came, and the contact it produced (its
-- version and document), so that what the contact model does not hold
-- goes back to the client unchanged. A contact without a row is the card
-- "<id>.vcf", rendered from its fields. An erased contact's row keeps
-- only its name, for sync reports to name the card that went.
CREATE TABLE cards (
    tenant_id  TEXT   NOT NULL REFERENCES tenants (id),
    contact_id TEXT   NOT NULL COLLATE "C",
    name       TEXT   NOT NULL COLLATE "C",
    version    BIGINT NOT NULL,
    base       TEXT,
    data       BYTEA,
    PRIMARY KEY (tenant_id, contact_id)
);
CREATE UNIQUE INDEX cards_name ON cards (tenant_id, name);

