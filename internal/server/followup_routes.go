package server

// followupRoutes are the routes of the followup capability.
func (s *Server) followupRoutes() []Route {
	return nil
}
