package httpapi

import (
	"net/http"

	"github.com/contactd/contactd"
)

// tagWrite is the body of POST /v1/tags.
type tagWrite struct {
	Name        string `json:"name" doc:"1 to 64 characters, unique in the tenant without regard to case."`
	Color       string `json:"color,omitempty" doc:"#RRGGBB."`
	Description string `json:"description,omitempty" doc:"At most 255 characters."`
}

// tagPatch is the body of PATCH /v1/tags/{tagId}: a JSON merge patch.
type tagPatch struct {
	Name        string `json:"name,omitempty" doc:"A new name: every contact carrying the tag is changed to it (a new version and a history entry each)."`
	Color       any    `json:"color,omitempty" doc:"#RRGGBB, or null to clear."`
	Description any    `json:"description,omitempty" doc:"At most 255 characters, or null to clear."`
}

var pathTagID = param{In: "path", Name: "tagId", Doc: "The tag id (tag_…).", Type: "string", Required: true}

func (s *Server) tagRoutes() []route {
	tagOK := []response{{Status: 200, Doc: "The tag.", Body: contactd.Tag{}}}
	return []route{
		{Method: "GET", Path: "/v1/tags", ID: "listTags", Tag: "Tags", Scope: contactd.ScopeRead,
			Summary: "List the tag registry", Doc: "The tenant's tags in the order of their names (without regard to case).",
			Params: append([]param{{In: "query", Name: "q", Type: "string", Doc: "Only tags whose name starts with this, in any case."}},
				pagedParams...),
			Responses: []response{{Status: 200, Doc: "A page of tags.", Body: contactd.Page[*contactd.Tag]{}}}, serve: s.listTags},
		{Method: "POST", Path: "/v1/tags", ID: "createTag", Tag: "Tags", Scope: contactd.ScopeWrite,
			Summary: "Create a tag",
			Doc:     "Adds a tag to the registry. Tagging a contact with an unknown name creates the tag too. Names are unique without regard to case: a name the registry has in any case is a 409 naming that tag.",
			Params:  []param{idemKey}, Body: tagWrite{},
			Responses: []response{{Status: 201, Doc: "The new tag.", Body: contactd.Tag{}, Headers: []string{"Location"}}},
			Errors:    []int{409}, serve: s.createTag},
		{Method: "GET", Path: "/v1/tags/{tagId}", ID: "getTag", Tag: "Tags", Scope: contactd.ScopeRead,
			Summary: "Get a tag", Params: []param{pathTagID}, Responses: tagOK, Errors: []int{404}, serve: s.getTag},
		{Method: "PATCH", Path: "/v1/tags/{tagId}", ID: "patchTag", Tag: "Tags", Scope: contactd.ScopeWrite,
			Summary: "Rename or change a tag",
			Doc:     "A JSON merge patch. A new name (a new spelling too) is written to every contact carrying the tag, in one transaction, each with a new version, a history entry and a change-feed entry; another tag's name in any case is a 409.",
			Params:  []param{pathTagID}, Body: tagPatch{}, BodyType: "application/merge-patch+json",
			Responses: tagOK, Errors: []int{404, 409}, serve: s.patchTag},
		{Method: "DELETE", Path: "/v1/tags/{tagId}", ID: "deleteTag", Tag: "Tags", Scope: contactd.ScopeDelete,
			Summary: "Delete a tag",
			Doc:     "Deletes the tag and removes it from every contact carrying it, in one transaction, each with a new version, a history entry and a change-feed entry.",
			Params:  []param{pathTagID}, Responses: noContent, Errors: []int{404}, serve: s.deleteTag},
	}
}

func (s *Server) listTags(c *call) (*reply, error) {
	lp, err := listParams(c)
	if err != nil {
		return nil, err
	}
	return pageReply(s.svc.Tags(c.r.Context(), c.p, contactd.TagListRequest{ListParams: lp, Prefix: c.r.URL.Query().Get("q")}))
}

func (s *Server) getTag(c *call) (*reply, error) {
	t, err := s.svc.Tag(c.r.Context(), c.p, c.path("tagId"))
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: t}, nil
}

func (s *Server) createTag(c *call) (*reply, error) {
	in, err := contactd.DecodeTagInput(c.body, false)
	if err != nil {
		return nil, err
	}
	t, err := s.svc.CreateTag(c.r.Context(), c.p, in)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusCreated, body: t, location: "/v1/tags/" + t.ID}, nil
}

func (s *Server) patchTag(c *call) (*reply, error) {
	in, err := contactd.DecodeTagInput(c.body, true)
	if err != nil {
		return nil, err
	}
	t, err := s.svc.UpdateTag(c.r.Context(), c.p, c.path("tagId"), in)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: t}, nil
}

func (s *Server) deleteTag(c *call) (*reply, error) {
	if err := s.svc.DeleteTag(c.r.Context(), c.p, c.path("tagId")); err != nil {
		return nil, err
	}
	return &reply{status: http.StatusNoContent}, nil
}
