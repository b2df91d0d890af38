package contactd

import "encoding/json"

// TokenRequest describes a token to create through the API.
type TokenRequest struct {
	Name   string
	Kind   TokenKind
	UserID string
	Scopes []string
}

// DecodeTokenRequest decodes the body of a token create.
func DecodeTokenRequest(data []byte) (*TokenRequest, error) {
	r := &TokenRequest{}
	err := decodeBody(data, func(d *decoder, k string, raw json.RawMessage) {
		switch k {
		case "name":
			d.str(raw, k, &r.Name)
		case "kind":
			var kind string
			d.str(raw, k, &kind)
			r.Kind = TokenKind(kind)
		case "userId":
			d.str(raw, k, &r.UserID)
		case "scopes":
			r.Scopes = d.strs(raw, k)
		default:
			d.unknownField("", k)
		}
	})
	return r, err
}
