package carddav

import (
	"bufio"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// The XML of WebDAV (RFC 4918), CardDAV (RFC 6352) and collection sync
// (RFC 6578): requests are decoded with encoding/xml; multistatus answers
// are written element by element, so that a listing of 100,000 cards
// streams instead of being built in memory.

const (
	nsDAV  = "DAV:"
	nsCard = "urn:ietf:params:xml:ns:carddav"
	nsCS   = "http://calendarserver.org/ns/"
	nsOwn  = "urn:contactd"
)

// prefixes are the namespace prefixes of the answers.
var prefixes = map[string]string{nsDAV: "d", nsCard: "card", nsCS: "cs", nsOwn: "contactd"}

// element is any element of a request, kept with its attributes and
// content to be decoded further.
type element struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Inner   []byte     `xml:",innerxml"`
}

func (e element) attr(name string) string {
	for _, a := range e.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// propList is a DAV:prop element of a request: the properties asked for.
type propList struct {
	Names []element `xml:",any"`
}

type propfindReq struct {
	XMLName  xml.Name  `xml:"DAV: propfind"`
	Prop     *propList `xml:"DAV: prop"`
	AllProp  *struct{} `xml:"DAV: allprop"`
	PropName *struct{} `xml:"DAV: propname"`
}

type hrefElem struct {
	Value string `xml:",chardata"`
}

type multigetReq struct {
	Prop  *propList  `xml:"DAV: prop"`
	Hrefs []hrefElem `xml:"DAV: href"`
}

type textMatchElem struct {
	Value     string `xml:",chardata"`
	Collation string `xml:"collation,attr"`
	MatchType string `xml:"match-type,attr"`
	Negate    string `xml:"negate-condition,attr"`
}

type paramFilterElem struct {
	Name         string         `xml:"name,attr"`
	IsNotDefined *struct{}      `xml:"urn:ietf:params:xml:ns:carddav is-not-defined"`
	TextMatch    *textMatchElem `xml:"urn:ietf:params:xml:ns:carddav text-match"`
}

type propFilterElem struct {
	Name         string            `xml:"name,attr"`
	Test         string            `xml:"test,attr"`
	IsNotDefined *struct{}         `xml:"urn:ietf:params:xml:ns:carddav is-not-defined"`
	TextMatches  []textMatchElem   `xml:"urn:ietf:params:xml:ns:carddav text-match"`
	Params       []paramFilterElem `xml:"urn:ietf:params:xml:ns:carddav param-filter"`
}

type queryReq struct {
	Prop   *propList `xml:"DAV: prop"`
	Filter struct {
		Test  string           `xml:"test,attr"`
		Props []propFilterElem `xml:"urn:ietf:params:xml:ns:carddav prop-filter"`
	} `xml:"urn:ietf:params:xml:ns:carddav filter"`
	Limit *struct {
		NResults int `xml:"urn:ietf:params:xml:ns:carddav nresults"`
	} `xml:"urn:ietf:params:xml:ns:carddav limit"`
}

type syncReq struct {
	Token string    `xml:"DAV: sync-token"`
	Level string    `xml:"DAV: sync-level"`
	Prop  *propList `xml:"DAV: prop"`
	Limit *struct {
		NResults int `xml:"DAV: nresults"`
	} `xml:"DAV: limit"`
}

// report is a REPORT request: one of its kinds.
type report struct {
	XMLName  xml.Name
	Multiget *multigetReq
	Query    *queryReq
	Sync     *syncReq
}

func (r *report) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	r.XMLName = start.Name
	switch start.Name {
	case xml.Name{Space: nsCard, Local: "addressbook-multiget"}:
		r.Multiget = &multigetReq{}
		return d.DecodeElement(r.Multiget, &start)
	case xml.Name{Space: nsCard, Local: "addressbook-query"}:
		r.Query = &queryReq{}
		return d.DecodeElement(r.Query, &start)
	case xml.Name{Space: nsDAV, Local: "sync-collection"}:
		r.Sync = &syncReq{}
		return d.DecodeElement(r.Sync, &start)
	}
	return d.Skip()
}

// maxXMLBody bounds a PROPFIND or REPORT body: a multiget of every card of
// a large address book (vdirsyncer asks for them all in one).
const maxXMLBody = 32 << 20

// decodeBody decodes an XML request body into v; an empty body is
// reported as io.EOF.
func decodeBody(r *http.Request, v any) error {
	body := http.MaxBytesReader(nil, r.Body, maxXMLBody)
	br := bufio.NewReader(body)
	if _, err := br.Peek(1); err == io.EOF {
		return io.EOF
	}
	return xml.NewDecoder(br).Decode(v)
}

// prop is one property of an answer: its name and its content, as XML.
type prop struct {
	name  xml.Name
	inner string
}

// msWriter writes a multistatus answer a response at a time.
type msWriter struct {
	w   *bufio.Writer
	f   http.Flusher
	n   int
	err error
}

func newMultistatus(w http.ResponseWriter) *msWriter {
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusMultiStatus)
	m := &msWriter{w: bufio.NewWriterSize(w, 64<<10)}
	m.f, _ = w.(http.Flusher)
	m.s(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<d:multistatus xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:cs="http://calendarserver.org/ns/">`)
	return m
}

func (m *msWriter) s(s string) {
	if m.err == nil {
		_, m.err = m.w.WriteString(s)
	}
}

// response writes the properties of one resource: those found with 200,
// those missing with 404.
func (m *msWriter) response(href string, found []prop, missing []xml.Name) {
	m.s("\n<d:response><d:href>" + escape(href) + "</d:href>")
	if len(found) > 0 {
		m.s("<d:propstat><d:prop>")
		for _, p := range found {
			m.s(elementXML(p.name, p.inner))
		}
		m.s("</d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>")
	}
	if len(missing) > 0 {
		m.s("<d:propstat><d:prop>")
		for _, n := range missing {
			m.s(elementXML(n, ""))
		}
		m.s("</d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>")
	}
	m.s("</d:response>")
	m.flushSome()
}

// status writes a response that is only a status (a member gone, 404; a
// truncated report, 507).
func (m *msWriter) status(href string, code int) {
	m.s("\n<d:response><d:href>" + escape(href) + "</d:href><d:status>HTTP/1.1 " + strconv.Itoa(code) + " " +
		http.StatusText(code) + "</d:status></d:response>")
	m.flushSome()
}

// flushSome sends what is buffered now and then, so that a long listing
// reaches the client as it is made.
func (m *msWriter) flushSome() {
	if m.n++; m.n%512 == 0 && m.err == nil {
		m.err = m.w.Flush()
		if m.f != nil && m.err == nil {
			m.f.Flush()
		}
	}
}

// close ends the answer, with a sync token when one is given.
func (m *msWriter) close(syncToken string) error {
	if syncToken != "" {
		m.s("\n<d:sync-token>" + escape(syncToken) + "</d:sync-token>")
	}
	m.s("\n</d:multistatus>\n")
	if m.err == nil {
		m.err = m.w.Flush()
	}
	return m.err
}

// elementXML writes an element of a namespace with a known prefix, or
// declaring its own.
func elementXML(n xml.Name, inner string) string {
	if p, ok := prefixes[n.Space]; ok {
		if inner == "" {
			return "<" + p + ":" + n.Local + "/>"
		}
		return "<" + p + ":" + n.Local + ">" + inner + "</" + p + ":" + n.Local + ">"
	}
	open := "<x:" + n.Local + ` xmlns:x="` + strings.ReplaceAll(escape(n.Space), `"`, "&quot;") + `"`
	if n.Space == "" {
		open = "<" + n.Local
	}
	if inner == "" {
		return open + "/>"
	}
	return open + ">" + inner + "</" + strings.TrimPrefix(strings.Fields(open)[0], "<") + ">"
}

// escape escapes text for XML content and attributes; characters XML
// cannot carry become U+FFFD.
func escape(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xfffe || r == 0xffff {
			return 0xfffd
		}
		return r
	}, escaper.Replace(s))
}

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#13;")

// hrefXML is a DAV:href element.
func hrefXML(path string) string { return "<d:href>" + escape(path) + "</d:href>" }

// errorXML is the body of a DAV error: the precondition that failed and a
// message for people.
func errorXML(cond xml.Name, message string) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n" + `<d:error xmlns:d="DAV:" xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:contactd="urn:contactd">`)
	if cond.Local != "" {
		b.WriteString(elementXML(cond, ""))
	}
	if message != "" {
		b.WriteString("<contactd:message>" + escape(message) + "</contactd:message>")
	}
	b.WriteString("</d:error>\n")
	return []byte(b.String())
}

func xmlName(space, local string) xml.Name { return xml.Name{Space: space, Local: local} }
