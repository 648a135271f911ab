package server

// callbackRoutes are the routes of the callback capability.
func (s *Server) callbackRoutes() []Route {
	return nil
}
