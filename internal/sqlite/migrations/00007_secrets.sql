-- +goose Up
-- Secrets of the deployment, created on first use and shared by everything
-- that serves the database (the key that signs list cursors).
CREATE TABLE secrets (
    name       TEXT NOT NULL PRIMARY KEY,
    value      BLOB NOT NULL,
    created_at TEXT NOT NULL
);

