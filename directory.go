package contactd

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// The phone-system directory. A phone system's own users are corporate
// contacts, each with extensions; its ring groups, call queues and auto
// attendants are service contacts, each with a subscription. Both carry
// the site (branch) and the PBX they live on. The phone system writes all
// of it (contacts:admin); everyone reads it, and desk phones and the auto
// attendant's dial-by-name list what the visibility flags let through
// (Directory).

// Extension is one extension of a corporate or service contact.
type Extension struct {
	ID string `json:"id"`
	// Extension is what is dialled inside the PBX: unique per tenant and
	// PBX among live contacts.
	Extension string `json:"extension"`
	// FQExtension is the fully qualified extension (a site prefix and the
	// extension), unique per tenant among live contacts.
	FQExtension         string        `json:"fqExtension,omitempty"`
	Type                string        `json:"type"`
	Site                *DirectoryRef `json:"site,omitempty"`
	PBX                 *DirectoryRef `json:"pbx,omitempty"`
	DisplayInDirectory  bool          `json:"displayInDirectory"`
	HideInAutoAttendant bool          `json:"hideInAutoAttendant"`
	Subscription        *Subscription `json:"subscription,omitempty"`
	CreatedAt           *Time         `json:"createdAt,omitempty"`
}

// DirectoryRef names a site or a PBX: its id in the phone system and its
// name. They are embedded in each contact, not kept in a registry (see
// docs/DECISIONS.md).
type DirectoryRef struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// Subscription is the service a service contact (or an extension) is
// linked to.
type Subscription struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Type   string `json:"type"`
	UserID string `json:"userId,omitempty"`
}

// Allowed values of the directory's enumerated fields.
var (
	ExtensionTypes    = []string{"uc", "cc"}
	SubscriptionTypes = []string{"UE", "VCCE", "RG", "CQ", "AA"}
	// DirectoryAudiences are the values of GET /v1/directory's for.
	DirectoryAudiences = []string{"phones", "auto-attendant"}
)

// Limits of the directory fields (as the reference phone system's).
const (
	MaxExtensions     = 20
	MaxExtensionLen   = 16
	MaxFQExtensionLen = 20
	MaxSiteIDLen      = 64
	MaxSiteNameLen    = 128
	MaxPBXIDLen       = 32
	MaxPBXNameLen     = 32
	MaxLocationLen    = 128
	MaxLinkURLLen     = 2048
)

// Directory visibility, as a store keeps it beside each contact: what
// lists the contact. The auto attendant lists a subset of what desk phones
// do.
const (
	DirectoryHidden = 0 // in no directory
	DirectoryPhones = 1 // on desk phones, not in the auto attendant
	DirectoryAll    = 2 // on desk phones and in the auto attendant
)

// DirectoryOf returns where a contact is listed:
//   - a corporate contact with extensions, when one of them has
//     displayInDirectory; in the auto attendant too when one of those
//     lacks hideInAutoAttendant;
//   - a corporate contact without extensions, when displayWhenNoExtension
//     is set;
//   - a service contact, always; in the auto attendant unless every one of
//     its extensions has hideInAutoAttendant;
//   - a company contact, nowhere.
//
// A contact's own hideInAutoAttendant keeps it out of the auto attendant
// whatever its extensions say; a deleted contact is nowhere.
func DirectoryOf(c *Contact) int {
	if c == nil || !c.Live() {
		return DirectoryHidden
	}
	shown, aa := false, false
	switch c.ContactType {
	case "corporate":
		if len(c.Extensions) == 0 {
			shown, aa = c.DisplayWhenNoExtension, c.DisplayWhenNoExtension
		}
		for _, e := range c.Extensions {
			if e.DisplayInDirectory {
				shown = true
				aa = aa || !e.HideInAutoAttendant
			}
		}
	case "service":
		shown, aa = true, len(c.Extensions) == 0
		for _, e := range c.Extensions {
			aa = aa || !e.HideInAutoAttendant
		}
	}
	switch {
	case !shown:
		return DirectoryHidden
	case aa && !c.HideInAutoAttendant:
		return DirectoryAll
	}
	return DirectoryPhones
}

// refID returns a site's or PBX's id, or "".
func refID(r *DirectoryRef) string {
	if r == nil {
		return ""
	}
	return r.ID
}

// PBXOf returns the id of the PBX an extension lives on: its own, else its
// contact's, else "".
func PBXOf(c *Contact, e *Extension) string {
	if e.PBX != nil {
		return e.PBX.ID
	}
	if c.PBX != nil {
		return c.PBX.ID
	}
	return ""
}

// extensionClaim is what an extension claims in its tenant: the extension
// on its PBX, or the fully qualified extension.
type extensionClaim struct {
	field, scope, value string
}

// extensionClaims returns what a contact's extensions claim.
func extensionClaims(c *Contact) []extensionClaim {
	var out []extensionClaim
	for i := range c.Extensions {
		e := &c.Extensions[i]
		out = append(out, extensionClaim{"extension", PBXOf(c, e), e.Extension})
		if e.FQExtension != "" {
			out = append(out, extensionClaim{"fqExtension", "", e.FQExtension})
		}
	}
	return out
}

// directoryFields are the fields only contacts:admin writes.
var directoryFields = []string{"extensions", "site", "pbx", "subscription", "displayWhenNoExtension", "hideInAutoAttendant"}

// directoryChanged returns the first directory field that differs between
// two versions of a contact ("" when none does). Entry timestamps and ids
// do not count: they are the server's.
func directoryChanged(before, after *Contact) string {
	var b, a Contact
	if before != nil {
		b = *before
	}
	if after != nil {
		a = *after
	}
	plain := func(es []Extension) []Extension {
		out := make([]Extension, len(es))
		for i, e := range es {
			e.ID, e.CreatedAt = "", nil
			out[i] = e
		}
		return out
	}
	same := map[string]bool{
		"extensions":             extensionsEqual(plain(b.Extensions), plain(a.Extensions)),
		"site":                   refEqual(b.Site, a.Site),
		"pbx":                    refEqual(b.PBX, a.PBX),
		"subscription":           subEqual(b.Subscription, a.Subscription),
		"displayWhenNoExtension": b.DisplayWhenNoExtension == a.DisplayWhenNoExtension,
		"hideInAutoAttendant":    b.HideInAutoAttendant == a.HideInAutoAttendant,
	}
	for _, f := range directoryFields {
		if !same[f] {
			return f
		}
	}
	return ""
}

func extensionsEqual(a, b []Extension) bool {
	return slices.EqualFunc(a, b, func(x, y Extension) bool {
		return x.Extension == y.Extension && x.FQExtension == y.FQExtension && x.Type == y.Type &&
			refEqual(x.Site, y.Site) && refEqual(x.PBX, y.PBX) && x.DisplayInDirectory == y.DisplayInDirectory &&
			x.HideInAutoAttendant == y.HideInAutoAttendant && subEqual(x.Subscription, y.Subscription)
	})
}

func refEqual(a, b *DirectoryRef) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

func subEqual(a, b *Subscription) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

var (
	extensionRE = regexp.MustCompile(`^[0-9]+$`)
	directoryID = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)
)

// directory validates the directory fields of c, whose contact type is
// set, as written.
func (b *builder) directory(c *Contact) {
	c.Location = b.text("location", c.Location, MaxLocationLen)
	c.Site = b.ref("site", c.Site, MaxSiteIDLen, MaxSiteNameLen)
	c.PBX = b.ref("pbx", c.PBX, MaxPBXIDLen, MaxPBXNameLen)
	c.Subscription = b.subscription("subscription", c.Subscription)
	if c.Subscription != nil && c.ContactType != "service" {
		b.fail("subscription", "only service contacts have a subscription (this contact's contactType is %s)", c.ContactType)
	}
	if c.DisplayWhenNoExtension && c.ContactType != "corporate" {
		b.fail("displayWhenNoExtension", "applies to corporate contacts only (this contact's contactType is %s)", c.ContactType)
	}
	if len(c.Extensions) > 0 && !slices.Contains(systemTypes, c.ContactType) {
		b.fail("extensions", "only corporate and service contacts have extensions (this contact's contactType is %s)", c.ContactType)
	}
	if len(c.Extensions) > MaxExtensions {
		b.fail("extensions", "must have at most %d entries (got %d)", MaxExtensions, len(c.Extensions))
		return
	}
	prev, ids := prevEntries(b, func(c *Contact) []Extension { return c.Extensions }, func(e Extension) string { return e.ID })
	seen, fqSeen := map[string]bool{}, map[string]bool{}
	out := make([]Extension, 0, len(c.Extensions))
	for i, e := range c.Extensions {
		loc := fmt.Sprintf("extensions[%d]", i)
		n0 := len(b.errs)
		e.Extension = b.digits(join(loc, "extension"), e.Extension, MaxExtensionLen, true)
		e.FQExtension = b.digits(join(loc, "fqExtension"), e.FQExtension, MaxFQExtensionLen, false)
		e.Type = strings.ToLower(strings.TrimSpace(e.Type))
		e.Type = b.enum(join(loc, "type"), e.Type, ExtensionTypes, "uc")
		e.Site = b.ref(join(loc, "site"), e.Site, MaxSiteIDLen, MaxSiteNameLen)
		e.PBX = b.ref(join(loc, "pbx"), e.PBX, MaxPBXIDLen, MaxPBXNameLen)
		e.Subscription = b.subscription(join(loc, "subscription"), e.Subscription)
		if len(b.errs) > n0 {
			continue
		}
		if k := PBXOf(c, &e) + "\x00" + e.Extension; seen[k] {
			b.fail(join(loc, "extension"), "duplicates another extension of this contact on the same PBX")
			continue
		} else {
			seen[k] = true
		}
		if e.FQExtension != "" && fqSeen[e.FQExtension] {
			b.fail(join(loc, "fqExtension"), "duplicates another extension of this contact")
			continue
		}
		fqSeen[e.FQExtension] = true
		e.CreatedAt = nil
		e.ID = b.keepID(e.ID, PrefixExtension, ids, func(i int) bool {
			return prev[i].Extension == e.Extension && PBXOf(b.prev, &prev[i]) == PBXOf(c, &e)
		})
		e.CreatedAt = entryCreated(prev, e.ID, func(p Extension) (string, *Time) { return p.ID, p.CreatedAt })
		out = append(out, e)
	}
	c.Extensions = out
}

// digits checks a string of ASCII digits of at most max characters.
func (b *builder) digits(loc, s string, max int, required bool) string {
	s = strings.TrimSpace(s)
	switch {
	case s == "" && required:
		b.fail(loc, "is required")
	case s == "":
	case !extensionRE.MatchString(s) || len(s) > max:
		b.fail(loc, "must be 1 to %d digits", max)
	}
	return s
}

// ref validates a site or PBX: an id of letters, digits and -._~, and an
// optional name.
func (b *builder) ref(loc string, r *DirectoryRef, maxID, maxName int) *DirectoryRef {
	if r == nil {
		return nil
	}
	out := *r
	out.ID = strings.TrimSpace(out.ID)
	switch {
	case out.ID == "":
		b.fail(join(loc, "id"), "is required")
	case len(out.ID) > maxID || !directoryID.MatchString(out.ID):
		b.fail(join(loc, "id"), "must be 1 to %d letters, digits, '-', '.', '_' or '~'", maxID)
	}
	out.Name = b.text(join(loc, "name"), out.Name, maxName)
	return &out
}

func (b *builder) subscription(loc string, s *Subscription) *Subscription {
	if s == nil {
		return nil
	}
	out := *s
	out.ID = b.text(join(loc, "id"), out.ID, MaxSiteIDLen)
	if out.ID == "" {
		b.fail(join(loc, "id"), "is required")
	}
	out.Name = b.text(join(loc, "name"), out.Name, MaxSiteNameLen)
	out.UserID = b.text(join(loc, "userId"), out.UserID, MaxSiteIDLen)
	out.Type = strings.ToUpper(strings.TrimSpace(out.Type))
	if out.Type == "" {
		b.fail(join(loc, "type"), "is required")
	} else {
		out.Type = b.enum(join(loc, "type"), out.Type, SubscriptionTypes, "")
	}
	return &out
}

// links validates a contact's links to work items.
func (b *builder) links(in []Link) []Link {
	out := make([]Link, 0, len(in))
	if len(in) > MaxLinks {
		b.fail("links", "must have at most %d entries (got %d)", MaxLinks, len(in))
		return out
	}
	prev, ids := prevEntries(b, func(c *Contact) []Link { return c.Links }, func(l Link) string { return l.ID })
	seen := map[string]bool{}
	for i, l := range in {
		loc := fmt.Sprintf("links[%d]", i)
		n0 := len(b.errs)
		l.Type = b.enum(join(loc, "type"), strings.ToLower(strings.TrimSpace(l.Type)), LinkTypes, "other")
		l.ExternalID = b.text(join(loc, "externalId"), l.ExternalID, 255)
		if l.ExternalID == "" {
			b.fail(join(loc, "externalId"), "is required")
		}
		l.Title = b.text(join(loc, "title"), l.Title, 255)
		l.URL = b.text(join(loc, "url"), l.URL, MaxLinkURLLen)
		if l.URL != "" {
			if u, err := url.Parse(l.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				b.fail(join(loc, "url"), "must be an absolute http or https URL")
			}
		}
		if len(b.errs) > n0 {
			continue
		}
		if k := l.Type + "\x00" + l.ExternalID; seen[k] {
			b.fail(join(loc, "externalId"), "duplicates another %s link of this contact", l.Type)
			continue
		} else {
			seen[k] = true
		}
		l.ID = b.keepID(l.ID, PrefixLink, ids, func(i int) bool {
			return prev[i].Type == l.Type && prev[i].ExternalID == l.ExternalID
		})
		l.CreatedAt = entryCreated(prev, l.ID, func(p Link) (string, *Time) { return p.ID, p.CreatedAt })
		out = append(out, l)
	}
	return out
}

// entryCreated returns the creation time of the previous entry with the
// given id (nil for a new entry: Service.change stamps it).
func entryCreated[T any](prev []T, id string, of func(T) (string, *Time)) *Time {
	for _, p := range prev {
		if pid, at := of(p); pid == id {
			return at
		}
	}
	return nil
}
