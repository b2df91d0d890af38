package contactd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Selector addresses one contact by exactly one of its keys.
type Selector struct {
	ID         string
	Email      string
	ExternalID string
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
		if c.MergedInto != "" {
			return s.survivor(ctx, p, c)
		}
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
	if err == nil && d.Deleted && !opt.IncludeDeleted {
		var merged struct {
			MergedInto string `json:"mergedInto"`
		}
		if json.Unmarshal(d.JSON, &merged) == nil && merged.MergedInto != "" {
			sv, err := s.survivor(ctx, p, &Contact{ID: id, MergedInto: merged.MergedInto})
			if err != nil {
				return nil, err
			}
			d, err := s.store.ContactDoc(ctx, p.TenantID, sv.ID)
			if d != nil {
				d.ID = sv.ID
			}
			return d, err
		}
	}
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
		if ErrorCodeOf(err) == ENotFound {
			// A contact merged into another: its external id names the survivor.
			c, err = s.mergedByExternalID(ctx, p, sel.ExternalID)
		}
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
	now := s.now()
	c.ID = NewID(PrefixContact)
	c.Version = 1
	c.Source = "api"
	c.CreatedAt, c.CreatedBy, c.UpdatedAt, c.UpdatedBy = now, p.Actor, now, p.Actor
	return retry(ctx, "contact "+c.ID, func(int) (*Contact, bool, error) {
		refs, err := s.contactRefs(ctx, p, c)
		if err != nil {
			return nil, false, err
		}
		err = s.store.WriteContact(ctx, WriteContactParams{TenantID: p.TenantID, Contact: c, Change: s.change(p, "created", nil, c),
			Terms: SearchTerms(c), Refs: refs})
		if stale(err) {
			return nil, true, nil // a tag was renamed meanwhile: spell it anew
		}
		if err != nil {
			return nil, false, contactWriteError(err, c)
		}
		return c, false, nil
	})
}

// checkSystemType enforces that only admins create, change or delete
// corporate and service contacts, and write the phone-system directory's
// fields (extensions, site, pbx, subscription, the visibility flags) of any
// contact.
func (s *Service) checkSystemType(p Principal, before, after *Contact) error {
	if p.Has(ScopeAdmin) {
		return nil
	}
	for _, c := range []*Contact{before, after} {
		if c != nil && slices.Contains(systemTypes, c.ContactType) {
			return Errorf(EForbidden, "%s contacts are system-managed: this needs the %s scope", c.ContactType, ScopeAdmin)
		}
	}
	if after == nil {
		return nil // a deletion writes no field
	}
	if f := directoryChanged(before, after); f != "" {
		return &Error{Code: EForbidden, Message: fmt.Sprintf("%s is written by the phone system: this needs the %s scope", f, ScopeAdmin),
			Fields: []FieldError{{Location: f, Message: "needs the " + string(ScopeAdmin) + " scope"}}}
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
	pm, err := decodePatch(patch)
	if err != nil {
		return nil, err
	}
	return s.update(ctx, p, sel, pc, func(cur *Contact, region string) (*Contact, string, error) {
		next, err := patched(cur, pm, region)
		return next, "updated", err
	})
}

// patched returns the contact cur becomes under a merge patch.
func patched(cur *Contact, pm map[string]any, region string) (*Contact, error) {
	merged, err := applyPatch(cur, pm)
	if err != nil {
		return nil, err
	}
	in, err := DecodeContactInput(merged)
	if err != nil {
		return nil, err
	}
	if err := checkReadOnly(cur, in.ReadOnly); err != nil {
		return nil, err
	}
	return buildContact(in, cur, region)
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
	m, err := docOf(c)
	if err == nil && !c.DisplayNameSet {
		delete(m, "displayName")
	}
	return m, err
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
			if sv, merr := s.mergedByExternalID(ctx, p, externalID); merr == nil {
				// Replacing the survivor with the merged contact's record
				// would undo the merge, creating it would make the duplicate
				// again: the client is told where the contact went.
				msg := fmt.Sprintf("the external id %s belonged to a contact merged into %s: write that contact (PATCH /v1/contacts/%s), or unmerge it first", externalID, sv.ID, sv.ID)
				return nil, false, &Error{Code: EConflict, Message: msg, ConflictingID: sv.ID, ConflictingField: "externalId",
					Fields: []FieldError{{Location: "externalId", Message: msg, Value: externalID}}}
			}
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
	return s.write(ctx, p, sel, pc, false, nil, mutate)
}

// write is update, optionally on a deleted contact (for restore). What the
// contact refers to is checked in the write's transaction; a write that
// lost a race (another version, a tag renamed meanwhile) is re-read and
// re-applied.
func (s *Service) write(ctx context.Context, p Principal, sel Selector, pc Precondition, deleted bool, kw *cardWrite, mutate mutation) (*Contact, error) {
	t, err := s.store.Tenant(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	return retry(ctx, "the contact", func(int) (*Contact, bool, error) {
		cur, err := s.resolve(ctx, p, sel)
		if err != nil {
			return nil, false, err
		}
		if cur.Live() == deleted {
			if deleted {
				return nil, false, Errorf(EConflict, "contact %q is not deleted", cur.ID)
			}
			return nil, false, notFound(sel)
		}
		if err := pc.check("contact", cur.ETag()); err != nil {
			return nil, false, err
		}
		next, typ, err := mutate(clone(cur), t.DefaultRegion)
		if err != nil {
			return nil, false, err
		}
		if err := s.checkSystemType(p, cur, next); err != nil {
			return nil, false, err
		}
		change := s.change(p, typ, cur, next)
		if len(change.Fields) == 0 && (kw == nil || !kw.changed) {
			return cur, false, nil // nothing changed: no new version
		}
		refs, err := s.contactRefs(ctx, p, next)
		if err != nil {
			return nil, false, err
		}
		next.Version = cur.Version + 1
		next.UpdatedAt, next.UpdatedBy = change.At, p.Actor
		change.Version = next.Version
		var card *Card
		if kw != nil {
			card = kw.card
			card.Version = next.Version
			if card.Base, err = json.Marshal(next); err != nil {
				return nil, false, err
			}
		}
		err = s.store.WriteContact(ctx, WriteContactParams{TenantID: p.TenantID, Contact: next, PrevVersion: cur.Version,
			Change: change, Terms: SearchTerms(next), Refs: refs, Card: card})
		switch {
		case stale(err):
			return nil, true, nil
		case ErrorCodeOf(err) == EPreconditionFailed && !pc.set():
			return nil, true, nil // another writer won: re-read and re-apply
		case ErrorCodeOf(err) == EPreconditionFailed:
			return nil, false, Errorf(EPreconditionFailed, "the contact has changed since it was read")
		case err != nil:
			return nil, false, contactWriteError(err, next)
		}
		return next, false, nil
	})
}

// contactRefs resolves what a contact names for its write: its tags take
// the registry's spelling (unknown tags are to be created as written), and
// its account must exist. The store checks both again in the write's
// transaction (see ContactRefs).
func (s *Service) contactRefs(ctx context.Context, p Principal, cs ...*Contact) (ContactRefs, error) {
	var refs ContactRefs
	seen := map[string]bool{}
	for _, c := range cs {
		if c.AccountID != "" && !seen[c.AccountID] {
			seen[c.AccountID] = true
			refs.AccountIDs = append(refs.AccountIDs, c.AccountID)
		}
	}
	tags, err := s.spellTags(ctx, p, cs...)
	refs.Tags = tags
	return refs, err
}

// stale reports a write refused because a tag it spells was renamed
// meanwhile: it is made again with the registry's new spelling.
func stale(err error) bool {
	var re *RefError
	return errors.As(err, &re) && re.Field == "tags"
}

// contactWriteError words what a store found wrong with a contact write:
// a unique value another contact has, or an account that does not exist.
func contactWriteError(err error, c *Contact) error {
	var ce *ConflictError
	var re *RefError
	switch {
	case errors.As(err, &ce):
		return contactConflict(ce, c)
	case errors.As(err, &re) && re.Field == "accountId":
		return invalid([]FieldError{{Location: "accountId", Message: "no such account", Value: re.Value}})
	}
	return err
}

// contactConflict words a uniqueness conflict of contact c, located at the
// entry that has the value.
func contactConflict(ce *ConflictError, c *Contact) error {
	var loc, msg string
	switch ce.Field {
	case "email":
		loc, msg = "emails", fmt.Sprintf("the email %s belongs to contact %s", ce.Value, ce.ID)
		if i := slices.IndexFunc(c.Emails, func(e Email) bool { return e.Address == ce.Value }); i >= 0 {
			loc = fmt.Sprintf("emails[%d].address", i)
		}
	case "phone":
		loc, msg = "phones", fmt.Sprintf("the number %s belongs to contact %s", ce.Value, ce.ID)
		if i := slices.IndexFunc(c.Phones, func(ph Phone) bool { return ph.E164 == ce.Value }); i >= 0 {
			loc = fmt.Sprintf("phones[%d].number", i)
		}
	case "externalId":
		loc, msg = "externalId", fmt.Sprintf("the external id %s belongs to contact %s", ce.Value, ce.ID)
	case "extension", "fqExtension":
		on := ""
		if ce.Field == "extension" && ce.Scope != "" {
			on = " on PBX " + ce.Scope
		}
		what := map[string]string{"extension": "extension", "fqExtension": "fully qualified extension"}[ce.Field]
		loc, msg = "extensions", fmt.Sprintf("the %s %s%s belongs to contact %s", what, ce.Value, on, ce.ID)
		for i := range c.Extensions {
			e := &c.Extensions[i]
			if (ce.Field == "extension" && e.Extension == ce.Value && PBXOf(c, e) == ce.Scope) || (ce.Field == "fqExtension" && e.FQExtension == ce.Value) {
				loc = fmt.Sprintf("extensions[%d].%s", i, ce.Field)
				break
			}
		}
	default:
		return &Error{Code: EConflict, Message: "the contact conflicts with another one"}
	}
	return &Error{Code: EConflict, Message: msg, ConflictingID: ce.ID, ConflictingField: ce.Field,
		Fields: []FieldError{{Location: loc, Message: msg}}}
}

// clone returns a deep copy of c.
func clone(c *Contact) *Contact {
	n := *c
	n.Phones = slices.Clone(c.Phones)
	n.Emails = slices.Clone(c.Emails)
	n.Addresses = slices.Clone(c.Addresses)
	n.Handles = slices.Clone(c.Handles)
	n.Tags = slices.Clone(c.Tags)
	n.Links = slices.Clone(c.Links)
	n.Extensions = slices.Clone(c.Extensions)
	return &n
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
	if err := pc.check("contact", c.ETag()); err != nil {
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
	return s.write(ctx, p, Selector{ID: id}, Precondition{}, true, nil, func(c *Contact, _ string) (*Contact, string, error) {
		c.DeletedAt, c.DeletedBy, c.MergedInto = nil, "", ""
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

// Expandable lists the related objects a contact can embed (expand=…).
var Expandable = []string{"account", "segments"}

// SplitExpand checks the names of an expand parameter (at loc) and moves
// the expandable names in fields there: fields=firstName,account asks for
// the account embedded. A projection that named only expanded objects
// keeps the id alone besides them. EInvalid for a name that cannot be
// expanded.
func SplitExpand(fields, expand []string, loc string) ([]string, []string, error) {
	var out []string
	if fields != nil {
		out = []string{}
	}
	names := slices.Clone(expand)
	for _, f := range fields {
		if slices.Contains(Expandable, f) {
			names = append(names, f)
		} else {
			out = append(out, f)
		}
	}
	var uniq []string
	for _, n := range names {
		if !slices.Contains(Expandable, n) {
			return nil, nil, &Error{Code: EInvalid, Message: loc + ": cannot expand " + strconv.Quote(n),
				Fields: []FieldError{{Location: loc, Message: "cannot expand " + strconv.Quote(n) + " (expandable: account, segments)", Value: n}}}
		}
		if !slices.Contains(uniq, n) {
			uniq = append(uniq, n)
		}
	}
	return out, uniq, nil
}

// expandContacts returns the related objects named of each contact of a
// page, as Expand does one's, reading each account once and each dynamic
// segment's membership once for the whole page.
func (s *Service) expandContacts(ctx context.Context, p Principal, cs []*Contact, names []string) ([]map[string]any, error) {
	out := make([]map[string]any, len(cs))
	for i := range out {
		out[i] = make(map[string]any, len(names))
	}
	for _, n := range names {
		switch n {
		case "account":
			accounts := map[string]*Account{}
			for i, c := range cs {
				a, ok := accounts[c.AccountID]
				if !ok {
					var err error
					if a, err = s.accountOf(ctx, p, c); err != nil {
						return nil, err
					}
					accounts[c.AccountID] = a
				}
				out[i]["account"] = a
			}
		case "segments":
			segs, err := s.segmentsOfPage(ctx, p, cs)
			if err != nil {
				return nil, err
			}
			for i := range cs {
				out[i]["segments"] = segs[i]
			}
		}
	}
	return out, nil
}

// Expand returns the related objects of a contact named in an expand
// parameter, keyed by name: "account" (the account it belongs to, or null)
// and "segments" (the segments it is a member of). EInvalid for another name.
func (s *Service) Expand(ctx context.Context, p Principal, c *Contact, names []string) (map[string]any, error) {
	out := map[string]any{}
	for _, n := range names {
		var v any
		var err error
		switch n {
		case "account":
			v, err = s.accountOf(ctx, p, c)
		case "segments":
			v, err = s.segmentsOf(ctx, p, c)
		default:
			return nil, invalidField("query.expand", "cannot expand %q (expandable: account, segments)", n)
		}
		if err != nil {
			return nil, err
		}
		out[n] = v
	}
	return out, nil
}
