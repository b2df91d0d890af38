package contactd

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
)

// EntryList names a list of sub-entries that can be edited one at a time.
type EntryList string

// Lists whose entries have their own endpoints.
const (
	PhonesList    EntryList = "phones"
	EmailsList    EntryList = "emails"
	AddressesList EntryList = "addresses"
)

// entryNoun names one entry of each list.
var entryNoun = map[EntryList]string{PhonesList: "phone", EmailsList: "email", AddressesList: "address"}

// listOps gives generic code access to one kind of sub-entry.
type listOps[T any] struct {
	name    EntryList
	list    func(*ContactInput) *[]T
	id      func(*T) *string
	primary func(*T) *bool
	decode  func([]byte) (T, error)
}

var (
	phoneOps = listOps[Phone]{PhonesList, func(in *ContactInput) *[]Phone { return &in.Phones },
		func(e *Phone) *string { return &e.ID }, func(e *Phone) *bool { return &e.Primary }, DecodePhone}
	emailOps = listOps[Email]{EmailsList, func(in *ContactInput) *[]Email { return &in.Emails },
		func(e *Email) *string { return &e.ID }, func(e *Email) *bool { return &e.Primary }, DecodeEmail}
	addressOps = listOps[Address]{AddressesList, func(in *ContactInput) *[]Address { return &in.Addresses },
		func(e *Address) *string { return &e.ID }, func(e *Address) *bool { return &e.Primary }, DecodeAddress}
)

// entryEdit is one edit of one entry: add (entryID ""), patch (body
// non-nil) or remove (body nil).
type entryEdit func(ctx context.Context, s *Service, p Principal, contactID, entryID string, body []byte, pc Precondition) (*Contact, error)

// entryEdits edits each list of entries.
var entryEdits = map[EntryList]entryEdit{
	PhonesList: editsOf(phoneOps), EmailsList: editsOf(emailOps), AddressesList: editsOf(addressOps),
}

func editsOf[T any](ops listOps[T]) entryEdit {
	return func(ctx context.Context, s *Service, p Principal, contactID, entryID string, body []byte, pc Precondition) (*Contact, error) {
		return editEntry(ctx, s, p, contactID, entryID, body, pc, ops)
	}
}

func (s *Service) editEntry(ctx context.Context, p Principal, contactID string, list EntryList, entryID string, body []byte, pc Precondition) (*Contact, error) {
	edit, ok := entryEdits[list]
	if !ok {
		return nil, Errorf(ENotFound, "no list %q", list)
	}
	return edit(ctx, s, p, contactID, entryID, body, pc)
}

// AddEntry decodes one entry from body and adds it to a contact's list; an
// entry marked primary takes over from the previous primary.
// EInvalid (locations relative to the entry), ENotFound, EConflict,
// EPreconditionFailed, EForbidden.
func (s *Service) AddEntry(ctx context.Context, p Principal, contactID string, list EntryList, body []byte, pc Precondition) (*Contact, error) {
	return s.editEntry(ctx, p, contactID, list, "", body, pc)
}

// PatchEntry applies a JSON merge patch to one entry of a contact's list.
// ENotFound also when the contact has no entry entryID.
func (s *Service) PatchEntry(ctx context.Context, p Principal, contactID string, list EntryList, entryID string, patch []byte, pc Precondition) (*Contact, error) {
	if entryID == "" {
		return nil, Errorf(ENotFound, "no entry selected")
	}
	return s.editEntry(ctx, p, contactID, list, entryID, patch, pc)
}

// DeleteEntry removes one entry from a contact's list.
func (s *Service) DeleteEntry(ctx context.Context, p Principal, contactID string, list EntryList, entryID string, pc Precondition) (*Contact, error) {
	return s.editEntry(ctx, p, contactID, list, entryID, nil, pc)
}

// editEntry adds (entryID ""), patches (body non-nil) or removes (body nil)
// one entry, then validates the whole contact again.
func editEntry[T any](ctx context.Context, s *Service, p Principal, contactID, entryID string, body []byte, pc Precondition, ops listOps[T]) (*Contact, error) {
	if err := p.require(ScopeWrite); err != nil {
		return nil, err
	}
	var patch map[string]any
	var added T
	switch {
	case entryID == "":
		e, err := ops.decode(body)
		if err != nil {
			return nil, err
		}
		added = e
		*ops.id(&added) = ""
	case body != nil:
		if err := json.Unmarshal(body, &patch); err != nil || patch == nil {
			return nil, invalidField("body", "must be a JSON object (a JSON merge patch)")
		}
	}
	return s.update(ctx, p, Selector{ID: contactID}, pc, func(cur *Contact, region string) (*Contact, string, error) {
		in := inputOf(cur)
		list := ops.list(in)
		idx := -1
		for i := range *list {
			if *ops.id(&(*list)[i]) == entryID && entryID != "" {
				idx = i
			}
		}
		switch {
		case entryID == "":
			*list = append(*list, added)
			idx = len(*list) - 1
		case idx < 0:
			return nil, "", Errorf(ENotFound, "contact %q has no %s entry %q", contactID, entryNoun[ops.name], entryID)
		case body == nil:
			*list = append((*list)[:idx], (*list)[idx+1:]...)
			idx = -1
		default:
			e, err := patchEntry((*list)[idx], patch, ops)
			if err != nil {
				return nil, "", err
			}
			(*list)[idx] = e
		}
		if idx >= 0 && *ops.primary(&(*list)[idx]) {
			for i := range *list {
				*ops.primary(&(*list)[i]) = i == idx
			}
		}
		next, err := buildContact(in, cur, region)
		if err != nil && idx >= 0 {
			err = relocate(err, string(ops.name)+"["+strconv.Itoa(idx)+"]")
		}
		return next, "updated", err
	})
}

// patchEntry merges a JSON merge patch into one entry and decodes it strictly.
func patchEntry[T any](e T, patch map[string]any, ops listOps[T]) (T, error) {
	id := *ops.id(&e)
	b, _ := json.Marshal(e)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	merged, _ := json.Marshal(mergePatch(m, patch))
	out, err := ops.decode(merged)
	if err != nil {
		return out, err
	}
	*ops.id(&out) = id
	return out, nil
}

// relocate rewrites field locations under prefix ("phones[2]") to be
// relative to the entry itself, as the client sent only the entry.
func relocate(err error, prefix string) error {
	return relocated(err, func(loc string) string {
		switch {
		case loc == prefix:
			return "body"
		case strings.HasPrefix(loc, prefix+"."):
			return strings.TrimPrefix(loc, prefix+".")
		}
		return loc
	})
}

// inputOf returns the writable part of a contact as an input.
func inputOf(c *Contact) *ContactInput {
	in := &ContactInput{
		Kind: c.Kind, ContactType: c.ContactType, FirstName: c.FirstName, MiddleName: c.MiddleName,
		LastName: c.LastName, NickName: c.NickName, Suffix: c.Suffix, Company: c.Company,
		Department: c.Department, JobTitle: c.JobTitle, Birthday: c.Birthday, Anniversary: c.Anniversary,
		Locale: c.Locale, Timezone: c.Timezone, ProfileColor: c.ProfileColor, Notes: c.Notes, Phones: c.Phones, Emails: c.Emails,
		Addresses: c.Addresses, Handles: c.Handles, Tags: c.Tags, AccountID: c.AccountID,
		OwnerID: c.OwnerID, ExternalID: c.ExternalID, Status: c.Status, Properties: c.Properties,
		Metadata: c.Metadata, DoNotCall: c.DoNotCall, EmailOptOut: c.EmailOptOut,
		SMSOptOut: c.SMSOptOut, Unknown: c.Unknown, Links: c.Links,
		Extensions: c.Extensions, Site: c.Site, PBX: c.PBX, Location: c.Location, Subscription: c.Subscription,
		DisplayWhenNoExtension: c.DisplayWhenNoExtension, HideInAutoAttendant: c.HideInAutoAttendant,
	}
	if c.DisplayNameSet {
		in.DisplayName = c.DisplayName
	}
	return in
}
