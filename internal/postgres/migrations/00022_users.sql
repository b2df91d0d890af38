-- +goose Up
-- The people of a tenant who sign in to the web address book. The email is
-- unique per tenant (stored in lower case); the password is an argon2id
-- hash (contactd.HashPassword).
CREATE TABLE users (
    tenant_id     TEXT        NOT NULL REFERENCES tenants (id),
    id            TEXT        NOT NULL COLLATE "C",
    email         TEXT        NOT NULL,
    name          TEXT        NOT NULL DEFAULT '',
    role          TEXT        NOT NULL,
    password_hash TEXT        NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE UNIQUE INDEX users_email ON users (tenant_id, email);

-- +goose Down
DROP TABLE users;
