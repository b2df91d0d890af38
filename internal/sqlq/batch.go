package sqlq

import (
	"errors"
	"slices"

	"github.com/contactd/contactd"
)

// BatchWriter is what a store does for ApplyBatch, inside the batch's
// transaction, after it has locked the tenant and checked the refs.
type BatchWriter interface {
	// Conflicts checks new contacts, which share no unique value among
	// themselves, against the stored ones, and returns the refusal
	// (*contactd.ConflictError) of each that conflicts, by its index in cs.
	Conflicts(cs []*contactd.Contact) (map[int]error, error)
	// Insert writes new contacts with their changes, numbered next.
	Insert(ws []contactd.WriteContactParams) error
	// Replace checks and writes a replacement with its change, numbered
	// next; a refusal (a *contactd.ConflictError, or EPreconditionFailed
	// when the stored version is not PrevVersion) leaves nothing written.
	Replace(w contactd.WriteContactParams) error
	// UpdateImport writes an import's progress (ImportStore.UpdateImport).
	UpdateImport(pr *contactd.ImportProgress) error
	// WriteMerge writes what a merge or unmerge writes besides the
	// contacts (Dialect.MergeStatements).
	WriteMerge(m *contactd.MergeWrite) error
}

// ErrRefused ends a batch's transaction without committing it: an atomic
// batch's at its first refusal, and a dry run's at its end.
var ErrRefused = errors.New("a write of an atomic batch was refused")

// ApplyBatch makes the writes of a batch in order (see
// contactd.ContactStore.WriteContacts): runs of inserts are checked and
// written together, before the next replacement, whose own checks then
// see them; then the import progress p.Progress gives. It returns each
// write's refusal by index; with p.Atomic it stops at the first,
// returning ErrRefused with that refusal alone, and a dry run returns
// ErrRefused at its end, so that the store rolls the transaction back.
func ApplyBatch(p contactd.WriteContactsParams, w BatchWriter) ([]error, error) {
	errs, err := applyBatch(p, w)
	if err != nil {
		return errs, err
	}
	if p.Merge != nil && slices.IndexFunc(errs, func(e error) bool { return e != nil }) < 0 {
		if err := w.WriteMerge(p.Merge); err != nil {
			return errs, err
		}
	}
	if p.Progress != nil {
		if pr := p.Progress(errs); pr != nil {
			if err := w.UpdateImport(pr); err != nil {
				return errs, err
			}
		}
	}
	if p.DryRun {
		return errs, ErrRefused
	}
	return errs, nil
}

func applyBatch(p contactd.WriteContactsParams, w BatchWriter) ([]error, error) {
	errs := make([]error, len(p.Writes))
	var run []int
	refuse := func(i int, err error) error {
		errs[i] = err
		if p.Atomic {
			return ErrRefused
		}
		return nil
	}
	flush := func() error {
		if len(run) == 0 {
			return nil
		}
		cs := make([]*contactd.Contact, len(run))
		for k, i := range run {
			cs[k] = p.Writes[i].Contact
		}
		bad, err := w.Conflicts(cs)
		if err != nil {
			return err
		}
		var ws []contactd.WriteContactParams
		for k, i := range run {
			if err := bad[k]; err != nil {
				if err := refuse(i, err); err != nil {
					return err
				}
				continue
			}
			ws = append(ws, p.Writes[i])
		}
		run = run[:0]
		if len(ws) == 0 {
			return nil
		}
		return w.Insert(ws)
	}
	for i, wr := range p.Writes {
		if wr.PrevVersion == 0 {
			run = append(run, i)
			continue
		}
		if err := flush(); err != nil {
			return errs, err
		}
		if err := w.Replace(wr); err != nil {
			if !Refusal(err) {
				return errs, err
			}
			if err := refuse(i, err); err != nil {
				return errs, err
			}
		}
	}
	return errs, flush()
}

// Refusal reports whether err refuses one write rather than failing the
// transaction: a unique value another contact holds, or a version that
// moved on.
func Refusal(err error) bool {
	var ce *contactd.ConflictError
	return errors.As(err, &ce) || contactd.ErrorCodeOf(err) == contactd.EPreconditionFailed
}
