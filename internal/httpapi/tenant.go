package httpapi

// tenantRoutes returns the routes of the tenant endpoints.
func (s *Server) tenantRoutes() []route { return nil }
