package contactd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ResolveCard finds the contact at a resource name of the tenant's address
// book: the contact whose card has the name, else, for "<id>.vcf", the
// contact with the id unless its card has another name. The contact may
// be deleted or erased (callers check). ENotFound, EForbidden.
func (s *Service) ResolveCard(ctx context.Context, p Principal, name string) (string, *Card, error) {
	if err := p.require(ScopeRead); err != nil {
		return "", nil, err
	}
	return s.resolveCard(ctx, p, name)
}

// resolveCard is ResolveCard for a write, whose scope is checked.
func (s *Service) resolveCard(ctx context.Context, p Principal, name string) (string, *Card, error) {
	k, err := s.store.CardByName(ctx, p.TenantID, name)
	switch {
	case err == nil:
		return k.ContactID, k, nil
	case ErrorCodeOf(err) != ENotFound:
		return "", nil, err
	}
	id, ok := strings.CutSuffix(name, ".vcf")
	if !ok || !strings.HasPrefix(id, PrefixContact) || !validCardName(name) {
		return "", nil, Errorf(ENotFound, "no card %q", name)
	}
	ks, err := s.store.Cards(ctx, p.TenantID, []string{id})
	if err != nil {
		return "", nil, err
	}
	if len(ks) > 0 {
		return "", nil, Errorf(ENotFound, "no card %q", name) // the contact's card has another name
	}
	return id, nil, nil
}

// CardContacts returns the live contacts with the ids, in the order given,
// nil for one that is deleted, erased or never was, and the cards clients
// wrote for them. EForbidden.
func (s *Service) CardContacts(ctx context.Context, p Principal, ids []string) ([]*Contact, map[string]*Card, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, nil, err
	}
	cs, err := s.store.CardContacts(ctx, p.TenantID, ids)
	if err != nil {
		return nil, nil, err
	}
	byID := make(map[string]*Contact, len(cs))
	for _, c := range cs {
		if c.Live() {
			byID[c.ID] = c
		}
	}
	out := make([]*Contact, len(ids))
	for i, id := range ids {
		out[i] = byID[id]
	}
	ks, err := s.store.Cards(ctx, p.TenantID, ids)
	if err != nil {
		return nil, nil, err
	}
	cards := make(map[string]*Card, len(ks))
	for i := range ks {
		cards[ks[i].ContactID] = &ks[i]
	}
	return out, cards, nil
}

// ResolveCards is ResolveCard for many names at once: the contact id of
// each name that has one. EForbidden.
func (s *Service) ResolveCards(ctx context.Context, p Principal, names []string) (map[string]string, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	named, err := s.store.CardsByName(ctx, p.TenantID, names)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(names))
	for _, k := range named {
		out[k.Name] = k.ContactID
	}
	// The others are "<id>.vcf" of contacts whose card has no other name.
	var ids []string
	byID := map[string]string{}
	for _, n := range names {
		if _, ok := out[n]; ok {
			continue
		}
		if id, ok := strings.CutSuffix(n, ".vcf"); ok && strings.HasPrefix(id, PrefixContact) && validCardName(n) {
			ids = append(ids, id)
			byID[id] = n
		}
	}
	others, err := s.store.Cards(ctx, p.TenantID, ids)
	if err != nil {
		return nil, err
	}
	for _, k := range others {
		delete(byID, k.ContactID) // its card has another name
	}
	for id, n := range byID {
		out[n] = id
	}
	return out, nil
}

// CardEntries returns up to limit live contacts of the tenant after the
// id afterID, in id order, with their cards' names. EForbidden.
func (s *Service) CardEntries(ctx context.Context, p Principal, afterID string, limit int) ([]CardEntry, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	es, err := s.store.CardEntries(ctx, p.TenantID, afterID, limit)
	for i := range es {
		if es[i].Name == "" {
			es[i].Name = DefaultCardName(es[i].ContactID)
		}
	}
	return es, err
}

// CardChanges returns up to limit changes of the tenant's log after seq,
// and the log's newest change number: what a CardDAV sync report is made
// of. A seq the log cannot continue from (pruned past it, or ahead of it)
// is ECursorExpired. EForbidden.
func (s *Service) CardChanges(ctx context.Context, p Principal, after int64, limit int) ([]Change, int64, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, 0, err
	}
	h, err := s.store.ChangeHorizon(ctx, p.TenantID)
	if err != nil {
		return nil, 0, err
	}
	if after < h.Pruned || after > h.Last || after < 0 {
		return nil, 0, Errorf(ECursorExpired, "the sync token is not one this address book can continue from")
	}
	chs, err := s.store.Changes(ctx, ChangesParams{TenantID: p.TenantID, After: after, Limit: limit})
	return chs, h.Last, err
}

// SyncHorizon returns the number of the tenant's newest change: the sync
// token of the address book as it is now. EForbidden.
func (s *Service) SyncHorizon(ctx context.Context, p Principal) (int64, error) {
	if err := p.require(ScopeRead); err != nil {
		return 0, err
	}
	h, err := s.store.ChangeHorizon(ctx, p.TenantID)
	return h.Last, err
}

// PutCardRequest is a card a CardDAV client writes.
type PutCardRequest struct {
	// Name is the card's resource name.
	Name string
	// Input holds the card's fields; Fields names the contact fields the
	// card sets (the others, such as status or ownerId, keep their values
	// when the card replaces a contact's).
	Input  *ContactInput
	Fields []string
	// Data is the vCard as the client sent it.
	Data []byte
	// IfMatch is the client's If-Match; IfNoneMatch its If-None-Match: *
	// (the card must be new).
	IfMatch     Precondition
	IfNoneMatch bool
}

// PutCard creates the contact of a new card, or replaces the fields of the
// card's contact with the card's, keeping the card. It reports whether
// the contact was created. EInvalid, EConflict, EPreconditionFailed,
// EForbidden.
func (s *Service) PutCard(ctx context.Context, p Principal, r PutCardRequest) (*Contact, bool, error) {
	if err := p.require(ScopeWrite); err != nil {
		return nil, false, err
	}
	if !validCardName(r.Name) {
		return nil, false, invalidField("name", "a card's name is one path segment of printable text, at most %d bytes", MaxCardName)
	}
	if len(r.Data) > MaxCardBytes {
		return nil, false, invalidField("card", "is larger than %d bytes", MaxCardBytes)
	}
	for attempt := 0; ; attempt++ {
		id, k, err := s.resolveCard(ctx, p, r.Name)
		if err != nil && ErrorCodeOf(err) != ENotFound {
			return nil, false, err
		}
		live := false
		if err == nil {
			cur, err := s.store.Contact(ctx, p.TenantID, id)
			switch {
			case err == nil:
				live = cur.Live()
			case ErrorCodeOf(err) != ENotFound:
				return nil, false, err
			}
		}
		if !live {
			if r.IfMatch.set() {
				return nil, false, Errorf(EPreconditionFailed, "no card %q", r.Name)
			}
			c, err := s.createCard(ctx, p, r)
			var ce *ConflictError
			if errors.As(err, &ce) && ce.Field == "card" && attempt < 3 {
				continue // the name was taken meanwhile
			}
			if err != nil {
				return nil, false, contactWriteError(err, c)
			}
			return c, true, nil
		}
		if r.IfNoneMatch {
			return nil, false, Errorf(EPreconditionFailed, "the card %q exists", r.Name)
		}
		// A card rewritten with nothing the contact holds changed (a label,
		// a photo) still makes a new version: its ETag must change.
		kw := &cardWrite{card: &Card{ContactID: id, Name: r.Name, Data: r.Data}, changed: k == nil || !bytes.Equal(k.Data, r.Data)}
		c, err := s.write(ctx, p, Selector{ID: id}, r.IfMatch, false, kw, func(cur *Contact, region string) (*Contact, string, error) {
			next, err := buildContact(cardOver(cur, r), cur, region)
			return next, "updated", err
		})
		return c, false, err
	}
}

// cardWrite is a card written with its contact's update: changed when
// the card differs from the one stored.
type cardWrite struct {
	card    *Card
	changed bool
}

// DeleteCard soft-deletes the live contact at a card name (the API can
// restore it). ENotFound, EPreconditionFailed, EForbidden.
func (s *Service) DeleteCard(ctx context.Context, p Principal, name string, pc Precondition) error {
	if err := p.require(ScopeDelete); err != nil {
		return err
	}
	id, _, err := s.resolveCard(ctx, p, name)
	if err != nil {
		return err
	}
	err = s.DeleteContact(ctx, p, Selector{ID: id}, pc, false)
	if ErrorCodeOf(err) == ENotFound {
		return Errorf(ENotFound, "no card %q", name)
	}
	return err
}

// createCard stores the contact of a new card.
func (s *Service) createCard(ctx context.Context, p Principal, r PutCardRequest) (*Contact, error) {
	t, err := s.store.Tenant(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	c, err := buildContact(r.Input, nil, t.DefaultRegion)
	if err != nil {
		return nil, err
	}
	if err := s.checkSystemType(p, nil, c); err != nil {
		return nil, err
	}
	now := s.now()
	c.ID, c.Version, c.Source = NewID(PrefixContact), 1, "carddav"
	c.CreatedAt, c.CreatedBy, c.UpdatedAt, c.UpdatedBy = now, p.Actor, now, p.Actor
	base, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	card := &Card{ContactID: c.ID, Name: r.Name, Version: 1, Base: base, Data: r.Data}
	return retry(ctx, "contact "+c.ID, func(int) (*Contact, bool, error) {
		refs, err := s.contactRefs(ctx, p, c)
		if err != nil {
			return nil, false, err
		}
		err = s.store.WriteContact(ctx, WriteContactParams{TenantID: p.TenantID, Contact: c, Change: s.change(p, "created", nil, c),
			Terms: SearchTerms(c), Refs: refs, Card: card})
		if stale(err) {
			return nil, true, nil
		}
		return c, false, err
	})
}

// cardOver returns the input that replaces cur's fields with a card's:
// the fields the card sets from it, the others as they are.
func cardOver(cur *Contact, r PutCardRequest) *ContactInput {
	in := inputOf(cur)
	c := r.Input
	for _, f := range r.Fields {
		switch f {
		case "kind":
			in.Kind = c.Kind
		case "firstName":
			in.FirstName = c.FirstName
		case "middleName":
			in.MiddleName = c.MiddleName
		case "lastName":
			in.LastName = c.LastName
		case "nickName":
			in.NickName = c.NickName
		case "suffix":
			in.Suffix = c.Suffix
		case "displayName":
			in.DisplayName = c.DisplayName
		case "company":
			in.Company = c.Company
		case "department":
			in.Department = c.Department
		case "jobTitle":
			in.JobTitle = c.JobTitle
		case "birthday":
			in.Birthday = c.Birthday
		case "anniversary":
			in.Anniversary = c.Anniversary
		case "locale":
			in.Locale = c.Locale
		case "timezone":
			in.Timezone = c.Timezone
		case "notes":
			in.Notes = c.Notes
		case "phones":
			in.Phones = c.Phones // (the builder keeps the ids of entries that stay)
		case "emails":
			in.Emails = c.Emails
		case "addresses":
			in.Addresses = c.Addresses
		case "handles":
			in.Handles = c.Handles
		case "tags":
			in.Tags = c.Tags
		case "externalId":
			in.ExternalID = c.ExternalID
		case "properties":
			in.Properties = c.Properties
		case "photo":
			in.Photo = c.Photo
		case "location":
			in.Location = c.Location
		case "links":
			in.Links = c.Links
		case "directory":
			in.ContactType = c.ContactType
			in.Extensions, in.Site, in.PBX, in.Subscription = c.Extensions, c.Site, c.PBX, c.Subscription
			in.DisplayWhenNoExtension, in.HideInAutoAttendant = c.DisplayWhenNoExtension, c.HideInAutoAttendant
		default:
			panic(fmt.Sprintf("contactd: a card cannot set %q", f))
		}
	}
	return in
}
