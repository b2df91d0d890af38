package httpapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/contactd/contactd"
)

// selectorFunc builds the contact selector of a request from its path.
type selectorFunc func(*call) contactd.Selector

func byID(c *call) contactd.Selector { return contactd.Selector{ID: c.path("id")} }

func byEmail(c *call) contactd.Selector {
	return contactd.Selector{Email: unescape(c.path("email"))}
}

func byExternalID(c *call) contactd.Selector {
	return contactd.Selector{ExternalID: unescape(c.path("externalId"))}
}

// unescape decodes a path segment that chi left escaped (a "/" sent as %2F).
func unescape(s string) string {
	if u, err := url.PathUnescape(s); err == nil {
		return u
	}
	return s
}

func contactReply(status int, ct *contactd.Contact) *reply {
	return &reply{status: status, body: ct, etag: ct.ETag()}
}

func (s *Server) createContact(c *call) (*reply, error) {
	in, err := contactd.DecodeContactInput(c.body)
	if err != nil {
		return nil, err
	}
	ct, err := s.svc.CreateContact(c.r.Context(), c.p, in)
	if err != nil {
		return nil, err
	}
	rep := contactReply(http.StatusCreated, ct)
	rep.location = "/v1/contacts/" + ct.ID
	return rep, nil
}

func (s *Server) getContact(sel selectorFunc) func(*call) (*reply, error) {
	return func(c *call) (*reply, error) {
		q := c.r.URL.Query()
		incl, err := boolParam(q, "includeDeleted")
		if err != nil {
			return nil, err
		}
		fields, err := fieldsParamValue(q)
		if err != nil {
			return nil, err
		}
		names := expandParam(q)
		if by := sel(c); by.ID != "" && fields == nil && names == nil {
			// The hot path: the stored document goes out as it is.
			d, err := s.svc.ContactJSON(c.r.Context(), c.p, by.ID, contactd.GetOptions{IncludeDeleted: incl})
			if err != nil {
				return nil, err
			}
			return &reply{status: http.StatusOK, raw: append(d.JSON[:len(d.JSON):len(d.JSON)], '\n'), contentType: "application/json", etag: d.ETag()}, nil
		}
		ct, err := s.svc.Contact(c.r.Context(), c.p, sel(c), contactd.GetOptions{IncludeDeleted: incl})
		if err != nil {
			return nil, err
		}
		rep := contactReply(http.StatusOK, ct)
		if fields != nil {
			rep.body = project(ct, fields)
		}
		if names != nil {
			extra, err := s.svc.Expand(c.r.Context(), c.p, ct, names)
			if err != nil {
				return nil, err
			}
			m, ok := rep.body.(map[string]json.RawMessage)
			if !ok {
				m = project(ct, nil)
			}
			for k, v := range extra {
				b, err := json.Marshal(v)
				if err != nil {
					return nil, err
				}
				m[k] = b
			}
			rep.body = m
		}
		return rep, nil
	}
}

// contactFields are the top-level fields of a contact's JSON form.
var contactFields = func() map[string]bool {
	b, _ := json.Marshal(contactd.Contact{})
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	for _, k := range []string{"firstName", "middleName", "lastName", "nickName", "suffix", "company", "department",
		"jobTitle", "birthday", "locale", "timezone", "profileColor", "accountId", "ownerId", "externalId", "status",
		"properties", "metadata", "blockedAt", "blockedBy", "blockReason", "createdBy", "updatedBy", "deletedAt", "deletedBy"} {
		out[k] = true
	}
	return out
}()

func fieldsParamValue(q url.Values) ([]string, error) {
	v := q.Get("fields")
	if v == "" {
		return nil, nil
	}
	var out []string
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !contactFields[f] {
			return nil, errStatus(http.StatusBadRequest, "invalid", "query.fields: unknown field "+strconv.Quote(f),
				contactd.FieldError{Location: "query.fields", Message: "unknown field " + strconv.Quote(f), Value: f})
		}
		out = append(out, f)
	}
	return out, nil
}

// expandParam returns the names in an expand parameter, nil for none.
func expandParam(q url.Values) []string {
	var out []string
	for _, v := range strings.Split(q.Get("expand"), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// project returns only the named fields of a contact (and its id); with
// nil fields, all of them.
func project(ct *contactd.Contact, fields []string) map[string]json.RawMessage {
	b, _ := json.Marshal(ct)
	var all map[string]json.RawMessage
	_ = json.Unmarshal(b, &all)
	if fields == nil {
		return all
	}
	out := map[string]json.RawMessage{"id": all["id"]}
	for _, f := range fields {
		if v, ok := all[f]; ok {
			out[f] = v
		} else {
			out[f] = json.RawMessage("null")
		}
	}
	return out
}

func (s *Server) patchContact(sel selectorFunc) func(*call) (*reply, error) {
	return func(c *call) (*reply, error) {
		pc, err := precondition(c.r)
		if err != nil {
			return nil, err
		}
		ct, err := s.svc.PatchContact(c.r.Context(), c.p, sel(c), c.body, pc)
		if err != nil {
			return nil, err
		}
		return contactReply(http.StatusOK, ct), nil
	}
}

func (s *Server) upsertContact(c *call) (*reply, error) {
	pc, err := precondition(c.r)
	if err != nil {
		return nil, err
	}
	in, err := contactd.DecodeContactInput(c.body)
	if err != nil {
		return nil, err
	}
	ct, created, err := s.svc.UpsertContact(c.r.Context(), c.p, byExternalID(c).ExternalID, in, pc)
	if err != nil {
		return nil, err
	}
	if created {
		rep := contactReply(http.StatusCreated, ct)
		rep.location = "/v1/contacts/" + ct.ID
		return rep, nil
	}
	return contactReply(http.StatusOK, ct), nil
}

func (s *Server) deleteContact(sel selectorFunc) func(*call) (*reply, error) {
	return func(c *call) (*reply, error) {
		pc, err := precondition(c.r)
		if err != nil {
			return nil, err
		}
		permanent, err := boolParam(c.r.URL.Query(), "permanent")
		if err != nil {
			return nil, err
		}
		if err := s.svc.DeleteContact(c.r.Context(), c.p, sel(c), pc, permanent); err != nil {
			return nil, err
		}
		return &reply{status: http.StatusNoContent}, nil
	}
}

func (s *Server) restoreContact(c *call) (*reply, error) {
	ct, err := s.svc.RestoreContact(c.r.Context(), c.p, c.path("id"))
	if err != nil {
		return nil, err
	}
	return contactReply(http.StatusOK, ct), nil
}

func (s *Server) blockContact(c *call) (*reply, error) {
	pc, err := precondition(c.r)
	if err != nil {
		return nil, err
	}
	body, err := decodeBlock(c.body)
	if err != nil {
		return nil, err
	}
	ct, err := s.svc.BlockContact(c.r.Context(), c.p, c.path("id"), body.Reason, pc)
	if err != nil {
		return nil, err
	}
	return contactReply(http.StatusOK, ct), nil
}

func (s *Server) unblockContact(c *call) (*reply, error) {
	pc, err := precondition(c.r)
	if err != nil {
		return nil, err
	}
	ct, err := s.svc.UnblockContact(c.r.Context(), c.p, c.path("id"), pc)
	if err != nil {
		return nil, err
	}
	return contactReply(http.StatusOK, ct), nil
}

func (s *Server) addEntry(list contactd.EntryList) func(*call) (*reply, error) {
	return func(c *call) (*reply, error) {
		pc, err := precondition(c.r)
		if err != nil {
			return nil, err
		}
		ct, err := s.svc.AddEntry(c.r.Context(), c.p, c.path("id"), list, c.body, pc)
		if err != nil {
			return nil, err
		}
		return contactReply(http.StatusCreated, ct), nil
	}
}

func (s *Server) patchEntry(list contactd.EntryList, param string) func(*call) (*reply, error) {
	return func(c *call) (*reply, error) {
		pc, err := precondition(c.r)
		if err != nil {
			return nil, err
		}
		ct, err := s.svc.PatchEntry(c.r.Context(), c.p, c.path("id"), list, c.path(param), c.body, pc)
		if err != nil {
			return nil, err
		}
		return contactReply(http.StatusOK, ct), nil
	}
}

func (s *Server) deleteEntry(list contactd.EntryList, param string) func(*call) (*reply, error) {
	return func(c *call) (*reply, error) {
		pc, err := precondition(c.r)
		if err != nil {
			return nil, err
		}
		ct, err := s.svc.DeleteEntry(c.r.Context(), c.p, c.path("id"), list, c.path(param), pc)
		if err != nil {
			return nil, err
		}
		return contactReply(http.StatusOK, ct), nil
	}
}

func (s *Server) history(c *call) (*reply, error) {
	limit, err := intParam(c.r.URL.Query(), "limit")
	if err != nil {
		return nil, err
	}
	page, err := s.svc.History(c.r.Context(), c.p, c.path("id"), c.r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: page}, nil
}

func (s *Server) changes(c *call) (*reply, error) {
	limit, err := intParam(c.r.URL.Query(), "limit")
	if err != nil {
		return nil, err
	}
	page, err := s.svc.Changes(c.r.Context(), c.p, c.r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: page}, nil
}

// precondition parses If-Match: "*" or a list of entity tags.
func precondition(r *http.Request) (contactd.Precondition, error) {
	var pc contactd.Precondition
	for _, v := range r.Header.Values("If-Match") {
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimSpace(t)
			switch {
			case t == "":
			case t == "*":
				pc.Any = true
			case strings.HasPrefix(t, `W/"`) && strings.HasSuffix(t, `"`):
				// A weak tag never matches under If-Match's strong comparison.
				pc.ETags = append(pc.ETags, t)
			case len(t) >= 2 && t[0] == '"' && t[len(t)-1] == '"':
				pc.ETags = append(pc.ETags, t)
			default:
				return pc, errStatus(http.StatusBadRequest, "invalid", "header.If-Match: must be * or a list of quoted entity tags",
					contactd.FieldError{Location: "header.If-Match", Message: "must be * or a list of quoted entity tags", Value: v})
			}
		}
	}
	return pc, nil
}

func boolParam(q url.Values, name string) (bool, error) {
	v := q.Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errStatus(http.StatusBadRequest, "invalid", "query."+name+": must be true or false",
			contactd.FieldError{Location: "query." + name, Message: "must be true or false", Value: v})
	}
	return b, nil
}

func intParam(q url.Values, name string) (int, error) {
	v := q.Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > contactd.MaxLimit {
		return 0, errStatus(http.StatusBadRequest, "invalid", "query."+name+": must be an integer from 1 to 1000",
			contactd.FieldError{Location: "query." + name, Message: "must be an integer from 1 to 1000", Value: v})
	}
	return n, nil
}

// decodeBlock decodes the optional body of a block request strictly.
func decodeBlock(body []byte) (blockBody, error) {
	var b blockBody
	if len(body) == 0 {
		return b, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil || m == nil {
		return b, errStatus(http.StatusBadRequest, "invalid", "body: must be a JSON object",
			contactd.FieldError{Location: "body", Message: "must be a JSON object"})
	}
	for k, v := range m {
		if k != "reason" {
			return b, errStatus(http.StatusBadRequest, "invalid", "body."+k+": unknown field",
				contactd.FieldError{Location: "body." + k, Message: "unknown field"})
		}
		if string(v) != "null" && json.Unmarshal(v, &b.Reason) != nil {
			return b, errStatus(http.StatusBadRequest, "invalid", "body.reason: must be a string",
				contactd.FieldError{Location: "body.reason", Message: "must be a string"})
		}
	}
	return b, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
