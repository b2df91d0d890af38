package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/contactd/contactd"
)

// Duplicates and merges.

var (
	minScoreParam = param{In: "query", Name: "minScore", Type: "number", Doc: "Only candidates scoring at least this, 0 to 1 (default 0: all). 0.9 keeps the strong ones: the same external id, email, or number with a similar name."}
	reasonParam   = param{In: "query", Name: "reason", Type: "string", Doc: "Comma-separated reasons, any of which a candidate must have: phone, email, nationalNumber, name, externalId."}
	forceParam    = param{In: "query", Name: "force", Type: "boolean", Doc: "Undo even though the survivor was changed after the merge: its later changes stay where they do not conflict."}
)

// candidates is the answer of GET /v1/contacts/{id}/duplicates.
type candidates struct {
	Data []contactd.Candidate `json:"data" doc:"The candidates, most likely first."`
}

// mergeBody documents the body of POST /v1/contacts/merge.
type mergeBody struct {
	TargetID  string                     `json:"targetId" doc:"The survivor: it keeps its id."`
	SourceIDs []string                   `json:"sourceIds" doc:"1 to 10 contacts merged into the target, then deleted with mergedInto."`
	Fields    map[string]json.RawMessage `json:"fields,omitempty" doc:"Per-field choices: a field's value taken whole from one contact of the merge (its id), or given (any other JSON value). Fields: the names, company, job fields, dates, locale, timezone, profileColor, notes, accountId, ownerId, externalId, status, location, site, pbx, kind, contactType, opt-outs, phones, emails, addresses, handles, tags, links, properties, metadata."`
	DryRun    bool                       `json:"dryRun,omitempty" doc:"Answer the survivor as the merge would leave it, with each field's provenance, and write nothing."`
	Force     bool                       `json:"force,omitempty" doc:"Merge contacts that share no number, email or external id."`
}

// dismissBody documents the body of POST /v1/contacts/duplicates/dismiss.
type dismissBody struct {
	ContactIDs []string `json:"contactIds" doc:"2 to 100 contacts that are not duplicates of one another: no pair of them is a candidate again."`
}

func (s *Server) duplicateRoutes() []route {
	return []route{
		{Method: "GET", Path: "/v1/contacts/duplicates", ID: "listDuplicates", Expensive: true, Tag: "Duplicates", Scope: contactd.ScopeRead,
			Summary: "Find duplicate contacts",
			Doc: "Groups of contacts that may be one. Candidates are kept as contacts are written: two contacts are candidates when they share a national number, an email as delivered, an external id, or a name (first and last words in any order, initials allowed) at the same company or email domain; each pair is then compared whole for its reasons and score. " +
				"A group is the contacts that share one of these (a key shared by more than 50 contacts makes none) and have a pair that passes minScore and reason, with those pairs; two contacts that share several are in the group of each. Page with cursor.",
			Params:    []param{minScoreParam, reasonParam, limitParam, cursorParam},
			Responses: []response{{Status: 200, Doc: "A page of groups.", Body: contactd.Page[*contactd.DuplicateGroup]{}}}, serve: s.listDuplicates},
		{Method: "GET", Path: "/v1/contacts/{id}/duplicates", ID: "contactDuplicates", Tag: "Duplicates", Scope: contactd.ScopeRead,
			Summary: "Find the duplicates of one contact", Doc: "The candidates of one live contact, most likely first.",
			Params:    []param{pathID, minScoreParam, reasonParam},
			Responses: []response{{Status: 200, Doc: "The candidates.", Body: candidates{}}}, Errors: []int{404}, serve: s.contactDuplicates},
		{Method: "POST", Path: "/v1/contacts/duplicates/dismiss", ID: "dismissDuplicates", Tag: "Duplicates", Scope: contactd.ScopeWrite,
			Summary: "Mark contacts as not duplicates", Doc: "No pair of the given contacts is a candidate again, whatever they share.",
			Params: []param{idemKey}, Body: dismissBody{}, Responses: noContent, Errors: []int{404}, serve: s.dismissDuplicates},
		{Method: "POST", Path: "/v1/contacts/duplicates/rescan", ID: "rescanDuplicates", Tag: "Duplicates", Scope: contactd.ScopeAdmin,
			Summary: "Start a rescan of every contact's duplicate keys",
			Doc: "A job that writes the duplicate keys of every contact of the tenant again, deleted ones included, 500 at a time: needed once for contacts written before contactd found duplicates (an upgrade), or after its rules change; every write keeps them otherwise, imports included. " +
				"Its first page removes the tenant's keys, so candidates come back as it goes. Writes are not held up meanwhile. Follow it with GET; one runs at a time per tenant (409 while one runs).",
			Params: []param{idemKey}, Responses: []response{{Status: 202, Doc: "Started.", Body: contactd.Rescan{}, Headers: []string{"Location"}}},
			Errors: []int{409}, serve: s.rescanDuplicates},
		{Method: "GET", Path: "/v1/contacts/duplicates/rescan", ID: "getRescan", Tag: "Duplicates", Scope: contactd.ScopeAdmin,
			Summary: "Follow the latest rescan", Responses: []response{{Status: 200, Doc: "The latest rescan of the tenant.", Body: contactd.Rescan{}}},
			Errors: []int{404}, serve: s.getRescan},
		{Method: "POST", Path: "/v1/contacts/merge", ID: "mergeContacts", Tag: "Duplicates", Scope: contactd.ScopeAdmin,
			Summary: "Merge contacts into one",
			Doc: "Merges up to 10 sources into the target, which survives with its id. Phones, emails, addresses, handles, tags and links are unioned with duplicates collapsed (the target's entries first, its primaries kept); the target's other fields win unless empty, then the first source's that has one; properties and metadata merge key by key; opt-outs and a block hold if any contact has them; fields choose otherwise per field. " +
				"The sources are soft-deleted with mergedInto; their static segment memberships pass to the survivor. A GET of a merged id answers with the survivor, and lookups by the sources' numbers, emails and external ids find it. " +
				"History records the merge on every contact (type merged; the survivor's entry holds the merge's id, its sources and each field's provenance under fields.mergedFrom), and the change feed and webhooks carry it (contact.merged). " +
				"Contacts that share no number, email or external id are refused unless force. dryRun answers the survivor as it would be, with each field's provenance, and writes nothing. Undo with POST /v1/contacts/{id}/unmerge.",
			Params: []param{idemKey}, Body: mergeBody{},
			Responses: []response{{Status: 200, Doc: "The survivor and where its fields came from.", Body: contactd.MergeResult{}}}, Errors: []int{404, 409}, serve: s.mergeContacts},
		{Method: "POST", Path: "/v1/contacts/{id}/unmerge", ID: "unmergeContact", Tag: "Duplicates", Scope: contactd.ScopeAdmin,
			Summary: "Undo the latest merge into a contact",
			Doc:     "The sources come back as they were before the merge, and the survivor gives back what came only from them (its own fields and entries stay). Refused (409) when the survivor was changed after the merge, unless force. Recorded in history and the change feed (type unmerged).",
			Params:  []param{pathID, forceParam, idemKey}, Responses: contactOK, Errors: []int{404, 409}, serve: s.unmergeContact},
	}
}

func duplicateParams(c *call) (contactd.DuplicateParams, error) {
	q := c.r.URL.Query()
	dp, err := contactd.CheckDuplicateParams(q.Get("minScore"), q.Get("reason"))
	if err != nil {
		return dp, err
	}
	dp.ListParams, err = listParams(c)
	return dp, err
}

func (s *Server) listDuplicates(c *call) (*reply, error) {
	dp, err := duplicateParams(c)
	if err != nil {
		return nil, err
	}
	return pageReply(s.svc.DuplicateGroups(c.r.Context(), c.p, dp))
}

func (s *Server) contactDuplicates(c *call) (*reply, error) {
	dp, err := duplicateParams(c)
	if err != nil {
		return nil, err
	}
	out, err := s.svc.DuplicatesOf(c.r.Context(), c.p, c.path("id"), dp)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: candidates{Data: out}}, nil
}

func (s *Server) dismissDuplicates(c *call) (*reply, error) {
	ids, err := contactd.DecodeDismiss(c.body)
	if err != nil {
		return nil, err
	}
	if err := s.svc.DismissDuplicates(c.r.Context(), c.p, ids); err != nil {
		return nil, err
	}
	return &reply{status: http.StatusNoContent}, nil
}

func (s *Server) rescanDuplicates(c *call) (*reply, error) {
	r, err := s.svc.StartRescan(c.r.Context(), c.p)
	if err != nil {
		return nil, err
	}
	run, p := *r, c.p
	s.jobs.wg.Add(1)
	go func() {
		defer s.jobs.wg.Done()
		if _, err := s.svc.RunRescan(s.jobs.ctx, p, &run); err != nil {
			s.log.Error("duplicate rescan failed", "tenant", p.TenantID, "err", err)
		}
	}()
	return &reply{status: http.StatusAccepted, body: r, location: "/v1/contacts/duplicates/rescan"}, nil
}

func (s *Server) getRescan(c *call) (*reply, error) {
	r, err := s.svc.RescanStatus(c.r.Context(), c.p)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: r}, nil
}

func (s *Server) mergeContacts(c *call) (*reply, error) {
	in, err := contactd.DecodeMerge(c.body)
	if err != nil {
		return nil, err
	}
	res, err := s.svc.MergeContacts(c.r.Context(), c.p, in)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: res}, nil
}

func (s *Server) unmergeContact(c *call) (*reply, error) {
	force, err := boolParam(c.r.URL.Query(), "force")
	if err != nil {
		return nil, err
	}
	ct, err := s.svc.UnmergeContact(c.r.Context(), c.p, c.path("id"), force)
	if err != nil {
		return nil, err
	}
	return contactReply(http.StatusOK, ct), nil
}

// survivorAt says that a GET of a merged contact answered with the
// survivor, which lives at its own URL.
func survivorAt(c *call, id string) {
	c.w.Header().Set("Content-Location", "/v1/contacts/"+id)
}
