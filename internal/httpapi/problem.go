package httpapi

import (
	"errors"
	"net/http"

	"github.com/contactd/contactd"
)

// Problem is an RFC 9457 problem details document.
type Problem struct {
	Type     string `json:"type" doc:"A URI reference naming the kind of problem."`
	Title    string `json:"title" doc:"A short summary of the kind of problem."`
	Status   int    `json:"status" doc:"The HTTP status code."`
	Detail   string `json:"detail,omitempty" doc:"What went wrong with this request."`
	Instance string `json:"instance,omitempty" doc:"The request id, to quote when reporting a problem."`
	// Errors lists field problems, each with its location such as body.emails[1].address.
	Errors []contactd.FieldError `json:"errors,omitempty"`
	// ConflictingID is the id of the object a 409 conflict was found with.
	ConflictingID string `json:"conflictingId,omitempty"`
	// ConflictingField names the unique field of a 409 conflict (email, externalId, phone).
	ConflictingField string `json:"conflictingField,omitempty"`
}

const problemBase = "https://contactd.dev/problems/"

var statusOf = map[contactd.ErrorCode]int{
	contactd.EInvalid:            http.StatusBadRequest,
	contactd.EUnauthorized:       http.StatusUnauthorized,
	contactd.EForbidden:          http.StatusForbidden,
	contactd.ENotFound:           http.StatusNotFound,
	contactd.EConflict:           http.StatusConflict,
	contactd.EPreconditionFailed: http.StatusPreconditionFailed,
	contactd.EAborted:            http.StatusFailedDependency,
	contactd.ECursorExpired:      http.StatusGone,
	contactd.EInternal:           http.StatusInternalServerError,
}

// httpError is an error that only the HTTP layer produces.
type httpError struct {
	status int
	code   string
	detail string
	fields []contactd.FieldError
}

func (e *httpError) Error() string { return e.detail }

func errStatus(status int, code, detail string, fields ...contactd.FieldError) error {
	return &httpError{status: status, code: code, detail: detail, fields: fields}
}

// problemFor renders any error as a problem. Internal errors get a generic
// detail; the caller logs them.
func problemFor(err error, requestID string) *Problem {
	var he *httpError
	if errors.As(err, &he) {
		return &Problem{Type: problemBase + he.code, Title: http.StatusText(he.status), Status: he.status,
			Detail: he.detail, Instance: requestID, Errors: he.fields}
	}
	if contactd.IsUnavailable(err) {
		return &Problem{Type: problemBase + "unavailable", Title: http.StatusText(503), Status: 503,
			Detail: "the database cannot be reached at the moment; try again shortly", Instance: requestID}
	}
	var e *contactd.Error
	if !errors.As(err, &e) || e.Code == contactd.EInternal {
		return &Problem{Type: problemBase + "internal", Title: http.StatusText(500), Status: 500,
			Detail: "an internal error occurred; it has been logged with the request id", Instance: requestID}
	}
	status := statusOf[e.Code]
	p := &Problem{Type: problemBase + string(e.Code), Title: http.StatusText(status), Status: status,
		Detail: e.Message, Instance: requestID, ConflictingID: e.ConflictingID, ConflictingField: e.ConflictingField}
	for _, f := range e.Fields {
		f.Location = qualify(f.Location)
		p.Errors = append(p.Errors, f)
	}
	if len(p.Errors) == 1 && e.Code == contactd.EInvalid {
		p.Detail = p.Errors[0].Location + ": " + p.Errors[0].Message
	}
	return p
}

// qualify prefixes a domain field location with "body." unless it already
// names another part of the request.
func qualify(loc string) string {
	for _, prefix := range []string{"body", "query.", "path.", "header."} {
		if len(loc) >= len(prefix) && loc[:len(prefix)] == prefix {
			if prefix != "body" || len(loc) == 4 || loc[4] == '.' || loc[4] == '[' {
				return loc
			}
		}
	}
	return "body." + loc
}
