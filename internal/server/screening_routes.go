package server

// screeningRoutes are the routes of the screening capability.
func (s *Server) screeningRoutes() []Route {
	return nil
}
