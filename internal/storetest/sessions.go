package storetest

import (
	"bytes"
	"crypto/sha256"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contactd/contactd"
)

// testSessions: sessions are found by the hash of their secret with their
// user and tenant settings, touched, ended one at a time, all of a user's
// but one, by the sweep of idle and expired ones, and with their user;
// every write stays in its tenant, even where ids recur across tenants.
// UsersByEmail finds a user by email in every tenant.
func testSessions(t *testing.T, b Backend) {
	s := b.Open(t)
	ctx := t.Context()
	rate := 7
	t1 := &contactd.Tenant{ID: contactd.NewID(contactd.PrefixTenant), DefaultRegion: "GB", RateLimit: &rate, CreatedAt: now()}
	t1.Name = "tenant-" + t1.ID
	if err := s.CreateTenant(ctx, t1); err != nil {
		t.Fatal(err)
	}
	t2, t3 := newTenant(t, s), newTenant(t, s) // region US, no rate limit

	mkUser := func(tenant, id, email, name, role string) *contactd.User {
		u := &contactd.User{ID: id, TenantID: tenant, Email: email, Name: name, Role: role,
			PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$" + name, CreatedAt: now(), UpdatedAt: now().Add(time.Second)}
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatalf("CreateUser(%s in %s): %v", email, tenant, err)
		}
		return u
	}
	ann := mkUser(t1.ID, contactd.NewID(contactd.PrefixUser), "ann@example.com", "Ann", "editor")
	bob := mkUser(t1.ID, contactd.NewID(contactd.PrefixUser), "bob@example.com", "Bob", "viewer")
	// Ann's twin in tenant 2 has her id and email: a statement that
	// forgets the tenant touches the twin's rows too.
	twin := mkUser(t2.ID, ann.ID, "ann@example.com", "Twin", "admin")
	third := mkUser(t3.ID, contactd.NewID(contactd.PrefixUser), "ann@example.com", "Third", "viewer")

	base := now()
	mkSession := func(u *contactd.User, id string, created, seen, expires time.Time) *contactd.Session {
		if id == "" {
			id = contactd.NewID(contactd.PrefixSession)
		}
		h := sha256.Sum256([]byte(u.TenantID + id))
		ss := &contactd.Session{ID: id, TenantID: u.TenantID, UserID: u.ID, Hash: h[:], CSRF: "csrf-" + u.TenantID + id,
			CreatedAt: created, LastSeenAt: seen, ExpiresAt: expires}
		if err := s.CreateSession(ctx, ss); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		return ss
	}
	live := func(u *contactd.User) *contactd.Session {
		return mkSession(u, "", base.Add(-time.Minute), base, base.Add(time.Hour))
	}
	// found reports whether SessionByHash finds ss as it was written.
	found := func(ss *contactd.Session) bool {
		t.Helper()
		got, err := s.SessionByHash(ctx, ss.Hash)
		if contactd.ErrorCodeOf(err) == contactd.ENotFound {
			return false
		}
		if err != nil {
			t.Fatalf("SessionByHash(%s): %v", ss.ID, err)
		}
		if got.ID != ss.ID || got.TenantID != ss.TenantID || got.UserID != ss.UserID || !bytes.Equal(got.Hash, ss.Hash) ||
			got.CSRF != ss.CSRF || !got.CreatedAt.Equal(ss.CreatedAt) || !got.LastSeenAt.Equal(ss.LastSeenAt) || !got.ExpiresAt.Equal(ss.ExpiresAt) {
			t.Errorf("SessionByHash(%s) = %+v; want %+v", ss.ID, got, ss)
		}
		return true
	}
	sameUser := func(got, want *contactd.User) bool {
		return got != nil && got.ID == want.ID && got.TenantID == want.TenantID && got.Email == want.Email && got.Name == want.Name &&
			got.Role == want.Role && got.PasswordHash == want.PasswordHash && got.CreatedAt.Equal(want.CreatedAt) && got.UpdatedAt.Equal(want.UpdatedAt)
	}

	a1, a2 := live(ann), live(ann)
	b1 := live(bob)
	w1 := mkSession(twin, a1.ID, base.Add(-time.Minute), base, base.Add(time.Hour)) // a1's id, in tenant 2
	w2 := live(twin)

	// The session with its user and tenant settings.
	got, err := s.SessionByHash(ctx, a1.Hash)
	if err != nil {
		t.Fatalf("SessionByHash: %v", err)
	}
	if !found(a1) || !sameUser(got.User, ann) || got.TenantRegion != "GB" || got.TenantRateLimit == nil || *got.TenantRateLimit != 7 {
		t.Errorf("SessionByHash(a1): user %+v, region %q, rate limit %v; want %+v, GB, 7", got.User, got.TenantRegion, got.TenantRateLimit, ann)
	}
	got, err = s.SessionByHash(ctx, w1.Hash)
	if err != nil || !found(w1) || !sameUser(got.User, twin) || got.TenantRegion != "US" || got.TenantRateLimit != nil {
		t.Errorf("SessionByHash(w1): %+v, %v; want the twin's session in tenant 2, US, no rate limit", got, err)
	}
	unknown := sha256.Sum256([]byte("no such secret"))
	if _, err := s.SessionByHash(ctx, unknown[:]); contactd.ErrorCodeOf(err) != contactd.ENotFound {
		t.Errorf("SessionByHash(unknown) = %v; want ENotFound", err)
	}

	// Touching records the time, in the session's tenant only.
	seen := base.Add(5 * time.Second)
	if err := s.TouchSession(ctx, t1.ID, a1.ID, seen); err != nil {
		t.Fatalf("TouchSession: %v", err)
	}
	wantA1 := *a1
	wantA1.LastSeenAt = seen
	if !found(&wantA1) {
		t.Errorf("a1 is gone after TouchSession")
	}
	if !found(w1) { // (found reports a changed LastSeenAt)
		t.Errorf("w1 is gone after a1's TouchSession")
	}
	a1 = &wantA1
	if err := s.TouchSession(ctx, t3.ID, a1.ID, seen); contactd.ErrorCodeOf(err) != contactd.ENotFound {
		t.Errorf("TouchSession in another tenant = %v; want ENotFound", err)
	}
	if err := s.TouchSession(ctx, t1.ID, contactd.NewID(contactd.PrefixSession), seen); contactd.ErrorCodeOf(err) != contactd.ENotFound {
		t.Errorf("TouchSession(unknown) = %v; want ENotFound", err)
	}

	// Ending one session ends it in its tenant only.
	if err := s.DeleteSession(ctx, t3.ID, a1.ID); contactd.ErrorCodeOf(err) != contactd.ENotFound {
		t.Errorf("DeleteSession in another tenant = %v; want ENotFound", err)
	}
	if err := s.DeleteSession(ctx, t2.ID, w1.ID); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	if found(w1) || !found(a1) {
		t.Errorf("after DeleteSession(w1): w1 found %v, a1 (same id, tenant 1) found %v; want false, true", found(w1), found(a1))
	}
	if err := s.DeleteSession(ctx, t2.ID, w1.ID); contactd.ErrorCodeOf(err) != contactd.ENotFound {
		t.Errorf("DeleteSession twice = %v; want ENotFound", err)
	}

	// Ending a user's sessions, with and without an exception.
	a3 := live(ann)
	if n, err := s.DeleteUserSessions(ctx, t1.ID, ann.ID, a1.ID); err != nil || n != 2 {
		t.Errorf("DeleteUserSessions(ann but a1) = %d, %v; want 2", n, err)
	}
	if !found(a1) || found(a2) || found(a3) || !found(b1) || !found(w2) {
		t.Errorf("after DeleteUserSessions(ann but a1): a1 %v a2 %v a3 %v b1 %v w2 %v; want true false false true true",
			found(a1), found(a2), found(a3), found(b1), found(w2))
	}
	if n, err := s.DeleteUserSessions(ctx, t3.ID, ann.ID, ""); err != nil || n != 0 {
		t.Errorf("DeleteUserSessions(ann's id in tenant 3) = %d, %v; want 0", n, err)
	}
	if n, err := s.DeleteUserSessions(ctx, t1.ID, ann.ID, ""); err != nil || n != 1 {
		t.Errorf("DeleteUserSessions(ann) = %d, %v; want 1", n, err)
	}
	if found(a1) || !found(b1) || !found(w2) {
		t.Errorf("after DeleteUserSessions(ann): a1 %v b1 %v w2 %v; want false true true", found(a1), found(b1), found(w2))
	}

	// The sweep ends the sessions, of every tenant, last seen before idle
	// or expiring before now; a touch keeps an old session.
	idle := base.Add(-time.Hour)
	sIdle := mkSession(ann, "", base.Add(-3*time.Hour), base.Add(-2*time.Hour), base.Add(time.Hour))
	sExpired := mkSession(ann, "", base.Add(-time.Minute), base, base.Add(-time.Second))
	sIdle2 := mkSession(twin, "", base.Add(-3*time.Hour), base.Add(-2*time.Hour), base.Add(time.Hour))
	sEdge := mkSession(ann, "", base.Add(-3*time.Hour), idle, base) // last seen at idle, expiring at now: kept
	sTouched := mkSession(twin, "", base.Add(-3*time.Hour), base.Add(-2*time.Hour), base.Add(time.Hour))
	if err := s.TouchSession(ctx, t2.ID, sTouched.ID, base); err != nil {
		t.Fatal(err)
	}
	sTouched.LastSeenAt = base
	if n, err := s.DeleteSessionsBefore(ctx, idle, base); err != nil || n != 3 {
		t.Errorf("DeleteSessionsBefore = %d, %v; want 3", n, err)
	}
	for _, c := range []struct {
		name string
		ss   *contactd.Session
		kept bool
	}{{"idle", sIdle, false}, {"expired", sExpired, false}, {"idle in tenant 2", sIdle2, false},
		{"at the limits", sEdge, true}, {"touched", sTouched, true}, {"b1", b1, true}, {"w2", w2, true}} {
		if f := found(c.ss); f != c.kept {
			t.Errorf("after DeleteSessionsBefore, the %s session found: %v; want %v", c.name, f, c.kept)
		}
	}
	if n, err := s.DeleteSessionsBefore(ctx, idle, base); err != nil || n != 0 {
		t.Errorf("DeleteSessionsBefore again = %d, %v; want 0", n, err)
	}

	// Deleting a user ends its sessions (counted without the user's row).
	b2 := live(bob)
	if err := s.DeleteUser(ctx, t1.ID, bob.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if n, err := s.DeleteUserSessions(ctx, t1.ID, bob.ID, ""); err != nil || n != 0 {
		t.Errorf("sessions of a deleted user: %d, %v; want 0", n, err)
	}
	if found(b1) || found(b2) || !found(sEdge) || !found(w2) {
		t.Errorf("after DeleteUser(bob): b1 %v b2 %v sEdge %v w2 %v; want false false true true", found(b1), found(b2), found(sEdge), found(w2))
	}

	// UsersByEmail: every tenant's user with the email, in tenant order,
	// at most limit.
	want := []*contactd.User{ann, twin, third}
	slices.SortFunc(want, func(x, y *contactd.User) int { return strings.Compare(x.TenantID, y.TenantID) })
	users, err := s.UsersByEmail(ctx, "ann@example.com", 10)
	if err != nil || len(users) != 3 {
		t.Fatalf("UsersByEmail = %v, %v; want 3 users", users, err)
	}
	for i := range want {
		if !sameUser(users[i], want[i]) {
			t.Errorf("UsersByEmail[%d] = %+v; want %+v", i, users[i], want[i])
		}
	}
	if users, err := s.UsersByEmail(ctx, "ann@example.com", 2); err != nil || len(users) != 2 ||
		users[0].TenantID != want[0].TenantID || users[1].TenantID != want[1].TenantID {
		t.Errorf("UsersByEmail limit 2 = %v, %v; want the users of tenants %s, %s", users, err, want[0].TenantID, want[1].TenantID)
	}
	for _, email := range []string{"bob@example.com", "nobody@example.com"} {
		if users, err := s.UsersByEmail(ctx, email, 10); err != nil || len(users) != 0 {
			t.Errorf("UsersByEmail(%s) = %v, %v; want none", email, users, err)
		}
	}
}
