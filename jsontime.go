package contactd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// TimeFormat is how timestamps are written in JSON: RFC 3339 in UTC with
// exactly millisecond precision.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// jsonTime is a time that marshals in TimeFormat.
type jsonTime time.Time

func (t jsonTime) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Time(t).UTC().Format(TimeFormat) + `"`), nil
}

func optTime(t *time.Time) *jsonTime {
	if t == nil {
		return nil
	}
	j := jsonTime(*t)
	return &j
}

// MarshalJSON writes the contact's API form, with timestamps in TimeFormat.
func (c Contact) MarshalJSON() ([]byte, error) {
	type plain Contact
	return json.Marshal(struct {
		plain
		BlockedAt *jsonTime `json:"blockedAt,omitempty"`
		CreatedAt jsonTime  `json:"createdAt"`
		UpdatedAt jsonTime  `json:"updatedAt"`
		DeletedAt *jsonTime `json:"deletedAt,omitempty"`
	}{plain(c), optTime(c.BlockedAt), jsonTime(c.CreatedAt), jsonTime(c.UpdatedAt), optTime(c.DeletedAt)})
}

// MarshalJSON writes the change with its timestamp in TimeFormat.
func (ch Change) MarshalJSON() ([]byte, error) {
	type plain Change
	return json.Marshal(struct {
		plain
		At jsonTime `json:"at"`
	}{plain(ch), jsonTime(ch.At)})
}

// MarshalJSON writes the tenant with its timestamp in TimeFormat.
func (t Tenant) MarshalJSON() ([]byte, error) {
	type plain Tenant
	return json.Marshal(struct {
		plain
		CreatedAt jsonTime `json:"createdAt"`
	}{plain(t), jsonTime(t.CreatedAt)})
}

// MarshalJSON writes the contact with the ids of its matched entries.
func (it LookupItem) MarshalJSON() ([]byte, error) {
	return it.appendJSON(nil)
}

func (it LookupItem) appendJSON(out []byte) ([]byte, error) {
	doc := it.Doc
	if doc == nil {
		var err error
		if doc, err = json.Marshal(it.Contact); err != nil {
			return nil, err
		}
	}
	ids := it.MatchedEntries
	if ids == nil {
		ids = []string{}
	}
	m, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	doc = bytes.TrimRight(doc, " \t\r\n")
	if len(doc) < 2 || doc[len(doc)-1] != '}' {
		return nil, fmt.Errorf("contactd: a contact document is not a JSON object")
	}
	out = append(out, doc[:len(doc)-1]...)
	if len(doc) > 2 {
		out = append(out, ',')
	}
	out = append(out, `"matchedEntries":`...)
	out = append(out, m...)
	return append(out, '}'), nil
}

// MarshalJSON writes the token with its timestamps in TimeFormat.
func (t TokenInfo) MarshalJSON() ([]byte, error) {
	type plain TokenInfo
	return json.Marshal(struct {
		plain
		CreatedAt jsonTime  `json:"createdAt"`
		RevokedAt *jsonTime `json:"revokedAt,omitempty"`
	}{plain(t), jsonTime(t.CreatedAt), optTime(t.RevokedAt)})
}
