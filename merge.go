package contactd

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
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

// MaxMergeSources bounds the sources of one merge.
const MaxMergeSources = 10

// MergeInput is a merge request (POST /v1/contacts/merge).
type MergeInput struct {
	TargetID  string
	SourceIDs []string
	// Fields choose a field's value: a contact of the merge (its id) or
	// a value, as JSON.
	Fields map[string]json.RawMessage
	DryRun bool
	Force  bool
}

// DecodeMerge decodes the body of a merge request. EInvalid.
func DecodeMerge(data []byte) (*MergeInput, error) {
	in := &MergeInput{}
	err := decodeBody(data, func(d *decoder, key string, v json.RawMessage) {
		switch key {
		case "targetId":
			d.str(v, key, &in.TargetID)
		case "sourceIds":
			in.SourceIDs = d.strs(v, key)
		case "fields":
			var raw json.RawMessage
			d.jsonObject(v, key, &raw)
			if raw != nil {
				_ = json.Unmarshal(raw, &in.Fields)
			}
		case "dryRun":
			d.boolean(v, key, &in.DryRun)
		case "force":
			d.boolean(v, key, &in.Force)
		default:
			d.unknownField("", key)
		}
	})
	if err != nil {
		return nil, err
	}
	var fe []FieldError
	if in.TargetID == "" {
		fe = append(fe, FieldError{Location: "targetId", Message: "is required"})
	}
	switch {
	case len(in.SourceIDs) == 0:
		fe = append(fe, FieldError{Location: "sourceIds", Message: "must name at least one contact"})
	case len(in.SourceIDs) > MaxMergeSources:
		fe = append(fe, FieldError{Location: "sourceIds", Message: fmt.Sprintf("must name at most %d contacts (got %d)", MaxMergeSources, len(in.SourceIDs))})
	}
	for i, id := range in.SourceIDs {
		if id == in.TargetID || slices.Index(in.SourceIDs, id) < i {
			fe = append(fe, FieldError{Location: fmt.Sprintf("sourceIds[%d]", i), Message: "names a contact twice", Value: id})
		}
	}
	for _, f := range slices.Sorted(maps.Keys(in.Fields)) {
		if !mergeable(f) {
			fe = append(fe, FieldError{Location: "fields." + f, Message: "is not a field a merge chooses", Value: f})
		}
	}
	if len(fe) > 0 {
		return nil, invalid(fe)
	}
	return in, nil
}

// Fields a merge combines. Scalars take the target's value unless it is
// empty, then the first source's that has one; lists are unioned with
// duplicates collapsed; objects are merged key by key; opt-outs hold if
// any contact has them.
var (
	mergeScalars = []string{"kind", "contactType", "firstName", "middleName", "lastName", "nickName", "suffix", "displayName",
		"company", "department", "jobTitle", "birthday", "anniversary", "locale", "timezone", "profileColor", "notes",
		"accountId", "ownerId", "externalId", "status"}
	mergeLists   = []string{"phones", "emails", "addresses", "handles", "tags"}
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
	Provenance map[string]any `json:"provenance" doc:"Where each field of the survivor came from: a contact id per field, and for phones, emails, addresses, handles and tags a contact id per entry, in order; properties and metadata a contact id per key."`
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
					m["primary"] = false
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

// MergeContacts merges sources into target (see SPEC and docs): the
// survivor keeps its id; the sources are soft-deleted with mergedInto.
// A dry run returns the survivor as it would be and writes nothing.
// EInvalid, ENotFound, EConflict, EForbidden.
func (s *Service) MergeContacts(ctx context.Context, p Principal, in *MergeInput) (*MergeResult, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	t, err := s.store.Tenant(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	return retry(ctx, "the merge", func(int) (*MergeResult, bool, error) {
		target, err := s.store.Contact(ctx, p.TenantID, in.TargetID)
		if ErrorCodeOf(err) == ENotFound || (err == nil && !target.Live()) {
			return nil, false, &Error{Code: ENotFound, Message: fmt.Sprintf("contact %q not found", in.TargetID),
				Fields: []FieldError{{Location: "targetId", Message: "no live contact has this id", Value: in.TargetID}}}
		}
		if err != nil {
			return nil, false, err
		}
		sources := make([]*Contact, len(in.SourceIDs))
		for i, id := range in.SourceIDs {
			c, err := s.store.Contact(ctx, p.TenantID, id)
			if ErrorCodeOf(err) == ENotFound || (err == nil && !c.Live()) {
				return nil, false, &Error{Code: ENotFound, Message: fmt.Sprintf("contact %q not found", id),
					Fields: []FieldError{{Location: fmt.Sprintf("sourceIds[%d]", i), Message: "no live contact has this id", Value: id}}}
			}
			if err != nil {
				return nil, false, err
			}
			sources[i] = c
		}
		all := append([]*Contact{target}, sources...)
		if !in.Force {
			for i, c := range sources {
				if !sharesIdentity(c, all) {
					return nil, false, &Error{Code: EInvalid, Message: "contacts that share no identity are merged only with force",
						Fields: []FieldError{{Location: fmt.Sprintf("sourceIds[%d]", i),
							Message: "shares no phone number, email or external id with the other contacts: set force to merge anyway", Value: c.ID}}}
				}
			}
		}
		doc, prov, err := merged(target, sources, in.Fields)
		if err != nil {
			return nil, false, err
		}
		next, err := s.contactFromDoc(doc, target, t.DefaultRegion)
		if err != nil {
			return nil, false, err
		}
		if err := s.checkSystemType(p, target, next); err != nil {
			return nil, false, err
		}
		mergeFlagsOf(next, sources, prov)
		if err := s.mergePhoto(ctx, p, next, sources, prov); err != nil {
			return nil, false, err
		}
		fixListProvenance(next, prov, all)
		res := &MergeResult{DryRun: in.DryRun, Contact: next, SourceIDs: in.SourceIDs, Provenance: prov}
		if in.DryRun {
			return res, false, nil
		}
		now := s.now()
		rec := &Merge{ID: NewID(PrefixMerge), TargetID: target.ID, SourceIDs: in.SourceIDs, Before: target,
			BeforeNameSet: target.DisplayNameSet, SourceVersions: map[string]int64{}, Provenance: prov, Actor: p.Actor, At: now}
		var writes []WriteContactParams
		var joined []string
		for _, src := range sources {
			gone := clone(src)
			gone.DeletedAt, gone.DeletedBy, gone.MergedInto = &now, p.Actor, target.ID
			gone.Version, gone.UpdatedAt, gone.UpdatedBy = src.Version+1, now, p.Actor
			ch := s.change(p, "merged", src, gone)
			writes = append(writes, WriteContactParams{TenantID: p.TenantID, Contact: gone, PrevVersion: src.Version, Change: ch, Terms: SearchTerms(gone)})
			rec.SourceVersions[src.ID] = gone.Version
			segs, err := s.store.SegmentsOfContact(ctx, p.TenantID, src.ID)
			if err != nil {
				return nil, false, err
			}
			for _, sg := range segs {
				if !slices.Contains(joined, sg.ID) {
					joined = append(joined, sg.ID)
				}
			}
		}
		own, err := s.store.SegmentsOfContact(ctx, p.TenantID, target.ID)
		if err != nil {
			return nil, false, err
		}
		joined = slices.DeleteFunc(joined, func(id string) bool {
			return slices.ContainsFunc(own, func(sg *Segment) bool { return sg.ID == id })
		})
		rec.Segments = joined
		next.Version, next.UpdatedAt, next.UpdatedBy = target.Version+1, now, p.Actor
		ch := s.change(p, "merged", target, next)
		ch.Version = next.Version
		ch.Fields = withSources(ch.Fields, nil, in.SourceIDs)
		rec.After = next
		writes = append(writes, WriteContactParams{TenantID: p.TenantID, Contact: next, PrevVersion: target.Version, Change: ch, Terms: SearchTerms(next)})
		retryIt, err := s.writeAll(ctx, p, writes, &MergeWrite{Merge: rec, Join: joined}, next)
		if retryIt || err != nil {
			return nil, retryIt, err
		}
		res.MergeID = rec.ID
		return res, false, nil
	})
}

// withSources adds to a change's fields the sources a merge took in
// (mergedFrom: old nil, new the ids) or an unmerge gave back (old the
// ids, new nil).
func withSources(fields map[string]FieldChange, old, new []string) map[string]FieldChange {
	if fields == nil {
		fields = map[string]FieldChange{}
	}
	enc := func(ids []string) json.RawMessage {
		if ids == nil {
			return json.RawMessage("null")
		}
		b, _ := json.Marshal(ids)
		return b
	}
	fields["mergedFrom"] = FieldChange{Old: enc(old), New: enc(new)}
	return fields
}

// writeAll writes a merge's or unmerge's contacts, all or nothing, and
// reports a write that lost a race (to be made again from a new read).
func (s *Service) writeAll(ctx context.Context, p Principal, writes []WriteContactParams, mw *MergeWrite, survivor *Contact) (bool, error) {
	cs := make([]*Contact, len(writes))
	for i, w := range writes {
		cs[i] = w.Contact
	}
	refs, err := s.contactRefs(ctx, p, cs...)
	if err != nil {
		return false, err
	}
	errs, err := s.store.WriteContacts(ctx, WriteContactsParams{TenantID: p.TenantID, Writes: writes, Refs: refs, Atomic: true, Merge: mw})
	if stale(err) {
		return true, nil
	}
	if err != nil {
		return false, contactWriteError(err, survivor)
	}
	for i, e := range errs {
		switch {
		case e == nil:
		case ErrorCodeOf(e) == EPreconditionFailed:
			return true, nil // a contact changed meanwhile: read them again
		default:
			return false, contactWriteError(e, writes[i].Contact)
		}
	}
	return false, nil
}

// contactFromDoc builds a contact from a writable document, as a PUT of it
// over prev would.
func (s *Service) contactFromDoc(doc map[string]any, prev *Contact, region string) (*Contact, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	in, err := DecodeContactInput(b)
	if err != nil {
		return nil, err
	}
	return buildContact(in, prev, region)
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

// mergePhoto gives the survivor the first source's photo when it has none.
func (s *Service) mergePhoto(ctx context.Context, p Principal, next *Contact, sources []*Contact, prov map[string]any) error {
	if next.Photo != nil {
		return nil
	}
	for _, src := range sources {
		if src.Photo == nil {
			continue
		}
		d, err := s.store.Photo(ctx, p.TenantID, src.ID)
		if ErrorCodeOf(err) == ENotFound {
			continue
		}
		if err != nil {
			return err
		}
		next.Photo, next.PhotoWrite = describePhoto(d), d
		prov["photo"] = src.ID
		return nil
	}
	return nil
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

// UnmergeContact undoes the latest merge into a contact: the sources come
// back as they were, and the survivor gives back what came only from them.
// Without force, the survivor must not have changed since the merge; with
// force, its later edits stay where they do not conflict (a field the
// merge took from a source and that was edited since keeps the edit).
// EConflict, ENotFound, EForbidden.
func (s *Service) UnmergeContact(ctx context.Context, p Principal, id string, force bool) (*Contact, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	t, err := s.store.Tenant(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	return retry(ctx, "the unmerge", func(int) (*Contact, bool, error) {
		cur, err := s.resolve(ctx, p, Selector{ID: id})
		if err == nil && !cur.Live() {
			err = notFound(Selector{ID: id})
		}
		if err != nil {
			return nil, false, err
		}
		rec, err := s.store.LastMerge(ctx, p.TenantID, cur.ID)
		if ErrorCodeOf(err) == ENotFound {
			return nil, false, Errorf(EConflict, "contact %q has no merge to undo", cur.ID)
		}
		if err != nil {
			return nil, false, err
		}
		if cur.Version != rec.After.Version && !force {
			return nil, false, Errorf(EConflict, "contact %q was changed after the merge (version %d, the merge wrote %d): undo with force to keep the later changes",
				cur.ID, cur.Version, rec.After.Version)
		}
		now := s.now()
		var writes []WriteContactParams
		restored, err := s.unmerged(cur, rec, t.DefaultRegion)
		if err != nil {
			return nil, false, err
		}
		restored.Version, restored.UpdatedAt, restored.UpdatedBy = cur.Version+1, now, p.Actor
		ch := s.change(p, "unmerged", cur, restored)
		ch.Fields = withSources(ch.Fields, rec.SourceIDs, nil)
		writes = append(writes, WriteContactParams{TenantID: p.TenantID, Contact: restored, PrevVersion: cur.Version, Change: ch, Terms: SearchTerms(restored)})
		for _, sid := range rec.SourceIDs {
			src, err := s.store.Contact(ctx, p.TenantID, sid)
			if ErrorCodeOf(err) == ENotFound {
				return nil, false, Errorf(EConflict, "contact %q, merged in, was erased since: the merge cannot be undone", sid)
			}
			if err != nil {
				return nil, false, err
			}
			if src.Live() || src.MergedInto != cur.ID {
				return nil, false, Errorf(EConflict, "contact %q, merged in, was restored or changed since: the merge cannot be undone", sid)
			}
			back := clone(src)
			back.DeletedAt, back.DeletedBy, back.MergedInto = nil, "", ""
			back.Version, back.UpdatedAt, back.UpdatedBy = src.Version+1, now, p.Actor
			writes = append(writes, WriteContactParams{TenantID: p.TenantID, Contact: back, PrevVersion: src.Version,
				Change: s.change(p, "unmerged", src, back), Terms: SearchTerms(back)})
		}
		rec.UndoneAt = &now
		retryIt, err := s.writeAll(ctx, p, writes, &MergeWrite{Merge: rec, Leave: rec.Segments}, restored)
		if retryIt || err != nil {
			return nil, retryIt, err
		}
		return restored, false, nil
	})
}

// unmerged returns the survivor cur without what the merge rec brought:
// the contact as it was before when cur is still the merge's version;
// else cur with the list entries that came from sources taken out, and
// each field the merge took from a source put back unless edited since.
func (s *Service) unmerged(cur *Contact, rec *Merge, region string) (*Contact, error) {
	// A photo the merge took from a source goes, unless replaced since.
	photoBack := func(c *Contact) {
		c.PhotoWrite = nil
		if id, _ := rec.Provenance["photo"].(string); slices.Contains(rec.SourceIDs, id) && cur.Photo != nil &&
			rec.After.Photo != nil && cur.Photo.ETag == rec.After.Photo.ETag {
			c.Photo, c.PhotoWrite = nil, &PhotoData{}
		}
	}
	if cur.Version == rec.After.Version {
		c := clone(rec.Before)
		c.DisplayNameSet = rec.BeforeNameSet
		photoBack(c)
		return c, nil
	}
	doc, err := writableDoc(cur)
	if err != nil {
		return nil, err
	}
	before, err := writableDoc(rec.Before)
	if err != nil {
		return nil, err
	}
	after, err := writableDoc(rec.After)
	if err != nil {
		return nil, err
	}
	fromSource := func(v any) bool { id, _ := v.(string); return slices.Contains(rec.SourceIDs, id) }
	idsOf := func(v any) []any {
		switch x := v.(type) {
		case []any:
			return x
		case []string:
			out := make([]any, len(x))
			for i, s := range x {
				out[i] = s
			}
			return out
		}
		return nil
	}
	for _, f := range append(slices.Clone(mergeScalars), mergeFlags...) {
		if fromSource(rec.Provenance[f]) && jsonEqual(doc[f], after[f]) {
			if v, ok := before[f]; ok {
				doc[f] = v
			} else {
				delete(doc, f)
			}
		}
	}
	for _, f := range mergeLists {
		from := idsOf(rec.Provenance[f])
		afterList, _ := after[f].([]any)
		gone := map[string]bool{}
		for i, e := range afterList {
			if i < len(from) && fromSource(from[i]) {
				gone[entryKey(f, e)] = true
			}
		}
		list, _ := doc[f].([]any)
		doc[f] = slices.DeleteFunc(slices.Clone(list), func(e any) bool { return gone[entryKey(f, e)] })
	}
	for _, f := range mergeObjects {
		obj, _ := doc[f].(map[string]any)
		afterObj, _ := after[f].(map[string]any)
		for k, src := range objectProvenance(rec.Provenance[f]) {
			if fromSource(src) && jsonEqual(obj[k], afterObj[k]) {
				delete(obj, k)
			}
		}
	}
	c, err := s.contactFromDoc(doc, cur, region)
	if err == nil {
		photoBack(c)
		if c.PhotoWrite == nil {
			c.Photo = cur.Photo
		}
	}
	return c, err
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// objectProvenance reads the provenance of an object field, as made or as
// read back from a stored merge.
func objectProvenance(v any) map[string]any {
	switch x := v.(type) {
	case map[string]any:
		return x
	case map[string]string:
		out := make(map[string]any, len(x))
		for k, s := range x {
			out[k] = s
		}
		return out
	}
	return nil
}
