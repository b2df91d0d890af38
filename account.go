package contactd

import "context"

// AccountStore is the part of the Store that keeps accounts.
type AccountStore interface{}

// checkAccount checks that the account a contact names belongs to the tenant.
func (s *Service) checkAccount(ctx context.Context, p Principal, before, c *Contact) error {
	return nil
}

// expandAccount returns the account a contact belongs to, or nil.
func (s *Service) expandAccount(ctx context.Context, p Principal, c *Contact) (any, error) {
	return nil, nil
}
