package contactd

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/contactd/contactd/internal/filter"
)

// The list toolkit: every list of contactd (contacts, accounts, tags,
// segments, tokens, the change feed and a contact's history) takes its
// parameters as ListParams, answers a Page, pages with one cursor codec,
// sorts with one sort parser and projects with one projection. A resource
// describes its list once, as a listKind.

// Page limits of every list.
const (
	DefaultLimit = 50
	MaxLimit     = 1000
	maxPage      = 1_000_000
)

// ListParams are the parameters every list takes; a resource's list request
// embeds them. Lists without a filter or a sort refuse those parameters.
type ListParams struct {
	// Filter is a JSON filter document in the resource's filter schema.
	Filter []byte
	// Sort is a comma-separated list of fields, each optionally prefixed
	// with "-" for descending order; id breaks ties.
	Sort string
	// Limit is the page size (default 50, at most 1000).
	Limit int
	// Cursor continues a previous page; Page (1-based) is the alternative
	// for simple user interfaces, on lists that sort.
	Cursor string
	Page   int
	// NoCount skips the total; ExactCount counts past the bound of a
	// list whose total is bounded (see Page.TotalIsLowerBound).
	NoCount, ExactCount bool
	// Fields lists the top-level fields to return (and id); nil for all.
	Fields []string
	// In says where the parameters came from, for the locations of errors:
	// "query" (the default) or "body".
	In string
}

// at locates parameter name: "query.limit".
func (lp ListParams) at(name string) string { return cmp.Or(lp.In, "query") + "." + name }

// Page is one page of a list.
type Page[T any] struct {
	Data []T `json:"data"`
	// NextCursor continues after this page; nil on the last page, except
	// in the change feed, whose pages always carry one to poll with.
	NextCursor *string `json:"nextCursor" doc:"Continues after this page: pass it as cursor. Null on the last page, except in the change feed, where every page has one to poll with."`
	// Total counts every item of the list; nil with NoCount. On a list
	// whose count is bounded, more items than the bound make Total the
	// bound and TotalIsLowerBound true, unless ExactCount.
	Total             *int `json:"total,omitempty" doc:"How many items the list has; absent with count=false. Contact and account lists count exactly up to 1000 items: past that, total is 1000 and totalIsLowerBound is true, unless count=exact."`
	TotalIsLowerBound bool `json:"totalIsLowerBound,omitempty" doc:"Present and true when the list has more items than total says (count=exact counts them all)."`
	Limit             int  `json:"limit"`
	// fields projects the items when marshalled (ListParams.Fields).
	fields []string
	// extras holds each item's expanded objects (nil: none asked).
	extras []map[string]any
}

// ItemJSON is item i's JSON as MarshalJSON writes it in the page
// (projected to the requested fields). An item that marshals itself is
// asked directly: json.Marshal would check and compact what it returns, a
// fifth of an export's time, and this package's marshallers return compact
// JSON from json.Marshal already.
func (p Page[T]) ItemJSON(i int) ([]byte, error) {
	if p.fields == nil && p.extras == nil {
		if m, ok := any(p.Data[i]).(json.Marshaler); ok {
			return m.MarshalJSON()
		}
		return json.Marshal(p.Data[i])
	}
	m, err := Project(p.Data[i], p.fields, p.extra(i))
	if err != nil {
		return nil, err
	}
	return json.Marshal(m)
}

// extra returns item i's expanded objects, nil for none.
func (p Page[T]) extra(i int) map[string]any {
	if p.extras == nil {
		return nil
	}
	return p.extras[i]
}

// MarshalJSON writes the page, with each item projected to the requested
// fields.
func (p Page[T]) MarshalJSON() ([]byte, error) {
	type plain Page[T]
	if p.fields == nil && p.extras == nil {
		return json.Marshal(plain(p))
	}
	data := make([]map[string]json.RawMessage, len(p.Data))
	for i, item := range p.Data {
		m, err := Project(item, p.fields, p.extra(i))
		if err != nil {
			return nil, err
		}
		data[i] = m
	}
	return json.Marshal(struct {
		Data       []map[string]json.RawMessage `json:"data"`
		NextCursor *string                      `json:"nextCursor"`
		Total      *int                         `json:"total,omitempty"`
		LowerBound bool                         `json:"totalIsLowerBound,omitempty"`
		Limit      int                          `json:"limit"`
	}{data, p.NextCursor, p.Total, p.TotalIsLowerBound, p.Limit})
}

// Project returns the JSON members of v (a struct marshalling to a JSON
// object) named in fields, and its id; nil fields keep them all. A named
// member v omits is null. The members of extra (expanded objects) are
// added.
func Project(v any, fields []string, extra map[string]any) (map[string]json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, err
	}
	out := all
	if fields != nil {
		out = map[string]json.RawMessage{"id": all["id"]}
		for _, f := range fields {
			if v, ok := all[f]; ok {
				out[f] = v
			} else {
				out[f] = json.RawMessage("null")
			}
		}
	}
	for k, x := range extra {
		if out[k], err = json.Marshal(x); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CheckFields checks the fields a client asks of an object like v (see
// Project): EInvalid at loc for a field v does not have.
func CheckFields(v any, fields []string, loc string) error {
	return checkFields(jsonFields(reflect.TypeOf(v)), fields, loc)
}

func checkFields(known map[string]bool, fields []string, loc string) error {
	for _, f := range fields {
		if !known[f] {
			return &Error{Code: EInvalid, Message: loc + ": unknown field " + strconv.Quote(f),
				Fields: []FieldError{{Location: loc, Message: "unknown field " + strconv.Quote(f), Value: f}}}
		}
	}
	return nil
}

// jsonFields returns the JSON member names of a struct type's fields, the
// names a projection may ask for.
func jsonFields(t reflect.Type) map[string]bool {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	out := map[string]bool{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if f.IsExported() && name != "" && name != "-" {
			out[name] = true
		}
	}
	return out
}

// SortKey orders a list by one field.
type SortKey struct {
	Field string
	Desc  bool
}

// Query selects one page of a list, as a store reads it: the domain's
// description of the page, which each store compiles for its database.
type Query struct {
	TenantID string
	// Filter is a parsed filter in the resource's schema; nil for none.
	Filter filter.Node
	// Sort ends with the resource's unique key (id) in the direction of
	// the last key. After holds the previous page's last values of the
	// sort keys (strings, or time.Time for times), nil on the first page.
	Sort  []SortKey
	After []any
	// Offset skips rows (page numbers, ranked searches); Limit bounds them.
	Offset, Limit int
	// CountUpTo, when not 0, lets a count stop at that many rows.
	CountUpTo int
}

// listKind describes one resource's list to the toolkit.
type listKind[T any] struct {
	// name names the list in cursors and errors ("contacts").
	name string
	// sortable lists the fields a sort parameter may name, in the order
	// errors list them; nil for a list in a fixed order (fixed), which
	// takes no sort and no page number.
	sortable []string
	// sortsJSON, when set, lets a sort name <json field>.<path> of the
	// list's filter schema (properties.tier): see PropertySortKeys.
	sortsJSON bool
	fixed     []SortKey
	// times are the sort fields holding timestamps.
	times map[string]bool
	// value is an item's value of a sort field, as a cursor keeps it.
	value func(item T, field string) string
	// always gives every page a cursor, the last page included (a feed
	// to poll); start is the position of an empty feed.
	always bool
	start  []string
	// fields are the fields a projection may name.
	fields map[string]bool
	// schema is the filter schema; nil for a list that takes no filter.
	schema *filter.Schema
	// countBound, when not 0, bounds the count of a list that may be large
	// (see Page.TotalIsLowerBound).
	countBound int
}

// CountBound is how many items of a large list (contacts, accounts) are
// counted for its total unless the client asks for an exact count: an
// exact count visits every item, which a page of a large list must not
// wait for.
const CountBound = 1000

// listing is one list request on its way through the toolkit.
type listing struct {
	params   ListParams
	scope    string // binds cursors to the list and its query
	sortSpec string
	keys     []SortKey
	limit    int
	offset   int
	after    []string // the cursor's position, nil at the start
	rank     bool     // ordered by relevance: the cursor holds an offset
	filter   filter.Node
}

// limit is the page size the parameters ask for, checked.
func (lp ListParams) limit() (int, error) {
	switch {
	case lp.Limit == 0:
		return DefaultLimit, nil
	case lp.Limit < 1 || lp.Limit > MaxLimit:
		return 0, invalidField(lp.at("limit"), "must be between 1 and %d", MaxLimit)
	}
	return lp.Limit, nil
}

// startList checks the filter, paging, sort and projection parameters of
// a list request and decodes its cursor. scope identifies the list and its query
// (filter, search, …), so that a cursor only continues the list it was
// made for; rank says the list is ordered by relevance (no sort given).
func startList[T any](ctx context.Context, s *Service, p Principal, k *listKind[T], lp ListParams, scope string, rank bool) (*listing, error) {
	l := &listing{params: lp, scope: k.name + "\x00" + compactJSON(lp.Filter) + "\x00" + scope, rank: rank}
	var err error
	if l.limit, err = lp.limit(); err != nil {
		return nil, err
	}
	if err := checkFields(k.fields, lp.Fields, lp.at("fields")); err != nil {
		return nil, err
	}
	if k.schema == nil && len(bytes.TrimSpace(lp.Filter)) > 0 {
		return nil, invalidField(lp.at("filter"), "%s take no filter", k.name)
	}
	if l.filter, err = parseFilter(k.schema, lp.Filter, lp.at("filter"), p.Region); err != nil {
		return nil, err
	}
	l.sortSpec = strings.TrimSpace(lp.Sort)
	if k.sortable == nil {
		if l.sortSpec != "" {
			return nil, invalidField(lp.at("sort"), "%s are listed in a fixed order", k.name)
		}
		l.keys = k.fixed
	} else {
		var paths *filter.Schema
		if k.sortsJSON {
			paths = k.schema
		}
		if l.keys, err = parseSort(l.sortSpec, lp.at("sort"), k.name, k.sortable, paths); err != nil {
			return nil, err
		}
	}
	switch {
	case lp.Cursor != "" && lp.Page != 0:
		return nil, invalidField(lp.at("page"), "give either cursor or page, not both")
	case lp.Page != 0 && k.sortable == nil:
		return nil, invalidField(lp.at("page"), "%s are paged with cursors only", k.name)
	case lp.Page < 0 || lp.Page > maxPage:
		return nil, invalidField(lp.at("page"), "must be a page number from 1")
	case lp.Page > 0:
		l.offset = (lp.Page - 1) * l.limit
	case lp.Cursor != "":
		pos, err := s.decodeCursor(ctx, p, l.scope, lp.Cursor)
		if err != nil && err != errBadCursor {
			return nil, err
		}
		if err != nil {
			return nil, cursorProblem(lp.at("cursor"), "is not a cursor of this list (it was changed, or made for another list, query or tenant); start again without a cursor")
		}
		if pos.Sort != l.sortSpec {
			return nil, cursorProblem(lp.at("cursor"), "was made for another sort order; start again without a cursor")
		}
		if !l.valid(pos, k.times) {
			return nil, cursorProblem(lp.at("cursor"), "is not a cursor of this list; start again without a cursor")
		}
		l.offset, l.after = pos.Offset, pos.Values
	}
	if l.after == nil && k.always {
		l.after = k.start
	}
	return l, nil
}

func cursorProblem(loc, msg string) error {
	return &Error{Code: EInvalid, Message: loc + ": " + msg, Fields: []FieldError{{Location: loc, Message: msg}}}
}

// valid reports whether a decoded position fits the list's order.
func (l *listing) valid(pos cursorPos, times map[string]bool) bool {
	if l.rank {
		return pos.Offset >= 0 && len(pos.Values) == 0
	}
	if pos.Offset != 0 || len(pos.Values) != len(l.keys) {
		return false
	}
	for i, k := range l.keys {
		if _, err := time.Parse(time.RFC3339Nano, pos.Values[i]); times[k.Field] && err != nil {
			return false
		}
	}
	return true
}

// afterValues returns the cursor's position as typed sort values (times
// parsed), nil at the start and in a ranked list.
func (l *listing) afterValues(times map[string]bool) []any {
	if l.after == nil || l.rank {
		return nil
	}
	out := make([]any, len(l.after))
	for i, k := range l.keys {
		if times[k.Field] {
			t, _ := time.Parse(time.RFC3339Nano, l.after[i])
			out[i] = t
		} else if strings.Contains(k.Field, "#") {
			out[i] = propertySortArg(k.Field, l.after[i])
		} else {
			out[i] = l.after[i]
		}
	}
	return out
}

// query returns the store query of the page, asking one row more than
// the page so that finishList can tell whether another page follows.
func (l *listing) query(tenantID string, times map[string]bool) Query {
	return Query{TenantID: tenantID, Filter: l.filter, Sort: l.keys, After: l.afterValues(times), Offset: l.offset, Limit: l.limit + 1}
}

// finishList makes the page of what the store returned for l.query:
// trimmed to the limit, with the cursor after its last item and, unless
// NoCount, the total from count, which counts up to its argument items
// (0: all of them).
func finishList[T any](ctx context.Context, s *Service, p Principal, k *listKind[T], l *listing, data []T, count func(upTo int) (int, error)) (*Page[T], error) {
	more := len(data) > l.limit
	if more {
		data = data[:l.limit]
	}
	if data == nil {
		data = []T{}
	}
	page := &Page[T]{Data: data, Limit: l.limit, fields: l.params.Fields}
	var next *cursorPos
	switch {
	case l.params.Page != 0:
		// Paged by number: the client asks for the next number.
	case l.rank && more:
		next = &cursorPos{Sort: l.sortSpec, Offset: l.offset + len(data)}
	case more || k.always && len(data) > 0:
		last := data[len(data)-1]
		vs := make([]string, len(l.keys))
		for i, key := range l.keys {
			vs[i] = k.value(last, key.Field)
		}
		next = &cursorPos{Sort: l.sortSpec, Values: vs}
	case k.always:
		next = &cursorPos{Sort: l.sortSpec, Values: l.after}
	}
	if next != nil {
		c, err := s.encodeCursor(ctx, p, l.scope, *next)
		if err != nil {
			return nil, err
		}
		page.NextCursor = &c
	}
	if !l.params.NoCount && count != nil {
		bound := k.countBound
		if l.params.ExactCount {
			bound = 0
		}
		upTo := 0
		if bound > 0 {
			upTo = bound + 1
		}
		n := len(data) // a first page that holds the whole list counts itself
		if more || l.offset > 0 || l.after != nil {
			var err error
			if n, err = count(upTo); err != nil {
				return nil, err
			}
		}
		if bound > 0 && n > bound {
			n, page.TotalIsLowerBound = bound, true
		}
		page.Total = &n
	}
	return page, nil
}

// parseSort parses a sort parameter ("-updatedAt,lastName") against a
// list's sortable fields and appends id as the tie-break; what names the
// list in errors.
func parseSort(spec, loc, what string, sortable []string, paths *filter.Schema) ([]SortKey, error) {
	var keys []SortKey
	seen := map[string]bool{}
	if spec != "" {
		for _, part := range strings.Split(spec, ",") {
			part = strings.TrimSpace(part)
			k := SortKey{Field: strings.TrimPrefix(strings.TrimPrefix(part, "-"), "+")}
			k.Desc = strings.HasPrefix(part, "-")
			if seen[k.Field] {
				return nil, invalidField(loc, "%q is given twice", k.Field)
			}
			seen[k.Field] = true
			if paths != nil && strings.Contains(k.Field, ".") && !slices.Contains(sortable, k.Field) {
				if _, _, err := paths.JSONPath(k.Field); err != nil {
					return nil, invalidField(loc, "cannot sort %s by %q: %v", what, part, err)
				}
				keys = append(keys, PropertySortKeys(k.Field, k.Desc)...)
				continue
			}
			if !slices.Contains(sortable, k.Field) {
				more := ""
				if paths != nil {
					more = ", properties.<path>"
				}
				return nil, invalidField(loc, "cannot sort %s by %q (sortable: %s%s)", what, part, strings.Join(sortable, ", "), more)
			}
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
		keys = append(keys, SortKey{Field: "id", Desc: desc})
	}
	return keys, nil
}

// Sorting by a custom field. A sort by properties.<path> orders numbers
// first (by value), then strings (bytewise), then everything else
// (booleans, null, objects, arrays, and contacts without the property),
// ties broken by id; descending reverses it all. Stores read it as three
// keys, each named <path>#<part>: the rank of the value's type, its
// number (0 unless a number), its text (empty unless a string).
const (
	propRank   = "#rank"
	propNumber = "#number"
	propText   = "#text"
)

// PropertySortKeys are the keys of a sort by properties.<path>.
func PropertySortKeys(path string, desc bool) []SortKey {
	return []SortKey{{Field: path + propRank, Desc: desc}, {Field: path + propNumber, Desc: desc}, {Field: path + propText, Desc: desc}}
}

// PropertySortPart splits a sort field made by PropertySortKeys into its
// path and part ("rank", "number" or "text"); ok is false for any other
// field.
func PropertySortPart(field string) (path []string, part string, ok bool) {
	key, part, ok := strings.Cut(field, "#")
	if !ok {
		return nil, "", false
	}
	_, rest, _ := strings.Cut(key, ".")
	return strings.Split(rest, "."), part, true
}

// propertySortValue is a contact's value of a sort field made by
// PropertySortKeys, as a cursor keeps it.
func propertySortValue(props json.RawMessage, field string) string {
	path, part, _ := PropertySortPart(field)
	var v any = nil
	var m map[string]any
	if len(props) > 0 && unmarshalNumbers(props, &m) == nil {
		v = m
		for _, seg := range path {
			obj, ok := v.(map[string]any)
			if !ok {
				v = nil
				break
			}
			v = obj[seg]
		}
	}
	rank, num, text := "2", "0", ""
	switch x := v.(type) {
	case json.Number:
		if f, err := strconv.ParseFloat(string(x), 64); err == nil {
			rank, num = "0", strconv.FormatFloat(f, 'g', -1, 64)
		}
	case string:
		rank, text = "1", x
	}
	switch part {
	case "rank":
		return rank
	case "number":
		return num
	}
	return text
}

// propertySortArg converts a cursor's value of a property sort part to
// the type its column compares with.
func propertySortArg(field, v string) any {
	switch _, part, _ := PropertySortPart(field); part {
	case "rank":
		n, _ := strconv.Atoi(v)
		return n
	case "number":
		f, _ := strconv.ParseFloat(v, 64)
		return f
	}
	return v
}

// timeValue is how a cursor keeps a timestamp sort value.
func timeValue(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// parseFilter parses a list's filter document in a schema, locating
// problems under loc. An absent filter is nil.
func parseFilter(schema *filter.Schema, doc []byte, loc, region string) (filter.Node, error) {
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil, nil
	}
	n, err := schema.Parse(doc, filter.Options{Region: region})
	if err != nil {
		return nil, filterProblem(err, loc)
	}
	return n, nil
}

// filterProblem locates a filter error (a parse error, or a problem with
// the sets it names) under loc.
func filterProblem(err error, loc string) error {
	fe, ok := err.(*filter.Error)
	if !ok {
		return err
	}
	if fe.Path != "" {
		loc = join(loc, fe.Path)
	}
	return invalidField(loc, "%s", fe.Message)
}

// compactJSON returns doc without insignificant white space (doc itself
// when it is not valid JSON), so that a list's cursor does not depend on
// how its filter was spaced.
func compactJSON(doc []byte) string {
	var b bytes.Buffer
	if json.Compact(&b, doc) != nil {
		return string(doc)
	}
	return b.String()
}
