package httpapi

import (
	"net/http"

	"github.com/contactd/contactd"
)

// tokenCreate is the body of POST /v1/tokens.
type tokenCreate struct {
	Name   string   `json:"name,omitempty" doc:"A name; a service token's name is recorded as the actor of its writes."`
	Kind   string   `json:"kind,omitempty" doc:"personal (acts as userId) or service; default personal with userId, else service."`
	UserID string   `json:"userId,omitempty" doc:"The user a personal token acts as."`
	Scopes []string `json:"scopes" doc:"contacts:read, contacts:write, contacts:delete, contacts:admin."`
}

// tokenCreated is the answer to POST /v1/tokens.
type tokenCreated struct {
	Token  contactd.TokenInfo `json:"token"`
	Secret string             `json:"secret" doc:"The token itself, shown this once: only its hash is stored."`
}

var pathTokenID = param{In: "path", Name: "tokenId", Doc: "The token id (tk_…).", Type: "string", Required: true}

func (s *Server) tokenRoutes() []route {
	return []route{
		{Method: "GET", Path: "/v1/tokens", ID: "listTokens", Tag: "Tokens", Scope: contactd.ScopeAdmin,
			Summary: "List the tenant's tokens", Doc: "The tenant's tokens, oldest first, revoked ones included; never a secret.",
			Params:    []param{limitParam, cursorParam, fieldsParam},
			Responses: []response{{Status: 200, Doc: "A page of tokens.", Body: contactd.Page[contactd.TokenInfo]{}}}, serve: s.listTokens},
		{Method: "POST", Path: "/v1/tokens", ID: "createToken", Tag: "Tokens", Scope: contactd.ScopeAdmin,
			Summary: "Create a token", Doc: "The secret is in the answer and nowhere else: it is stored only as a hash.",
			Params: []param{idemKey}, Body: tokenCreate{},
			Responses: []response{{Status: 201, Doc: "The token and its secret.", Body: tokenCreated{}}}, serve: s.createToken},
		{Method: "DELETE", Path: "/v1/tokens/{tokenId}", ID: "revokeToken", Tag: "Tokens", Scope: contactd.ScopeAdmin,
			Summary: "Revoke a token", Doc: "The token is rejected from the next request on, on every node.",
			Params: []param{pathTokenID}, Responses: noContent, Errors: []int{404}, serve: s.revokeToken},
	}
}

func (s *Server) listTokens(c *call) (*reply, error) {
	lp, err := listParams(c)
	if err != nil {
		return nil, err
	}
	return pageReply(s.svc.Tokens(c.r.Context(), c.p, contactd.TokenListRequest{ListParams: lp}))
}

func (s *Server) createToken(c *call) (*reply, error) {
	r, err := contactd.DecodeTokenRequest(c.body)
	if err != nil {
		return nil, err
	}
	secret, t, err := s.svc.IssueToken(c.r.Context(), c.p, *r)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusCreated, body: tokenCreated{Token: t.Info(), Secret: secret}, location: "/v1/tokens/" + t.ID}, nil
}

func (s *Server) revokeToken(c *call) (*reply, error) {
	if err := s.svc.RevokeToken(c.r.Context(), c.p, c.path("tokenId")); err != nil {
		return nil, err
	}
	return &reply{status: http.StatusNoContent}, nil
}
