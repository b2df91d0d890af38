// Package contactd is a multi-tenant contacts service for communications
// products: an address book per tenant that answers "who is calling?" from a
// phone number, with create/edit/search, an audit trail and a change feed.
//
// The root package holds the domain types, the domain error, the Store
// contract that storage backends implement, and the Service that holds every
// business rule. Transports (REST, CardDAV, CLI) call the Service; stores only
// persist, query and translate their errors.
package contactd
