package httpapi

import (
	"net/http"

	"github.com/contactd/contactd"
)

// accountWrite and accountPatch stand for the bodies of an account create
// and merge patch in the OpenAPI document (see writeSchema).
type (
	accountWrite struct{}
	accountPatch struct{}
)

func init() {
	// The Account schema's annotations, in the registries the document
	// generator reads by type and field.
	for _, f := range []string{"id", "version", "createdAt", "createdBy", "updatedAt", "updatedBy"} {
		readOnly["Account."+f] = true
	}
	limits["Account.name"] = contactd.MaxAccountName
	limits["Account.domain"] = contactd.MaxAccountDomain
	limits["Account.externalId"] = 255
	docs["Account.version"] = "Increments on every change; the ETag."
	docs["Account.domain"] = "The organization's internet domain, in lower case."
	docs["Account.externalId"] = "The account's id in an external CRM; unique among the tenant's accounts."
	docs["Account.properties"] = "Custom fields: a JSON object of at most 16 KiB, nested at most 5 levels."
	docs["Account.phones"] = "At most 20; one is primary (the first when none is marked)."
	docs["Account.addresses"] = "At most 10; one is primary."
}

var (
	pathAccountID = param{In: "path", Name: "accountId", Doc: "The account id (acc_…).", Type: "string", Required: true}
	accountMatch  = param{In: "header", Name: "If-Match", Doc: "Apply only if the account's current ETag matches.", Type: "string"}
	accountOK     = []response{{Status: 200, Doc: "The account.", Body: contactd.Account{}, Headers: []string{"ETag"}}}

	accountListParams = []param{
		{In: "query", Name: "filter", Type: "string", Doc: "A JSON filter document, e.g. {\"name\":{\"$prefix\":\"Ac\"},\"createdAt\":{\"$gte\":\"2024-01-01T00:00:00Z\"}}. Fields: id name domain externalId (operators $eq $ne $in $nin $exists $gt $gte $lt $lte $prefix $contains) and createdAt updatedAt ($eq $ne $gt $gte $lt $lte); combine with $and $or $not. Strings compare exactly; domain values are lower-cased first."},
		{In: "query", Name: "sort", Type: "string", Doc: "Comma-separated fields, - for descending, e.g. name or -createdAt; id breaks ties. Sortable: id name domain createdAt updatedAt."},
		limitParam, cursorParam, pageNumber, countParam, fieldsParam,
	}
)

func (s *Server) accountRoutes() []route {
	return []route{
		{Method: "POST", Path: "/v1/accounts", ID: "createAccount", Tag: "Accounts", Scope: contactd.ScopeWrite,
			Summary: "Create an account",
			Doc:     "Creates an account: an organization contacts belong to through their accountId. Unknown fields are rejected; read-only fields are ignored.",
			Params:  []param{idemKey}, Body: accountWrite{},
			Responses: []response{{Status: 201, Doc: "The new account.", Body: contactd.Account{}, Headers: []string{"ETag", "Location"}}},
			Errors:    []int{409}, serve: s.createAccount},
		{Method: "GET", Path: "/v1/accounts", ID: "listAccounts", Tag: "Accounts", Scope: contactd.ScopeRead,
			Summary:   "List and filter accounts",
			Doc:       "One page of the tenant's accounts, with the list conventions of contacts: filter, sort, keyset cursor or page, total.",
			Params:    accountListParams,
			Responses: []response{{Status: 200, Doc: "A page of accounts.", Body: contactd.Page[*contactd.Account]{}}}, serve: s.listAccounts},
		{Method: "GET", Path: "/v1/accounts/{accountId}", ID: "getAccount", Tag: "Accounts", Scope: contactd.ScopeRead,
			Summary: "Get an account", Params: []param{pathAccountID},
			Responses: accountOK, Errors: []int{404}, serve: s.getAccount},
		{Method: "PATCH", Path: "/v1/accounts/{accountId}", ID: "patchAccount", Tag: "Accounts", Scope: contactd.ScopeWrite,
			Summary: "Change an account",
			Doc:     "A JSON merge patch (RFC 7386): absent fields are unchanged, null clears a field, arrays are replaced whole.",
			Params:  []param{pathAccountID, accountMatch}, Body: accountPatch{}, BodyType: "application/merge-patch+json",
			Responses: accountOK, Errors: []int{404, 409, 412}, serve: s.patchAccount},
		{Method: "DELETE", Path: "/v1/accounts/{accountId}", ID: "deleteAccount", Tag: "Accounts", Scope: contactd.ScopeDelete,
			Summary: "Delete an account",
			Doc:     "Deletes the account for good. While live contacts belong to it this is a 409 saying how many, unless detach=true: then their accountId is cleared (an \"updated\" change in each one's history) in the same transaction. Soft-deleted contacts never block the delete and are always detached.",
			Params: []param{pathAccountID, accountMatch, {In: "query", Name: "detach", Type: "boolean",
				Doc: "Clear accountId on the account's contacts instead of refusing to delete it."}},
			Responses: noContent, Errors: []int{404, 409, 412}, serve: s.deleteAccount},
		{Method: "GET", Path: "/v1/accounts/{accountId}/contacts", ID: "listAccountContacts", Expensive: true, Tag: "Accounts", Scope: contactd.ScopeRead,
			Summary:   "List the contacts of an account",
			Doc:       "The contacts whose accountId is the account, with every parameter of GET /v1/contacts; a filter is combined with the account's.",
			Params:    append([]param{pathAccountID}, contactListParams...),
			Responses: contactPage,
			Errors:    []int{404}, serve: s.listAccountContacts},
	}
}

func accountReply(status int, a *contactd.Account) *reply {
	return &reply{status: status, body: a, etag: a.ETag()}
}

func (s *Server) createAccount(c *call) (*reply, error) {
	in, err := contactd.DecodeAccountInput(c.body)
	if err != nil {
		return nil, err
	}
	a, err := s.svc.CreateAccount(c.r.Context(), c.p, in)
	if err != nil {
		return nil, err
	}
	rep := accountReply(http.StatusCreated, a)
	rep.location = "/v1/accounts/" + a.ID
	return rep, nil
}

func (s *Server) getAccount(c *call) (*reply, error) {
	a, err := s.svc.Account(c.r.Context(), c.p, c.path("accountId"))
	if err != nil {
		return nil, err
	}
	return accountReply(http.StatusOK, a), nil
}

func (s *Server) patchAccount(c *call) (*reply, error) {
	pc, err := precondition(c.r)
	if err != nil {
		return nil, err
	}
	a, err := s.svc.PatchAccount(c.r.Context(), c.p, c.path("accountId"), c.body, pc)
	if err != nil {
		return nil, err
	}
	return accountReply(http.StatusOK, a), nil
}

func (s *Server) deleteAccount(c *call) (*reply, error) {
	pc, err := precondition(c.r)
	if err != nil {
		return nil, err
	}
	detach, err := boolParam(c.r.URL.Query(), "detach")
	if err != nil {
		return nil, err
	}
	if err := s.svc.DeleteAccount(c.r.Context(), c.p, c.path("accountId"), pc, detach); err != nil {
		return nil, err
	}
	return &reply{status: http.StatusNoContent}, nil
}

func (s *Server) listAccounts(c *call) (*reply, error) {
	lp, err := listParams(c)
	if err != nil {
		return nil, err
	}
	return pageReply(s.svc.ListAccounts(c.r.Context(), c.p, contactd.AccountListRequest{ListParams: lp}))
}

func (s *Server) listAccountContacts(c *call) (*reply, error) {
	r, err := contactListRequest(c)
	if err != nil {
		return nil, err
	}
	return pageReply(s.svc.ListAccountContacts(c.r.Context(), c.p, c.path("accountId"), r))
}
