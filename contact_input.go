package contactd

import (
	"bytes"
	"encoding/json"
	"strings"
)

// ContactInput is the writable part of a contact as a client sends it: the
// body of a create, the result of applying a merge patch, or an imported row.
type ContactInput struct {
	Kind, ContactType                                 string
	FirstName, MiddleName, LastName, NickName, Suffix string
	DisplayName                                       string
	Company, Department, JobTitle                     string
	Birthday, Anniversary, Locale, Timezone           string
	ProfileColor                                      string
	Notes                                             string
	Phones                                            []Phone
	Emails                                            []Email
	Addresses                                         []Address
	Handles                                           []Handle
	Links                                             []Link
	// The phone-system directory (directory.go).
	Extensions                                  []Extension
	Site, PBX                                   *DirectoryRef
	Location                                    string
	Subscription                                *Subscription
	DisplayWhenNoExtension, HideInAutoAttendant bool
	Tags                                        []string
	AccountID, OwnerID, ExternalID, Status      string
	Properties, Metadata                        json.RawMessage
	DoNotCall, EmailOptOut, SMSOptOut, Unknown  bool
	Name, Email, Phone                          string // conveniences
	// NamesGiven says that the document had firstName or lastName (even
	// empty): name then does not split into them.
	NamesGiven bool
	ReadOnly   map[string]json.RawMessage
	// Photo is an image read from a file (a vCard's PHOTO): nil leaves
	// the contact's photo as it is, Data nil removes it. The API sets
	// photos at /v1/contacts/{id}/photo instead.
	Photo *PhotoData
}

// DecodeContactInput decodes a contact document strictly: malformed JSON, a
// member of the wrong type and an unknown member are each reported with
// their location. Read-only members are collected in ReadOnly, not applied.
func DecodeContactInput(data []byte) (*ContactInput, error) {
	if err := CheckJSON(data); err != nil {
		return nil, err
	}
	var d decoder
	in := d.contactInput(data)
	if len(d.errs) > 0 {
		return nil, invalid(d.errs)
	}
	return in, nil
}

func (d *decoder) contactInput(data []byte) *ContactInput {
	in := &ContactInput{}
	present := map[string]bool{}
	ok := d.record(data, "", fields{
		present: present,
		strs: map[string]*string{
			"kind": &in.Kind, "contactType": &in.ContactType, "firstName": &in.FirstName,
			"middleName": &in.MiddleName, "lastName": &in.LastName, "nickName": &in.NickName,
			"suffix": &in.Suffix, "displayName": &in.DisplayName, "company": &in.Company,
			"department": &in.Department, "jobTitle": &in.JobTitle, "birthday": &in.Birthday, "anniversary": &in.Anniversary,
			"locale": &in.Locale, "timezone": &in.Timezone, "profileColor": &in.ProfileColor,
			"accountId": &in.AccountID, "ownerId": &in.OwnerID, "externalId": &in.ExternalID,
			"status": &in.Status, "notes": &in.Notes, "name": &in.Name, "email": &in.Email, "phone": &in.Phone,
			"location": &in.Location,
		},
		bools: map[string]*bool{
			"doNotCall": &in.DoNotCall, "emailOptOut": &in.EmailOptOut,
			"smsOptOut": &in.SMSOptOut, "unknown": &in.Unknown,
			"displayWhenNoExtension": &in.DisplayWhenNoExtension, "hideInAutoAttendant": &in.HideInAutoAttendant,
		},
		lists: map[string]func(json.RawMessage, string){
			"phones":    func(e json.RawMessage, at string) { in.Phones = append(in.Phones, d.phone(e, at)) },
			"emails":    func(e json.RawMessage, at string) { in.Emails = append(in.Emails, d.email(e, at)) },
			"addresses": func(e json.RawMessage, at string) { in.Addresses = append(in.Addresses, d.address(e, at)) },
			"handles":   func(e json.RawMessage, at string) { in.Handles = append(in.Handles, d.handle(e, at)) },
			"links":     func(e json.RawMessage, at string) { in.Links = append(in.Links, d.link(e, at)) },
			"extensions": func(e json.RawMessage, at string) {
				in.Extensions = append(in.Extensions, d.extension(e, at))
			},
			"tags": func(e json.RawMessage, at string) {
				var t string
				d.str(e, at, &t)
				in.Tags = append(in.Tags, t)
			},
		},
		other: func(k string, raw json.RawMessage) bool {
			switch k {
			case "properties":
				d.jsonObject(raw, k, &in.Properties)
			case "metadata":
				d.jsonObject(raw, k, &in.Metadata)
			case "site", "pbx":
				r := d.directoryRef(raw, k)
				if k == "site" {
					in.Site = r
				} else {
					in.PBX = r
				}
			case "subscription":
				in.Subscription = d.subscription(raw, k)
			default:
				return d.readOnlyIn(&in.ReadOnly, readOnlyField)(k, raw)
			}
			return true
		},
	})
	if !ok {
		return nil
	}
	in.NamesGiven = present["firstName"] || present["lastName"]
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
	d.record(raw, loc, fields{
		strs:  map[string]*string{"id": &p.ID, "number": &p.Number, "extension": &p.Extension, "type": &p.Type, "source": &p.Source},
		bools: map[string]*bool{"primary": &p.Primary, "verified": &p.Verified},
		// e164, region and createdAt are derived; a client may send back
		// what it read.
		other: func(k string, _ json.RawMessage) bool { return k == "e164" || k == "region" || k == "createdAt" },
	})
	return p
}

func (d *decoder) email(raw json.RawMessage, loc string) Email {
	var e Email
	d.record(raw, loc, fields{
		strs:  map[string]*string{"id": &e.ID, "address": &e.Address, "type": &e.Type},
		bools: map[string]*bool{"primary": &e.Primary, "verified": &e.Verified},
		other: isCreatedAt,
	})
	return e
}

func (d *decoder) address(raw json.RawMessage, loc string) Address {
	var a Address
	d.record(raw, loc, fields{
		strs: map[string]*string{
			"id": &a.ID, "type": &a.Type, "street": &a.Street, "streetNumber": &a.StreetNumber,
			"apartment": &a.Apartment, "city": &a.City, "county": &a.County, "state": &a.State,
			"postalCode": &a.PostalCode, "country": &a.Country, "timezone": &a.Timezone, "notes": &a.Notes,
		},
		bools: map[string]*bool{"primary": &a.Primary},
		other: isCreatedAt,
	})
	return a
}

// isCreatedAt accepts an entry's createdAt, which the server sets, when a
// client sends back what it read.
func isCreatedAt(k string, _ json.RawMessage) bool { return k == "createdAt" }

func (d *decoder) link(raw json.RawMessage, loc string) Link {
	var l Link
	d.record(raw, loc, fields{
		strs:  map[string]*string{"id": &l.ID, "type": &l.Type, "externalId": &l.ExternalID, "url": &l.URL, "title": &l.Title},
		other: isCreatedAt,
	})
	return l
}

func (d *decoder) extension(raw json.RawMessage, loc string) Extension {
	var e Extension
	d.record(raw, loc, fields{
		strs: map[string]*string{"id": &e.ID, "extension": &e.Extension, "fqExtension": &e.FQExtension, "type": &e.Type},
		bools: map[string]*bool{
			"displayInDirectory": &e.DisplayInDirectory, "hideInAutoAttendant": &e.HideInAutoAttendant,
		},
		other: func(k string, raw json.RawMessage) bool {
			switch k {
			case "site":
				e.Site = d.directoryRef(raw, join(loc, k))
			case "pbx":
				e.PBX = d.directoryRef(raw, join(loc, k))
			case "subscription":
				e.Subscription = d.subscription(raw, join(loc, k))
			default:
				return k == "createdAt"
			}
			return true
		},
	})
	return e
}

// directoryRef decodes a site or a PBX; null is none.
func (d *decoder) directoryRef(raw json.RawMessage, loc string) *DirectoryRef {
	if isNull(raw) {
		return nil
	}
	var r DirectoryRef
	if !d.record(raw, loc, fields{strs: map[string]*string{"id": &r.ID, "name": &r.Name}}) {
		return nil
	}
	return &r
}

// subscription decodes a subscription; null is none.
func (d *decoder) subscription(raw json.RawMessage, loc string) *Subscription {
	if isNull(raw) {
		return nil
	}
	var s Subscription
	if !d.record(raw, loc, fields{strs: map[string]*string{"id": &s.ID, "name": &s.Name, "type": &s.Type, "userId": &s.UserID}}) {
		return nil
	}
	return &s
}

func (d *decoder) handle(raw json.RawMessage, loc string) Handle {
	var h Handle
	d.record(raw, loc, fields{strs: map[string]*string{"id": &h.ID, "type": &h.Type, "value": &h.Value}})
	return h
}

// DecodeContactSearch decodes the body of a contact search: the parameters
// of a contact list (those of GET /v1/contacts), the filter as a JSON
// object.
func DecodeContactSearch(data []byte) (*ContactListRequest, error) {
	r := &ContactListRequest{ListParams: ListParams{In: "body"}}
	err := decodeBody(data, func(d *decoder, k string, raw json.RawMessage) {
		switch k {
		case "q":
			d.str(raw, k, &r.Q)
		case "filter":
			if t := bytes.TrimSpace(raw); !isNull(raw) && t[0] != '{' {
				d.fail(k, "must be a JSON object")
			} else if !isNull(raw) {
				r.Filter = raw
			}
		case "sort":
			d.str(raw, k, &r.Sort)
		case "cursor":
			d.str(raw, k, &r.Cursor)
		case "limit":
			d.integer(raw, k, &r.Limit)
		case "page":
			d.integer(raw, k, &r.Page)
		case "count":
			count := true
			if strings.TrimSpace(string(raw)) == `"exact"` {
				r.ExactCount = true
			} else if !isNull(raw) {
				d.boolean(raw, k, &count)
			}
			r.NoCount = !count
		case "includeDeleted":
			d.boolean(raw, k, &r.IncludeDeleted)
		case "fields":
			r.Fields = d.strs(raw, k)
		case "expand":
			r.Expand = d.strs(raw, k)
		default:
			d.unknownField("", k)
		}
	})
	return r, err
}

// DecodeBlock decodes the optional body of a block: the reason.
func DecodeBlock(data []byte) (reason string, err error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return "", nil
	}
	err = decodeBody(data, func(d *decoder, k string, raw json.RawMessage) {
		if k != "reason" {
			d.unknownField("", k)
			return
		}
		d.str(raw, k, &reason)
	})
	return reason, err
}
