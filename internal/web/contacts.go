package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/contactd/contactd"
)

// pageSize is how many contacts a page of the list shows.
const pageSize = 50

// listQuery is the contacts list's state, all of it in the URL.
type listQuery struct {
	Q, Tag, Segment, Account, State, Sort, Cursor string
}

func readListQuery(r *http.Request) listQuery {
	q := r.URL.Query()
	return listQuery{Q: strings.TrimSpace(q.Get("q")), Tag: q.Get("tag"), Segment: q.Get("segment"), Account: q.Get("account"),
		State: q.Get("state"), Sort: q.Get("sort"), Cursor: q.Get("cursor")}
}

// values is the query without the cursor (the list's first page).
func (lq listQuery) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"q": lq.Q, "tag": lq.Tag, "segment": lq.Segment, "account": lq.Account, "state": lq.State, "sort": lq.Sort} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return v
}

// request builds the Service's list request of a query.
func (lq listQuery) request(limit int) contactd.ContactListRequest {
	f := map[string]any{}
	if lq.Tag != "" {
		f["tags"] = lq.Tag
	}
	if lq.Segment != "" {
		f["segments"] = lq.Segment
	}
	if lq.Account != "" {
		f["accountId"] = lq.Account
	}
	req := contactd.ContactListRequest{ListParams: contactd.ListParams{Limit: limit, Cursor: lq.Cursor}, Q: lq.Q}
	switch lq.State {
	case "blocked":
		f["blocked"] = true
	case "deleted":
		f["deletedAt"] = map[string]any{"$exists": true}
		req.IncludeDeleted = true
	case "all":
		req.IncludeDeleted = true
	}
	if len(f) > 0 {
		req.Filter, _ = json.Marshal(f)
	}
	switch lq.Sort {
	case "updated":
		req.Sort = "-updatedAt"
	case "name":
		req.Sort = "displayName"
	default:
		if lq.Q == "" {
			req.Sort = "displayName"
		}
	}
	return req
}

type contactsData struct {
	Query    listQuery
	Contacts []*contactd.Contact
	Total    string
	Next     string
	First    string
	Tags     []*contactd.Tag
	Segments []*contactd.Segment
	Accounts []*contactd.Account
	Error    string
}

// choices bounds the tags, segments and accounts a filter's menu offers.
const choices = 200

func (h *Handler) contactsPage(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	lq := readListQuery(r)
	d := contactsData{Query: lq}
	pg, err := h.svc.ListContacts(ctx, v.p, lq.request(pageSize))
	if fe := fieldErrors(err, nil); fe != nil {
		for _, m := range fe {
			d.Error = m
		}
	} else if err != nil {
		h.failErr(w, r, v, err)
		return
	} else {
		d.Contacts = pg.Data
		if pg.Total != nil {
			d.Total = strconv.Itoa(*pg.Total)
			if pg.TotalIsLowerBound {
				d.Total += "+"
			}
		}
		if pg.NextCursor != nil {
			nv := lq.values()
			nv.Set("cursor", *pg.NextCursor)
			d.Next = "/contacts?" + nv.Encode()
		}
		if lq.Cursor != "" {
			d.First = "/contacts?" + lq.values().Encode()
		}
	}
	if r.URL.Query().Get("partial") == "results" {
		h.renderPart(w, r, v, "results", d)
		return
	}
	if tags, err := h.svc.Tags(ctx, v.p, contactd.TagListRequest{ListParams: contactd.ListParams{Limit: choices, NoCount: true}}); err == nil {
		d.Tags = tags.Data
	}
	if sgs, err := h.svc.Segments(ctx, v.p, contactd.SegmentListRequest{ListParams: contactd.ListParams{Limit: choices, NoCount: true}}); err == nil {
		d.Segments = sgs.Data
	}
	if as, err := h.svc.ListAccounts(ctx, v.p, contactd.AccountListRequest{ListParams: contactd.ListParams{Limit: choices, NoCount: true, Sort: "name"}}); err == nil {
		d.Accounts = as.Data
	}
	h.render(w, r, v, http.StatusOK, "contacts", "Contacts", d)
}

// renderPart renders one fragment of a page, for a script to put in place.
func (h *Handler) renderPart(w http.ResponseWriter, r *http.Request, v *visit, name string, data any) {
	pg := page{Data: data}
	if v != nil {
		pg.CSRF = v.sess.CSRF
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := h.pages["contacts"].ExecuteTemplate(w, name, pg); err != nil {
		h.log.Error("web render part", "part", name, "err", err)
	}
}

type historyEntry struct {
	contactd.Change
	ActorName string
	Fields    []string
}

type contactData struct {
	Contact  *contactd.Contact
	Account  *contactd.Account
	Segments []*contactd.Segment
	History  []historyEntry
	Extra    string // the fields the page has no place for, as JSON
	// Merged says the contact's latest change is a merge into it, which
	// can be undone.
	Merged bool
	// Static are the tenant's static segments, which a person adds the
	// contact to (the first of them).
	Static []*contactd.Segment
	// Names are the people and integrations that changed the contact.
	Names map[string]string
}

// name is how the page shows an actor.
func (d contactData) Name(actor string) string {
	if n, ok := d.Names[actor]; ok {
		return n
	}
	return actor
}

func (h *Handler) contactPage(w http.ResponseWriter, r *http.Request, v *visit) {
	ctx := r.Context()
	id := r.PathValue("id")
	c, err := h.svc.Contact(ctx, v.p, contactd.Selector{ID: id}, contactd.GetOptions{IncludeDeleted: true})
	if err != nil {
		h.failErr(w, r, v, err)
		return
	}
	if c.MergedInto != "" && c.DeletedAt != nil && r.URL.Query().Get("done") == "" {
		// A merged contact lives on in its survivor.
		http.Redirect(w, r, "/contacts/"+url.PathEscape(c.MergedInto), http.StatusSeeOther)
		return
	}
	d := contactData{Contact: c}
	if ex, err := h.svc.Expand(ctx, v.p, c, []string{"account", "segments"}); err == nil {
		d.Account, _ = ex["account"].(*contactd.Account)
		d.Segments, _ = ex["segments"].([]*contactd.Segment)
	}
	hist, err := h.recentHistory(r, v, id)
	actors := []string{c.CreatedBy, c.UpdatedBy, c.DeletedBy, c.BlockedBy}
	for _, ch := range hist {
		actors = append(actors, ch.Actor)
	}
	d.Names, _ = h.svc.ActorNames(ctx, v.p, actors)
	if err == nil {
		if n := len(hist); n > 0 && hist[n-1].Type == "merged" && hist[n-1].ContactID == c.ID && c.DeletedAt == nil {
			d.Merged = true
		}
		for i := len(hist) - 1; i >= 0; i-- {
			ch := hist[i]
			e := historyEntry{Change: ch, ActorName: d.Name(ch.Actor)}
			for f := range ch.Fields {
				if ch.Type == "created" || slices.Contains(bookkeeping, f) {
					continue
				}
				e.Fields = append(e.Fields, f)
			}
			sort.Strings(e.Fields)
			d.History = append(d.History, e)
		}
	}
	if v.can(contactd.ScopeWrite) {
		if sgs, err := h.svc.Segments(ctx, v.p, contactd.SegmentListRequest{ListParams: contactd.ListParams{Limit: choices, NoCount: true}, Kind: contactd.SegmentStatic}); err == nil {
			d.Static = sgs.Data
		}
	}
	d.Extra = extraFields(c)
	h.render(w, r, v, http.StatusOK, "contact", c.DisplayName, d)
}

// historyShown is how many of a contact's latest changes its page shows.
const historyShown = 100

// recentHistory returns the latest changes of a contact, oldest first.
// The history is read in order, a page of the largest size at a time;
// the change log's retention bounds how long it is.
func (h *Handler) recentHistory(r *http.Request, v *visit, id string) ([]contactd.Change, error) {
	var out []contactd.Change
	cursor := ""
	for {
		pg, err := h.svc.History(r.Context(), v.p, id, contactd.ChangeListRequest{ListParams: contactd.ListParams{Limit: contactd.MaxLimit, NoCount: true, Cursor: cursor}})
		if err != nil {
			return out, err
		}
		out = append(out, pg.Data...)
		if len(out) > historyShown {
			out = out[len(out)-historyShown:]
		}
		if pg.NextCursor == nil || len(pg.Data) == 0 {
			return out, nil
		}
		cursor = *pg.NextCursor
	}
}

// bookkeeping are the fields every change touches, which the timeline
// does not list.
var bookkeeping = []string{"version", "updatedAt", "updatedBy", "createdAt", "createdBy", "id"}

// extraFields returns, as indented JSON, the fields of a contact that the
// page does not show on their own: every field is on the page.
func extraFields(c *contactd.Contact) string {
	b, err := json.Marshal(c)
	if err != nil {
		return ""
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return ""
	}
	for _, k := range shownFields {
		delete(m, k)
	}
	for k, v := range m {
		if v == nil || v == false || v == "" {
			delete(m, k)
		}
		if l, ok := v.([]any); ok && len(l) == 0 {
			delete(m, k)
		}
	}
	if len(m) == 0 {
		return ""
	}
	out, _ := json.MarshalIndent(m, "", "  ")
	return string(out)
}

// shownFields are the fields the contact page shows in their own places.
var shownFields = []string{"id", "version", "displayName", "firstName", "middleName", "lastName", "nickName", "suffix", "company",
	"department", "jobTitle", "birthday", "anniversary", "notes", "photo", "phones", "emails", "addresses", "tags", "accountId",
	"doNotCall", "emailOptOut", "smsOptOut", "blockedAt", "blockedBy", "blockReason", "createdAt", "createdBy", "updatedAt",
	"updatedBy", "deletedAt", "deletedBy", "kind", "source", "unknown"}

func (h *Handler) contactPhoto(w http.ResponseWriter, r *http.Request, v *visit) {
	data, _, err := h.svc.ContactPhoto(r.Context(), v.p, r.PathValue("id"))
	if err != nil || data == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", data.ContentType)
	w.Header().Set("Cache-Control", "private, max-age=60")
	w.Write(data.Data)
}

// The contact form. Its inputs are named by the API's locations
// ("firstName", "emails[1].address"), so that a problem's errors[].location
// names the input it concerns.

// scalarFields are the contact's text fields the form edits, with their
// labels as people write them.
var scalarFields = []struct{ Name, Label, Kind string }{
	{"firstName", "First name", "text"}, {"middleName", "Middle name", "text"}, {"lastName", "Last name", "text"},
	{"nickName", "Nickname", "text"}, {"suffix", "Suffix", "text"}, {"company", "Company", "text"},
	{"department", "Department", "text"}, {"jobTitle", "Job title", "text"}, {"birthday", "Birthday", "text"},
	{"anniversary", "Anniversary", "text"}, {"status", "Status", "text"},
}

type entryRow struct {
	Index  int
	Fields map[string]string
}

type contactForm struct {
	ID, Version string
	New         bool
	Values      map[string]string
	Flags       map[string]bool
	Phones      []entryRow
	Emails      []entryRow
	Addresses   []entryRow
	Errors      map[string]string
	Accounts    []*contactd.Account
	Fields      any
}

// entryTypes are the types an entry of each list may have.
var entryTypes = map[string][]string{"phones": contactd.PhoneTypes, "emails": contactd.EmailTypes, "addresses": contactd.AddressTypes}

// entryFields are the fields of each list's entries the form carries: its
// id and the inputs of its row.
var entryFields = func() map[string][]string {
	out := map[string][]string{}
	for list, layout := range entryLayouts {
		out[list] = []string{"id"}
		for _, in := range layout {
			out[list] = append(out[list], in.Name)
		}
	}
	return out
}()

func newForm() *contactForm {
	return &contactForm{Values: map[string]string{}, Flags: map[string]bool{}, Errors: map[string]string{}, Fields: scalarFields}
}

// formOf fills the form from a contact.
func formOf(c *contactd.Contact) *contactForm {
	f := newForm()
	f.ID, f.Version = c.ID, strconv.FormatInt(c.Version, 10)
	b, _ := json.Marshal(c)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for _, sf := range scalarFields {
		if s, ok := m[sf.Name].(string); ok {
			f.Values[sf.Name] = s
		}
	}
	f.Values["displayName"], f.Values["displayNameWas"] = c.DisplayName, c.DisplayName
	f.Values["notes"] = c.Notes
	f.Values["tags"] = strings.Join(c.Tags, ", ")
	f.Values["accountId"] = c.AccountID
	f.Flags["doNotCall"], f.Flags["emailOptOut"], f.Flags["smsOptOut"] = c.DoNotCall, c.EmailOptOut, c.SMSOptOut
	for list, rows := range map[string]*[]entryRow{"phones": &f.Phones, "emails": &f.Emails, "addresses": &f.Addresses} {
		entries, _ := m[list].([]any)
		for i, e := range entries {
			em, _ := e.(map[string]any)
			row := entryRow{Index: i, Fields: map[string]string{}}
			for _, k := range entryFields[list] {
				row.Fields[k], _ = em[k].(string)
			}
			*rows = append(*rows, row)
		}
	}
	return f
}

// formValue is a form's text as the document carries it: trimmed, and
// with any byte that is not UTF-8 (which browsers do not send) replaced.
func formValue(s string) string { return strings.ToValidUTF8(strings.TrimSpace(s), "\uFFFD") }

var entryInput = regexp.MustCompile(`^(phones|emails|addresses)\[(0|[1-9]\d{0,2})\]\.(\w+)$`)

// readForm reads a posted form into the form's values and a JSON document
// for the Service, with the map from the document's entry locations to
// the form's. With prev (an edit), the document is a merge patch of prev:
// empty fields are cleared, and each entry the form shows keeps what prev
// has of it that the form does not show (an extension, verified, primary,
// an address's county), so that saving changes only what was edited.
func readForm(r *http.Request, prev *contactd.Contact) (*contactForm, []byte, func(string) string) {
	patch := prev != nil
	f := newForm()
	f.ID, f.Version = r.PathValue("id"), r.PostFormValue("version")
	doc := map[string]any{}
	// The display name is sent only when it was changed: left as it was,
	// one the names make stays made from them.
	f.Values["displayName"], f.Values["displayNameWas"] = formValue(r.PostFormValue("displayName")), r.PostFormValue("displayNameWas")
	switch dn := f.Values["displayName"]; {
	case patch && dn == f.Values["displayNameWas"]:
	case dn != "":
		doc["displayName"] = dn
	case patch:
		doc["displayName"] = nil
	}
	prevEntries := entriesOf(prev)
	for _, sf := range append(slices.Clone(scalarFields), struct{ Name, Label, Kind string }{"notes", "", ""}) {
		v := formValue(r.PostFormValue(sf.Name))
		if sf.Name == "notes" {
			v = strings.ToValidUTF8(strings.ReplaceAll(r.PostFormValue(sf.Name), "\r\n", "\n"), "\uFFFD")
		}
		f.Values[sf.Name] = v
		if v != "" {
			doc[sf.Name] = v
		} else if patch {
			doc[sf.Name] = nil
		}
	}
	f.Values["tags"] = formValue(r.PostFormValue("tags"))
	tags := []string{}
	for _, t := range strings.Split(f.Values["tags"], ",") {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	doc["tags"] = tags
	f.Values["accountId"] = formValue(r.PostFormValue("accountId"))
	if a := f.Values["accountId"]; a != "" {
		doc["accountId"] = a
	} else if patch {
		doc["accountId"] = nil
	}
	for _, k := range []string{"doNotCall", "emailOptOut", "smsOptOut"} {
		f.Flags[k] = r.PostFormValue(k) != ""
		doc[k] = f.Flags[k]
	}
	rows := map[string]map[int]map[string]string{}
	for k, vs := range r.PostForm {
		m := entryInput.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		i, _ := strconv.Atoi(m[2])
		if rows[m[1]] == nil {
			rows[m[1]] = map[int]map[string]string{}
		}
		if rows[m[1]][i] == nil {
			rows[m[1]][i] = map[string]string{}
		}
		rows[m[1]][i][m[3]] = formValue(vs[0])
	}
	// Entries are renumbered without the removed and the empty rows; the
	// document's entry n is the form's row back[list][n].
	back := map[string][]int{}
	for list, target := range map[string]*[]entryRow{"phones": &f.Phones, "emails": &f.Emails, "addresses": &f.Addresses} {
		idx := make([]int, 0, len(rows[list]))
		for i := range rows[list] {
			idx = append(idx, i)
		}
		sort.Ints(idx)
		entries := []map[string]any{}
		for _, i := range idx {
			row := rows[list][i]
			if row["remove"] != "" {
				continue
			}
			*target = append(*target, entryRow{Index: i, Fields: row})
			e := map[string]any{}
			kept := prevEntries[list][row["id"]]
			for k, v := range kept {
				e[k] = v
			}
			filled := kept != nil
			for _, k := range entryFields[list] {
				if v := row[k]; v != "" {
					e[k] = v
					if k != "id" && k != "type" {
						filled = true
					}
				} else {
					delete(e, k)
				}
			}
			if kept != nil {
				e["id"] = row["id"]
			}
			if !filled {
				continue
			}
			back[list] = append(back[list], i)
			entries = append(entries, e)
		}
		doc[list] = entries
	}
	rename := func(loc string) string {
		m := regexp.MustCompile(`^(phones|emails|addresses)\[(\d+)\]`).FindStringSubmatchIndex(loc)
		if m == nil {
			return loc
		}
		list := loc[m[2]:m[3]]
		n, _ := strconv.Atoi(loc[m[4]:m[5]])
		if n < len(back[list]) {
			return list + "[" + strconv.Itoa(back[list][n]) + "]" + loc[m[1]:]
		}
		return loc
	}
	body, _ := json.Marshal(doc)
	return f, body, rename
}

// entriesOf returns the phones, emails and addresses of a contact as
// documents, by list and entry id.
func entriesOf(c *contactd.Contact) map[string]map[string]map[string]any {
	out := map[string]map[string]map[string]any{}
	if c == nil {
		return out
	}
	b, _ := json.Marshal(c)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for list := range entryLayouts {
		out[list] = map[string]map[string]any{}
		entries, _ := m[list].([]any)
		for _, e := range entries {
			if em, ok := e.(map[string]any); ok {
				if id, _ := em["id"].(string); id != "" {
					out[list][id] = em
				}
			}
		}
	}
	return out
}

// formErrors returns the messages of a failed save by the form's input
// names: a list entry's error at its row, a tag's at the tags input, and
// any other at the top of the form ("").
func formErrors(err error, rename func(string) string) map[string]string {
	fe := fieldErrors(err, rename)
	if fe == nil {
		return nil
	}
	out := map[string]string{}
	for loc, msg := range fe {
		switch {
		case loc == "" || knownInputs[loc] || entryInput.MatchString(loc):
		case strings.HasPrefix(loc, "tags["):
			loc = "tags"
		default:
			msg, loc = strings.TrimSpace(loc+" "+msg), ""
		}
		if prev, ok := out[loc]; ok && prev != msg {
			msg = prev + "; " + msg
		}
		out[loc] = msg
	}
	return out
}

// knownInputs are the form's inputs outside the entries' rows.
var knownInputs = func() map[string]bool {
	m := map[string]bool{"displayName": true, "notes": true, "tags": true, "accountId": true}
	for _, f := range scalarFields {
		m[f.Name] = true
	}
	return m
}()

func (h *Handler) accounts(r *http.Request, v *visit) []*contactd.Account {
	as, err := h.svc.ListAccounts(r.Context(), v.p, contactd.AccountListRequest{ListParams: contactd.ListParams{Limit: choices, NoCount: true, Sort: "name"}})
	if err != nil {
		return nil
	}
	return as.Data
}

// withBlankRows ends each list with an empty row, for a new entry without
// scripts (and a row the script copies).
func (f *contactForm) withBlankRows() *contactForm {
	for list, rows := range map[string]*[]entryRow{"phones": &f.Phones, "emails": &f.Emails, "addresses": &f.Addresses} {
		next := 0
		for _, r := range *rows {
			next = max(next, r.Index+1)
		}
		if n := len(*rows); n > 0 && blankRow(list, (*rows)[n-1]) {
			continue
		}
		*rows = append(*rows, entryRow{Index: next, Fields: map[string]string{}})
	}
	return f
}

// blankRow reports whether a row holds nothing: no entry, no value.
func blankRow(list string, r entryRow) bool {
	for _, in := range entryLayouts[list] {
		if in.Kind != "select" && r.Fields[in.Name] != "" {
			return false
		}
	}
	return r.Fields["id"] == ""
}

func (h *Handler) showForm(w http.ResponseWriter, r *http.Request, v *visit, status int, f *contactForm, title string) {
	f.Accounts = h.accounts(r, v)
	h.render(w, r, v, status, "edit", title, f)
}

func (h *Handler) newContactPage(w http.ResponseWriter, r *http.Request, v *visit) {
	f := newForm().withBlankRows()
	f.New = true
	h.showForm(w, r, v, http.StatusOK, f, "New contact")
}

func (h *Handler) editContactPage(w http.ResponseWriter, r *http.Request, v *visit) {
	c, err := h.svc.Contact(r.Context(), v.p, contactd.Selector{ID: r.PathValue("id")}, contactd.GetOptions{})
	if err != nil {
		h.failErr(w, r, v, err)
		return
	}
	h.showForm(w, r, v, http.StatusOK, formOf(c).withBlankRows(), "Edit "+c.DisplayName)
}

func (h *Handler) createContact(w http.ResponseWriter, r *http.Request, v *visit) {
	f, body, rename := readForm(r, nil)
	f.New = true
	in, err := contactd.DecodeContactInput(body)
	var c *contactd.Contact
	if err == nil {
		c, err = h.svc.CreateContact(r.Context(), v.p, in)
	}
	if fe := formErrors(err, rename); fe != nil {
		f.Errors = fe
		h.showForm(w, r, v, http.StatusBadRequest, f.withBlankRows(), "New contact")
		return
	}
	if err != nil {
		h.failErr(w, r, v, err)
		return
	}
	back(w, r, "/contacts/"+url.PathEscape(c.ID), "created")
}

func (h *Handler) saveContact(w http.ResponseWriter, r *http.Request, v *visit) {
	prev, err := h.svc.Contact(r.Context(), v.p, contactd.Selector{ID: r.PathValue("id")}, contactd.GetOptions{})
	if err != nil {
		h.failErr(w, r, v, err)
		return
	}
	f, body, rename := readForm(r, prev)
	pc := contactd.Precondition{}
	if f.Version != "" {
		pc.ETags = []string{`"` + f.Version + `"`}
	}
	c, err := h.svc.PatchContact(r.Context(), v.p, contactd.Selector{ID: f.ID}, body, pc)
	if contactd.ErrorCodeOf(err) == contactd.EPreconditionFailed {
		f.Errors = map[string]string{"": "Someone changed this contact while you edited it. Reload the page to see their change, then edit again."}
		h.showForm(w, r, v, http.StatusConflict, f.withBlankRows(), "Edit contact")
		return
	}
	if fe := formErrors(err, rename); fe != nil {
		f.Errors = fe
		h.showForm(w, r, v, http.StatusBadRequest, f.withBlankRows(), "Edit contact")
		return
	}
	if err != nil {
		h.failErr(w, r, v, err)
		return
	}
	back(w, r, "/contacts/"+url.PathEscape(c.ID), "saved")
}

func (h *Handler) blockContact(w http.ResponseWriter, r *http.Request, v *visit) {
	id := r.PathValue("id")
	if _, err := h.svc.BlockContact(r.Context(), v.p, id, strings.TrimSpace(r.PostFormValue("reason")), contactd.Precondition{}); err != nil {
		h.failErr(w, r, v, err)
		return
	}
	back(w, r, "/contacts/"+url.PathEscape(id), "blocked")
}

func (h *Handler) unblockContact(w http.ResponseWriter, r *http.Request, v *visit) {
	id := r.PathValue("id")
	if _, err := h.svc.UnblockContact(r.Context(), v.p, id, contactd.Precondition{}); err != nil {
		h.failErr(w, r, v, err)
		return
	}
	back(w, r, "/contacts/"+url.PathEscape(id), "unblocked")
}

func (h *Handler) deleteContact(w http.ResponseWriter, r *http.Request, v *visit) {
	id := r.PathValue("id")
	if err := h.svc.DeleteContact(r.Context(), v.p, contactd.Selector{ID: id}, contactd.Precondition{}, false); err != nil {
		h.failErr(w, r, v, err)
		return
	}
	back(w, r, "/contacts/"+url.PathEscape(id), "deleted")
}

func (h *Handler) restoreContact(w http.ResponseWriter, r *http.Request, v *visit) {
	id := r.PathValue("id")
	if _, err := h.svc.RestoreContact(r.Context(), v.p, id); err != nil {
		h.failErr(w, r, v, err)
		return
	}
	back(w, r, "/contacts/"+url.PathEscape(id), "restored")
}

// segmentMembership adds the contact to a static segment, or takes it out.
func (h *Handler) segmentMembership(w http.ResponseWriter, r *http.Request, v *visit) {
	id, seg := r.PathValue("id"), r.PostFormValue("segment")
	var err error
	done := "segment-added"
	if r.PathValue("op") == "add" {
		_, err = h.svc.AddSegmentMembers(r.Context(), v.p, seg, []string{id})
	} else {
		_, err = h.svc.RemoveSegmentMembers(r.Context(), v.p, seg, []string{id})
		done = "segment-removed"
	}
	if err != nil {
		h.failErr(w, r, v, err)
		return
	}
	back(w, r, "/contacts/"+url.PathEscape(id), done)
}

func itoa(n int) string { return strconv.Itoa(n) }
