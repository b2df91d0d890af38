package client

import (
	"context"
	"iter"
	"net/url"
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

// UsersService is /v1/users: the people who sign in to the web address
// book (contacts:admin).
type UsersService struct{ c *Client }

// User is a person who signs in; the password is never answered.
type User struct {
	ID        string    `json:"id,omitempty"`
	Email     string    `json:"email,omitempty"`
	Name      string    `json:"name,omitempty"`
	Role      string    `json:"role,omitempty"`
	CreatedAt time.Time `json:"createdAt,omitzero"`
	UpdatedAt time.Time `json:"updatedAt,omitzero"`
}

// NewUser is a user to create: role admin, editor or viewer (the default).
type NewUser struct {
	Email    string `json:"email"`
	Name     string `json:"name,omitempty"`
	Role     string `json:"role,omitempty"`
	Password string `json:"password"`
}

// List reads a page of users.
func (s *UsersService) List(ctx context.Context, opts ListOptions) (*Page[User], error) {
	return listOnce[User](ctx, s.c, "/v1/users", opts, nil)
}

// All iterates over the users.
func (s *UsersService) All(ctx context.Context, opts ListOptions) iter.Seq2[User, error] {
	return listAll[User](ctx, s.c, "/v1/users", opts, nil)
}

// Create adds a user.
func (s *UsersService) Create(ctx context.Context, u NewUser, opts ...RequestOption) (*User, error) {
	return doJSON[User](ctx, s.c, "POST", "/v1/users", nil, u, opts)
}

// Get reads a user.
func (s *UsersService) Get(ctx context.Context, id string) (*User, error) {
	return doJSON[User](ctx, s.c, "GET", "/v1/users/"+seg(id), nil, nil, nil)
}

// Update merge-patches a user's email, name, role or password.
func (s *UsersService) Update(ctx context.Context, id string, patch any, opts ...RequestOption) (*User, error) {
	return doJSON[User](ctx, s.c, "PATCH", "/v1/users/"+seg(id), nil, patch, opts)
}

// Delete deletes a user, revoking its personal tokens.
func (s *UsersService) Delete(ctx context.Context, id string, opts ...RequestOption) error {
	_, err := s.c.call(ctx, "DELETE", "/v1/users/"+seg(id), nil, nil, nil, opts...)
	return err
}
