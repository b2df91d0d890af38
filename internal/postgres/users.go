package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/contactd/contactd"
)

// userColumns are the columns of a user.
const userColumns = `tenant_id, id, email, name, role, password_hash, created_at, updated_at`

func scanUser(row pgx.Row) (*contactd.User, error) {
	var u contactd.User
	if err := row.Scan(&u.TenantID, &u.ID, &u.Email, &u.Name, &u.Role, &u.PasswordHash, &u.CreatedAt, &u.UpdatedAt); err != nil {
		return nil, interpretError(err)
	}
	u.CreatedAt, u.UpdatedAt = u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	return &u, nil
}

// CreateUser implements contactd.Store.
func (s *Store) CreateUser(ctx context.Context, u *contactd.User) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		u.TenantID, u.ID, u.Email, u.Name, u.Role, u.PasswordHash, u.CreatedAt, u.UpdatedAt)
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
	return scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND id = $2`, tenantID, id))
}

// UserByEmail implements contactd.Store.
func (s *Store) UserByEmail(ctx context.Context, tenantID, email string) (*contactd.User, error) {
	return scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND email = $2`, tenantID, email))
}

// Users implements contactd.Store.
func (s *Store) Users(ctx context.Context, p contactd.UsersParams) ([]*contactd.User, error) {
	return collect(scanUser)(s.pool.Query(ctx, `SELECT `+userColumns+` FROM users WHERE tenant_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
		p.TenantID, p.After, p.Limit))
}

// UpdateUser implements contactd.Store.
func (s *Store) UpdateUser(ctx context.Context, u *contactd.User) error {
	tag, err := s.pool.Exec(ctx, `UPDATE users SET email = $1, name = $2, role = $3, password_hash = $4, updated_at = $5 WHERE tenant_id = $6 AND id = $7`,
		u.Email, u.Name, u.Role, u.PasswordHash, u.UpdatedAt, u.TenantID, u.ID)
	if err != nil {
		return s.userConflict(ctx, u, err)
	}
	if tag.RowsAffected() == 0 {
		return contactd.Errorf(contactd.ENotFound, "user %q not found", u.ID)
	}
	return nil
}

// DeleteUser implements contactd.Store.
func (s *Store) DeleteUser(ctx context.Context, tenantID, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM users WHERE tenant_id = $1 AND id = $2`, tenantID, id)
	if err != nil {
		return interpretError(err)
	}
	if tag.RowsAffected() == 0 {
		return contactd.Errorf(contactd.ENotFound, "user %q not found", id)
	}
	return nil
}
