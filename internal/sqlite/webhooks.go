package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/sqlq"
)

const webhookColumns = `tenant_id, id, doc, enabled, disabled_reason, cursor, failures, first_failure_at, next_attempt_at`

func scanWebhook(row rowScanner) (*contactd.Webhook, error) {
	w := &contactd.Webhook{}
	var doc []byte
	var first, next sql.NullString
	if err := row.Scan(&w.TenantID, &w.ID, &doc, &w.Enabled, &w.DisabledReason, &w.Cursor, &w.Failures, &first, &next); err != nil {
		return nil, interpretError(err)
	}
	var err error
	if w.FirstFailureAt, err = parseNullTime(first); err != nil {
		return nil, err
	}
	if w.NextAttemptAt, err = parseNullTime(next); err != nil {
		return nil, err
	}
	return w, sqlq.DecodeWebhook(doc, w)
}

func parseNullTime(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	return &t, err
}

// CreateWebhook implements contactd.Store.
func (s *Store) CreateWebhook(ctx context.Context, w *contactd.Webhook) error {
	doc, err := sqlq.EncodeWebhook(w)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO webhooks (tenant_id, id, doc, enabled, disabled_reason, cursor)
			SELECT id, ?, ?, ?, ?, change_seq FROM tenants WHERE id = ?`, w.ID, doc, boolInt(w.Enabled), w.DisabledReason, w.TenantID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return contactd.Errorf(contactd.ENotFound, "tenant %q not found", w.TenantID)
		}
		return tx.QueryRowContext(ctx, `SELECT cursor FROM webhooks WHERE tenant_id = ? AND id = ?`, w.TenantID, w.ID).Scan(&w.Cursor)
	})
}

// Webhook implements contactd.Store.
func (s *Store) Webhook(ctx context.Context, tenantID, id string) (*contactd.Webhook, error) {
	return scanWebhook(s.read.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE tenant_id = ? AND id = ?`, tenantID, id))
}

// Webhooks implements contactd.Store.
func (s *Store) Webhooks(ctx context.Context, tenantID, after string, limit int) ([]*contactd.Webhook, error) {
	return collect(scanWebhook)(s.read.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?`,
		tenantID, after, limit))
}

// UpdateWebhook implements contactd.Store.
func (s *Store) UpdateWebhook(ctx context.Context, w *contactd.Webhook) error {
	doc, err := sqlq.EncodeWebhook(w)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhooks SET doc = ?, enabled = ?, disabled_reason = ?,
				failures = CASE WHEN ? AND enabled = 0 THEN 0 ELSE failures END,
				first_failure_at = CASE WHEN ? AND enabled = 0 THEN NULL ELSE first_failure_at END,
				next_attempt_at = CASE WHEN ? AND enabled = 0 THEN NULL ELSE next_attempt_at END
			WHERE tenant_id = ? AND id = ?`,
			doc, boolInt(w.Enabled), w.DisabledReason, w.Enabled, w.Enabled, w.Enabled, w.TenantID, w.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return contactd.Errorf(contactd.ENotFound, "webhook %q not found", w.ID)
		}
		return nil
	})
}

// DeleteWebhook implements contactd.Store.
func (s *Store) DeleteWebhook(ctx context.Context, tenantID, id string) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE tenant_id = ? AND id = ?`, tenantID, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return contactd.Errorf(contactd.ENotFound, "webhook %q not found", id)
		}
		return nil
	})
}

// ClaimWebhooks implements contactd.Store. It is the one statement that
// spans tenants: the deliverer serves them all.
func (s *Store) ClaimWebhooks(ctx context.Context, owner string, now time.Time, lease time.Duration, max int) ([]*contactd.Webhook, error) {
	var out []*contactd.Webhook
	err := s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		out, err = collect(scanWebhook)(tx.QueryContext(ctx, `UPDATE webhooks SET lease_owner = ?, lease_until = ?
			WHERE (tenant_id, id) IN (
				SELECT w.tenant_id, w.id FROM webhooks w JOIN tenants t ON t.id = w.tenant_id
				WHERE w.enabled = 1 AND w.cursor < t.change_seq
					AND (w.next_attempt_at IS NULL OR w.next_attempt_at <= ?)
					AND (w.lease_until IS NULL OR w.lease_until < ?)
				ORDER BY w.next_attempt_at, w.tenant_id, w.id LIMIT ?)
			RETURNING `+webhookColumns,
			owner, formatTime(now.Add(lease)), formatTime(now), formatTime(now), max))
		return err
	})
	return out, err
}

// ReleaseLeases implements contactd.Store.
func (s *Store) ReleaseLeases(ctx context.Context) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE webhooks SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL`)
		return err
	})
}

// WebhookBacklog implements contactd.Store.
func (s *Store) WebhookBacklog(ctx context.Context) (int64, error) {
	var n int64
	err := s.read.QueryRowContext(ctx, `SELECT COALESCE(SUM(t.change_seq - w.cursor), 0)
		FROM webhooks w JOIN tenants t ON t.id = w.tenant_id WHERE w.enabled = 1`).Scan(&n)
	return n, interpretError(err)
}

// SaveDeliveries implements contactd.Store.
func (s *Store) SaveDeliveries(ctx context.Context, owner string, w *contactd.Webhook, ds []*contactd.WebhookDelivery, release bool) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhooks SET cursor = ?, failures = ?, first_failure_at = ?, next_attempt_at = ?,
				enabled = CASE WHEN ? THEN enabled ELSE 0 END,
				disabled_reason = CASE WHEN ? THEN disabled_reason ELSE ? END,
				lease_owner = CASE WHEN ? THEN NULL ELSE lease_owner END,
				lease_until = CASE WHEN ? THEN NULL ELSE lease_until END
			WHERE tenant_id = ? AND id = ? AND lease_owner = ?`,
			w.Cursor, w.Failures, nullTime(w.FirstFailureAt), nullTime(w.NextAttemptAt),
			w.Enabled, w.Enabled, w.DisabledReason, release, release, w.TenantID, w.ID, owner)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var x int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM webhooks WHERE tenant_id = ? AND id = ?`, w.TenantID, w.ID).Scan(&x); err == sql.ErrNoRows {
				return contactd.Errorf(contactd.ENotFound, "webhook %q not found", w.ID)
			}
			return sqlq.LeaseLost(w.ID)
		}
		return addDeliveries(ctx, tx, w.TenantID, w.ID, ds)
	})
}

// AddDelivery implements contactd.Store.
func (s *Store) AddDelivery(ctx context.Context, d *contactd.WebhookDelivery) error {
	return s.inTx(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var x int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM webhooks WHERE tenant_id = ? AND id = ?`, d.TenantID, d.WebhookID).Scan(&x); err == sql.ErrNoRows {
			return contactd.Errorf(contactd.ENotFound, "webhook %q not found", d.WebhookID)
		}
		return addDeliveries(ctx, tx, d.TenantID, d.WebhookID, []*contactd.WebhookDelivery{d})
	})
}

// addDeliveries appends attempts to a log and drops what is past its
// length.
func addDeliveries(ctx context.Context, tx *sql.Tx, tenantID, webhookID string, ds []*contactd.WebhookDelivery) error {
	if len(ds) == 0 {
		return nil
	}
	for _, d := range ds {
		doc, err := sqlq.EncodeDelivery(d)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (tenant_id, webhook_id, id, contact_id, doc, body) VALUES (?, ?, ?, ?, ?, ?)`,
			tenantID, webhookID, d.ID, nullString(d.ContactID), doc, d.Body); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE tenant_id = ? AND webhook_id = ? AND id <= (
			SELECT id FROM webhook_deliveries WHERE tenant_id = ? AND webhook_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)`,
		tenantID, webhookID, tenantID, webhookID, contactd.MaxWebhookDeliveries)
	return err
}

func scanDelivery(row rowScanner) (*contactd.WebhookDelivery, error) {
	var tenantID string
	var doc, body []byte
	if err := row.Scan(&tenantID, &doc, &body); err != nil {
		return nil, interpretError(err)
	}
	return sqlq.DecodeDelivery(tenantID, doc, body)
}

// WebhookDeliveries implements contactd.Store.
func (s *Store) WebhookDeliveries(ctx context.Context, tenantID, webhookID, before string, limit int) ([]*contactd.WebhookDelivery, error) {
	if before == "" {
		before = "\U0010FFFF"
	}
	return collect(scanDelivery)(s.read.QueryContext(ctx, `SELECT tenant_id, doc, body FROM webhook_deliveries
		WHERE tenant_id = ? AND webhook_id = ? AND id < ? ORDER BY id DESC LIMIT ?`, tenantID, webhookID, before, limit))
}

// WebhookDelivery implements contactd.Store.
func (s *Store) WebhookDelivery(ctx context.Context, tenantID, webhookID, id string) (*contactd.WebhookDelivery, error) {
	return scanDelivery(s.read.QueryRowContext(ctx, `SELECT tenant_id, doc, body FROM webhook_deliveries
		WHERE tenant_id = ? AND webhook_id = ? AND id = ?`, tenantID, webhookID, id))
}
