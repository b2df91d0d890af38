-- +goose Up
-- Webhook subscriptions: their settings as a document; whether they are
-- enabled, and their delivery state (the last change handled, failures in
-- a row, the next attempt, the node holding them until when) as columns,
-- which the deliverer writes without touching the settings. And each
-- subscription's log of attempts, with what each sent and the contact it
-- was about.
CREATE TABLE webhooks (
    tenant_id        TEXT        NOT NULL REFERENCES tenants (id),
    id               TEXT        NOT NULL COLLATE "C",
    doc              JSONB       NOT NULL,
    enabled          BOOLEAN     NOT NULL,
    disabled_reason  TEXT        NOT NULL DEFAULT '',
    cursor           BIGINT      NOT NULL,
    failures         INTEGER     NOT NULL DEFAULT 0,
    first_failure_at TIMESTAMPTZ,
    next_attempt_at  TIMESTAMPTZ,
    lease_owner      TEXT,
    lease_until      TIMESTAMPTZ,
    PRIMARY KEY (tenant_id, id)
);
CREATE TABLE webhook_deliveries (
    tenant_id  TEXT  NOT NULL,
    webhook_id TEXT  NOT NULL COLLATE "C",
    id         TEXT  NOT NULL COLLATE "C",
    contact_id TEXT,
    doc        JSONB NOT NULL,
    body       BYTEA,
    PRIMARY KEY (tenant_id, webhook_id, id),
    FOREIGN KEY (tenant_id, webhook_id) REFERENCES webhooks (tenant_id, id) ON DELETE CASCADE
);
-- Erasing a contact clears the bodies of the messages about it.
CREATE INDEX webhook_deliveries_contact ON webhook_deliveries (tenant_id, contact_id);
