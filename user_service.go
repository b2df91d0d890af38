package contactd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"
)

// UserInput is what a client sends to create or change a user: on a
// change, only the fields given (Set names them).
type UserInput struct {
	Email, Name, Role, Password string
	Set                         map[string]bool
}

// DecodeUserInput decodes a user document strictly (a create's body or a
// merge patch: null is refused, every field having no empty value).
func DecodeUserInput(data []byte) (*UserInput, error) {
	in := &UserInput{Set: map[string]bool{}}
	err := decodeBody(data, func(d *decoder, k string, raw json.RawMessage) {
		var p *string
		switch k {
		case "email":
			p = &in.Email
		case "name":
			p = &in.Name
		case "role":
			p = &in.Role
		case "password":
			p = &in.Password
		case "id", "createdAt", "updatedAt":
			return // read-only: sent back as read, ignored
		default:
			d.unknownField("", k)
			return
		}
		if isNull(raw) && k != "name" {
			d.fail(k, "cannot be null")
			return
		}
		in.Set[k] = true
		if !isNull(raw) {
			d.str(raw, k, p)
		}
	})
	if err != nil {
		return nil, err
	}
	return in, nil
}

// apply validates the fields of in that are set onto u.
func (in *UserInput) apply(u *User) error {
	var b builder
	if in.Set["email"] {
		u.Email = b.emailAddress("email", in.Email)
	}
	if in.Set["name"] {
		u.Name = b.text("name", in.Name, 128)
	}
	if in.Set["role"] {
		u.Role = strings.TrimSpace(in.Role)
		if !slices.Contains(Roles, u.Role) {
			b.fail("role", "must be one of %s", strings.Join(Roles, ", "))
		}
	}
	if in.Set["password"] {
		if n := utf8.RuneCountInString(in.Password); n < MinPasswordLen || n > MaxPasswordLen {
			b.fail("password", "must be %d to %d characters", MinPasswordLen, MaxPasswordLen)
		} else {
			u.PasswordHash = HashPassword(in.Password)
		}
	}
	if len(b.errs) > 0 {
		return invalid(b.errs)
	}
	return nil
}

var userList = &listKind[*User]{
	name:   "users",
	fixed:  []SortKey{{Field: "id"}},
	value:  func(u *User, _ string) string { return u.ID },
	fields: jsonFields(reflect.TypeFor[User]()),
}

// CreateUser adds a user to the tenant (contacts:admin). Email and
// password are required; the role defaults to viewer.
// EInvalid, EConflict (the email), EForbidden.
func (s *Service) CreateUser(ctx context.Context, p Principal, in *UserInput) (*User, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	var missing []FieldError
	for _, k := range []string{"email", "password"} {
		if !in.Set[k] {
			missing = append(missing, FieldError{Location: k, Message: "is required"})
		}
	}
	if len(missing) > 0 {
		return nil, invalid(missing)
	}
	now := s.now()
	u := &User{ID: NewID(PrefixUser), TenantID: p.TenantID, Role: "viewer", CreatedAt: now, UpdatedAt: now}
	if err := in.apply(u); err != nil {
		return nil, err
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		return nil, userConflict(err, u.Email)
	}
	return u, nil
}

// GetUser returns a user (contacts:admin). ENotFound, EForbidden.
func (s *Service) GetUser(ctx context.Context, p Principal, id string) (*User, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	return notFoundAs[*User]("user", id)(s.store.User(ctx, p.TenantID, id))
}

// UserListRequest asks for a page of a tenant's users.
type UserListRequest struct {
	ListParams
}

// Users lists the tenant's users, oldest first (contacts:admin).
func (s *Service) Users(ctx context.Context, p Principal, r UserListRequest) (*Page[*User], error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	l, err := startList(ctx, s, p, userList, r.ListParams, "", false)
	if err != nil {
		return nil, err
	}
	q := UsersParams{TenantID: p.TenantID, Limit: l.limit + 1}
	if l.after != nil {
		q.After = l.after[0]
	}
	us, err := s.store.Users(ctx, q)
	if err != nil {
		return nil, err
	}
	return finishList(ctx, s, p, userList, l, us, nil)
}

// UpdateUser changes a user's email, name, role or password
// (contacts:admin). A new password ends every session of the user; a
// role with fewer scopes revokes the user's personal tokens that carry
// a scope it lacks. EInvalid, ENotFound, EConflict, EForbidden.
func (s *Service) UpdateUser(ctx context.Context, p Principal, id string, in *UserInput) (*User, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	u, err := s.GetUser(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := in.apply(u); err != nil {
		return nil, err
	}
	u.UpdatedAt = s.now()
	if err := s.store.UpdateUser(ctx, u); err != nil {
		if ErrorCodeOf(err) == ENotFound {
			return nil, Errorf(ENotFound, "user %q not found", id)
		}
		return nil, userConflict(err, u.Email)
	}
	if in.Set["password"] {
		if _, err := s.store.DeleteUserSessions(ctx, p.TenantID, u.ID, ""); err != nil {
			return nil, err
		}
	}
	allowed := RoleScopes(u.Role)
	if err := s.revokeUserTokens(ctx, p, u.ID, func(t *Token) bool {
		return slices.ContainsFunc(t.Scopes, func(sc Scope) bool { return !slices.Contains(allowed, sc) })
	}); err != nil {
		return nil, err
	}
	return u, nil
}

// revokeUserTokens revokes the live personal tokens of a user that match.
func (s *Service) revokeUserTokens(ctx context.Context, p Principal, userID string, match func(*Token) bool) error {
	for after := ""; ; {
		ts, err := s.store.Tokens(ctx, TokensParams{TenantID: p.TenantID, After: after, Limit: MaxLimit})
		if err != nil {
			return err
		}
		for _, t := range ts {
			if t.UserID == userID && t.Kind == TokenPersonal && t.RevokedAt == nil && match(t) {
				if err := s.RevokeToken(ctx, p, t.ID); err != nil && ErrorCodeOf(err) != ENotFound {
					return err
				}
			}
		}
		if len(ts) < MaxLimit {
			return nil
		}
		after = ts[len(ts)-1].ID
	}
}

// DeleteUser removes a user, after revoking the personal tokens that act
// as it; its sessions end with it (contacts:admin). ENotFound, EForbidden.
func (s *Service) DeleteUser(ctx context.Context, p Principal, id string) error {
	if _, err := s.GetUser(ctx, p, id); err != nil {
		return err
	}
	if err := s.revokeUserTokens(ctx, p, id, func(*Token) bool { return true }); err != nil {
		return err
	}
	_, err := notFoundAs[struct{}]("user", id)(struct{}{}, s.store.DeleteUser(ctx, p.TenantID, id))
	return err
}

// userConflict words a store's email conflict.
func userConflict(err error, email string) error {
	var ce *ConflictError
	if !errors.As(err, &ce) {
		return err
	}
	msg := fmt.Sprintf("the email %s belongs to user %s", email, ce.ID)
	return &Error{Code: EConflict, Message: msg, ConflictingID: ce.ID, ConflictingField: "email",
		Fields: []FieldError{{Location: "email", Message: msg}}}
}
