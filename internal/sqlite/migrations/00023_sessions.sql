-- +goose Up
-- Sign-in sessions of the web address book (contactd.Session). The secret
-- lives only in the user's cookie; the table keeps its SHA-256 hash, by
-- which a request finds its session before the tenant is known. A session
-- ends with its user (the foreign key cascades).
CREATE TABLE sessions (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    id           TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    hash         BLOB NOT NULL,
    csrf         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE UNIQUE INDEX sessions_hash ON sessions (hash);
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
