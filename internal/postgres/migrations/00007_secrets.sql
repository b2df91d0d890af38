-- +goose Up
-- Secrets of the deployment, created on first use and shared by every node
-- (the key that signs list cursors).
CREATE TABLE secrets (
    name       TEXT        NOT NULL PRIMARY KEY,
    value      BYTEA       NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

