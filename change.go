package contactd

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"time"
)

// Change is one entry of a tenant's change log: one write to one contact.
type Change struct {
	// Seq orders a tenant's changes totally; it is assigned by the store.
	Seq       int64                  `json:"seq"`
	TenantID  string                 `json:"-"`
	Type      string                 `json:"type"`
	ContactID string                 `json:"contactId"`
	Version   int64                  `json:"version"`
	Actor     string                 `json:"actor"`
	At        time.Time              `json:"at"`
	Fields    map[string]FieldChange `json:"fields,omitempty"`
}

// FieldChange is the old and new value of one top-level contact field.
type FieldChange struct {
	Old json.RawMessage `json:"old"`
	New json.RawMessage `json:"new"`
}

// MarshalJSON writes the change with its timestamp in TimeFormat.
func (ch Change) MarshalJSON() ([]byte, error) {
	type plain Change
	return json.Marshal(struct {
		plain
		At jsonTime `json:"at"`
	}{plain(ch), jsonTime(ch.At)})
}

// FieldsJSON returns the change's fields as JSON, nil when it has none
// (as a store keeps them).
func (ch *Change) FieldsJSON() ([]byte, error) {
	if len(ch.Fields) == 0 {
		return nil, nil
	}
	return json.Marshal(ch.Fields)
}

// ChangeStore is the part of the Store that reads the change log (writes
// append to it in their own transactions).
type ChangeStore interface {
	// Changes returns up to p.Limit changes of a tenant with Seq > p.After,
	// in order; with a non-empty p.ContactID, only that contact's changes.
	Changes(ctx context.Context, p ChangesParams) ([]Change, error)
	// ChangeHorizon returns the bounds of a tenant's change log. ENotFound.
	ChangeHorizon(ctx context.Context, tenantID string) (ChangeHorizon, error)
	// PruneChanges removes a tenant's oldest changes, in order, up to max
	// of them, stopping at the first made at or after before, and at the
	// first an enabled webhook subscription has yet to deliver; it records
	// how far it went (ChangeHorizon.Pruned) in the same short write, and
	// returns how many it removed.
	PruneChanges(ctx context.Context, tenantID string, before time.Time, max int) (int, error)
	// ChangeSignal returns a channel that is closed when the tenant's
	// change log next grows, by a write on this node or on another sharing
	// the database (or spuriously, or when the store closes), and a
	// function to call when the caller stops waiting. To miss nothing, take
	// the signal before reading the log, and read it again once woken.
	ChangeSignal(tenantID string) (<-chan struct{}, func())
}

// ChangeHorizon bounds a tenant's change log: Last is the number of its
// newest change (0 before the first), Pruned the number through which its
// oldest changes have been removed by retention (0 when none has).
type ChangeHorizon struct {
	Pruned, Last int64
}

// ChangesParams is the input of ChangeStore.Changes.
type ChangesParams struct {
	TenantID  string
	ContactID string
	After     int64
	Limit     int
}

// change describes the write from before to after as a change-log entry.
// A creation (before nil) is logged by reference: its fields are the
// contact's document at that version, which the log does not copy (the
// copy was a fifth of the database and a tenth of an import's work);
// reading the log fills them in (creationFields).
func (s *Service) change(p Principal, typ string, before, after *Contact) *Change {
	ch := &Change{TenantID: p.TenantID, Type: typ, Actor: p.Actor, At: s.now()}
	stampEntries(before, after, ch.At)
	if before != nil {
		ch.Fields = diff(before, after)
	}
	if after != nil {
		ch.ContactID, ch.Version = after.ID, after.Version
	} else if before != nil {
		ch.ContactID, ch.Version = before.ID, before.Version
	}
	return ch
}

// stampEntries sets the createdAt of the entries after has and before
// lacks (by id): the entries this change creates. An entry before had keeps
// its time, or none when it dates from before entries had one.
func stampEntries(before, after *Contact, at time.Time) {
	if after == nil {
		return
	}
	had := map[string]bool{}
	if before != nil {
		for _, e := range before.Phones {
			had[e.ID] = true
		}
		for _, e := range before.Emails {
			had[e.ID] = true
		}
		for _, e := range before.Addresses {
			had[e.ID] = true
		}
		for _, e := range before.Extensions {
			had[e.ID] = true
		}
		for _, e := range before.Links {
			had[e.ID] = true
		}
	}
	stamp := func(id string, t **Time) {
		if *t == nil && !had[id] {
			at := Time(at)
			*t = &at
		}
	}
	for i := range after.Phones {
		stamp(after.Phones[i].ID, &after.Phones[i].CreatedAt)
	}
	for i := range after.Emails {
		stamp(after.Emails[i].ID, &after.Emails[i].CreatedAt)
	}
	for i := range after.Addresses {
		stamp(after.Addresses[i].ID, &after.Addresses[i].CreatedAt)
	}
	for i := range after.Extensions {
		stamp(after.Extensions[i].ID, &after.Extensions[i].CreatedAt)
	}
	for i := range after.Links {
		stamp(after.Links[i].ID, &after.Links[i].CreatedAt)
	}
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

// creationFields fills in the fields of the "created" changes among chs
// that the log keeps by reference (Fields nil): the contact as it is now,
// with the fields of its later changes set back to their old values, last
// change first, is the contact as it was created. A contact never changed
// since (the common case after an import) costs one read. A write between
// the two reads does no harm: undoing a change the contact read does not
// have yet sets its fields to the values it has.
func (s *Service) creationFields(ctx context.Context, tenantID string, chs []Change) error {
	null := json.RawMessage("null")
	for i := range chs {
		ch := &chs[i]
		if ch.Type != "created" || ch.Fields != nil {
			continue
		}
		c, err := s.store.Contact(ctx, tenantID, ch.ContactID)
		if ErrorCodeOf(err) == ENotFound {
			continue // erased meanwhile, history and all
		}
		if err != nil {
			return err
		}
		m := fieldsOf(c)
		if c.Version > ch.Version {
			later, err := s.laterChanges(ctx, tenantID, ch)
			if err != nil {
				return err
			}
			for _, l := range slices.Backward(later) {
				for k, f := range l.Fields {
					if bytes.Equal(f.Old, null) {
						delete(m, k)
					} else {
						m[k] = f.Old
					}
				}
			}
		}
		ch.Fields = map[string]FieldChange{}
		for k, v := range m {
			if !unaudited[k] && !bytes.Equal(v, null) {
				ch.Fields[k] = FieldChange{Old: null, New: v}
			}
		}
	}
	return nil
}

// laterChangesPage is how many changes laterChanges reads at a time.
var laterChangesPage = 1000

// laterChanges returns every change of ch's contact after ch, in order.
func (s *Service) laterChanges(ctx context.Context, tenantID string, ch *Change) ([]Change, error) {
	var all []Change
	for after := ch.Seq; ; {
		page, err := s.store.Changes(ctx, ChangesParams{TenantID: tenantID, ContactID: ch.ContactID, After: after, Limit: laterChangesPage})
		if err != nil || len(page) < laterChangesPage {
			return append(all, page...), err
		}
		all = append(all, page...)
		after = page[len(page)-1].Seq
	}
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
