// Package proto is the PGM protocol engine (RFC 3208) of the pgm and epgm
// transports: a source (Sender) with its transmit window, rate limit, SPMs
// and repairs, and a receiver (Receiver) with peers, receive windows, NAK
// state machines and per-source ZeroMQ message reassembly.
//
// Both are plain state machines. They never read a clock or a socket:
// every call takes the current time, packets go out through a Net, and
// Tick returns when the machine next needs to run. The plugin drives them
// from real sockets; the tests drive them over a simulated network.
package proto

import (
	"net/netip"
	"time"
)

// Time is a monotonic instant in nanoseconds, from any fixed origin.
type Time int64

// Never is a deadline that does not come.
const Never Time = 1<<63 - 1

// Add returns t+d.
func (t Time) Add(d time.Duration) Time { return t + Time(d) }

// Net sends a session's packets: to the multicast group, or unicast to a
// host (at the session's port).
type Net interface {
	SendGroup(pkt []byte)
	SendTo(pkt []byte, to netip.Addr)
}

// Timers are the protocol intervals. DefaultTimers gives libzmq's
// (src/pgm_socket.cpp).
type Timers struct {
	AmbientSPM     time.Duration   // SPM period without data
	HeartbeatSPM   []time.Duration // SPMs after the last data, each interval after the previous
	PeerExpiry     time.Duration   // a silent source is forgotten after this
	SPMRExpiry     time.Duration   // wait for an SPM before asking for one (SPMR)
	NAKBackoff     time.Duration   // NAK_BO_IVL: random back-off before a NAK
	NAKRepeat      time.Duration   // NAK_RPT_IVL: wait for an NCF
	NAKRdata       time.Duration   // NAK_RDATA_IVL: wait for the repair after an NCF
	NAKDataRetries int             // NAK_DATA_RETRIES
	NAKNCFRetries  int             // NAK_NCF_RETRIES
}

// DefaultTimers returns the timers libzmq gives OpenPGM.
func DefaultTimers() Timers {
	ms := time.Millisecond
	return Timers{
		AmbientSPM:     30 * time.Second,
		HeartbeatSPM:   []time.Duration{100 * ms, 100 * ms, 100 * ms, 100 * ms, 1300 * ms, 7 * time.Second, 16 * time.Second, 25 * time.Second, 30 * time.Second},
		PeerExpiry:     300 * time.Second,
		SPMRExpiry:     25 * ms,
		NAKBackoff:     50 * ms,
		NAKRepeat:      200 * ms,
		NAKRdata:       200 * ms,
		NAKDataRetries: 50,
		NAKNCFRetries:  50,
	}
}

// WindowSqns is libzmq's window size in sequence numbers
// (pgm_socket_t::compute_sqns): what rate (kbit/s) fills in recovery
// (interval) with packets of maxTPDU octets, at least 1.
func WindowSqns(rateKbps int, recovery time.Duration, maxTPDU int) int {
	if maxTPDU <= 0 {
		return 1
	}
	bytesPerMs := uint64(max(rateKbps, 0)) / 8
	size := uint64(recovery/time.Millisecond) * bytesPerMs
	n := size / uint64(maxTPDU)
	if n == 0 {
		return 1
	}
	if n > 1<<30 {
		return 1 << 30 // below half the sequence space
	}
	return int(n)
}
