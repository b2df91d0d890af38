-- +goose Up
-- The change log's retention: each tenant keeps its changes for
-- change_retention_days, and changes_pruned_through is the number through
-- which its oldest changes have been removed (0: none has), so that a
-- cursor from before it is known to have missed changes.
ALTER TABLE tenants ADD COLUMN change_retention_days INTEGER NOT NULL DEFAULT 30;
ALTER TABLE tenants ADD COLUMN changes_pruned_through BIGINT NOT NULL DEFAULT 0;
-- Tenants that exist before this migration keep their whole log (up to
-- ten years) until an admin lowers the setting: an upgrade removes no
-- history. Tenants created later start at the default, 30 days.
UPDATE tenants SET change_retention_days = 3650;

-- Every statement that adds changes notifies the channel contactd_changes
-- with each tenant it added changes to; PostgreSQL delivers the
-- notifications when the transaction commits (one per tenant however many
-- changes), to every contactd node listening, which wakes its long polls.
-- +goose StatementBegin
CREATE FUNCTION contactd_notify_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('contactd_changes', t.tenant_id) FROM (SELECT DISTINCT tenant_id FROM added) t;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
CREATE TRIGGER changes_notify AFTER INSERT ON changes
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION contactd_notify_changes();
