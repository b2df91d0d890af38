-- +goose Up
-- The change log's retention: each tenant keeps its changes for
-- change_retention_days, and changes_pruned_through is the number through
-- which its oldest changes have been removed (0: none has), so that a
-- cursor from before it is known to have missed changes.
ALTER TABLE tenants ADD COLUMN change_retention_days INTEGER NOT NULL DEFAULT 30;
ALTER TABLE tenants ADD COLUMN changes_pruned_through INTEGER NOT NULL DEFAULT 0;
