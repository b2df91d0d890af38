package contactd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/contactd/contactd/internal/phone"
)

// importBatch is how many records an import writes in one transaction.
const importBatch = 1000

// importStale is how long a running job may go without writing progress
// before it is taken as interrupted (its server stopped).
const importStale = 2 * time.Minute

// maxImportWarnings bounds the distinct warnings a job keeps.
const maxImportWarnings = 100

// ImportParams are the settings of a new import.
type ImportParams struct {
	Format, Mode string
	DryRun       bool
	// Layout names the export a CSV header was recognised as; Columns
	// are its columns.
	Layout  string
	Columns []string
	// Bytes is the size of the file.
	Bytes int64
}

// CreateImport records a new import job, queued, for RunImport to run.
// Needs contacts:admin. EInvalid, EForbidden.
func (s *Service) CreateImport(ctx context.Context, p Principal, params ImportParams) (*Import, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	if params.Mode == "" {
		params.Mode = "create"
	}
	switch {
	case !slices.Contains(ImportFormats, params.Format):
		return nil, invalidField("query.format", "must be one of %s", strings.Join(ImportFormats, ", "))
	case !slices.Contains(ImportModes, params.Mode):
		return nil, invalidField("query.mode", "must be one of %s", strings.Join(ImportModes, ", "))
	}
	now := s.now()
	im := &Import{ID: NewID(PrefixImport), TenantID: p.TenantID, Status: ImportQueued, Format: params.Format, Mode: params.Mode,
		DryRun: params.DryRun, Layout: params.Layout, Columns: params.Columns, Bytes: params.Bytes, Warnings: []ImportWarning{},
		CreatedAt: now, CreatedBy: p.Actor, HeartbeatAt: now}
	if params.Mode == "upsert" {
		im.MatchedBy = map[string]int64{}
	}
	if err := s.store.CreateImport(ctx, im); err != nil {
		return nil, err
	}
	return im, nil
}

// RunImport runs a queued job over the records of src, importBatch at a
// time, each batch written in one transaction with the job's progress, so
// that the counts are exact whenever they are read. Each record goes
// through what its API request would: in create mode a create, in upsert
// mode an update of the contact it matches (by externalId, then email,
// then phone number), or a create; a dry run makes every write and rolls
// it back. headerWarnings are the file's own (its columns). onProgress,
// when not nil, is called after each batch. The job ends succeeded,
// failed (the file could not be read further, ctx ended, the store
// failed) or cancelled (CancelImport meanwhile), and is returned as it
// ended.
func (s *Service) RunImport(ctx context.Context, p Principal, im *Import, src ImportSource, headerWarnings []string, onProgress func(*Import)) (*Import, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	// Importing is an admin's work: its records need no other scope.
	p.Scopes = AllScopes
	r := &importRun{s: s, p: p, im: im, warnAt: map[string]int{}}
	now := s.now()
	im.Status, im.StartedAt, im.HeartbeatAt = ImportRunning, &now, now
	for _, w := range headerWarnings {
		r.warn(w, 0)
	}
	if err := s.store.UpdateImport(ctx, im, nil); err != nil {
		return s.endedImport(ctx, im, err)
	}
	for {
		recs, readErr := r.read(src)
		if len(recs) > 0 {
			if err := r.batch(ctx, recs); err != nil {
				return s.endedImport(ctx, im, err)
			}
			if onProgress != nil {
				onProgress(im)
			}
		}
		switch {
		case readErr == io.EOF:
			total := im.Processed
			im.Total = &total
			return s.endImport(ctx, im, ImportSucceeded, "")
		case readErr != nil:
			return s.endImport(ctx, im, ImportFailed, fmt.Sprintf("the file cannot be read after record %d: %v", im.Processed, readErr))
		}
	}
}

// endImport writes a job's end.
func (s *Service) endImport(ctx context.Context, im *Import, status, msg string) (*Import, error) {
	now := s.now()
	im.Status, im.Error, im.FinishedAt, im.HeartbeatAt = status, msg, &now, now
	if im.StartedAt != nil {
		if d := now.Sub(*im.StartedAt).Seconds(); d > 0 {
			im.Rate = float64(im.Processed) / d
		}
	}
	if err := s.store.UpdateImport(context.WithoutCancel(ctx), im, nil); err != nil {
		return s.endedImport(ctx, im, err)
	}
	return im, nil
}

// endedImport ends a job that stopped on err: one cancelled meanwhile is
// read back as it is stored; another is failed, with the counts of what
// was written (re-read, as a batch under way when it stopped was rolled
// back).
func (s *Service) endedImport(ctx context.Context, im *Import, err error) (*Import, error) {
	ctx = context.WithoutCancel(ctx)
	stored, rerr := s.store.Import(ctx, im.TenantID, im.ID)
	if rerr != nil {
		return nil, errors.Join(err, rerr)
	}
	if stored.Done() {
		return stored, nil
	}
	msg := "interrupted"
	if e, ok := err.(*Error); ok && e.Code != EInternal {
		msg += ": " + e.Message
	} else if errors.Is(err, context.Canceled) {
		msg += ": the server stopped"
	} else {
		s.log.Error("import failed", "import", im.ID, "err", err)
		msg += ": an internal error occurred; it has been logged"
	}
	msg += fmt.Sprintf("; the %d records up to this point were imported, the others were not", stored.Processed)
	now := s.now()
	stored.Status, stored.Error, stored.FinishedAt = ImportFailed, msg, &now
	if uerr := s.store.UpdateImport(ctx, stored, nil); uerr != nil && ErrorCodeOf(uerr) != EConflict {
		return nil, errors.Join(err, uerr)
	}
	return stored, nil
}

// importRun is a job under way.
type importRun struct {
	s      *Service
	p      Principal
	im     *Import
	warnAt map[string]int // warning message → index in im.Warnings
}

// read reads up to importBatch records.
func (r *importRun) read(src ImportSource) ([]*ImportRecord, error) {
	var recs []*ImportRecord
	for len(recs) < importBatch {
		rec, err := src.Next()
		if err != nil {
			return recs, err
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

func (r *importRun) warn(msg string, record int) {
	if i, ok := r.warnAt[msg]; ok {
		r.im.Warnings[i].Records++
		return
	}
	if len(r.im.Warnings) >= maxImportWarnings {
		return
	}
	r.warnAt[msg] = len(r.im.Warnings)
	r.im.Warnings = append(r.im.Warnings, ImportWarning{Message: msg, Records: 1, FirstRecord: record})
}

// batch imports one batch of records.
func (r *importRun) batch(ctx context.Context, recs []*ImportRecord) error {
	im := r.im
	var ops []BatchOp
	var opRec []*ImportRecord
	var matched []string
	// What is known before writing is counted with the batch's first write.
	var early []ImportRowError
	var processed, failed, skipped int64
	for _, rec := range recs {
		processed++
		for _, w := range rec.Warnings {
			r.warn(w, rec.N)
		}
		switch {
		case rec.Err != nil:
			failed++
			early = append(early, rowErrors(rec, rec.Err)...)
			continue
		case reflect.ValueOf(*rec.Input).IsZero():
			skipped++
			continue
		}
		op, by, err := r.s.importOp(ctx, r.p, im.Mode, rec.Input)
		if err != nil {
			if ErrorCodeOf(err) == EInternal {
				return err
			}
			failed++
			early = append(early, rowErrors(rec, err)...)
			continue
		}
		ops, opRec, matched = append(ops, op), append(opRec, rec), append(matched, by)
	}
	counted := make([]bool, len(ops))
	first := true
	progress := func(results []BatchResult) *ImportProgress {
		var errs []ImportRowError
		if first {
			first = false
			im.Processed += processed
			im.Failed += failed
			im.Skipped += skipped
			errs = append(errs, early...)
		}
		for i, res := range results {
			if counted[i] || res.Status == "" {
				continue
			}
			counted[i] = true
			switch res.Status {
			case "created":
				im.Created++
			case "updated":
				im.Updated++
			case "unchanged":
				im.Unchanged++
			case "error":
				im.Failed++
				errs = append(errs, rowErrors(opRec[i], res.Err)...)
				continue
			}
			if matched[i] != "" && res.Status != "created" {
				im.MatchedBy[matched[i]]++
			}
		}
		im.HeartbeatAt = r.s.now()
		job := *im
		job.Warnings = slices.Clone(im.Warnings)
		return &ImportProgress{Job: &job, Errors: errs}
	}
	if len(ops) == 0 {
		pr := progress(nil)
		return r.s.store.UpdateImport(ctx, pr.Job, pr.Errors)
	}
	_, err := r.s.applyBatch(ctx, r.p, ops, batchOptions{source: "import", dryRun: im.DryRun, progress: progress,
		name: func(i int) string { return "record " + strconv.Itoa(opRec[i].N) }})
	return err
}

// importOp makes the batch operation of a record: in create mode a
// create; in upsert mode an update of the live contact with the record's
// external id, else one of its emails, else one of its numbers (by
// E.164), with what the record has (a merge patch: what it lacks stays
// as it is), or a create when none has. It returns which key matched.
func (s *Service) importOp(ctx context.Context, p Principal, mode string, in *ContactInput) (BatchOp, string, error) {
	create := BatchOp{Op: OpCreate, Contact: in}
	if mode != "upsert" {
		return create, "", nil
	}
	match := func(c *Contact, err error, by string) (BatchOp, string, bool, error) {
		switch {
		case ErrorCodeOf(err) == ENotFound:
			return BatchOp{}, "", false, nil
		case err != nil:
			return BatchOp{}, "", false, err
		}
		return BatchOp{Op: OpUpdate, Key: Selector{ID: c.ID}, Patch: inputPatch(in), Photo: in.Photo}, by, true, nil
	}
	if id := strings.TrimSpace(in.ExternalID); id != "" {
		c, err := s.store.ContactByExternalID(ctx, p.TenantID, id)
		if ErrorCodeOf(err) == ENotFound {
			// A contact merged into another: the record updates the
			// survivor, which keeps its own external id.
			if c, err = s.mergedByExternalID(ctx, p, id); err == nil {
				op, by, _, _ := match(c, nil, "externalId")
				delete(op.Patch, "externalId")
				return op, by, nil
			}
		}
		if op, by, ok, err := match(c, err, "externalId"); ok || err != nil {
			return op, by, err
		}
	}
	emails := slices.Clone(in.Emails)
	if in.Email != "" {
		emails = append(emails, Email{Address: in.Email})
	}
	for _, e := range emails {
		c, err := s.store.ContactByEmail(ctx, p.TenantID, strings.ToLower(strings.TrimSpace(e.Address)))
		if ErrorCodeOf(err) == ENotFound {
			// The address as its domain delivers it, as duplicates are found.
			c, err = s.liveWithKey(ctx, p, "e:"+CanonicalEmail(e.Address), "email", e.Address)
		}
		if op, by, ok, err := match(c, err, "email"); ok || err != nil {
			return op, by, err
		}
	}
	numbers := slices.Clone(in.Phones)
	if in.Phone != "" {
		numbers = append(numbers, Phone{Number: in.Phone})
	}
	for _, ph := range numbers {
		n, err := phone.Read(ph.Number, p.Region)
		if err != nil {
			continue // the create reports it
		}
		ms, err := s.store.LookupPhone(ctx, p.TenantID, n.E164, 2)
		switch {
		case err != nil:
			return BatchOp{}, "", err
		case len(ms) > 1:
			return BatchOp{}, "", &Error{Code: EConflict, Message: fmt.Sprintf("several contacts have the number %s: give the record an externalId or email that says which", n.E164),
				ConflictingID: ms[0].ContactID, ConflictingField: "phone"}
		case len(ms) == 1:
			return BatchOp{Op: OpUpdate, Key: Selector{ID: ms[0].ContactID}, Patch: inputPatch(in), Photo: in.Photo}, "phone", nil
		}
	}
	return create, "", nil
}

// inputPatch is the merge patch of what a record has: its fields that
// are not empty, its lists (which replace the contact's) and its custom
// data (merged key by key).
func inputPatch(in *ContactInput) map[string]any {
	m := map[string]any{}
	for k, v := range map[string]string{
		"kind": in.Kind, "contactType": in.ContactType, "firstName": in.FirstName, "middleName": in.MiddleName,
		"lastName": in.LastName, "nickName": in.NickName, "suffix": in.Suffix, "displayName": in.DisplayName,
		"company": in.Company, "department": in.Department, "jobTitle": in.JobTitle, "birthday": in.Birthday, "anniversary": in.Anniversary,
		"locale": in.Locale, "timezone": in.Timezone, "profileColor": in.ProfileColor, "notes": in.Notes,
		"accountId": in.AccountID, "ownerId": in.OwnerID, "externalId": in.ExternalID, "status": in.Status,
		"name": in.Name, "email": in.Email, "phone": in.Phone,
	} {
		if strings.TrimSpace(v) != "" {
			m[k] = v
		}
	}
	if len(in.Phones) > 0 {
		var l []any
		for _, p := range in.Phones {
			l = append(l, map[string]any{"number": p.Number, "type": p.Type, "primary": p.Primary, "extension": p.Extension})
		}
		m["phones"] = l
	}
	if len(in.Emails) > 0 {
		var l []any
		for _, e := range in.Emails {
			l = append(l, map[string]any{"address": e.Address, "type": e.Type, "primary": e.Primary})
		}
		m["emails"] = l
	}
	if len(in.Addresses) > 0 {
		var l []any
		for _, a := range in.Addresses {
			doc, _ := docOf(a)
			delete(doc, "id")
			l = append(l, doc)
		}
		m["addresses"] = l
	}
	if len(in.Handles) > 0 {
		var l []any
		for _, h := range in.Handles {
			l = append(l, map[string]any{"type": h.Type, "value": h.Value})
		}
		m["handles"] = l
	}
	if len(in.Tags) > 0 {
		m["tags"] = anySlice(in.Tags)
	}
	for k, raw := range map[string][]byte{"properties": in.Properties, "metadata": in.Metadata} {
		if len(raw) > 0 {
			var v map[string]any
			if unmarshalNumbers(raw, &v) == nil {
				m[k] = v
			}
		}
	}
	for k, v := range map[string]bool{"doNotCall": in.DoNotCall, "emailOptOut": in.EmailOptOut, "smsOptOut": in.SMSOptOut} {
		if v {
			m[k] = true
		}
	}
	return m
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// rowErrors are the errors of a record that failed: one for each field
// problem, or one for the record.
func rowErrors(rec *ImportRecord, err error) []ImportRowError {
	base := ImportRowError{Record: rec.N, Code: string(ErrorCodeOf(err)), Message: err.Error(), Raw: rec.Raw}
	var e *Error
	if !errors.As(err, &e) {
		return []ImportRowError{base}
	}
	base.Message, base.ConflictingID = e.Message, e.ConflictingID
	if len(e.Fields) == 0 {
		return []ImportRowError{base}
	}
	out := make([]ImportRowError, len(e.Fields))
	for i, f := range e.Fields {
		out[i] = base
		out[i].Location, out[i].Message = f.Location, f.Message
		if f.Value != nil {
			out[i].Value = fmt.Sprint(f.Value)
		}
	}
	return out
}
