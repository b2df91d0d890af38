package client

import (
	"encoding/json"
	"strconv"
	"time"
)

// The wire types: what the API sends and takes. Fields the server sets
// (ids, versions, times, derived values) may be sent back unchanged; the
// server ignores them. Every field is omitted when empty, so a value built
// for a create sends only what it sets.

// Contact is a person or organization of the address book.
type Contact struct {
	ID           string          `json:"id,omitempty"`
	Version      int64           `json:"version,omitempty"`
	Kind         string          `json:"kind,omitempty"`
	ContactType  string          `json:"contactType,omitempty"`
	FirstName    string          `json:"firstName,omitempty"`
	MiddleName   string          `json:"middleName,omitempty"`
	LastName     string          `json:"lastName,omitempty"`
	NickName     string          `json:"nickName,omitempty"`
	Suffix       string          `json:"suffix,omitempty"`
	DisplayName  string          `json:"displayName,omitempty"`
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
	Phones       []Phone         `json:"phones,omitempty"`
	Emails       []Email         `json:"emails,omitempty"`
	Addresses    []Address       `json:"addresses,omitempty"`
	Handles      []Handle        `json:"handles,omitempty"`
	Links        []Link          `json:"links,omitempty"`
	Tags         []string        `json:"tags,omitempty"`
	AccountID    string          `json:"accountId,omitempty"`
	OwnerID      string          `json:"ownerId,omitempty"`
	ExternalID   string          `json:"externalId,omitempty"`
	Source       string          `json:"source,omitempty"`
	Status       string          `json:"status,omitempty"`
	Properties   json.RawMessage `json:"properties,omitempty"`
	Metadata     json.RawMessage `json:"metadata,omitempty"`
	DoNotCall    bool            `json:"doNotCall,omitempty"`
	EmailOptOut  bool            `json:"emailOptOut,omitempty"`
	SMSOptOut    bool            `json:"smsOptOut,omitempty"`
	Unknown      bool            `json:"unknown,omitempty"`
	BlockedAt    *time.Time      `json:"blockedAt,omitempty"`
	BlockedBy    string          `json:"blockedBy,omitempty"`
	BlockReason  string          `json:"blockReason,omitempty"`
	CreatedAt    time.Time       `json:"createdAt,omitzero"`
	CreatedBy    string          `json:"createdBy,omitempty"`
	UpdatedAt    time.Time       `json:"updatedAt,omitzero"`
	UpdatedBy    string          `json:"updatedBy,omitempty"`
	DeletedAt    *time.Time      `json:"deletedAt,omitempty"`
	DeletedBy    string          `json:"deletedBy,omitempty"`
	MergedInto   string          `json:"mergedInto,omitempty"`

	// The phone system's directory (written with contacts:admin).
	Extensions             []Extension   `json:"extensions,omitempty"`
	Site                   *DirectoryRef `json:"site,omitempty"`
	PBX                    *DirectoryRef `json:"pbx,omitempty"`
	Location               string        `json:"location,omitempty"`
	Subscription           *Subscription `json:"subscription,omitempty"`
	DisplayWhenNoExtension bool          `json:"displayWhenNoExtension,omitempty"`
	HideInAutoAttendant    bool          `json:"hideInAutoAttendant,omitempty"`

	// Conveniences on a write: the display name (and first and last names
	// when absent), the primary email, the primary phone.
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// ETag is the contact's version as an entity tag, for IfMatch.
func (c *Contact) ETag() string { return `"` + itoa(c.Version) + `"` }

// Phone is a phone number of a contact.
type Phone struct {
	ID        string     `json:"id,omitempty"`
	Number    string     `json:"number"`
	E164      string     `json:"e164,omitempty"`
	Extension string     `json:"extension,omitempty"`
	Type      string     `json:"type,omitempty"`
	Primary   bool       `json:"primary,omitempty"`
	Verified  bool       `json:"verified,omitempty"`
	Region    string     `json:"region,omitempty"`
	Source    string     `json:"source,omitempty"`
	CreatedAt *time.Time `json:"createdAt,omitempty"`
}

// Email is an email address of a contact.
type Email struct {
	ID        string     `json:"id,omitempty"`
	Address   string     `json:"address"`
	Type      string     `json:"type,omitempty"`
	Primary   bool       `json:"primary,omitempty"`
	Verified  bool       `json:"verified,omitempty"`
	CreatedAt *time.Time `json:"createdAt,omitempty"`
}

// Address is a postal address of a contact or an account.
type Address struct {
	ID           string     `json:"id,omitempty"`
	Type         string     `json:"type,omitempty"`
	Street       string     `json:"street,omitempty"`
	StreetNumber string     `json:"streetNumber,omitempty"`
	Apartment    string     `json:"apartment,omitempty"`
	City         string     `json:"city,omitempty"`
	County       string     `json:"county,omitempty"`
	State        string     `json:"state,omitempty"`
	PostalCode   string     `json:"postalCode,omitempty"`
	Country      string     `json:"country,omitempty"`
	Timezone     string     `json:"timezone,omitempty"`
	Notes        string     `json:"notes,omitempty"`
	Primary      bool       `json:"primary,omitempty"`
	CreatedAt    *time.Time `json:"createdAt,omitempty"`
}

// Handle is a messaging or social handle.
type Handle struct {
	ID    string `json:"id,omitempty"`
	Type  string `json:"type"`
	Value string `json:"value"`
}

// Link refers to a work item of another system.
type Link struct {
	ID         string     `json:"id,omitempty"`
	Type       string     `json:"type,omitempty"`
	ExternalID string     `json:"externalId"`
	URL        string     `json:"url,omitempty"`
	Title      string     `json:"title,omitempty"`
	CreatedAt  *time.Time `json:"createdAt,omitempty"`
}

// Photo describes a contact's photo.
type Photo struct {
	URL         string `json:"url"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
	ETag        string `json:"etag"`
}

// Extension is an extension of a corporate or service contact.
type Extension struct {
	ID                  string        `json:"id,omitempty"`
	Extension           string        `json:"extension"`
	FQExtension         string        `json:"fqExtension,omitempty"`
	Type                string        `json:"type,omitempty"`
	Site                *DirectoryRef `json:"site,omitempty"`
	PBX                 *DirectoryRef `json:"pbx,omitempty"`
	DisplayInDirectory  bool          `json:"displayInDirectory,omitempty"`
	HideInAutoAttendant bool          `json:"hideInAutoAttendant,omitempty"`
	Subscription        *Subscription `json:"subscription,omitempty"`
	CreatedAt           *time.Time    `json:"createdAt,omitempty"`
}

// DirectoryRef names a site or a PBX.
type DirectoryRef struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// Subscription is the service a service contact is linked to.
type Subscription struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Type   string `json:"type"`
	UserID string `json:"userId,omitempty"`
}

// Page is one page of a list.
type Page[T any] struct {
	Data []T `json:"data"`
	// NextCursor continues after this page; nil on the last one.
	NextCursor *string `json:"nextCursor"`
	Limit      int     `json:"limit"`
	// Total is the list's length (or, with TotalIsLowerBound, at least
	// that); nil when not counted.
	Total             *int `json:"total,omitempty"`
	TotalIsLowerBound bool `json:"totalIsLowerBound,omitempty"`
}

// LookupResult answers who a caller is.
type LookupResult struct {
	// Match is exact, ambiguous or none.
	Match  string       `json:"match"`
	Data   []LookupItem `json:"data"`
	Reason string       `json:"reason,omitempty"`
}

// LookupItem is a contact that matched, with the ids of its entries that
// did.
type LookupItem struct {
	Contact
	MatchedEntries []string `json:"matchedEntries"`
}

// UnmarshalJSON reads the contact and its matched entries.
func (it *LookupItem) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &it.Contact); err != nil {
		return err
	}
	var m struct {
		MatchedEntries []string `json:"matchedEntries"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	it.MatchedEntries = m.MatchedEntries
	return nil
}

// Change is one entry of the change feed or of a contact's history.
type Change struct {
	Seq       int64                  `json:"seq"`
	ContactID string                 `json:"contactId"`
	Type      string                 `json:"type"`
	Version   int64                  `json:"version"`
	Actor     string                 `json:"actor"`
	At        time.Time              `json:"at"`
	Fields    map[string]FieldChange `json:"fields,omitempty"`
}

// FieldChange is a field's old and new values.
type FieldChange struct {
	Old json.RawMessage `json:"old"`
	New json.RawMessage `json:"new"`
}

// BatchOperation is one operation of a batch: create, update, upsert or
// delete, of the contact named by ID, ExternalID or Email.
type BatchOperation struct {
	Op         string   `json:"op"`
	ID         string   `json:"id,omitempty"`
	ExternalID string   `json:"externalId,omitempty"`
	Email      string   `json:"email,omitempty"`
	Contact    *Contact `json:"contact,omitempty"`
}

// BatchResult is what became of one operation.
type BatchResult struct {
	Index   int      `json:"index"`
	Status  string   `json:"status"`
	ID      string   `json:"id,omitempty"`
	Version int64    `json:"version,omitempty"`
	Error   *Problem `json:"error,omitempty"`
}

// Account is an organization contacts belong to.
type Account struct {
	ID         string          `json:"id,omitempty"`
	Version    int64           `json:"version,omitempty"`
	Name       string          `json:"name,omitempty"`
	Domain     string          `json:"domain,omitempty"`
	Phones     []Phone         `json:"phones,omitempty"`
	Addresses  []Address       `json:"addresses,omitempty"`
	ExternalID string          `json:"externalId,omitempty"`
	Properties json.RawMessage `json:"properties,omitempty"`
	CreatedAt  time.Time       `json:"createdAt,omitzero"`
	CreatedBy  string          `json:"createdBy,omitempty"`
	UpdatedAt  time.Time       `json:"updatedAt,omitzero"`
	UpdatedBy  string          `json:"updatedBy,omitempty"`
}

// Tag is a tag of the tenant's registry.
type Tag struct {
	ID          string    `json:"id,omitempty"`
	Name        string    `json:"name,omitempty"`
	Color       string    `json:"color,omitempty"`
	Description string    `json:"description,omitempty"`
	CreatedAt   time.Time `json:"createdAt,omitzero"`
	UpdatedAt   time.Time `json:"updatedAt,omitzero"`
}

// Segment is a saved group of contacts: static members or a filter.
type Segment struct {
	ID          string          `json:"id,omitempty"`
	Name        string          `json:"name,omitempty"`
	Description string          `json:"description,omitempty"`
	Kind        string          `json:"kind,omitempty"`
	Filter      json.RawMessage `json:"filter,omitempty"`
	MemberCount int             `json:"memberCount,omitempty"`
	CreatedAt   time.Time       `json:"createdAt,omitzero"`
	UpdatedAt   time.Time       `json:"updatedAt,omitzero"`
}

// Import is an import job.
type Import struct {
	ID         string          `json:"id"`
	Status     string          `json:"status"`
	Format     string          `json:"format"`
	Mode       string          `json:"mode"`
	DryRun     bool            `json:"dryRun"`
	Layout     string          `json:"layout,omitempty"`
	Columns    []string        `json:"columns,omitempty"`
	Total      *int            `json:"total,omitempty"`
	Processed  int             `json:"processed"`
	Created    int             `json:"created"`
	Updated    int             `json:"updated"`
	Unchanged  int             `json:"unchanged"`
	Skipped    int             `json:"skipped"`
	Failed     int             `json:"failed"`
	Bytes      int64           `json:"bytes"`
	Rate       float64         `json:"rate"`
	MatchedBy  map[string]int  `json:"matchedBy,omitempty"`
	Warnings   []ImportWarning `json:"warnings"`
	Error      string          `json:"error,omitempty"`
	CreatedAt  time.Time       `json:"createdAt"`
	CreatedBy  string          `json:"createdBy,omitempty"`
	StartedAt  *time.Time      `json:"startedAt,omitempty"`
	FinishedAt *time.Time      `json:"finishedAt,omitempty"`
}

// Done reports whether the job has ended.
func (im *Import) Done() bool {
	return im.Status == "succeeded" || im.Status == "failed" || im.Status == "cancelled"
}

// ImportWarning is something an import noticed about many records.
type ImportWarning struct {
	Message     string `json:"message"`
	Records     int    `json:"records"`
	FirstRecord int    `json:"firstRecord"`
}

// ImportRowError is a record an import could not write.
type ImportRowError struct {
	Record        int      `json:"record"`
	Location      string   `json:"location,omitempty"`
	Message       string   `json:"message"`
	Code          string   `json:"code,omitempty"`
	Value         string   `json:"value,omitempty"`
	ConflictingID string   `json:"conflictingId,omitempty"`
	Raw           []string `json:"raw,omitempty"`
}

// Webhook is a subscription to the tenant's events.
type Webhook struct {
	ID                  string     `json:"id,omitempty"`
	URL                 string     `json:"url,omitempty"`
	Events              []string   `json:"events,omitempty"`
	Description         string     `json:"description,omitempty"`
	Enabled             *bool      `json:"enabled,omitempty"`
	DisabledReason      string     `json:"disabledReason,omitempty"`
	ConsecutiveFailures int        `json:"consecutiveFailures,omitempty"`
	NextAttemptAt       *time.Time `json:"nextAttemptAt,omitempty"`
	CreatedAt           time.Time  `json:"createdAt,omitzero"`
	UpdatedAt           time.Time  `json:"updatedAt,omitzero"`
}

// WebhookDelivery is one attempt to deliver an event.
type WebhookDelivery struct {
	ID         string    `json:"id"`
	WebhookID  string    `json:"webhookId"`
	MessageID  string    `json:"messageId"`
	Event      string    `json:"event"`
	ChangeID   int64     `json:"changeId"`
	ContactID  string    `json:"contactId"`
	Attempt    int       `json:"attempt"`
	StatusCode int       `json:"statusCode"`
	Error      string    `json:"error,omitempty"`
	Response   string    `json:"response,omitempty"`
	LatencyMs  int64     `json:"latencyMs"`
	At         time.Time `json:"at"`
}

// Token is an API token (its secret is shown once, at creation).
type Token struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Kind      string     `json:"kind"`
	UserID    string     `json:"userId,omitempty"`
	Scopes    []string   `json:"scopes"`
	CreatedAt time.Time  `json:"createdAt"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
}

// Tenant is the token's tenant and its settings.
type Tenant struct {
	ID                  string    `json:"id"`
	Name                string    `json:"name"`
	DefaultRegion       string    `json:"defaultRegion"`
	UniquePhones        bool      `json:"uniquePhones"`
	ChangeRetentionDays int       `json:"changeRetentionDays"`
	RateLimit           *int      `json:"rateLimit,omitempty"`
	CreatedAt           time.Time `json:"createdAt"`
}

// Candidate is a possible duplicate of a contact.
type Candidate struct {
	Contact *Contact `json:"contact"`
	Score   float64  `json:"score"`
	Reasons []Reason `json:"reasons"`
}

// Reason is why two contacts may be one: phone, email, nationalNumber,
// name or externalId, with the value they share.
type Reason struct {
	Type  string `json:"type"`
	Value string `json:"value,omitempty"`
}

// DuplicateGroup is contacts that share one key, with their pairs.
type DuplicateGroup struct {
	ID       string          `json:"id"`
	Score    float64         `json:"score"`
	Reasons  []string        `json:"reasons"`
	Contacts []Contact       `json:"contacts"`
	Pairs    []DuplicatePair `json:"pairs"`
}

// DuplicatePair is two contacts of a group, compared.
type DuplicatePair struct {
	A       string   `json:"a"`
	B       string   `json:"b"`
	Score   float64  `json:"score"`
	Reasons []Reason `json:"reasons"`
}

// Rescan is the job that indexes every contact's duplicate keys again.
type Rescan struct {
	Status     string     `json:"status"`
	Scanned    int        `json:"scanned"`
	StartedAt  time.Time  `json:"startedAt"`
	StartedBy  string     `json:"startedBy,omitempty"`
	UpdatedAt  time.Time  `json:"updatedAt"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	Error      string     `json:"error,omitempty"`
}

// MergeRequest merges sources into a target.
type MergeRequest struct {
	TargetID  string   `json:"targetId"`
	SourceIDs []string `json:"sourceIds"`
	// Fields chooses fields: a contact's id (its value whole) or a value.
	Fields map[string]any `json:"fields,omitempty"`
	DryRun bool           `json:"dryRun,omitempty"`
	Force  bool           `json:"force,omitempty"`
}

// MergeResult is the survivor of a merge and where its fields came from.
type MergeResult struct {
	MergeID    string         `json:"mergeId,omitempty"`
	DryRun     bool           `json:"dryRun"`
	Contact    *Contact       `json:"contact"`
	SourceIDs  []string       `json:"sourceIds"`
	Provenance map[string]any `json:"provenance"`
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
