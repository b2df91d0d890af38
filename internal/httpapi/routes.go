package httpapi

import (
	"net/http"

	"github.com/contactd/contactd"
)

// route is one endpoint: how it is served and how it is documented. The
// router and the OpenAPI document are both built from the route table, so
// they cannot drift apart.
type route struct {
	Method  string
	Path    string
	ID      string // OpenAPI operationId
	Tag     string
	Summary string
	Doc     string
	// Scope is the scope the operation needs; "" for an unauthenticated route.
	Scope contactd.Scope
	// Params lists path, query and header parameters.
	Params []param
	// Body is a Go value whose type is the JSON request body; nil for none.
	Body any
	// OptionalBody allows an empty body.
	OptionalBody bool
	// BodyType is the request media type (default application/json).
	BodyType string
	// Responses lists the success responses; errors are added from Errors.
	Responses []response
	// Errors lists the error statuses beyond those every authenticated
	// route may answer (400, 401, 403, 413, 415, 500).
	Errors []int
	serve  func(*call) (*reply, error)
}

type param struct {
	In, Name, Doc string
	Type          string // string, integer, boolean
	Required      bool
	Enum          []string
}

type response struct {
	Status  int
	Doc     string
	Body    any    // Go value typed as the body; nil for none
	Raw     string // media type of a non-JSON body
	Headers []string
}

var (
	pathID         = param{In: "path", Name: "id", Doc: "The contact id (ct_…).", Type: "string", Required: true}
	pathEmail      = param{In: "path", Name: "email", Doc: "An email address of the contact (case-insensitive).", Type: "string", Required: true}
	pathExternal   = param{In: "path", Name: "externalId", Doc: "The contact's id in an external system.", Type: "string", Required: true}
	ifMatch        = param{In: "header", Name: "If-Match", Doc: "Apply only if the contact's current ETag matches.", Type: "string"}
	idemKey        = param{In: "header", Name: "Idempotency-Key", Doc: "A unique key: a retry with the same key and body within 24 h replays the first response; another body with the same key is a 409.", Type: "string"}
	fieldsParam    = param{In: "query", Name: "fields", Doc: "Comma-separated top-level fields to return (id is always returned).", Type: "string"}
	expandParamDoc = param{In: "query", Name: "expand", Doc: "Comma-separated related objects to embed: account (the contact's account, or null), segments (the segments it is a member of).", Type: "string"}
	includeDelete  = param{In: "query", Name: "includeDeleted", Doc: "Return the contact even if it is soft-deleted.", Type: "boolean"}
	cursorParam    = param{In: "query", Name: "cursor", Doc: "The nextCursor of the previous page; omit to start at the beginning.", Type: "string"}
	limitParam     = param{In: "query", Name: "limit", Doc: "Page size, 1 to 1000 (default 50).", Type: "integer"}

	contactOK      = []response{{Status: 200, Doc: "The contact.", Body: contactd.Contact{}, Headers: []string{"ETag"}}}
	contactCreated = response{Status: 201, Doc: "The new contact.", Body: contactd.Contact{}, Headers: []string{"ETag", "Location"}}
	noContent      = []response{{Status: 204, Doc: "Done."}}
	changePage     = []response{{Status: 200, Doc: "A page of changes, oldest first.", Body: contactd.ChangePage{}}}
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

func (s *Server) routeTable() []route {
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
			Doc:     "Who is calling: give exactly one of phone, email and externalId. The number may come in any form a phone system hands over (E.164, national with punctuation, 00/011 prefixes, tel: URIs, extensions); it is read with the tenant's default region unless region is given, and matched exactly on E.164. Reads the primary store, so a contact written a moment ago is found. Deleted contacts never match; blocked ones do, with their block fields.",
			Params: []param{
				{In: "query", Name: "phone", Type: "string", Doc: "A phone number in any common form."},
				{In: "query", Name: "email", Type: "string", Doc: "An email address (case-insensitive)."},
				{In: "query", Name: "externalId", Type: "string", Doc: "An external (CRM) id."},
				{In: "query", Name: "region", Type: "string", Doc: "ISO 3166 alpha-2 region for reading a national number, instead of the tenant's default."},
			},
			Responses: []response{{Status: 200, Doc: "The match and the matching contacts, best first.", Body: lookupResult{}}}, serve: s.lookup},
		{Method: "GET", Path: "/v1/contacts", ID: "listContacts", Tag: "Contacts", Scope: contactd.ScopeRead,
			Summary:   "List, filter and search contacts",
			Doc:       "One page of the tenant's contacts. Page with cursor (keyset: every contact is visited once even while others are added) or page. Strings compare exactly (case-sensitive); tags and emails compare case-insensitively; on lists (tags, phones, emails, segments) $eq means contains; phone values are normalized first; properties compare only with values of the same JSON type.",
			Params:    listParams,
			Responses: []response{{Status: 200, Doc: "A page of contacts.", Body: contactList{}}}, serve: s.listContacts},
		{Method: "POST", Path: "/v1/contacts/search", ID: "searchContacts", Tag: "Contacts", Scope: contactd.ScopeRead,
			Summary: "List contacts with the parameters in a JSON body", Doc: "The same as GET /v1/contacts, for long filters.",
			Params: []param{idemKey}, Body: searchBody{},
			Responses: []response{{Status: 200, Doc: "A page of contacts.", Body: contactList{}}}, serve: s.searchContacts},
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
		{Method: "GET", Path: "/v1/contacts/{id}/history", ID: "getContactHistory", Tag: "Changes", Scope: contactd.ScopeRead,
			Summary: "The history of a contact", Doc: "Who changed what and when, oldest first, with each changed field's old and new value.",
			Params: []param{pathID, cursorParam, limitParam}, Responses: changePage, Errors: []int{404}, serve: s.history},
		{Method: "GET", Path: "/v1/changes", ID: "listChanges", Tag: "Changes", Scope: contactd.ScopeRead,
			Summary: "The tenant's change feed",
			Doc:     "Every write to the tenant's contacts, in order. Every page carries a cursor: poll with it to receive later changes.",
			Params:  []param{cursorParam, limitParam}, Responses: changePage, serve: s.changes},
		{Method: "GET", Path: "/healthz", ID: "healthz", Tag: "Meta", Summary: "Liveness",
			Responses: []response{{Status: 200, Doc: "The process is serving.", Body: statusBody{}}}, serve: s.healthz},
		{Method: "GET", Path: "/readyz", ID: "readyz", Tag: "Meta", Summary: "Readiness",
			Doc:       "Ready when the database answers and its schema is current.",
			Responses: []response{{Status: 200, Doc: "Ready.", Body: statusBody{}}}, Errors: []int{503}, serve: s.readyz},
		{Method: "GET", Path: "/openapi.json", ID: "openapi", Tag: "Meta", Summary: "This OpenAPI document",
			Responses: []response{{Status: 200, Doc: "The OpenAPI 3.1 document.", Raw: "application/json"}}, serve: s.openapi},
		{Method: "GET", Path: "/docs", ID: "docs", Tag: "Meta", Summary: "API reference", Doc: "A readable reference rendered from the OpenAPI document.",
			Responses: []response{{Status: 200, Doc: "An HTML page.", Raw: "text/html"}}, serve: s.docs},
	}
	rs = append(rs, entryRoutes(contactd.PhonesList, "phone", contactd.Phone{})...)
	rs = append(rs, entryRoutes(contactd.EmailsList, "email", contactd.Email{})...)
	rs = append(rs, entryRoutes(contactd.AddressesList, "address", contactd.Address{})...)
	rs = append(rs, s.tokenRoutes()...)
	rs = append(rs, s.tenantRoutes()...)
	rs = append(rs, s.accountRoutes()...)
	rs = append(rs, s.tagRoutes()...)
	rs = append(rs, s.segmentRoutes()...)
	return rs
}

func title(s string) string { return string(s[0]-'a'+'A') + s[1:] }

func article(s string) string {
	if s[0] == 'a' || s[0] == 'e' {
		return "an"
	}
	return "a"
}

type statusBody struct {
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
}

func (s *Server) healthz(*call) (*reply, error) {
	return &reply{status: http.StatusOK, body: statusBody{Status: "ok"}}, nil
}

func (s *Server) readyz(c *call) (*reply, error) {
	if err := s.svc.Ready(c.r.Context()); err != nil {
		s.log.Warn("not ready", "err", err)
		return nil, errStatus(http.StatusServiceUnavailable, "not_ready", "the database is unreachable or its schema is not current")
	}
	return &reply{status: http.StatusOK, body: statusBody{Status: "ready"}}, nil
}

func (s *Server) openapi(*call) (*reply, error) {
	return &reply{status: http.StatusOK, raw: s.doc, contentType: "application/json"}, nil
}
