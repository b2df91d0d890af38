package contactd

import "context"

// SegmentStore is the part of the Store that keeps segments.
type SegmentStore interface{}

// expandSegments returns the segments a contact is a member of.
func (s *Service) expandSegments(ctx context.Context, p Principal, c *Contact) (any, error) {
	return []any{}, nil
}
