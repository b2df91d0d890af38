package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"sort"

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

// tagList is the documented shape of a page of tags.
type tagList struct {
	Data       []contactd.Tag `json:"data"`
	NextCursor *string        `json:"nextCursor" doc:"Continues after this page; null on the last page."`
	Total      int            `json:"total,omitempty" doc:"How many tags the list has; absent with count=false."`
	Limit      int            `json:"limit"`
}

var pathTagID = param{In: "path", Name: "tagId", Doc: "The tag id (tag_…).", Type: "string", Required: true}

func (s *Server) tagRoutes() []route {
	tagOK := []response{{Status: 200, Doc: "The tag.", Body: contactd.Tag{}}}
	return []route{
		{Method: "GET", Path: "/v1/tags", ID: "listTags", Tag: "Tags", Scope: contactd.ScopeRead,
			Summary: "List the tag registry", Doc: "The tenant's tags in the order of their names (without regard to case).",
			Params: []param{
				{In: "query", Name: "q", Type: "string", Doc: "Only tags whose name starts with this, in any case."},
				limitParam, cursorParam, {In: "query", Name: "count", Type: "boolean", Doc: "false skips the total."},
			},
			Responses: []response{{Status: 200, Doc: "A page of tags.", Body: tagList{}}}, serve: s.listTags},
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
	q := c.r.URL.Query()
	req := contactd.TagListRequest{Prefix: q.Get("q"), Cursor: q.Get("cursor")}
	var err error
	if req.Limit, err = intParam(q, "limit"); err != nil {
		return nil, err
	}
	count := true
	if q.Get("count") != "" {
		if count, err = boolParam(q, "count"); err != nil {
			return nil, err
		}
	}
	req.NoCount = !count
	page, err := s.svc.Tags(c.r.Context(), c.p, req)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: page}, nil
}

func (s *Server) getTag(c *call) (*reply, error) {
	t, err := s.svc.Tag(c.r.Context(), c.p, c.path("tagId"))
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: t}, nil
}

// tagReadOnly are the fields of a tag a client may send back unchanged.
var tagReadOnly = []string{"id", "createdAt", "updatedAt"}

func (s *Server) createTag(c *call) (*reply, error) {
	var in contactd.TagInput
	var err error
	in.ReadOnly, err = decodeStrictObject(c.body, tagReadOnly, map[string]strictField{
		"name": {str: &in.Name}, "color": {str: &in.Color}, "description": {str: &in.Description},
	})
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
	var in contactd.TagInput
	var err error
	in.ReadOnly, err = decodeStrictObject(c.body, tagReadOnly, map[string]strictField{
		"name": {str: &in.Name}, "color": {str: &in.Color, nullable: true}, "description": {str: &in.Description, nullable: true},
	})
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

// strictField is where decodeStrictObject puts one member of a JSON object.
type strictField struct {
	// str receives a string (nullable: null is "", clearing the field).
	str      **string
	nullable bool
	// strs receives an array of strings.
	strs *[]string
	// raw receives any JSON value as it is.
	raw *json.RawMessage
}

// decodeStrictObject decodes a JSON object body into fields, naming every
// unknown member and every member of the wrong type in one 400. Members
// named in readOnly are returned as they are, for the Service to compare.
func decodeStrictObject(body []byte, readOnly []string, fields map[string]strictField) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return nil, errStatus(http.StatusBadRequest, "invalid", "body: must be a JSON object",
			contactd.FieldError{Location: "body", Message: "must be a JSON object"})
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var fes []contactd.FieldError
	ro := map[string]json.RawMessage{}
	for _, k := range keys {
		v := m[k]
		loc := "body." + k
		null := bytes.Equal(bytes.TrimSpace(v), []byte("null"))
		f, ok := fields[k]
		switch {
		case !ok && slices.Contains(readOnly, k):
			ro[k] = v
		case !ok:
			fes = append(fes, contactd.FieldError{Location: loc, Message: "unknown field"})
		case f.raw != nil:
			*f.raw = v
		case f.str != nil && null && f.nullable:
			empty := ""
			*f.str = &empty
		case f.str != nil && null:
			fes = append(fes, contactd.FieldError{Location: loc, Message: "cannot be null"})
		case f.str != nil:
			var s string
			if json.Unmarshal(v, &s) != nil {
				fes = append(fes, contactd.FieldError{Location: loc, Message: "must be a string"})
			} else {
				*f.str = &s
			}
		case f.strs != nil:
			if json.Unmarshal(v, f.strs) != nil || null {
				fes = append(fes, contactd.FieldError{Location: loc, Message: "must be an array of strings"})
			}
		}
	}
	if len(fes) > 0 {
		return nil, errStatus(http.StatusBadRequest, "invalid", fes[0].Location+": "+fes[0].Message, fes...)
	}
	return ro, nil
}
