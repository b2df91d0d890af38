package contactd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// account reads one of the tenant's accounts. ENotFound.
func (s *Service) account(ctx context.Context, p Principal, id string) (*Account, error) {
	return notFoundAs[*Account]("account", id)(s.store.Account(ctx, p.TenantID, id))
}

// Account returns one account. ENotFound, EForbidden.
func (s *Service) Account(ctx context.Context, p Principal, id string) (*Account, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	return s.account(ctx, p, id)
}

// accountConflict words an external id another account has.
func accountConflict(err error) error {
	var ce *ConflictError
	if !errors.As(err, &ce) {
		return err
	}
	msg := fmt.Sprintf("the external id %s belongs to account %s", ce.Value, ce.ID)
	return &Error{Code: EConflict, Message: msg, ConflictingID: ce.ID, ConflictingField: "externalId",
		Fields: []FieldError{{Location: "externalId", Message: msg}}}
}

// CreateAccount validates and stores a new account. Read-only fields in
// the input are ignored. EInvalid, EConflict (externalId), EForbidden.
func (s *Service) CreateAccount(ctx context.Context, p Principal, in *AccountInput) (*Account, error) {
	if err := p.require(ScopeWrite); err != nil {
		return nil, err
	}
	t, err := s.store.Tenant(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	a, err := buildAccount(in, nil, t.DefaultRegion)
	if err != nil {
		return nil, err
	}
	now := s.now()
	a.ID = NewID(PrefixAccount)
	a.Version = 1
	a.CreatedAt, a.CreatedBy, a.UpdatedAt, a.UpdatedBy = now, p.Actor, now, p.Actor
	if err := s.store.WriteAccount(ctx, WriteAccountParams{TenantID: p.TenantID, Account: a}); err != nil {
		return nil, accountConflict(err)
	}
	return a, nil
}

// PatchAccount applies an RFC 7386 JSON merge patch to an account.
// Read-only fields in the patch must equal their current values; a patch
// that changes nothing makes no new version.
// EInvalid, ENotFound, EConflict, EPreconditionFailed, EForbidden.
func (s *Service) PatchAccount(ctx context.Context, p Principal, id string, patch []byte, pc Precondition) (*Account, error) {
	if err := p.require(ScopeWrite); err != nil {
		return nil, err
	}
	pm, err := decodePatch(patch)
	if err != nil {
		return nil, err
	}
	t, err := s.store.Tenant(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	return retry(ctx, "the account", func(int) (*Account, bool, error) {
		cur, err := s.account(ctx, p, id)
		if err != nil {
			return nil, false, err
		}
		if err := pc.check("account", cur.ETag()); err != nil {
			return nil, false, err
		}
		base, err := docOf(cur)
		if err != nil {
			return nil, false, err
		}
		merged, err := json.Marshal(mergePatch(base, pm))
		if err != nil {
			return nil, false, err
		}
		in, err := DecodeAccountInput(merged)
		if err != nil {
			return nil, false, err
		}
		if err := checkReadOnly(cur, in.ReadOnly); err != nil {
			return nil, false, err
		}
		next, err := buildAccount(in, cur, t.DefaultRegion)
		if err != nil {
			return nil, false, err
		}
		if sameDoc(cur, next) {
			return cur, false, nil // nothing changed: no new version
		}
		next.Version = cur.Version + 1
		next.UpdatedAt, next.UpdatedBy = s.now(), p.Actor
		err = s.store.WriteAccount(ctx, WriteAccountParams{TenantID: p.TenantID, Account: next, PrevVersion: cur.Version})
		switch {
		case ErrorCodeOf(err) == EPreconditionFailed && !pc.set():
			return nil, true, nil // another writer won: re-read and re-apply
		case ErrorCodeOf(err) == EPreconditionFailed:
			return nil, false, Errorf(EPreconditionFailed, "the account has changed since it was read")
		case err != nil:
			return nil, false, accountConflict(err)
		}
		return next, false, nil
	})
}

// sameDoc reports whether two objects have the same JSON document,
// ignoring key order (a store may hand custom data back reordered).
func sameDoc(a, b any) bool {
	da, erra := docOf(a)
	db, errb := docOf(b)
	return erra == nil && errb == nil && reflect.DeepEqual(da, db)
}

// DeleteAccount deletes an account. While live contacts belong to it this
// is an EConflict saying how many, unless detach is set: then their
// accountId is cleared, each as an "updated" change in their history, in
// the transaction that deletes the account. Soft-deleted contacts never
// block the delete and are always detached, so that no contact names a
// deleted account. ENotFound, EPreconditionFailed, EConflict, EForbidden.
func (s *Service) DeleteAccount(ctx context.Context, p Principal, id string, pc Precondition, detach bool) error {
	if err := p.require(ScopeDelete); err != nil {
		return err
	}
	cur, err := s.account(ctx, p, id)
	if err != nil {
		return err
	}
	if err := pc.check("account", cur.ETag()); err != nil {
		return err
	}
	var prev int64
	if pc.set() && !pc.Any {
		prev = cur.Version // the version the client saw, even if it changes now
	}
	err = s.store.DeleteAccount(ctx, DeleteAccountParams{TenantID: p.TenantID, ID: id, PrevVersion: prev,
		Detach: func(cs []*Contact) ([]ContactWrite, error) { return s.detach(p, id, cs, detach) }})
	switch ErrorCodeOf(err) {
	case ENotFound:
		return Errorf(ENotFound, "account %q not found", id)
	case EPreconditionFailed:
		return Errorf(EPreconditionFailed, "the account has changed since it was read")
	}
	return err
}

// detach is the rule for the contacts of an account being deleted: live
// ones refuse the delete unless detachLive; every one (soft-deleted ones
// always) gets a new version without the account, recorded in its history.
func (s *Service) detach(p Principal, accountID string, cs []*Contact, detachLive bool) ([]ContactWrite, error) {
	live := 0
	for _, c := range cs {
		if c.Live() {
			live++
		}
	}
	if live > 0 && !detachLive {
		noun := "contacts"
		if live == 1 {
			noun = "contact"
		}
		return nil, Errorf(EConflict, "account %q still has %d %s; delete it with detach=true to clear their accountId", accountID, live, noun)
	}
	out := make([]ContactWrite, len(cs))
	for i, c := range cs {
		next := clone(c)
		next.AccountID = ""
		ch := s.change(p, "updated", c, next)
		next.Version = c.Version + 1
		next.UpdatedAt, next.UpdatedBy = ch.At, p.Actor
		ch.Version = next.Version
		out[i] = ContactWrite{Contact: next, PrevVersion: c.Version, Change: ch}
	}
	return out, nil
}

// accountOf returns the account a contact belongs to, or nil.
func (s *Service) accountOf(ctx context.Context, p Principal, c *Contact) (*Account, error) {
	if c.AccountID == "" {
		return nil, nil
	}
	a, err := s.store.Account(ctx, p.TenantID, c.AccountID)
	if ErrorCodeOf(err) == ENotFound {
		return nil, nil
	}
	return a, err
}
