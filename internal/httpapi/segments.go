package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/contactd/contactd"
)

// segmentWrite is the body of POST /v1/segments.
type segmentWrite struct {
	Name        string          `json:"name" doc:"1 to 128 characters."`
	Description string          `json:"description,omitempty" doc:"At most 255 characters."`
	Kind        string          `json:"kind,omitempty" doc:"static (members are added and removed through /members) or dynamic (the contacts its filter matches when read); fixed at creation. Without it, a segment with a filter is dynamic and any other static."`
	Filter      json.RawMessage `json:"filter,omitempty" doc:"Dynamic segments only, and required for them: a filter in the language of GET /v1/contacts, checked when saved. It may name other segments (not itself, at most 4 dynamic segments deep)."`
	ContactIDs  []string        `json:"contactIds,omitempty" doc:"Static segments only: its first members, at most 1000 live contacts of the tenant. An id that names none is a 400 naming it, and no segment is made."`
}

// segmentPatch is the body of PATCH /v1/segments/{segmentId}: a JSON merge
// patch.
type segmentPatch struct {
	Name        string          `json:"name,omitempty" doc:"1 to 128 characters."`
	Description any             `json:"description,omitempty" doc:"At most 255 characters, or null to clear."`
	Filter      json.RawMessage `json:"filter,omitempty" doc:"A new filter, for a dynamic segment."`
}

// segmentMembers is the body of the membership operations.
type segmentMembers struct {
	ContactIDs []string `json:"contactIds" doc:"At most 1000 contact ids of the tenant (live ones to add). An id that names none is a 400 naming it, and nothing changes."`
}

var pathSegmentID = param{In: "path", Name: "segmentId", Doc: "The segment id (seg_…).", Type: "string", Required: true}

func (s *Server) segmentRoutes() []route {
	segmentOK := []response{{Status: 200, Doc: "The segment.", Body: contactd.Segment{}}}
	membersDoc := "Static segments only; up to 1000 ids at once. Answers the segment, with its member count."
	return []route{
		{Method: "GET", Path: "/v1/segments", ID: "listSegments", Tag: "Segments", Scope: contactd.ScopeRead,
			Summary: "List segments", Doc: "The tenant's segments, oldest first; static ones with their member count.",
			Params: append([]param{{In: "query", Name: "kind", Type: "string", Enum: []string{contactd.SegmentStatic, contactd.SegmentDynamic}, Doc: "Only segments of this kind."}},
				pagedParams...),
			Responses: []response{{Status: 200, Doc: "A page of segments.", Body: contactd.Page[*contactd.Segment]{}}}, serve: s.listSegments},
		{Method: "POST", Path: "/v1/segments", ID: "createSegment", Tag: "Segments", Scope: contactd.ScopeWrite,
			Summary: "Create a segment",
			Doc:     "A static segment holds the contacts added to it; a dynamic one is the contacts its filter matches, evaluated whenever it is read.",
			Params:  []param{idemKey}, Body: segmentWrite{},
			Responses: []response{{Status: 201, Doc: "The new segment.", Body: contactd.Segment{}, Headers: []string{"Location"}}},
			serve:     s.createSegment},
		{Method: "GET", Path: "/v1/segments/{segmentId}", ID: "getSegment", Tag: "Segments", Scope: contactd.ScopeRead,
			Summary: "Get a segment", Params: []param{pathSegmentID}, Responses: segmentOK, Errors: []int{404}, serve: s.getSegment},
		{Method: "PATCH", Path: "/v1/segments/{segmentId}", ID: "patchSegment", Tag: "Segments", Scope: contactd.ScopeWrite,
			Summary: "Change a segment", Doc: "A JSON merge patch of the name, the description or (dynamic segments) the filter. The kind is fixed.",
			Params: []param{pathSegmentID}, Body: segmentPatch{}, BodyType: "application/merge-patch+json",
			Responses: segmentOK, Errors: []int{404}, serve: s.patchSegment},
		{Method: "DELETE", Path: "/v1/segments/{segmentId}", ID: "deleteSegment", Tag: "Segments", Scope: contactd.ScopeDelete,
			Summary: "Delete a segment", Doc: "Deletes the segment; its contacts are not touched.",
			Params: []param{pathSegmentID}, Responses: noContent, Errors: []int{404}, serve: s.deleteSegment},
		{Method: "POST", Path: "/v1/segments/{segmentId}/members", ID: "addSegmentMembers", Tag: "Segments", Scope: contactd.ScopeWrite,
			Summary: "Add contacts to a static segment", Doc: membersDoc + " Contacts already in it are ignored.",
			Params: []param{pathSegmentID, idemKey}, Body: segmentMembers{},
			Responses: segmentOK, Errors: []int{404}, serve: s.changeSegmentMembers(true)},
		{Method: "DELETE", Path: "/v1/segments/{segmentId}/members", ID: "removeSegmentMembers", Tag: "Segments", Scope: contactd.ScopeWrite,
			Summary: "Remove contacts from a static segment", Doc: membersDoc + " The ids are in the body; contacts not in it are ignored.",
			Params: []param{pathSegmentID}, Body: segmentMembers{},
			Responses: segmentOK, Errors: []int{404}, serve: s.changeSegmentMembers(false)},
		{Method: "GET", Path: "/v1/segments/{segmentId}/contacts", ID: "listSegmentContacts", Expensive: true, Tag: "Segments", Scope: contactd.ScopeRead,
			Summary:   "List the contacts of a segment",
			Doc:       "The members of a static segment, or the contacts a dynamic segment's filter matches now, with the parameters of GET /v1/contacts (a filter narrows the list further).",
			Params:    append([]param{pathSegmentID}, contactListParams...),
			Responses: contactPage, Errors: []int{404}, serve: s.listSegmentContacts},
	}
}

func (s *Server) listSegments(c *call) (*reply, error) {
	lp, err := listParams(c)
	if err != nil {
		return nil, err
	}
	return pageReply(s.svc.Segments(c.r.Context(), c.p, contactd.SegmentListRequest{ListParams: lp, Kind: c.r.URL.Query().Get("kind")}))
}

func (s *Server) getSegment(c *call) (*reply, error) {
	sg, err := s.svc.Segment(c.r.Context(), c.p, c.path("segmentId"))
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: sg}, nil
}

func (s *Server) createSegment(c *call) (*reply, error) {
	in, err := contactd.DecodeSegmentInput(c.body, false)
	if err != nil {
		return nil, err
	}
	sg, err := s.svc.CreateSegment(c.r.Context(), c.p, in)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusCreated, body: sg, location: "/v1/segments/" + sg.ID}, nil
}

func (s *Server) patchSegment(c *call) (*reply, error) {
	in, err := contactd.DecodeSegmentInput(c.body, true)
	if err != nil {
		return nil, err
	}
	sg, err := s.svc.UpdateSegment(c.r.Context(), c.p, c.path("segmentId"), in)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: sg}, nil
}

func (s *Server) deleteSegment(c *call) (*reply, error) {
	if err := s.svc.DeleteSegment(c.r.Context(), c.p, c.path("segmentId")); err != nil {
		return nil, err
	}
	return &reply{status: http.StatusNoContent}, nil
}

func (s *Server) changeSegmentMembers(add bool) func(*call) (*reply, error) {
	return func(c *call) (*reply, error) {
		ids, err := contactd.DecodeSegmentMembers(c.body)
		if err != nil {
			return nil, err
		}
		var sg *contactd.Segment
		if add {
			sg, err = s.svc.AddSegmentMembers(c.r.Context(), c.p, c.path("segmentId"), ids)
		} else {
			sg, err = s.svc.RemoveSegmentMembers(c.r.Context(), c.p, c.path("segmentId"), ids)
		}
		if err != nil {
			return nil, err
		}
		return &reply{status: http.StatusOK, body: sg}, nil
	}
}

func (s *Server) listSegmentContacts(c *call) (*reply, error) {
	r, err := contactListRequest(c)
	if err != nil {
		return nil, err
	}
	return pageReply(s.svc.SegmentContacts(c.r.Context(), c.p, c.path("segmentId"), r))
}
