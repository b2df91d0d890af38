package contactd

import (
	"context"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/contactd/contactd/internal/filter"
)

// ContactFilter is the field table of contact filters (SPEC §3, "Filter:").
// The address.* fields have "any address" semantics; properties is
// addressed as properties.<path> with 1 to 5 path segments of
// [A-Za-z0-9_-]{1,64}.
var ContactFilter = filter.NewSchema(
	filter.Field{Name: "id", Type: filter.String},
	filter.Field{Name: "kind", Type: filter.Enum, Values: Kinds},
	filter.Field{Name: "contactType", Type: filter.Enum, Values: ContactTypes},
	filter.Field{Name: "firstName", Type: filter.String},
	filter.Field{Name: "lastName", Type: filter.String},
	filter.Field{Name: "displayName", Type: filter.String},
	filter.Field{Name: "company", Type: filter.String},
	filter.Field{Name: "department", Type: filter.String},
	filter.Field{Name: "jobTitle", Type: filter.String},
	filter.Field{Name: "status", Type: filter.String},
	filter.Field{Name: "source", Type: filter.Enum, Values: Sources},
	filter.Field{Name: "ownerId", Type: filter.String},
	filter.Field{Name: "accountId", Type: filter.String},
	filter.Field{Name: "externalId", Type: filter.String},
	filter.Field{Name: "tags", Type: filter.StringArray},
	filter.Field{Name: "segments", Type: filter.StringArray},
	filter.Field{Name: "phones", Type: filter.PhoneArray},
	filter.Field{Name: "emails", Type: filter.EmailArray},
	filter.Field{Name: "doNotCall", Type: filter.Bool},
	filter.Field{Name: "emailOptOut", Type: filter.Bool},
	filter.Field{Name: "smsOptOut", Type: filter.Bool},
	filter.Field{Name: "blocked", Type: filter.Bool},
	filter.Field{Name: "unknown", Type: filter.Bool},
	filter.Field{Name: "createdAt", Type: filter.Time},
	filter.Field{Name: "updatedAt", Type: filter.Time},
	filter.Field{Name: "deletedAt", Type: filter.Time},
	filter.Field{Name: "address.country", Type: filter.String},
	filter.Field{Name: "address.city", Type: filter.String},
	filter.Field{Name: "address.state", Type: filter.String},
	filter.Field{Name: "address.postalCode", Type: filter.String},
	filter.Field{Name: "properties", Type: filter.JSON},
	// The phone-system directory and links (directory.go): extensions
	// match an extension or a fully qualified one.
	filter.Field{Name: "extensions", Type: filter.StringArray},
	filter.Field{Name: "site.id", Type: filter.String},
	filter.Field{Name: "pbx.id", Type: filter.String},
	filter.Field{Name: "location", Type: filter.String},
	filter.Field{Name: "subscription.type", Type: filter.Enum, Values: SubscriptionTypes},
	filter.Field{Name: "links.type", Type: filter.StringArray},
	filter.Field{Name: "links.externalId", Type: filter.StringArray},
)

// ContactSortFields are the fields a contact list sorts by.
var ContactSortFields = []string{"id", "displayName", "firstName", "lastName", "company", "department", "jobTitle",
	"status", "ownerId", "kind", "createdAt", "updatedAt", "extensions", "site.id", "pbx.id", "location", "subscription.type"}

var contactList = &listKind[*Contact]{
	name:      "contacts",
	sortable:  ContactSortFields,
	sortsJSON: true,
	times:     contactTimes,
	value:     contactSortValue,
	fields:    jsonFields(reflect.TypeFor[Contact]()),
	schema:    ContactFilter,
	// A tenant's contacts may be millions: a page counts a bounded number.
	countBound: CountBound,
}

var contactTimes = map[string]bool{"createdAt": true, "updatedAt": true}

// contactSortValue returns a contact's value of a sort field, as a cursor
// keeps it.
func contactSortValue(c *Contact, field string) string {
	switch field {
	case "id":
		return c.ID
	case "displayName":
		return c.DisplayName
	case "firstName":
		return c.FirstName
	case "lastName":
		return c.LastName
	case "company":
		return c.Company
	case "department":
		return c.Department
	case "jobTitle":
		return c.JobTitle
	case "status":
		return c.Status
	case "ownerId":
		return c.OwnerID
	case "kind":
		return c.Kind
	case "createdAt":
		return timeValue(c.CreatedAt)
	case "updatedAt":
		return timeValue(c.UpdatedAt)
	case "extensions": // the first one
		if len(c.Extensions) > 0 {
			return c.Extensions[0].Extension
		}
		return ""
	case "site.id":
		return refID(c.Site)
	case "pbx.id":
		return refID(c.PBX)
	case "location":
		return c.Location
	case "subscription.type":
		if c.Subscription != nil {
			return c.Subscription.Type
		}
		return ""
	}
	if strings.Contains(field, "#") {
		return propertySortValue(c.Properties, field)
	}
	return ""
}

// ContactListRequest asks for one page of a tenant's contacts.
type ContactListRequest struct {
	ListParams
	// Q is a full-text query; without Sort, the results are ranked.
	Q              string
	IncludeDeleted bool
	// Expand names related objects to embed in each contact (see
	// Service.Expand); Fields may name them too.
	Expand []string
}

// maxQueryLen bounds a full-text query, in characters.
const maxQueryLen = 256

// ListContacts returns a page of a tenant's contacts: filtered, searched,
// sorted, and paged by keyset cursor (or by page number).
// EInvalid naming the parameter, EForbidden.
func (s *Service) ListContacts(ctx context.Context, p Principal, r ContactListRequest) (*Page[*Contact], error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	return s.listContacts(ctx, p, r, "", nil)
}

// listContacts lists the contacts of r within a subset (the contacts of an
// account or a segment, named by scope, selected by within; nil for all).
func (s *Service) listContacts(ctx context.Context, p Principal, r ContactListRequest, scope string, within filter.Node) (*Page[*Contact], error) {
	if utf8.RuneCountInString(r.Q) > maxQueryLen {
		return nil, invalidField(r.at("q"), "must be at most %d characters", maxQueryLen)
	}
	page, _, err := s.listContactsQuery(ctx, p, r, scope, within)
	return page, err
}

// listContactsQuery is listContacts, returning also the store query the
// page was read with (nil when nothing was read: a q with nothing
// searchable in it).
func (s *Service) listContactsQuery(ctx context.Context, p Principal, r ContactListRequest, scope string, within filter.Node) (*Page[*Contact], *ContactQuery, error) {
	var err error
	if r.Fields, r.Expand, err = SplitExpand(r.Fields, r.Expand, r.at("expand")); err != nil {
		return nil, nil, err
	}
	page, q, err := s.listContactPage(ctx, p, r, scope, within)
	if err != nil || len(r.Expand) == 0 {
		return page, q, err
	}
	page.extras, err = s.expandContacts(ctx, p, page.Data, r.Expand)
	return page, q, err
}

func (s *Service) listContactPage(ctx context.Context, p Principal, r ContactListRequest, scope string, within filter.Node) (*Page[*Contact], *ContactQuery, error) {
	terms := SearchTokens(r.Q)
	rank := len(terms) > 0 && strings.TrimSpace(r.Sort) == ""
	scope += "\x00" + strings.Join(terms, " ") + "\x00" + strconv.FormatBool(r.IncludeDeleted)
	l, err := startList(ctx, s, p, contactList, r.ListParams, scope, rank)
	if err != nil {
		return nil, nil, err
	}
	if len(terms) == 0 && strings.TrimSpace(r.Q) != "" {
		// A query with nothing searchable in it (punctuation alone)
		// matches nothing, rather than everything.
		page, err := finishList(ctx, s, p, contactList, l, []*Contact{}, func(int) (int, error) { return 0, nil })
		return page, nil, err
	}
	q := ContactQuery{Query: l.query(p.TenantID, contactTimes), Terms: terms, Rank: rank, IncludeDeleted: r.IncludeDeleted}
	if within != nil {
		q.Filter = and(within, q.Filter)
	}
	if q.Filter, err = s.expandSegments(ctx, p, q.Filter, r.at("filter")); err != nil {
		return nil, nil, err
	}
	data, total, err := s.store.ListContacts(ctx, q)
	if err != nil {
		return nil, nil, err
	}
	page, err := finishList(ctx, s, p, contactList, l, data, func(upTo int) (int, error) {
		if total >= 0 {
			return total, nil
		}
		cq := q
		cq.CountUpTo = upTo
		return s.store.CountContacts(ctx, cq)
	})
	return page, &q, err
}

// and is the conjunction of a condition and a filter (nil for none).
func and(c, n filter.Node) filter.Node {
	if n == nil {
		return c
	}
	return &filter.And{Nodes: []filter.Node{c, n}}
}

// fieldCond is the condition "field equals v" of a contact filter.
func fieldCond(name, v string) *filter.Cond {
	f, _ := ContactFilter.Field(name)
	return &filter.Cond{Field: f, Op: filter.OpEq, Value: v}
}
