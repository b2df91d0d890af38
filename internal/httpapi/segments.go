package httpapi

// segmentRoutes returns the routes of the segment endpoints.
func (s *Server) segmentRoutes() []route { return nil }
