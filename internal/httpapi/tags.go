package httpapi

// tagRoutes returns the routes of the tag endpoints.
func (s *Server) tagRoutes() []route { return nil }
