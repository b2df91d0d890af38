package contactd

import "strings"

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
