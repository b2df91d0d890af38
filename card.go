package contactd

import (
	"context"
	"encoding/json"
	"strings"
)

// The CardDAV side of a contact. Every contact is a card of its tenant's
// address book, at the resource name "<id>.vcf", rendered from its fields.
// A card that a client wrote (PUT) is kept as well: under the name the
// client chose, with the vCard exactly as it came, so that what the
// contact model does not hold (labels, groups, photos, a client's own
// properties) goes back to the client unchanged.

// Card is the card a CardDAV client last wrote for a contact.
type Card struct {
	ContactID string
	// Name is the card's resource name in the address book.
	Name string
	// Version is the contact's version that the card produced; 0 once
	// the contact is erased (the name stays, for sync reports).
	Version int64
	// Base is the contact, as Contact marshals it, at Version: what the
	// card said in the contact's terms. A later version's fields that
	// still equal Base's are rendered as the card wrote them.
	Base json.RawMessage
	// Data is the vCard as the client sent it.
	Data []byte
}

// CardEntry is one live member of an address book: the contact, its
// version (the card's ETag) and its resource name.
type CardEntry struct {
	ContactID string
	Version   int64
	Name      string
}

// CardStore is the part of the Store that keeps the cards clients wrote.
// A card is written with its contact (WriteContactParams.Card), in the
// contact's transaction.
type CardStore interface {
	// CardByName returns the card with the resource name, whatever its
	// contact's state (deleted, erased). ENotFound.
	CardByName(ctx context.Context, tenantID, name string) (*Card, error)
	// Cards returns the cards of those of the contacts that have one.
	Cards(ctx context.Context, tenantID string, contactIDs []string) ([]Card, error)
	// CardsByName returns the cards with those of the names that a card
	// has, whatever their contacts' state.
	CardsByName(ctx context.Context, tenantID string, names []string) ([]Card, error)
	// CardContacts returns the contacts with those of the ids that exist,
	// deleted or not, in no order.
	CardContacts(ctx context.Context, tenantID string, ids []string) ([]*Contact, error)
	// CardEntries returns up to limit live contacts with ids after
	// afterID, in id order, each with its card's name ("" when it has no
	// card).
	CardEntries(ctx context.Context, tenantID, afterID string, limit int) ([]CardEntry, error)
}

// MaxCardBytes bounds a card a client writes (RFC 6352's max-resource-size).
const MaxCardBytes = 1 << 20

// MaxCardName bounds a card's resource name.
const MaxCardName = 255

// DefaultCardName is the resource name of a contact that has no card a
// client wrote.
func DefaultCardName(contactID string) string { return contactID + ".vcf" }

// validCardName reports whether a client's resource name is one contactd
// keeps: a single path segment of printable text.
func validCardName(name string) bool {
	if name == "" || len(name) > MaxCardName || name == "." || name == ".." {
		return false
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' || r == 0xfffd {
			return false
		}
	}
	return strings.TrimSpace(name) == name
}
