-- +goose Up
-- Sign-in sessions of the web address book (contactd.Session). The secret
-- lives only in the user's cookie; the table keeps its SHA-256 hash, by
-- which a request finds its session before the tenant is known. A session
-- ends with its user (the foreign key cascades).
--
-- The table is the tenant's, like users, distributed by tenant_id and
-- co-located with users (SCALING.md): so the hash's unique index includes
-- tenant_id, which a distributed table's unique indexes must. The hash
-- leads it, so that it finds a session by hash alone; the SHA-256 of a
-- random secret does not recur across tenants.
CREATE TABLE sessions (
    tenant_id    TEXT        NOT NULL REFERENCES tenants (id),
    id           TEXT        NOT NULL COLLATE "C",
    user_id      TEXT        NOT NULL COLLATE "C",
    hash         BYTEA       NOT NULL,
    csrf         TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX sessions_hash ON sessions (hash, tenant_id);
-- A user's sessions, ended together (and by the cascade).
CREATE INDEX sessions_user ON sessions (tenant_id, user_id);
-- The sweep of idle and expired sessions of every tenant
-- (DeleteSessionsBefore), one range of each index.
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Sign-in asks for an email before it knows the tenant (UsersByEmail);
-- users_email leads with the tenant.
CREATE INDEX users_email_tenants ON users (email, tenant_id);

-- +goose Down
DROP INDEX users_email_tenants;
DROP TABLE sessions;
