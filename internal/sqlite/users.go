package sqlite

import (
	"context"
	"errors"

	"github.com/contactd/contactd"
)

// userColumns are the columns of a user.
const userColumns = `tenant_id, id, email, name, role, password_hash, created_at, updated_at`

func scanUser(row rowScanner) (*contactd.User, error) {
	var u contactd.User
	var created, updated string
	if err := row.Scan(&u.TenantID, &u.ID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &created, &updated); err != nil {
		return nil, interpretError(err)
	}
	var err error
	if u.CreatedAt, err = parseTime(created); err != nil {
		return nil, err
	}
	u.UpdatedAt, err = parseTime(updated)
	return &u, err
}

// CreateUser implements contactd.Store.
func (s *Store) CreateUser(ctx context.Context, u *contactd.User) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		u.TenantID, u.ID, u.Email, u.Name, u.Role, u.PasswordHash, formatTime(u.CreatedAt), formatTime(u.UpdatedAt))
	return s.userConflict(ctx, u, err)
}

// userConflict names the user that has u's email when err is the unique
// index's violation.
func (s *Store) userConflict(ctx context.Context, u *contactd.User, err error) error {
	err = interpretError(err)
	var ce *contactd.ConflictError
	if !errors.As(err, &ce) {
		return err
	}
	other, lerr := s.UserByEmail(ctx, u.TenantID, u.Email)
	if lerr != nil {
		return err
	}
	return &contactd.ConflictError{Field: "email", Value: u.Email, ID: other.ID}
}

// User implements contactd.Store.
func (s *Store) User(ctx context.Context, tenantID, id string) (*contactd.User, error) {
	return scanUser(s.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE tenant_id = ? AND id = ?`, tenantID, id))
}

// UserByEmail implements contactd.Store.
func (s *Store) UserByEmail(ctx context.Context, tenantID, email string) (*contactd.User, error) {
	return scanUser(s.queryRow(ctx, `SELECT `+userColumns+` FROM users WHERE tenant_id = ? AND email = ?`, tenantID, email))
}

// Users implements contactd.Store.
func (s *Store) Users(ctx context.Context, p contactd.UsersParams) ([]*contactd.User, error) {
	return collect(scanUser)(s.read.QueryContext(ctx, `SELECT `+userColumns+` FROM users WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?`,
		p.TenantID, p.After, p.Limit))
}

// UpdateUser implements contactd.Store.
func (s *Store) UpdateUser(ctx context.Context, u *contactd.User) error {
	res, err := s.write.ExecContext(ctx, `UPDATE users SET email = ?, name = ?, role = ?, password_hash = ?, updated_at = ? WHERE tenant_id = ? AND id = ?`,
		u.Email, u.Name, u.Role, u.PasswordHash, formatTime(u.UpdatedAt), u.TenantID, u.ID)
	if err != nil {
		return s.userConflict(ctx, u, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return contactd.Errorf(contactd.ENotFound, "user %q not found", u.ID)
	}
	return nil
}

// DeleteUser implements contactd.Store.
func (s *Store) DeleteUser(ctx context.Context, tenantID, id string) error {
	res, err := s.write.ExecContext(ctx, `DELETE FROM users WHERE tenant_id = ? AND id = ?`, tenantID, id)
	if err != nil {
		return interpretError(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return contactd.Errorf(contactd.ENotFound, "user %q not found", id)
	}
	return nil
}
