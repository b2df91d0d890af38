package contactd

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Photo describes a contact's photo; the image itself is read at URL
// (GET /v1/contacts/{id}/photo), or carried by the contact's vCard.
type Photo struct {
	URL         string `json:"url"`
	ContentType string `json:"contentType"`
	Size        int    `json:"size"`
	// ETag is the image's entity tag (a hash of its bytes).
	ETag string `json:"etag"`
}

// PhotoData is a photo's image.
type PhotoData struct {
	ContentType string
	Data        []byte
}

// MaxPhotoBytes bounds a photo.
const MaxPhotoBytes = 1 << 20

// PhotoTypes are the media types of the photos contactd keeps.
var PhotoTypes = []string{"image/jpeg", "image/png", "image/webp"}

// PhotoStore is the part of the Store that keeps photos. A photo is
// written with its contact (Contact.PhotoWrite), in the contact's
// transaction, and goes when the contact is erased.
type PhotoStore interface {
	// Photo returns a contact's photo. ENotFound.
	Photo(ctx context.Context, tenantID, contactID string) (*PhotoData, error)
}

// SniffPhoto returns the media type of an image from its first bytes:
// JPEG, PNG or WebP, else "".
func SniffPhoto(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case len(b) >= 12 && bytes.Equal(b[:4], []byte("RIFF")) && bytes.Equal(b[8:12], []byte("WEBP")):
		return "image/webp"
	}
	return ""
}

// checkPhoto validates an image: its type is read from its bytes, and it
// must be one contactd keeps, within MaxPhotoBytes.
func checkPhoto(data []byte) (string, error) {
	if len(data) == 0 {
		return "", fmt.Errorf("is empty: send a JPEG, PNG or WebP image")
	}
	if len(data) > MaxPhotoBytes {
		return "", fmt.Errorf("is %d bytes: a photo is at most %d (1 MiB)", len(data), MaxPhotoBytes)
	}
	t := SniffPhoto(data)
	if t == "" {
		return "", fmt.Errorf("is not a JPEG, PNG or WebP image (judged by its bytes, not its Content-Type)")
	}
	return t, nil
}

// describePhoto returns the Photo of an image (its URL is the contact's,
// filled in when the contact is marshalled).
func describePhoto(d *PhotoData) *Photo {
	sum := sha256.Sum256(d.Data)
	return &Photo{ContentType: d.ContentType, Size: len(d.Data), ETag: `"` + hex.EncodeToString(sum[:12]) + `"`}
}

// photoURL is where a contact's photo is read.
func photoURL(contactID string) string { return "/v1/contacts/" + contactID + "/photo" }

// photo sets the contact's photo from an input's image (Data nil removes
// it), to be written with the contact.
func (b *builder) photo(c *Contact, in *PhotoData) {
	if in.Data == nil {
		if c.Photo != nil {
			c.Photo, c.PhotoWrite = nil, &PhotoData{}
		}
		return
	}
	t, err := checkPhoto(in.Data)
	if err != nil {
		b.fail("photo", "%v", err)
		return
	}
	d := &PhotoData{ContentType: t, Data: in.Data}
	ph := describePhoto(d)
	if c.Photo != nil && c.Photo.ETag == ph.ETag {
		return // the same image
	}
	c.Photo, c.PhotoWrite = ph, d
}

// withPhoto sets a contact's photo from a file's image.
func withPhoto(c *Contact, d *PhotoData) error {
	b := &builder{}
	b.photo(c, d)
	if len(b.errs) > 0 {
		return invalid(b.errs)
	}
	return nil
}

// SetPhoto stores a contact's photo, a new version of the contact. The
// image's type is read from its bytes. EInvalid, ENotFound,
// EPreconditionFailed, EForbidden.
func (s *Service) SetPhoto(ctx context.Context, p Principal, id string, data []byte, pc Precondition) (*Contact, error) {
	if err := p.require(ScopeWrite); err != nil {
		return nil, err
	}
	t, err := checkPhoto(data)
	if err != nil {
		return nil, invalidField("body", "%v", err)
	}
	d := &PhotoData{ContentType: t, Data: data}
	return s.update(ctx, p, Selector{ID: id}, pc, func(c *Contact, _ string) (*Contact, string, error) {
		ph := describePhoto(d)
		if c.Photo == nil || c.Photo.ETag != ph.ETag {
			c.Photo, c.PhotoWrite = ph, d
		}
		return c, "updated", nil
	})
}

// DeletePhoto removes a contact's photo, a new version of the contact.
// ENotFound (no such contact, or no photo), EPreconditionFailed, EForbidden.
func (s *Service) DeletePhoto(ctx context.Context, p Principal, id string, pc Precondition) (*Contact, error) {
	if err := p.require(ScopeWrite); err != nil {
		return nil, err
	}
	return s.update(ctx, p, Selector{ID: id}, pc, func(c *Contact, _ string) (*Contact, string, error) {
		if c.Photo == nil {
			return nil, "", Errorf(ENotFound, "contact %q has no photo", c.ID)
		}
		c.Photo, c.PhotoWrite = nil, &PhotoData{}
		return c, "updated", nil
	})
}

// ContactPhoto returns a live contact's photo and its description.
// ENotFound (no such contact, or no photo), EForbidden.
func (s *Service) ContactPhoto(ctx context.Context, p Principal, id string) (*PhotoData, *Photo, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, nil, err
	}
	c, err := s.resolve(ctx, p, Selector{ID: id})
	if err != nil {
		return nil, nil, err
	}
	if !c.Live() {
		return nil, nil, notFound(Selector{ID: id})
	}
	if c.Photo == nil {
		return nil, nil, Errorf(ENotFound, "contact %q has no photo", id)
	}
	d, err := s.store.Photo(ctx, p.TenantID, id)
	if err != nil {
		return nil, nil, err
	}
	return d, c.Photo, nil
}

// PhotosOf returns the images of those of the contacts that have a
// photo, by contact id: what a vCard of them carries. EForbidden.
func (s *Service) PhotosOf(ctx context.Context, p Principal, cs []*Contact) (map[string]*PhotoData, error) {
	if err := p.require(ScopeRead); err != nil {
		return nil, err
	}
	out := map[string]*PhotoData{}
	for _, c := range cs {
		if c == nil || c.Photo == nil {
			continue
		}
		d, err := s.store.Photo(ctx, p.TenantID, c.ID)
		switch {
		case ErrorCodeOf(err) == ENotFound:
			continue
		case err != nil:
			return nil, err
		}
		out[c.ID] = d
	}
	return out, nil
}
