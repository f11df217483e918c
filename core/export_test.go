package core

// QueuedIn reports how many messages wait in s's inbound queues: tests
// wait for it instead of sleeping until the peers' messages arrived.
func QueuedIn(s *Socket) int {
	s.mu.Lock()
	pipes := append([]*pipe(nil), s.pipes...)
	s.mu.Unlock()
	n := 0
	for _, p := range pipes {
		n += p.in.size()
	}
	return n
}

// Peers reports how many pipes s has: connections past their handshake,
// and the connecting side's pipes that wait for one.
func Peers(s *Socket) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pipes)
}
