package contactd

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// MaxBulk is the most contacts one CreateContacts call takes.
const MaxBulk = 10000

// CreateContacts validates and stores many new contacts in one transaction,
// each with its "created" change: the bulk path of imports and of the
// benchmark loader. source is recorded on each contact ("import", "sync",
// …). Validation runs on every core. Nothing is written when any input is
// invalid (EInvalid, locations prefixed with the input's index, "[3].emails[0].address")
// or conflicts with a stored contact or another input (EConflict).
func (s *Service) CreateContacts(ctx context.Context, p Principal, source string, ins []*ContactInput) ([]*Contact, error) {
	if err := p.require(ScopeWrite); err != nil {
		return nil, err
	}
	if len(ins) > MaxBulk {
		return nil, invalidField("body", "at most %d contacts at once", MaxBulk)
	}
	if source == "" {
		source = "import"
	}
	t, err := s.store.Tenant(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	cs := make([]*Contact, len(ins))
	errs := make([]error, len(ins))
	onEveryCore(len(ins), func(i int) {
		cs[i], errs[i] = buildContact(ins[i], nil, t.DefaultRegion)
		if errs[i] == nil {
			errs[i] = s.checkSystemType(p, nil, cs[i])
		}
	})
	var fe []FieldError
	for i, err := range errs {
		if err == nil {
			continue
		}
		e, ok := err.(*Error)
		if !ok || e.Code != EInvalid {
			return nil, err
		}
		for _, f := range e.Fields {
			fe = append(fe, FieldError{Location: fmt.Sprintf("[%d]", i) + dotted(f.Location), Message: f.Message, Value: f.Value})
		}
	}
	if len(fe) > 0 {
		return nil, invalid(fe)
	}
	if err := duplicatesWithin(cs, t.UniquePhones); err != nil {
		return nil, err
	}
	now := s.now()
	batch := make([]WriteContactParams, len(cs))
	for _, c := range cs {
		c.ID = NewID(PrefixContact)
		c.Version = 1
		c.Source = source
		c.CreatedAt, c.CreatedBy, c.UpdatedAt, c.UpdatedBy = now, p.Actor, now, p.Actor
	}
	return retry(ctx, "the batch", func(int) ([]*Contact, bool, error) {
		refs, err := s.contactRefs(ctx, p, cs...)
		if err != nil {
			return nil, false, err
		}
		for i, c := range cs {
			ch := s.change(p, "created", nil, c)
			ch.At = now
			batch[i] = WriteContactParams{TenantID: p.TenantID, Contact: c, Change: ch, Terms: SearchTerms(c)}
		}
		err = s.store.InsertContacts(ctx, InsertContactsParams{TenantID: p.TenantID, Contacts: batch, Refs: refs})
		if stale(err) {
			return nil, true, nil // a tag was renamed meanwhile: spell it anew
		}
		if err != nil {
			return nil, false, batchWriteError(err, cs)
		}
		return cs, false, nil
	})
}

// onEveryCore calls f(0) … f(n-1), spread over as many goroutines as
// there are cores (one for a few calls), and waits for them.
func onEveryCore(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), max(1, n/32))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				f(i)
			}
		})
	}
	wg.Wait()
}

// batchWriteError words what a store found wrong with a batch, located at
// the input it is about.
func batchWriteError(err error, cs []*Contact) error {
	var ce *ConflictError
	var re *RefError
	for i, c := range cs {
		switch {
		case errors.As(err, &ce) && holds(c, ce):
			return withIndex(contactConflict(ce, c), i)
		case errors.As(err, &re) && re.Field == "accountId" && c.AccountID == re.Value:
			return withIndex(contactWriteError(err, c), i)
		}
	}
	return contactWriteError(err, &Contact{})
}

// holds reports whether c has the unique value of a conflict.
func holds(c *Contact, ce *ConflictError) bool {
	switch ce.Field {
	case "email":
		return slices.ContainsFunc(c.Emails, func(e Email) bool { return e.Address == ce.Value })
	case "phone":
		return slices.ContainsFunc(c.Phones, func(ph Phone) bool { return ph.E164 == ce.Value })
	case "externalId":
		return c.ExternalID == ce.Value
	}
	return false
}

// withIndex prefixes the field locations of an error with an input's index.
func withIndex(err error, i int) error {
	return relocated(err, func(loc string) string { return fmt.Sprintf("[%d]", i) + dotted(loc) })
}

// dotted joins an index and a location: "[3]" + ".emails[0]" or "[3]" + "" for "body".
func dotted(loc string) string {
	if loc == "" || loc == "body" {
		return ""
	}
	if strings.HasPrefix(loc, "[") {
		return loc
	}
	return "." + loc
}

// duplicatesWithin finds two inputs sharing an email or external id (or,
// with uniquePhones, a number).
func duplicatesWithin(cs []*Contact, uniquePhones bool) error {
	emails := map[string]int{}
	ext := map[string]int{}
	phones := map[string]int{}
	claims := map[extensionClaim]int{}
	for i, c := range cs {
		for _, cl := range extensionClaims(c) {
			if k, ok := claims[cl]; ok && k != i {
				return &Error{Code: EConflict, Message: fmt.Sprintf("inputs %d and %d share the %s %s", k, i, cl.field, cl.value),
					ConflictingField: cl.field, Fields: []FieldError{{Location: fmt.Sprintf("[%d].extensions", i), Message: "duplicates an extension of input " + fmt.Sprint(k)}}}
			}
			claims[cl] = i
		}
		for j, ph := range c.Phones {
			if !uniquePhones {
				break
			}
			if k, ok := phones[ph.E164]; ok && k != i {
				return &Error{Code: EConflict, Message: fmt.Sprintf("inputs %d and %d share the number %s", k, i, ph.E164),
					ConflictingField: "phone", Fields: []FieldError{{Location: fmt.Sprintf("[%d].phones[%d].number", i, j), Message: "duplicates a number of input " + fmt.Sprint(k)}}}
			}
			phones[ph.E164] = i
		}
		for j, e := range c.Emails {
			if k, ok := emails[e.Address]; ok {
				return &Error{Code: EConflict, Message: fmt.Sprintf("inputs %d and %d share the email %s", k, i, e.Address),
					ConflictingField: "email", Fields: []FieldError{{Location: fmt.Sprintf("[%d].emails[%d].address", i, j), Message: "duplicates an email of input " + fmt.Sprint(k)}}}
			}
			emails[e.Address] = i
		}
		if c.ExternalID != "" {
			if k, ok := ext[c.ExternalID]; ok {
				return &Error{Code: EConflict, Message: fmt.Sprintf("inputs %d and %d share the external id %s", k, i, c.ExternalID),
					ConflictingField: "externalId", Fields: []FieldError{{Location: fmt.Sprintf("[%d].externalId", i), Message: "duplicates the external id of input " + fmt.Sprint(k)}}}
			}
			ext[c.ExternalID] = i
		}
	}
	return nil
}
