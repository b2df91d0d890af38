package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlq"
)

const webhookColumns = `tenant_id, id, doc::text, enabled, disabled_reason, cursor, failures, first_failure_at, next_attempt_at`

func scanWebhook(row pgx.Row) (*contactd.Webhook, error) {
	w := &contactd.Webhook{}
	var doc []byte
	if err := row.Scan(&w.TenantID, &w.ID, &doc, &w.Enabled, &w.DisabledReason, &w.Cursor, &w.Failures, &w.FirstFailureAt, &w.NextAttemptAt); err != nil {
		return nil, err
	}
	for _, t := range []**time.Time{&w.FirstFailureAt, &w.NextAttemptAt} {
		if *t != nil {
			u := (*t).UTC()
			*t = &u
		}
	}
	return w, sqlq.DecodeWebhook(doc, w)
}

func notFound(err error, what, id string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return contactd.Errorf(contactd.ENotFound, "%s %q not found", what, id)
	}
	return interpretError(err)
}

// CreateWebhook implements contactd.Store.
func (s *Store) CreateWebhook(ctx context.Context, w *contactd.Webhook) error {
	doc, err := sqlq.EncodeWebhook(w)
	if err != nil {
		return err
	}
	err = s.pool.QueryRow(ctx, `INSERT INTO webhooks (tenant_id, id, doc, enabled, disabled_reason, cursor)
		SELECT id, $1, $2, $3, $4, change_seq FROM tenants WHERE id = $5 RETURNING cursor`,
		w.ID, doc, w.Enabled, w.DisabledReason, w.TenantID).Scan(&w.Cursor)
	return notFound(err, "tenant", w.TenantID)
}

// Webhook implements contactd.Store.
func (s *Store) Webhook(ctx context.Context, tenantID, id string) (*contactd.Webhook, error) {
	w, err := scanWebhook(s.pool.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE tenant_id = $1 AND id = $2`, tenantID, id))
	if err != nil {
		return nil, notFound(err, "webhook", id)
	}
	return w, nil
}

// Webhooks implements contactd.Store.
func (s *Store) Webhooks(ctx context.Context, tenantID, after string, limit int) ([]*contactd.Webhook, error) {
	return collect(scanWebhook)(s.pool.Query(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
		tenantID, after, limit))
}

// UpdateWebhook implements contactd.Store.
func (s *Store) UpdateWebhook(ctx context.Context, w *contactd.Webhook) error {
	doc, err := sqlq.EncodeWebhook(w)
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE webhooks SET doc = $1, enabled = $2, disabled_reason = $3,
			failures = CASE WHEN $2 AND NOT enabled THEN 0 ELSE failures END,
			first_failure_at = CASE WHEN $2 AND NOT enabled THEN NULL ELSE first_failure_at END,
			next_attempt_at = CASE WHEN $2 AND NOT enabled THEN NULL ELSE next_attempt_at END
		WHERE tenant_id = $4 AND id = $5`, doc, w.Enabled, w.DisabledReason, w.TenantID, w.ID)
	if err != nil {
		return interpretError(err)
	}
	if tag.RowsAffected() == 0 {
		return contactd.Errorf(contactd.ENotFound, "webhook %q not found", w.ID)
	}
	return nil
}

// DeleteWebhook implements contactd.Store.
func (s *Store) DeleteWebhook(ctx context.Context, tenantID, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM webhooks WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	if err != nil {
		return interpretError(err)
	}
	if tag.RowsAffected() == 0 {
		return contactd.Errorf(contactd.ENotFound, "webhook %q not found", id)
	}
	return nil
}

// ClaimWebhooks implements contactd.Store. Nodes claiming at once skip the
// rows another holds locked (FOR UPDATE SKIP LOCKED), so each subscription
// goes to one of them. It is the one statement that spans tenants: the
// deliverer serves them all.
func (s *Store) ClaimWebhooks(ctx context.Context, owner string, now time.Time, lease time.Duration, max int) ([]*contactd.Webhook, error) {
	return collect(scanWebhook)(s.pool.Query(ctx, `UPDATE webhooks SET lease_owner = $1, lease_until = $2
		WHERE (tenant_id, id) IN (
			SELECT w.tenant_id, w.id FROM webhooks w JOIN tenants t ON t.id = w.tenant_id
			WHERE w.enabled AND w.cursor < t.change_seq
				AND (w.next_attempt_at IS NULL OR w.next_attempt_at <= $3)
				AND (w.lease_until IS NULL OR w.lease_until < $3)
			ORDER BY w.next_attempt_at NULLS FIRST, w.tenant_id, w.id LIMIT $4
			FOR UPDATE OF w SKIP LOCKED)
		RETURNING `+webhookColumns, owner, now.Add(lease), now, max))
}

// ReleaseLeases implements contactd.Store.
func (s *Store) ReleaseLeases(ctx context.Context) error {
	_, err := s.pool.Exec(ctx, `UPDATE webhooks SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL`)
	return interpretError(err)
}

// WebhookBacklog implements contactd.Store.
func (s *Store) WebhookBacklog(ctx context.Context) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(SUM(t.change_seq - w.cursor), 0)::bigint
		FROM webhooks w JOIN tenants t ON t.id = w.tenant_id WHERE w.enabled`).Scan(&n)
	return n, interpretError(err)
}

// SaveDeliveries implements contactd.Store.
func (s *Store) SaveDeliveries(ctx context.Context, owner string, w *contactd.Webhook, ds []*contactd.WebhookDelivery, release bool) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE webhooks SET cursor = $1, failures = $2, first_failure_at = $3, next_attempt_at = $4,
				enabled = enabled AND $5,
				disabled_reason = CASE WHEN $5 THEN disabled_reason ELSE $6 END,
				lease_owner = CASE WHEN $7 THEN NULL ELSE lease_owner END,
				lease_until = CASE WHEN $7 THEN NULL ELSE lease_until END
			WHERE tenant_id = $8 AND id = $9 AND lease_owner = $10`,
			w.Cursor, w.Failures, w.FirstFailureAt, w.NextAttemptAt, w.Enabled, w.DisabledReason, release, w.TenantID, w.ID, owner)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			var x int
			if err := tx.QueryRow(ctx, `SELECT 1 FROM webhooks WHERE tenant_id = $1 AND id = $2`, w.TenantID, w.ID).Scan(&x); errors.Is(err, pgx.ErrNoRows) {
				return contactd.Errorf(contactd.ENotFound, "webhook %q not found", w.ID)
			}
			return sqlq.LeaseLost(w.ID)
		}
		return addDeliveries(ctx, tx, w.TenantID, w.ID, ds)
	})
}

// AddDelivery implements contactd.Store.
func (s *Store) AddDelivery(ctx context.Context, d *contactd.WebhookDelivery) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var x int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM webhooks WHERE tenant_id = $1 AND id = $2`, d.TenantID, d.WebhookID).Scan(&x); errors.Is(err, pgx.ErrNoRows) {
			return contactd.Errorf(contactd.ENotFound, "webhook %q not found", d.WebhookID)
		}
		return addDeliveries(ctx, tx, d.TenantID, d.WebhookID, []*contactd.WebhookDelivery{d})
	})
}

// addDeliveries appends attempts to a log and drops what is past its
// length.
func addDeliveries(ctx context.Context, tx pgx.Tx, tenantID, webhookID string, ds []*contactd.WebhookDelivery) error {
	if len(ds) == 0 {
		return nil
	}
	for _, d := range ds {
		doc, err := sqlq.EncodeDelivery(d)
		if err != nil {
			return err
		}
		var contactID *string
		if d.ContactID != "" {
			contactID = &d.ContactID
		}
		if _, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (tenant_id, webhook_id, id, contact_id, doc, body) VALUES ($1, $2, $3, $4, $5, $6)`,
			tenantID, webhookID, d.ID, contactID, doc, d.Body); err != nil {
			return err
		}
	}
	_, err := tx.Exec(ctx, `DELETE FROM webhook_deliveries WHERE tenant_id = $1 AND webhook_id = $2 AND id <= (
			SELECT id FROM webhook_deliveries WHERE tenant_id = $1 AND webhook_id = $2 ORDER BY id DESC LIMIT 1 OFFSET $3)`,
		tenantID, webhookID, contactd.MaxWebhookDeliveries)
	return err
}

func scanDelivery(row pgx.Row) (*contactd.WebhookDelivery, error) {
	var tenantID string
	var doc, body []byte
	if err := row.Scan(&tenantID, &doc, &body); err != nil {
		return nil, err
	}
	return sqlq.DecodeDelivery(tenantID, doc, body)
}

// WebhookDeliveries implements contactd.Store.
func (s *Store) WebhookDeliveries(ctx context.Context, tenantID, webhookID, before string, limit int) ([]*contactd.WebhookDelivery, error) {
	if before == "" {
		before = "\U0010FFFF"
	}
	return collect(scanDelivery)(s.pool.Query(ctx, `SELECT tenant_id, doc::text, body FROM webhook_deliveries
		WHERE tenant_id = $1 AND webhook_id = $2 AND id < $3 ORDER BY id DESC LIMIT $4`, tenantID, webhookID, before, limit))
}

// WebhookDelivery implements contactd.Store.
func (s *Store) WebhookDelivery(ctx context.Context, tenantID, webhookID, id string) (*contactd.WebhookDelivery, error) {
	d, err := scanDelivery(s.pool.QueryRow(ctx, `SELECT tenant_id, doc::text, body FROM webhook_deliveries
		WHERE tenant_id = $1 AND webhook_id = $2 AND id = $3`, tenantID, webhookID, id))
	if err != nil {
		return nil, notFound(err, "delivery", id)
	}
	return d, nil
}
