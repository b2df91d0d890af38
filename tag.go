package contactd

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// PrefixTag is the id prefix of tags.
const PrefixTag = "tag_"

// MaxTagDescription is the longest tag description, in characters.
const MaxTagDescription = 255

// Tag is an entry of a tenant's tag registry. Names are unique per tenant
// without regard to case ("VIP" and "vip" are one tag), and contacts carry
// the registry's spelling.
type Tag struct {
	TenantID    string    `json:"-"`
	ID          string    `json:"id"`
	Name        string    `json:"name" doc:"1 to 64 characters, unique in the tenant without regard to case; the spelling contacts carry."`
	Color       string    `json:"color,omitempty" doc:"#RRGGBB."`
	Description string    `json:"description,omitempty" doc:"At most 255 characters."`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// MarshalJSON writes the tag with its timestamps in TimeFormat.
func (t Tag) MarshalJSON() ([]byte, error) {
	type plain Tag
	return json.Marshal(struct {
		plain
		CreatedAt jsonTime `json:"createdAt"`
		UpdatedAt jsonTime `json:"updatedAt"`
	}{plain(t), jsonTime(t.CreatedAt), jsonTime(t.UpdatedAt)})
}

// TagKey is the case-insensitive form of a tag name that uniqueness and
// filters use (contact_tags holds it).
func TagKey(name string) string { return strings.ToLower(name) }

// TagKeys returns the distinct keys of tags, in order: what the stores
// index for tag filters.
func TagKeys(tags []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range tags {
		if k := TagKey(t); !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// ReplaceTag returns a contact's tags with the tag whose key is key spelt
// name instead, or removed when name is "". A tag that the result would
// then hold twice (in any case) is kept once, at its first place. It
// reports whether anything changed. The stores use it to rename and
// delete a tag on every contact.
func ReplaceTag(tags []string, key, name string) ([]string, bool) {
	out := make([]string, 0, len(tags))
	seen := map[string]bool{}
	changed := false
	for _, t := range tags {
		if TagKey(t) == key {
			if name == "" {
				changed = true
				continue
			}
			if t != name {
				changed = true
			}
			t = name
		}
		k := TagKey(t)
		if seen[k] {
			changed = true
			continue
		}
		seen[k] = true
		out = append(out, t)
	}
	return out, changed
}

// TagStore is the part of the Store that keeps the tag registry.
type TagStore interface {
	// CreateTag inserts a tag into t.TenantID's registry. EConflict (ConflictingID, ConflictingField
	// "name") when the tenant has a tag with the same name in any case.
	CreateTag(ctx context.Context, t *Tag) error
	// Tag returns a tag by id. ENotFound.
	Tag(ctx context.Context, tenantID, id string) (*Tag, error)
	// Tags returns up to p.Limit tags in the order of their keys, after
	// p.After when it is set.
	Tags(ctx context.Context, p TagsParams) ([]*Tag, error)
	// CountTags counts the tags of a list, ignoring p.After and p.Limit.
	CountTags(ctx context.Context, p TagsParams) (int, error)
	// EnsureTags inserts the tags whose names the registry lacks (in any
	// case) and returns the registry's spelling of every name, in order.
	// It reads once when every tag exists, and writes at most once more.
	EnsureTags(ctx context.Context, tenantID string, tags []*Tag) ([]string, error)
	// UpdateTag changes a tag's given fields. A new spelling of the name
	// is written, in the same transaction, to every contact (deleted ones
	// included) carrying the tag: each gets a new version, UpdatedAt =
	// p.At, UpdatedBy = p.Actor, and an "updated" change whose fields hold
	// the old and new tags. It returns the tag and how many contacts
	// changed. ENotFound, EConflict as CreateTag.
	UpdateTag(ctx context.Context, p UpdateTagParams) (*Tag, int, error)
	// DeleteTag deletes a tag and removes it, in the same transaction,
	// from every contact carrying it, with a new version and an "updated"
	// change each as UpdateTag. It returns how many contacts changed.
	// ENotFound.
	DeleteTag(ctx context.Context, p DeleteTagParams) (int, error)
}

// TagsParams selects a page of tags.
type TagsParams struct {
	TenantID string
	// Prefix keeps the tags whose key starts with it (lower case).
	Prefix string
	// After is the key of the previous page's last tag.
	After string
	Limit int
}

// UpdateTagParams is the input of TagStore.UpdateTag. Nil fields are left
// as they are.
type UpdateTagParams struct {
	TenantID, ID             string
	Name, Color, Description *string
	// Actor and At are recorded on the contacts a rename rewrites, At as
	// the tag's UpdatedAt too.
	Actor string
	At    time.Time
}

// DeleteTagParams is the input of TagStore.DeleteTag.
type DeleteTagParams struct {
	TenantID, ID string
	Actor        string
	At           time.Time
}

// TagInput is a tag as a client writes it. A nil field is absent; on an
// update, an empty Color or Description clears it.
type TagInput struct {
	Name, Color, Description *string
	// ReadOnly holds the read-only fields sent (id, createdAt, updatedAt):
	// ignored on create, and on update when they equal the current values.
	ReadOnly map[string]json.RawMessage
}

// TagPage is one page of the tag registry.
type TagPage struct {
	Data       []*Tag  `json:"data"`
	NextCursor *string `json:"nextCursor"`
	Total      *int    `json:"total,omitempty"`
	Limit      int     `json:"limit"`
}

// TagListRequest asks for a page of tags, in the order of their names
// without regard to case.
type TagListRequest struct {
	// Prefix keeps the tags whose name starts with it, in any case.
	Prefix  string
	Limit   int
	Cursor  string
	NoCount bool
}

// Tags lists the tenant's tags. EInvalid (limit, cursor), EForbidden.
func (s *Service) Tags(ctx context.Context, p Principal, r TagListRequest) (*TagPage, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	limit, err := checkLimit(r.Limit)
	if err != nil {
		return nil, err
	}
	q := TagsParams{TenantID: p.TenantID, Prefix: TagKey(strings.TrimSpace(r.Prefix)), Limit: limit + 1}
	if r.Cursor != "" {
		if q.After, err = decodeKeyCursor("tag", r.Cursor); err != nil {
			return nil, err
		}
	}
	tags, err := s.store.Tags(ctx, q)
	if err != nil {
		return nil, err
	}
	page := &TagPage{Data: tags, Limit: limit}
	if len(tags) > limit {
		page.Data = tags[:limit]
		c := encodeKeyCursor("tag", TagKey(page.Data[limit-1].Name))
		page.NextCursor = &c
	}
	if page.Data == nil {
		page.Data = []*Tag{}
	}
	if !r.NoCount {
		n, err := s.store.CountTags(ctx, q)
		if err != nil {
			return nil, err
		}
		page.Total = &n
	}
	return page, nil
}

// encodeKeyCursor returns an opaque cursor continuing after key.
func encodeKeyCursor(kind, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(kind + ":" + key))
}

func decodeKeyCursor(kind, cursor string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	key, ok := strings.CutPrefix(string(b), kind+":")
	if err != nil || !ok || key == "" {
		return "", invalidField("query.cursor", "is not a cursor of this list")
	}
	return key, nil
}

// Tag returns one tag. ENotFound, EForbidden.
func (s *Service) Tag(ctx context.Context, p Principal, id string) (*Tag, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	return s.tag(ctx, p, id)
}

func (s *Service) tag(ctx context.Context, p Principal, id string) (*Tag, error) {
	t, err := s.store.Tag(ctx, p.TenantID, id)
	if ErrorCodeOf(err) == ENotFound {
		return nil, Errorf(ENotFound, "tag %q not found", id)
	}
	return t, err
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

// CreateTag adds a tag to the registry. EInvalid, EConflict (a tag of
// that name exists, in any case: conflictingId names it), EForbidden.
func (s *Service) CreateTag(ctx context.Context, p Principal, in TagInput) (*Tag, error) {
	if err := p.require(ScopeWrite); err != nil {
		return nil, err
	}
	if err := checkTag(&in, true); err != nil {
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
		return nil, err
	}
	return t, nil
}

// UpdateTag changes a tag. A new name (a new spelling too) is written to
// every contact carrying the tag, each with a new version and a history
// entry, in one transaction. EInvalid, ENotFound, EConflict, EForbidden.
func (s *Service) UpdateTag(ctx context.Context, p Principal, id string, in TagInput) (*Tag, error) {
	if err := p.require(ScopeWrite); err != nil {
		return nil, err
	}
	cur, err := s.tag(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if err := checkReadOnlyOf(cur, in.ReadOnly); err != nil {
		return nil, err
	}
	if err := checkTag(&in, false); err != nil {
		return nil, err
	}
	if in.Name == nil && in.Color == nil && in.Description == nil {
		return cur, nil
	}
	t, n, err := s.store.UpdateTag(ctx, UpdateTagParams{TenantID: p.TenantID, ID: id, Name: in.Name, Color: in.Color,
		Description: in.Description, Actor: p.Actor, At: s.now()})
	if ErrorCodeOf(err) == ENotFound {
		return nil, Errorf(ENotFound, "tag %q not found", id)
	}
	if err != nil {
		return nil, err
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
	n, err := s.store.DeleteTag(ctx, DeleteTagParams{TenantID: p.TenantID, ID: id, Actor: p.Actor, At: s.now()})
	if ErrorCodeOf(err) == ENotFound {
		return Errorf(ENotFound, "tag %q not found", id)
	}
	if err != nil {
		return err
	}
	if n > 0 {
		s.log.Info("tag deleted", "tenant", p.TenantID, "tag", id, "contacts", n)
	}
	return nil
}

// checkReadOnlyOf rejects read-only fields sent with a value other than
// the current one's (compared as JSON values); unchanged ones are ignored,
// so that a client may send back what it read.
func checkReadOnlyOf(cur any, sent map[string]json.RawMessage) error {
	if len(sent) == 0 {
		return nil
	}
	b, err := json.Marshal(cur)
	if err != nil {
		return err
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		return err
	}
	var fe []FieldError
	for k, raw := range sent {
		var v any
		if json.Unmarshal(raw, &v) != nil || !reflect.DeepEqual(v, doc[k]) {
			fe = append(fe, FieldError{Location: k, Message: "is read-only"})
		}
	}
	if len(fe) > 0 {
		slices.SortFunc(fe, func(a, b FieldError) int { return strings.Compare(a.Location, b.Location) })
		return invalid(fe)
	}
	return nil
}

// resolveTags gives contacts' tags the registry's spelling, creating
// unknown tags: one read when they all exist, one write more otherwise,
// however many contacts (the bulk path passes a whole batch). It runs
// before the contact's own transaction, so a rename committed in
// between leaves this one contact with the old spelling (and its next write
// registers that name again); a contact that already had the tag is safe,
// as the rename changes its version and the write is retried.
func (s *Service) resolveTags(ctx context.Context, p Principal, cs ...*Contact) error {
	// One registry call for every distinct tag of the contacts (in chunks,
	// to bound the statement's parameters); the first spelling seen asks.
	const chunk = 500
	index := map[string]int{}
	var in []*Tag
	now := s.now()
	for _, c := range cs {
		for _, name := range c.Tags {
			if _, ok := index[TagKey(name)]; !ok {
				index[TagKey(name)] = len(in)
				in = append(in, &Tag{TenantID: p.TenantID, ID: NewID(PrefixTag), Name: name, CreatedAt: now, UpdatedAt: now})
			}
		}
	}
	names := make([]string, 0, len(in))
	for start := 0; start < len(in); start += chunk {
		got, err := s.store.EnsureTags(ctx, p.TenantID, in[start:min(start+chunk, len(in))])
		if err != nil {
			return err
		}
		names = append(names, got...)
	}
	for _, c := range cs {
		if len(c.Tags) == 0 {
			continue
		}
		spelt := make([]string, len(c.Tags))
		for i, name := range c.Tags {
			spelt[i] = names[index[TagKey(name)]]
		}
		// Two inputs may now be spelt alike; the builder kept them distinct
		// without regard to case, so this only normalizes spelling.
		c.Tags, _ = ReplaceTag(spelt, "", "")
	}
	return nil
}
