package contactd

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// buildContact validates in and returns the contact it describes. prev is
// the contact being replaced (nil on create); its sub-entry ids are kept for
// entries that name them.
func buildContact(in *ContactInput, prev *Contact, region string) (*Contact, error) {
	b := &builder{region: region, prev: prev, named: map[string]bool{}, used: map[string]bool{}}
	for _, p := range in.Phones {
		b.named[p.ID] = true
	}
	for _, e := range in.Emails {
		b.named[e.ID] = true
	}
	for _, a := range in.Addresses {
		b.named[a.ID] = true
	}
	for _, h := range in.Handles {
		b.named[h.ID] = true
	}
	c := &Contact{}
	if prev != nil {
		*c = *prev
	}
	c.Kind = b.enum("kind", in.Kind, Kinds, "person")
	c.ContactType = b.enum("contactType", in.ContactType, ContactTypes, "company")
	c.FirstName = b.text("firstName", in.FirstName, 128)
	c.MiddleName = b.text("middleName", in.MiddleName, 128)
	c.LastName = b.text("lastName", in.LastName, 128)
	c.NickName = b.text("nickName", in.NickName, 128)
	c.Suffix = b.text("suffix", in.Suffix, 32)
	c.DisplayName = b.text("displayName", in.DisplayName, 255)
	c.Company = b.text("company", in.Company, 255)
	c.Department = b.text("department", in.Department, 128)
	c.JobTitle = b.text("jobTitle", in.JobTitle, 128)
	c.Birthday = b.birthday("birthday", in.Birthday)
	c.Anniversary = b.birthday("anniversary", in.Anniversary)
	c.Locale = b.locale("locale", in.Locale)
	c.Timezone = b.timezone("timezone", in.Timezone)
	c.ProfileColor = b.color("profileColor", in.ProfileColor)
	c.Notes = b.text("notes", in.Notes, MaxNotesLen)
	c.AccountID = b.text("accountId", in.AccountID, 64)
	c.OwnerID = b.text("ownerId", in.OwnerID, 128)
	c.ExternalID = b.text("externalId", in.ExternalID, 255)
	c.Status = b.text("status", in.Status, 32)
	c.Properties = b.jsonDoc("properties", in.Properties, MaxPropertyDepth)
	c.Metadata = b.jsonDoc("metadata", in.Metadata, 0)
	c.DoNotCall, c.EmailOptOut, c.SMSOptOut, c.Unknown = in.DoNotCall, in.EmailOptOut, in.SMSOptOut, in.Unknown
	c.PhotoWrite = nil
	if in.Photo != nil {
		b.photo(c, in.Photo)
	}

	if name := b.text("name", in.Name, 255); name != "" {
		if c.DisplayName == "" {
			c.DisplayName = name
		}
		if c.FirstName == "" && c.LastName == "" && !in.NamesGiven {
			c.FirstName, c.LastName = splitName(name)
		}
	}
	c.Phones = b.phones(in.Phones)
	c.Emails = b.emails(in.Emails)
	c.Addresses = b.addresses(in.Addresses)
	c.Handles = b.handles(in.Handles)
	c.Links = b.links(in.Links)
	c.Tags = b.tags(in.Tags)
	c.Extensions, c.Site, c.PBX, c.Location = in.Extensions, in.Site, in.PBX, in.Location
	c.Subscription, c.DisplayWhenNoExtension, c.HideInAutoAttendant = in.Subscription, in.DisplayWhenNoExtension, in.HideInAutoAttendant
	b.directory(c)
	if in.Email != "" {
		c.Emails = b.promoteEmail(c.Emails, in.Email)
	}
	if in.Phone != "" {
		c.Phones = b.promotePhone(c.Phones, in.Phone)
	}
	c.DisplayNameSet = c.DisplayName != ""
	if !c.DisplayNameSet {
		c.DisplayName = deriveDisplayName(c)
	}
	if c.DisplayName == "" && len(b.errs) == 0 {
		b.fail("body", "a contact must identify something: give a name, company, email or phone")
	}
	if len(b.errs) > 0 {
		return nil, invalid(b.errs)
	}
	return c, nil
}

// splitName splits "Ada King Lovelace" into "Ada King" and "Lovelace".
func splitName(name string) (first, last string) {
	fields := strings.Fields(name)
	switch len(fields) {
	case 0:
		return "", ""
	case 1:
		return fields[0], ""
	}
	return strings.Join(fields[:len(fields)-1], " "), fields[len(fields)-1]
}

// deriveDisplayName returns names → company → primary email → primary phone.
func deriveDisplayName(c *Contact) string {
	var parts []string
	for _, s := range []string{c.FirstName, c.MiddleName, c.LastName, c.Suffix} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) > 0 {
		return truncate(strings.Join(parts, " "), 255)
	}
	if c.NickName != "" {
		return c.NickName
	}
	if c.Company != "" {
		return c.Company
	}
	if e := c.PrimaryEmail(); e != "" {
		return e
	}
	if p := c.PrimaryPhone(); p != nil {
		return p.Number
	}
	return ""
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

func (b *builder) birthday(loc, s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	m := birthdayRE.FindStringSubmatch(s)
	if m == nil {
		b.fail(loc, "must be YYYY-MM-DD or --MM-DD")
		return s
	}
	year := m[1]
	if year == "-" {
		year = "2000" // a leap year, so --02-29 is accepted
	}
	if _, err := time.Parse("2006-01-02", year+"-"+m[2]+"-"+m[3]); err != nil {
		b.fail(loc, "is not a calendar date")
	}
	return s
}

func (b *builder) locale(loc, s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	tag, err := language.Parse(strings.ReplaceAll(s, "_", "-"))
	if err != nil {
		b.fail(loc, "must be a BCP 47 language tag such as en-US")
		return s
	}
	return tag.String()
}

func (b *builder) timezone(loc, s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if !validTimezone(s) {
		b.fail(loc, "must be an IANA time zone name such as America/New_York")
	}
	return s
}

func validTimezone(s string) bool {
	if s == "Local" || len(s) > 64 {
		return false
	}
	_, err := time.LoadLocation(s)
	return err == nil
}

func (b *builder) color(loc, s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if !colorRE.MatchString(s) {
		b.fail(loc, "must be a colour in the form #RRGGBB")
		return s
	}
	return strings.ToUpper(s)
}

func (b *builder) tags(in []string) []string {
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for i, t := range in {
		loc := fmt.Sprintf("tags[%d]", i)
		t = strings.TrimSpace(t)
		n := utf8.RuneCountInString(t)
		if n < 1 || n > MaxTagLen {
			b.fail(loc, "must be 1 to %d characters", MaxTagLen)
			continue
		}
		if before := len(b.errs); b.text(loc, t, MaxTagLen) != t || len(b.errs) > before {
			continue
		}
		if k := strings.ToLower(t); !seen[k] {
			seen[k] = true
			out = append(out, t)
		}
	}
	if len(out) > MaxTags {
		b.fail("tags", "must have at most %d tags (got %d)", MaxTags, len(out))
	}
	return out
}

// promoteEmail makes addr the primary email: on a create it is added
// when it is new; on an update a new address replaces the primary entry's
// (SPEC §2: the scalar is the primary entry), keeping its id and type.
// An address the contact already has becomes the primary.
func (b *builder) promoteEmail(list []Email, addr string) []Email {
	addr = b.emailAddress("email", addr)
	if len(b.errs) > 0 {
		return list
	}
	i := slices.IndexFunc(list, func(e Email) bool { return e.Address == addr })
	if i < 0 && b.prev != nil {
		if j := primaryIndex(len(list), func(j int) bool { return list[j].Primary }); j >= 0 {
			list[j].Address = addr
			i = j
		}
	}
	if i < 0 {
		if len(list) >= MaxEmails {
			b.fail("email", "the contact already has %d emails", MaxEmails)
			return list
		}
		list = slices.Insert(list, 0, Email{ID: b.emailID("", addr), Address: addr, Type: "other"})
		i = 0
	}
	for j := range list {
		list[j].Primary = j == i
	}
	return list
}

// promotePhone makes number the primary phone, as promoteEmail does
// emails: on an update a new number replaces the primary entry's.
func (b *builder) promotePhone(list []Phone, number string) []Phone {
	p, ok := b.phone("phone", Phone{Number: number})
	if !ok {
		// Report the scalar's own location, not "phone.number".
		for i := range b.errs {
			if b.errs[i].Location == "phone.number" {
				b.errs[i].Location = "phone"
			}
		}
		return list
	}
	i := slices.IndexFunc(list, func(q Phone) bool { return q.E164 == p.E164 && q.Extension == p.Extension })
	if i < 0 && b.prev != nil {
		if j := primaryIndex(len(list), func(j int) bool { return list[j].Primary }); j >= 0 {
			p.ID, p.Type = list[j].ID, list[j].Type // the same entry, a new number (not verified)
			list[j] = p
			i = j
		}
	}
	if i < 0 {
		if len(list) >= MaxPhones {
			b.fail("phone", "the contact already has %d phones", MaxPhones)
			return list
		}
		list = slices.Insert(list, 0, p)
		i = 0
	}
	for j := range list {
		list[j].Primary = j == i
	}
	return list
}

// primaryIndex returns the index of the primary entry of a list of n, the
// first when none is marked, or -1 for an empty list.
func primaryIndex(n int, primary func(int) bool) int {
	for j := range n {
		if primary(j) {
			return j
		}
	}
	if n > 0 {
		return 0
	}
	return -1
}
