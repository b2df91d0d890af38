package storetest

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/contactd/contactd"
)

// sameTenant reports an error unless got is want.
func sameTenant(t *testing.T, got, want *contactd.Tenant, what string) {
	t.Helper()
	if got.ID != want.ID || got.Name != want.Name || got.DefaultRegion != want.DefaultRegion ||
		got.UniquePhones != want.UniquePhones || !got.CreatedAt.Equal(want.CreatedAt) {
		t.Errorf("%s: got tenant %+v, want %+v", what, got, want)
	}
}

func wantTenantCount(t *testing.T, s contactd.Store, want int) {
	t.Helper()
	got, err := s.CountTenants(t.Context())
	if err != nil || got != want {
		t.Errorf("CountTenants: got %d, %v; want %d, nil", got, err, want)
	}
}

func testTenants(t *testing.T, b Backend) {
	t.Run("CreateAndGet", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ctx := t.Context()
		wantTenantCount(t, s, 0)
		tenants := []*contactd.Tenant{
			{ID: contactd.NewID(contactd.PrefixTenant), Name: "acme", DefaultRegion: "DE", UniquePhones: true, CreatedAt: now()},
			{ID: contactd.NewID(contactd.PrefixTenant), Name: "globex", DefaultRegion: "", CreatedAt: now().Add(-time.Hour)},
		}
		for _, tn := range tenants {
			if err := s.CreateTenant(ctx, tn); err != nil {
				t.Fatalf("CreateTenant(%s): %v", tn.Name, err)
			}
		}
		for _, want := range tenants {
			got, err := s.Tenant(ctx, want.ID)
			if err != nil {
				t.Errorf("Tenant(%s): got error %v, want the tenant", want.ID, err)
			} else {
				sameTenant(t, got, want, "Tenant")
			}
			got, err = s.TenantByName(ctx, want.Name)
			if err != nil {
				t.Errorf("TenantByName(%s): got error %v, want the tenant", want.Name, err)
			} else {
				sameTenant(t, got, want, "TenantByName")
			}
		}
		wantTenantCount(t, s, 2)
	})

	t.Run("DuplicateName", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ctx := t.Context()
		first := &contactd.Tenant{ID: contactd.NewID(contactd.PrefixTenant), Name: "acme", CreatedAt: now()}
		if err := s.CreateTenant(ctx, first); err != nil {
			t.Fatalf("CreateTenant: %v", err)
		}
		dup := &contactd.Tenant{ID: contactd.NewID(contactd.PrefixTenant), Name: "acme", CreatedAt: now()}
		wantCode(t, s.CreateTenant(ctx, dup), contactd.EConflict, "CreateTenant with a taken name")
		_, err := s.Tenant(ctx, dup.ID)
		wantCode(t, err, contactd.ENotFound, "Tenant(id of the rejected tenant)")
		got, err := s.TenantByName(ctx, "acme")
		if err != nil {
			t.Fatalf("TenantByName: %v", err)
		}
		sameTenant(t, got, first, "TenantByName after the rejected duplicate")
		wantTenantCount(t, s, 1)
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ctx := t.Context()
		tn := newTenant(t, s)
		tests := []struct {
			name string
			call func() error
		}{
			{"Tenant(unknown id)", func() error { _, err := s.Tenant(ctx, contactd.NewID(contactd.PrefixTenant)); return err }},
			{"TenantByName(unknown name)", func() error { _, err := s.TenantByName(ctx, "no-such-tenant"); return err }},
			{"TenantByName(prefix of a name)", func() error { _, err := s.TenantByName(ctx, tn.Name[:len(tn.Name)-1]); return err }},
		}
		for _, tt := range tests {
			wantCode(t, tt.call(), contactd.ENotFound, tt.name)
		}
	})
}

func testTokens(t *testing.T, b Backend) {
	t.Run("CreateAndFindByHash", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		ctx := t.Context()
		t1, t2 := newTenant(t, s), newTenant(t, s)
		tokens := []*contactd.Token{
			{
				ID: contactd.NewID(contactd.PrefixToken), TenantID: t1.ID, Name: "ann's token", Kind: contactd.TokenPersonal, UserID: "user-42",
				// Not in AllScopes order, to check that the order is kept.
				Scopes:    []contactd.Scope{contactd.ScopeWrite, contactd.ScopeRead, contactd.ScopeAdmin},
				Hash:      contactd.HashToken(contactd.TokenPrefix + "personal"),
				CreatedAt: now(),
			},
			{
				ID: contactd.NewID(contactd.PrefixToken), TenantID: t2.ID, Name: "crm-sync", Kind: contactd.TokenService,
				Scopes:    []contactd.Scope{contactd.ScopeRead},
				Hash:      contactd.HashToken(contactd.TokenPrefix + "service"),
				CreatedAt: now().Add(-time.Minute),
			},
		}
		for _, tk := range tokens {
			if err := s.CreateToken(ctx, tk); err != nil {
				t.Fatalf("CreateToken(%s): %v", tk.Name, err)
			}
		}
		for _, want := range tokens {
			got, err := s.TokenByHash(ctx, want.Hash)
			if err != nil {
				t.Errorf("TokenByHash(hash of %s): got error %v, want the token", want.Name, err)
				continue
			}
			if got.ID != want.ID || got.TenantID != want.TenantID || got.Name != want.Name || got.Kind != want.Kind ||
				got.UserID != want.UserID || !slices.Equal(got.Scopes, want.Scopes) || !bytes.Equal(got.Hash, want.Hash) ||
				!got.CreatedAt.Equal(want.CreatedAt) || got.RevokedAt != nil {
				t.Errorf("TokenByHash(hash of %s): got %+v, want %+v", want.Name, got, want)
			}
		}
	})

	t.Run("UnknownHash", func(t *testing.T) {
		t.Parallel()
		s := b.Open(t)
		tn := newTenant(t, s)
		tk := &contactd.Token{ID: contactd.NewID(contactd.PrefixToken), TenantID: tn.ID, Name: "t", Kind: contactd.TokenService,
			Scopes: []contactd.Scope{contactd.ScopeRead}, Hash: contactd.HashToken(contactd.TokenPrefix + "known"), CreatedAt: now()}
		if err := s.CreateToken(t.Context(), tk); err != nil {
			t.Fatalf("CreateToken: %v", err)
		}
		_, err := s.TokenByHash(t.Context(), contactd.HashToken(contactd.TokenPrefix+"unknown"))
		wantCode(t, err, contactd.ENotFound, "TokenByHash(unknown hash)")
	})
}
