package carddav

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/contactd/contactd"
)

// Property names.
var (
	pResourceType     = xml.Name{Space: nsDAV, Local: "resourcetype"}
	pDisplayName      = xml.Name{Space: nsDAV, Local: "displayname"}
	pCurrentPrincipal = xml.Name{Space: nsDAV, Local: "current-user-principal"}
	pPrincipalURL     = xml.Name{Space: nsDAV, Local: "principal-URL"}
	pOwner            = xml.Name{Space: nsDAV, Local: "owner"}
	pPrivileges       = xml.Name{Space: nsDAV, Local: "current-user-privilege-set"}
	pReports          = xml.Name{Space: nsDAV, Local: "supported-report-set"}
	pSyncToken        = xml.Name{Space: nsDAV, Local: "sync-token"}
	pGetETag          = xml.Name{Space: nsDAV, Local: "getetag"}
	pContentType      = xml.Name{Space: nsDAV, Local: "getcontenttype"}
	pLastModified     = xml.Name{Space: nsDAV, Local: "getlastmodified"}
	pContentLength    = xml.Name{Space: nsDAV, Local: "getcontentlength"}
	pCTag             = xml.Name{Space: nsCS, Local: "getctag"}
	pHomeSet          = xml.Name{Space: nsCard, Local: "addressbook-home-set"}
	pAddressData      = xml.Name{Space: nsCard, Local: "address-data"}
	pSupportedData    = xml.Name{Space: nsCard, Local: "supported-address-data"}
	pMaxSize          = xml.Name{Space: nsCard, Local: "max-resource-size"}
	pDescription      = xml.Name{Space: nsCard, Local: "addressbook-description"}
	pPrincipalAddress = xml.Name{Space: nsCard, Local: "principal-address"}
)

// wanted is the properties a PROPFIND or REPORT asks for.
type wanted struct {
	all   bool // allprop
	names bool // propname
	props []element
}

func wantedOf(pl *propList, allProp, propName bool) wanted {
	if pl == nil {
		return wanted{all: !propName, names: propName}
	}
	return wanted{props: pl.Names, all: allProp}
}

// addressData is the address-data element asked for, if any.
func (w wanted) addressData() (element, bool) {
	for _, p := range w.props {
		if p.XMLName == pAddressData {
			return p, true
		}
	}
	return element{}, false
}

// needsContact reports whether answering needs each card's contact, not
// only its version and name.
func (w wanted) needsContact() bool {
	for _, p := range w.props {
		switch p.XMLName {
		case pAddressData, pLastModified, pContentLength:
			return true
		}
	}
	return false
}

// collection properties, by name, of each collection kind.
type propFunc func() string

func (h *Handler) collectionProps(q *request, k kind, syncSeq int64) map[xml.Name]propFunc {
	principal := func() string { return hrefXML(principalPath) }
	m := map[xml.Name]propFunc{
		pCurrentPrincipal: principal,
		pPrivileges:       func() string { return privileges(q.p, k == kindBook) },
		pOwner:            principal,
	}
	switch k {
	case kindRoot:
		m[pResourceType] = func() string { return "<d:collection/>" }
		m[pHomeSet] = func() string { return hrefXML(homePath) }
	case kindPrincipal:
		m[pResourceType] = func() string { return "<d:collection/><d:principal/>" }
		m[pPrincipalURL] = principal
		m[pHomeSet] = func() string { return hrefXML(homePath) }
		m[pDisplayName] = func() string { return "contactd" }
	case kindHome:
		m[pResourceType] = func() string { return "<d:collection/>" }
		m[pDisplayName] = func() string { return "Address books" }
	case kindBook:
		token := func() string { return escape(syncToken(q.p, syncSeq)) }
		m[pResourceType] = func() string { return "<d:collection/><card:addressbook/>" }
		m[pDisplayName] = func() string { return "Contacts" }
		m[pDescription] = func() string { return "The tenant's contacts, kept by contactd" }
		m[pSyncToken] = token
		m[pCTag] = token
		m[pReports] = func() string {
			var b strings.Builder
			for _, r := range []string{"<card:addressbook-multiget/>", "<card:addressbook-query/>", "<d:sync-collection/>"} {
				b.WriteString("<d:supported-report><d:report>" + r + "</d:report></d:supported-report>")
			}
			return b.String()
		}
		m[pSupportedData] = func() string {
			return `<card:address-data-type content-type="text/vcard" version="3.0"/><card:address-data-type content-type="text/vcard" version="4.0"/>`
		}
		m[pMaxSize] = func() string { return strconv.Itoa(contactd.MaxCardBytes) }
	}
	return m
}

// privileges is the current-user-privilege-set of a token: read, and
// writing cards with the write (and delete) scopes.
func privileges(p contactd.Principal, book bool) string {
	out := "<d:privilege><d:read/></d:privilege><d:privilege><d:read-current-user-privilege-set/></d:privilege>"
	if book && p.Has(contactd.ScopeWrite) {
		out += "<d:privilege><d:write-content/></d:privilege><d:privilege><d:bind/></d:privilege>"
		if p.Has(contactd.ScopeDelete) {
			out += "<d:privilege><d:unbind/></d:privilege><d:privilege><d:write/></d:privilege>"
		}
	}
	return out
}

// writeCollection writes the response of a collection.
func writeCollection(m *msWriter, href string, props map[xml.Name]propFunc, w wanted, allowed []xml.Name) {
	if w.names {
		var found []prop
		for n := range props {
			found = append(found, prop{name: n})
		}
		m.response(href, found, nil)
		return
	}
	var found []prop
	var missing []xml.Name
	if w.all {
		for _, n := range allowed {
			if f, ok := props[n]; ok {
				found = append(found, prop{n, f()})
			}
		}
	}
	for _, p := range w.props {
		if f, ok := props[p.XMLName]; ok {
			found = append(found, prop{p.XMLName, f()})
		} else {
			missing = append(missing, p.XMLName)
		}
	}
	m.response(href, found, missing)
}

// allPropCollection are the properties allprop returns of a collection.
var allPropCollection = []xml.Name{pResourceType, pDisplayName, pSyncToken, pCTag, pOwner}

// propfind answers PROPFIND.
func (h *Handler) propfind(q *request) error {
	var req propfindReq
	if err := decodeBody(q.r, &req); err != nil && !errors.Is(err, io.EOF) {
		return &davError{status: http.StatusBadRequest, message: "the PROPFIND body is not a propfind: " + err.Error()}
	}
	w := wantedOf(req.Prop, req.AllProp != nil, req.PropName != nil)
	depth := q.r.Header.Get("Depth")
	deep := depth != "0"
	ctx := q.r.Context()
	switch q.kind {
	case kindCard:
		c, k, err := h.card(q)
		if err != nil {
			return err
		}
		m := newMultistatus(q.w)
		h.writeCard(m, q, cardHref(q.name), c.Version, c, k, w)
		return m.close("")
	case kindBook:
		seq, err := h.svc.SyncHorizon(ctx, q.p)
		if err != nil {
			return err
		}
		m := newMultistatus(q.w)
		writeCollection(m, bookPath, h.collectionProps(q, kindBook, seq), w, allPropCollection)
		if deep {
			if err := h.eachEntry(q, w, func(e contactd.CardEntry, c *contactd.Contact, k *contactd.Card) {
				h.writeCard(m, q, cardHref(e.Name), e.Version, c, k, w)
			}); err != nil {
				m.err = errors.Join(m.err, err)
				h.log.Error("carddav listing", "err", err)
				return nil // the answer has begun: it is cut short
			}
		}
		return m.close("")
	}
	m := newMultistatus(q.w)
	writeCollection(m, q.r.URL.Path, h.collectionProps(q, q.kind, 0), w, allPropCollection)
	if deep {
		switch q.kind {
		case kindRoot:
			writeCollection(m, principalPath, h.collectionProps(q, kindPrincipal, 0), w, allPropCollection)
			writeCollection(m, homePath, h.collectionProps(q, kindHome, 0), w, allPropCollection)
		case kindHome:
			seq, err := h.svc.SyncHorizon(ctx, q.p)
			if err != nil {
				return err
			}
			writeCollection(m, bookPath, h.collectionProps(q, kindBook, seq), w, allPropCollection)
		}
	}
	return m.close("")
}

// entryPage is how many cards a listing reads at a time.
const entryPage = 1000

// eachEntry calls f for every live card of the tenant, in id order, a
// page at a time, with the contact and the client's card when w needs
// them (else nil).
func (h *Handler) eachEntry(q *request, w wanted, f func(e contactd.CardEntry, c *contactd.Contact, k *contactd.Card)) error {
	ctx := q.r.Context()
	after := ""
	for {
		es, err := h.svc.CardEntries(ctx, q.p, after, entryPage)
		if err != nil {
			return err
		}
		var cs []*contactd.Contact
		var cards map[string]*contactd.Card
		if w.needsContact() || w.all {
			ids := make([]string, len(es))
			for i, e := range es {
				ids[i] = e.ContactID
			}
			if cs, cards, err = h.svc.CardContacts(ctx, q.p, ids); err != nil {
				return err
			}
		}
		for i, e := range es {
			var c *contactd.Contact
			if cs != nil {
				if c = cs[i]; c == nil {
					continue // deleted since the page was read
				}
			}
			f(e, c, cards[e.ContactID])
		}
		if len(es) < entryPage {
			return nil
		}
		after = es[len(es)-1].ContactID
	}
}

// writeCard writes the response of a card: c and k are needed only for
// the properties that need the contact.
func (h *Handler) writeCard(m *msWriter, q *request, href string, version int64, c *contactd.Contact, k *contactd.Card, w wanted) {
	if w.names {
		m.response(href, []prop{{name: pResourceType}, {name: pGetETag}, {name: pContentType}, {name: pAddressData}, {name: pLastModified}}, nil)
		return
	}
	var found []prop
	var missing []xml.Name
	var data []byte
	cardData := func(el element) []byte {
		if data == nil && c != nil {
			var err error
			if data, err = render(c, k, negotiate(el.attr("version"), k), h.photos(q)); err != nil {
				h.log.Error("carddav render", "contact", c.ID, "err", err)
			}
		}
		return data
	}
	add := func(el element) {
		switch el.XMLName {
		case pGetETag:
			found = append(found, prop{pGetETag, escape(etagOf(version))})
		case pContentType:
			found = append(found, prop{pContentType, "text/vcard; charset=utf-8"})
		case pResourceType:
			found = append(found, prop{pResourceType, ""})
		case pLastModified:
			if c != nil {
				found = append(found, prop{pLastModified, c.UpdatedAt.UTC().Format(http.TimeFormat)})
				return
			}
			missing = append(missing, el.XMLName)
		case pContentLength:
			if d := cardData(element{}); d != nil {
				found = append(found, prop{pContentLength, strconv.Itoa(len(d))})
				return
			}
			missing = append(missing, el.XMLName)
		case pAddressData:
			if d := cardData(el); d != nil {
				found = append(found, prop{pAddressData, escape(string(d))})
				return
			}
			missing = append(missing, el.XMLName)
		case pCurrentPrincipal, pOwner:
			found = append(found, prop{el.XMLName, hrefXML(principalPath)})
		default:
			missing = append(missing, el.XMLName)
		}
	}
	if w.all {
		for _, n := range []xml.Name{pResourceType, pGetETag, pContentType, pLastModified} {
			add(element{XMLName: n})
		}
	}
	for _, p := range w.props {
		add(p)
	}
	m.response(href, found, missing)
}
