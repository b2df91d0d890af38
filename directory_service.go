package contactd

import (
	"context"
	"slices"
	"strings"

	"github.com/contactd/contactd/internal/filter"
)

// DirectoryRequest asks for one page of what a directory lists: desk
// phones' (For "" or "phones") or the auto attendant's dial-by-name
// ("auto-attendant").
type DirectoryRequest struct {
	ContactListRequest
	For string
}

// Directory returns a page of what desk phones' directories or the auto
// attendant list (DirectoryOf), with the conventions of the contact list:
// filter, q, sort (by display name when neither is given), fields, cursor.
// EInvalid naming the parameter, EForbidden.
func (s *Service) Directory(ctx context.Context, p Principal, r DirectoryRequest) (*Page[*Contact], error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	audience := strings.TrimSpace(r.For)
	if audience == "" {
		audience = "phones"
	}
	if !slices.Contains(DirectoryAudiences, audience) {
		return nil, invalidField(r.at("for"), "must be one of %s", strings.Join(DirectoryAudiences, ", "))
	}
	if r.IncludeDeleted {
		return nil, invalidField(r.at("includeDeleted"), "a directory lists live contacts only")
	}
	if strings.TrimSpace(r.Sort) == "" && strings.TrimSpace(r.Q) == "" {
		r.Sort = "displayName"
	}
	return s.listContacts(ctx, p, r.ContactListRequest, "directory\x00"+audience, directoryCond(audience))
}

// directoryCond selects the contacts a directory lists, by the visibility
// stored beside each contact.
func directoryCond(audience string) filter.Node {
	f := filter.Field{Name: "directory", Type: filter.Enum}
	if audience == "auto-attendant" {
		return &filter.Cond{Field: f, Op: filter.OpEq, Value: DirectoryAll}
	}
	return &filter.Cond{Field: f, Op: filter.OpIn, Values: []any{DirectoryPhones, DirectoryAll}}
}

// MaxPhonebookNumbers is how many numbers a phonebook entry holds (a
// Yealink remote phonebook's DirectoryEntry shows three).
const MaxPhonebookNumbers = 3

// DialNumbers returns what a desk phone dials to reach a contact of a
// directory, best first: the extensions the directory lists (for the auto
// attendant, those it does not hide), then the primary phone's number in
// E.164 form; at most MaxPhonebookNumbers.
func DialNumbers(c *Contact, audience string) []string {
	var out []string
	add := func(n string) {
		if n != "" && len(out) < MaxPhonebookNumbers && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	for _, e := range c.Extensions {
		if c.ContactType == "corporate" && !e.DisplayInDirectory {
			continue
		}
		if audience == "auto-attendant" && e.HideInAutoAttendant {
			continue
		}
		add(e.Extension)
	}
	if ph := c.PrimaryPhone(); ph != nil {
		add(ph.E164)
	}
	return out
}
