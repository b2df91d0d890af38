package contactd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/contactd/contactd/internal/phone"
)

// Service holds every business rule of contactd: validation, normalization,
// permissions, history and the change log. It is safe for concurrent use.
type Service struct {
	store Store
	log   *slog.Logger
	now   func() time.Time
	// tokens caches authenticated principals when the store is its
	// tenants' and tokens' sole writer (see SoleWriter); nil otherwise.
	tokens *tokenCache
}

// NewService returns a Service over store.
func NewService(store Store, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{store: store, log: log, now: func() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }}
	if sw, ok := store.(SoleWriter); ok && sw.SoleWriter() {
		s.tokens = &tokenCache{}
	}
	return s
}

// Authenticate returns the principal a token secret acts as.
// EUnauthorized when the secret is malformed, unknown or revoked.
func (s *Service) Authenticate(ctx context.Context, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, TokenPrefix) || len(secret) > 128 {
		return Principal{}, Errorf(EUnauthorized, "the token is not valid")
	}
	hash := HashToken(secret)
	if s.tokens != nil {
		if p, ok := s.tokens.get(hash, time.Now()); ok {
			return p, nil
		}
	}
	t, err := s.store.TokenByHash(ctx, hash)
	if ErrorCodeOf(err) == ENotFound || (err == nil && !tokenMatches(secret, t.Hash)) {
		return Principal{}, Errorf(EUnauthorized, "the token is not valid")
	}
	if err != nil {
		return Principal{}, err
	}
	p := principalFor(t)
	if s.tokens != nil {
		s.tokens.put(hash, p, time.Now())
	}
	return p, nil
}

// CreateTenant creates a tenant. region is the ISO 3166 alpha-2 region used
// to read national phone numbers ("" for none). EInvalid, EConflict.
func (s *Service) CreateTenant(ctx context.Context, name, region string) (*Tenant, error) {
	name = strings.TrimSpace(name)
	region = strings.ToUpper(strings.TrimSpace(region))
	var fe []FieldError
	if name == "" || len(name) > 128 {
		fe = append(fe, FieldError{Location: "name", Message: "must be 1 to 128 characters"})
	}
	if region != "" && !phone.ValidRegion(region) {
		fe = append(fe, FieldError{Location: "defaultRegion", Message: "must be an ISO 3166 alpha-2 region code such as US"})
	}
	if len(fe) > 0 {
		return nil, invalid(fe)
	}
	t := &Tenant{ID: NewID(PrefixTenant), Name: name, DefaultRegion: region, CreatedAt: s.now()}
	if err := s.store.CreateTenant(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}

// FindTenant returns a tenant by id or by name. ENotFound.
func (s *Service) FindTenant(ctx context.Context, idOrName string) (*Tenant, error) {
	if strings.HasPrefix(idOrName, PrefixTenant) {
		if t, err := s.store.Tenant(ctx, idOrName); ErrorCodeOf(err) != ENotFound {
			return t, err
		}
	}
	return s.store.TenantByName(ctx, idOrName)
}

// TokenParams describes a token to create.
type TokenParams struct {
	TenantID string
	Name     string
	Kind     TokenKind
	UserID   string
	Scopes   []Scope
}

// CreateToken creates a token and returns its secret, which is not stored
// and cannot be shown again. EInvalid, ENotFound (tenant).
func (s *Service) CreateToken(ctx context.Context, p TokenParams) (string, *Token, error) {
	if p.Kind == "" {
		p.Kind = TokenService
		if p.UserID != "" {
			p.Kind = TokenPersonal
		}
	}
	var fe []FieldError
	switch p.Kind {
	case TokenPersonal:
		if p.UserID == "" {
			fe = append(fe, FieldError{Location: "userId", Message: "a personal token needs a user id"})
		}
	case TokenService:
	default:
		fe = append(fe, FieldError{Location: "kind", Message: "must be personal or service"})
	}
	if len(p.Scopes) == 0 {
		fe = append(fe, FieldError{Location: "scopes", Message: "at least one scope is required"})
	}
	if len(p.Name) > 128 || len(p.UserID) > 128 {
		fe = append(fe, FieldError{Location: "name", Message: "name and user must be at most 128 characters"})
	}
	if len(fe) > 0 {
		return "", nil, invalid(fe)
	}
	if _, err := s.store.Tenant(ctx, p.TenantID); err != nil {
		return "", nil, err
	}
	if p.Name == "" {
		p.Name = string(p.Kind)
	}
	secret := newTokenSecret()
	t := &Token{ID: NewID(PrefixToken), TenantID: p.TenantID, Name: p.Name, Kind: p.Kind,
		UserID: p.UserID, Scopes: p.Scopes, Hash: HashToken(secret), CreatedAt: s.now()}
	if err := s.store.CreateToken(ctx, t); err != nil {
		return "", nil, err
	}
	return secret, t, nil
}

// Bootstrap prepares an empty database for a first start: it creates the
// tenant "default" and a token with every scope, and returns the token's
// secret. On a database that already has a tenant it does nothing and
// returns "".
func (s *Service) Bootstrap(ctx context.Context, region string) (string, error) {
	n, err := s.store.CountTenants(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	t, err := s.CreateTenant(ctx, "default", region)
	if ErrorCodeOf(err) == EConflict {
		return "", nil // another node bootstrapped the database first
	}
	if err != nil {
		return "", err
	}
	secret, _, err := s.CreateToken(ctx, TokenParams{TenantID: t.ID, Name: "bootstrap", Kind: TokenService, Scopes: AllScopes})
	return secret, err
}

// Selector addresses one contact by exactly one of its keys.
type Selector struct {
	ID         string
	Email      string
	ExternalID string
}

// Precondition carries an If-Match header: the request applies only when
// the contact's current ETag is one of ETags, or exists at all when Any.
type Precondition struct {
	Any   bool
	ETags []string
}

func (pc Precondition) set() bool { return pc.Any || len(pc.ETags) > 0 }

func (pc Precondition) check(c *Contact) error {
	if !pc.set() || pc.Any {
		return nil
	}
	if slices.Contains(pc.ETags, c.ETag()) {
		return nil
	}
	return Errorf(EPreconditionFailed, "the contact has changed: its current ETag is %s", c.ETag())
}

// GetOptions modify how a contact is read.
type GetOptions struct {
	// IncludeDeleted returns a soft-deleted contact instead of ENotFound.
	IncludeDeleted bool
}

// Contact returns one live contact. ENotFound, EForbidden.
func (s *Service) Contact(ctx context.Context, p Principal, sel Selector, opt GetOptions) (*Contact, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	c, err := s.resolve(ctx, p, sel)
	if err != nil {
		return nil, err
	}
	if !c.Live() && !opt.IncludeDeleted {
		return nil, notFound(sel)
	}
	return c, nil
}

// ContactJSON returns a contact by id as its JSON representation, for
// reads that pass it on unchanged: the same answer as Contact, without
// decoding and encoding the document. ENotFound, EForbidden.
func (s *Service) ContactJSON(ctx context.Context, p Principal, id string, opt GetOptions) (*ContactDoc, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	d, err := s.store.ContactDoc(ctx, p.TenantID, id)
	if ErrorCodeOf(err) == ENotFound || (err == nil && d.Deleted && !opt.IncludeDeleted) {
		return nil, notFound(Selector{ID: id})
	}
	return d, err
}

func notFound(sel Selector) *Error {
	switch {
	case sel.Email != "":
		return Errorf(ENotFound, "no contact has the email %q", sel.Email)
	case sel.ExternalID != "":
		return Errorf(ENotFound, "no contact has the external id %q", sel.ExternalID)
	}
	return Errorf(ENotFound, "contact %q not found", sel.ID)
}

// resolve reads the contact a selector names, deleted or not for an id,
// live only for an email or external id.
func (s *Service) resolve(ctx context.Context, p Principal, sel Selector) (*Contact, error) {
	var c *Contact
	var err error
	switch {
	case sel.ID != "":
		c, err = s.store.Contact(ctx, p.TenantID, sel.ID)
	case sel.Email != "":
		c, err = s.store.ContactByEmail(ctx, p.TenantID, strings.ToLower(strings.TrimSpace(sel.Email)))
	case sel.ExternalID != "":
		c, err = s.store.ContactByExternalID(ctx, p.TenantID, sel.ExternalID)
	default:
		return nil, Errorf(ENotFound, "no contact selected")
	}
	if ErrorCodeOf(err) == ENotFound {
		return nil, notFound(sel)
	}
	return c, err
}

// CreateContact validates and stores a new contact. EInvalid, EConflict, EForbidden.
func (s *Service) CreateContact(ctx context.Context, p Principal, in *ContactInput) (*Contact, error) {
	if err := p.require(ScopeWrite); err != nil {
		return nil, err
	}
	t, err := s.store.Tenant(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	c, err := buildContact(in, nil, t.DefaultRegion)
	if err != nil {
		return nil, err
	}
	if err := s.checkSystemType(p, nil, c); err != nil {
		return nil, err
	}
	if err := s.prepareWrite(ctx, p, nil, c); err != nil {
		return nil, err
	}
	now := s.now()
	c.ID = NewID(PrefixContact)
	c.Version = 1
	c.Source = "api"
	c.CreatedAt, c.CreatedBy, c.UpdatedAt, c.UpdatedBy = now, p.Actor, now, p.Actor
	change := s.change(p, "created", nil, c)
	if err := s.store.WriteContact(ctx, WriteContactParams{TenantID: p.TenantID, Contact: c, Change: change, Terms: SearchTerms(c)}); err != nil {
		return nil, err
	}
	return c, nil
}

// checkSystemType enforces that only admins create, change or delete
// corporate and service contacts.
func (s *Service) checkSystemType(p Principal, before, after *Contact) error {
	for _, c := range []*Contact{before, after} {
		if c != nil && slices.Contains(systemTypes, c.ContactType) && !p.Has(ScopeAdmin) {
			return Errorf(EForbidden, "%s contacts are system-managed: this needs the %s scope", c.ContactType, ScopeAdmin)
		}
	}
	return nil
}

// PatchContact applies an RFC 7386 JSON merge patch to a live contact.
// Read-only fields in the patch must equal their current values.
// EInvalid, ENotFound, EConflict, EPreconditionFailed, EForbidden.
func (s *Service) PatchContact(ctx context.Context, p Principal, sel Selector, patch []byte, pc Precondition) (*Contact, error) {
	if err := p.require(ScopeWrite); err != nil {
		return nil, err
	}
	var pm map[string]any
	if !json.Valid(patch) {
		return nil, invalidField("body", "is not valid JSON")
	}
	if err := unmarshalNumbers(patch, &pm); err != nil || pm == nil {
		return nil, invalidField("body", "must be a JSON object (a JSON merge patch)")
	}
	return s.update(ctx, p, sel, pc, func(cur *Contact, region string) (*Contact, string, error) {
		merged, err := applyPatch(cur, pm)
		if err != nil {
			return nil, "", err
		}
		in, err := DecodeContactInput(merged)
		if err != nil {
			return nil, "", err
		}
		if err := checkReadOnly(cur, in.ReadOnly); err != nil {
			return nil, "", err
		}
		next, err := buildContact(in, cur, region)
		return next, "updated", err
	})
}

// applyPatch merges a patch into the writable document of cur.
func applyPatch(cur *Contact, patch map[string]any) ([]byte, error) {
	base, err := writableDoc(cur)
	if err != nil {
		return nil, err
	}
	if _, ok := patch["name"]; ok {
		_, first := patch["firstName"]
		_, last := patch["lastName"]
		if !first && !last {
			// "name" replaces the names unless the patch gives them.
			delete(base, "firstName")
			delete(base, "middleName")
			delete(base, "lastName")
		}
		if _, ok := patch["displayName"]; !ok {
			delete(base, "displayName")
		}
	}
	if dn, ok := patch["displayName"].(string); ok && !cur.DisplayNameSet && dn == cur.DisplayName {
		// The derived name sent back unchanged, as with the rest of what
		// a client read: it stays derived and follows the names.
		patch = maps.Clone(patch)
		delete(patch, "displayName")
	}
	merged := mergePatch(base, patch)
	return json.Marshal(merged)
}

// writableDoc is the JSON document of a contact that a merge patch applies
// to: its API form without a derived display name.
func writableDoc(c *Contact) (map[string]any, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := unmarshalNumbers(b, &m); err != nil {
		return nil, err
	}
	if !c.DisplayNameSet {
		delete(m, "displayName")
	}
	return m, nil
}

// checkReadOnly rejects read-only fields whose sent value differs from the
// current one; unchanged ones are ignored so clients may send back what
// they read.
func checkReadOnly(cur *Contact, sent map[string]json.RawMessage) error {
	if len(sent) == 0 {
		return nil
	}
	doc, err := writableDoc(cur)
	if err != nil {
		return err
	}
	var fe []FieldError
	for k, raw := range sent {
		// Compared as plain JSON values, so that 1 and 1.0 are equal.
		var v, cv any
		_ = json.Unmarshal(raw, &v)
		cb, _ := json.Marshal(doc[k])
		_ = json.Unmarshal(cb, &cv)
		if !reflect.DeepEqual(v, cv) {
			fe = append(fe, FieldError{Location: k, Message: "is read-only"})
		}
	}
	if len(fe) > 0 {
		slices.SortFunc(fe, func(a, b FieldError) int { return strings.Compare(a.Location, b.Location) })
		return invalid(fe)
	}
	return nil
}

// UpsertContact creates the contact with the given external id, or replaces
// the live one that has it (PUT semantics: absent fields are cleared).
// It reports whether the contact was created.
func (s *Service) UpsertContact(ctx context.Context, p Principal, externalID string, in *ContactInput, pc Precondition) (*Contact, bool, error) {
	if err := p.require(ScopeWrite); err != nil {
		return nil, false, err
	}
	if in.ExternalID != "" && in.ExternalID != externalID {
		return nil, false, invalidField("externalId", "must equal the external id in the path (or be omitted)")
	}
	in.ExternalID = externalID
	for attempt := 0; ; attempt++ {
		_, err := s.store.ContactByExternalID(ctx, p.TenantID, externalID)
		if ErrorCodeOf(err) == ENotFound {
			if pc.set() {
				return nil, false, Errorf(EPreconditionFailed, "no contact has the external id %q", externalID)
			}
			c, err := s.CreateContact(ctx, p, in)
			var e *Error
			if errors.As(err, &e) && e.Code == EConflict && e.ConflictingField == "externalId" && attempt < 3 {
				continue // created concurrently: update it instead
			}
			return c, err == nil, err
		}
		if err != nil {
			return nil, false, err
		}
		c, err := s.update(ctx, p, Selector{ExternalID: externalID}, pc, func(cur *Contact, region string) (*Contact, string, error) {
			next, err := buildContact(in, cur, region)
			return next, "updated", err
		})
		if ErrorCodeOf(err) == ENotFound && attempt < 3 {
			continue // deleted concurrently: create it instead
		}
		return c, false, err
	}
}

// mutation computes the next version of a contact from the current one and
// names the change type.
type mutation func(cur *Contact, region string) (*Contact, string, error)

// update reads a live contact, applies a mutation and writes the result,
// retrying on a concurrent write unless the caller gave an If-Match.
func (s *Service) update(ctx context.Context, p Principal, sel Selector, pc Precondition, mutate mutation) (*Contact, error) {
	return s.write(ctx, p, sel, pc, false, mutate)
}

// write is update, optionally on a deleted contact (for restore).
func (s *Service) write(ctx context.Context, p Principal, sel Selector, pc Precondition, deleted bool, mutate mutation) (*Contact, error) {
	t, err := s.store.Tenant(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		cur, err := s.resolve(ctx, p, sel)
		if err != nil {
			return nil, err
		}
		if cur.Live() == deleted {
			if deleted {
				return nil, Errorf(EConflict, "contact %q is not deleted", cur.ID)
			}
			return nil, notFound(sel)
		}
		if err := pc.check(cur); err != nil {
			return nil, err
		}
		next, typ, err := mutate(clone(cur), t.DefaultRegion)
		if err != nil {
			return nil, err
		}
		if err := s.checkSystemType(p, cur, next); err != nil {
			return nil, err
		}
		if err := s.prepareWrite(ctx, p, cur, next); err != nil {
			return nil, err
		}
		change := s.change(p, typ, cur, next)
		if len(change.Fields) == 0 {
			return cur, nil // nothing changed: no new version
		}
		next.Version = cur.Version + 1
		next.UpdatedAt, next.UpdatedBy = change.At, p.Actor
		change.Version = next.Version
		err = s.store.WriteContact(ctx, WriteContactParams{TenantID: p.TenantID, Contact: next, PrevVersion: cur.Version, Change: change, Terms: SearchTerms(next)})
		if ErrorCodeOf(err) == EPreconditionFailed && !pc.set() {
			// Lost a race with another writer: re-read and re-apply, backing
			// off a little longer each time so that a crowd of writers on
			// one contact drains instead of colliding again.
			if attempt >= maxWriteAttempts {
				return nil, Errorf(EConflict, "contact %q is being changed by many requests at once; retry", cur.ID)
			}
			if err := sleepCtx(ctx, time.Duration(rand.IntN(attempt+1)+1)*time.Millisecond); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		return next, nil
	}
}

// maxWriteAttempts bounds how often a write without If-Match is re-applied
// after losing a race.
const maxWriteAttempts = 100

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// clone returns a deep copy of c.
func clone(c *Contact) *Contact {
	n := *c
	n.Phones = slices.Clone(c.Phones)
	n.Emails = slices.Clone(c.Emails)
	n.Addresses = slices.Clone(c.Addresses)
	n.Handles = slices.Clone(c.Handles)
	n.Tags = slices.Clone(c.Tags)
	return &n
}

// change describes the write from before to after as a change-log entry.
func (s *Service) change(p Principal, typ string, before, after *Contact) *Change {
	ch := &Change{TenantID: p.TenantID, Type: typ, Actor: p.Actor, At: s.now(), Fields: diff(before, after)}
	if after != nil {
		ch.ContactID, ch.Version = after.ID, after.Version
	} else if before != nil {
		ch.ContactID, ch.Version = before.ID, before.Version
	}
	return ch
}

// unaudited fields change with every write and are not listed in history.
var unaudited = map[string]bool{"version": true, "updatedAt": true, "updatedBy": true}

// diff lists the top-level fields whose JSON differs between two versions.
func diff(before, after *Contact) map[string]FieldChange {
	a, b := fieldsOf(before), fieldsOf(after)
	out := map[string]FieldChange{}
	null := json.RawMessage("null")
	for k, nv := range b {
		if unaudited[k] {
			continue
		}
		ov, ok := a[k]
		if !ok {
			ov = null
		}
		if !bytes.Equal(ov, nv) {
			out[k] = FieldChange{Old: ov, New: nv}
		}
	}
	for k, ov := range a {
		if _, ok := b[k]; !ok && !unaudited[k] {
			out[k] = FieldChange{Old: ov, New: null}
		}
	}
	return out
}

func fieldsOf(c *Contact) map[string]json.RawMessage {
	if c == nil {
		return nil
	}
	b, err := json.Marshal(c)
	if err != nil {
		panic(err) // a Contact always marshals
	}
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	for _, k := range []string{"properties", "metadata"} {
		// Compare custom data in canonical form: a store may hand it back
		// with its keys in another order (PostgreSQL's jsonb does).
		var v any
		if raw, ok := m[k]; ok && unmarshalNumbers(raw, &v) == nil {
			if cb, err := json.Marshal(v); err == nil {
				m[k] = cb
			}
		}
	}
	return m
}

// DeleteContact soft-deletes a live contact, or with permanent erases it and
// its history (which needs contacts:admin). ENotFound, EPreconditionFailed, EForbidden.
func (s *Service) DeleteContact(ctx context.Context, p Principal, sel Selector, pc Precondition, permanent bool) error {
	if err := p.require(ScopeDelete); err != nil {
		return err
	}
	if permanent {
		return s.eraseContact(ctx, p, sel, pc)
	}
	_, err := s.update(ctx, p, sel, pc, func(c *Contact, _ string) (*Contact, string, error) {
		now := s.now()
		c.DeletedAt, c.DeletedBy = &now, p.Actor
		return c, "deleted", nil
	})
	return err
}

func (s *Service) eraseContact(ctx context.Context, p Principal, sel Selector, pc Precondition) error {
	if err := p.require(ScopeAdmin); err != nil {
		return err
	}
	c, err := s.resolve(ctx, p, sel)
	if err != nil {
		return err
	}
	if err := pc.check(c); err != nil {
		return err
	}
	if err := s.checkSystemType(p, c, nil); err != nil {
		return err
	}
	change := &Change{TenantID: p.TenantID, Type: "erased", ContactID: c.ID, Version: c.Version, Actor: p.Actor, At: s.now()}
	return s.store.EraseContact(ctx, p.TenantID, c.ID, change)
}

// RestoreContact undoes a soft delete. ENotFound, EConflict (not deleted, or
// its email or external id now belongs to another live contact).
func (s *Service) RestoreContact(ctx context.Context, p Principal, id string) (*Contact, error) {
	if err := p.require(ScopeWrite); err != nil {
		return nil, err
	}
	return s.write(ctx, p, Selector{ID: id}, Precondition{}, true, func(c *Contact, _ string) (*Contact, string, error) {
		c.DeletedAt, c.DeletedBy = nil, ""
		return c, "restored", nil
	})
}

// BlockContact marks a contact as blocked so phone systems can reject its
// calls. Blocking again updates the reason.
func (s *Service) BlockContact(ctx context.Context, p Principal, id, reason string, pc Precondition) (*Contact, error) {
	if err := p.require(ScopeWrite); err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if n := len([]rune(reason)); n > 255 {
		return nil, invalidField("reason", "must be at most 255 characters (got %d)", n)
	}
	return s.update(ctx, p, Selector{ID: id}, pc, func(c *Contact, _ string) (*Contact, string, error) {
		if c.BlockedAt == nil {
			now := s.now()
			c.BlockedAt = &now
		}
		c.BlockedBy, c.BlockReason = p.Actor, reason
		return c, "blocked", nil
	})
}

// UnblockContact clears a block.
func (s *Service) UnblockContact(ctx context.Context, p Principal, id string, pc Precondition) (*Contact, error) {
	if err := p.require(ScopeWrite); err != nil {
		return nil, err
	}
	return s.update(ctx, p, Selector{ID: id}, pc, func(c *Contact, _ string) (*Contact, string, error) {
		c.BlockedAt, c.BlockedBy, c.BlockReason = nil, "", ""
		return c, "unblocked", nil
	})
}
