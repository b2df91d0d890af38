package contactd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
)

// ContactInput is the writable part of a contact as a client sends it: the
// body of a create, the result of applying a merge patch, or an imported row.
type ContactInput struct {
	Kind, ContactType                                 string
	FirstName, MiddleName, LastName, NickName, Suffix string
	DisplayName                                       string
	Company, Department, JobTitle                     string
	Birthday, Locale, Timezone, ProfileColor          string
	Phones                                            []Phone
	Emails                                            []Email
	Addresses                                         []Address
	Handles                                           []Handle
	Tags                                              []string
	AccountID, OwnerID, ExternalID, Status            string
	Properties, Metadata                              json.RawMessage
	DoNotCall, EmailOptOut, SMSOptOut, Unknown        bool
	Name, Email, Phone                                string // conveniences
	ReadOnly                                          map[string]json.RawMessage
}

// decoder decodes untrusted JSON field by field, collecting one FieldError
// per problem with the field's location.
type decoder struct{ errs []FieldError }

func (d *decoder) fail(loc, format string, args ...any) {
	d.errs = append(d.errs, FieldError{Location: loc, Message: fmt.Sprintf(format, args...)})
}

func join(loc, key string) string {
	if loc == "" {
		return key
	}
	return loc + "." + key
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

// object decodes a JSON object, returning its members in key order.
func (d *decoder) object(raw json.RawMessage, loc string) (map[string]json.RawMessage, []string, bool) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		d.fail(locOrBody(loc), "must be a JSON object")
		return nil, nil, false
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return m, keys, true
}

func locOrBody(loc string) string {
	if loc == "" {
		return "body"
	}
	return loc
}

func (d *decoder) str(raw json.RawMessage, loc string, dst *string) {
	if isNull(raw) {
		*dst = ""
		return
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		d.fail(loc, "must be a string")
	}
}

func (d *decoder) boolean(raw json.RawMessage, loc string, dst *bool) {
	if isNull(raw) {
		*dst = false
		return
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		d.fail(loc, "must be a boolean")
	}
}

func (d *decoder) array(raw json.RawMessage, loc string) []json.RawMessage {
	if isNull(raw) {
		return nil
	}
	var a []json.RawMessage
	if err := json.Unmarshal(raw, &a); err != nil {
		d.fail(loc, "must be an array")
		return nil
	}
	return a
}

func (d *decoder) jsonObject(raw json.RawMessage, loc string, dst *json.RawMessage) {
	if isNull(raw) {
		*dst = nil
		return
	}
	var m map[string]any
	if err := unmarshalNumbers(raw, &m); err != nil || m == nil {
		d.fail(loc, "must be a JSON object")
		return
	}
	// The canonical form (sorted keys, numbers as written, Go's escaping)
	// is what is measured, stored and compared, so that the same object
	// sent again, or read back from a store that reorders keys, is equal.
	b, err := json.Marshal(m)
	if err != nil {
		d.fail(loc, "must be a JSON object")
		return
	}
	*dst = b
}

// unmarshalNumbers is json.Unmarshal keeping numbers as json.Number, so
// that custom data survives a decode and encode exactly (no float64
// rounding of large integers or of "1.50").
func unmarshalNumbers(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// unknownField reports the member key of the object at loc as unknown.
func (d *decoder) unknownField(loc, key string) {
	if key == "" {
		// An empty key would make an empty location: name the object.
		d.fail(locOrBody(loc), `unknown field ""`)
		return
	}
	d.fail(join(loc, key), "unknown field")
}

// DecodeContactInput decodes a contact document strictly: malformed JSON, a
// member of the wrong type and an unknown member are each reported with
// their location. Read-only members are collected in ReadOnly, not applied.
func DecodeContactInput(data []byte) (*ContactInput, error) {
	if !json.Valid(data) {
		return nil, invalidField("body", "is not valid JSON")
	}
	var d decoder
	in := d.contactInput(data)
	if len(d.errs) > 0 {
		return nil, invalid(d.errs)
	}
	return in, nil
}

func (d *decoder) contactInput(data []byte) *ContactInput {
	m, keys, ok := d.object(data, "")
	if !ok {
		return nil
	}
	in := &ContactInput{}
	strs := map[string]*string{
		"kind": &in.Kind, "contactType": &in.ContactType, "firstName": &in.FirstName,
		"middleName": &in.MiddleName, "lastName": &in.LastName, "nickName": &in.NickName,
		"suffix": &in.Suffix, "displayName": &in.DisplayName, "company": &in.Company,
		"department": &in.Department, "jobTitle": &in.JobTitle, "birthday": &in.Birthday,
		"locale": &in.Locale, "timezone": &in.Timezone, "profileColor": &in.ProfileColor,
		"accountId": &in.AccountID, "ownerId": &in.OwnerID, "externalId": &in.ExternalID,
		"status": &in.Status, "name": &in.Name, "email": &in.Email, "phone": &in.Phone,
	}
	bools := map[string]*bool{
		"doNotCall": &in.DoNotCall, "emailOptOut": &in.EmailOptOut,
		"smsOptOut": &in.SMSOptOut, "unknown": &in.Unknown,
	}
	for _, k := range keys {
		raw := m[k]
		if p, ok := strs[k]; ok {
			d.str(raw, k, p)
			continue
		}
		if p, ok := bools[k]; ok {
			d.boolean(raw, k, p)
			continue
		}
		switch k {
		case "phones":
			for i, e := range d.array(raw, k) {
				in.Phones = append(in.Phones, d.phone(e, fmt.Sprintf("phones[%d]", i)))
			}
		case "emails":
			for i, e := range d.array(raw, k) {
				in.Emails = append(in.Emails, d.email(e, fmt.Sprintf("emails[%d]", i)))
			}
		case "addresses":
			for i, e := range d.array(raw, k) {
				in.Addresses = append(in.Addresses, d.address(e, fmt.Sprintf("addresses[%d]", i)))
			}
		case "handles":
			for i, e := range d.array(raw, k) {
				in.Handles = append(in.Handles, d.handle(e, fmt.Sprintf("handles[%d]", i)))
			}
		case "tags":
			for i, e := range d.array(raw, k) {
				var t string
				d.str(e, "tags["+strconv.Itoa(i)+"]", &t)
				in.Tags = append(in.Tags, t)
			}
		case "properties":
			d.jsonObject(raw, k, &in.Properties)
		case "metadata":
			d.jsonObject(raw, k, &in.Metadata)
		default:
			if readOnlyField[k] {
				if in.ReadOnly == nil {
					in.ReadOnly = map[string]json.RawMessage{}
				}
				in.ReadOnly[k] = raw
				continue
			}
			d.unknownField("", k)
		}
	}
	return in
}

// DecodePhone decodes one phone entry strictly.
func DecodePhone(data []byte) (Phone, error) { return decodeEntry(data, (*decoder).phone) }

// DecodeEmail decodes one email entry strictly.
func DecodeEmail(data []byte) (Email, error) { return decodeEntry(data, (*decoder).email) }

// DecodeAddress decodes one address entry strictly.
func DecodeAddress(data []byte) (Address, error) { return decodeEntry(data, (*decoder).address) }

func decodeEntry[T any](data []byte, f func(*decoder, json.RawMessage, string) T) (T, error) {
	var zero T
	if !json.Valid(data) {
		return zero, invalidField("body", "is not valid JSON")
	}
	var d decoder
	v := f(&d, data, "")
	if len(d.errs) > 0 {
		return zero, invalid(d.errs)
	}
	return v, nil
}

func (d *decoder) phone(raw json.RawMessage, loc string) Phone {
	var p Phone
	m, keys, ok := d.object(raw, loc)
	if !ok {
		return p
	}
	for _, k := range keys {
		l := join(loc, k)
		switch k {
		case "id":
			d.str(m[k], l, &p.ID)
		case "number":
			d.str(m[k], l, &p.Number)
		case "e164":
			// Derived; a client may send back what it read.
		case "extension":
			d.str(m[k], l, &p.Extension)
		case "type":
			d.str(m[k], l, &p.Type)
		case "primary":
			d.boolean(m[k], l, &p.Primary)
		case "verified":
			d.boolean(m[k], l, &p.Verified)
		default:
			d.unknownField(loc, k)
		}
	}
	return p
}

func (d *decoder) email(raw json.RawMessage, loc string) Email {
	var e Email
	m, keys, ok := d.object(raw, loc)
	if !ok {
		return e
	}
	for _, k := range keys {
		l := join(loc, k)
		switch k {
		case "id":
			d.str(m[k], l, &e.ID)
		case "address":
			d.str(m[k], l, &e.Address)
		case "type":
			d.str(m[k], l, &e.Type)
		case "primary":
			d.boolean(m[k], l, &e.Primary)
		default:
			d.unknownField(loc, k)
		}
	}
	return e
}

func (d *decoder) address(raw json.RawMessage, loc string) Address {
	var a Address
	m, keys, ok := d.object(raw, loc)
	if !ok {
		return a
	}
	strs := map[string]*string{
		"id": &a.ID, "type": &a.Type, "street": &a.Street, "streetNumber": &a.StreetNumber,
		"apartment": &a.Apartment, "city": &a.City, "county": &a.County, "state": &a.State,
		"postalCode": &a.PostalCode, "country": &a.Country, "timezone": &a.Timezone, "notes": &a.Notes,
	}
	for _, k := range keys {
		l := join(loc, k)
		if p, ok := strs[k]; ok {
			d.str(m[k], l, p)
		} else if k == "primary" {
			d.boolean(m[k], l, &a.Primary)
		} else {
			d.unknownField(loc, k)
		}
	}
	return a
}

func (d *decoder) handle(raw json.RawMessage, loc string) Handle {
	var h Handle
	m, keys, ok := d.object(raw, loc)
	if !ok {
		return h
	}
	for _, k := range keys {
		l := join(loc, k)
		switch k {
		case "id":
			d.str(m[k], l, &h.ID)
		case "type":
			d.str(m[k], l, &h.Type)
		case "value":
			d.str(m[k], l, &h.Value)
		default:
			d.unknownField(loc, k)
		}
	}
	return h
}

// mergePatch applies an RFC 7386 JSON merge patch to a JSON object.
func mergePatch(target map[string]any, patch map[string]any) map[string]any {
	if target == nil {
		target = map[string]any{}
	}
	for k, v := range patch {
		if v == nil {
			delete(target, k)
			continue
		}
		if pm, ok := v.(map[string]any); ok {
			tm, _ := target[k].(map[string]any)
			target[k] = mergePatch(tm, pm)
			continue
		}
		target[k] = v
	}
	return target
}
