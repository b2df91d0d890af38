package contactd

import (
	"context"
	"encoding/json"
	"strings"
	"time"
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
	// CreateTag inserts a tag into t.TenantID's registry. A *ConflictError
	// (name, with the other tag's id and name) when the tenant has a tag
	// with the same name in any case.
	CreateTag(ctx context.Context, t *Tag) error
	// Tag returns a tag by id. ENotFound.
	Tag(ctx context.Context, tenantID, id string) (*Tag, error)
	// Tags returns up to p.Limit tags in the order of their keys, after
	// p.After when it is set.
	Tags(ctx context.Context, p TagsParams) ([]*Tag, error)
	// CountTags counts the tags of a list, ignoring p.After and p.Limit.
	CountTags(ctx context.Context, p TagsParams) (int, error)
	// TagNames returns the registry's spelling of the tags with the given
	// keys, by key; keys the registry lacks are absent.
	TagNames(ctx context.Context, tenantID string, keys []string) (map[string]string, error)
	// UpdateTag changes a tag's given fields and UpdatedAt (p.At). When its
	// name changes (its spelling too), the same transaction rewrites every
	// contact carrying the tag, deleted ones included, as p.Retag says:
	// each gets the tags and the change Retag returns (the store numbers
	// the change), the change's version, UpdatedAt and UpdatedBy. It
	// returns the tag and how many contacts changed. ENotFound, a
	// *ConflictError as CreateTag.
	UpdateTag(ctx context.Context, p UpdateTagParams) (*Tag, int, error)
	// DeleteTag deletes a tag and, in the same transaction, rewrites every
	// contact carrying it as p.Retag says, as UpdateTag does. It returns
	// how many contacts changed. ENotFound.
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
	At                       time.Time
	// Retag rewrites a contact carrying the tag, when its name changes.
	Retag Retag
}

// Apply gives t the fields p changes, and p.At as its UpdatedAt.
func (p UpdateTagParams) Apply(t *Tag) {
	for _, f := range []struct{ to, from *string }{{&t.Name, p.Name}, {&t.Color, p.Color}, {&t.Description, p.Description}} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	t.UpdatedAt = p.At
}

// DeleteTagParams is the input of TagStore.DeleteTag.
type DeleteTagParams struct {
	TenantID, ID string
	Retag        Retag
}

// Retag is the Service's rule for a contact whose tag the store renames
// (from, to) or deletes (to ""): given the contact's id, version and tags,
// it returns the contact's tags and the change that records them. It does
// no I/O, as it runs inside the store's transaction.
type Retag func(from, to string, c TaggedContact) (tags []string, ch *Change)

// TaggedContact is a contact carrying a tag, as a store reads it to retag it.
type TaggedContact struct {
	ID      string
	Version int64
	Tags    []string
}
