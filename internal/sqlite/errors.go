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
	var ce *contactd.Error
	if errors.As(err, &ce) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &contactd.Error{Code: contactd.ENotFound, Message: "not found"}
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return &contactd.Error{Code: contactd.EConflict, Message: "the object conflicts with an existing one"}
		}
	}
	return err
}
