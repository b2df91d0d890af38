package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/contactd/contactd"
)

type duplicatesData struct {
	Groups []*contactd.DuplicateGroup
	Next   string
}

func (h *Handler) duplicatesPage(w http.ResponseWriter, r *http.Request, v *visit) {
	pg, err := h.svc.DuplicateGroups(r.Context(), v.p, contactd.DuplicateParams{ListParams: contactd.ListParams{Limit: 25, Cursor: r.URL.Query().Get("cursor"), NoCount: true}})
	if err != nil {
		h.failErr(w, r, v, err)
		return
	}
	d := duplicatesData{Groups: pg.Data}
	if pg.NextCursor != nil {
		d.Next = "/duplicates?cursor=" + url.QueryEscape(*pg.NextCursor)
	}
	h.render(w, r, v, http.StatusOK, "duplicates", "Duplicates", d)
}

// mergeChoice is one field on which the contacts of a merge differ: each
// value, and which contact has it.
type mergeChoice struct {
	Field, Label string
	Options      []mergeOption
	Chosen       string
}

type mergeOption struct {
	ContactID, Value string
}

type mergeData struct {
	Contacts []*contactd.Contact
	Target   string
	Choices  []mergeChoice
	Preview  *contactd.Contact
	Error    string
}

// mergeLabels are the fields a person chooses among, with their labels.
var mergeLabels = []struct{ Field, Label string }{
	{"displayName", "Display name"}, {"firstName", "First name"}, {"middleName", "Middle name"}, {"lastName", "Last name"},
	{"nickName", "Nickname"}, {"company", "Company"}, {"department", "Department"}, {"jobTitle", "Job title"},
	{"birthday", "Birthday"}, {"anniversary", "Anniversary"}, {"notes", "Notes"}, {"accountId", "Account"},
	{"externalId", "External id"}, {"status", "Status"}, {"locale", "Locale"}, {"timezone", "Time zone"},
}

// mergeRequest reads the merge a page asks for: ids (the first the
// target unless target names another) and the per-field choices.
func mergeRequest(form url.Values) *contactd.MergeInput {
	ids := slices.Compact(form["ids"])
	in := &contactd.MergeInput{Fields: map[string]json.RawMessage{}}
	target := form.Get("target")
	if target == "" && len(ids) > 0 {
		target = ids[0]
	}
	in.TargetID = target
	for _, id := range ids {
		if id != target {
			in.SourceIDs = append(in.SourceIDs, id)
		}
	}
	for _, ml := range mergeLabels {
		if c := form.Get("field." + ml.Field); c != "" && slices.Contains(ids, c) {
			b, _ := json.Marshal(c)
			in.Fields[ml.Field] = b
		}
	}
	return in
}

func (h *Handler) mergePage(w http.ResponseWriter, r *http.Request, v *visit) {
	q := r.URL.Query()
	in := mergeRequest(q)
	d := mergeData{Target: in.TargetID}
	for _, id := range append([]string{in.TargetID}, in.SourceIDs...) {
		c, err := h.svc.Contact(r.Context(), v.p, contactd.Selector{ID: id}, contactd.GetOptions{})
		if err != nil {
			h.failErr(w, r, v, err)
			return
		}
		d.Contacts = append(d.Contacts, c)
	}
	if len(d.Contacts) < 2 {
		h.fail(w, r, v, http.StatusBadRequest, "Choose at least two contacts to merge.")
		return
	}
	docs := make([]map[string]any, len(d.Contacts))
	for i, c := range d.Contacts {
		b, _ := json.Marshal(c)
		_ = json.Unmarshal(b, &docs[i])
	}
	for _, ml := range mergeLabels {
		ch := mergeChoice{Field: ml.Field, Label: ml.Label}
		seen := map[string]bool{}
		for i, c := range d.Contacts {
			s, _ := docs[i][ml.Field].(string)
			if s == "" || seen[s] {
				continue
			}
			seen[s] = true
			ch.Options = append(ch.Options, mergeOption{ContactID: c.ID, Value: s})
		}
		if len(ch.Options) > 1 {
			ch.Chosen = q.Get("field." + ml.Field)
			if ch.Chosen == "" {
				ch.Chosen = ch.Options[0].ContactID
			}
			d.Choices = append(d.Choices, ch)
		}
	}
	in.DryRun = true
	res, err := h.svc.MergeContacts(r.Context(), v.p, in)
	if err != nil {
		var e *contactd.Error
		switch {
		case errors.As(err, &e) && e.Code != contactd.EInternal:
			d.Error = e.Message
		default:
			h.failErr(w, r, v, err)
			return
		}
	} else {
		d.Preview = res.Contact
	}
	h.render(w, r, v, http.StatusOK, "merge", "Merge contacts", d)
}

func (h *Handler) merge(w http.ResponseWriter, r *http.Request, v *visit) {
	_ = r.ParseForm()
	in := mergeRequest(r.PostForm)
	res, err := h.svc.MergeContacts(r.Context(), v.p, in)
	if err != nil {
		h.failErr(w, r, v, err)
		return
	}
	back(w, r, "/contacts/"+url.PathEscape(res.Contact.ID), "merged")
}

func (h *Handler) unmergeContact(w http.ResponseWriter, r *http.Request, v *visit) {
	id := r.PathValue("id")
	if _, err := h.svc.UnmergeContact(r.Context(), v.p, id, r.PostFormValue("force") != ""); err != nil {
		h.failErr(w, r, v, err)
		return
	}
	back(w, r, "/contacts/"+url.PathEscape(id), "unmerged")
}

func (h *Handler) dismiss(w http.ResponseWriter, r *http.Request, v *visit) {
	_ = r.ParseForm()
	if err := h.svc.DismissDuplicates(r.Context(), v.p, r.PostForm["ids"]); err != nil {
		h.failErr(w, r, v, err)
		return
	}
	back(w, r, "/duplicates", "dismissed")
}
