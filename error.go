package contactd

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
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
	EAborted            ErrorCode = "aborted"             // not applied: another part of an atomic batch failed (424)
	ECursorExpired      ErrorCode = "cursor-expired"      // the change feed no longer holds what follows the cursor (410)
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
		if line := f.Location + ": " + f.Message; line != e.Message {
			fmt.Fprintf(&b, "; %s", line)
		}
	}
	return b.String()
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCodeOf returns the code of the *Error in err's chain (EConflict for
// a *ConflictError, EInvalid for a *RefError), EInternal for any other
// non-nil error, and "" for nil.
func ErrorCodeOf(err error) ErrorCode {
	if err == nil {
		return ""
	}
	var e *Error
	var ce *ConflictError
	var re *RefError
	switch {
	case errors.As(err, &e):
		return e.Code
	case errors.As(err, &ce):
		return EConflict
	case errors.As(err, &re):
		return EInvalid
	}
	return EInternal
}

// IsDomainError reports whether err is one of the domain's errors (an
// *Error, *ConflictError, *RefError or *SharedNumbersError), which a store
// passes on as it is.
func IsDomainError(err error) bool {
	var e *Error
	var ce *ConflictError
	var re *RefError
	var se *SharedNumbersError
	return errors.As(err, &e) || errors.As(err, &ce) || errors.As(err, &re) || errors.As(err, &se)
}

// ConflictError is what a store returns when a write would give an object
// a value that must be unique and that another object has. It says which
// field, which value and which object; the Service words it for the
// resource (see the conflict methods of each).
type ConflictError struct {
	// Field is the unique field: email, externalId or phone for contacts,
	// externalId for accounts, name for tags and tenants; "" when the
	// store cannot tell.
	Field string
	// Value is the value in conflict, as the other object holds it.
	Value string
	// ID is the object that holds Value; "" when the store cannot tell.
	ID string
	// Scope qualifies Value where it is unique within something: the
	// PBX of an extension.
	Scope string
}

func (e *ConflictError) Error() string {
	if e.Field == "" {
		return "conflict: the object conflicts with an existing one"
	}
	return fmt.Sprintf("conflict: %s %q belongs to %s", e.Field, e.Value, cmp.Or(e.ID, "another object"))
}

// RefError is what a store returns when a write names an object that is
// not as the Service read it, checked inside the write's transaction: an
// account that does not exist, or a tag the registry spells otherwise (it
// was renamed meanwhile). The Service retries or words it.
type RefError struct {
	// Field is the referring field: accountId or tags.
	Field string
	// Value is the reference as written: an account id, a tag name.
	Value string
	// Current is the registry's spelling of a tag; "" when the object
	// does not exist.
	Current string
}

func (e *RefError) Error() string {
	if e.Current == "" {
		return fmt.Sprintf("reference: %s %q names nothing", e.Field, e.Value)
	}
	return fmt.Sprintf("reference: %s %q is now spelt %q", e.Field, e.Value, e.Current)
}

// notFoundAs returns a function that words a store's ENotFound for the
// object noun id ("tag %q not found") and passes anything else on:
// notFoundAs[*Tag]("tag", id)(s.store.Tag(ctx, tenantID, id)).
func notFoundAs[T any](noun, id string) func(T, error) (T, error) {
	return func(v T, err error) (T, error) {
		if ErrorCodeOf(err) == ENotFound {
			var zero T
			return zero, Errorf(ENotFound, "%s %q not found", noun, id)
		}
		return v, err
	}
}

// relocated returns err with the locations of its field problems rewritten
// by move (an error that is not an *Error is returned as it is).
func relocated(err error, move func(loc string) string) error {
	e, ok := err.(*Error)
	if !ok {
		return err
	}
	out := *e
	out.Fields = make([]FieldError, len(e.Fields))
	for i, f := range e.Fields {
		f.Location = move(f.Location)
		out.Fields[i] = f
	}
	if len(out.Fields) == 1 && out.Code == EInvalid {
		out.Message = out.Fields[0].Location + ": " + out.Fields[0].Message
	}
	return &out
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

// IsUnavailable reports whether err says that the database cannot be
// reached at the moment (it is down, restarting, or refused or dropped
// the connection), rather than that a request or contactd is wrong: the
// request may succeed if tried again shortly. It reads the error's SQLSTATE
// (connection exceptions, class 08; the server shutting down or starting
// up, 57P01-57P03; too many connections, 53300) and the network errors
// under it, without knowing the store.
func IsUnavailable(err error) bool {
	if err == nil || IsDomainError(err) {
		return false
	}
	var st interface{ SQLState() string }
	if errors.As(err, &st) {
		c := st.SQLState()
		return strings.HasPrefix(c, "08") || c == "57P01" || c == "57P02" || c == "57P03" || c == "53300"
	}
	var op *net.OpError
	return errors.As(err, &op) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
