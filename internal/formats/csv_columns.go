package formats

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/contactd/contactd"
)

// A column's target: which part of a contact its cells fill. The
// mapping a client gives names targets in this syntax (see ParseTarget).
type target struct {
	kind  string // a contact field (field), phone, email, address, handle, tags, prop, birth, ignore
	field string // field: the ContactInput field; prop: the property key; birth: year, month, day
	typ   string // phone, email, address, handle: the entry's type ("" when a label column gives it)
	part  string // address: street, street2, street3, poBox, city, state, postalCode, country, extended, formatted; group: label, value
	group int    // Google's numbered groups ("Phone 2 - Value"): the group's number, else 0
	// primary marks the column of a primary entry (Outlook's "Primary
	// Phone", Thunderbird's "Primary Email").
	primary bool
}

// fieldTargets are the contact fields a column may fill, by target name.
var fieldTargets = []string{"name", "firstName", "middleName", "lastName", "nickName", "suffix", "displayName",
	"company", "department", "jobTitle", "birthday", "anniversary", "notes", "externalId", "locale", "timezone", "status"}

// ParseTarget reads the target a mapping gives a column: a contact field
// (firstName, company, notes, …), "tags" (labels, split at ",", ";" or
// " ::: "), "phone" or "phone:<type>" (mobile, work, home, …), "email" or
// "email:<type>", "address:<type>.<part>" (street, street2, city, state,
// postalCode, country, poBox), "url" (a website), "properties.<key>", or
// "ignore".
func ParseTarget(s string) (target, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "ignore" || s == "":
		return target{kind: "ignore"}, nil
	case s == "tags":
		return target{kind: "tags"}, nil
	case s == "url":
		return target{kind: "handle", typ: "url"}, nil
	case slices.Contains(fieldTargets, s):
		return target{kind: "field", field: s}, nil
	case strings.HasPrefix(s, "properties."):
		key := strings.TrimPrefix(s, "properties.")
		if key == "" {
			return target{}, fmt.Errorf("names no property")
		}
		return target{kind: "prop", field: key}, nil
	}
	kind, typ, _ := strings.Cut(s, ":")
	switch kind {
	case "phone":
		if typ != "" && !slices.Contains(contactd.PhoneTypes, typ) {
			return target{}, fmt.Errorf("phone type %q is not one of %s", typ, strings.Join(contactd.PhoneTypes, ", "))
		}
		return target{kind: "phone", typ: typ}, nil
	case "email":
		if typ != "" && !slices.Contains(contactd.EmailTypes, typ) {
			return target{}, fmt.Errorf("email type %q is not one of %s", typ, strings.Join(contactd.EmailTypes, ", "))
		}
		return target{kind: "email", typ: typ}, nil
	case "address":
		at, part, ok := strings.Cut(typ, ".")
		if !ok || !slices.Contains(contactd.AddressTypes, at) || !slices.Contains(addressParts, part) {
			return target{}, fmt.Errorf("an address column is address:<type>.<part>, type one of %s, part one of %s",
				strings.Join(contactd.AddressTypes, ", "), strings.Join(addressParts, ", "))
		}
		return target{kind: "address", typ: at, part: part}, nil
	}
	return target{}, fmt.Errorf("is not a target (a contact field, tags, phone[:type], email[:type], address:<type>.<part>, url, properties.<key> or ignore)")
}

var addressParts = []string{"street", "street2", "street3", "poBox", "city", "state", "postalCode", "country", "extended", "formatted"}

// knownColumns maps the column headers of the common exports (Google
// Contacts, old and new; Outlook.com and Outlook desktop; Thunderbird)
// and of hand-made files, folded to lower case, to their targets.
var knownColumns = map[string]string{
	// The column the errors of an import add to its failed rows.
	"contactd error": "ignore",
	"name":           "name", "full name": "name", "display name": "displayName", "file as": "displayName",
	"first name": "firstName", "given name": "firstName", "firstname": "firstName", "first": "firstName", "forename": "firstName",
	"middle name": "middleName", "additional name": "middleName", "middlename": "middleName",
	"last name": "lastName", "family name": "lastName", "surname": "lastName", "lastname": "lastName", "last": "lastName",
	"nickname": "nickName", "nick name": "nickName", "name suffix": "suffix", "suffix": "suffix",
	"name prefix": "properties.namePrefix", "phonetic first name": "properties.phoneticFirstName",
	"phonetic middle name": "properties.phoneticMiddleName", "phonetic last name": "properties.phoneticLastName",
	"photo":   "properties.photo",
	"company": "company", "company name": "company", "organization": "company", "organization name": "company", "organisation": "company",
	"organization 1 - name": "company", "department": "department", "organization department": "department",
	"organization 1 - department": "department", "job title": "jobTitle", "jobtitle": "jobTitle", "organization title": "jobTitle",
	"organization 1 - title": "jobTitle", "position": "jobTitle", "role": "jobTitle",
	"birthday": "birthday", "birth date": "birthday", "date of birth": "birthday", "dob": "birthday",
	"anniversary": "anniversary", "wedding anniversary": "anniversary",
	"notes": "notes", "note": "notes", "comments": "notes",
	"labels": "tags", "group membership": "tags", "categories": "tags", "tags": "tags", "groups": "tags",
	"external id": "externalId", "externalid": "externalId", "crm id": "externalId", "id": "externalId",
	"language": "locale", "locale": "locale", "time zone": "timezone", "timezone": "timezone",
	"e-mail address": "email", "primary email": "email", "primary phone": "phone", "email address": "email", "email": "email", "e-mail": "email", "mail": "email",
	"e-mail 2 address": "email", "e-mail 3 address": "email", "secondary email": "email", "work email": "email:work",
	"home email": "email:personal", "personal email": "email:personal",
	"phone": "phone", "phone number": "phone", "telephone": "phone", "other phone": "phone:other",
	"mobile phone": "phone:mobile", "mobile": "phone:mobile", "mobile number": "phone:mobile", "cell": "phone:mobile",
	"cell phone": "phone:mobile", "home phone": "phone:home", "home phone 2": "phone:home", "business phone": "phone:work",
	"business phone 2": "phone:work", "work phone": "phone:work", "company main phone": "phone:work",
	"assistant's phone": "phone:other", "callback": "phone:other", "car phone": "phone:other", "isdn": "phone:other",
	"radio phone": "phone:other", "tty/tdd phone": "phone:other", "telex": "phone:other",
	"home fax": "phone:home_fax", "business fax": "phone:work_fax", "other fax": "phone:fax", "fax": "phone:fax",
	"fax number": "phone:fax", "pager": "phone:pager", "pager number": "phone:pager",
	"web page": "url", "web page 1": "url", "web page 2": "url", "website": "url", "url": "url", "homepage": "url",
}

// ErrorColumn is the column of what is wrong with a row, which the CSV of
// an import's failed rows adds and a reader leaves aside.
const ErrorColumn = "contactd error"

// primaryColumns are the columns of a primary entry.
var primaryColumns = map[string]bool{"primary phone": true, "e-mail address": true, "primary email": true}

// addressColumn reads the address columns of Outlook and Thunderbird:
// "Home Street 2", "Business Country/Region", "Work ZipCode".
var addressColumn = regexp.MustCompile(`^(home|business|work|other) (street|street 2|street 3|address|address 2|address po box|city|state|postal code|zipcode|zip|country|country/region)$`)

var addressPartOf = map[string]string{
	"street": "street", "street 2": "street2", "street 3": "street3", "address": "street", "address 2": "street2",
	"address po box": "poBox", "city": "city", "state": "state", "postal code": "postalCode", "zipcode": "postalCode",
	"zip": "postalCode", "country": "country", "country/region": "country",
}

// groupColumn reads Google's numbered groups: "Phone 2 - Value",
// "Address 1 - Postal Code", "E-mail 1 - Label" (old exports: "- Type").
var groupColumn = regexp.MustCompile(`^(e-mail|phone|address|website|custom field|event|relation|im) (\d+) - (.+)$`)

var groupParts = map[string]string{
	"label": "label", "type": "label", "value": "value", "formatted": "formatted", "street": "street", "city": "city",
	"po box": "poBox", "region": "state", "postal code": "postalCode", "country": "country", "extended address": "extended",
}

// columnTarget gives a header its target; ok is false for a column no
// table knows. headers are all the file's headers, folded.
func columnTarget(h string, headers map[string]bool) (target, bool) {
	switch {
	case h == "title":
		// Outlook's Title is a courtesy title beside its Job Title; in
		// other files it is the job title.
		if headers["job title"] {
			return target{kind: "prop", field: "namePrefix"}, true
		}
		return target{kind: "field", field: "jobTitle"}, true
	case h == "home address" && headers["home street"], h == "business address" && headers["business street"],
		h == "other address" && headers["other street"]:
		return target{kind: "ignore"}, true // Outlook.com's formatted copy of the street columns
	case h == "birth year" || h == "birth month" || h == "birth day":
		return target{kind: "birth", field: strings.TrimPrefix(h, "birth ")}, true
	case h == "screen name":
		return target{kind: "handle", typ: "other"}, true
	}
	if m := groupColumn.FindStringSubmatch(h); m != nil {
		n, _ := strconv.Atoi(m[2])
		part, ok := groupParts[m[3]]
		if !ok {
			return target{kind: "ignore"}, false
		}
		kind := map[string]string{"e-mail": "email", "phone": "phone", "address": "address", "website": "handle",
			"custom field": "custom", "event": "event", "relation": "relation", "im": "im"}[m[1]]
		return target{kind: kind, group: n, part: part}, true
	}
	if m := addressColumn.FindStringSubmatch(h); m != nil {
		typ := map[string]string{"home": "home", "business": "work", "work": "work", "other": "other"}[m[1]]
		return target{kind: "address", typ: typ, part: addressPartOf[m[2]]}, true
	}
	if s, ok := knownColumns[h]; ok {
		t, err := ParseTarget(s)
		if err != nil {
			panic("knownColumns: " + h + ": " + err.Error())
		}
		t.primary = primaryColumns[h]
		return t, true
	}
	return target{kind: "ignore"}, false
}

// typeOfLabel reads the label of a Google group ("Mobile", "* Work",
// "Work Fax") as an entry type of kind, and whether it marks the primary
// entry (a leading "* ").
func typeOfLabel(kind, label string) (typ string, primary bool) {
	l := strings.ToLower(strings.TrimSpace(label))
	if rest, ok := strings.CutPrefix(l, "* "); ok {
		l, primary = rest, true
	}
	switch kind {
	case "phone":
		switch l {
		case "mobile", "cell", "iphone":
			return "mobile", primary
		case "work", "business", "main", "work mobile":
			return "work", primary
		case "home":
			return "home", primary
		case "work fax", "business fax":
			return "work_fax", primary
		case "home fax":
			return "home_fax", primary
		case "fax", "other fax":
			return "fax", primary
		case "pager", "work pager":
			return "pager", primary
		}
		return "other", primary
	case "email":
		switch l {
		case "work":
			return "work", primary
		case "home", "personal":
			return "personal", primary
		}
		return "other", primary
	case "address":
		switch l {
		case "work", "business":
			return "work", primary
		case "home":
			return "home", primary
		}
		return "other", primary
	}
	return "", primary
}

// String writes a target as a mapping names it (ParseTarget's syntax), or,
// for the parts of Google's numbered groups, which no mapping names, as
// "<kind> <group> <part>" ("phone 2 label").
func (t target) String() string {
	switch t.kind {
	case "ignore":
		return "ignore"
	case "tags":
		return "tags"
	case "field":
		return t.field
	case "prop":
		return "properties." + t.field
	case "extra":
		// A column no table knows is kept under properties, with the
		// warning that says so.
		return "unknown (kept)"
	}
	if t.group > 0 {
		return fmt.Sprintf("%s %d %s", t.kind, t.group, t.part)
	}
	switch t.kind {
	case "handle":
		if t.typ == "url" {
			return "url"
		}
		return "handle:" + t.typ
	case "address":
		return "address:" + t.typ + "." + t.part
	case "phone", "email":
		if t.typ == "" {
			return t.kind
		}
		return t.kind + ":" + t.typ
	}
	return t.kind
}
