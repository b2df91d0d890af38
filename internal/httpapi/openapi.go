package httpapi

import (
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/contactd/contactd"
)

// obj is a JSON object of the OpenAPI document.
type obj = map[string]any

// schemaGen turns Go types into JSON Schemas under components/schemas.
type schemaGen struct {
	schemas obj
}

var (
	timeType = reflect.TypeOf(time.Time{})
	// entryTime is the creation time of a contact's entry.
	entryTime = reflect.TypeOf(contactd.Time{})
	rawType   = reflect.TypeOf(json.RawMessage{})
)

// enums documents the closed value sets of string fields, by Go type and
// JSON field name.
var enums = map[string][]string{
	"Contact.kind":        contactd.Kinds,
	"Contact.contactType": contactd.ContactTypes,
	"Contact.source":      contactd.Sources,
	"Phone.type":          contactd.PhoneTypes,
	"Email.type":          contactd.EmailTypes,
	"Address.type":        contactd.AddressTypes,
	"Handle.type":         contactd.HandleTypes,
	"Link.type":           contactd.LinkTypes,
	"User.role":           contactd.Roles,
	"userWrite.role":      contactd.Roles,
	"Phone.source":        contactd.PhoneSources,
	"Extension.type":      contactd.ExtensionTypes,
	"Subscription.type":   contactd.SubscriptionTypes,
	"Change.type":         contactd.ChangeTypes,
	"BatchOperation.op":   contactd.BatchOps,
	"BatchResult.status":  contactd.BatchStatuses,
}

// readOnly lists fields the server sets; clients may send them back unchanged.
var readOnly = map[string]bool{
	"Contact.id": true, "Contact.version": true, "Contact.source": true, "Contact.createdAt": true,
	"Contact.createdBy": true, "Contact.updatedAt": true, "Contact.updatedBy": true, "Contact.deletedAt": true,
	"Contact.deletedBy": true, "Contact.blockedAt": true, "Contact.blockedBy": true, "Contact.blockReason": true,
	"Contact.mergedInto": true,
	"Phone.id":           true, "Phone.e164": true, "Email.id": true, "Address.id": true, "Handle.id": true,
	"Phone.region": true, "Phone.createdAt": true, "Email.createdAt": true, "Address.createdAt": true,
	"Link.id": true, "Link.createdAt": true, "Extension.id": true, "Extension.createdAt": true,
}

// limits documents string lengths, by Go type and JSON field name.
var limits = map[string]int{
	"Contact.firstName": 128, "Contact.middleName": 128, "Contact.lastName": 128, "Contact.nickName": 128,
	"Contact.suffix": 32, "Contact.displayName": 255, "Contact.company": 255, "Contact.department": 128,
	"Contact.jobTitle": 128, "Contact.ownerId": 128, "Contact.externalId": 255, "Contact.status": 32,
	"Contact.accountId": 64, "Contact.notes": contactd.MaxNotesLen, "Phone.number": 40, "Email.address": 254, "Handle.value": 255,
	"Address.street": 255, "Address.streetNumber": 255, "Address.apartment": 255, "Address.city": 255,
	"Address.county": 255, "Address.state": 255, "Address.postalCode": 16, "Address.country": 255,
	"Address.notes":   255,
	"Link.externalId": 255, "Link.title": 255, "Link.url": contactd.MaxLinkURLLen, "Contact.location": contactd.MaxLocationLen,
	"Extension.extension": contactd.MaxExtensionLen, "Extension.fqExtension": contactd.MaxFQExtensionLen,
	"Subscription.id": contactd.MaxSiteIDLen, "Subscription.name": contactd.MaxSiteNameLen, "Subscription.userId": contactd.MaxSiteIDLen,
}

// docs describes fields whose meaning is not obvious from the name.
var docs = map[string]string{
	"Contact.version":                "Increments on every change; the ETag.",
	"Contact.kind":                   "person (the default) or organization: what the contact is.",
	"Contact.contactType":            "Whose directory the contact belongs to: company (the default: the tenant's own address book, whoever is in it), corporate (one of the company's own users, such as an employee with an extension) or service (a service number such as a ring group, queue or auto attendant). corporate and service contacts are managed by the phone system: only a token with contacts:admin may create, change or delete them.",
	"Contact.displayName":            "Derived when not given: names, then company, then primary email, then primary phone.",
	"Contact.birthday":               "YYYY-MM-DD, or --MM-DD without a year.",
	"Contact.anniversary":            "YYYY-MM-DD, or --MM-DD without a year (vCard ANNIVERSARY).",
	"Contact.photo":                  "The contact's photo, when it has one: set it with PUT /v1/contacts/{id}/photo, read it at url. Read-only here.",
	"Photo.url":                      "Where the image is read: GET /v1/contacts/{id}/photo.",
	"Photo.contentType":              "image/jpeg, image/png or image/webp, read from the image's bytes.",
	"Photo.size":                     "The image's size in bytes (at most 1 MiB).",
	"Photo.etag":                     "The image's ETag: it changes when the image does.",
	"Contact.mergedInto":             "On a contact merged into another (deleted by the merge): the survivor's id. GET of the merged id answers with the survivor.",
	"Contact.locale":                 "A BCP 47 language tag; en_US is accepted and stored as en-US.",
	"Contact.timezone":               "An IANA time zone name such as America/New_York.",
	"Contact.profileColor":           "#RRGGBB.",
	"Contact.notes":                  "Free text (vCard NOTE, the Notes of Google and Outlook); q finds its words, ranked below every other field.",
	"Contact.tags":                   "At most 32 tags of 1 to 64 characters.",
	"Contact.externalId":             "The contact's id in an external CRM; unique among the tenant's live contacts.",
	"Contact.properties":             "Custom fields: a JSON object of at most 16 KiB, nested at most 5 levels.",
	"Contact.metadata":               "Integration data not shown in user interfaces: a JSON object of at most 16 KiB.",
	"Contact.unknown":                "Set for a contact auto-created for an unidentified caller.",
	"Contact.phones":                 "At most 20; one is primary (the first when none is marked).",
	"Contact.emails":                 "At most 20, unique among the tenant's live contacts; one is primary.",
	"Contact.addresses":              "At most 10; one is primary.",
	"Contact.handles":                "Messaging and social handles; at most 20.",
	"Phone.number":                   "As entered; parsed with a leading + or the tenant's default region.",
	"Phone.e164":                     "The number in E.164 form, derived from number.",
	"Phone.extension":                "Digits of the extension, taken from the number when written there.",
	"Email.address":                  "Stored in lower case.",
	"Email.verified":                 "Whether the address is known to reach the contact.",
	"Phone.region":                   "The ISO 3166 alpha-2 region the number belongs to, derived from it (absent for non-geographic numbers).",
	"Phone.source":                   "external for a number a synced system owns.",
	"Phone.createdAt":                "When the entry was added (absent on entries older than this field).",
	"Email.createdAt":                "When the entry was added (absent on entries older than this field).",
	"Address.createdAt":              "When the entry was added (absent on entries older than this field).",
	"Extension.createdAt":            "When the extension was added.",
	"Link.createdAt":                 "When the link was added.",
	"Contact.links":                  "References to work items in other systems (tickets, tasks, deals, conversations); at most 50, one per type and externalId. Filter with links.type and links.externalId.",
	"Link.externalId":                "The work item's id in its system.",
	"Link.url":                       "An absolute http or https URL of the work item.",
	"Contact.extensions":             "The contact's extensions on the phone system (corporate and service contacts; contacts:admin writes them). An extension is unique per tenant and PBX, a fqExtension per tenant, among live contacts.",
	"Contact.site":                   "The site (branch) the contact belongs to. contacts:admin writes it.",
	"Contact.pbx":                    "The PBX the contact lives on; the PBX of its extensions that name none. contacts:admin writes it.",
	"Contact.location":               "The contact's physical or office location, such as New York Office.",
	"Contact.subscription":           "The service a service contact is linked to (ring group, call queue, auto attendant…). contacts:admin writes it.",
	"Contact.displayWhenNoExtension": "A corporate contact without extensions is listed in the directory only when this is set. contacts:admin writes it.",
	"Contact.hideInAutoAttendant":    "Keeps the contact out of the auto attendant's dial-by-name whatever its extensions say. contacts:admin writes it.",
	"Extension.extension":            "Digits dialled inside the PBX.",
	"Extension.fqExtension":          "The fully qualified extension (a site prefix and the extension); lookup?phone= finds it.",
	"Extension.type":                 "uc (unified communications) or cc (contact centre).",
	"Extension.pbx":                  "The extension's PBX, when not the contact's.",
	"Extension.displayInDirectory":   "Lists the contact in desk phones' directories (GET /v1/directory).",
	"Extension.hideInAutoAttendant":  "Keeps this extension out of the auto attendant's dial-by-name.",
	"DirectoryRef.id":                "The id in the phone system: letters, digits, -._~ (a site's up to 64, a PBX's up to 32).",
	"Change.seq":                     "Orders the tenant's changes totally.",
	"Change.fields":                  "The changed top-level fields with their old and new values. The survivor's change of a merge also has mergedFrom: new {mergeId, sourceIds, provenance} (old, for an unmerge).",
}

// anyValue lists raw JSON fields that hold any JSON value, not an object.
var anyValue = map[string]bool{"FieldChange.old": true, "FieldChange.new": true}

var tagRE = regexp.MustCompile(`^[A-Za-z]`)

// ref returns a schema for t, registering named struct types as components.
func (g *schemaGen) ref(t reflect.Type) obj {
	switch {
	case t == timeType || t == entryTime:
		return obj{"type": "string", "format": "date-time"}
	case t == rawType:
		return obj{"type": "object"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.ref(t.Elem())
	case reflect.String:
		return obj{"type": "string"}
	case reflect.Bool:
		return obj{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return obj{"type": "integer"}
	case reflect.Slice:
		return obj{"type": "array", "items": g.ref(t.Elem())}
	case reflect.Map:
		return obj{"type": "object", "additionalProperties": g.ref(t.Elem())}
	case reflect.Struct:
		name := schemaName(t)
		if _, ok := g.schemas[name]; !ok {
			g.schemas[name] = obj{} // placeholder against recursion
			g.schemas[name] = g.structSchema(t)
		}
		return obj{"$ref": "#/components/schemas/" + name}
	}
	return obj{}
}

// schemaName names the schema of a struct type: its name, and for a
// generic type its argument's name before it (Page[*Contact] is
// ContactPage).
func schemaName(t reflect.Type) string {
	n := t.Name()
	if base, arg, ok := strings.Cut(n, "["); ok {
		arg = strings.TrimSuffix(arg, "]")
		n = strings.TrimPrefix(arg[strings.LastIndex(arg, ".")+1:], "*") + base
	}
	return strings.ToUpper(n[:1]) + n[1:]
}

func (g *schemaGen) structSchema(t reflect.Type) obj {
	props := obj{}
	var required []string
	var embedded []any
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Anonymous && f.Tag.Get("json") == "" {
			embedded = append(embedded, g.ref(f.Type))
			continue
		}
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if !f.IsExported() || name == "-" || !tagRE.MatchString(name) {
			continue
		}
		key := schemaName(t) + "." + name
		s := g.ref(f.Type)
		if anyValue[key] {
			// Any JSON value, null included: the empty schema, which
			// generators map to their "any" (a list of seven types they
			// cannot).
			s = obj{}
		}
		if _, isRef := s["$ref"]; isRef && (docs[key] != "" || readOnly[key]) {
			s = obj{"allOf": []any{s}}
		}
		if e, ok := enums[key]; ok {
			s["enum"] = e
		}
		if n, ok := limits[key]; ok {
			s["maxLength"] = n
		}
		if d := docs[key]; d != "" {
			s["description"] = d
		} else if d := f.Tag.Get("doc"); d != "" {
			s["description"] = d
		}
		if readOnly[key] {
			s["readOnly"] = true
		}
		if f.Type.Kind() == reflect.Pointer && !strings.Contains(opts, "omitempty") {
			s = obj{"anyOf": []any{s, obj{"type": "null"}}}
		}
		props[name] = s
		if !strings.Contains(opts, "omitempty") {
			required = append(required, name)
		}
	}
	out := obj{"type": "object", "properties": props}
	if len(required) > 0 {
		out["required"] = required
	}
	if len(embedded) > 0 {
		out = obj{"allOf": append(embedded, out)}
	}
	return out
}

// writeSchema is the schema of a request body that writes an object of
// type t, named after it (ContactWrite, or ContactPatch for a merge patch):
// t's fields, entry lists in their request form, plus extra fields, and no
// others. Read-only fields may be sent back unchanged; required lists what
// a create must give.
func (g *schemaGen) writeSchema(t reflect.Type, patch bool, extra obj, required []string) obj {
	g.ref(t)
	base := schemaName(t)
	name, what := base+"Write", "A "+strings.ToLower(base)+" as a client writes it. Unknown fields are a 400. Read-only fields are ignored when unchanged."
	if patch {
		name = base + "Patch"
		what = "A JSON merge patch (RFC 7386) of a " + strings.ToLower(base) + ": absent fields are unchanged, null clears a field, arrays are replaced whole."
	}
	if _, ok := g.schemas[name]; !ok {
		props := obj{}
		for k, v := range g.schemas[base].(obj)["properties"].(obj) {
			if et, ok := entryTypes[k]; ok {
				a := obj{}
				for ak, av := range v.(obj) {
					a[ak] = av
				}
				a["items"] = g.entrySchema(et, false)
				v = a
			}
			props[k] = v
		}
		for k, v := range extra {
			props[k] = v
		}
		if patch {
			props = nullable(props)
		}
		s := obj{"type": "object", "properties": props, "additionalProperties": false, "description": what}
		if !patch && len(required) > 0 {
			s["required"] = required
		}
		g.schemas[name] = s
	}
	return obj{"$ref": "#/components/schemas/" + name}
}

// contactConveniences are the fields a contact is written with beyond its
// own.
var contactConveniences = obj{
	"name":  obj{"type": "string", "maxLength": 255, "description": "Convenience: sets displayName and, when firstName and lastName are absent, both of them."},
	"email": obj{"type": "string", "description": "Convenience: makes this address the primary email, adding it when new."},
	"phone": obj{"type": "string", "description": "Convenience: makes this number the primary phone, adding it when new."},
}

// entryTypes are the types of a contact's entry lists, by JSON field.
var entryTypes = map[string]reflect.Type{
	"phones": reflect.TypeOf(contactd.Phone{}), "emails": reflect.TypeOf(contactd.Email{}),
	"addresses": reflect.TypeOf(contactd.Address{}), "handles": reflect.TypeOf(contactd.Handle{}),
	"links": reflect.TypeOf(contactd.Link{}), "extensions": reflect.TypeOf(contactd.Extension{}),
}

// entryRequired lists what a client must give in a new entry.
var entryRequired = map[string][]string{"Phone": {"number"}, "Email": {"address"}, "Handle": {"type", "value"},
	"Link": {"externalId"}, "Extension": {"extension"}}

// entrySchema returns the request form of an entry type (PhoneWrite, or
// PhonePatch for a merge patch): its fields (read-only ones may be sent
// back unchanged), no others, and only what the server needs required.
func (g *schemaGen) entrySchema(t reflect.Type, patch bool) obj {
	g.ref(t)
	base := schemaName(t)
	name := base + "Write"
	if patch {
		name = base + "Patch"
	}
	if _, ok := g.schemas[name]; !ok {
		props := g.schemas[base].(obj)["properties"].(obj)
		s := obj{"type": "object", "properties": props, "additionalProperties": false}
		if patch {
			s["properties"] = nullable(props)
			s["description"] = "A JSON merge patch (RFC 7386) of one entry: absent fields are unchanged, null clears a field."
		} else if req := entryRequired[base]; req != nil {
			s["required"] = req
		}
		g.schemas[name] = s
	}
	return obj{"$ref": "#/components/schemas/" + name}
}

// nullable returns properties that also accept null, as in a merge patch.
func nullable(props obj) obj {
	out := obj{}
	for k, v := range props {
		n := obj{"anyOf": []any{v, obj{"type": "null"}}}
		if d, ok := v.(obj)["description"]; ok {
			n["description"] = d
		}
		out[k] = n
	}
	return out
}

func (g *schemaGen) bodySchema(v any, patch bool) obj {
	for _, t := range entryTypes {
		if t == reflect.TypeOf(v) {
			return g.entrySchema(t, patch)
		}
	}
	switch v.(type) {
	case contactWrite:
		return g.writeSchema(reflect.TypeOf(contactd.Contact{}), false, contactConveniences, nil)
	case mergePatch:
		return g.writeSchema(reflect.TypeOf(contactd.Contact{}), true, contactConveniences, nil)
	case accountWrite:
		return g.writeSchema(reflect.TypeOf(contactd.Account{}), false, nil, []string{"name"})
	case accountPatch:
		return g.writeSchema(reflect.TypeOf(contactd.Account{}), true, nil, nil)
	}
	return g.ref(reflect.TypeOf(v))
}

var errorDocs = map[int]string{
	400: "Invalid input; errors names each field.",
	401: "No valid token.",
	403: "The token lacks the scope this operation needs.",
	404: "No such object in this tenant.",
	409: "A uniqueness conflict (conflictingId and conflictingField name it) or a reused Idempotency-Key.",
	412: "If-Match did not match the current ETag.",
	424: "Not applied: another operation of an atomic batch failed.",
	410: "The changes after the cursor are no longer kept (type …/problems/cursor-expired): read the contacts again, then follow the feed from the start.",
	413: "The body is larger than the limit.",
	415: "The body is not JSON.",
	429: "Too many requests: the token is over its rate (RateLimit and RateLimit-Policy say where it stands), has too many lists, searches or exports in flight, or the address sent too many requests without a valid token. Retry-After says when to try again.",
	500: "An internal error, logged with the request id.",
	503: "Not ready, or the request took longer than its time budget (type …/problems/timeout) and was stopped.",
}

// buildOpenAPI builds the OpenAPI 3.1 document of a route table.
func buildOpenAPI(routes []route, version string) obj {
	g := &schemaGen{schemas: obj{}}
	problem := g.ref(reflect.TypeOf(Problem{}))
	paths := obj{}
	tags := map[string]bool{}
	for _, rt := range routes {
		op := obj{"operationId": rt.ID, "summary": rt.Summary, "tags": []string{rt.Tag}}
		tags[rt.Tag] = true
		if rt.Doc != "" {
			op["description"] = rt.Doc
		}
		if rt.Scope == "" {
			op["security"] = []any{}
		} else {
			op["security"] = []any{obj{"bearer": []string{string(rt.Scope)}}}
			if rt.BasicAuth {
				op["security"] = []any{obj{"bearer": []string{string(rt.Scope)}}, obj{"basic": []string{}}}
			}
			op["description"] = strings.TrimSpace(rt.Doc + "\n\nNeeds the `" + string(rt.Scope) + "` scope.")
		}
		var params []any
		for _, p := range rt.Params {
			ps := obj{"type": p.Type}
			if p.Enum != nil {
				ps["enum"] = p.Enum
			}
			if p.Type == "integer" {
				ps["minimum"], ps["maximum"] = 1, contactd.MaxLimit
			}
			params = append(params, obj{"name": p.Name, "in": p.In, "required": p.Required, "description": p.Doc, "schema": ps})
		}
		conditional := rt.Method == "GET" && rt.Scope != "" && !rt.Long
		if conditional {
			params = append(params, obj{"name": "If-None-Match", "in": "header", "required": false, "schema": obj{"type": "string"},
				"description": "An ETag from an earlier answer: when it is still current, the answer is 304 with no body."})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.Upload {
			file := obj{"schema": obj{"type": "string", "format": "binary"}}
			types := rt.UploadTypes
			if types == nil {
				types = []string{"text/csv", "text/vcard", "application/x-ndjson", "application/octet-stream"}
			}
			content := obj{}
			for _, t := range types {
				content[t] = file
			}
			op["requestBody"] = obj{"required": true, "content": content}
		}
		if rt.Body != nil {
			mt := rt.BodyType
			if mt == "" {
				mt = "application/json"
			}
			content := obj{mt: obj{"schema": g.bodySchema(rt.Body, mt == "application/merge-patch+json")}}
			if mt != "application/json" {
				content["application/json"] = content[mt]
			}
			op["requestBody"] = obj{"required": !rt.OptionalBody, "content": content}
		}
		resps := obj{}
		for _, r := range rt.Responses {
			ro := obj{"description": r.Doc}
			switch {
			case r.Body != nil:
				ro["content"] = obj{"application/json": obj{"schema": g.ref(reflect.TypeOf(r.Body))}}
			case r.Raw == "application/json":
				ro["content"] = obj{r.Raw: obj{"schema": obj{"type": "object"}}}
			case r.Raw != "":
				ro["content"] = obj{r.Raw: obj{"schema": obj{"type": "string"}}}
			}
			if len(r.Headers) > 0 {
				hs := obj{}
				for _, h := range r.Headers {
					hs[h] = obj{"schema": obj{"type": "string"}, "description": headerDocs[h]}
				}
				ro["headers"] = hs
			}
			resps[strconv.Itoa(r.Status)] = ro
		}
		if conditional {
			resps["304"] = obj{"description": "Not modified: If-None-Match names the current ETag."}
		}
		errs := append([]int{}, rt.Errors...)
		if rt.Scope != "" && !rt.Long && !slices.Contains(errs, 503) {
			errs = append(errs, 503)
		}
		if rt.Scope != "" {
			errs = append(errs, 400, 401, 403, 429, 500)
			if rt.Body != nil {
				errs = append(errs, 413, 415)
			}
			if rt.Upload {
				errs = append(errs, 413)
			}
		}
		sort.Ints(errs)
		for _, code := range errs {
			resps[strconv.Itoa(code)] = obj{"description": errorDocs[code],
				"content": obj{"application/problem+json": obj{"schema": problem}}}
		}
		if len(errs) == 0 && rt.Scope == "" {
			resps["default"] = obj{"description": "An unexpected error.", "content": obj{"application/problem+json": obj{"schema": problem}}}
		}
		op["responses"] = resps
		item, _ := paths[rt.Path].(obj)
		if item == nil {
			item = obj{}
			paths[rt.Path] = item
		}
		item[strings.ToLower(rt.Method)] = op
	}
	var tagList []any
	var names []string
	for t := range tags {
		names = append(names, t)
	}
	sort.Strings(names)
	for _, t := range names {
		tagList = append(tagList, obj{"name": t, "description": tagDocs[t]})
	}
	hookHeader := func(name, doc string) obj {
		return obj{"name": name, "in": "header", "required": true, "description": doc, "schema": obj{"type": "string"}}
	}
	webhooks := obj{"contactChange": obj{"post": obj{
		"operationId": "contactChange",
		"summary":     "A contact change, delivered",
		"description": "What contactd POSTs to a subscription's URL for each change of the events it lists, in order, at least once " +
			"(a test ping has type webhook.ping; webhook.gap, with data.fromChangeId and data.toChangeId, names changes retention removed while the subscription was disabled). Verify webhook-signature before trusting the body: HMAC-SHA256, keyed with the base64 after whsec_, " +
			"over webhook-id.webhook-timestamp.body, as the Standard Webhooks libraries do.",
		"tags": []string{"Webhooks"},
		"parameters": []any{
			hookHeader("webhook-id", "The message id: the same on every attempt, so a repeat can be ignored."),
			hookHeader("webhook-timestamp", "When the attempt was signed, in Unix seconds."),
			hookHeader("webhook-signature", "v1,<base64 signature>, one per secret, separated by spaces (two during a rotation)."),
		},
		"requestBody": obj{"required": true, "content": obj{"application/json": obj{"schema": g.ref(reflect.TypeOf(contactd.WebhookPayload{}))}}},
		"responses": obj{
			"200": obj{"description": "Taken: any 2xx status, within 10 s. Anything else, or no answer, is retried."},
		},
		"security": []any{},
	}}}
	return obj{
		"openapi":  "3.1.0",
		"webhooks": webhooks,
		"info": obj{
			"title":   "contactd",
			"version": version,
			"description": "A self-hosted, multi-tenant contacts service for communications products. " +
				"Authenticate every request with a token in the Authorization header: `Authorization: Bearer cdt_…`. " +
				"The first start prints one with every scope; `contactd token create` and `POST /v1/tokens` make more, each with the scopes it needs " +
				"(`contacts:read`, `contacts:write`, `contacts:delete`, `contacts:admin`), and every operation below names the scope it needs. " +
				"Errors are RFC 9457 problem details.",
			"license": obj{"name": "Apache-2.0", "identifier": "Apache-2.0"},
		},
		"servers":  []any{obj{"url": "http://127.0.0.1:8080", "description": "A local contactd"}},
		"security": []any{obj{"bearer": []string{}}},
		"tags":     tagList,
		"paths":    paths,
		"components": obj{"schemas": g.schemas, "securitySchemes": obj{
			"bearer": obj{"type": "http", "scheme": "bearer", "description": "A contactd token (cdt_…)."},
			"basic":  obj{"type": "http", "scheme": "basic", "description": "For clients that cannot send a bearer token (desk phones): any user name, a contactd token as the password. Only the operations that list it accept it."},
		}},
	}
}

var headerDocs = map[string]string{
	"ETag":     "The contact's version as an entity tag, for If-Match.",
	"Location": "The URL of the new contact.",
}

var tagDocs = map[string]string{
	"Accounts":        "The organizations contacts belong to (accountId), and the contacts of each.",
	"Contacts":        "Create, read, change and delete contacts, by id, email or external id.",
	"Contact entries": "Edit one phone, email or address of a contact.",
	"Duplicates":      "Find contacts that may be one, merge them with a preview, and undo a merge.",
	"Users":           "The people of the tenant who sign in to the web address book, with their roles.",
	"Directory":       "The phone system's directory: what desk phones and the auto attendant list, as JSON and as a desk phones' remote phonebook.",
	"Changes":         "The per-tenant change log: a contact's history and the tenant's change feed.",
	"Meta":            "Health, readiness and this documentation; no token needed.",
	"Tokens":          "The tenant's API tokens (contacts:admin).",
	"Tags":            "The tag registry: names unique without regard to case; renaming or deleting a tag changes every contact carrying it.",
	"Segments":        "Static segments (members added and removed in bulk) and dynamic segments (a contact filter evaluated when read).",
	"Tenant":          "The tenant's settings.",
	"Webhooks":        "Signed deliveries of the tenant's contact changes to other systems, in order, at least once, with retries and a delivery log (contacts:admin).",
	"Imports":         "Bring contacts in from a CSV, vCard or NDJSON file: a background job with its progress, counts and a report of every row it could not take (contacts:admin).",
}
