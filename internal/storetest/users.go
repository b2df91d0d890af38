package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/contactd/contactd"
)

// testUsers: users are kept per tenant, found by id and email, listed in
// id order a page at a time, changed and deleted; an email is unique per
// tenant, and the conflict names the user that has it.
func testUsers(t *testing.T, b Backend) {
	s := b.Open(t)
	ctx := t.Context()
	t1, t2 := newTenant(t, s), newTenant(t, s)
	mk := func(tenant, email string) *contactd.User {
		u := &contactd.User{ID: contactd.NewID(contactd.PrefixUser), TenantID: tenant, Email: email, Name: "Name of " + email,
			Role: "editor", PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA", CreatedAt: now(), UpdatedAt: now()}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatalf("CreateUser(%s): %v", email, err)
		}
		return u
	}
	ann := mk(t1.ID, "ann@example.com")
	bob := mk(t1.ID, "bob@example.com")
	other := mk(t2.ID, "ann@example.com") // another tenant: the email is free there

	got, err := s.User(ctx, t1.ID, ann.ID)
	if err != nil || got.Email != ann.Email || got.Name != ann.Name || got.Role != "editor" || got.PasswordHash != ann.PasswordHash ||
		!got.CreatedAt.Equal(ann.CreatedAt) || got.TenantID != t1.ID {
		t.Errorf("User: %+v, %v; want %+v", got, err, ann)
	}
	if got, err := s.UserByEmail(ctx, t2.ID, "ann@example.com"); err != nil || got.ID != other.ID {
		t.Errorf("UserByEmail in tenant 2: %+v, %v", got, err)
	}
	if _, err := s.User(ctx, t2.ID, ann.ID); contactd.ErrorCodeOf(err) != contactd.ENotFound {
		t.Errorf("tenant 2 reads tenant 1's user: %v", err)
	}

	// The email is unique per tenant, on create and on update.
	dup := &contactd.User{ID: contactd.NewID(contactd.PrefixUser), TenantID: t1.ID, Email: "ann@example.com", Role: "viewer",
		PasswordHash: "x", CreatedAt: now(), UpdatedAt: now()}
	var ce *contactd.ConflictError
	if err := s.CreateUser(ctx, dup); !errors.As(err, &ce) || ce.ID != ann.ID || ce.Field != "email" {
		t.Errorf("a second ann@example.com: %v", err)
	}
	bob.Email = "ann@example.com"
	if err := s.UpdateUser(ctx, bob); !errors.As(err, &ce) || ce.ID != ann.ID {
		t.Errorf("bob taking ann's email: %v", err)
	}
	bob.Email, bob.Role, bob.UpdatedAt = "robert@example.com", "admin", now().Add(time.Second)
	if err := s.UpdateUser(ctx, bob); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.User(ctx, t1.ID, bob.ID); got.Email != "robert@example.com" || got.Role != "admin" || !got.UpdatedAt.Equal(bob.UpdatedAt) {
		t.Errorf("after the update: %+v", got)
	}

	// Pages in id order, per tenant.
	page, err := s.Users(ctx, contactd.UsersParams{TenantID: t1.ID, Limit: 1})
	if err != nil || len(page) != 1 || page[0].ID != ann.ID {
		t.Fatalf("first page: %v, %v", page, err)
	}
	page, err = s.Users(ctx, contactd.UsersParams{TenantID: t1.ID, After: ann.ID, Limit: 10})
	if err != nil || len(page) != 1 || page[0].ID != bob.ID {
		t.Errorf("second page: %v, %v", page, err)
	}

	if err := s.DeleteUser(ctx, t2.ID, ann.ID); contactd.ErrorCodeOf(err) != contactd.ENotFound {
		t.Errorf("tenant 2 deletes tenant 1's user: %v", err)
	}
	if err := s.DeleteUser(ctx, t1.ID, ann.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByEmail(ctx, t1.ID, "ann@example.com"); contactd.ErrorCodeOf(err) != contactd.ENotFound {
		t.Errorf("a deleted user is found: %v", err)
	}
	if err := s.UpdateUser(ctx, ann); contactd.ErrorCodeOf(err) != contactd.ENotFound {
		t.Errorf("updating a deleted user: %v", err)
	}
	// Its email is free again.
	mk(t1.ID, "ann@example.com")
}
