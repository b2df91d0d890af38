package sqlite

import (
	"database/sql"
	"errors"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/contactd/contactd"
)

const driverName = "sqlite"

// interpretError translates driver errors into contactd errors by their
// result code. Errors it does not recognise are wrapped as internal.
func interpretError(err error) error {
	if err == nil {
		return nil
	}
	if contactd.IsDomainError(err) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &contactd.Error{Code: contactd.ENotFound, Message: "not found"}
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &contactd.ConflictError{} // the checks before the write name the object; here it is not known

		}
	}
	return err
}
