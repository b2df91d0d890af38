package contactd

import (
	"encoding/json"
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
	in := &AccountInput{}
	d.record(data, "", fields{
		strs: map[string]*string{"name": &in.Name, "domain": &in.Domain, "externalId": &in.ExternalID},
		lists: map[string]func(json.RawMessage, string){
			"phones":    func(e json.RawMessage, at string) { in.Phones = append(in.Phones, d.phone(e, at)) },
			"addresses": func(e json.RawMessage, at string) { in.Addresses = append(in.Addresses, d.address(e, at)) },
		},
		other: func(k string, raw json.RawMessage) bool {
			if k == "properties" {
				d.jsonObject(raw, k, &in.Properties)
				return true
			}
			return d.readOnlyIn(&in.ReadOnly, accountReadOnly)(k, raw)
		},
	})
	if err := d.err(); err != nil {
		return nil, err
	}
	return in, nil
}
