-- +goose Up
-- Contacts' photos: the image of each contact that has one, written with
-- the contact (the contact's document describes it), removed when the
-- contact is erased.
CREATE TABLE contact_photos (
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    contact_id   TEXT NOT NULL COLLATE "C",
    content_type TEXT NOT NULL,
    data         BYTEA NOT NULL,
    PRIMARY KEY (tenant_id, contact_id)
);
