-- +goose Up
-- Import jobs: each job's state as its JSON document, with its status
-- apart (a job's progress is written only while it has not ended); and the
-- records of each job that failed, in order.
CREATE TABLE imports (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    id        TEXT NOT NULL,
    status    TEXT NOT NULL,
    doc       TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
) WITHOUT ROWID;
CREATE TABLE import_errors (
    tenant_id TEXT    NOT NULL,
    import_id TEXT    NOT NULL,
    seq       INTEGER NOT NULL,
    doc       TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, import_id, seq),
    FOREIGN KEY (tenant_id, import_id) REFERENCES imports (tenant_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
