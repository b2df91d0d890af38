package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/contactd/contactd"
)

// searchBody is the body of POST /v1/contacts/search: the list parameters,
// with the filter as a JSON object.
type searchBody struct {
	Q              string          `json:"q,omitempty" doc:"Full-text query."`
	Filter         json.RawMessage `json:"filter,omitempty" doc:"A filter document (see GET /v1/contacts)."`
	Sort           string          `json:"sort,omitempty" doc:"Comma-separated sort fields, - for descending."`
	Limit          int             `json:"limit,omitempty" doc:"Page size, 1 to 1000 (default 50)."`
	Cursor         string          `json:"cursor,omitempty" doc:"The nextCursor of the previous page."`
	Page           int             `json:"page,omitempty" doc:"1-based page number, instead of a cursor."`
	Count          *bool           `json:"count,omitempty" doc:"false skips the total."`
	IncludeDeleted bool            `json:"includeDeleted,omitempty" doc:"Include soft-deleted contacts."`
	Fields         []string        `json:"fields,omitempty" doc:"Top-level fields to return (id is always returned)."`
}

// contactList is the documented shape of a list page.
type contactList struct {
	Data       []contactd.Contact `json:"data"`
	NextCursor *string            `json:"nextCursor" doc:"Continues after this page; null on the last page."`
	Total      int                `json:"total,omitempty" doc:"How many contacts the list has; absent with count=false."`
	Limit      int                `json:"limit"`
}

// lookupResult is the documented shape of a lookup answer.
type lookupResult struct {
	Match string       `json:"match" doc:"exact (one contact), ambiguous (several) or none."`
	Data  []lookupItem `json:"data" doc:"Best match first: primary-phone matches, then the most recently updated."`
}

type lookupItem struct {
	contactd.Contact
	MatchedEntries []string `json:"matchedEntries" doc:"Ids of the phones or emails that matched."`
}

var listParams = []param{
	{In: "query", Name: "q", Type: "string", Doc: "Full-text query: case- and accent-insensitive; every token prefix-matches names, company, emails or any 3+ consecutive digits of a phone number. Without sort, results are ranked."},
	{In: "query", Name: "filter", Type: "string", Doc: "A JSON filter document, e.g. {\"tags\":{\"$in\":[\"vip\"]},\"properties.tier\":{\"$gte\":2}}. Fields: id kind contactType firstName lastName displayName company department jobTitle status source ownerId accountId externalId tags segments phones emails doNotCall emailOptOut smsOptOut blocked unknown createdAt updatedAt deletedAt address.country address.city address.state address.postalCode properties.<path>. Operators: $eq $ne $in $nin $exists $gt $gte $lt $lte $prefix $contains $all $and $or $not."},
	{In: "query", Name: "sort", Type: "string", Doc: "Comma-separated fields, - for descending, e.g. -updatedAt,lastName; id breaks ties, in the direction of the last field. Sortable: id displayName firstName lastName company department jobTitle status ownerId kind createdAt updatedAt."},
	limitParam,
	{In: "query", Name: "cursor", Type: "string", Doc: "The nextCursor of the previous page."},
	{In: "query", Name: "page", Type: "integer", Doc: "1-based page number, for simple user interfaces (instead of cursor)."},
	{In: "query", Name: "count", Type: "boolean", Doc: "false skips the total."},
	{In: "query", Name: "includeDeleted", Type: "boolean", Doc: "Include soft-deleted contacts."},
	fieldsParam,
}

func (s *Server) listContacts(c *call) (*reply, error) {
	return s.contactList(c, s.svc.ListContacts)
}

// contactList answers a contact list read from the query parameters of
// the request: GET /v1/contacts and the contacts of an account or segment.
func (s *Server) contactList(c *call, fetch func(context.Context, contactd.Principal, contactd.ListRequest) (*contactd.ContactPage, error)) (*reply, error) {
	req, fields, err := listRequest(c.r.URL.Query())
	if err != nil {
		return nil, err
	}
	page, err := fetch(c.r.Context(), c.p, req)
	if err != nil {
		return nil, err
	}
	return pageReply(page, fields), nil
}

// listRequest reads the list parameters of a query string.
func listRequest(q url.Values) (contactd.ListRequest, []string, error) {
	req := contactd.ListRequest{Q: q.Get("q"), Sort: q.Get("sort"), Cursor: q.Get("cursor"), ParamLocation: "query"}
	if f := q.Get("filter"); f != "" {
		req.Filter = []byte(f)
	}
	var err error
	if req.Limit, err = intParam(q, "limit"); err != nil {
		return req, nil, err
	}
	if req.Page, err = pageParam(q); err != nil {
		return req, nil, err
	}
	if req.NoCount, err = noCount(q); err != nil {
		return req, nil, err
	}
	if req.IncludeDeleted, err = boolParam(q, "includeDeleted"); err != nil {
		return req, nil, err
	}
	fields, err := fieldsParamValue(q)
	return req, fields, err
}

// noCount reads count=false.
func noCount(q url.Values) (bool, error) {
	if q.Get("count") == "" {
		return false, nil
	}
	count, err := boolParam(q, "count")
	return !count, err
}

func (s *Server) searchContacts(c *call) (*reply, error) {
	body, err := decodeSearch(c.body)
	if err != nil {
		return nil, err
	}
	req := contactd.ListRequest{Q: body.Q, Sort: body.Sort, Cursor: body.Cursor, Limit: body.Limit, Page: body.Page,
		IncludeDeleted: body.IncludeDeleted, ParamLocation: "body"}
	if len(body.Filter) > 0 && string(body.Filter) != "null" {
		req.Filter = body.Filter
	}
	req.NoCount = body.Count != nil && !*body.Count
	fields, err := fieldsParamValue(url.Values{"fields": {strings.Join(body.Fields, ",")}})
	if err != nil {
		return nil, relocateQuery(err, "body.fields")
	}
	return s.list(c, req, fields)
}

func (s *Server) list(c *call, req contactd.ListRequest, fields []string) (*reply, error) {
	page, err := s.svc.ListContacts(c.r.Context(), c.p, req)
	if err != nil {
		return nil, err
	}
	return pageReply(page, fields), nil
}

// pageReply renders a page of contacts, projected to fields when given.
func pageReply(page *contactd.ContactPage, fields []string) *reply {
	if fields == nil {
		return &reply{status: http.StatusOK, body: page}
	}
	data := make([]map[string]json.RawMessage, len(page.Data))
	for i, ct := range page.Data {
		data[i] = project(ct, fields)
	}
	return &reply{status: http.StatusOK, body: struct {
		Data       []map[string]json.RawMessage `json:"data"`
		NextCursor *string                      `json:"nextCursor"`
		Total      *int                         `json:"total,omitempty"`
		Limit      int                          `json:"limit"`
	}{data, page.NextCursor, page.Total, page.Limit}}
}

// decodeSearch decodes a search body strictly, naming unknown or mistyped fields.
func decodeSearch(b []byte) (searchBody, error) {
	var body searchBody
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return body, errStatus(http.StatusBadRequest, "invalid", "body: must be a JSON object",
			contactd.FieldError{Location: "body", Message: "must be a JSON object"})
	}
	targets := map[string]any{"q": &body.Q, "filter": &body.Filter, "sort": &body.Sort, "limit": &body.Limit,
		"cursor": &body.Cursor, "page": &body.Page, "count": &body.Count, "includeDeleted": &body.IncludeDeleted, "fields": &body.Fields}
	var fes []contactd.FieldError
	for k, v := range m {
		t, ok := targets[k]
		switch {
		case !ok:
			fes = append(fes, contactd.FieldError{Location: "body." + k, Message: "unknown field"})
		case k == "filter":
			if s := bytes.TrimSpace(v); len(s) > 0 && s[0] != '{' && string(s) != "null" {
				fes = append(fes, contactd.FieldError{Location: "body.filter", Message: "must be a JSON object"})
			} else {
				body.Filter = v
			}
		case json.Unmarshal(v, t) != nil:
			fes = append(fes, contactd.FieldError{Location: "body." + k, Message: "has the wrong type"})
		}
	}
	if len(fes) > 0 {
		return body, errStatus(http.StatusBadRequest, "invalid", fes[0].Location+": "+fes[0].Message, fes...)
	}
	return body, nil
}

// relocateQuery moves the field errors of an HTTP-layer error to loc.
func relocateQuery(err error, loc string) error {
	if he, ok := err.(*httpError); ok {
		for i := range he.fields {
			he.fields[i].Location = loc
		}
		he.detail = loc + strings.TrimPrefix(he.detail, "query.fields")
	}
	return err
}

func pageParam(q url.Values) (int, error) {
	v := q.Get("page")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, errStatus(http.StatusBadRequest, "invalid", "query.page: must be a page number from 1",
			contactd.FieldError{Location: "query.page", Message: "must be a page number from 1", Value: v})
	}
	return n, nil
}

func (s *Server) lookup(c *call) (*reply, error) {
	q := c.r.URL.Query()
	res, err := s.svc.Lookup(c.r.Context(), c.p, contactd.LookupQuery{
		Phone: q.Get("phone"), Email: q.Get("email"), ExternalID: q.Get("externalId"), Region: q.Get("region")})
	if err != nil {
		return nil, err
	}
	b, err := res.AppendJSON(make([]byte, 0, 2048))
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, raw: append(b, '\n'), contentType: "application/json"}, nil
}
