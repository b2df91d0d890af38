package contactd

import (
	"context"
	"time"
)

// Import is a job that brings a file of contacts into a tenant: its
// settings, where it stands, and what it has done so far. Its counts are
// written in the same transaction as the contacts they count, so they are
// exact whenever they are read, a crash included.
type Import struct {
	ID       string `json:"id"`
	TenantID string `json:"-"`
	// Status is queued, running, succeeded, failed or cancelled.
	Status string `json:"status"`
	Format string `json:"format"`
	Mode   string `json:"mode"`
	DryRun bool   `json:"dryRun"`
	// Layout names the export a CSV file's header was recognised as, and
	// Columns are the header's columns.
	Layout  string   `json:"layout,omitempty"`
	Columns []string `json:"columns,omitempty"`
	// Total is how many records the file holds, once it has been read
	// to its end.
	Total     *int64 `json:"total,omitempty"`
	Processed int64  `json:"processed"`
	Created   int64  `json:"created"`
	Updated   int64  `json:"updated"`
	Unchanged int64  `json:"unchanged"`
	// Skipped counts records with nothing in them.
	Skipped int64 `json:"skipped"`
	Failed  int64 `json:"failed"`
	// MatchedBy counts, in upsert mode, the records that found their
	// contact by each key: externalId, email, phone.
	MatchedBy map[string]int64 `json:"matchedBy,omitempty"`
	// Warnings name what the contacts do not hold as the file had it:
	// each distinct warning once, with how many records it concerns.
	Warnings []ImportWarning `json:"warnings"`
	// Rate is records processed per second while the job ran.
	Rate  float64 `json:"rate"`
	Bytes int64   `json:"bytes"`
	// Error says why a failed job failed.
	Error      string     `json:"error,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	CreatedBy  string     `json:"createdBy"`
	StartedAt  *time.Time `json:"startedAt,omitempty"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	// HeartbeatAt is when the job last reported progress: a running job
	// silent for long was interrupted.
	HeartbeatAt time.Time `json:"-"`
}

// ImportWarning is one kind of warning of an import.
type ImportWarning struct {
	Message string `json:"message"`
	Records int64  `json:"records"`
	// FirstRecord is the first record it concerns (0 for the file's
	// header).
	FirstRecord int `json:"firstRecord"`
}

// ImportRowError is a record of an import that failed.
type ImportRowError struct {
	// Seq orders a job's errors.
	Seq int64 `json:"-"`
	// Record is the record's place in the file: a CSV row's line, a
	// vCard's number, an NDJSON line.
	Record int `json:"record"`
	// Code is the kind of problem, as the API's problem types name it:
	// invalid, conflict, not_found.
	Code     string `json:"code"`
	Location string `json:"location,omitempty"`
	Message  string `json:"message"`
	Value    string `json:"value,omitempty"`
	// ConflictingID is the contact a conflict was found with.
	ConflictingID string `json:"conflictingId,omitempty"`
	// Raw is the record as the file had it (a CSV row, an NDJSON line),
	// so that it can be fixed and imported again.
	Raw []string `json:"raw,omitempty"`
}

// Import statuses.
const (
	ImportQueued    = "queued"
	ImportRunning   = "running"
	ImportSucceeded = "succeeded"
	ImportFailed    = "failed"
	ImportCancelled = "cancelled"
)

// Import formats and modes.
var (
	ImportFormats  = []string{"csv", "vcard", "ndjson"}
	ImportModes    = []string{"create", "upsert"}
	ImportStatuses = []string{ImportQueued, ImportRunning, ImportSucceeded, ImportFailed, ImportCancelled}
)

// Done reports whether the job has ended.
func (im *Import) Done() bool {
	return im.Status != ImportQueued && im.Status != ImportRunning
}

// ImportStore is the part of the Store that keeps import jobs.
type ImportStore interface {
	// CreateImport stores a new job.
	CreateImport(ctx context.Context, im *Import) error
	// Import returns a job of the tenant. ENotFound.
	Import(ctx context.Context, tenantID, id string) (*Import, error)
	// Imports returns a page of the tenant's jobs, newest first (id
	// descending), after the id After.
	Imports(ctx context.Context, p ImportsParams) ([]*Import, error)
	// UpdateImport writes a job's state (its end, too) and appends errors
	// to its list, in one transaction, unless the job has ended
	// (cancelled meanwhile): then it writes nothing and returns EConflict.
	UpdateImport(ctx context.Context, im *Import, errs []ImportRowError) error
	// CancelImport ends a job that has not ended as cancelled at at, its
	// counts as they stand, and returns it as stored (a job that has
	// ended, unchanged). ENotFound.
	CancelImport(ctx context.Context, tenantID, id string, at time.Time) (*Import, error)
	// ImportErrors returns a page of a job's errors, in order, after the
	// error seq After.
	ImportErrors(ctx context.Context, p ImportErrorsParams) ([]ImportRowError, error)
}

// ImportsParams is the input of ImportStore.Imports.
type ImportsParams struct {
	TenantID string
	After    string
	Limit    int
}

// ImportErrorsParams is the input of ImportStore.ImportErrors.
type ImportErrorsParams struct {
	TenantID, ImportID string
	After              int64
	Limit              int
}

// ImportProgress is what a batch of an import writes beside its contacts,
// in their transaction (WriteContactsParams.Import): the job's new state
// and the batch's errors. The store writes nothing of the batch when the
// job has ended meanwhile (EConflict).
type ImportProgress struct {
	Job    *Import
	Errors []ImportRowError
}

// ImportRecord is one record of an imported file: the contact it
// describes, where it was, and what of it the contact cannot hold.
type ImportRecord struct {
	// N is the record's place in the file: a card's number from 1, a CSV
	// row's or an NDJSON record's line.
	N int
	// Input is the contact the record describes; nil when Err is set.
	Input *ContactInput
	// Warnings name what the contact does not hold as the file had it.
	Warnings []string
	// Err says why the record could not be read (a ragged CSV row, a
	// card that is not a vCard, a line that is not a JSON contact: an
	// *Error with field locations where it has them).
	Err error
	// Raw is the record as the file had it (a CSV row's cells, an NDJSON
	// line), for the error report.
	Raw []string
}

// ImportSource yields the records of a file, one at a time.
type ImportSource interface {
	// Next returns the next record, or io.EOF after the last. Any other
	// error ends the file: it cannot be read further.
	Next() (*ImportRecord, error)
}
