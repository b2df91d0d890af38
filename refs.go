package contactd

import "context"

// prepareWrite resolves what a contact refers to before it is written:
// the account it names must be one of the tenant's, and its tags take the
// tag registry's spelling (unknown tags are created). before is the
// version being replaced, nil on create.
func (s *Service) prepareWrite(ctx context.Context, p Principal, before, c *Contact) error {
	if err := s.checkAccount(ctx, p, before, c); err != nil {
		return err
	}
	return s.resolveTags(ctx, p, c)
}

// Expand returns the related objects of a contact named in an expand
// parameter, keyed by name: "account" (the account it belongs to, or null)
// and "segments" (the segments it is a member of). EInvalid for another name.
func (s *Service) Expand(ctx context.Context, p Principal, c *Contact, names []string) (map[string]any, error) {
	out := map[string]any{}
	for _, n := range names {
		var v any
		var err error
		switch n {
		case "account":
			v, err = s.expandAccount(ctx, p, c)
		case "segments":
			v, err = s.expandSegments(ctx, p, c)
		default:
			return nil, invalidField("query.expand", "cannot expand %q (expandable: account, segments)", n)
		}
		if err != nil {
			return nil, err
		}
		out[n] = v
	}
	return out, nil
}
