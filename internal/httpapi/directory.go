package httpapi

import (
	"io"
	"net/http"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/formats"
)

// The phone-system directory: what desk phones and the auto attendant
// list.

var (
	forParam = param{In: "query", Name: "for", Type: "string", Enum: contactd.DirectoryAudiences,
		Doc: "Whose directory: phones (the default: desk phones' directories) or auto-attendant (dial by name, without what hideInAutoAttendant hides)."}
	directoryParams = append([]param{forParam}, paramsNamed(contactListParams, "q", "filter", "sort", "limit", "cursor", "page", "count", "fields")...)
)

const directoryDoc = "What the phone system's directories list: corporate contacts with an extension that has displayInDirectory, " +
	"corporate contacts with no extension when displayWhenNoExtension is set, and service contacts (ring groups, queues, auto attendants). " +
	"for=auto-attendant leaves out what hideInAutoAttendant hides: a contact with it set, or whose listed extensions all have it. " +
	"Deleted contacts are never listed. Sorted by displayName unless sort or q is given."

func (s *Server) directoryRoutes() []route {
	return []route{
		{Method: "GET", Path: "/v1/directory", ID: "listDirectory", Expensive: true, Tag: "Directory", Scope: contactd.ScopeRead,
			Summary: "List the phone directory",
			Doc:     directoryDoc + " The list conventions of GET /v1/contacts apply (filter, q, fields, cursor).",
			Params:  directoryParams, Responses: contactPage, serve: s.listDirectory},
		{Method: "GET", Path: "/v1/directory/phonebook.xml", ID: "directoryPhonebook", Expensive: true, Long: true, BasicAuth: true,
			Tag: "Directory", Scope: contactd.ScopeRead,
			Summary: "The directory as a desk phones' remote phonebook",
			Doc: directoryDoc + " Written in the remote phonebook XML of Yealink phones (YealinkIPPhoneDirectory: a DirectoryEntry per contact " +
				"with its Name and up to three Telephone numbers: its listed extensions, then its primary phone in E.164 form). " +
				"Desk phones that cannot send a bearer token may authenticate with HTTP Basic, the token as the password.",
			Params:    paramsNamed(directoryParams, "for", "q", "filter"),
			Responses: []response{{Status: 200, Doc: "The phonebook.", Raw: "application/xml"}}, serve: s.directoryPhonebook},
	}
}

func (s *Server) directoryRequest(c *call) (contactd.DirectoryRequest, error) {
	r, err := contactListRequest(c)
	return contactd.DirectoryRequest{ContactListRequest: r, For: c.r.URL.Query().Get("for")}, err
}

func (s *Server) listDirectory(c *call) (*reply, error) {
	r, err := s.directoryRequest(c)
	if err != nil {
		return nil, err
	}
	return pageReply(s.svc.Directory(c.r.Context(), c.p, r))
}

// directoryPhonebook reads the directory a thousand contacts a page; the
// first page is read before the answer starts, so that its errors are
// problems.
func (s *Server) directoryPhonebook(c *call) (*reply, error) {
	r, err := s.directoryRequest(c)
	if err != nil {
		return nil, err
	}
	r.Limit, r.NoCount, r.Fields = contactd.MaxLimit, true, []string{"displayName", "contactType", "extensions", "phones"}
	ctx := c.r.Context()
	page, err := s.svc.Directory(ctx, c.p, r)
	if err != nil {
		return nil, err
	}
	audience := r.For
	return &reply{status: http.StatusOK, contentType: "application/xml; charset=utf-8", stream: func(w io.Writer) error {
		i := 0
		return formats.WritePhonebook(w, func() (formats.PhonebookEntry, bool, error) {
			for i == len(page.Data) {
				if page.NextCursor == nil {
					return formats.PhonebookEntry{}, false, nil
				}
				r.Cursor = *page.NextCursor
				var err error
				if page, err = s.svc.Directory(ctx, c.p, r); err != nil {
					return formats.PhonebookEntry{}, false, err
				}
				i = 0
			}
			ct := page.Data[i]
			i++
			return formats.PhonebookEntry{Name: ct.DisplayName, Telephones: contactd.DialNumbers(ct, audience)}, true, nil
		})
	}}, nil
}
