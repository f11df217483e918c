package pgm

import (
	"sort"

	"github.com/zmqkit/zmqkit/plugins/pgm/internal/proto"
)

// SenderStats are a publisher's protocol counters.
type SenderStats = proto.SenderStats

// ReceiverStats are a subscriber's protocol counters (the sources it
// follows, repairs, losses, and its message decoders').
type ReceiverStats = proto.ReceiverStats

// SessionStats describes one open pgm or epgm endpoint of a socket.
type SessionStats struct {
	Endpoint string // as given to Bind or Connect
	Local    string // resolved: scheme://INTERFACE-ADDRESS;GROUP:PORT
	Role     string // "sender" (PUB, XPUB) or "receiver" (SUB, XSUB)
	// TSI is a sender's transport session id (GSI.source-port).
	TSI string
	// Exactly one of Sender and Receiver is set.
	Sender   *SenderStats
	Receiver *ReceiverStats
	// BadPackets failed to parse (checksum, truncation, garbage);
	// SendErrors are packets the OS refused to send.
	BadPackets, SendErrors uint64
}

// Stats returns the counters of every pgm and epgm endpoint open in the
// process, ordered by endpoint.
func Stats() []SessionStats {
	sessionsMu.Lock()
	list := make([]*session, 0, len(sessions))
	for s := range sessions {
		list = append(list, s)
	}
	sessionsMu.Unlock()
	out := make([]SessionStats, 0, len(list))
	for _, s := range list {
		s.mu.Lock()
		st := SessionStats{Endpoint: s.endpoint, Local: s.local, Role: s.role.String(),
			BadPackets: s.bad, SendErrors: s.sendErrs}
		if s.snd != nil {
			ss := s.snd.Stats
			st.Sender = &ss
			st.TSI = s.snd.TSI().String()
		} else {
			rs := s.rcv.Stats()
			st.Receiver = &rs
		}
		s.mu.Unlock()
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Endpoint < out[j].Endpoint })
	return out
}
