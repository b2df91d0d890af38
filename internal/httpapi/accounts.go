package httpapi

// accountRoutes returns the routes of the account endpoints.
func (s *Server) accountRoutes() []route { return nil }
