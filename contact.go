package contactd

import (
	"context"
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
	Anniversary  string          `json:"anniversary,omitempty"`
	Locale       string          `json:"locale,omitempty"`
	Timezone     string          `json:"timezone,omitempty"`
	ProfileColor string          `json:"profileColor,omitempty"`
	Notes        string          `json:"notes,omitempty"`
	Photo        *Photo          `json:"photo,omitempty"`
	Phones       []Phone         `json:"phones"`
	Emails       []Email         `json:"emails"`
	Addresses    []Address       `json:"addresses"`
	Handles      []Handle        `json:"handles"`
	Links        []Link          `json:"links,omitempty"`
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
	MergedInto   string          `json:"mergedInto,omitempty"`

	// The phone-system directory (directory.go): written with the
	// contacts:admin scope only, except Location.
	Extensions             []Extension   `json:"extensions,omitempty"`
	Site                   *DirectoryRef `json:"site,omitempty"`
	PBX                    *DirectoryRef `json:"pbx,omitempty"`
	Location               string        `json:"location,omitempty"`
	Subscription           *Subscription `json:"subscription,omitempty"`
	DisplayWhenNoExtension bool          `json:"displayWhenNoExtension,omitempty"`
	HideInAutoAttendant    bool          `json:"hideInAutoAttendant,omitempty"`

	// DisplayNameSet records that DisplayName was given rather than
	// derived, so that a derived name follows later edits of the names.
	DisplayNameSet bool `json:"-"`
	// PhotoWrite, on a version being written, is the photo to store with
	// it (Data nil: the photo is removed); nil leaves the stored photo
	// as it is.
	PhotoWrite *PhotoData `json:"-"`
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
	// Region is the ISO 3166 region the number belongs to, derived from it.
	Region string `json:"region,omitempty"`
	// Source is "external" for a number a synced system owns.
	Source    string `json:"source,omitempty"`
	CreatedAt *Time  `json:"createdAt,omitempty"`
}

// Email is one email address of a contact.
type Email struct {
	ID        string `json:"id"`
	Address   string `json:"address"`
	Type      string `json:"type"`
	Primary   bool   `json:"primary"`
	Verified  bool   `json:"verified"`
	CreatedAt *Time  `json:"createdAt,omitempty"`
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
	CreatedAt    *Time  `json:"createdAt,omitempty"`
}

// Handle is a messaging or social handle of a contact.
type Handle struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Link refers to a work item of another system that concerns the contact:
// a ticket, a task, a deal, a conversation.
type Link struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	ExternalID string `json:"externalId"`
	URL        string `json:"url,omitempty"`
	Title      string `json:"title,omitempty"`
	CreatedAt  *Time  `json:"createdAt,omitempty"`
}

// Allowed values of the enumerated contact fields.
var (
	Kinds         = []string{"person", "organization"}
	ContactTypes  = []string{"company", "corporate", "service"}
	PhoneTypes    = []string{"mobile", "work", "home", "fax", "work_fax", "home_fax", "pager", "other"}
	EmailTypes    = []string{"work", "personal", "other"}
	AddressTypes  = []string{"home", "work", "billing", "shipping", "other"}
	HandleTypes   = []string{"whatsapp", "telegram", "sip", "x", "linkedin", "url", "other"}
	LinkTypes     = []string{"ticket", "task", "deal", "conversation", "other"}
	PhoneSources  = []string{"external"}
	Sources       = []string{"manual", "import", "api", "sync", "carddav"}
	ChangeTypes   = []string{"created", "updated", "deleted", "restored", "erased", "blocked", "unblocked", "merged", "unmerged"}
	systemTypes   = []string{"corporate", "service"}
	readOnlyField = map[string]bool{
		"id": true, "version": true, "source": true, "createdAt": true, "createdBy": true,
		"updatedAt": true, "updatedBy": true, "deletedAt": true, "deletedBy": true,
		"blockedAt": true, "blockedBy": true, "blockReason": true, "photo": true,
		"mergedInto": true,
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
	MaxNotesLen      = 10000
	MaxLinks         = 50
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

// MarshalJSON writes the contact's API form, with timestamps in TimeFormat.
func (c Contact) MarshalJSON() ([]byte, error) {
	if c.Photo != nil && c.Photo.URL == "" {
		ph := *c.Photo
		ph.URL = photoURL(c.ID)
		c.Photo = &ph
	}
	type plain Contact
	return json.Marshal(struct {
		plain
		BlockedAt *jsonTime `json:"blockedAt,omitempty"`
		CreatedAt jsonTime  `json:"createdAt"`
		UpdatedAt jsonTime  `json:"updatedAt"`
		DeletedAt *jsonTime `json:"deletedAt,omitempty"`
	}{plain(c), optTime(c.BlockedAt), jsonTime(c.CreatedAt), jsonTime(c.UpdatedAt), optTime(c.DeletedAt)})
}

// ContactDoc is a stored contact in its JSON representation, as a store
// hands it out for reads that pass it on unchanged.
type ContactDoc struct {
	// ID is set by ContactDocs.
	ID      string
	Version int64
	Deleted bool
	// JSON is exactly what the Contact marshals to.
	JSON json.RawMessage
}

// ETag returns the entity tag of the contact's version.
func (d *ContactDoc) ETag() string { return `"` + strconv.FormatInt(d.Version, 10) + `"` }

// PhoneMatch is a contact found by phone number, as a store returns it.
type PhoneMatch struct {
	ContactID string
	// Doc is the contact's JSON representation, as Contact marshals it.
	Doc json.RawMessage
	// PhoneIDs are the ids of the contact's phones with the number, in
	// ascending order.
	PhoneIDs []string
	// PrimaryMatch is set when the contact's primary phone matched.
	PrimaryMatch bool
}

// ExtensionQuery looks up an extension: Code is a fully qualified
// extension (FQ), or an extension on the PBX PBX (on any PBX unless
// PBXSet; "" is the extensions without one).
type ExtensionQuery struct {
	Code   string
	FQ     bool
	PBX    string
	PBXSet bool
}

// ContactStore is the part of the Store that keeps contacts, their side
// tables (emails, phones, tags, search terms) and their changes.
type ContactStore interface {
	// Contact returns a contact by id, deleted or not. ENotFound.
	Contact(ctx context.Context, tenantID, id string) (*Contact, error)
	// ContactDoc returns a contact by id, deleted or not, as the JSON the
	// Contact marshals to. ENotFound.
	ContactDoc(ctx context.Context, tenantID, id string) (*ContactDoc, error)
	// ContactByEmail returns the live contact with the given (lower-case)
	// email address. ENotFound.
	ContactByEmail(ctx context.Context, tenantID, email string) (*Contact, error)
	// ContactByExternalID returns the live contact with the given external
	// id. ENotFound.
	ContactByExternalID(ctx context.Context, tenantID, externalID string) (*Contact, error)
	// LookupExtension returns up to limit live contacts having the
	// extension, most recently updated first, each with the ids of the
	// matching extensions (in PhoneMatch.PhoneIDs).
	LookupExtension(ctx context.Context, tenantID string, q ExtensionQuery, limit int) ([]PhoneMatch, error)
	// LookupPhone returns up to limit live contacts having a phone with the
	// given E.164 number: those where it is the primary phone first, then the
	// most recently updated.
	LookupPhone(ctx context.Context, tenantID, e164 string, limit int) ([]PhoneMatch, error)
	// ListContacts returns one page of a tenant's contacts, and how many
	// the whole list has when the store learned it reading the page (a
	// ranked search orders every match), else -1.
	ListContacts(ctx context.Context, q ContactQuery) ([]*Contact, int, error)
	// ContactDocs returns one page of a list that is neither searched nor
	// ranked, as the JSON each Contact marshals to, with ids (ContactDoc.ID):
	// the export's fast path, which sends them on without decoding them.
	ContactDocs(ctx context.Context, q ContactQuery) ([]ContactDoc, error)
	// CountContacts counts every contact of a list, ignoring pages.
	CountContacts(ctx context.Context, q ContactQuery) (int, error)
	// WriteContact inserts (PrevVersion 0) or replaces a contact and appends
	// its change to the tenant's change log, in one transaction that first
	// checks p.Refs. It returns EPreconditionFailed when the stored version
	// is not PrevVersion, a *ConflictError when a live contact of the
	// tenant already has one of its emails, its external id or (with the
	// tenant's uniquePhones) one of its numbers, and a *RefError when a
	// reference does not hold.
	WriteContact(ctx context.Context, p WriteContactParams) error
	// InsertContacts inserts new contacts with their changes in one
	// transaction, all or nothing, after checking p.Refs. A *ConflictError
	// as WriteContact (with ID when it can be told), a *RefError.
	InsertContacts(ctx context.Context, p InsertContactsParams) error
	// WriteContacts applies writes in order, each as WriteContact would, in
	// one transaction that first checks p.Refs (a *RefError fails them
	// all). A write that is refused (a *ConflictError, or
	// EPreconditionFailed when the stored version is not PrevVersion) is
	// left out, its error at its index of the errors returned, and the
	// others go on; with p.Atomic the first refusal rolls back every write
	// and is the only error returned. The changes of the writes made are
	// numbered in order, without gaps.
	WriteContacts(ctx context.Context, p WriteContactsParams) ([]error, error)
	// EraseContact deletes a contact and its change history, then appends
	// the given change ("erased", without field values). ENotFound.
	EraseContact(ctx context.Context, tenantID, id string, change *Change) error
}

// WriteContactParams is the input of ContactStore.WriteContact.
type WriteContactParams struct {
	TenantID string
	Contact  *Contact
	// PrevVersion is the version being replaced, 0 for an insert.
	PrevVersion int64
	// Change is appended to the change log; its Seq is set on success.
	Change *Change
	// Terms replace the contact's full-text index entries.
	Terms []Term
	// Refs are checked in the write's transaction.
	Refs ContactRefs
	// Card, when set, is the card a CardDAV client wrote for the contact,
	// stored with it: it replaces the contact's card, and takes its name
	// from a card whose contact is deleted or erased; a card of a live
	// contact with the name is a *ConflictError{Field: "card"}.
	Card *Card
}

// InsertContactsParams is the input of ContactStore.InsertContacts.
type InsertContactsParams struct {
	TenantID string
	// Contacts are the new contacts with their changes and terms (their
	// Refs are not read: Refs holds the batch's).
	Contacts []WriteContactParams
	Refs     ContactRefs
}

// WriteContactsParams is the input of ContactStore.WriteContacts.
type WriteContactsParams struct {
	TenantID string
	// Writes are inserts (PrevVersion 0) and replacements, with their
	// changes and terms (their Refs are not read: Refs holds the batch's).
	Writes []WriteContactParams
	Refs   ContactRefs
	Atomic bool
	// DryRun makes the writes and rolls them back, returning what they
	// would have met.
	DryRun bool
	// Merge, when set, is what a merge or an unmerge writes besides the
	// contacts, in the same transaction.
	Merge *MergeWrite
	// Progress, when set, is called with the writes' errors before the
	// transaction commits, and gives the import progress to write in it
	// (ImportStore.UpdateImport's rules: EConflict, and nothing written,
	// when the job has ended).
	Progress func(errs []error) *ImportProgress
}

// Changes returns the changes of the batch's contacts, in order.
func (p InsertContactsParams) Changes() []*Change {
	out := make([]*Change, len(p.Contacts))
	for i, w := range p.Contacts {
		out[i] = w.Change
	}
	return out
}

// ContactRefs are the objects a contact write names. A store checks them
// in the write's transaction, after it has locked the tenant's writes, so
// that no write keeps a reference that a concurrent delete or rename has
// made wrong.
type ContactRefs struct {
	// AccountIDs must each name an account of the tenant; else the store
	// returns a *RefError{Field: "accountId"}.
	AccountIDs []string
	// Tags are the registry entries the written tags spell: a tag whose
	// key the registry has must have the Name given, else the store
	// returns a *RefError{Field: "tags"} with the registry's spelling; a
	// tag the registry lacks is added as given.
	Tags []*Tag
}

// ContactQuery selects one page of a tenant's contacts.
type ContactQuery struct {
	Query
	// Terms are normalized full-text tokens; a contact matches when each
	// is a prefix of one of its terms.
	Terms []string
	// Rank orders by relevance (then display name and id) instead of Sort.
	Rank           bool
	IncludeDeleted bool
}
