package contactd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/contactd/contactd/internal/phone"
)

// LookupQuery asks who a caller is: exactly one of Phone, Email and
// ExternalID. Region overrides the tenant's default region for parsing.
type LookupQuery struct {
	Phone, Email, ExternalID string
	// Extension is an extension of the phone system, on the PBX PBX when
	// PBXSent (any PBX otherwise).
	Extension, PBX string
	PBXSent        bool
	Region         string
	// PhoneSent says that the caller sent phone, even empty: an empty
	// caller alone is a withheld number, not a missing parameter.
	PhoneSent bool
}

// LookupResult answers a LookupQuery.
type LookupResult struct {
	// Match is "exact" (one contact), "ambiguous" (several) or "none".
	Match string       `json:"match"`
	Data  []LookupItem `json:"data"`
	// Reason says why there is no match when nothing was looked up:
	// ReasonWithheld.
	Reason string `json:"reason,omitempty"`
}

// ReasonWithheld is the Reason of a lookup of a caller who withheld the
// number (anonymous, Restricted, Unavailable, unknown, private, an empty
// caller): it matches nobody, and is no error.
const ReasonWithheld = "withheld"

// LookupItem is one matching contact and the entries of it that matched.
type LookupItem struct {
	// Contact is the contact, or nil when Doc holds it.
	*Contact
	// Doc is the contact's JSON representation as the store hands it
	// out (see ContactDoc), used instead of Contact when set: caller-ID
	// answers pass it on without decoding it.
	Doc json.RawMessage `json:"-"`
	// MatchedEntries lists the ids of the phones or emails that matched;
	// empty for a match on externalId.
	MatchedEntries []string `json:"matchedEntries"`
}

// AppendJSON appends the result's JSON to b: the same bytes json.Marshal
// writes, without re-validating the contacts' documents.
func (r *LookupResult) AppendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"match":`...)
	b = strconv.AppendQuote(b, r.Match)
	b = append(b, `,"data":[`...)
	for i, it := range r.Data {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = it.appendJSON(b); err != nil {
			return nil, err
		}
	}
	b = append(b, ']')
	if r.Reason != "" {
		b = append(b, `,"reason":`...)
		b = strconv.AppendQuote(b, r.Reason)
	}
	return append(b, '}'), nil
}

// MaxLookupResults bounds the contacts a lookup returns.
const MaxLookupResults = 20

// Lookup identifies a caller, reading from the primary store so that a
// contact written a moment ago is found. Deleted contacts are never
// returned; blocked ones are, with their block fields. Best match first: a
// match on the primary phone before another, then the most recently updated.
// EInvalid (no or several keys, a phone that is not a number), EForbidden.
func (s *Service) Lookup(ctx context.Context, p Principal, q LookupQuery) (*LookupResult, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	// A blank parameter counts as absent. Errors name the parameters given
	// (query.phone when none is): a bare "query" location would read as
	// a body field.
	var given []FieldError
	const exactlyOne = "give exactly one of phone, email, externalId and extension"
	for _, k := range []struct{ name, v string }{{"phone", q.Phone}, {"email", q.Email}, {"externalId", q.ExternalID}, {"extension", q.Extension}} {
		if strings.TrimSpace(k.v) != "" {
			given = append(given, FieldError{Location: "query." + k.name, Message: exactlyOne, Value: k.v})
		}
	}
	if q.PBXSent && strings.TrimSpace(q.Extension) == "" {
		return nil, invalidField("query.pbx", "qualifies an extension: give extension too")
	}
	withheld := &LookupResult{Match: "none", Data: []LookupItem{}, Reason: ReasonWithheld}
	switch len(given) {
	case 0:
		if q.PhoneSent {
			return withheld, nil
		}
		return nil, invalidField("query.phone", exactlyOne)
	case 1:
	default:
		return nil, &Error{Code: EInvalid, Message: exactlyOne, Fields: given}
	}
	res := &LookupResult{Data: []LookupItem{}}
	switch {
	case strings.TrimSpace(q.Extension) != "":
		code := strings.TrimSpace(q.Extension)
		if !extensionRE.MatchString(code) || len(code) > MaxFQExtensionLen {
			return nil, &Error{Code: EInvalid, Message: "query.extension: must be 1 to 20 digits",
				Fields: []FieldError{{Location: "query.extension", Message: fmt.Sprintf("must be 1 to %d digits", MaxFQExtensionLen), Value: q.Extension}}}
		}
		if err := s.lookupExtension(ctx, p, res, ExtensionQuery{Code: code, PBX: strings.TrimSpace(q.PBX), PBXSet: q.PBXSent}); err != nil {
			return nil, err
		}
	case strings.TrimSpace(q.Phone) != "":
		region := strings.ToUpper(strings.TrimSpace(q.Region))
		if region == "" {
			region = p.Region
		} else if !phone.ValidRegion(region) {
			return nil, invalidField("query.region", "must be an ISO 3166 alpha-2 region code such as US")
		}
		num, err := phone.NormalizeLookup(q.Phone, region)
		if err != nil && phone.Withheld(q.Phone) {
			return withheld, nil
		}
		// A number that is all digits may be a fully qualified extension:
		// it is one when no phone has it.
		fq := strings.TrimLeft(strings.TrimSpace(q.Phone), "+")
		isFQ := fq != "" && len(fq) <= MaxFQExtensionLen && extensionRE.MatchString(fq)
		if err != nil && !isFQ {
			return nil, &Error{Code: EInvalid, Message: "query.phone: is not a phone number",
				Fields: []FieldError{{Location: "query.phone", Message: "is not a phone number", Value: q.Phone}}}
		}
		if err == nil {
			matches, err := s.store.LookupPhone(ctx, p.TenantID, num.E164, MaxLookupResults)
			if err != nil {
				return nil, err
			}
			for _, m := range matches {
				res.Data = append(res.Data, LookupItem{Doc: m.Doc, MatchedEntries: m.PhoneIDs})
			}
		}
		if len(res.Data) == 0 && isFQ {
			if err := s.lookupExtension(ctx, p, res, ExtensionQuery{Code: fq, FQ: true}); err != nil {
				return nil, err
			}
		}
	case strings.TrimSpace(q.Email) != "":
		addr := strings.ToLower(strings.TrimSpace(q.Email))
		c, err := s.store.ContactByEmail(ctx, p.TenantID, addr)
		if err != nil && ErrorCodeOf(err) != ENotFound {
			return nil, err
		}
		if c != nil {
			var ids []string
			for _, e := range c.Emails {
				if e.Address == addr {
					ids = append(ids, e.ID)
				}
			}
			res.Data = append(res.Data, LookupItem{Contact: c, MatchedEntries: ids})
		}
	default:
		c, err := s.store.ContactByExternalID(ctx, p.TenantID, strings.TrimSpace(q.ExternalID))
		if err != nil && ErrorCodeOf(err) != ENotFound {
			return nil, err
		}
		if c != nil {
			res.Data = append(res.Data, LookupItem{Contact: c, MatchedEntries: []string{}})
		}
	}
	switch len(res.Data) {
	case 0:
		res.Match = "none"
	case 1:
		res.Match = "exact"
	default:
		res.Match = "ambiguous"
	}
	return res, nil
}

// lookupExtension adds to res the contacts with an extension.
func (s *Service) lookupExtension(ctx context.Context, p Principal, res *LookupResult, q ExtensionQuery) error {
	matches, err := s.store.LookupExtension(ctx, p.TenantID, q, MaxLookupResults)
	if err != nil {
		return err
	}
	for _, m := range matches {
		res.Data = append(res.Data, LookupItem{Doc: m.Doc, MatchedEntries: m.PhoneIDs})
	}
	return nil
}

// MarshalJSON writes the contact with the ids of its matched entries.
func (it LookupItem) MarshalJSON() ([]byte, error) {
	return it.appendJSON(nil)
}

func (it LookupItem) appendJSON(out []byte) ([]byte, error) {
	doc := it.Doc
	if doc == nil {
		var err error
		if doc, err = json.Marshal(it.Contact); err != nil {
			return nil, err
		}
	}
	ids := it.MatchedEntries
	if ids == nil {
		ids = []string{}
	}
	m, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	doc = bytes.TrimRight(doc, " \t\r\n")
	if len(doc) < 2 || doc[len(doc)-1] != '}' {
		return nil, fmt.Errorf("contactd: a contact document is not a JSON object")
	}
	out = append(out, doc[:len(doc)-1]...)
	if len(doc) > 2 {
		out = append(out, ',')
	}
	out = append(out, `"matchedEntries":`...)
	out = append(out, m...)
	return append(out, '}'), nil
}
