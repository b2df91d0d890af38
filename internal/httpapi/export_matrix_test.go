package httpapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// RouteInfo is what the route-table-driven tests need to know of a route.
type RouteInfo struct {
	Method, Path, ID string
	// Scope is the scope the route needs; "" for an unauthenticated route.
	Scope string
	// HasBody reports that the route takes a request body.
	HasBody bool
	// Query lists the names of the route's query parameters.
	Query []string
	// BasicAuth reports that the route takes the token by HTTP Basic too.
	BasicAuth bool
}

// RouteList returns the route table.
func (s *Server) RouteList() []RouteInfo {
	var out []RouteInfo
	for _, rt := range s.routes {
		ri := RouteInfo{Method: rt.Method, Path: rt.Path, ID: rt.ID, Scope: string(rt.Scope), HasBody: rt.Body != nil, BasicAuth: rt.BasicAuth}
		for _, p := range rt.Params {
			if p.In == "query" {
				ri.Query = append(ri.Query, p.Name)
			}
		}
		out = append(out, ri)
	}
	return out
}

// WalkRouter calls fn for every method and pattern registered in the chi
// router that serves requests.
func (s *Server) WalkRouter(fn func(method, pattern string)) error {
	return chi.Walk(s.router, func(method, pattern string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		fn(method, pattern)
		return nil
	})
}
