package httpapi

import (
	"bufio"
	"cmp"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/formats"
)

// contactWrite stands for the body of a contact create or replace in the
// OpenAPI document; see contactWriteSchema.
type contactWrite struct{}

// mergePatch stands for a JSON merge patch of a contact.
type mergePatch struct{}

// blockBody is the body of a block request.
type blockBody struct {
	Reason string `json:"reason,omitempty" doc:"Why the contact is blocked (at most 255 characters)."`
}

// searchBody is the body of POST /v1/contacts/search: the list parameters,
// with the filter as a JSON object.
type searchBody struct {
	Q              string          `json:"q,omitempty" doc:"Full-text query."`
	Filter         json.RawMessage `json:"filter,omitempty" doc:"A filter document (see GET /v1/contacts)."`
	Sort           string          `json:"sort,omitempty" doc:"Comma-separated sort fields, - for descending."`
	Limit          int             `json:"limit,omitempty" doc:"Page size, 1 to 1000 (default 50)."`
	Cursor         string          `json:"cursor,omitempty" doc:"The nextCursor of the previous page."`
	Page           int             `json:"page,omitempty" doc:"1-based page number, instead of a cursor."`
	Count          any             `json:"count,omitempty" doc:"true (the default), false (no total) or \"exact\" (see the count parameter of GET /v1/contacts)."`
	IncludeDeleted bool            `json:"includeDeleted,omitempty" doc:"Include soft-deleted contacts."`
	Fields         []string        `json:"fields,omitempty" doc:"Top-level fields to return (id is always returned); account and segments embed those objects."`
	Expand         []string        `json:"expand,omitempty" doc:"Related objects to embed in each contact: account, segments."`
}

// lookupResult is the documented shape of a lookup answer.
type lookupResult struct {
	Match  string       `json:"match" doc:"exact (one contact), ambiguous (several) or none."`
	Data   []lookupItem `json:"data" doc:"Best match first: primary-phone matches, then the most recently updated."`
	Reason string       `json:"reason,omitempty" doc:"Why nothing was looked up: withheld, when the caller withheld the number (anonymous, Restricted, Unavailable, unknown, private, an empty phone)."`
}

type lookupItem struct {
	contactd.Contact
	MatchedEntries []string `json:"matchedEntries" doc:"Ids of the phones, emails or extensions that matched."`
}

var (
	pathID         = param{In: "path", Name: "id", Doc: "The contact id (ct_…).", Type: "string", Required: true}
	pathEmail      = param{In: "path", Name: "email", Doc: "An email address of the contact (case-insensitive).", Type: "string", Required: true}
	pathExternal   = param{In: "path", Name: "externalId", Doc: "The contact's id in an external system.", Type: "string", Required: true}
	ifMatch        = param{In: "header", Name: "If-Match", Doc: "Apply only if the contact's current ETag matches.", Type: "string"}
	expandParamDoc = param{In: "query", Name: "expand", Doc: "Comma-separated related objects to embed: account (the contact's account, or null), segments (the segments it is a member of). fields may name them too.", Type: "string"}
	includeDelete  = param{In: "query", Name: "includeDeleted", Doc: "Return the contact even if it is soft-deleted.", Type: "boolean"}

	contactOK      = []response{{Status: 200, Doc: "The contact.", Body: contactd.Contact{}, Headers: []string{"ETag"}}}
	contactCreated = response{Status: 201, Doc: "The new contact.", Body: contactd.Contact{}, Headers: []string{"ETag", "Location"}}
	contactPage    = []response{{Status: 200, Doc: "A page of contacts.", Body: contactd.Page[*contactd.Contact]{}}}

	// contactListParams are the parameters of every contact list.
	contactListParams = []param{
		{In: "query", Name: "q", Type: "string", Doc: "Full-text query: case- and accent-insensitive; every token prefix-matches names, company, emails or any 3+ consecutive digits of a phone number. Without sort, results are ranked."},
		{In: "query", Name: "filter", Type: "string", Doc: "A JSON filter document, e.g. {\"tags\":{\"$in\":[\"vip\"]},\"properties.tier\":{\"$gte\":2}}. Fields: id kind contactType firstName lastName displayName company department jobTitle status source ownerId accountId externalId tags segments phones emails doNotCall emailOptOut smsOptOut blocked unknown createdAt updatedAt deletedAt address.country address.city address.state address.postalCode properties.<path>, and the directory's and links': extensions (an extension or fully qualified extension) site.id pbx.id location subscription.type links.type links.externalId. Operators: $eq $ne $in $nin $exists $gt $gte $lt $lte $prefix $contains $all $and $or $not."},
		{In: "query", Name: "sort", Type: "string", Doc: "Comma-separated fields, - for descending, e.g. -updatedAt,lastName; id breaks ties, in the direction of the last field. Sortable: id displayName firstName lastName company department jobTitle status ownerId kind createdAt updatedAt extensions (the first) site.id pbx.id location subscription.type, and properties.<path> (numbers first by value, then strings bytewise, then everything else, each group by id)."},
		limitParam, cursorParam, pageNumber, countParam,
		{In: "query", Name: "includeDeleted", Type: "boolean", Doc: "Include soft-deleted contacts."},
		fieldsParam, expandParamDoc,
	}
)

// contactRoutes returns the routes of contacts and their entries.
func (s *Server) contactRoutes() []route {
	entryRoutes := func(list contactd.EntryList, single string, body any) []route {
		sub := param{In: "path", Name: single + "Id", Doc: "The " + single + " entry id.", Type: "string", Required: true}
		base := "/v1/contacts/{id}/" + string(list)
		return []route{
			{Method: "POST", Path: base, ID: "add" + title(single), Tag: "Contact entries", Scope: contactd.ScopeWrite,
				Summary: "Add " + article(single) + " " + single + " to a contact",
				Doc:     "Adds one " + single + "; marking it primary takes over from the previous primary. Answers the whole contact.",
				Params:  []param{pathID, ifMatch, idemKey}, Body: body,
				Responses: []response{{Status: 201, Doc: "The contact with the new entry.", Body: contactd.Contact{}, Headers: []string{"ETag"}}},
				Errors:    []int{404, 409, 412}, serve: s.addEntry(list)},
			{Method: "PATCH", Path: base + "/{" + single + "Id}", ID: "patch" + title(single), Tag: "Contact entries", Scope: contactd.ScopeWrite,
				Summary: "Change one " + single + " of a contact", Doc: "A JSON merge patch of one entry. Answers the whole contact.",
				Params: []param{pathID, sub, ifMatch}, Body: body, BodyType: "application/merge-patch+json",
				Responses: contactOK, Errors: []int{404, 409, 412}, serve: s.patchEntry(list, single+"Id")},
			{Method: "DELETE", Path: base + "/{" + single + "Id}", ID: "delete" + title(single), Tag: "Contact entries", Scope: contactd.ScopeWrite,
				Summary: "Remove one " + single + " from a contact", Doc: "Answers the whole contact.",
				Params: []param{pathID, sub, ifMatch}, Responses: contactOK, Errors: []int{404, 412}, serve: s.deleteEntry(list, single+"Id")},
		}
	}
	rs := []route{
		{Method: "POST", Path: "/v1/contacts", ID: "createContact", Tag: "Contacts", Scope: contactd.ScopeWrite,
			Summary: "Create a contact",
			Doc:     "Creates a contact. Unknown fields are rejected; read-only fields are ignored. `name`, `email` and `phone` are conveniences for the display name and the primary email and phone.",
			Params:  []param{idemKey}, Body: contactWrite{}, Responses: []response{contactCreated}, Errors: []int{409}, serve: s.createContact},
		{Method: "GET", Path: "/v1/contacts/lookup", ID: "lookupContact", Tag: "Contacts", Scope: contactd.ScopeRead,
			Summary: "Identify a caller",
			Doc:     "Who is calling: give exactly one of phone, email, externalId and extension. A phone of digits only that no contact's number matches is looked up as a fully qualified extension (fqExtension). The number may come in any form a phone system hands over (E.164, national with punctuation, 00/011 prefixes, tel: URIs, extensions); it is read with the tenant's default region unless region is given, and matched exactly on E.164. A withheld caller (anonymous, Restricted, Unavailable, unknown, private, sip:anonymous@anonymous.invalid, or an empty phone=) matches nobody: 200 with match none and reason withheld, not an error; other text that is not a number is a 400. Reads the primary store, so a contact written a moment ago is found. Deleted contacts never match; blocked ones do, with their block fields.",
			Params: []param{
				{In: "query", Name: "phone", Type: "string", Doc: "A phone number in any common form."},
				{In: "query", Name: "email", Type: "string", Doc: "An email address (case-insensitive)."},
				{In: "query", Name: "externalId", Type: "string", Doc: "An external (CRM) id."},
				{In: "query", Name: "extension", Type: "string", Doc: "An extension of the phone system (digits): the contacts with it on any PBX, or on pbx."},
				{In: "query", Name: "pbx", Type: "string", Doc: "With extension: the PBX's id (empty: extensions on no PBX)."},
				{In: "query", Name: "region", Type: "string", Doc: "ISO 3166 alpha-2 region for reading a national number, instead of the tenant's default."},
			},
			Responses: []response{{Status: 200, Doc: "The match and the matching contacts, best first.", Body: lookupResult{}}}, serve: s.lookup},
		{Method: "GET", Path: "/v1/contacts", ID: "listContacts", Expensive: true, Tag: "Contacts", Scope: contactd.ScopeRead,
			Summary:   "List, filter and search contacts",
			Doc:       "One page of the tenant's contacts. Page with cursor (keyset: every contact is visited once even while others are added) or page. Strings compare exactly (case-sensitive); tags and emails compare case-insensitively; on lists (tags, phones, emails, segments) $eq means contains; phone values are normalized first; properties compare only with values of the same JSON type.",
			Params:    contactListParams,
			Responses: contactPage, serve: s.listContacts},
		{Method: "GET", Path: "/v1/contacts/export", ID: "exportContacts", Expensive: true, Long: true, Tag: "Contacts", Scope: contactd.ScopeRead,
			Summary: "Export contacts",
			Doc: "Every contact of a list, streamed as newline-delimited JSON (one contact a line, as GET returns it) and read a page at a time, so that any number of contacts is exported in constant memory. " +
				"filter, q, sort and includeDeleted select and order them as for GET /v1/contacts; without sort (and without q, whose results are ranked) they come in id order, in which every contact that exists throughout the export appears exactly once, whatever is written meanwhile. " +
				"A request that is wrong fails with a problem document before the first line; an error later cuts the connection, so a body without its final newline is incomplete.",
			Params:    exportParams,
			Responses: []response{{Status: 200, Doc: "One contact a line.", Raw: "application/x-ndjson"}}, serve: s.exportContacts},
		{Method: "POST", Path: "/v1/contacts/search", ID: "searchContacts", Expensive: true, Tag: "Contacts", Scope: contactd.ScopeRead,
			Summary: "List contacts with the parameters in a JSON body", Doc: "The same as GET /v1/contacts, for long filters.",
			Params: []param{idemKey}, Body: searchBody{},
			Responses: contactPage, serve: s.searchContacts},
		{Method: "GET", Path: "/v1/contacts/{id}", ID: "getContact", Tag: "Contacts", Scope: contactd.ScopeRead,
			Summary: "Get a contact", Params: []param{pathID, fieldsParam, includeDelete, expandParamDoc},
			Responses: contactOK, Errors: []int{404}, serve: s.getContact(byID)},
		{Method: "PATCH", Path: "/v1/contacts/{id}", ID: "patchContact", Tag: "Contacts", Scope: contactd.ScopeWrite,
			Summary: "Change a contact",
			Doc:     "A JSON merge patch (RFC 7386): absent fields are unchanged, null clears a field, arrays are replaced whole. Entries sent with their id keep it.",
			Params:  []param{pathID, ifMatch}, Body: mergePatch{}, BodyType: "application/merge-patch+json",
			Responses: contactOK, Errors: []int{404, 409, 412}, serve: s.patchContact(byID)},
		{Method: "DELETE", Path: "/v1/contacts/{id}", ID: "deleteContact", Tag: "Contacts", Scope: contactd.ScopeDelete,
			Summary: "Delete a contact",
			Doc:     "Soft-deletes the contact (restorable). With `permanent=true` (needs contacts:admin) erases it and its history.",
			Params: []param{pathID, ifMatch, {In: "query", Name: "permanent", Type: "boolean",
				Doc: "Erase the contact and its history for good (needs contacts:admin)."}},
			Responses: noContent, Errors: []int{404, 412}, serve: s.deleteContact(byID)},
		{Method: "POST", Path: "/v1/contacts/{id}/restore", ID: "restoreContact", Tag: "Contacts", Scope: contactd.ScopeWrite,
			Summary: "Restore a deleted contact", Params: []param{pathID, idemKey},
			Responses: contactOK, Errors: []int{404, 409}, serve: s.restoreContact},
		{Method: "GET", Path: "/v1/contacts/by-email/{email}", ID: "getContactByEmail", Tag: "Contacts", Scope: contactd.ScopeRead,
			Summary: "Get a contact by email", Params: []param{pathEmail, fieldsParam, expandParamDoc},
			Responses: contactOK, Errors: []int{404}, serve: s.getContact(byEmail)},
		{Method: "PATCH", Path: "/v1/contacts/by-email/{email}", ID: "patchContactByEmail", Tag: "Contacts", Scope: contactd.ScopeWrite,
			Summary: "Change a contact found by email", Params: []param{pathEmail, ifMatch}, Body: mergePatch{},
			BodyType: "application/merge-patch+json", Responses: contactOK, Errors: []int{404, 409, 412}, serve: s.patchContact(byEmail)},
		{Method: "GET", Path: "/v1/contacts/by-external-id/{externalId}", ID: "getContactByExternalId", Tag: "Contacts", Scope: contactd.ScopeRead,
			Summary: "Get a contact by external id", Params: []param{pathExternal, fieldsParam, expandParamDoc},
			Responses: contactOK, Errors: []int{404}, serve: s.getContact(byExternalID)},
		{Method: "PATCH", Path: "/v1/contacts/by-external-id/{externalId}", ID: "patchContactByExternalId", Tag: "Contacts", Scope: contactd.ScopeWrite,
			Summary: "Change a contact found by external id", Params: []param{pathExternal, ifMatch}, Body: mergePatch{},
			BodyType: "application/merge-patch+json", Responses: contactOK, Errors: []int{404, 409, 412}, serve: s.patchContact(byExternalID)},
		{Method: "PUT", Path: "/v1/contacts/by-external-id/{externalId}", ID: "upsertContactByExternalId", Tag: "Contacts", Scope: contactd.ScopeWrite,
			Summary: "Create or replace a contact by external id",
			Doc:     "Upsert for CRM sync: creates the contact (201) or replaces the live one with this external id (200). Fields absent from the body are cleared.",
			Params:  []param{pathExternal, ifMatch}, Body: contactWrite{},
			Responses: []response{contactOK[0], contactCreated}, Errors: []int{409, 412}, serve: s.upsertContact},
		{Method: "DELETE", Path: "/v1/contacts/by-external-id/{externalId}", ID: "deleteContactByExternalId", Tag: "Contacts", Scope: contactd.ScopeDelete,
			Summary: "Delete a contact by external id", Params: []param{pathExternal, ifMatch, {In: "query", Name: "permanent", Type: "boolean",
				Doc: "Erase the contact and its history for good (needs contacts:admin)."}},
			Responses: noContent, Errors: []int{404, 412}, serve: s.deleteContact(byExternalID)},
		{Method: "POST", Path: "/v1/contacts/{id}/block", ID: "blockContact", Tag: "Contacts", Scope: contactd.ScopeWrite,
			Summary: "Block a contact", Doc: "Marks the contact blocked, so a phone system can reject its calls. The body is optional.",
			Params: []param{pathID, ifMatch, idemKey}, Body: blockBody{}, OptionalBody: true, Responses: contactOK, Errors: []int{404, 412}, serve: s.blockContact},
		{Method: "DELETE", Path: "/v1/contacts/{id}/block", ID: "unblockContact", Tag: "Contacts", Scope: contactd.ScopeWrite,
			Summary: "Unblock a contact", Params: []param{pathID, ifMatch}, Responses: contactOK, Errors: []int{404, 412}, serve: s.unblockContact},
	}
	rs = append(rs, entryRoutes(contactd.PhonesList, "phone", contactd.Phone{})...)
	rs = append(rs, entryRoutes(contactd.EmailsList, "email", contactd.Email{})...)
	return append(rs, entryRoutes(contactd.AddressesList, "address", contactd.Address{})...)
}

func (s *Server) listContacts(c *call) (*reply, error) {
	r, err := contactListRequest(c)
	if err != nil {
		return nil, err
	}
	return pageReply(s.svc.ListContacts(c.r.Context(), c.p, r))
}

// exportParams are the parameters of an export: a list's selection and
// order, and the format.
var exportParams = append(paramsNamed(contactListParams, "q", "filter", "sort", "includeDeleted", "fields"),
	param{In: "query", Name: "format", Type: "string", Enum: exportFormats, Doc: "The file format: ndjson (the default: every field, as GET returns it), csv (Google Contacts' layout, which Google Contacts and contactd import) or vcard."},
	param{In: "query", Name: "version", Type: "string", Enum: []string{"4.0", "3.0"}, Doc: "vcard: the vCard version (default 4.0; 3.0 for older clients)."})

var exportFormats = []string{"ndjson", "csv", "vcard"}

// paramsNamed returns the parameters of ps with the given names, in that
// order.
func paramsNamed(ps []param, names ...string) []param {
	out := make([]param, 0, len(names))
	for _, n := range names {
		i := slices.IndexFunc(ps, func(p param) bool { return p.Name == n })
		if i < 0 {
			panic("httpapi: no parameter " + n)
		}
		out = append(out, ps[i])
	}
	return out
}

func (s *Server) exportContacts(c *call) (*reply, error) {
	q := c.r.URL.Query()
	format, version := cmp.Or(q.Get("format"), "ndjson"), q.Get("version")
	bad := badQuery
	switch {
	case !slices.Contains(exportFormats, format):
		return nil, bad("format", "must be one of ndjson, csv, vcard", format)
	case version != "" && format != "vcard":
		return nil, bad("version", "applies to format=vcard only", version)
	case version != "" && version != "4.0" && version != "3.0":
		return nil, bad("version", "must be 4.0 or 3.0", version)
	case q.Get("fields") != "" && format != "ndjson":
		return nil, bad("fields", "applies to format=ndjson only: CSV and vCard have their own columns and properties", q.Get("fields"))
	}
	r, err := contactListRequest(c)
	if err != nil {
		return nil, err
	}
	ctx := c.r.Context()
	exp, err := s.svc.ExportContacts(ctx, c.p, r)
	if err != nil {
		return nil, err
	}
	switch format {
	case "csv":
		return &reply{status: http.StatusOK, contentType: "text/csv; charset=utf-8", stream: func(w io.Writer) error {
			cw, err := formats.NewCSVWriter(w)
			if err != nil {
				return err
			}
			if _, err := exp.Each(ctx, cw.Write); err != nil {
				return err
			}
			return cw.Flush()
		}}, nil
	case "vcard":
		version = cmp.Or(version, "4.0")
		return &reply{status: http.StatusOK, contentType: "text/vcard; charset=utf-8", stream: func(w io.Writer) error {
			bw := bufio.NewWriterSize(w, 32<<10)
			if _, err := exp.Each(ctx, func(ct *contactd.Contact) error {
				photo, err := exp.Photo(ctx, ct)
				if err != nil {
					return err
				}
				return formats.WriteVCard(bw, ct, version, photo)
			}); err != nil {
				return err
			}
			return bw.Flush()
		}}, nil
	}
	return &reply{status: http.StatusOK, contentType: "application/x-ndjson", stream: func(w io.Writer) error {
		_, err := exp.WriteNDJSON(ctx, w)
		return err
	}}, nil
}

// contactListRequest reads the parameters of a contact list.
func contactListRequest(c *call) (contactd.ContactListRequest, error) {
	lp, err := listParams(c)
	if err != nil {
		return contactd.ContactListRequest{}, err
	}
	q := c.r.URL.Query()
	r := contactd.ContactListRequest{ListParams: lp, Q: q.Get("q"), Expand: expandParam(q)}
	r.IncludeDeleted, err = boolParam(q, "includeDeleted")
	return r, err
}

func (s *Server) searchContacts(c *call) (*reply, error) {
	r, err := contactd.DecodeContactSearch(c.body)
	if err != nil {
		return nil, err
	}
	return pageReply(s.svc.ListContacts(c.r.Context(), c.p, *r))
}

func (s *Server) lookup(c *call) (*reply, error) {
	q := c.r.URL.Query()
	res, err := s.svc.Lookup(c.r.Context(), c.p, contactd.LookupQuery{
		Phone: q.Get("phone"), Email: q.Get("email"), ExternalID: q.Get("externalId"), Region: q.Get("region"), PhoneSent: q.Has("phone"),
		Extension: q.Get("extension"), PBX: q.Get("pbx"), PBXSent: q.Has("pbx")})
	if err != nil {
		return nil, err
	}
	b, err := res.AppendJSON(make([]byte, 0, 2048))
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, raw: append(b, '\n'), contentType: "application/json"}, nil
}

// selectorFunc builds the contact selector of a request from its path.
type selectorFunc func(*call) contactd.Selector

func byID(c *call) contactd.Selector { return contactd.Selector{ID: c.path("id")} }

func byEmail(c *call) contactd.Selector {
	return contactd.Selector{Email: unescape(c.path("email"))}
}

func byExternalID(c *call) contactd.Selector {
	return contactd.Selector{ExternalID: unescape(c.path("externalId"))}
}

// unescape decodes a path segment that chi left escaped (a "/" sent as %2F).
func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

func contactReply(status int, ct *contactd.Contact) *reply {
	return &reply{status: status, body: ct, etag: ct.ETag()}
}

func (s *Server) createContact(c *call) (*reply, error) {
	in, err := contactd.DecodeContactInput(c.body)
	if err != nil {
		return nil, err
	}
	ct, err := s.svc.CreateContact(c.r.Context(), c.p, in)
	if err != nil {
		return nil, err
	}
	rep := contactReply(http.StatusCreated, ct)
	rep.location = "/v1/contacts/" + ct.ID
	return rep, nil
}

func (s *Server) getContact(sel selectorFunc) func(*call) (*reply, error) {
	return func(c *call) (*reply, error) {
		q := c.r.URL.Query()
		incl, err := boolParam(q, "includeDeleted")
		if err != nil {
			return nil, err
		}
		fields, names, err := contactd.SplitExpand(fieldList(q.Get("fields")), expandParam(q), "query.expand")
		if err != nil {
			return nil, err
		}
		if err := contactd.CheckFields(contactd.Contact{}, fields, "query.fields"); err != nil {
			return nil, err
		}
		if by := sel(c); by.ID != "" && fields == nil && names == nil {
			// The hot path: the stored document goes out as it is.
			d, err := s.svc.ContactJSON(c.r.Context(), c.p, by.ID, contactd.GetOptions{IncludeDeleted: incl})
			if err != nil {
				return nil, err
			}
			if d.ID != "" && d.ID != by.ID {
				survivorAt(c, d.ID)
			}
			return &reply{status: http.StatusOK, raw: append(d.JSON[:len(d.JSON):len(d.JSON)], '\n'), contentType: "application/json", etag: d.ETag()}, nil
		}
		by := sel(c)
		ct, err := s.svc.Contact(c.r.Context(), c.p, by, contactd.GetOptions{IncludeDeleted: incl})
		if err != nil {
			return nil, err
		}
		if by.ID != "" && ct.ID != by.ID {
			survivorAt(c, ct.ID)
		}
		rep := contactReply(http.StatusOK, ct)
		if fields == nil && names == nil {
			return rep, nil
		}
		var extra map[string]any
		if names != nil {
			if extra, err = s.svc.Expand(c.r.Context(), c.p, ct, names); err != nil {
				return nil, err
			}
		}
		rep.body, err = contactd.Project(ct, fields, extra)
		return rep, err
	}
}

// expandParam returns the names in an expand parameter, nil for none.
func expandParam(q url.Values) []string {
	var out []string
	for _, v := range strings.Split(q.Get("expand"), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func (s *Server) patchContact(sel selectorFunc) func(*call) (*reply, error) {
	return func(c *call) (*reply, error) {
		pc, err := precondition(c.r)
		if err != nil {
			return nil, err
		}
		ct, err := s.svc.PatchContact(c.r.Context(), c.p, sel(c), c.body, pc)
		if err != nil {
			return nil, err
		}
		return contactReply(http.StatusOK, ct), nil
	}
}

func (s *Server) upsertContact(c *call) (*reply, error) {
	pc, err := precondition(c.r)
	if err != nil {
		return nil, err
	}
	in, err := contactd.DecodeContactInput(c.body)
	if err != nil {
		return nil, err
	}
	ct, created, err := s.svc.UpsertContact(c.r.Context(), c.p, byExternalID(c).ExternalID, in, pc)
	if err != nil {
		return nil, err
	}
	if created {
		rep := contactReply(http.StatusCreated, ct)
		rep.location = "/v1/contacts/" + ct.ID
		return rep, nil
	}
	return contactReply(http.StatusOK, ct), nil
}

func (s *Server) deleteContact(sel selectorFunc) func(*call) (*reply, error) {
	return func(c *call) (*reply, error) {
		pc, err := precondition(c.r)
		if err != nil {
			return nil, err
		}
		permanent, err := boolParam(c.r.URL.Query(), "permanent")
		if err != nil {
			return nil, err
		}
		if err := s.svc.DeleteContact(c.r.Context(), c.p, sel(c), pc, permanent); err != nil {
			return nil, err
		}
		return &reply{status: http.StatusNoContent}, nil
	}
}

func (s *Server) restoreContact(c *call) (*reply, error) {
	ct, err := s.svc.RestoreContact(c.r.Context(), c.p, c.path("id"))
	if err != nil {
		return nil, err
	}
	return contactReply(http.StatusOK, ct), nil
}

func (s *Server) blockContact(c *call) (*reply, error) {
	pc, err := precondition(c.r)
	if err != nil {
		return nil, err
	}
	reason, err := contactd.DecodeBlock(c.body)
	if err != nil {
		return nil, err
	}
	ct, err := s.svc.BlockContact(c.r.Context(), c.p, c.path("id"), reason, pc)
	if err != nil {
		return nil, err
	}
	return contactReply(http.StatusOK, ct), nil
}

func (s *Server) unblockContact(c *call) (*reply, error) {
	pc, err := precondition(c.r)
	if err != nil {
		return nil, err
	}
	ct, err := s.svc.UnblockContact(c.r.Context(), c.p, c.path("id"), pc)
	if err != nil {
		return nil, err
	}
	return contactReply(http.StatusOK, ct), nil
}

func (s *Server) addEntry(list contactd.EntryList) func(*call) (*reply, error) {
	return func(c *call) (*reply, error) {
		pc, err := precondition(c.r)
		if err != nil {
			return nil, err
		}
		ct, err := s.svc.AddEntry(c.r.Context(), c.p, c.path("id"), list, c.body, pc)
		if err != nil {
			return nil, err
		}
		return contactReply(http.StatusCreated, ct), nil
	}
}

func (s *Server) patchEntry(list contactd.EntryList, param string) func(*call) (*reply, error) {
	return func(c *call) (*reply, error) {
		pc, err := precondition(c.r)
		if err != nil {
			return nil, err
		}
		ct, err := s.svc.PatchEntry(c.r.Context(), c.p, c.path("id"), list, c.path(param), c.body, pc)
		if err != nil {
			return nil, err
		}
		return contactReply(http.StatusOK, ct), nil
	}
}

func (s *Server) deleteEntry(list contactd.EntryList, param string) func(*call) (*reply, error) {
	return func(c *call) (*reply, error) {
		pc, err := precondition(c.r)
		if err != nil {
			return nil, err
		}
		ct, err := s.svc.DeleteEntry(c.r.Context(), c.p, c.path("id"), list, c.path(param), pc)
		if err != nil {
			return nil, err
		}
		return contactReply(http.StatusOK, ct), nil
	}
}

// precondition parses If-Match: "*" or a list of entity tags.
func precondition(r *http.Request) (contactd.Precondition, error) {
	var pc contactd.Precondition
	for _, v := range r.Header.Values("If-Match") {
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimSpace(t)
			switch {
			case t == "":
			case t == "*":
				pc.Any = true
			case strings.HasPrefix(t, `W/"`) && strings.HasSuffix(t, `"`):
				// A weak tag never matches under If-Match's strong comparison.
				pc.ETags = append(pc.ETags, t)
			case len(t) >= 2 && t[0] == '"' && t[len(t)-1] == '"':
				pc.ETags = append(pc.ETags, t)
			default:
				return pc, errStatus(http.StatusBadRequest, "invalid", "header.If-Match: must be * or a list of quoted entity tags",
					contactd.FieldError{Location: "header.If-Match", Message: "must be * or a list of quoted entity tags", Value: v})
			}
		}
	}
	return pc, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
