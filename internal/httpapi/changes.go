package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/contactd/contactd"
)

var changePage = []response{{Status: 200, Doc: "A page of changes, oldest first.", Body: contactd.Page[contactd.Change]{}}}

// changeRoutes returns the routes of the change log.
func (s *Server) changeRoutes() []route {
	return []route{
		{Method: "GET", Path: "/v1/contacts/{id}/history", ID: "getContactHistory", Tag: "Changes", Scope: contactd.ScopeRead,
			Summary: "The history of a contact", Doc: "Who changed what and when, oldest first, with each changed field's old and new value.",
			Params: []param{pathID, cursorParam, limitParam, fieldsParam}, Responses: changePage, Errors: []int{404}, serve: s.history},
		{Method: "GET", Path: "/v1/changes", ID: "listChanges", Long: true, Tag: "Changes", Scope: contactd.ScopeRead,
			Summary: "The tenant's change feed",
			Doc: "Every write to the tenant's contacts, in order. Every page carries a cursor: poll with it to receive later changes, " +
				"or long-poll with wait. The feed keeps changes for the tenant's changeRetentionDays: a cursor older than that answers 410 " +
				"(type …/problems/cursor-expired): the client takes a cursor with from=now, reads the contacts again, and follows the feed from that cursor.",
			Params: []param{cursorParam, limitParam, fieldsParam, waitParam, fromParam}, Responses: changePage, Errors: []int{410}, serve: s.changes},
	}
}

func (s *Server) history(c *call) (*reply, error) {
	lp, err := listParams(c)
	if err != nil {
		return nil, err
	}
	return pageReply(s.svc.History(c.r.Context(), c.p, c.path("id"), contactd.ChangeListRequest{ListParams: lp}))
}

var fromParam = param{In: "query", Name: "from", Type: "string", Enum: []string{"start", "now"},
	Doc: "Without a cursor: start (the default) reads from the oldest change kept; now answers an empty page whose cursor is at the newest change, where a client that has just read every contact starts following the feed."}

var waitParam = param{In: "query", Name: "wait", Type: "string",
	Doc: "Long poll: when no change follows the cursor, answer as soon as one is written, or with an empty page (and the same cursor) after this long: a duration such as 30s or a number of seconds, at most 60s."}

func (s *Server) changes(c *call) (*reply, error) {
	lp, err := listParams(c)
	if err != nil {
		return nil, err
	}
	wait, err := waitDuration(c.r.URL.Query().Get("wait"))
	if err != nil {
		return nil, err
	}
	var fromNow bool
	switch from := c.r.URL.Query().Get("from"); from {
	case "", "start":
	case "now":
		fromNow = true
	default:
		return nil, badQuery("from", "must be start or now", from)
	}
	// The long poll's wait is on top of the request's budget.
	ctx, cancel := context.WithTimeoutCause(c.r.Context(), wait+s.cfg.RequestTimeout, errOverBudget)
	defer cancel()
	c.r = c.r.WithContext(ctx)
	return pageReply(s.svc.Changes(ctx, c.p, contactd.ChangeListRequest{ListParams: lp, Wait: wait, FromNow: fromNow}))
}

// badQuery is the problem of a query parameter with a wrong value.
func badQuery(name, msg, value string) error {
	return errStatus(http.StatusBadRequest, "invalid", "query."+name+": "+msg,
		contactd.FieldError{Location: "query." + name, Message: msg, Value: value})
}

// waitDuration reads the wait parameter: a Go duration ("30s", "1m") or
// a whole number of seconds.
func waitDuration(v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	if n, err := strconv.Atoi(v); err == nil {
		if n < 0 || n > int(contactd.MaxChangeWait/time.Second) {
			return 0, badQuery("wait", "must be from 0 to 60 seconds", v)
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 || d > contactd.MaxChangeWait {
		return 0, badQuery("wait", "must be a duration from 0s to 60s, such as 30s, or a number of seconds", v)
	}
	return d, nil
}
