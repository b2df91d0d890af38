-- +goose Up
-- Nothing to change in PostgreSQL: this version moves the SQLite store's
-- change log to a rowid table (see the SQLite migration of the same
-- number); PostgreSQL's heap tables store such rows inline already.
SELECT 1;
