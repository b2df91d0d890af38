// Package contactd is a multi-tenant contacts service for communications
// products: an address book per tenant that answers "who is calling?" from a
// phone number, with create/edit/search, an audit trail and a change feed.
//
// The root package holds the domain types, the domain error, the Store
// contract that storage backends implement, and the Service that holds every
// business rule. Transports (REST, CardDAV, CLI) call the Service; stores only
// persist, query and translate their errors.
package contactd

import (
	"errors"
	"fmt"
	"strings"
)

// ErrorCode is the closed set of error kinds the Service returns.
type ErrorCode string

// Error codes. Transports map each to one status code.
const (
	EInvalid            ErrorCode = "invalid"             // bad input (400)
	EUnauthorized       ErrorCode = "unauthorized"        // no valid credentials (401)
	EForbidden          ErrorCode = "forbidden"           // missing scope (403)
	ENotFound           ErrorCode = "not_found"           // no such object in this tenant (404)
	EConflict           ErrorCode = "conflict"            // uniqueness or state conflict (409)
	EPreconditionFailed ErrorCode = "precondition_failed" // If-Match mismatch (412)
	EInternal           ErrorCode = "internal"            // a bug or an unavailable dependency (500)
)

// FieldError names one problem with one input field.
type FieldError struct {
	// Location is a path into the input such as "body.emails[1].address".
	Location string `json:"location"`
	Message  string `json:"message"`
	Value    any    `json:"value,omitempty"`
}

// Error is the domain error. Every error a Service method returns either is
// an *Error or is treated as EInternal.
type Error struct {
	Code    ErrorCode
	Message string
	// Fields lists field problems for EInvalid (and the conflicting field
	// for EConflict).
	Fields []FieldError
	// ConflictingID and ConflictingField identify the object a uniqueness
	// conflict (EConflict) was found with.
	ConflictingID    string
	ConflictingField string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s: %s", f.Location, f.Message)
	}
	return b.String()
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCodeOf returns the code of the *Error in err's chain, EInternal for
// any other non-nil error, and "" for nil.
func ErrorCodeOf(err error) ErrorCode {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// invalid returns an EInvalid error listing field problems.
func invalid(fields []FieldError) *Error {
	msg := "the request has invalid fields"
	if len(fields) == 1 {
		msg = fields[0].Location + ": " + fields[0].Message
	}
	return &Error{Code: EInvalid, Message: msg, Fields: fields}
}

// invalidField returns an EInvalid error for one field.
func invalidField(location, format string, args ...any) *Error {
	return invalid([]FieldError{{Location: location, Message: fmt.Sprintf(format, args...)}})
}
