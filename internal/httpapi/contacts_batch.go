package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/contactd/contactd"
)

// batchBody documents the body of POST /v1/contacts/batch.
type batchBody struct {
	Operations []batchOperation `json:"operations" doc:"1 to 1000 operations, applied in order."`
}

type batchOperation struct {
	Op         string          `json:"op" doc:"create; update (a JSON merge patch of a live contact); upsert (replaces the live contact the key names, absent fields cleared, or creates it); delete (soft)."`
	ID         string          `json:"id,omitempty" doc:"The contact of an update or delete, by id."`
	ExternalID string          `json:"externalId,omitempty" doc:"The contact of an update, upsert or delete, by external id."`
	Email      string          `json:"email,omitempty" doc:"The contact of an update, upsert or delete, by email address; an upsert adds it to the contact unless the contact has it."`
	Contact    json.RawMessage `json:"contact,omitempty" doc:"create and upsert: the contact, as POST /v1/contacts takes it; update: a JSON merge patch, as PATCH /v1/contacts/{id} takes it; delete: none."`
}

// batchAnswer is the answer to a batch.
type batchAnswer struct {
	Results []batchResult `json:"results" doc:"One result per operation, in order."`
}

type batchResult struct {
	contactd.BatchResult
	Error *Problem `json:"error,omitempty" doc:"Why the operation failed: the problem its single request would get (field locations name the field in this body). An operation of an atomic batch not applied because another failed has status 424."`
}

func (s *Server) contactBatchRoutes() []route {
	return []route{
		{Method: "POST", Path: "/v1/contacts/batch", ID: "batchContacts", Tag: "Contacts", Scope: contactd.ScopeAdmin,
			Summary: "Create, change and delete many contacts at once",
			Doc: "Up to 1000 operations, each checked as its single request would be (validation, normalization, uniqueness, and the scope of its request beside contacts:admin), written in order in one transaction, each with its history entry and change. " +
				"Two operations that claim one contact, email, external id (or, when the tenant keeps numbers unique, number) are caught before anything is written: the first keeps it, the later ones fail with a 409 naming its contact. " +
				"Each operation has its result, in order; one that fails does not stop the others, unless atomic=true: then nothing is written when any fails.",
			Params: []param{idemKey, {In: "query", Name: "atomic", Type: "boolean",
				Doc: "All or nothing: when an operation fails, none is applied (the others answer status error with a 424 problem)."}},
			Body: batchBody{}, Responses: []response{{Status: 200, Doc: "The result of every operation.", Body: batchAnswer{}}},
			serve: s.batchContacts},
	}
}

func (s *Server) batchContacts(c *call) (*reply, error) {
	atomic, err := boolParam(c.r.URL.Query(), "atomic")
	if err != nil {
		return nil, err
	}
	ops, err := contactd.DecodeBatch(c.body)
	if err != nil {
		return nil, err
	}
	results, err := s.svc.Batch(c.r.Context(), c.p, ops, atomic)
	if err != nil {
		return nil, err
	}
	out := batchAnswer{Results: make([]batchResult, len(results))}
	for i, r := range results {
		out.Results[i] = batchResult{BatchResult: r}
		if r.Err != nil {
			if contactd.ErrorCodeOf(r.Err) == contactd.EInternal {
				return nil, r.Err
			}
			out.Results[i].Error = problemFor(r.Err, c.requestID)
		}
	}
	return &reply{status: http.StatusOK, body: out}, nil
}
