package contactd

import (
	"context"
	"reflect"
	"strings"

	"github.com/contactd/contactd/internal/filter"
)

// AccountFilter is the field table of account filters: the contact filter
// language over an account's fields. Strings compare exactly; domain
// values are lower-cased first, as domains are stored.
var AccountFilter = filter.NewSchema(
	filter.Field{Name: "id", Type: filter.String},
	filter.Field{Name: "name", Type: filter.String},
	filter.Field{Name: "domain", Type: filter.String, Normalize: func(s string) string {
		return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), ".")
	}},
	filter.Field{Name: "externalId", Type: filter.String},
	filter.Field{Name: "createdAt", Type: filter.Time, Ops: accountTimeOps},
	filter.Field{Name: "updatedAt", Type: filter.Time, Ops: accountTimeOps},
)

// accountTimeOps are the operators of an account's timestamps, which every
// account has.
var accountTimeOps = []filter.Op{filter.OpEq, filter.OpNe, filter.OpGt, filter.OpGte, filter.OpLt, filter.OpLte}

// AccountSortFields are the fields an account list sorts by.
var AccountSortFields = []string{"id", "name", "domain", "createdAt", "updatedAt"}

var accountTimes = map[string]bool{"createdAt": true, "updatedAt": true}

var accountList = &listKind[*Account]{
	name:     "accounts",
	sortable: AccountSortFields,
	times:    accountTimes,
	value: func(a *Account, field string) string {
		switch field {
		case "id":
			return a.ID
		case "name":
			return a.Name
		case "domain":
			return a.Domain
		case "createdAt":
			return timeValue(a.CreatedAt)
		case "updatedAt":
			return timeValue(a.UpdatedAt)
		}
		return ""
	},
	fields:     jsonFields(reflect.TypeFor[Account]()),
	schema:     AccountFilter,
	countBound: CountBound,
}

// AccountListRequest asks for one page of a tenant's accounts.
type AccountListRequest struct {
	ListParams
}

// ListAccounts returns a page of a tenant's accounts, filtered, sorted and
// paged like contacts. EInvalid naming the parameter, EForbidden.
func (s *Service) ListAccounts(ctx context.Context, p Principal, r AccountListRequest) (*Page[*Account], error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	l, err := startList(ctx, s, p, accountList, r.ListParams, "", false)
	if err != nil {
		return nil, err
	}
	q := l.query(p.TenantID, accountTimes)
	data, err := s.store.ListAccounts(ctx, q)
	if err != nil {
		return nil, err
	}
	return finishList(ctx, s, p, accountList, l, data, func(upTo int) (int, error) {
		q.CountUpTo = upTo
		return s.store.CountAccounts(ctx, q)
	})
}

// ListAccountContacts lists the contacts of an account with every
// parameter of ListContacts: the request's filter, if any, narrows it.
// ENotFound (account), EInvalid, EForbidden.
func (s *Service) ListAccountContacts(ctx context.Context, p Principal, accountID string, r ContactListRequest) (*Page[*Contact], error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	if _, err := s.account(ctx, p, accountID); err != nil {
		return nil, err
	}
	return s.listContacts(ctx, p, r, "account\x00"+accountID, fieldCond("accountId", accountID))
}
