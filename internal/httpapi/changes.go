package httpapi

import "github.com/contactd/contactd"

var changePage = []response{{Status: 200, Doc: "A page of changes, oldest first.", Body: contactd.Page[contactd.Change]{}}}

// changeRoutes returns the routes of the change log.
func (s *Server) changeRoutes() []route {
	return []route{
		{Method: "GET", Path: "/v1/contacts/{id}/history", ID: "getContactHistory", Tag: "Changes", Scope: contactd.ScopeRead,
			Summary: "The history of a contact", Doc: "Who changed what and when, oldest first, with each changed field's old and new value.",
			Params: []param{pathID, cursorParam, limitParam, fieldsParam}, Responses: changePage, Errors: []int{404}, serve: s.history},
		{Method: "GET", Path: "/v1/changes", ID: "listChanges", Tag: "Changes", Scope: contactd.ScopeRead,
			Summary: "The tenant's change feed",
			Doc:     "Every write to the tenant's contacts, in order. Every page carries a cursor: poll with it to receive later changes.",
			Params:  []param{cursorParam, limitParam, fieldsParam}, Responses: changePage, serve: s.changes},
	}
}

func (s *Server) history(c *call) (*reply, error) {
	lp, err := listParams(c)
	if err != nil {
		return nil, err
	}
	return pageReply(s.svc.History(c.r.Context(), c.p, c.path("id"), contactd.ChangeListRequest{ListParams: lp}))
}

func (s *Server) changes(c *call) (*reply, error) {
	lp, err := listParams(c)
	if err != nil {
		return nil, err
	}
	return pageReply(s.svc.Changes(c.r.Context(), c.p, contactd.ChangeListRequest{ListParams: lp}))
}
