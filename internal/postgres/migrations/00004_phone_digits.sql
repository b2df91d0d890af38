-- +goose Up
-- The caller-ID query reads only these columns of a tenant's rows for one
-- number; an index that holds them all answers it without visiting the
-- table. (PostgreSQL keeps indexing phone digits as suffix terms in
-- contact_terms; the SQLite store moved them to a trigram index in this
-- version.)
CREATE INDEX contact_phones_lookup ON contact_phones (tenant_id, e164) INCLUDE (live, contact_id, is_primary, phone_id);
DROP INDEX contact_phones_e164;
