package contactd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// MaxBatch is the most operations one batch holds.
const MaxBatch = 1000

// Batch result statuses.
var BatchStatuses = []string{"created", "updated", "unchanged", "deleted", "error"}

// BatchResult is the outcome of one operation of a batch.
type BatchResult struct {
	Index  int    `json:"index" doc:"The operation's position in the batch, from 0."`
	Status string `json:"status" doc:"created, updated, unchanged, deleted or error."`
	// ID and Version are those of the contact written (or left unchanged).
	ID      string `json:"id,omitempty" doc:"The contact's id."`
	Version int64  `json:"version,omitempty" doc:"The contact's version after the operation: its ETag."`
	// Err is why the operation failed; the transport renders it as the
	// problem a single request would get.
	Err error `json:"-"`
}

// batchItem is an operation on its way through a batch.
type batchItem struct {
	i       int
	op      *BatchOp
	before  *Contact // the contact as read (nil for a creation)
	after   *Contact // what it becomes
	change  *Change
	created bool
}

// Batch applies up to MaxBatch operations (creates, merge-patch updates,
// upserts that replace, soft deletes), each checked as its single request
// would be, and answers one result per operation, in order. The writes go
// in one transaction, in order, each with its change. Two operations
// claiming one contact, email, external id (or, with uniquePhones,
// number) are caught before anything is written: the first keeps it, the
// later ones fail with a 409 naming it. An operation that fails does not
// stop the others, unless atomic: then nothing is written when any fails,
// and the others fail as EAborted. Needs contacts:admin, and each
// operation the scope of its single request.
func (s *Service) Batch(ctx context.Context, p Principal, ops []BatchOp, atomic bool) ([]BatchResult, error) {
	if err := p.require(ScopeAdmin); err != nil {
		return nil, err
	}
	if len(ops) > MaxBatch {
		return nil, invalidField("operations", "must hold at most %d operations (got %d)", MaxBatch, len(ops))
	}
	return s.applyBatch(ctx, p, ops, batchOptions{atomic: atomic, source: "api",
		at:   func(i int) string { return fmt.Sprintf("operations[%d].contact", i) },
		name: func(i int) string { return fmt.Sprintf("operation %d", i) }})
}

// batchOptions say how a batch runs: for the API (Batch) or an import.
type batchOptions struct {
	atomic bool
	// source is the source of the contacts it creates.
	source string
	// at locates operation i's contact in the request
	// ("operations[3].contact"; "" leaves locations as they are), name
	// names it in messages ("operation 3", "record 12").
	at, name func(i int) string
	// dryRun writes nothing: each write is made and rolled back.
	dryRun bool
	// progress, when set, gives the import's progress to write with the
	// results, in their transaction: it is called with the results as
	// they stand once a write is made (nil when there is nothing to write).
	progress func(results []BatchResult) *ImportProgress
}

func (o batchOptions) under(err error, i int) error {
	if o.at == nil || o.at(i) == "" {
		return err
	}
	return under(err, o.at(i))
}

// applyBatch is Batch, for ops already checked for size.
func (s *Service) applyBatch(ctx context.Context, p Principal, ops []BatchOp, opts batchOptions) ([]BatchResult, error) {
	atomic := opts.atomic
	t, err := s.store.Tenant(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	results := make([]BatchResult, len(ops))
	pending := make([]int, 0, len(ops))
	for i := range ops {
		results[i] = BatchResult{Index: i}
		if err := ops[i].Err; err != nil {
			results[i].fail(err)
			continue
		}
		scope := ScopeWrite
		if ops[i].Op == OpDelete {
			scope = ScopeDelete
		}
		if err := p.require(scope); err != nil {
			results[i].fail(err)
			continue
		}
		pending = append(pending, i)
	}
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt > maxWriteAttempts {
			for _, i := range pending {
				results[i].fail(Errorf(EConflict, "the contact is being changed by many requests at once; retry"))
			}
			break
		}
		if atomic && failed(results) {
			break
		}
		items, err := s.prepareBatch(ctx, p, t, ops, pending, results, opts)
		if err != nil {
			return nil, err
		}
		claimsWithin(items, t.UniquePhones, results, opts)
		if atomic && failed(results) {
			break
		}
		if pending, err = s.writeBatch(ctx, p, items, results, opts); err != nil {
			return nil, err
		}
		if len(pending) > 0 {
			if err := sleepCtx(ctx, backoff(attempt)); err != nil {
				return nil, err
			}
		}
	}
	if atomic {
		abortOthers(results)
	}
	return results, nil
}

func (r *BatchResult) fail(err error) {
	r.Status, r.ID, r.Version, r.Err = "error", "", 0, err
}

func failed(results []BatchResult) bool {
	return slices.ContainsFunc(results, func(r BatchResult) bool { return r.Err != nil })
}

// abortOthers marks every operation of an atomic batch that did not fail
// as not applied, when one did.
func abortOthers(results []BatchResult) {
	first := slices.IndexFunc(results, func(r BatchResult) bool { return r.Err != nil })
	if first < 0 {
		return
	}
	for i := range results {
		if results[i].Err == nil {
			results[i].fail(Errorf(EAborted, "not applied: the batch is atomic and operation %d failed", first))
		}
	}
}

// prepareBatch reads the contacts the pending operations name and works
// out what each becomes, on every core. An operation that fails has its
// result set and no item.
func (s *Service) prepareBatch(ctx context.Context, p Principal, t *Tenant, ops []BatchOp, pending []int, results []BatchResult, opts batchOptions) ([]*batchItem, error) {
	items := make([]*batchItem, len(pending))
	errs := make([]error, len(pending))
	onEveryCore(len(pending), func(k int) {
		items[k], errs[k] = s.prepareOp(ctx, p, t, pending[k], &ops[pending[k]], opts)
	})
	out := items[:0]
	for k, it := range items {
		i := pending[k]
		switch err := errs[k]; {
		case err != nil && ErrorCodeOf(err) == EInternal:
			return nil, err
		case err != nil:
			results[i].fail(err)
		default:
			out = append(out, it)
		}
	}
	return out, nil
}

// prepareOp reads the contact of operation i and builds its next version
// and change, as the single request does; change is nil when nothing
// changes.
func (s *Service) prepareOp(ctx context.Context, p Principal, t *Tenant, i int, op *BatchOp, opts batchOptions) (*batchItem, error) {
	it := &batchItem{i: i, op: op}
	var err error
	var typ string
	switch op.Op {
	case OpCreate:
		it.after, err = buildContact(op.Contact, nil, t.DefaultRegion)
	case OpUpsert:
		in := *op.Contact
		if err = upsertKey(&in, op.Key); err != nil {
			break
		}
		it.before, err = s.resolve(ctx, p, op.Key)
		switch {
		case ErrorCodeOf(err) == ENotFound:
			it.before = nil
			it.after, err = buildContact(&in, nil, t.DefaultRegion)
		case err == nil:
			typ = "updated"
			it.after, err = buildContact(&in, clone(it.before), t.DefaultRegion)
		}
		if err == nil && op.Key.Email != "" && !slices.ContainsFunc(it.after.Emails, func(e Email) bool { return e.Address == normalEmail(op.Key.Email) }) {
			err = invalidField("emails", "must hold the email the operation names, %s", op.Key.Email)
		}
	case OpUpdate:
		if it.before, err = s.resolve(ctx, p, op.Key); err == nil && !it.before.Live() {
			err = notFound(op.Key)
		}
		if err == nil {
			typ = "updated"
			it.after, err = patched(clone(it.before), op.Patch, t.DefaultRegion)
		}
		if err == nil && op.Photo != nil {
			err = withPhoto(it.after, op.Photo)
		}
	case OpDelete:
		if it.before, err = s.resolve(ctx, p, op.Key); err == nil && !it.before.Live() {
			err = notFound(op.Key)
		}
		if err == nil {
			typ = "deleted"
			it.after = clone(it.before)
			now := s.now()
			it.after.DeletedAt, it.after.DeletedBy = &now, p.Actor
		}
	}
	if err != nil {
		return nil, opts.under(err, i)
	}
	if err := s.checkSystemType(p, it.before, it.after); err != nil {
		return nil, err
	}
	if it.before == nil {
		now := s.now()
		c := it.after
		c.ID, c.Version, c.Source = NewID(PrefixContact), 1, opts.source
		c.CreatedAt, c.CreatedBy, c.UpdatedAt, c.UpdatedBy = now, p.Actor, now, p.Actor
		it.created, it.change = true, s.change(p, "created", nil, c)
		return it, nil
	}
	ch := s.change(p, typ, it.before, it.after)
	if len(ch.Fields) == 0 {
		return it, nil // nothing changes: no new version
	}
	it.after.Version = it.before.Version + 1
	it.after.UpdatedAt, it.after.UpdatedBy = ch.At, p.Actor
	ch.Version = it.after.Version
	it.change = ch
	return it, nil
}

// upsertKey makes the key of an upsert part of its contact: the external
// id (which the contact may repeat, not contradict) or the email (added
// as the primary one unless the contact has it).
func upsertKey(in *ContactInput, key Selector) error {
	if key.ExternalID != "" {
		if in.ExternalID != "" && in.ExternalID != key.ExternalID {
			return invalidField("externalId", "must equal the operation's externalId (or be omitted)")
		}
		in.ExternalID = key.ExternalID
		return nil
	}
	addr := normalEmail(key.Email)
	if in.Email == "" && !slices.ContainsFunc(in.Emails, func(e Email) bool { return normalEmail(e.Address) == addr }) {
		in.Email = key.Email
	}
	return nil
}

func normalEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// claimsWithin fails the operations that claim what an earlier one of the
// batch claims: the contact itself, an email, the external id or (with
// uniquePhones) a number of what it writes.
func claimsWithin(items []*batchItem, uniquePhones bool, results []BatchResult, opts batchOptions) {
	type claim struct{ field, value string }
	owner := map[claim]*batchItem{}
	for _, it := range items {
		c := it.after
		claims := []claim{{"id", c.ID}}
		if c.Live() {
			for _, e := range c.Emails {
				claims = append(claims, claim{"email", e.Address})
			}
			if c.ExternalID != "" {
				claims = append(claims, claim{"externalId", c.ExternalID})
			}
			for _, ph := range c.Phones {
				if uniquePhones {
					claims = append(claims, claim{"phone", ph.E164})
				}
			}
			for _, cl := range extensionClaims(c) {
				claims = append(claims, claim{cl.field, cl.scope + "\x00" + cl.value})
			}
		}
		var clash *batchItem
		var with claim
		for _, cl := range claims {
			if o, ok := owner[cl]; ok {
				clash, with = o, cl
				break
			}
		}
		if clash == nil {
			for _, cl := range claims {
				owner[cl] = it
			}
			continue
		}
		what := map[string]string{"id": "the contact", "email": "the email", "externalId": "the external id", "phone": "the number",
			"extension": "the extension", "fqExtension": "the fully qualified extension"}[with.field]
		scope, value, _ := strings.Cut(with.value, "\x00")
		if !strings.Contains(with.field, "xtension") {
			scope, value = "", with.value
		}
		msg := fmt.Sprintf("%s already claims %s %s", opts.name(clash.i), what, value)
		e := &Error{Code: EConflict, Message: msg, ConflictingID: clash.after.ID}
		if with.field != "id" {
			e, _ = contactConflict(&ConflictError{Field: with.field, Value: value, Scope: scope, ID: clash.after.ID}, c).(*Error)
			e.Message = msg
			for k := range e.Fields {
				e.Fields[k].Message = msg
			}
		}
		results[it.i].fail(opts.under(e, it.i))
	}
}

// writeBatch writes the items that have not failed, in one transaction,
// and records their results. It returns the operations to prepare again:
// those whose contact another request changed after it was read, or with
// atomic, every one when any did.
func (s *Service) writeBatch(ctx context.Context, p Principal, items []*batchItem, results []BatchResult, opts batchOptions) ([]int, error) {
	atomic := opts.atomic
	var live []*batchItem
	for _, it := range items {
		switch {
		case results[it.i].Err != nil:
		case it.change == nil:
			results[it.i] = BatchResult{Index: it.i, Status: "unchanged", ID: it.before.ID, Version: it.before.Version}
		default:
			live = append(live, it)
		}
	}
	if len(live) == 0 {
		return nil, s.recordProgress(ctx, results, opts)
	}
	for {
		cs := make([]*Contact, len(live))
		for k, it := range live {
			cs[k] = it.after
		}
		refs, err := s.contactRefs(ctx, p, cs...)
		if err != nil {
			return nil, err
		}
		writes := make([]WriteContactParams, len(live))
		for k, it := range live {
			prev := int64(0)
			if it.before != nil {
				prev = it.before.Version
			}
			writes[k] = WriteContactParams{TenantID: p.TenantID, Contact: it.after, PrevVersion: prev, Change: it.change, Terms: SearchTerms(it.after)}
		}
		wp := WriteContactsParams{TenantID: p.TenantID, Writes: writes, Refs: refs, Atomic: atomic, DryRun: opts.dryRun}
		if opts.progress != nil && !opts.dryRun {
			wp.Progress = func(errs []error) *ImportProgress {
				tentative := slices.Clone(results)
				settleWrites(live, errs, tentative, opts)
				return opts.progress(tentative)
			}
		}
		errs, err := s.store.WriteContacts(ctx, wp)
		var re *RefError
		switch {
		case stale(err):
			continue // a tag was renamed meanwhile: spell it anew
		case errors.As(err, &re) && re.Field == "accountId":
			// The operations naming a missing account fail; the others
			// are written without them.
			live = slices.DeleteFunc(live, func(it *batchItem) bool {
				if it.after.AccountID != re.Value {
					return false
				}
				results[it.i].fail(opts.under(contactWriteError(err, it.after), it.i))
				return true
			})
			if atomic || len(live) == 0 {
				return nil, s.recordProgress(ctx, results, opts)
			}
			continue
		case err != nil:
			return nil, err
		}
		again := settleWrites(live, errs, results, opts)
		if opts.dryRun {
			return again, s.recordProgress(ctx, results, opts)
		}
		return again, nil
	}
}

// recordProgress writes an import's progress when no write carried it.
func (s *Service) recordProgress(ctx context.Context, results []BatchResult, opts batchOptions) error {
	if opts.progress == nil {
		return nil
	}
	pr := opts.progress(results)
	if pr == nil {
		return nil
	}
	return s.store.UpdateImport(ctx, pr.Job, pr.Errors)
}

// settleWrites records the results of the writes made for live (errs, as
// the store returned them) and returns the operations to prepare again.
func settleWrites(live []*batchItem, errs []error, results []BatchResult, opts batchOptions) []int {
	atomic := opts.atomic
	var again []int
	for k, it := range live {
		switch werr := errs[k]; {
		case werr == nil && atomic && slices.ContainsFunc(errs, func(e error) bool { return e != nil }):
			// Rolled back with the batch: prepared again if the
			// refusal was a lost race, else aborted.
			if ErrorCodeOf(firstErr(errs)) == EPreconditionFailed {
				again = append(again, it.i)
			}
		case werr == nil:
			status := "updated"
			switch {
			case it.created:
				status = "created"
			case !it.after.Live():
				status = "deleted"
			}
			results[it.i] = BatchResult{Index: it.i, Status: status, ID: it.after.ID, Version: it.after.Version}
		case ErrorCodeOf(werr) == EPreconditionFailed:
			again = append(again, it.i) // changed since it was read
		default:
			results[it.i].fail(opts.under(contactWriteError(werr, it.after), it.i))
		}
	}
	return again
}

func firstErr(errs []error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
