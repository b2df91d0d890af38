package contactd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Tag returns one tag. ENotFound, EForbidden.
func (s *Service) Tag(ctx context.Context, p Principal, id string) (*Tag, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	return s.tag(ctx, p, id)
}

func (s *Service) tag(ctx context.Context, p Principal, id string) (*Tag, error) {
	return notFoundAs[*Tag]("tag", id)(s.store.Tag(ctx, p.TenantID, id))
}

// checkTag validates and normalizes the given fields of a tag input.
func checkTag(in *TagInput, create bool) error {
	var fe []FieldError
	if in.Name == nil && create {
		fe = append(fe, FieldError{Location: "name", Message: "is required"})
	}
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		in.Name = &n
		if c := utf8.RuneCountInString(n); !utf8.ValidString(n) || c < 1 || c > MaxTagLen {
			fe = append(fe, FieldError{Location: "name", Message: "must be 1 to 64 characters", Value: *in.Name})
		}
	}
	if in.Color != nil {
		c := strings.TrimSpace(*in.Color)
		if c != "" && !colorRE.MatchString(c) {
			fe = append(fe, FieldError{Location: "color", Message: "must be a colour in the form #RRGGBB", Value: c})
		}
		c = strings.ToUpper(c)
		in.Color = &c
	}
	if in.Description != nil {
		d := strings.TrimSpace(*in.Description)
		in.Description = &d
		if n := utf8.RuneCountInString(d); !utf8.ValidString(d) || n > MaxTagDescription {
			fe = append(fe, FieldError{Location: "description", Message: "must be at most 255 characters"})
		}
	}
	if len(fe) > 0 {
		return invalid(fe)
	}
	return nil
}

// tagConflict words a name another tag has.
func tagConflict(err error) error {
	var ce *ConflictError
	if !errors.As(err, &ce) {
		return err
	}
	msg := fmt.Sprintf("the tag %s is named %q", ce.ID, ce.Value)
	return &Error{Code: EConflict, Message: msg, ConflictingID: ce.ID, ConflictingField: "name",
		Fields: []FieldError{{Location: "name", Message: msg}}}
}

// CreateTag adds a tag to the registry. EInvalid, EConflict (a tag of
// that name exists, in any case: conflictingId names it), EForbidden.
func (s *Service) CreateTag(ctx context.Context, p Principal, in *TagInput) (*Tag, error) {
	if err := p.require(ScopeWrite); err != nil {
		return nil, err
	}
	if err := checkTag(in, true); err != nil {
		return nil, err
	}
	now := s.now()
	t := &Tag{TenantID: p.TenantID, ID: NewID(PrefixTag), Name: *in.Name, CreatedAt: now, UpdatedAt: now}
	if in.Color != nil {
		t.Color = *in.Color
	}
	if in.Description != nil {
		t.Description = *in.Description
	}
	if err := s.store.CreateTag(ctx, t); err != nil {
		return nil, tagConflict(err)
	}
	return t, nil
}

// UpdateTag changes a tag. A new name (a new spelling too) is written to
// every contact carrying the tag, each with a new version and a history
// entry, in one transaction. EInvalid, ENotFound, EConflict, EForbidden.
func (s *Service) UpdateTag(ctx context.Context, p Principal, id string, in *TagInput) (*Tag, error) {
	if err := p.require(ScopeWrite); err != nil {
		return nil, err
	}
	cur, err := s.tag(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := checkReadOnly(cur, in.ReadOnly); err != nil {
		return nil, err
	}
	if err := checkTag(in, false); err != nil {
		return nil, err
	}
	if in.Name == nil && in.Color == nil && in.Description == nil {
		return cur, nil
	}
	at := s.now()
	t, n, err := s.store.UpdateTag(ctx, UpdateTagParams{TenantID: p.TenantID, ID: id, Name: in.Name, Color: in.Color,
		Description: in.Description, At: at, Retag: s.retag(p)})
	if _, err = notFoundAs[any]("tag", id)(nil, err); err != nil {
		return nil, tagConflict(err)
	}
	if n > 0 {
		s.log.Info("tag renamed", "tenant", p.TenantID, "tag", id, "contacts", n)
	}
	return t, nil
}

// DeleteTag deletes a tag and removes it from every contact, each with a
// new version and a history entry, in one transaction. ENotFound, EForbidden.
func (s *Service) DeleteTag(ctx context.Context, p Principal, id string) error {
	if err := p.require(ScopeDelete); err != nil {
		return err
	}
	n, err := notFoundAs[int]("tag", id)(s.store.DeleteTag(ctx, DeleteTagParams{TenantID: p.TenantID, ID: id, Retag: s.retag(p)}))
	if err != nil {
		return err
	}
	if n > 0 {
		s.log.Info("tag deleted", "tenant", p.TenantID, "tag", id, "contacts", n)
	}
	return nil
}

// retag is the rule for a contact whose tag is renamed or deleted: the tag
// takes its new spelling (or leaves), a tag the contact would then hold
// twice is kept once, and the contact's history records the old and new
// tags as an "updated" change by p.
func (s *Service) retag(p Principal) Retag {
	at := s.now()
	return func(from, to string, c TaggedContact) ([]string, *Change) {
		next, _ := ReplaceTag(c.Tags, TagKey(from), to)
		old, _ := json.Marshal(c.Tags)
		if c.Tags == nil {
			old = []byte("[]")
		}
		nb, _ := json.Marshal(next)
		return next, &Change{TenantID: p.TenantID, Type: "updated", ContactID: c.ID, Version: c.Version + 1,
			Actor: p.Actor, At: at, Fields: map[string]FieldChange{"tags": {Old: old, New: nb}}}
	}
}

// spellTags gives the contacts' tags the registry's spelling and returns
// the registry entries they spell, those the registry lacks as new tags
// for the write to create: one read of the registry for every distinct tag
// of the contacts, however many (the bulk path passes a whole batch).
func (s *Service) spellTags(ctx context.Context, p Principal, cs ...*Contact) ([]*Tag, error) {
	const chunk = 500 // keys per read, to bound a statement's parameters
	index := map[string]int{}
	var tags []*Tag
	var keys []string
	now := s.now()
	for _, c := range cs {
		for _, name := range c.Tags {
			k := TagKey(name)
			if _, ok := index[k]; !ok {
				index[k] = len(tags)
				keys = append(keys, k)
				tags = append(tags, &Tag{TenantID: p.TenantID, ID: NewID(PrefixTag), Name: name, CreatedAt: now, UpdatedAt: now})
			}
		}
	}
	for start := 0; start < len(keys); start += chunk {
		names, err := s.store.TagNames(ctx, p.TenantID, keys[start:min(start+chunk, len(keys))])
		if err != nil {
			return nil, err
		}
		for k, name := range names {
			tags[index[k]].Name = name
		}
	}
	for _, c := range cs {
		if len(c.Tags) == 0 {
			continue
		}
		spelt := make([]string, len(c.Tags))
		for i, name := range c.Tags {
			spelt[i] = tags[index[TagKey(name)]].Name
		}
		// Two inputs may now be spelt alike; the builder kept them distinct
		// without regard to case, so this only normalizes spelling.
		c.Tags, _ = ReplaceTag(spelt, "", "")
	}
	return tags, nil
}
