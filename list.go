package contactd

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"

	"github.com/contactd/contactd/internal/filter"
	"github.com/contactd/contactd/internal/sqlq"
)

// ListRequest asks for one page of a tenant's contacts.
type ListRequest struct {
	// Q is a full-text query.
	Q string
	// Filter is a JSON filter document; FilterLocation names where it came
	// from ("query.filter" or "body.filter") for error locations.
	Filter         []byte
	FilterLocation string
	// Sort is a comma-separated list of fields, each optionally prefixed
	// with "-" for descending order; id breaks ties.
	Sort string
	// Limit is the page size (default 50, at most 1000).
	Limit int
	// Cursor continues a previous page; Page (1-based) is the alternative
	// for simple user interfaces.
	Cursor string
	Page   int
	// NoCount skips the total.
	NoCount        bool
	IncludeDeleted bool
	// Prefix of error locations of the other parameters: "query" or "body".
	ParamLocation string
}

// ContactPage is one page of a contact list.
type ContactPage struct {
	Data []*Contact `json:"data"`
	// NextCursor continues after this page; null on the last page.
	NextCursor *string `json:"nextCursor"`
	// Total counts every contact of the list; absent with count=false.
	Total *int `json:"total,omitempty"`
	Limit int  `json:"limit"`
}

// cursor is the decoded form of an opaque list cursor.
type cursor struct {
	Sort   string   `json:"s"`
	Values []string `json:"v,omitempty"`
	Offset int      `json:"o,omitempty"`
}

const maxQueryLen = 256

var timeSortFields = map[string]bool{"createdAt": true, "updatedAt": true}

// ListContacts returns a page of a tenant's contacts: filtered, searched,
// sorted, and paged by keyset cursor (or by page number).
// EInvalid naming the parameter, EForbidden.
func (s *Service) ListContacts(ctx context.Context, p Principal, r ListRequest) (*ContactPage, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	loc := r.ParamLocation
	if loc == "" {
		loc = "query"
	}
	if r.FilterLocation == "" {
		r.FilterLocation = loc + ".filter"
	}
	q := sqlq.ListQuery{TenantID: p.TenantID, IncludeDeleted: r.IncludeDeleted}
	var err error
	if q.Limit, err = checkLimitAt(r.Limit, loc+".limit"); err != nil {
		return nil, err
	}
	if len(r.Filter) > 0 {
		node, err := filter.Parse(r.Filter, filter.Options{Region: p.Region})
		if err != nil {
			fe, _ := err.(*filter.Error)
			if fe == nil {
				return nil, invalidField(r.FilterLocation, "%v", err)
			}
			loc := r.FilterLocation
			if fe.Path != "" {
				loc = join(loc, fe.Path)
			}
			return nil, invalidField(loc, "%s", fe.Message)
		}
		if q.Filter, err = s.resolveSegmentFilter(ctx, p, node, r.FilterLocation); err != nil {
			return nil, err
		}
	}
	if len([]rune(r.Q)) > maxQueryLen {
		return nil, invalidField(loc+".q", "must be at most %d characters", maxQueryLen)
	}
	q.Terms = SearchTokens(r.Q)
	sortSpec := strings.TrimSpace(r.Sort)
	if q.Sort, err = parseSort(sortSpec, loc+".sort"); err != nil {
		return nil, err
	}
	q.Rank = len(q.Terms) > 0 && sortSpec == ""
	switch {
	case r.Cursor != "" && r.Page != 0:
		return nil, invalidField(loc+".page", "give either cursor or page, not both")
	case r.Page < 0 || r.Page > 1_000_000:
		return nil, invalidField(loc+".page", "must be a page number from 1")
	case r.Page > 0:
		q.Offset = (r.Page - 1) * q.Limit
	case r.Cursor != "":
		c, err := decodeCursor(r.Cursor, sortSpec, q.Sort, q.Rank)
		if err != nil {
			return nil, invalidField(loc+".cursor", "%s", err.Error())
		}
		q.Offset = c.Offset
		if !q.Rank {
			q.After = c.values(q.Sort)
		}
	}
	// One row more than the page tells whether another page follows, so
	// that nextCursor is null on the last page even when it is full.
	probe := q
	probe.Limit++
	data, err := s.store.ListContacts(ctx, probe)
	if err != nil {
		return nil, err
	}
	more := len(data) > q.Limit
	if more {
		data = data[:q.Limit]
	}
	if data == nil {
		data = []*Contact{}
	}
	page := &ContactPage{Data: data, Limit: q.Limit}
	if more && r.Page == 0 {
		next := cursor{Sort: sortSpec}
		if q.Rank {
			next.Offset = q.Offset + len(data)
		} else {
			next.Values = sortValues(data[len(data)-1], q.Sort)
		}
		b, _ := json.Marshal(next)
		enc := base64.RawURLEncoding.EncodeToString(b)
		page.NextCursor = &enc
	}
	if !r.NoCount {
		n, err := s.store.CountContacts(ctx, q)
		if err != nil {
			return nil, err
		}
		page.Total = &n
	}
	return page, nil
}

func checkLimitAt(limit int, loc string) (int, error) {
	switch {
	case limit == 0:
		return DefaultLimit, nil
	case limit < 1 || limit > MaxLimit:
		return 0, invalidField(loc, "must be between 1 and %d", MaxLimit)
	}
	return limit, nil
}

// contactSortable names the sortable fields of contacts in errors.
const contactSortable = "id, displayName, firstName, lastName, company, department, jobTitle, status, ownerId, kind, createdAt, updatedAt"

// parseSort parses "-updatedAt,lastName" for contacts.
func parseSort(spec, loc string) ([]sqlq.SortKey, error) {
	return parseSortOf(spec, loc, "contacts", sqlq.SortColumns, contactSortable)
}

// parseSortOf parses a sort parameter against the sortable columns of a
// list and appends id as the tie-break; what and sortable name the list
// and its sortable fields in errors.
func parseSortOf(spec, loc, what string, columns map[string]string, sortable string) ([]sqlq.SortKey, error) {
	var keys []sqlq.SortKey
	seen := map[string]bool{}
	if spec != "" {
		for _, part := range strings.Split(spec, ",") {
			part = strings.TrimSpace(part)
			k := sqlq.SortKey{Field: strings.TrimPrefix(strings.TrimPrefix(part, "-"), "+")}
			k.Desc = strings.HasPrefix(part, "-")
			if _, ok := columns[k.Field]; !ok {
				return nil, invalidField(loc, "cannot sort %s by %q (sortable: %s)", what, part, sortable)
			}
			if seen[k.Field] {
				return nil, invalidField(loc, "%q is given twice", k.Field)
			}
			seen[k.Field] = true
			keys = append(keys, k)
			if k.Field == "id" {
				break // unique: later keys could never apply
			}
		}
	}
	if !seen["id"] {
		// id breaks ties in the direction of the last key, so that an
		// index on (tenant_id, key, id) serves the order whole, read either
		// way, and a page stops reading at its limit.
		desc := len(keys) > 0 && keys[len(keys)-1].Desc
		keys = append(keys, sqlq.SortKey{Field: "id", Desc: desc})
	}
	return keys, nil
}

// sortValues returns a contact's values of the sort keys, as a cursor keeps them.
func sortValues(c *Contact, keys []sqlq.SortKey) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		switch k.Field {
		case "id":
			out[i] = c.ID
		case "displayName":
			out[i] = c.DisplayName
		case "firstName":
			out[i] = c.FirstName
		case "lastName":
			out[i] = c.LastName
		case "company":
			out[i] = c.Company
		case "department":
			out[i] = c.Department
		case "jobTitle":
			out[i] = c.JobTitle
		case "status":
			out[i] = c.Status
		case "ownerId":
			out[i] = c.OwnerID
		case "kind":
			out[i] = c.Kind
		case "createdAt":
			out[i] = c.CreatedAt.UTC().Format(time.RFC3339Nano)
		case "updatedAt":
			out[i] = c.UpdatedAt.UTC().Format(time.RFC3339Nano)
		}
	}
	return out
}

func decodeCursor(s, spec string, keys []sqlq.SortKey, rank bool) (*cursor, error) {
	bad := Errorf(EInvalid, "is not a cursor of this list")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, bad
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, bad
	}
	if c.Sort != spec {
		return nil, Errorf(EInvalid, "was made for another sort order; start again without a cursor")
	}
	if rank {
		if c.Offset < 0 || len(c.Values) > 0 {
			return nil, bad
		}
		return &c, nil
	}
	if len(c.Values) != len(keys) || c.Offset != 0 {
		return nil, bad
	}
	for i, k := range keys {
		if timeSortFields[k.Field] {
			if _, err := time.Parse(time.RFC3339Nano, c.Values[i]); err != nil {
				return nil, bad
			}
		}
	}
	return &c, nil
}

// values converts a cursor's values to the sort keys' types.
func (c *cursor) values(keys []sqlq.SortKey) []any {
	out := make([]any, len(keys))
	for i, k := range keys {
		if timeSortFields[k.Field] {
			t, _ := time.Parse(time.RFC3339Nano, c.Values[i])
			out[i] = t
		} else {
			out[i] = c.Values[i]
		}
	}
	return out
}
