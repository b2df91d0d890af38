package client

import (
	"context"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// AccountsService is /v1/accounts: the organizations contacts belong to.
type AccountsService struct{ c *Client }

// List reads a page of accounts.
func (s *AccountsService) List(ctx context.Context, opts ListOptions) (*Page[Account], error) {
	return listOnce[Account](ctx, s.c, "/v1/accounts", opts, nil)
}

// All iterates over every account the options select.
func (s *AccountsService) All(ctx context.Context, opts ListOptions) iter.Seq2[Account, error] {
	return listAll[Account](ctx, s.c, "/v1/accounts", opts, nil)
}

// Create creates an account.
func (s *AccountsService) Create(ctx context.Context, a *Account, opts ...RequestOption) (*Account, error) {
	return doJSON[Account](ctx, s.c, "POST", "/v1/accounts", nil, a, opts)
}

// Get reads an account.
func (s *AccountsService) Get(ctx context.Context, id string) (*Account, error) {
	return doJSON[Account](ctx, s.c, "GET", "/v1/accounts/"+seg(id), nil, nil, nil)
}

// Update merge-patches an account.
func (s *AccountsService) Update(ctx context.Context, id string, patch any, opts ...RequestOption) (*Account, error) {
	return doJSON[Account](ctx, s.c, "PATCH", "/v1/accounts/"+seg(id), nil, patch, opts)
}

// Delete deletes an account; with detach, its contacts are detached from
// it first (otherwise an account with contacts is a 409).
func (s *AccountsService) Delete(ctx context.Context, id string, detach bool, opts ...RequestOption) error {
	var q url.Values
	if detach {
		q = url.Values{"detach": {"true"}}
	}
	_, err := s.c.call(ctx, "DELETE", "/v1/accounts/"+seg(id), q, nil, nil, opts...)
	return err
}

// Contacts reads a page of an account's contacts.
func (s *AccountsService) Contacts(ctx context.Context, id string, opts ListOptions) (*Page[Contact], error) {
	return listOnce[Contact](ctx, s.c, "/v1/accounts/"+seg(id)+"/contacts", opts, nil)
}

// AllContacts iterates over an account's contacts.
func (s *AccountsService) AllContacts(ctx context.Context, id string, opts ListOptions) iter.Seq2[Contact, error] {
	return listAll[Contact](ctx, s.c, "/v1/accounts/"+seg(id)+"/contacts", opts, nil)
}

// TagsService is /v1/tags: the tenant's tag registry.
type TagsService struct{ c *Client }

// List reads a page of tags (opts.Q finds tags by name).
func (s *TagsService) List(ctx context.Context, opts ListOptions) (*Page[Tag], error) {
	return listOnce[Tag](ctx, s.c, "/v1/tags", opts, nil)
}

// All iterates over every tag.
func (s *TagsService) All(ctx context.Context, opts ListOptions) iter.Seq2[Tag, error] {
	return listAll[Tag](ctx, s.c, "/v1/tags", opts, nil)
}

// Create creates a tag.
func (s *TagsService) Create(ctx context.Context, t *Tag, opts ...RequestOption) (*Tag, error) {
	return doJSON[Tag](ctx, s.c, "POST", "/v1/tags", nil, t, opts)
}

// Get reads a tag.
func (s *TagsService) Get(ctx context.Context, id string) (*Tag, error) {
	return doJSON[Tag](ctx, s.c, "GET", "/v1/tags/"+seg(id), nil, nil, nil)
}

// Update merge-patches a tag; a new name renames it on every contact.
func (s *TagsService) Update(ctx context.Context, id string, patch any, opts ...RequestOption) (*Tag, error) {
	return doJSON[Tag](ctx, s.c, "PATCH", "/v1/tags/"+seg(id), nil, patch, opts)
}

// Delete deletes a tag and removes it from every contact.
func (s *TagsService) Delete(ctx context.Context, id string, opts ...RequestOption) error {
	_, err := s.c.call(ctx, "DELETE", "/v1/tags/"+seg(id), nil, nil, nil, opts...)
	return err
}

// SegmentsService is /v1/segments: saved groups of contacts.
type SegmentsService struct{ c *Client }

// List reads a page of segments; kind (static or dynamic) selects one
// kind when not "".
func (s *SegmentsService) List(ctx context.Context, kind string, opts ListOptions) (*Page[Segment], error) {
	return listOnce[Segment](ctx, s.c, "/v1/segments", opts, kindQuery(kind))
}

// All iterates over every segment (of a kind, when not "").
func (s *SegmentsService) All(ctx context.Context, kind string, opts ListOptions) iter.Seq2[Segment, error] {
	return listAll[Segment](ctx, s.c, "/v1/segments", opts, kindQuery(kind))
}

func kindQuery(kind string) url.Values {
	if kind == "" {
		return nil
	}
	return url.Values{"kind": {kind}}
}

// Create creates a segment: a filter makes it dynamic, members static.
func (s *SegmentsService) Create(ctx context.Context, sg *Segment, opts ...RequestOption) (*Segment, error) {
	return doJSON[Segment](ctx, s.c, "POST", "/v1/segments", nil, sg, opts)
}

// Get reads a segment.
func (s *SegmentsService) Get(ctx context.Context, id string) (*Segment, error) {
	return doJSON[Segment](ctx, s.c, "GET", "/v1/segments/"+seg(id), nil, nil, nil)
}

// Update merge-patches a segment.
func (s *SegmentsService) Update(ctx context.Context, id string, patch any, opts ...RequestOption) (*Segment, error) {
	return doJSON[Segment](ctx, s.c, "PATCH", "/v1/segments/"+seg(id), nil, patch, opts)
}

// Delete deletes a segment (its contacts stay).
func (s *SegmentsService) Delete(ctx context.Context, id string, opts ...RequestOption) error {
	_, err := s.c.call(ctx, "DELETE", "/v1/segments/"+seg(id), nil, nil, nil, opts...)
	return err
}

// Contacts reads a page of a segment's contacts.
func (s *SegmentsService) Contacts(ctx context.Context, id string, opts ListOptions) (*Page[Contact], error) {
	return listOnce[Contact](ctx, s.c, "/v1/segments/"+seg(id)+"/contacts", opts, nil)
}

// AllContacts iterates over a segment's contacts.
func (s *SegmentsService) AllContacts(ctx context.Context, id string, opts ListOptions) iter.Seq2[Contact, error] {
	return listAll[Contact](ctx, s.c, "/v1/segments/"+seg(id)+"/contacts", opts, nil)
}

// AddMembers adds contacts to a static segment.
func (s *SegmentsService) AddMembers(ctx context.Context, id string, contactIDs []string, opts ...RequestOption) (*Segment, error) {
	return doJSON[Segment](ctx, s.c, "POST", "/v1/segments/"+seg(id)+"/members", nil, map[string]any{"contactIds": contactIDs}, opts)
}

// RemoveMembers removes contacts from a static segment.
func (s *SegmentsService) RemoveMembers(ctx context.Context, id string, contactIDs []string, opts ...RequestOption) (*Segment, error) {
	return doJSON[Segment](ctx, s.c, "DELETE", "/v1/segments/"+seg(id)+"/members", nil, map[string]any{"contactIds": contactIDs}, opts)
}

// ImportsService is /v1/imports: files of contacts brought in by a job.
type ImportsService struct{ c *Client }

// ImportOptions describe a file to import.
type ImportOptions struct {
	// Format is csv, vcard or ndjson; detected when "".
	Format string
	// Mode is create (the default) or upsert.
	Mode   string
	DryRun bool
	// Charset of a CSV file (utf-8, utf-16, windows-1252…); detected when "".
	Charset string
	// Mapping maps CSV column headers to contact fields, over detection.
	Mapping map[string]string
	// ContentType of the body (application/octet-stream when "").
	ContentType string
}

// Upload starts an import of the file r (POST /v1/imports) and answers the
// queued job; follow it with Get or Wait. r is streamed; it is sent again
// on a retry only if it is an io.Seeker.
func (s *ImportsService) Upload(ctx context.Context, r io.Reader, o ImportOptions) (*Import, error) {
	q := url.Values{}
	for k, v := range map[string]string{"format": o.Format, "mode": o.Mode, "charset": o.Charset} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if o.DryRun {
		q.Set("dryRun", "true")
	}
	if len(o.Mapping) > 0 {
		m, err := filterText(o.Mapping)
		if err != nil {
			return nil, err
		}
		q.Set("mapping", m)
	}
	ct := o.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	req := &request{method: "POST", path: "/v1/imports", query: q, header: http.Header{}, upload: r, contentType: ct}
	res, err := s.c.send(ctx, req)
	if err != nil {
		return nil, err
	}
	var im Import
	if err := unmarshal(res.body, &im); err != nil {
		return nil, err
	}
	return &im, nil
}

// Get reads a job.
func (s *ImportsService) Get(ctx context.Context, id string) (*Import, error) {
	return doJSON[Import](ctx, s.c, "GET", "/v1/imports/"+seg(id), nil, nil, nil)
}

// Wait polls a job every interval (1 s when 0) until it ends, and answers
// it as it ended.
func (s *ImportsService) Wait(ctx context.Context, id string, every time.Duration) (*Import, error) {
	if every <= 0 {
		every = time.Second
	}
	for {
		im, err := s.Get(ctx, id)
		if err != nil || im.Done() {
			return im, err
		}
		if err := sleep(ctx, every); err != nil {
			return nil, err
		}
	}
}

// Cancel stops a job; what it wrote stays.
func (s *ImportsService) Cancel(ctx context.Context, id string) (*Import, error) {
	return doJSON[Import](ctx, s.c, "DELETE", "/v1/imports/"+seg(id), nil, nil, nil)
}

// List reads a page of the tenant's jobs, newest first.
func (s *ImportsService) List(ctx context.Context, opts ListOptions) (*Page[Import], error) {
	return listOnce[Import](ctx, s.c, "/v1/imports", opts, nil)
}

// All iterates over the tenant's jobs.
func (s *ImportsService) All(ctx context.Context, opts ListOptions) iter.Seq2[Import, error] {
	return listAll[Import](ctx, s.c, "/v1/imports", opts, nil)
}

// Errors reads a page of the records a job could not write.
func (s *ImportsService) Errors(ctx context.Context, id string, opts ListOptions) (*Page[ImportRowError], error) {
	return listOnce[ImportRowError](ctx, s.c, "/v1/imports/"+seg(id)+"/errors", opts, nil)
}

// AllErrors iterates over the records a job could not write.
func (s *ImportsService) AllErrors(ctx context.Context, id string, opts ListOptions) iter.Seq2[ImportRowError, error] {
	return listAll[ImportRowError](ctx, s.c, "/v1/imports/"+seg(id)+"/errors", opts, nil)
}

// FailedRows streams the failed records of a CSV import as the CSV they
// came from, with a last column saying what is wrong.
func (s *ImportsService) FailedRows(ctx context.Context, id string) (io.ReadCloser, error) {
	return s.c.stream(ctx, "/v1/imports/"+seg(id)+"/errors", url.Values{"format": {"csv"}})
}

// ChangesService is /v1/changes: the tenant's change feed.
type ChangesService struct{ c *Client }

// ChangeOptions page the feed.
type ChangeOptions struct {
	// Cursor continues after a page. Without one, From says where to
	// start: "start" (the default, the oldest change kept) or "now" (an
	// empty page whose cursor is at the newest change).
	Cursor string
	From   string
	Limit  int
	Fields []string
	// Wait long-polls: an empty page answers after this long at most, and
	// a change as soon as it is written (the server caps it at 30 s).
	Wait time.Duration
}

// List reads a page of the feed. Its NextCursor is never nil: poll with
// it for later changes.
func (s *ChangesService) List(ctx context.Context, o ChangeOptions) (*Page[Change], error) {
	q := url.Values{}
	if o.Cursor != "" {
		q.Set("cursor", o.Cursor)
	} else if o.From != "" {
		q.Set("from", o.From)
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if len(o.Fields) > 0 {
		q.Set("fields", strings.Join(o.Fields, ","))
	}
	if o.Wait > 0 {
		q.Set("wait", strconv.Itoa(int(o.Wait.Round(time.Second)/time.Second)))
	}
	return getPage[Change](ctx, s.c, "/v1/changes", q)
}

// Follow iterates over the feed from o on, forever: it long-polls for
// changes (o.Wait, 30 s when 0) until ctx ends or an error does, which it
// yields.
func (s *ChangesService) Follow(ctx context.Context, o ChangeOptions) iter.Seq2[Change, error] {
	if o.Wait <= 0 {
		o.Wait = 30 * time.Second
	}
	return func(yield func(Change, error) bool) {
		for {
			p, err := s.List(ctx, o)
			if err != nil {
				yield(Change{}, err)
				return
			}
			for _, ch := range p.Data {
				if !yield(ch, nil) {
					return
				}
			}
			if p.NextCursor != nil {
				o.Cursor = *p.NextCursor
			}
		}
	}
}

// WebhooksService is /v1/webhooks: subscriptions to the tenant's events.
type WebhooksService struct{ c *Client }

// NewWebhook is a subscription with its signing secret, shown when it is
// made or rotated.
type NewWebhook struct {
	Webhook *Webhook `json:"webhook"`
	Secret  string   `json:"secret"`
}

// List reads a page of subscriptions.
func (s *WebhooksService) List(ctx context.Context, opts ListOptions) (*Page[Webhook], error) {
	return listOnce[Webhook](ctx, s.c, "/v1/webhooks", opts, nil)
}

// All iterates over the subscriptions.
func (s *WebhooksService) All(ctx context.Context, opts ListOptions) iter.Seq2[Webhook, error] {
	return listAll[Webhook](ctx, s.c, "/v1/webhooks", opts, nil)
}

// Create subscribes a URL to events; the answer holds the secret, once.
func (s *WebhooksService) Create(ctx context.Context, w *Webhook, opts ...RequestOption) (*NewWebhook, error) {
	return doJSON[NewWebhook](ctx, s.c, "POST", "/v1/webhooks", nil, w, opts)
}

// Get reads a subscription.
func (s *WebhooksService) Get(ctx context.Context, id string) (*Webhook, error) {
	return doJSON[Webhook](ctx, s.c, "GET", "/v1/webhooks/"+seg(id), nil, nil, nil)
}

// Update merge-patches a subscription (url, events, description, enabled).
func (s *WebhooksService) Update(ctx context.Context, id string, patch any, opts ...RequestOption) (*Webhook, error) {
	return doJSON[Webhook](ctx, s.c, "PATCH", "/v1/webhooks/"+seg(id), nil, patch, opts)
}

// Delete removes a subscription.
func (s *WebhooksService) Delete(ctx context.Context, id string, opts ...RequestOption) error {
	_, err := s.c.call(ctx, "DELETE", "/v1/webhooks/"+seg(id), nil, nil, nil, opts...)
	return err
}

// Deliveries reads a page of a subscription's delivery log, newest first.
func (s *WebhooksService) Deliveries(ctx context.Context, id string, opts ListOptions) (*Page[WebhookDelivery], error) {
	return listOnce[WebhookDelivery](ctx, s.c, "/v1/webhooks/"+seg(id)+"/deliveries", opts, nil)
}

// AllDeliveries iterates over a subscription's delivery log.
func (s *WebhooksService) AllDeliveries(ctx context.Context, id string, opts ListOptions) iter.Seq2[WebhookDelivery, error] {
	return listAll[WebhookDelivery](ctx, s.c, "/v1/webhooks/"+seg(id)+"/deliveries", opts, nil)
}

// Redeliver sends a delivery's event again, now.
func (s *WebhooksService) Redeliver(ctx context.Context, id, deliveryID string, opts ...RequestOption) (*WebhookDelivery, error) {
	return doJSON[WebhookDelivery](ctx, s.c, "POST", "/v1/webhooks/"+seg(id)+"/deliveries/"+seg(deliveryID)+"/redeliver", nil, nil, opts)
}

// RotateSecret gives the subscription a new secret (secret, when not "",
// is the one to use); the old one keeps signing for 24 hours.
func (s *WebhooksService) RotateSecret(ctx context.Context, id, secret string, opts ...RequestOption) (*NewWebhook, error) {
	body := map[string]string{}
	if secret != "" {
		body["secret"] = secret
	}
	return doJSON[NewWebhook](ctx, s.c, "POST", "/v1/webhooks/"+seg(id)+"/rotate-secret", nil, body, opts)
}

// Test sends a test event to the subscription and answers the delivery.
func (s *WebhooksService) Test(ctx context.Context, id string, opts ...RequestOption) (*WebhookDelivery, error) {
	return doJSON[WebhookDelivery](ctx, s.c, "POST", "/v1/webhooks/"+seg(id)+"/test", nil, nil, opts)
}

// TokensService is /v1/tokens: the tenant's API tokens.
type TokensService struct{ c *Client }

// TokenRequest describes a new token.
type TokenRequest struct {
	Name   string   `json:"name"`
	Scopes []string `json:"scopes"`
	// Kind is service (the default) or personal (UserID then names the user).
	Kind   string `json:"kind,omitempty"`
	UserID string `json:"userId,omitempty"`
}

// List reads a page of tokens.
func (s *TokensService) List(ctx context.Context, opts ListOptions) (*Page[Token], error) {
	return listOnce[Token](ctx, s.c, "/v1/tokens", opts, nil)
}

// All iterates over the tokens.
func (s *TokensService) All(ctx context.Context, opts ListOptions) iter.Seq2[Token, error] {
	return listAll[Token](ctx, s.c, "/v1/tokens", opts, nil)
}

// Create makes a token; its secret is answered this once.
func (s *TokensService) Create(ctx context.Context, t TokenRequest, opts ...RequestOption) (token *Token, secret string, err error) {
	out, err := doJSON[struct {
		Token  *Token `json:"token"`
		Secret string `json:"secret"`
	}](ctx, s.c, "POST", "/v1/tokens", nil, t, opts)
	if err != nil {
		return nil, "", err
	}
	return out.Token, out.Secret, nil
}

// Revoke revokes a token.
func (s *TokensService) Revoke(ctx context.Context, id string, opts ...RequestOption) error {
	_, err := s.c.call(ctx, "DELETE", "/v1/tokens/"+seg(id), nil, nil, nil, opts...)
	return err
}

// TenantService is /v1/tenant: the token's tenant.
type TenantService struct{ c *Client }

// Get reads the tenant and its settings.
func (s *TenantService) Get(ctx context.Context) (*Tenant, error) {
	return doJSON[Tenant](ctx, s.c, "GET", "/v1/tenant", nil, nil, nil)
}

// Update merge-patches the tenant's settings (contacts:admin).
func (s *TenantService) Update(ctx context.Context, patch any, opts ...RequestOption) (*Tenant, error) {
	return doJSON[Tenant](ctx, s.c, "PATCH", "/v1/tenant", nil, patch, opts)
}

// DirectoryService is /v1/directory: what the phone system's desk phones
// and auto attendant list.
type DirectoryService struct{ c *Client }

// DirectoryOptions select a directory: For is phones (the default) or
// auto-attendant.
type DirectoryOptions struct {
	ListOptions
	For string
}

func (o DirectoryOptions) extra() url.Values {
	if o.For == "" {
		return nil
	}
	return url.Values{"for": {o.For}}
}

// List reads a page of the directory.
func (s *DirectoryService) List(ctx context.Context, opts DirectoryOptions) (*Page[Contact], error) {
	return listOnce[Contact](ctx, s.c, "/v1/directory", opts.ListOptions, opts.extra())
}

// All iterates over the directory.
func (s *DirectoryService) All(ctx context.Context, opts DirectoryOptions) iter.Seq2[Contact, error] {
	return listAll[Contact](ctx, s.c, "/v1/directory", opts.ListOptions, opts.extra())
}

// Phonebook reads the directory as a Yealink remote phonebook (XML).
func (s *DirectoryService) Phonebook(ctx context.Context, opts DirectoryOptions) ([]byte, error) {
	q, err := ListOptions{Filter: opts.Filter, Q: opts.Q}.values()
	if err != nil {
		return nil, err
	}
	if opts.For != "" {
		q.Set("for", opts.For)
	}
	r, _ := newRequest("GET", "/v1/directory/phonebook.xml", q, nil)
	r.header.Set("Accept", "application/xml")
	res, err := s.c.send(ctx, r)
	if err != nil {
		return nil, err
	}
	return res.body, nil
}

// DuplicatesService finds duplicate contacts, merges them and undoes
// merges.
type DuplicatesService struct{ c *Client }

// DuplicateOptions narrow candidates: a minimum score (0 to 1) and
// reasons any of which a candidate must have.
type DuplicateOptions struct {
	MinScore float64
	Reasons  []string
	Limit    int
	Cursor   string
}

func (o DuplicateOptions) values() url.Values {
	q := url.Values{}
	if o.MinScore > 0 {
		q.Set("minScore", strconv.FormatFloat(o.MinScore, 'f', -1, 64))
	}
	if len(o.Reasons) > 0 {
		q.Set("reason", strings.Join(o.Reasons, ","))
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Cursor != "" {
		q.Set("cursor", o.Cursor)
	}
	return q
}

// Of answers a contact's candidates, most likely first
// (GET /v1/contacts/{id}/duplicates).
func (s *DuplicatesService) Of(ctx context.Context, id string, o DuplicateOptions) ([]Candidate, error) {
	q := o.values()
	q.Del("limit")
	q.Del("cursor")
	out, err := doJSON[struct {
		Data []Candidate `json:"data"`
	}](ctx, s.c, "GET", "/v1/contacts/"+seg(id)+"/duplicates", q, nil, nil)
	if err != nil {
		return nil, err
	}
	return out.Data, nil
}

// Groups reads a page of duplicate groups (GET /v1/contacts/duplicates).
func (s *DuplicatesService) Groups(ctx context.Context, o DuplicateOptions) (*Page[DuplicateGroup], error) {
	return getPage[DuplicateGroup](ctx, s.c, "/v1/contacts/duplicates", o.values())
}

// AllGroups iterates over every duplicate group.
func (s *DuplicatesService) AllGroups(ctx context.Context, o DuplicateOptions) iter.Seq2[DuplicateGroup, error] {
	return all(func(cursor string) (*Page[DuplicateGroup], error) {
		o.Cursor = cursor
		return s.Groups(ctx, o)
	}, o.Cursor)
}

// Dismiss records that contacts are not duplicates of one another.
func (s *DuplicatesService) Dismiss(ctx context.Context, contactIDs []string, opts ...RequestOption) error {
	_, err := s.c.call(ctx, "POST", "/v1/contacts/duplicates/dismiss", nil, map[string]any{"contactIds": contactIDs}, nil, opts...)
	return err
}

// Rescan starts the job that indexes every contact's duplicate keys again
// (contacts:admin); follow it with RescanStatus.
func (s *DuplicatesService) Rescan(ctx context.Context, opts ...RequestOption) (*Rescan, error) {
	return doJSON[Rescan](ctx, s.c, "POST", "/v1/contacts/duplicates/rescan", nil, nil, opts)
}

// RescanStatus reads the latest rescan.
func (s *DuplicatesService) RescanStatus(ctx context.Context) (*Rescan, error) {
	return doJSON[Rescan](ctx, s.c, "GET", "/v1/contacts/duplicates/rescan", nil, nil, nil)
}

// Merge merges sources into a target, or with DryRun answers what it
// would make (POST /v1/contacts/merge, contacts:admin).
func (s *DuplicatesService) Merge(ctx context.Context, m MergeRequest, opts ...RequestOption) (*MergeResult, error) {
	return doJSON[MergeResult](ctx, s.c, "POST", "/v1/contacts/merge", nil, m, opts)
}

// Unmerge undoes the latest merge into a contact; force undoes it though
// the survivor changed since.
func (s *DuplicatesService) Unmerge(ctx context.Context, id string, force bool, opts ...RequestOption) (*Contact, error) {
	var q url.Values
	if force {
		q = url.Values{"force": {"true"}}
	}
	return doJSON[Contact](ctx, s.c, "POST", "/v1/contacts/"+seg(id)+"/unmerge", q, nil, opts)
}

// doJSON sends a request and decodes its JSON answer.
func doJSON[T any](ctx context.Context, c *Client, method, path string, q url.Values, body any, opts []RequestOption) (*T, error) {
	var out T
	if _, err := c.call(ctx, method, path, q, body, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
