package contactd

import "context"

// TagStore is the part of the Store that keeps the tag registry.
type TagStore interface{}

// resolveTags gives a contact's tags the registry's spelling, creating
// unknown tags.
func (s *Service) resolveTags(ctx context.Context, p Principal, c *Contact) error {
	return nil
}
