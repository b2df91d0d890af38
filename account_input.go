package contactd

import (
	"encoding/json"
	"fmt"
)

// AccountInput is the writable part of an account as a client sends it: the
// body of a create, or the result of applying a merge patch.
type AccountInput struct {
	Name, Domain, ExternalID string
	Phones                   []Phone
	Addresses                []Address
	Properties               json.RawMessage
	// ReadOnly holds the read-only members sent, to be compared with the
	// current values (a client may send back what it read).
	ReadOnly map[string]json.RawMessage
}

// DecodeAccountInput decodes an account document strictly: malformed JSON,
// a member of the wrong type and an unknown member are each reported with
// their location. Read-only members are collected in ReadOnly.
func DecodeAccountInput(data []byte) (*AccountInput, error) {
	if !json.Valid(data) {
		return nil, invalidField("body", "is not valid JSON")
	}
	var d decoder
	m, keys, ok := d.object(data, "")
	if !ok {
		return nil, invalid(d.errs)
	}
	in := &AccountInput{}
	strs := map[string]*string{"name": &in.Name, "domain": &in.Domain, "externalId": &in.ExternalID}
	for _, k := range keys {
		raw := m[k]
		if p, ok := strs[k]; ok {
			d.str(raw, k, p)
			continue
		}
		switch k {
		case "phones":
			for i, e := range d.array(raw, k) {
				in.Phones = append(in.Phones, d.phone(e, fmt.Sprintf("phones[%d]", i)))
			}
		case "addresses":
			for i, e := range d.array(raw, k) {
				in.Addresses = append(in.Addresses, d.address(e, fmt.Sprintf("addresses[%d]", i)))
			}
		case "properties":
			d.jsonObject(raw, k, &in.Properties)
		default:
			if accountReadOnly[k] {
				if in.ReadOnly == nil {
					in.ReadOnly = map[string]json.RawMessage{}
				}
				in.ReadOnly[k] = raw
				continue
			}
			d.unknownField("", k)
		}
	}
	if len(d.errs) > 0 {
		return nil, invalid(d.errs)
	}
	return in, nil
}
