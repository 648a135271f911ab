package server

// monitoringRoutes are the routes of the monitoring capability.
func (s *Server) monitoringRoutes() []Route {
	return nil
}
