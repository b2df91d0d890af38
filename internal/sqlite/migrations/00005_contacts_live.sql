-- +goose Up
-- Counting a tenant's live contacts (every list page's total), checking
-- that a contact found through a side table or the term index is live, and
-- ranking search matches by display name read this narrow index instead of
-- the contact rows, whose documents fill their pages.
CREATE INDEX contacts_live ON contacts (tenant_id, id, deleted_at, display_name);
