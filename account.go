package contactd

import (
	"context"
	"encoding/json"
	"strconv"
	"time"
)

// PrefixAccount is the id prefix of accounts.
const PrefixAccount = "acc_"

// Account is an organization that contacts belong to (their accountId).
// Its JSON form is the API representation.
type Account struct {
	ID         string          `json:"id"`
	Version    int64           `json:"version"`
	Name       string          `json:"name"`
	Domain     string          `json:"domain,omitempty"`
	Phones     []Phone         `json:"phones"`
	Addresses  []Address       `json:"addresses"`
	ExternalID string          `json:"externalId,omitempty"`
	Properties json.RawMessage `json:"properties,omitempty"`
	CreatedAt  time.Time       `json:"createdAt"`
	CreatedBy  string          `json:"createdBy,omitempty"`
	UpdatedAt  time.Time       `json:"updatedAt"`
	UpdatedBy  string          `json:"updatedBy,omitempty"`
}

// Limits of the account model.
const (
	MaxAccountName   = 255
	MaxAccountDomain = 253
)

// accountReadOnly lists the fields of an account the server sets.
var accountReadOnly = map[string]bool{
	"id": true, "version": true, "createdAt": true, "createdBy": true, "updatedAt": true, "updatedBy": true,
}

// ETag returns the entity tag of this version of the account.
func (a *Account) ETag() string { return `"` + strconv.FormatInt(a.Version, 10) + `"` }

// MarshalJSON writes the account's API form, with timestamps in TimeFormat.
func (a Account) MarshalJSON() ([]byte, error) {
	type plain Account
	return json.Marshal(struct {
		plain
		CreatedAt jsonTime `json:"createdAt"`
		UpdatedAt jsonTime `json:"updatedAt"`
	}{plain(a), jsonTime(a.CreatedAt), jsonTime(a.UpdatedAt)})
}

// AccountStore is the part of the Store that keeps accounts. Accounts have
// no soft delete and no change log of their own; deleting one detaches its
// contacts, which is recorded in theirs.
type AccountStore interface {
	// Account returns an account by id. ENotFound.
	Account(ctx context.Context, tenantID, id string) (*Account, error)
	// WriteAccount inserts (PrevVersion 0) or replaces an account. It
	// returns EPreconditionFailed when the stored version is not
	// PrevVersion (or the account is gone), and a *ConflictError
	// (externalId) when another account of the tenant has its external id.
	WriteAccount(ctx context.Context, p WriteAccountParams) error
	// ListAccounts returns one page of a tenant's accounts.
	ListAccounts(ctx context.Context, q Query) ([]*Account, error)
	// CountAccounts counts every account of a list, ignoring pages.
	CountAccounts(ctx context.Context, q Query) (int, error)
	// DeleteAccount deletes an account. In the same transaction, after
	// locking the tenant's writes, it reads every contact that names the
	// account, soft-deleted ones included, in id order, and hands them to
	// p.Detach: an error from Detach refuses the delete (nothing is
	// written); otherwise each contact Detach returns is written, replacing
	// its version, with its change appended to the change log. ENotFound,
	// EPreconditionFailed (PrevVersion).
	DeleteAccount(ctx context.Context, p DeleteAccountParams) error
}

// WriteAccountParams is the input of Store.WriteAccount.
type WriteAccountParams struct {
	TenantID string
	Account  *Account
	// PrevVersion is the version being replaced, 0 for an insert.
	PrevVersion int64
}

// DeleteAccountParams is the input of Store.DeleteAccount.
type DeleteAccountParams struct {
	TenantID string
	ID       string
	// PrevVersion, when not 0, is the version being deleted.
	PrevVersion int64
	// Detach decides what becomes of the contacts that name the account.
	// It does no I/O: it runs inside the deleting transaction, possibly
	// more than once if that is retried.
	Detach func(cs []*Contact) ([]ContactWrite, error)
}

// ContactWrite is a new version of a stored contact with the change that
// records it, as a store writes it inside a transaction of its own.
type ContactWrite struct {
	Contact     *Contact
	PrevVersion int64
	// Change is appended to the change log; the store numbers it.
	Change *Change
}
