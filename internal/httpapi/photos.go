package httpapi

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/contactd/contactd"
)

// photoRoutes are a contact's photo: an image read and written whole.
func (s *Server) photoRoutes() []route {
	image := []response{{Status: 200, Doc: "The image (JPEG, PNG or WebP), with its ETag.", Raw: "image/*", Headers: []string{"ETag"}}}
	return []route{
		{Method: "GET", Path: "/v1/contacts/{id}/photo", ID: "getContactPhoto", Tag: "Contacts", Scope: contactd.ScopeRead,
			Summary: "Get a contact's photo", Doc: "The image as it was stored. Its ETag is the photo's (contact.photo.etag); If-None-Match with it answers 304.",
			Params: []param{pathID}, Responses: image, Errors: []int{404}, serve: s.getPhoto},
		{Method: "PUT", Path: "/v1/contacts/{id}/photo", ID: "putContactPhoto", Tag: "Contacts", Scope: contactd.ScopeWrite,
			Summary: "Set a contact's photo",
			Doc: "The body is the image: JPEG, PNG or WebP, at most 1 MiB, its type read from its bytes (the Content-Type is not trusted). " +
				"It makes a new version of the contact, whose photo field describes the image; vCards (CardDAV, exports) carry it as PHOTO.",
			Params: []param{pathID, ifMatch}, Upload: true, UploadTypes: contactd.PhotoTypes, Responses: contactOK, Errors: []int{404, 412, 413}, serve: s.putPhoto},
		{Method: "DELETE", Path: "/v1/contacts/{id}/photo", ID: "deleteContactPhoto", Tag: "Contacts", Scope: contactd.ScopeWrite,
			Summary: "Remove a contact's photo", Doc: "A new version of the contact, without a photo.",
			Params: []param{pathID, ifMatch}, Responses: contactOK, Errors: []int{404, 412}, serve: s.deletePhoto},
	}
}

func (s *Server) getPhoto(c *call) (*reply, error) {
	d, ph, err := s.svc.ContactPhoto(c.r.Context(), c.p, c.path("id"))
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, raw: d.Data, contentType: d.ContentType, etag: ph.ETag}, nil
}

func (s *Server) putPhoto(c *call) (*reply, error) {
	pc, err := precondition(c.r)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, contactd.MaxPhotoBytes+1))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig) || len(data) > contactd.MaxPhotoBytes:
		return nil, errStatus(http.StatusRequestEntityTooLarge, "too_large", "a photo is at most "+strconv.Itoa(contactd.MaxPhotoBytes)+" bytes (1 MiB)")
	case err != nil:
		return nil, err
	}
	ct, err := s.svc.SetPhoto(c.r.Context(), c.p, c.path("id"), data, pc)
	if err != nil {
		return nil, err
	}
	return contactReply(http.StatusOK, ct), nil
}

func (s *Server) deletePhoto(c *call) (*reply, error) {
	pc, err := precondition(c.r)
	if err != nil {
		return nil, err
	}
	ct, err := s.svc.DeletePhoto(c.r.Context(), c.p, c.path("id"), pc)
	if err != nil {
		return nil, err
	}
	return contactReply(http.StatusOK, ct), nil
}
