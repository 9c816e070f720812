package handlers

// HoldIngestSlots takes every place the ingestion gate has, as requests
// stuck on a full database would, and returns their release.
func (s *Server) HoldIngestSlots() (release func()) {
	s.gateOnce.Do(func() { s.gate = make(chan struct{}, max(1, s.IngestConcurrency)) })
	n := cap(s.gate)
	for i := 0; i < n; i++ {
		s.gate <- struct{}{}
	}
	return func() {
		for i := 0; i < n; i++ {
			<-s.gate
		}
	}
}
