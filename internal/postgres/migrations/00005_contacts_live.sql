-- +goose Up
-- Counting a tenant's live contacts (every list page's total) and checking
-- that a contact found through a side table is live can use this index
-- alone.
CREATE INDEX contacts_live ON contacts (tenant_id, id) WHERE deleted_at IS NULL;
