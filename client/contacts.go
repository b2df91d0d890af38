package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strings"
)

// ContactsService is /v1/contacts: contacts, their entries, photos,
// history, caller-ID lookup, batches and exports.
type ContactsService struct{ c *Client }

// Create creates a contact (POST /v1/contacts).
func (s *ContactsService) Create(ctx context.Context, c *Contact, opts ...RequestOption) (*Contact, error) {
	return s.write(ctx, "POST", "/v1/contacts", c, opts)
}

// Get reads a contact by id; a merged contact's id reads the survivor
// (GET /v1/contacts/{id}).
func (s *ContactsService) Get(ctx context.Context, id string) (*Contact, error) {
	return s.read(ctx, "/v1/contacts/"+seg(id), nil)
}

// GetDeleted reads a contact by id, deleted or not.
func (s *ContactsService) GetDeleted(ctx context.Context, id string) (*Contact, error) {
	return s.read(ctx, "/v1/contacts/"+seg(id), url.Values{"includeDeleted": {"true"}})
}

// GetByEmail reads the live contact with an email address
// (GET /v1/contacts/by-email/{email}).
func (s *ContactsService) GetByEmail(ctx context.Context, email string) (*Contact, error) {
	return s.read(ctx, "/v1/contacts/by-email/"+seg(email), nil)
}

// GetByExternalID reads the live contact with an external id
// (GET /v1/contacts/by-external-id/{externalId}).
func (s *ContactsService) GetByExternalID(ctx context.Context, externalID string) (*Contact, error) {
	return s.read(ctx, "/v1/contacts/by-external-id/"+seg(externalID), nil)
}

// Update applies a JSON merge patch (RFC 7386) to a contact: patch is a
// map or any value that marshals to the fields to change (null clears
// one). PATCH /v1/contacts/{id}.
func (s *ContactsService) Update(ctx context.Context, id string, patch any, opts ...RequestOption) (*Contact, error) {
	return s.write(ctx, "PATCH", "/v1/contacts/"+seg(id), patch, opts)
}

// UpdateByEmail is Update of the contact with an email address.
func (s *ContactsService) UpdateByEmail(ctx context.Context, email string, patch any, opts ...RequestOption) (*Contact, error) {
	return s.write(ctx, "PATCH", "/v1/contacts/by-email/"+seg(email), patch, opts)
}

// UpdateByExternalID is Update of the contact with an external id.
func (s *ContactsService) UpdateByExternalID(ctx context.Context, externalID string, patch any, opts ...RequestOption) (*Contact, error) {
	return s.write(ctx, "PATCH", "/v1/contacts/by-external-id/"+seg(externalID), patch, opts)
}

// Upsert creates the contact with an external id or replaces it whole
// (PUT /v1/contacts/by-external-id/{externalId}); created says which.
func (s *ContactsService) Upsert(ctx context.Context, externalID string, c *Contact, opts ...RequestOption) (contact *Contact, created bool, err error) {
	var out Contact
	res, err := s.c.call(ctx, "PUT", "/v1/contacts/by-external-id/"+seg(externalID), nil, c, &out, opts...)
	if err != nil {
		return nil, false, err
	}
	return &out, res.status == http.StatusCreated, nil
}

// Delete soft-deletes a contact: it can be restored
// (DELETE /v1/contacts/{id}).
func (s *ContactsService) Delete(ctx context.Context, id string, opts ...RequestOption) error {
	_, err := s.c.call(ctx, "DELETE", "/v1/contacts/"+seg(id), nil, nil, nil, opts...)
	return err
}

// Erase deletes a contact for good, with its history (contacts:admin).
func (s *ContactsService) Erase(ctx context.Context, id string, opts ...RequestOption) error {
	_, err := s.c.call(ctx, "DELETE", "/v1/contacts/"+seg(id), url.Values{"permanent": {"true"}}, nil, nil, opts...)
	return err
}

// DeleteByExternalID soft-deletes the contact with an external id
// (permanent erases it, with contacts:admin).
func (s *ContactsService) DeleteByExternalID(ctx context.Context, externalID string, permanent bool, opts ...RequestOption) error {
	var q url.Values
	if permanent {
		q = url.Values{"permanent": {"true"}}
	}
	_, err := s.c.call(ctx, "DELETE", "/v1/contacts/by-external-id/"+seg(externalID), q, nil, nil, opts...)
	return err
}

// Restore brings a soft-deleted contact back (POST /v1/contacts/{id}/restore).
func (s *ContactsService) Restore(ctx context.Context, id string, opts ...RequestOption) (*Contact, error) {
	return s.write(ctx, "POST", "/v1/contacts/"+seg(id)+"/restore", nil, opts)
}

// Block marks a contact blocked, with a reason (POST /v1/contacts/{id}/block).
func (s *ContactsService) Block(ctx context.Context, id, reason string, opts ...RequestOption) (*Contact, error) {
	var body any
	if reason != "" {
		body = map[string]string{"reason": reason}
	}
	return s.write(ctx, "POST", "/v1/contacts/"+seg(id)+"/block", body, opts)
}

// Unblock lifts a block (DELETE /v1/contacts/{id}/block).
func (s *ContactsService) Unblock(ctx context.Context, id string, opts ...RequestOption) (*Contact, error) {
	return s.write(ctx, "DELETE", "/v1/contacts/"+seg(id)+"/block", nil, opts)
}

// LookupQuery asks who a caller is: one of Phone, Email, ExternalID and
// Extension.
type LookupQuery struct {
	Phone, Email, ExternalID string
	// Extension is looked up on the PBX PBX, or any PBX when PBX is nil.
	Extension string
	PBX       *string
	// Region reads a national number instead of the tenant's default.
	Region string
}

// Lookup identifies a caller (GET /v1/contacts/lookup).
func (s *ContactsService) Lookup(ctx context.Context, q LookupQuery) (*LookupResult, error) {
	v := url.Values{}
	for k, val := range map[string]string{"phone": q.Phone, "email": q.Email, "externalId": q.ExternalID, "extension": q.Extension, "region": q.Region} {
		if val != "" {
			v.Set(k, val)
		}
	}
	if q.PBX != nil {
		v.Set("pbx", *q.PBX)
	}
	var out LookupResult
	if _, err := s.c.call(ctx, "GET", "/v1/contacts/lookup", v, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// List reads one page of contacts (GET /v1/contacts).
func (s *ContactsService) List(ctx context.Context, opts ListOptions) (*Page[Contact], error) {
	return listOnce[Contact](ctx, s.c, "/v1/contacts", opts, nil)
}

// All iterates over every contact the options select, page by page.
func (s *ContactsService) All(ctx context.Context, opts ListOptions) iter.Seq2[Contact, error] {
	return listAll[Contact](ctx, s.c, "/v1/contacts", opts, nil)
}

// Search reads one page of a search with the options in a JSON body, for
// long filters (POST /v1/contacts/search).
func (s *ContactsService) Search(ctx context.Context, opts ListOptions) (*Page[Contact], error) {
	return s.searchPage(ctx, opts, opts.Cursor)
}

// SearchAll iterates over every contact of a search.
func (s *ContactsService) SearchAll(ctx context.Context, opts ListOptions) iter.Seq2[Contact, error] {
	return all(func(cursor string) (*Page[Contact], error) { return s.searchPage(ctx, opts, cursor) }, opts.Cursor)
}

func (s *ContactsService) searchPage(ctx context.Context, opts ListOptions, cursor string) (*Page[Contact], error) {
	body := map[string]any{}
	if opts.Filter != nil {
		f, err := filterText(opts.Filter)
		if err != nil {
			return nil, err
		}
		body["filter"] = rawJSON(f)
	}
	for k, v := range map[string]string{"q": opts.Q, "sort": opts.Sort, "cursor": cursor} {
		if v != "" {
			body[k] = v
		}
	}
	if opts.Limit > 0 {
		body["limit"] = opts.Limit
	}
	if len(opts.Fields) > 0 {
		body["fields"] = opts.Fields
	}
	if len(opts.Expand) > 0 {
		body["expand"] = opts.Expand
	}
	if opts.IncludeDeleted {
		body["includeDeleted"] = true
	}
	if opts.NoCount {
		body["count"] = false
	}
	var p Page[Contact]
	if _, err := s.c.call(ctx, "POST", "/v1/contacts/search", nil, body, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// History reads a page of a contact's changes, newest last
// (GET /v1/contacts/{id}/history).
func (s *ContactsService) History(ctx context.Context, id string, opts ListOptions) (*Page[Change], error) {
	return listOnce[Change](ctx, s.c, "/v1/contacts/"+seg(id)+"/history", opts, nil)
}

// HistoryAll iterates over a contact's every change.
func (s *ContactsService) HistoryAll(ctx context.Context, id string, opts ListOptions) iter.Seq2[Change, error] {
	return listAll[Change](ctx, s.c, "/v1/contacts/"+seg(id)+"/history", opts, nil)
}

// Batch applies up to 1,000 operations (POST /v1/contacts/batch): one
// result each, in order; with atomic, all or nothing.
func (s *ContactsService) Batch(ctx context.Context, ops []BatchOperation, atomic bool, opts ...RequestOption) ([]BatchResult, error) {
	var q url.Values
	if atomic {
		q = url.Values{"atomic": {"true"}}
	}
	var out struct {
		Results []BatchResult `json:"results"`
	}
	if _, err := s.c.call(ctx, "POST", "/v1/contacts/batch", q, map[string]any{"operations": ops}, &out, opts...); err != nil {
		return nil, err
	}
	return out.Results, nil
}

// ExportOptions select what an export writes: the list's selection and
// order, and the format (ndjson, the default; csv; vcard).
type ExportOptions struct {
	ListOptions
	Format string
	// VCardVersion is 4.0 (the default) or 3.0.
	VCardVersion string
}

// Export streams the contacts the options select as a file
// (GET /v1/contacts/export); the caller closes it. The answer is cut short
// (a read error) if the export fails midway.
func (s *ContactsService) Export(ctx context.Context, opts ExportOptions) (io.ReadCloser, error) {
	q, err := opts.values()
	if err != nil {
		return nil, err
	}
	if opts.Format != "" {
		q.Set("format", opts.Format)
	}
	if opts.VCardVersion != "" {
		q.Set("version", opts.VCardVersion)
	}
	return s.c.stream(ctx, "/v1/contacts/export", q)
}

// Photo reads a contact's photo and its media type
// (GET /v1/contacts/{id}/photo).
func (s *ContactsService) Photo(ctx context.Context, id string) (data []byte, contentType string, err error) {
	r, _ := newRequest("GET", "/v1/contacts/"+seg(id)+"/photo", nil, nil)
	r.header.Set("Accept", "image/*")
	res, err := s.c.send(ctx, r)
	if err != nil {
		return nil, "", err
	}
	return res.body, res.header.Get("Content-Type"), nil
}

// SetPhoto stores a contact's photo: JPEG, PNG or WebP of at most 1 MiB
// (PUT /v1/contacts/{id}/photo).
func (s *ContactsService) SetPhoto(ctx context.Context, id string, data []byte, contentType string, opts ...RequestOption) (*Contact, error) {
	r := &request{method: "PUT", path: "/v1/contacts/" + seg(id) + "/photo", header: http.Header{}, upload: bytes.NewReader(data), contentType: contentType}
	for _, o := range opts {
		o(r)
	}
	return decodeContact(s.c.send(ctx, r))
}

// DeletePhoto removes a contact's photo (DELETE /v1/contacts/{id}/photo).
func (s *ContactsService) DeletePhoto(ctx context.Context, id string, opts ...RequestOption) (*Contact, error) {
	return s.write(ctx, "DELETE", "/v1/contacts/"+seg(id)+"/photo", nil, opts)
}

// AddPhone adds a phone to a contact (POST /v1/contacts/{id}/phones).
func (s *ContactsService) AddPhone(ctx context.Context, id string, p Phone, opts ...RequestOption) (*Contact, error) {
	return s.write(ctx, "POST", "/v1/contacts/"+seg(id)+"/phones", p, opts)
}

// UpdatePhone merge-patches one phone (PATCH /v1/contacts/{id}/phones/{phoneId}).
func (s *ContactsService) UpdatePhone(ctx context.Context, id, phoneID string, patch any, opts ...RequestOption) (*Contact, error) {
	return s.write(ctx, "PATCH", "/v1/contacts/"+seg(id)+"/phones/"+seg(phoneID), patch, opts)
}

// DeletePhone removes one phone (DELETE /v1/contacts/{id}/phones/{phoneId}).
func (s *ContactsService) DeletePhone(ctx context.Context, id, phoneID string, opts ...RequestOption) (*Contact, error) {
	return s.write(ctx, "DELETE", "/v1/contacts/"+seg(id)+"/phones/"+seg(phoneID), nil, opts)
}

// AddEmail adds an email (POST /v1/contacts/{id}/emails).
func (s *ContactsService) AddEmail(ctx context.Context, id string, e Email, opts ...RequestOption) (*Contact, error) {
	return s.write(ctx, "POST", "/v1/contacts/"+seg(id)+"/emails", e, opts)
}

// UpdateEmail merge-patches one email (PATCH /v1/contacts/{id}/emails/{emailId}).
func (s *ContactsService) UpdateEmail(ctx context.Context, id, emailID string, patch any, opts ...RequestOption) (*Contact, error) {
	return s.write(ctx, "PATCH", "/v1/contacts/"+seg(id)+"/emails/"+seg(emailID), patch, opts)
}

// DeleteEmail removes one email (DELETE /v1/contacts/{id}/emails/{emailId}).
func (s *ContactsService) DeleteEmail(ctx context.Context, id, emailID string, opts ...RequestOption) (*Contact, error) {
	return s.write(ctx, "DELETE", "/v1/contacts/"+seg(id)+"/emails/"+seg(emailID), nil, opts)
}

// AddAddress adds an address (POST /v1/contacts/{id}/addresses).
func (s *ContactsService) AddAddress(ctx context.Context, id string, a Address, opts ...RequestOption) (*Contact, error) {
	return s.write(ctx, "POST", "/v1/contacts/"+seg(id)+"/addresses", a, opts)
}

// UpdateAddress merge-patches one address
// (PATCH /v1/contacts/{id}/addresses/{addressId}).
func (s *ContactsService) UpdateAddress(ctx context.Context, id, addressID string, patch any, opts ...RequestOption) (*Contact, error) {
	return s.write(ctx, "PATCH", "/v1/contacts/"+seg(id)+"/addresses/"+seg(addressID), patch, opts)
}

// DeleteAddress removes one address
// (DELETE /v1/contacts/{id}/addresses/{addressId}).
func (s *ContactsService) DeleteAddress(ctx context.Context, id, addressID string, opts ...RequestOption) (*Contact, error) {
	return s.write(ctx, "DELETE", "/v1/contacts/"+seg(id)+"/addresses/"+seg(addressID), nil, opts)
}

func (s *ContactsService) read(ctx context.Context, path string, q url.Values) (*Contact, error) {
	var out Contact
	if _, err := s.c.call(ctx, "GET", path, q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func (s *ContactsService) write(ctx context.Context, method, path string, body any, opts []RequestOption) (*Contact, error) {
	var out Contact
	if _, err := s.c.call(ctx, method, path, nil, body, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

func decodeContact(res *response, err error) (*Contact, error) {
	if err != nil {
		return nil, err
	}
	var out Contact
	if err := unmarshal(res.body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// rawJSON is JSON text sent as it is.
type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) {
	if strings.TrimSpace(string(r)) == "" {
		return []byte("null"), nil
	}
	return []byte(r), nil
}

// stream sends a GET and hands over the body of a 2xx answer as it
// arrives; an error answer is read whole and returned as a *Problem.
// Retries as send does, before the answer starts.
func (c *Client) stream(ctx context.Context, path string, q url.Values) (io.ReadCloser, error) {
	u := strings.TrimRight(c.base.String(), "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("User-Agent", c.opts.UserAgent)
		res, err := c.opts.HTTPClient.Do(req)
		if err == nil && res.StatusCode < 300 {
			return res.Body, nil
		}
		var p *Problem
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			p = problemOf(&response{status: res.StatusCode, header: res.Header, body: b})
			if (p.Status != http.StatusTooManyRequests && p.Status != http.StatusServiceUnavailable) || attempt >= c.opts.MaxRetries {
				return nil, p
			}
		} else if ctx.Err() != nil || attempt >= c.opts.MaxRetries {
			return nil, fmt.Errorf("contactd: GET %s: %w", path, err)
		}
		wait := backoff(attempt)
		if p != nil && p.RetryAfter > 0 {
			wait = p.RetryAfter
		}
		if err := sleep(ctx, min(wait, c.opts.MaxRetryWait)); err != nil {
			return nil, err
		}
	}
}
