package contactd

import (
	"encoding/json"
	"strconv"
	"time"
)

// Contact is a person or organization in a tenant's address book. Its JSON
// form is the API representation.
type Contact struct {
	ID           string          `json:"id"`
	Version      int64           `json:"version"`
	Kind         string          `json:"kind"`
	ContactType  string          `json:"contactType"`
	FirstName    string          `json:"firstName,omitempty"`
	MiddleName   string          `json:"middleName,omitempty"`
	LastName     string          `json:"lastName,omitempty"`
	NickName     string          `json:"nickName,omitempty"`
	Suffix       string          `json:"suffix,omitempty"`
	DisplayName  string          `json:"displayName"`
	Company      string          `json:"company,omitempty"`
	Department   string          `json:"department,omitempty"`
	JobTitle     string          `json:"jobTitle,omitempty"`
	Birthday     string          `json:"birthday,omitempty"`
	Locale       string          `json:"locale,omitempty"`
	Timezone     string          `json:"timezone,omitempty"`
	ProfileColor string          `json:"profileColor,omitempty"`
	Phones       []Phone         `json:"phones"`
	Emails       []Email         `json:"emails"`
	Addresses    []Address       `json:"addresses"`
	Handles      []Handle        `json:"handles"`
	Tags         []string        `json:"tags"`
	AccountID    string          `json:"accountId,omitempty"`
	OwnerID      string          `json:"ownerId,omitempty"`
	ExternalID   string          `json:"externalId,omitempty"`
	Source       string          `json:"source"`
	Status       string          `json:"status,omitempty"`
	Properties   json.RawMessage `json:"properties,omitempty"`
	Metadata     json.RawMessage `json:"metadata,omitempty"`
	DoNotCall    bool            `json:"doNotCall"`
	EmailOptOut  bool            `json:"emailOptOut"`
	SMSOptOut    bool            `json:"smsOptOut"`
	Unknown      bool            `json:"unknown"`
	BlockedAt    *time.Time      `json:"blockedAt,omitempty"`
	BlockedBy    string          `json:"blockedBy,omitempty"`
	BlockReason  string          `json:"blockReason,omitempty"`
	CreatedAt    time.Time       `json:"createdAt"`
	CreatedBy    string          `json:"createdBy,omitempty"`
	UpdatedAt    time.Time       `json:"updatedAt"`
	UpdatedBy    string          `json:"updatedBy,omitempty"`
	DeletedAt    *time.Time      `json:"deletedAt,omitempty"`
	DeletedBy    string          `json:"deletedBy,omitempty"`

	// DisplayNameSet records that DisplayName was given rather than
	// derived, so that a derived name follows later edits of the names.
	DisplayNameSet bool `json:"-"`
}

// Phone is one phone number of a contact.
type Phone struct {
	ID        string `json:"id"`
	Number    string `json:"number"`
	E164      string `json:"e164"`
	Extension string `json:"extension,omitempty"`
	Type      string `json:"type"`
	Primary   bool   `json:"primary"`
	Verified  bool   `json:"verified"`
}

// Email is one email address of a contact.
type Email struct {
	ID      string `json:"id"`
	Address string `json:"address"`
	Type    string `json:"type"`
	Primary bool   `json:"primary"`
}

// Address is one postal address of a contact.
type Address struct {
	ID           string `json:"id"`
	Type         string `json:"type"`
	Street       string `json:"street,omitempty"`
	StreetNumber string `json:"streetNumber,omitempty"`
	Apartment    string `json:"apartment,omitempty"`
	City         string `json:"city,omitempty"`
	County       string `json:"county,omitempty"`
	State        string `json:"state,omitempty"`
	PostalCode   string `json:"postalCode,omitempty"`
	Country      string `json:"country,omitempty"`
	Timezone     string `json:"timezone,omitempty"`
	Notes        string `json:"notes,omitempty"`
	Primary      bool   `json:"primary"`
}

// Handle is a messaging or social handle of a contact.
type Handle struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Allowed values of the enumerated contact fields.
var (
	Kinds         = []string{"person", "organization"}
	ContactTypes  = []string{"company", "corporate", "service"}
	PhoneTypes    = []string{"mobile", "work", "home", "fax", "work_fax", "home_fax", "pager", "other"}
	EmailTypes    = []string{"work", "personal", "other"}
	AddressTypes  = []string{"home", "work", "billing", "shipping", "other"}
	HandleTypes   = []string{"whatsapp", "telegram", "sip", "x", "linkedin", "url", "other"}
	Sources       = []string{"manual", "import", "api", "sync", "carddav"}
	ChangeTypes   = []string{"created", "updated", "deleted", "restored", "erased", "blocked", "unblocked"}
	systemTypes   = []string{"corporate", "service"}
	readOnlyField = map[string]bool{
		"id": true, "version": true, "source": true, "createdAt": true, "createdBy": true,
		"updatedAt": true, "updatedBy": true, "deletedAt": true, "deletedBy": true,
		"blockedAt": true, "blockedBy": true, "blockReason": true,
	}
)

// Limits of the contact model (SPEC §2).
const (
	MaxPhones        = 20
	MaxEmails        = 20
	MaxAddresses     = 10
	MaxHandles       = 20
	MaxTags          = 32
	MaxTagLen        = 64
	MaxPropertyBytes = 16 << 10
	MaxPropertyDepth = 5
)

// Live reports whether the contact is not deleted.
func (c *Contact) Live() bool { return c.DeletedAt == nil }

// ETag returns the entity tag of this version of the contact.
func (c *Contact) ETag() string { return `"` + strconv.FormatInt(c.Version, 10) + `"` }

// PrimaryEmail returns the primary email address, or "".
func (c *Contact) PrimaryEmail() string {
	for _, e := range c.Emails {
		if e.Primary {
			return e.Address
		}
	}
	return ""
}

// PrimaryPhone returns the primary phone number, or nil.
func (c *Contact) PrimaryPhone() *Phone {
	for i := range c.Phones {
		if c.Phones[i].Primary {
			return &c.Phones[i]
		}
	}
	return nil
}

// Change is one entry of a tenant's change log: one write to one contact.
type Change struct {
	// Seq orders a tenant's changes totally; it is assigned by the store.
	Seq       int64                  `json:"seq"`
	TenantID  string                 `json:"-"`
	Type      string                 `json:"type"`
	ContactID string                 `json:"contactId"`
	Version   int64                  `json:"version"`
	Actor     string                 `json:"actor"`
	At        time.Time              `json:"at"`
	Fields    map[string]FieldChange `json:"fields,omitempty"`
}

// FieldChange is the old and new value of one top-level contact field.
type FieldChange struct {
	Old json.RawMessage `json:"old"`
	New json.RawMessage `json:"new"`
}
