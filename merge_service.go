package contactd

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
)

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
		ch.Fields = withMerge(ch.Fields, nil, &mergeNote{MergeID: rec.ID, SourceIDs: in.SourceIDs, Provenance: prov})
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

// mergeNote is what the survivor's history says of a merge: which, the
// sources, and where each field came from.
type mergeNote struct {
	MergeID    string         `json:"mergeId"`
	SourceIDs  []string       `json:"sourceIds"`
	Provenance map[string]any `json:"provenance,omitempty"`
}

// withMerge adds to a change's fields the merge the survivor took in
// (mergedFrom: old null, new the merge) or gave back (old the merge, new
// null).
func withMerge(fields map[string]FieldChange, old, new *mergeNote) map[string]FieldChange {
	if fields == nil {
		fields = map[string]FieldChange{}
	}
	enc := func(n *mergeNote) json.RawMessage {
		if n == nil {
			return json.RawMessage("null")
		}
		b, _ := json.Marshal(n)
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
		ch.Fields = withMerge(ch.Fields, &mergeNote{MergeID: rec.ID, SourceIDs: rec.SourceIDs}, nil)
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
