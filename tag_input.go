package contactd

import "encoding/json"

// TagInput is a tag as a client writes it. A nil field is absent; on an
// update, an empty Color or Description clears it.
type TagInput struct {
	Name, Color, Description *string
	// ReadOnly holds the read-only fields sent (id, createdAt, updatedAt):
	// ignored on create, and on update when they equal the current values.
	ReadOnly map[string]json.RawMessage
}

// DecodeTagInput decodes the body of a tag create, or with patch of a
// JSON merge patch, in which null clears the color and the description.
func DecodeTagInput(data []byte, patch bool) (*TagInput, error) {
	in := &TagInput{}
	err := decodeBody(data, func(d *decoder, k string, raw json.RawMessage) {
		switch k {
		case "name":
			in.Name = d.optStr(raw, k, false)
		case "color":
			in.Color = d.optStr(raw, k, patch)
		case "description":
			in.Description = d.optStr(raw, k, patch)
		case "id", "createdAt", "updatedAt":
			d.readOnly(&in.ReadOnly, k, raw)
		default:
			d.unknownField("", k)
		}
	})
	return in, err
}
