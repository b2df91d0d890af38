-- +goose Up
-- The change log's retention: each tenant keeps its changes for
-- change_retention_days, and changes_pruned_through is the number through
-- which its oldest changes have been removed (0: none has), so that a
-- cursor from before it is known to have missed changes.
ALTER TABLE tenants ADD COLUMN change_retention_days INTEGER NOT NULL DEFAULT 30;
ALTER TABLE tenants ADD COLUMN changes_pruned_through INTEGER NOT NULL DEFAULT 0;
-- Tenants that exist before this migration keep their whole log (up to
-- ten years) until an admin lowers the setting: an upgrade removes no
-- history. Tenants created later start at the default, 30 days.
UPDATE tenants SET change_retention_days = 3650;
