package carddav

import (
	"bytes"
	"encoding/json"
	"mime"
	"strings"
	"time"

	"github.com/contactd/contactd"
	"github.com/contactd/contactd/internal/formats"
)

// A card is rendered from its contact. When a client wrote the card, the
// lines it sent are given back as it sent them wherever the contact still
// says what the card said: each property's lines rendered from the
// contact now are compared with those rendered from the contact the card
// produced (Card.Base); where they are equal, the client's lines stand,
// else the contact's replace them (with the lines grouped with them, such
// as an X-ABLabel). Properties the contact model does not hold always
// stand.

// versions of vCard served.
const (
	v3 = "3.0"
	v4 = "4.0"
)

// line is a logical line of a card: its group, its upper-case name and
// the line as written.
type line struct {
	group, name, text string
}

// splitCard returns the logical (unfolded) lines of a card.
func splitCard(data []byte) []line {
	var out []line
	for _, l := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		if l == "" {
			continue
		}
		if l[0] == ' ' || l[0] == '\t' {
			if len(out) > 0 {
				out[len(out)-1].text += l[1:]
				continue
			}
			// A continuation with nothing to continue: a line of its own,
			// which must not start a line of the answer with a space.
			if l = strings.TrimLeft(l, " \t"); l == "" {
				continue
			}
		}
		out = append(out, parseLine(l))
	}
	return out
}

func parseLine(l string) line {
	head := l
	if i := strings.IndexAny(l, ":;"); i >= 0 {
		head = l[:i]
	}
	group, name, ok := strings.Cut(head, ".")
	if !ok {
		group, name = "", head
	}
	return line{group: strings.ToLower(group), name: strings.ToUpper(strings.TrimSpace(name)), text: l}
}

// byName joins the lines of each property, without their groups.
func byName(ls []line) map[string]string {
	m := map[string]string{}
	for _, l := range ls {
		m[l.name] += l.text + "\n"
	}
	return m
}

// cardVersion is the VERSION of a card's lines, "" when it has none.
func cardVersion(ls []line) string {
	for _, l := range ls {
		if l.name == "VERSION" {
			_, v, _ := strings.Cut(l.text, ":")
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// photoFunc reads a contact's photo when a card needs its image.
type photoFunc func(c *contactd.Contact) (*contactd.PhotoData, error)

// render returns the card of contact c as version, over the card a client
// wrote when there is one. The photo is compared by its ETag, and its
// image read only when the card carries the contact's.
func render(c *contactd.Contact, k *contactd.Card, version string, photo photoFunc) ([]byte, error) {
	if k == nil || k.Data == nil {
		var img *contactd.PhotoData
		if c.Photo != nil {
			var err error
			if img, err = photo(c); err != nil {
				return nil, err
			}
		}
		var gen bytes.Buffer
		if err := formats.WriteVCard(&gen, c, version, img); err != nil {
			return nil, err
		}
		return withRev(gen.Bytes(), c.UpdatedAt), nil
	}
	var gen bytes.Buffer
	if err := formats.WriteVCard(&gen, c, version, nil); err != nil {
		return nil, err
	}
	mine := splitCard(gen.Bytes())
	theirs := splitCard(k.Data)
	now := byName(mine)
	var then map[string]string
	photoChanged := true
	if cardVersion(theirs) == version {
		var base contactd.Contact
		var b bytes.Buffer
		if err := json.Unmarshal(k.Base, &base); err == nil && formats.WriteVCard(&b, &base, version, nil) == nil {
			then = byName(splitCard(b.Bytes()))
			photoChanged = photoTag(base.Photo) != photoTag(c.Photo)
		}
	}
	changed := func(name string) bool {
		if name == "PHOTO" {
			return photoChanged
		}
		return then == nil || now[name] != then[name]
	}
	modelled := func(name string) bool {
		_, ok := now[name]
		_, was := then[name]
		return ok || was || name == "PHOTO" || formats.Mapped(name)
	}
	if photoChanged && c.Photo != nil {
		img, err := photo(c)
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		if err := formats.WriteVCard(&b, c, version, img); err != nil {
			return nil, err
		}
		for _, l := range splitCard(b.Bytes()) {
			if l.name == "PHOTO" {
				mine = append(mine, l)
			}
		}
	}
	// The groups of client lines that give way take their other lines along.
	dropped := map[string]bool{}
	for _, l := range theirs {
		if l.group != "" && modelled(l.name) && changed(l.name) && !own[l.name] {
			dropped[l.group] = true
		}
	}
	out := []string{"BEGIN:VCARD", "VERSION:" + version}
	uid := ""
	for _, l := range theirs {
		switch {
		case l.name == "UID":
			uid = l.text
			continue
		case own[l.name]:
			continue
		case l.group != "" && dropped[l.group]:
			continue
		case modelled(l.name) && changed(l.name):
			continue
		}
		out = append(out, l.text)
	}
	for _, l := range mine {
		switch {
		case l.name == "UID":
			if uid == "" {
				uid = l.text
			}
		case own[l.name]:
		case changed(l.name):
			out = append(out, l.text)
		}
	}
	out = append(out, uid, "REV:"+c.UpdatedAt.UTC().Format("20060102T150405Z"), "END:VCARD")
	var b bytes.Buffer
	for _, l := range out {
		b.WriteString(l)
		b.WriteString("\r\n")
	}
	return formats.Fold(b.Bytes()), nil
}

// photoTag identifies a contact's photo ("" for none).
func photoTag(p *contactd.Photo) string {
	if p == nil {
		return ""
	}
	return p.ETag
}

// own are the lines contactd writes itself on every card.
var own = map[string]bool{"BEGIN": true, "END": true, "VERSION": true, "REV": true}

// withRev adds REV (the contact's updatedAt) to a rendered card.
func withRev(card []byte, at time.Time) []byte {
	end := bytes.LastIndex(card, []byte("END:VCARD"))
	if end < 0 {
		return card
	}
	return append(append(card[:end:end], "REV:"+at.UTC().Format("20060102T150405Z")+"\r\n"...), card[end:]...)
}

// negotiate picks the vCard version of an answer: the one asked for (an
// Accept header or address-data's version), else the one the client
// wrote the card in, else 3.0, which every client reads.
func negotiate(asked string, k *contactd.Card) string {
	if asked == v3 || asked == v4 {
		return asked
	}
	if k != nil && k.Data != nil {
		if v := cardVersion(splitCard(k.Data)); v == v3 || v == v4 {
			return v
		}
	}
	return v3
}

// acceptVersion reads the vCard version an Accept header prefers.
func acceptVersion(accept string) string {
	for _, part := range strings.Split(accept, ",") {
		t, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err == nil && (t == "text/vcard" || t == "text/x-vcard") {
			if v := params["version"]; v != "" {
				return v
			}
		}
	}
	return ""
}
