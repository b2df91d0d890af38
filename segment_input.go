package contactd

import (
	"encoding/json"
	"strings"
)

// SegmentInput is a segment as a client writes it; nil fields are absent.
type SegmentInput struct {
	Name, Description, Kind *string
	// Filter is the filter document of a dynamic segment (nil: absent).
	Filter json.RawMessage
	// ContactIDs are the first members of a static segment, on create
	// (nil: absent).
	ContactIDs []string
	// ReadOnly holds the read-only fields sent (id, memberCount, createdAt,
	// updatedAt): ignored on create, and on update when unchanged.
	ReadOnly map[string]json.RawMessage
}

// DecodeSegmentInput decodes the body of a segment create, or with patch
// of a JSON merge patch, in which null clears the description.
func DecodeSegmentInput(data []byte, patch bool) (*SegmentInput, error) {
	in := &SegmentInput{}
	err := decodeBody(data, func(d *decoder, k string, raw json.RawMessage) {
		switch k {
		case "name":
			in.Name = d.optStr(raw, k, false)
		case "description":
			in.Description = d.optStr(raw, k, patch)
		case "kind":
			in.Kind = d.optStr(raw, k, false)
		case "filter":
			in.Filter = raw
		case "contactIds":
			if patch {
				d.fail(k, "cannot be patched: add and remove members with POST and DELETE /v1/segments/{id}/members")
				return
			}
			in.ContactIDs = d.strs(raw, k)
			if in.ContactIDs == nil {
				in.ContactIDs = []string{}
			}
		case "id", "memberCount", "createdAt", "updatedAt":
			d.readOnly(&in.ReadOnly, k, raw)
		default:
			d.unknownField("", k)
		}
	})
	return in, err
}

// DecodeSegmentMembers decodes the body of a membership change: the
// contact ids to add or remove.
func DecodeSegmentMembers(data []byte) ([]string, error) {
	var ids []string
	seen := false
	err := decodeBody(data, func(d *decoder, k string, raw json.RawMessage) {
		if k != "contactIds" {
			d.unknownField("", k)
			return
		}
		seen = true
		t := strings.TrimSpace(string(raw))
		if !strings.HasPrefix(t, "[") || json.Unmarshal(raw, &ids) != nil {
			d.fail(k, "must be an array of contact ids")
		}
	})
	if err == nil && !seen {
		err = invalidField("contactIds", "is required")
	}
	return ids, err
}
