package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/contactd/contactd"
)

// The HTTP side of the list toolkit: every list route reads its parameters
// with listParams, hands them to its Service list method and answers the
// page (projected to the requested fields by the page itself).

// Parameters shared by the lists.
var (
	limitParam  = param{In: "query", Name: "limit", Doc: "Page size, 1 to 1000 (default 50).", Type: "integer"}
	cursorParam = param{In: "query", Name: "cursor", Doc: "The nextCursor of the previous page; omit to start at the beginning. A cursor continues only the list it was made for (the same filter and search, of this tenant).", Type: "string"}
	pageNumber  = param{In: "query", Name: "page", Type: "integer", Doc: "1-based page number, for simple user interfaces (instead of cursor)."}
	countParam  = param{In: "query", Name: "count", Type: "string", Enum: []string{"true", "false", "exact"},
		Doc: "true (the default): a total, exact up to 1000 items on contact and account lists (past that, 1000 with totalIsLowerBound); exact: an exact total, however long counting takes; false: no total."}
	fieldsParam = param{In: "query", Name: "fields", Doc: "Comma-separated top-level fields to return (id is always returned).", Type: "string"}
)

// pagedParams are the parameters of a list in a fixed order.
var pagedParams = []param{limitParam, cursorParam, countParam, fieldsParam}

// listParams reads the list parameters the route declares from the query
// string: the others are not the route's and stay unread.
func listParams(c *call) (contactd.ListParams, error) {
	q := c.r.URL.Query()
	lp := contactd.ListParams{In: "query"}
	var err error
	for _, p := range c.rt.Params {
		switch p.Name {
		case "filter":
			if f := q.Get("filter"); f != "" {
				lp.Filter = []byte(f)
			}
		case "sort":
			lp.Sort = q.Get("sort")
		case "limit":
			lp.Limit, err = intParam(q, "limit")
		case "cursor":
			lp.Cursor = q.Get("cursor")
		case "page":
			lp.Page, err = pageParam(q)
		case "count":
			lp.NoCount, lp.ExactCount, err = countValue(q)
		case "fields":
			lp.Fields = fieldList(q.Get("fields"))
		}
		if err != nil {
			return lp, err
		}
	}
	return lp, nil
}

// fieldList splits a fields parameter; nil when there is none.
func fieldList(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// countValue reads count=true|false|exact.
func countValue(q url.Values) (no, exact bool, err error) {
	switch v := q.Get("count"); v {
	case "exact":
		return false, true, nil
	case "":
		return false, false, nil
	default:
		count, err := boolParam(q, "count")
		return !count, false, err
	}
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

func boolParam(q url.Values, name string) (bool, error) {
	v := q.Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errStatus(http.StatusBadRequest, "invalid", "query."+name+": must be true or false",
			contactd.FieldError{Location: "query." + name, Message: "must be true or false", Value: v})
	}
	return b, nil
}

func intParam(q url.Values, name string) (int, error) {
	v := q.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > contactd.MaxLimit {
		return 0, errStatus(http.StatusBadRequest, "invalid", "query."+name+": must be an integer from 1 to 1000",
			contactd.FieldError{Location: "query." + name, Message: "must be an integer from 1 to 1000", Value: v})
	}
	return n, nil
}

// pageReply answers a page of any list.
func pageReply[T any](page *contactd.Page[T], err error) (*reply, error) {
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: page}, nil
}
