package httpapi

import (
	"net/http"
	"slices"

	"github.com/contactd/contactd"
)

// route is one endpoint: how it is served and how it is documented. The
// router and the OpenAPI document are both built from the route table, so
// they cannot drift apart.
type route struct {
	Method  string
	Path    string
	ID      string // OpenAPI operationId
	Tag     string
	Summary string
	Doc     string
	// Scope is the scope the operation needs; "" for an unauthenticated route.
	Scope contactd.Scope
	// Params lists path, query and header parameters.
	Params []param
	// Body is a Go value whose type is the JSON request body; nil for none.
	Body any
	// OptionalBody allows an empty body.
	OptionalBody bool
	// BodyType is the request media type (default application/json).
	BodyType string
	// Upload marks a route whose body is a file the handler streams
	// itself (no JSON, no size limit but its own, no Idempotency-Key).
	Upload bool
	// UploadTypes are the media types of an upload's body (default CSV,
	// vCard, NDJSON and octet-stream: an import's files).
	UploadTypes []string
	// Long marks a route that runs past the request budget by design (a
	// stream, an upload, a long poll, a webhook sent while the client
	// waits), each bounded its own way.
	Long bool
	// Expensive marks a route whose cost grows with the data (a list, a
	// search, an export): a token may have only Config.TokenConcurrency of
	// them in flight.
	Expensive bool
	// BasicAuth accepts the token as the password of HTTP Basic
	// authentication too, for clients that cannot send a bearer token
	// (desk phones fetching their phonebook).
	BasicAuth bool
	// Responses lists the success responses; errors are added from Errors.
	Responses []response
	// Errors lists the error statuses beyond those every authenticated
	// route may answer (400, 401, 403, 413, 415, 500).
	Errors []int
	serve  func(*call) (*reply, error)
}

type param struct {
	In, Name, Doc string
	Type          string // string, integer, boolean
	Required      bool
	Enum          []string
}

type response struct {
	Status  int
	Doc     string
	Body    any    // Go value typed as the body; nil for none
	Raw     string // media type of a non-JSON body
	Headers []string
}

// Parameters and responses of many routes.
var (
	idemKey   = param{In: "header", Name: "Idempotency-Key", Doc: "A unique key: a retry with the same key and body within 24 h replays the first response; another body with the same key is a 409.", Type: "string"}
	noContent = []response{{Status: 204, Doc: "Done."}}
)

// routeTable is every route of the API, resource by resource.
func (s *Server) routeTable() []route {
	return slices.Concat(s.contactRoutes(), s.photoRoutes(), s.contactBatchRoutes(), s.changeRoutes(), s.metaRoutes(), s.tokenRoutes(), s.tenantRoutes(),
		s.accountRoutes(), s.tagRoutes(), s.segmentRoutes(), s.importRoutes(), s.webhookRoutes(), s.duplicateRoutes(), s.directoryRoutes(), s.userRoutes())
}

// metaRoutes are the routes about the service itself.
func (s *Server) metaRoutes() []route {
	return []route{
		{Method: "GET", Path: "/healthz", ID: "healthz", Tag: "Meta", Summary: "Liveness",
			Responses: []response{{Status: 200, Doc: "The process is serving.", Body: statusBody{}}}, serve: s.healthz},
		{Method: "GET", Path: "/readyz", ID: "readyz", Tag: "Meta", Summary: "Readiness",
			Doc:       "Ready when the database answers and its schema is current.",
			Responses: []response{{Status: 200, Doc: "Ready.", Body: statusBody{}}}, Errors: []int{503}, serve: s.readyz},
		{Method: "GET", Path: "/openapi.json", ID: "openapi", Tag: "Meta", Summary: "This OpenAPI document",
			Responses: []response{{Status: 200, Doc: "The OpenAPI 3.1 document.", Raw: "application/json"}}, serve: s.openapi},
		{Method: "GET", Path: "/docs", ID: "docs", Tag: "Meta", Summary: "API reference", Doc: "A readable reference rendered from the OpenAPI document.",
			Responses: []response{{Status: 200, Doc: "An HTML page.", Raw: "text/html"}}, serve: s.docs},
	}
}

func title(s string) string { return string(s[0]-'a'+'A') + s[1:] }

func article(s string) string {
	if s[0] == 'a' || s[0] == 'e' {
		return "an"
	}
	return "a"
}

type statusBody struct {
	Status string `json:"status"`
	Detail string `json:"detail,omitempty"`
}

func (s *Server) healthz(*call) (*reply, error) {
	return &reply{status: http.StatusOK, body: statusBody{Status: "ok"}}, nil
}

func (s *Server) readyz(c *call) (*reply, error) {
	if err := s.svc.Ready(c.r.Context()); err != nil {
		s.log.Warn("not ready", "err", err)
		return nil, errStatus(http.StatusServiceUnavailable, "not_ready", "the database is unreachable or its schema is not current")
	}
	return &reply{status: http.StatusOK, body: statusBody{Status: "ready"}}, nil
}

func (s *Server) openapi(*call) (*reply, error) {
	return &reply{status: http.StatusOK, raw: s.doc, contentType: "application/json"}, nil
}
