package contactd

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/contactd/contactd/internal/filter"
	"github.com/contactd/contactd/internal/sqlq"
)

// PrefixAccount is the id prefix of accounts.
const PrefixAccount = "acc_"

// Account is an organization that contacts belong to (their accountId).
// Its JSON form is the API representation.
type Account struct {
	ID         string          `json:"id"`
	Version    int64           `json:"version"`
	Name       string          `json:"name"`
	Domain     string          `json:"domain,omitempty"`
	Phones     []Phone         `json:"phones"`
	Addresses  []Address       `json:"addresses"`
	ExternalID string          `json:"externalId,omitempty"`
	Properties json.RawMessage `json:"properties,omitempty"`
	CreatedAt  time.Time       `json:"createdAt"`
	CreatedBy  string          `json:"createdBy,omitempty"`
	UpdatedAt  time.Time       `json:"updatedAt"`
	UpdatedBy  string          `json:"updatedBy,omitempty"`
}

// Limits of the account model.
const (
	MaxAccountName   = 255
	MaxAccountDomain = 253
)

// accountReadOnly lists the fields of an account the server sets.
var accountReadOnly = map[string]bool{
	"id": true, "version": true, "createdAt": true, "createdBy": true, "updatedAt": true, "updatedBy": true,
}

// ETag returns the entity tag of this version of the account.
func (a *Account) ETag() string { return `"` + strconv.FormatInt(a.Version, 10) + `"` }

// MarshalJSON writes the account's API form, with timestamps in TimeFormat.
func (a Account) MarshalJSON() ([]byte, error) {
	type plain Account
	return json.Marshal(struct {
		plain
		CreatedAt jsonTime `json:"createdAt"`
		UpdatedAt jsonTime `json:"updatedAt"`
	}{plain(a), jsonTime(a.CreatedAt), jsonTime(a.UpdatedAt)})
}

// AccountStore is the part of the Store that keeps accounts. Accounts have
// no soft delete and no change log of their own; deleting one detaches its
// contacts, which is recorded in theirs.
type AccountStore interface {
	// Account returns an account by id. ENotFound.
	Account(ctx context.Context, tenantID, id string) (*Account, error)
	// WriteAccount inserts (PrevVersion 0) or replaces an account. It
	// returns EPreconditionFailed when the stored version is not
	// PrevVersion (or the account is gone), and EConflict with
	// ConflictingID/ConflictingField "externalId" when another account of
	// the tenant has its external id.
	WriteAccount(ctx context.Context, p WriteAccountParams) error
	// ListAccounts returns one page of a tenant's accounts.
	ListAccounts(ctx context.Context, q sqlq.AccountQuery) ([]*Account, error)
	// CountAccounts counts every account of a list, ignoring pages.
	CountAccounts(ctx context.Context, q sqlq.AccountQuery) (int, error)
	// DeleteAccount deletes an account and, in the same transaction,
	// detaches every contact that names it, soft-deleted ones included:
	// each is passed to p.Detach, written as the version Detach makes of it
	// and its change appended to the change log. ENotFound,
	// EPreconditionFailed (PrevVersion), and EConflict, saying how many,
	// when live contacts name the account and p.DetachLive is false.
	DeleteAccount(ctx context.Context, p DeleteAccountParams) error
}

// WriteAccountParams is the input of Store.WriteAccount.
type WriteAccountParams struct {
	TenantID string
	Account  *Account
	// PrevVersion is the version being replaced, 0 for an insert.
	PrevVersion int64
}

// DeleteAccountParams is the input of Store.DeleteAccount.
type DeleteAccountParams struct {
	TenantID string
	ID       string
	// PrevVersion, when not 0, is the version being deleted.
	PrevVersion int64
	// DetachLive allows deleting an account that live contacts name.
	DetachLive bool
	// Detach turns a contact that names the account into its next version
	// without it and returns the change that records this (the store
	// numbers it). It must not be nil, and does no I/O: it runs inside the
	// deleting transaction, possibly more than once if that is retried.
	Detach func(c *Contact) *Change
}

// AccountInput is the writable part of an account as a client sends it: the
// body of a create, or the result of applying a merge patch.
type AccountInput struct {
	Name, Domain, ExternalID string
	Phones                   []Phone
	Addresses                []Address
	Properties               json.RawMessage
	// ReadOnly holds the read-only members sent, to be compared with the
	// current values (a client may send back what it read).
	ReadOnly map[string]json.RawMessage
}

// DecodeAccountInput decodes an account document strictly: malformed JSON,
// a member of the wrong type and an unknown member are each reported with
// their location. Read-only members are collected in ReadOnly.
func DecodeAccountInput(data []byte) (*AccountInput, error) {
	if !json.Valid(data) {
		return nil, invalidField("body", "is not valid JSON")
	}
	var d decoder
	m, keys, ok := d.object(data, "")
	if !ok {
		return nil, invalid(d.errs)
	}
	in := &AccountInput{}
	strs := map[string]*string{"name": &in.Name, "domain": &in.Domain, "externalId": &in.ExternalID}
	for _, k := range keys {
		raw := m[k]
		if p, ok := strs[k]; ok {
			d.str(raw, k, p)
			continue
		}
		switch k {
		case "phones":
			for i, e := range d.array(raw, k) {
				in.Phones = append(in.Phones, d.phone(e, fmt.Sprintf("phones[%d]", i)))
			}
		case "addresses":
			for i, e := range d.array(raw, k) {
				in.Addresses = append(in.Addresses, d.address(e, fmt.Sprintf("addresses[%d]", i)))
			}
		case "properties":
			d.jsonObject(raw, k, &in.Properties)
		default:
			if accountReadOnly[k] {
				if in.ReadOnly == nil {
					in.ReadOnly = map[string]json.RawMessage{}
				}
				in.ReadOnly[k] = raw
				continue
			}
			d.unknownField("", k)
		}
	}
	if len(d.errs) > 0 {
		return nil, invalid(d.errs)
	}
	return in, nil
}

// buildAccount validates in and returns the account it describes, with
// phones and addresses normalized as a contact's are. prev is the account
// being replaced (nil on create); entries keep its ids as a contact's do.
func buildAccount(in *AccountInput, prev *Account, region string) (*Account, error) {
	b := &builder{region: region, named: map[string]bool{}, used: map[string]bool{}}
	a := &Account{}
	if prev != nil {
		*a = *prev
		b.prev = &Contact{Phones: prev.Phones, Addresses: prev.Addresses}
	}
	for _, p := range in.Phones {
		b.named[p.ID] = true
	}
	for _, ad := range in.Addresses {
		b.named[ad.ID] = true
	}
	a.Name = b.text("name", in.Name, MaxAccountName)
	if a.Name == "" && len(b.errs) == 0 {
		b.fail("name", "is required")
	}
	a.Domain = b.domain("domain", in.Domain)
	a.ExternalID = b.text("externalId", in.ExternalID, 255)
	a.Properties = b.jsonDoc("properties", in.Properties, MaxPropertyDepth)
	a.Phones = b.phones(in.Phones)
	a.Addresses = b.addresses(in.Addresses)
	if len(b.errs) > 0 {
		return nil, invalid(b.errs)
	}
	return a, nil
}

// domain checks that s is a host name and returns it in lower case.
func (b *builder) domain(loc, s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimSuffix(s, ".") // the fully qualified spelling
	if s == "" {
		return ""
	}
	if len(s) > MaxAccountDomain {
		b.fail(loc, "must be at most %d characters (got %d)", MaxAccountDomain, len(s))
		return s
	}
	if msg := hostnameProblem(s); msg != "" {
		b.fail(loc, "%s", msg)
	}
	return s
}

// hostnameProblem says what keeps a lower-case s from being a host name
// such as example.com, or returns "".
func hostnameProblem(s string) string {
	const want = "must be a host name such as example.com (no scheme, port or path)"
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return want
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return want
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-':
			case c >= 0x80:
				return want + "; give an internationalized name in its ASCII (xn--) form"
			default:
				return want
			}
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return want + ", not an IP address"
	}
	return ""
}

// accountDoc is the JSON document of an account that a merge patch
// applies to.
func accountDoc(a *Account) (map[string]any, error) {
	b, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := unmarshalNumbers(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// sameJSON reports whether two values encode the same JSON value, ignoring
// key order (a store may hand custom data back with its keys reordered).
func sameJSON(a, b any) bool {
	canon := func(v any) any {
		raw, err := json.Marshal(v)
		if err != nil {
			return err
		}
		var out any
		if err := unmarshalNumbers(raw, &out); err != nil {
			return err
		}
		return out
	}
	return reflect.DeepEqual(canon(a), canon(b))
}

// checkAccountReadOnly rejects read-only fields whose sent value differs
// from the current one.
func checkAccountReadOnly(cur *Account, sent map[string]json.RawMessage) error {
	if len(sent) == 0 {
		return nil
	}
	doc, err := accountDoc(cur)
	if err != nil {
		return err
	}
	var fe []FieldError
	for k, raw := range sent {
		var v any
		_ = json.Unmarshal(raw, &v)
		if !sameJSON(v, doc[k]) {
			fe = append(fe, FieldError{Location: k, Message: "is read-only"})
		}
	}
	if len(fe) > 0 {
		slices.SortFunc(fe, func(a, b FieldError) int { return strings.Compare(a.Location, b.Location) })
		return invalid(fe)
	}
	return nil
}

// checkAccountETag applies an If-Match precondition to an account.
func (pc Precondition) checkAccountETag(a *Account) error {
	if !pc.set() || pc.Any || slices.Contains(pc.ETags, a.ETag()) {
		return nil
	}
	return Errorf(EPreconditionFailed, "the account has changed: its current ETag is %s", a.ETag())
}

// account reads one of the tenant's accounts. ENotFound.
func (s *Service) account(ctx context.Context, p Principal, id string) (*Account, error) {
	a, err := s.store.Account(ctx, p.TenantID, id)
	if ErrorCodeOf(err) == ENotFound {
		return nil, Errorf(ENotFound, "account %q not found", id)
	}
	return a, err
}

// Account returns one account. ENotFound, EForbidden.
func (s *Service) Account(ctx context.Context, p Principal, id string) (*Account, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	return s.account(ctx, p, id)
}

// CreateAccount validates and stores a new account. Read-only fields in
// the input are ignored. EInvalid, EConflict (externalId), EForbidden.
func (s *Service) CreateAccount(ctx context.Context, p Principal, in *AccountInput) (*Account, error) {
	if err := p.require(ScopeWrite); err != nil {
		return nil, err
	}
	t, err := s.store.Tenant(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	a, err := buildAccount(in, nil, t.DefaultRegion)
	if err != nil {
		return nil, err
	}
	now := s.now()
	a.ID = NewID(PrefixAccount)
	a.Version = 1
	a.CreatedAt, a.CreatedBy, a.UpdatedAt, a.UpdatedBy = now, p.Actor, now, p.Actor
	if err := s.store.WriteAccount(ctx, WriteAccountParams{TenantID: p.TenantID, Account: a}); err != nil {
		return nil, err
	}
	return a, nil
}

// PatchAccount applies an RFC 7386 JSON merge patch to an account.
// Read-only fields in the patch must equal their current values; a patch
// that changes nothing makes no new version.
// EInvalid, ENotFound, EConflict, EPreconditionFailed, EForbidden.
func (s *Service) PatchAccount(ctx context.Context, p Principal, id string, patch []byte, pc Precondition) (*Account, error) {
	if err := p.require(ScopeWrite); err != nil {
		return nil, err
	}
	if !json.Valid(patch) {
		return nil, invalidField("body", "is not valid JSON")
	}
	var pm map[string]any
	if err := unmarshalNumbers(patch, &pm); err != nil || pm == nil {
		return nil, invalidField("body", "must be a JSON object (a JSON merge patch)")
	}
	t, err := s.store.Tenant(ctx, p.TenantID)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		cur, err := s.account(ctx, p, id)
		if err != nil {
			return nil, err
		}
		if err := pc.checkAccountETag(cur); err != nil {
			return nil, err
		}
		base, err := accountDoc(cur)
		if err != nil {
			return nil, err
		}
		merged, err := json.Marshal(mergePatch(base, pm))
		if err != nil {
			return nil, err
		}
		in, err := DecodeAccountInput(merged)
		if err != nil {
			return nil, err
		}
		if err := checkAccountReadOnly(cur, in.ReadOnly); err != nil {
			return nil, err
		}
		next, err := buildAccount(in, cur, t.DefaultRegion)
		if err != nil {
			return nil, err
		}
		if sameJSON(cur, next) {
			return cur, nil // nothing changed: no new version
		}
		next.Version = cur.Version + 1
		next.UpdatedAt, next.UpdatedBy = s.now(), p.Actor
		err = s.store.WriteAccount(ctx, WriteAccountParams{TenantID: p.TenantID, Account: next, PrevVersion: cur.Version})
		if ErrorCodeOf(err) == EPreconditionFailed && !pc.set() {
			// Lost a race with another writer: re-read and re-apply.
			if attempt >= maxWriteAttempts {
				return nil, Errorf(EConflict, "account %q is being changed by many requests at once; retry", id)
			}
			if err := sleepCtx(ctx, time.Duration(rand.IntN(attempt+1)+1)*time.Millisecond); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		return next, nil
	}
}

// DeleteAccount deletes an account. While live contacts belong to it this
// is an EConflict saying how many, unless detach is set: then their
// accountId is cleared, each as an "updated" change in their history, in
// the transaction that deletes the account. Soft-deleted contacts never
// block the delete and are always detached, so that no contact names a
// deleted account. ENotFound, EPreconditionFailed, EConflict, EForbidden.
func (s *Service) DeleteAccount(ctx context.Context, p Principal, id string, pc Precondition, detach bool) error {
	if err := p.require(ScopeDelete); err != nil {
		return err
	}
	cur, err := s.account(ctx, p, id)
	if err != nil {
		return err
	}
	if err := pc.checkAccountETag(cur); err != nil {
		return err
	}
	var prev int64
	if pc.set() && !pc.Any {
		prev = cur.Version // the version the client saw, even if it changes now
	}
	err = s.store.DeleteAccount(ctx, DeleteAccountParams{TenantID: p.TenantID, ID: id, PrevVersion: prev, DetachLive: detach,
		Detach: func(c *Contact) *Change {
			before := clone(c)
			c.AccountID = ""
			ch := s.change(p, "updated", before, c)
			c.Version = before.Version + 1
			c.UpdatedAt, c.UpdatedBy = ch.At, p.Actor
			ch.Version = c.Version
			return ch
		}})
	switch ErrorCodeOf(err) {
	case ENotFound:
		return Errorf(ENotFound, "account %q not found", id)
	case EPreconditionFailed:
		return Errorf(EPreconditionFailed, "the account has changed since it was read")
	case EConflict:
		var e *Error
		errors.As(err, &e)
		return Errorf(EConflict, "%s; delete it with detach=true to clear their accountId", e.Message)
	}
	return err
}

// AccountListRequest asks for one page of a tenant's accounts.
type AccountListRequest struct {
	// Filter is a JSON filter document over id, name, domain, externalId,
	// createdAt and updatedAt; FilterLocation names where it came from.
	Filter         []byte
	FilterLocation string
	// Sort is a comma-separated list of name, domain, createdAt, updatedAt
	// and id, each optionally prefixed with "-"; id breaks ties.
	Sort string
	// Limit is the page size (default 50, at most 1000).
	Limit int
	// Cursor continues a previous page; Page (1-based) is the alternative.
	Cursor string
	Page   int
	// NoCount skips the total.
	NoCount bool
	// Prefix of error locations of the other parameters: "query" or "body".
	ParamLocation string
}

// AccountPage is one page of an account list.
type AccountPage struct {
	Data []*Account `json:"data"`
	// NextCursor continues after this page; null on the last page.
	NextCursor *string `json:"nextCursor"`
	// Total counts every account of the list; absent with count=false.
	Total *int `json:"total,omitempty"`
	Limit int  `json:"limit"`
}

// ListAccounts returns a page of a tenant's accounts, filtered, sorted and
// paged like contacts. EInvalid naming the parameter, EForbidden.
func (s *Service) ListAccounts(ctx context.Context, p Principal, r AccountListRequest) (*AccountPage, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	loc := r.ParamLocation
	if loc == "" {
		loc = "query"
	}
	if r.FilterLocation == "" {
		r.FilterLocation = loc + ".filter"
	}
	q := sqlq.AccountQuery{TenantID: p.TenantID}
	var err error
	if q.Limit, err = checkLimitAt(r.Limit, loc+".limit"); err != nil {
		return nil, err
	}
	if q.Filter, err = parseAccountFilter(r.Filter, r.FilterLocation); err != nil {
		return nil, err
	}
	spec := strings.TrimSpace(r.Sort)
	if q.Sort, err = parseAccountSort(spec, loc+".sort"); err != nil {
		return nil, err
	}
	switch {
	case r.Cursor != "" && r.Page != 0:
		return nil, invalidField(loc+".page", "give either cursor or page, not both")
	case r.Page < 0 || r.Page > 1_000_000:
		return nil, invalidField(loc+".page", "must be a page number from 1")
	case r.Page > 0:
		q.Offset = (r.Page - 1) * q.Limit
	case r.Cursor != "":
		c, err := decodeCursor(r.Cursor, spec, q.Sort, false)
		if err != nil {
			return nil, invalidField(loc+".cursor", "%s", err.Error())
		}
		q.After = c.values(q.Sort)
	}
	// One row more than the page tells whether another page follows.
	probe := q
	probe.Limit++
	data, err := s.store.ListAccounts(ctx, probe)
	if err != nil {
		return nil, err
	}
	more := len(data) > q.Limit
	if more {
		data = data[:q.Limit]
	}
	if data == nil {
		data = []*Account{}
	}
	page := &AccountPage{Data: data, Limit: q.Limit}
	if more && r.Page == 0 {
		b, _ := json.Marshal(cursor{Sort: spec, Values: accountSortValues(data[len(data)-1], q.Sort)})
		enc := base64.RawURLEncoding.EncodeToString(b)
		page.NextCursor = &enc
	}
	if !r.NoCount {
		n, err := s.store.CountAccounts(ctx, q)
		if err != nil {
			return nil, err
		}
		page.Total = &n
	}
	return page, nil
}

// ListAccountContacts lists the contacts of an account with every
// parameter of ListContacts: the request's filter, if any, is ANDed with
// accountId. ENotFound (account), EInvalid, EForbidden.
func (s *Service) ListAccountContacts(ctx context.Context, p Principal, accountID string, r ListRequest) (*ContactPage, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	if _, err := s.account(ctx, p, accountID); err != nil {
		return nil, err
	}
	if r.FilterLocation == "" {
		loc := r.ParamLocation
		if loc == "" {
			loc = "query"
		}
		r.FilterLocation = loc + ".filter"
	}
	own, err := json.Marshal(map[string]string{"accountId": accountID})
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(r.Filter)) > 0 {
		// Checked alone first, so that a problem is reported at its place
		// in the client's filter rather than inside the combined one.
		node, err := filter.Parse(r.Filter, filter.Options{Region: p.Region})
		if err != nil {
			return nil, filterError(err, r.FilterLocation)
		}
		if node != nil {
			own = []byte(`{"$and":[` + string(r.Filter) + `,` + string(own) + `]}`)
		}
	}
	r.Filter = own
	return s.ListContacts(ctx, p, r)
}

// filterError turns a filter parse error into EInvalid at its location.
func filterError(err error, loc string) error {
	fe, ok := err.(*filter.Error)
	if !ok {
		return invalidField(loc, "%v", err)
	}
	if fe.Path != "" {
		loc = join(loc, fe.Path)
	}
	return invalidField(loc, "%s", fe.Message)
}

// checkAccount checks that the account a contact names belongs to the
// tenant, when it names one other than before's.
func (s *Service) checkAccount(ctx context.Context, p Principal, before, c *Contact) error {
	if c.AccountID == "" || (before != nil && before.AccountID == c.AccountID) {
		return nil
	}
	_, err := s.store.Account(ctx, p.TenantID, c.AccountID)
	if ErrorCodeOf(err) == ENotFound {
		return invalid([]FieldError{{Location: "accountId", Message: "no such account", Value: c.AccountID}})
	}
	return err
}

// expandAccount returns the account a contact belongs to, or nil.
func (s *Service) expandAccount(ctx context.Context, p Principal, c *Contact) (any, error) {
	if c.AccountID == "" {
		return nil, nil
	}
	a, err := s.store.Account(ctx, p.TenantID, c.AccountID)
	switch ErrorCodeOf(err) {
	case "":
		return a, nil
	case ENotFound:
		return nil, nil
	}
	return nil, err
}

// Account list sorting.

// parseAccountSort parses "-updatedAt,name" for accounts.
func parseAccountSort(spec, loc string) ([]sqlq.SortKey, error) {
	return parseSortOf(spec, loc, "accounts", sqlq.AccountSortColumns, "id, name, domain, createdAt, updatedAt")
}

// accountSortValues returns an account's values of the sort keys, as a
// cursor keeps them.
func accountSortValues(a *Account, keys []sqlq.SortKey) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		switch k.Field {
		case "id":
			out[i] = a.ID
		case "name":
			out[i] = a.Name
		case "domain":
			out[i] = a.Domain
		case "createdAt":
			out[i] = a.CreatedAt.UTC().Format(time.RFC3339Nano)
		case "updatedAt":
			out[i] = a.UpdatedAt.UTC().Format(time.RFC3339Nano)
		}
	}
	return out
}

// Account filters: the contact filter language (internal/filter) over the
// fields of an account, parsed into the same tree.

// accountFilterFields are the filterable fields of an account.
var accountFilterFields = map[string]filter.Field{
	"id":         {Name: "id", Type: filter.String},
	"name":       {Name: "name", Type: filter.String},
	"domain":     {Name: "domain", Type: filter.String},
	"externalId": {Name: "externalId", Type: filter.String},
	"createdAt":  {Name: "createdAt", Type: filter.Time},
	"updatedAt":  {Name: "updatedAt", Type: filter.Time},
}

// accountFilterOps are the operators allowed on each field type.
var accountFilterOps = map[filter.Type][]filter.Op{
	filter.String: {filter.OpEq, filter.OpNe, filter.OpIn, filter.OpNin, filter.OpExists, filter.OpGt, filter.OpGte,
		filter.OpLt, filter.OpLte, filter.OpPrefix, filter.OpContains},
	filter.Time: {filter.OpEq, filter.OpNe, filter.OpGt, filter.OpGte, filter.OpLt, filter.OpLte},
}

// Limits of an account filter, as of a contact filter.
const (
	accountFilterDepth = 8
	accountFilterConds = 100
	accountFilterIn    = 1000
)

// accountFilterParser holds the state of one parse.
type accountFilterParser struct{ conds int }

// parseAccountFilter parses an account filter document: an object whose
// keys are fields (a bare value meaning $eq, or an object of operators) or
// $and, $or and $not. Members are read in key order, so the problem
// reported first does not depend on map order. An empty document is no
// filter. EInvalid naming the path below loc.
func parseAccountFilter(data []byte, loc string) (filter.Node, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil
	}
	if !json.Valid(data) {
		return nil, invalidField(loc, "is not valid JSON")
	}
	var p accountFilterParser
	nodes, err := p.object(data, "", 0)
	if err != nil {
		return nil, filterError(err, loc)
	}
	return conjunction(nodes), nil
}

func ferr(path, format string, args ...any) error {
	return &filter.Error{Path: path, Message: fmt.Sprintf(format, args...)}
}

func fjoin(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func conjunction(nodes []filter.Node) filter.Node {
	switch len(nodes) {
	case 0:
		return nil
	case 1:
		return nodes[0]
	}
	return &filter.And{Nodes: nodes}
}

func (p *accountFilterParser) object(raw json.RawMessage, path string, depth int) ([]filter.Node, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, ferr(path, "must be a JSON object")
	}
	var out []filter.Node
	for _, k := range sortedKeys(m) {
		kp := fjoin(path, k)
		switch k {
		case "$and", "$or":
			if depth+1 > accountFilterDepth {
				return nil, ferr(kp, "filter nested deeper than %d levels of $and/$or/$not", accountFilterDepth)
			}
			var arr []json.RawMessage
			if err := json.Unmarshal(m[k], &arr); err != nil || arr == nil {
				return nil, ferr(kp, "must be an array of objects")
			}
			if len(arr) == 0 {
				return nil, ferr(kp, "must not be empty")
			}
			var alts []filter.Node
			for i, e := range arr {
				ns, err := p.clause(e, kp+"["+strconv.Itoa(i)+"]", depth+1)
				if err != nil {
					return nil, err
				}
				if k == "$and" {
					out = append(out, ns...)
				} else {
					alts = append(alts, conjunction(ns))
				}
			}
			if k == "$or" {
				if len(alts) == 1 {
					out = append(out, alts[0])
				} else {
					out = append(out, &filter.Or{Nodes: alts})
				}
			}
		case "$not":
			if depth+1 > accountFilterDepth {
				return nil, ferr(kp, "filter nested deeper than %d levels of $and/$or/$not", accountFilterDepth)
			}
			ns, err := p.clause(m[k], kp, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, &filter.Not{Node: conjunction(ns)})
		default:
			if strings.HasPrefix(k, "$") {
				return nil, ferr(kp, "unknown operator %q (logical operators: $and, $or, $not)", k)
			}
			f, ok := accountFilterFields[k]
			if !ok {
				return nil, ferr(kp, "unknown field %q (filterable: id, name, domain, externalId, createdAt, updatedAt)", k)
			}
			ns, err := p.field(f, m[k], kp)
			if err != nil {
				return nil, err
			}
			out = append(out, ns...)
		}
	}
	return out, nil
}

// clause parses an element of $and/$or or the operand of $not: a
// non-empty filter object.
func (p *accountFilterParser) clause(raw json.RawMessage, path string, depth int) ([]filter.Node, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, ferr(path, "must be an object")
	}
	if len(m) == 0 {
		return nil, ferr(path, "must not be empty")
	}
	return p.object(raw, path, depth)
}

// field parses the value of a field: a bare value meaning $eq, or an
// object of operators.
func (p *accountFilterParser) field(f filter.Field, raw json.RawMessage, path string) ([]filter.Node, error) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		c, err := p.cond(f, filter.OpEq, raw, path)
		if err != nil {
			return nil, err
		}
		return []filter.Node{c}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, ferr(path, "must be a value or an object of operators")
	}
	if len(m) == 0 {
		return nil, ferr(path, "must have at least one operator")
	}
	var out []filter.Node
	for _, k := range sortedKeys(m) {
		op, opPath := filter.Op(k), fjoin(path, k)
		if !slices.Contains(accountFilterOps[f.Type], op) {
			if strings.HasPrefix(k, "$") && slices.Contains(accountFilterOps[filter.String], op) {
				return nil, ferr(opPath, "operator %s is not allowed on %s", op, f.Name)
			}
			return nil, ferr(opPath, "unknown operator %q", k)
		}
		c, err := p.cond(f, op, m[k], opPath)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// cond builds one condition of op on f with operand raw.
func (p *accountFilterParser) cond(f filter.Field, op filter.Op, raw json.RawMessage, path string) (*filter.Cond, error) {
	p.conds++
	if p.conds > accountFilterConds {
		return nil, ferr(path, "filter has more than %d conditions", accountFilterConds)
	}
	c := &filter.Cond{Field: f, Op: op}
	switch op {
	case filter.OpExists:
		var b bool
		if err := json.Unmarshal(raw, &b); err != nil || isNull(raw) {
			return nil, ferr(path, "must be a boolean")
		}
		c.Value = b
	case filter.OpIn, filter.OpNin:
		var arr []json.RawMessage
		if err := json.Unmarshal(raw, &arr); err != nil || arr == nil {
			return nil, ferr(path, "must be an array")
		}
		if len(arr) == 0 {
			return nil, ferr(path, "must not be empty")
		}
		if len(arr) > accountFilterIn {
			return nil, ferr(path, "has %d values, more than the maximum of %d", len(arr), accountFilterIn)
		}
		for i, e := range arr {
			v, err := accountFilterValue(f, e, path+"["+strconv.Itoa(i)+"]")
			if err != nil {
				return nil, err
			}
			c.Values = append(c.Values, v)
		}
	default:
		if isNull(raw) && (op == filter.OpEq || op == filter.OpNe) {
			c.Op, c.Value = filter.OpExists, op == filter.OpNe
			return c, nil
		}
		v, err := accountFilterValue(f, raw, path)
		if err != nil {
			return nil, err
		}
		c.Value = v
	}
	return c, nil
}

// accountFilterValue checks and normalizes one operand: domains compare
// in lower case, as they are stored.
func accountFilterValue(f filter.Field, raw json.RawMessage, path string) (any, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || isNull(raw) {
		if f.Type == filter.Time {
			return nil, ferr(path, "must be an RFC 3339 timestamp string")
		}
		return nil, ferr(path, "must be a string")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return nil, ferr(path, "must not contain NUL characters")
	}
	switch {
	case f.Type == filter.Time:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, ferr(path, "must be an RFC 3339 timestamp, like 2024-01-31T12:00:00Z")
		}
		return t.UTC(), nil
	case f.Name == "domain":
		return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), "."), nil
	}
	return s, nil
}
