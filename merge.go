package contactd

import (
	"cmp"
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"
)

// Merge is the record of a merge of contacts into one, kept for undo.
type Merge struct {
	ID        string   `json:"id"`
	TargetID  string   `json:"targetId"`
	SourceIDs []string `json:"sourceIds"`
	// Before is the survivor as it was, BeforeNameSet its DisplayNameSet.
	Before        *Contact `json:"before"`
	BeforeNameSet bool     `json:"beforeNameSet,omitempty"`
	// After is the survivor as the merge wrote it.
	After *Contact `json:"after"`
	// SourceVersions are the versions the merge wrote of the sources
	// (deleted, mergedInto the survivor).
	SourceVersions map[string]int64 `json:"sourceVersions"`
	Provenance     map[string]any   `json:"provenance"`
	// Segments are the static segments the survivor joined through the
	// merge (those of the sources it was not in).
	Segments []string   `json:"segments,omitempty"`
	Actor    string     `json:"actor"`
	At       time.Time  `json:"at"`
	UndoneAt *time.Time `json:"undoneAt,omitempty"`
}

// MergeStore is the part of the Store that keeps merges; they are written
// with the contacts' writes (WriteContactsParams.Merge).
type MergeStore interface {
	// LastMerge returns the latest merge into a contact that is not
	// undone. ENotFound.
	LastMerge(ctx context.Context, tenantID, targetID string) (*Merge, error)
}

// MergeWrite is what a merge or unmerge writes besides the contacts.
type MergeWrite struct {
	// Merge is recorded (UndoneAt nil) or marked undone (UndoneAt set).
	Merge *Merge
	// Join and Leave are static segments the survivor (Merge.TargetID)
	// joins and leaves.
	Join, Leave []string
}

// Fields a merge combines. Scalars take the target's value unless it is
// empty, then the first source's that has one; lists are unioned with
// duplicates collapsed; objects are merged key by key; opt-outs hold if
// any contact has them.
var (
	mergeScalars = []string{"kind", "contactType", "firstName", "middleName", "lastName", "nickName", "suffix", "displayName",
		"company", "department", "jobTitle", "birthday", "anniversary", "locale", "timezone", "profileColor", "notes",
		"accountId", "ownerId", "externalId", "status", "location", "site", "pbx"}
	mergeLists   = []string{"phones", "emails", "addresses", "handles", "tags", "links"}
	mergeObjects = []string{"properties", "metadata"}
	mergeFlags   = []string{"doNotCall", "emailOptOut", "smsOptOut"}
)

func mergeable(f string) bool {
	return slices.Contains(mergeScalars, f) || slices.Contains(mergeLists, f) || slices.Contains(mergeObjects, f) ||
		slices.Contains(mergeFlags, f)
}

// MergeResult is the answer of a merge: the survivor, where each of its
// fields came from, and the merge's id (none on a dry run).
type MergeResult struct {
	MergeID    string         `json:"mergeId,omitempty" doc:"The merge's id; absent on a dry run."`
	DryRun     bool           `json:"dryRun"`
	Contact    *Contact       `json:"contact" doc:"The survivor, as the merge leaves it (on a dry run: would leave it)."`
	SourceIDs  []string       `json:"sourceIds"`
	Provenance map[string]any `json:"provenance" doc:"Where each field of the survivor came from: a contact id per field, and for phones, emails, addresses, handles, tags and links a contact id per entry, in order; properties and metadata a contact id per key."`
}

// entryKey returns the key under which list entries of a field collapse.
func entryKey(field string, e any) string {
	m, _ := e.(map[string]any)
	str := func(k string) string { s, _ := m[k].(string); return s }
	switch field {
	case "phones":
		return cmp.Or(str("e164"), str("number")) + ";" + str("extension")
	case "emails":
		return CanonicalEmail(str("address"))
	case "addresses":
		var parts []string
		for _, k := range []string{"street", "streetNumber", "apartment", "city", "county", "state", "postalCode", "country"} {
			parts = append(parts, strings.Join(words(fold(str(k))), " "))
		}
		return strings.Join(parts, "|")
	case "handles":
		return str("type") + ":" + strings.ToLower(str("value"))
	case "tags":
		s, _ := e.(string)
		return TagKey(s)
	case "links":
		return str("type") + ":" + str("externalId")
	}
	return ""
}

// empty reports whether a document value counts as not set.
func empty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return !x
	case []any:
		return len(x) == 0
	case map[string]any:
		return len(x) == 0
	}
	return false
}

// merged computes the document of target with sources merged in, and
// where each field came from.
func merged(target *Contact, sources []*Contact, choose map[string]json.RawMessage) (map[string]any, map[string]any, error) {
	all := append([]*Contact{target}, sources...)
	docs := make([]map[string]any, len(all))
	for i, c := range all {
		d, err := writableDoc(c)
		if err != nil {
			return nil, nil, err
		}
		docs[i] = d
	}
	out := docs[0]
	prov := map[string]any{}
	byID := map[string]int{}
	for i, c := range all {
		byID[c.ID] = i
	}
	for _, f := range append(slices.Clone(mergeScalars), mergeFlags...) {
		for i, d := range docs {
			if !empty(d[f]) {
				out[f], prov[f] = d[f], all[i].ID
				break
			}
		}
	}
	for _, f := range mergeLists {
		var list []any
		var from []string
		seen := map[string]bool{}
		for i, d := range docs {
			entries, _ := d[f].([]any)
			for _, e := range entries {
				k := entryKey(f, e)
				if seen[k] {
					continue
				}
				seen[k] = true
				if m, ok := e.(map[string]any); ok && i > 0 {
					m = maps.Clone(m)
					delete(m, "id")
					if _, ok := m["primary"]; ok {
						m["primary"] = false
					}
					e = m
				}
				list = append(list, e)
				from = append(from, all[i].ID)
			}
		}
		out[f] = list
		if len(from) > 0 {
			prov[f] = from
		}
	}
	for _, f := range mergeObjects {
		obj := map[string]any{}
		from := map[string]any{}
		for i, d := range docs {
			m, _ := d[f].(map[string]any)
			for k, v := range m {
				if _, ok := obj[k]; !ok {
					obj[k], from[k] = v, all[i].ID
				}
			}
		}
		if len(obj) > 0 {
			out[f], prov[f] = obj, from
		}
	}
	for _, f := range slices.Sorted(maps.Keys(choose)) {
		raw := choose[f]
		var id string
		if json.Unmarshal(raw, &id) == nil {
			if i, ok := byID[id]; ok {
				// One contact's value, whole.
				if v, ok := docs[i][f]; ok && !empty(v) {
					out[f] = v
					if slices.Contains(mergeLists, f) {
						prov[f] = repeat(id, len(v.([]any)))
					} else {
						prov[f] = id
					}
				} else {
					delete(out, f)
					delete(prov, f)
				}
				if f == "displayName" && i > 0 && !all[i].DisplayNameSet {
					delete(out, "displayName") // derived there: derived here
				}
				continue
			}
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, nil, invalidField("fields."+f, "is not a JSON value")
		}
		out[f] = v
		prov[f] = "value"
	}
	return out, prov, nil
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// sharesIdentity reports whether c has a number, an email (as delivered)
// or an external id of one of others.
func sharesIdentity(c *Contact, others []*Contact) bool {
	for _, o := range others {
		if o == c {
			continue
		}
		if c.ExternalID != "" && c.ExternalID == o.ExternalID {
			return true
		}
		for _, ph := range c.Phones {
			if slices.ContainsFunc(o.Phones, func(x Phone) bool { return x.E164 == ph.E164 }) {
				return true
			}
		}
		for _, e := range c.Emails {
			ce := CanonicalEmail(e.Address)
			if slices.ContainsFunc(o.Emails, func(x Email) bool { return CanonicalEmail(x.Address) == ce }) {
				return true
			}
		}
	}
	return false
}

// mergeFlagsOf gives the survivor a block any source has, when it has none.
func mergeFlagsOf(next *Contact, sources []*Contact, prov map[string]any) {
	if next.BlockedAt != nil {
		return
	}
	for _, src := range sources {
		if src.BlockedAt != nil {
			next.BlockedAt, next.BlockedBy, next.BlockReason = src.BlockedAt, src.BlockedBy, src.BlockReason
			prov["blockedAt"] = src.ID
			return
		}
	}
}

// fixListProvenance aligns the provenance of list fields with the
// survivor's entries as built (normalized, deduplicated again).
func fixListProvenance(next *Contact, prov map[string]any, all []*Contact) {
	doc, err := docOf(next)
	if err != nil {
		return
	}
	for _, f := range mergeLists {
		entries, _ := doc[f].([]any)
		if len(entries) == 0 {
			delete(prov, f)
			continue
		}
		from := make([]string, len(entries))
		for i, e := range entries {
			k := entryKey(f, e)
			from[i] = "value"
			for _, c := range all {
				d, _ := docOf(c)
				list, _ := d[f].([]any)
				if slices.ContainsFunc(list, func(x any) bool { return entryKey(f, x) == k }) {
					from[i] = c.ID
					break
				}
			}
		}
		prov[f] = from
	}
}
