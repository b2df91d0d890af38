package httpapi

import (
	"net/http"

	"github.com/contactd/contactd"
)

// Users: the people who sign in to the web address book.

// userWrite documents the body of POST /v1/users.
type userWrite struct {
	Email    string `json:"email" doc:"Unique among the tenant's users; stored in lower case."`
	Name     string `json:"name,omitempty" doc:"At most 128 characters."`
	Role     string `json:"role,omitempty" doc:"admin (every scope), editor (read, write, delete) or viewer (read); default viewer."`
	Password string `json:"password" doc:"12 to 256 characters; stored as an argon2id hash, never shown."`
}

// userPatch documents the body of PATCH /v1/users/{userId}.
type userPatch struct {
	Email    string `json:"email,omitempty" doc:"A new email, unique among the tenant's users."`
	Name     string `json:"name,omitempty" doc:"A new name (null clears it)."`
	Role     string `json:"role,omitempty" doc:"admin, editor or viewer."`
	Password string `json:"password,omitempty" doc:"A new password, 12 to 256 characters."`
}

var (
	pathUserID = param{In: "path", Name: "userId", Doc: "The user id (usr_…).", Type: "string", Required: true}
	userOK     = []response{{Status: 200, Doc: "The user.", Body: contactd.User{}}}
)

func (s *Server) userRoutes() []route {
	return []route{
		{Method: "GET", Path: "/v1/users", ID: "listUsers", Tag: "Users", Scope: contactd.ScopeAdmin,
			Summary: "List the tenant's users", Doc: "The people who sign in to the web address book, oldest first; never a password.",
			Params:    []param{limitParam, cursorParam, fieldsParam},
			Responses: []response{{Status: 200, Doc: "A page of users.", Body: contactd.Page[*contactd.User]{}}}, serve: s.listUsers},
		{Method: "POST", Path: "/v1/users", ID: "createUser", Tag: "Users", Scope: contactd.ScopeAdmin,
			Summary: "Create a user", Doc: "A person who signs in with the email and password. The role decides what they may do.",
			Params: []param{idemKey}, Body: userWrite{},
			Responses: []response{{Status: 201, Doc: "The user.", Body: contactd.User{}, Headers: []string{"Location"}}}, Errors: []int{409}, serve: s.createUser},
		{Method: "GET", Path: "/v1/users/{userId}", ID: "getUser", Tag: "Users", Scope: contactd.ScopeAdmin,
			Summary: "Get a user", Params: []param{pathUserID}, Responses: userOK, Errors: []int{404}, serve: s.getUser},
		{Method: "PATCH", Path: "/v1/users/{userId}", ID: "patchUser", Tag: "Users", Scope: contactd.ScopeAdmin,
			Summary: "Change a user", Doc: "A JSON merge patch of email, name, role or password.",
			Params: []param{pathUserID}, Body: userPatch{}, Responses: userOK, Errors: []int{404, 409}, serve: s.patchUser},
		{Method: "DELETE", Path: "/v1/users/{userId}", ID: "deleteUser", Tag: "Users", Scope: contactd.ScopeAdmin,
			Summary: "Delete a user", Doc: "The user's personal tokens are revoked first.",
			Params: []param{pathUserID}, Responses: noContent, Errors: []int{404}, serve: s.deleteUser},
	}
}

func (s *Server) listUsers(c *call) (*reply, error) {
	lp, err := listParams(c)
	if err != nil {
		return nil, err
	}
	return pageReply(s.svc.Users(c.r.Context(), c.p, contactd.UserListRequest{ListParams: lp}))
}

func (s *Server) createUser(c *call) (*reply, error) {
	in, err := contactd.DecodeUserInput(c.body)
	if err != nil {
		return nil, err
	}
	u, err := s.svc.CreateUser(c.r.Context(), c.p, in)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusCreated, body: u, location: "/v1/users/" + u.ID}, nil
}

func (s *Server) getUser(c *call) (*reply, error) {
	u, err := s.svc.GetUser(c.r.Context(), c.p, c.path("userId"))
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: u}, nil
}

func (s *Server) patchUser(c *call) (*reply, error) {
	in, err := contactd.DecodeUserInput(c.body)
	if err != nil {
		return nil, err
	}
	u, err := s.svc.UpdateUser(c.r.Context(), c.p, c.path("userId"), in)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: u}, nil
}

func (s *Server) deleteUser(c *call) (*reply, error) {
	if err := s.svc.DeleteUser(c.r.Context(), c.p, c.path("userId")); err != nil {
		return nil, err
	}
	return &reply{status: http.StatusNoContent}, nil
}
