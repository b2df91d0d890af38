package contactd

import "encoding/json"

// TenantPatch is a JSON merge patch of a tenant's settings; nil fields are
// absent, and null clears a field.
type TenantPatch struct {
	Name, DefaultRegion *string
	UniquePhones        *bool
	ChangeRetentionDays *int
	// RateLimitSet says rateLimit was sent; RateLimit is its value (nil:
	// null, the server's limit).
	RateLimitSet bool
	RateLimit    *int
	// ReadOnly holds the read-only fields sent (id, createdAt), to be
	// compared with the current values.
	ReadOnly map[string]json.RawMessage
}

// DecodeTenantPatch decodes the body of PATCH /v1/tenant.
func DecodeTenantPatch(data []byte) (*TenantPatch, error) {
	tp := &TenantPatch{}
	err := decodeBody(data, func(d *decoder, k string, raw json.RawMessage) {
		switch k {
		case "name":
			tp.Name = d.optStr(raw, k, true)
		case "defaultRegion":
			tp.DefaultRegion = d.optStr(raw, k, true)
		case "uniquePhones":
			var b bool
			d.boolean(raw, k, &b)
			tp.UniquePhones = &b
		case "changeRetentionDays": // null: back to the default
			n := DefaultChangeRetentionDays
			if !isNull(raw) {
				d.integer(raw, k, &n)
			}
			tp.ChangeRetentionDays = &n
		case "rateLimit": // null: back to the server's
			tp.RateLimitSet = true
			if !isNull(raw) {
				var n int
				d.integer(raw, k, &n)
				tp.RateLimit = &n
			}
		case "id", "createdAt":
			d.readOnly(&tp.ReadOnly, k, raw)
		default:
			d.unknownField("", k)
		}
	})
	return tp, err
}
