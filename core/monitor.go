package core

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/registry/transport"
)

// Event is a socket monitor event, or a set of them: the ZMQ_EVENT_* bits
// of libzmq, with libzmq's numbers. A set selects the events a monitor
// publishes, e.g. EventConnected|EventDisconnected, or EventAll.
type Event uint64

// Monitor events, numbered as libzmq's ZMQ_EVENT_*.
const (
	// EventConnected: an outgoing connection is established (before the
	// ZMTP handshake). Value: the connection's file descriptor.
	EventConnected Event = 0x0001
	// EventConnectDelayed: an asynchronous connect is in progress. Value:
	// the connect's errno (EINPROGRESS).
	EventConnectDelayed Event = 0x0002
	// EventConnectRetried: a reconnect is scheduled. Value: the interval,
	// in milliseconds, that will be waited. When the connect attempt
	// failed, Err (and Errno, where there is one) says why, e.g. the
	// resolver's error for a host that does not resolve.
	EventConnectRetried Event = 0x0004
	// EventListening: a bind succeeded. Value: the listening descriptor.
	EventListening Event = 0x0008
	// EventBindFailed: a bind failed. Value: errno.
	EventBindFailed Event = 0x0010
	// EventAccepted: an incoming connection was accepted. Value: its
	// descriptor.
	EventAccepted Event = 0x0020
	// EventAcceptFailed: accepting failed. Value: errno.
	EventAcceptFailed Event = 0x0040
	// EventClosed: a listener was closed, or a connect attempt's socket
	// was closed after a failure. Value: the descriptor.
	EventClosed Event = 0x0080
	// EventCloseFailed: removing an ipc socket file failed. Value: errno.
	EventCloseFailed Event = 0x0100
	// EventDisconnected: a connection broke (peer closed, I/O, protocol,
	// heartbeat or handshake timeout error) — never on a local close.
	// Value: the descriptor.
	EventDisconnected Event = 0x0200
	// EventMonitorStopped: the monitor ends; the last event. Value: 0.
	EventMonitorStopped Event = 0x0400
	// EventHandshakeFailedNoDetail: the handshake failed on an I/O error
	// or timeout (or no ZAP handler: EFAULT). Value: errno.
	EventHandshakeFailedNoDetail Event = 0x0800
	// EventHandshakeSucceeded: the ZMTP security handshake (and ZAP) is
	// done. Value: 0.
	EventHandshakeSucceeded Event = 0x1000
	// EventHandshakeFailedProtocol: the peer broke the handshake
	// protocol. Value: a ProtocolError* code.
	EventHandshakeFailedProtocol Event = 0x2000
	// EventHandshakeFailedAuth: authentication was refused. Value: the ZAP
	// status code (300, 400 or 500).
	EventHandshakeFailedAuth Event = 0x4000
	// EventPipesStats (version 2 only): the answer to MonitorPipesStats,
	// one event per pipe. Values: messages queued outbound, inbound.
	EventPipesStats Event = 0x10000

	// EventDataLost (zmqkit extension, version 2 monitors and the Go API
	// only, never part of EventAll*): a pgm or epgm subscriber lost data
	// for good — it left the publisher's window (ZMQ_RECOVERY_IVL) before
	// it could be repaired. The messages of that source resume at its
	// next message start. Value: the number of packets lost; Remote: the
	// source ("pgm-tsi://" and its transport session id).
	EventDataLost Event = 0x0100_0000

	// EventAll is every version 1 event (ZMQ_EVENT_ALL).
	EventAll Event = 0xFFFF
	// EventAllV1 is EventAll (ZMQ_EVENT_ALL_V1).
	EventAllV1 Event = EventAll
	// EventAllV2 is every event, PIPES_STATS included (ZMQ_EVENT_ALL_V2).
	EventAllV2 Event = EventAllV1 | EventPipesStats
)

// ZMQ_PROTOCOL_ERROR_* codes: the value of EventHandshakeFailedProtocol.
const (
	ProtocolErrorZMTPUnspecified                 = mechanism.ErrZMTPUnspecified
	ProtocolErrorZMTPUnexpectedCommand           = mechanism.ErrZMTPUnexpectedCommand
	ProtocolErrorZMTPInvalidSequence             = mechanism.ErrZMTPInvalidSequence
	ProtocolErrorZMTPKeyExchange                 = mechanism.ErrZMTPKeyExchange
	ProtocolErrorZMTPMalformedCommandUnspecified = mechanism.ErrZMTPMalformedCommandUnspec
	ProtocolErrorZMTPMalformedCommandMessage     = mechanism.ErrZMTPMalformedCommandMessage
	ProtocolErrorZMTPMalformedCommandHello       = mechanism.ErrZMTPMalformedCommandHello
	ProtocolErrorZMTPMalformedCommandInitiate    = mechanism.ErrZMTPMalformedCommandInitiate
	ProtocolErrorZMTPMalformedCommandError       = mechanism.ErrZMTPMalformedCommandError
	ProtocolErrorZMTPMalformedCommandReady       = mechanism.ErrZMTPMalformedCommandReady
	ProtocolErrorZMTPMalformedCommandWelcome     = mechanism.ErrZMTPMalformedCommandWelcome
	ProtocolErrorZMTPInvalidMetadata             = mechanism.ErrZMTPInvalidMetadata
	ProtocolErrorZMTPCryptographic               = mechanism.ErrZMTPCryptographic
	ProtocolErrorZMTPMechanismMismatch           = mechanism.ErrZMTPMechanismMismatch
	ProtocolErrorZAPUnspecified                  = mechanism.ErrZAPUnspecified
	ProtocolErrorZAPMalformedReply               = mechanism.ErrZAPMalformedReply
	ProtocolErrorZAPBadRequestID                 = mechanism.ErrZAPBadRequestID
	ProtocolErrorZAPBadVersion                   = mechanism.ErrZAPBadVersion
	ProtocolErrorZAPInvalidStatusCode            = mechanism.ErrZAPInvalidStatusCode
	ProtocolErrorZAPInvalidMetadata              = mechanism.ErrZAPInvalidMetadata
	ProtocolErrorWSUnspecified                   = mechanism.ErrWSUnspecified
)

var eventNames = [...]string{
	"CONNECTED", "CONNECT_DELAYED", "CONNECT_RETRIED", "LISTENING",
	"BIND_FAILED", "ACCEPTED", "ACCEPT_FAILED", "CLOSED", "CLOSE_FAILED",
	"DISCONNECTED", "MONITOR_STOPPED", "HANDSHAKE_FAILED_NO_DETAIL",
	"HANDSHAKE_SUCCEEDED", "HANDSHAKE_FAILED_PROTOCOL", "HANDSHAKE_FAILED_AUTH",
	"", "PIPES_STATS", "", "", "", "", "", "", "", "DATA_LOST",
}

// String returns libzmq's name without the ZMQ_EVENT_ prefix
// ("CONNECTED"), names joined by "|" for a set, or a hex number.
func (e Event) String() string {
	if e == 0 {
		return "0"
	}
	var parts []string
	rest := e
	for rest != 0 {
		i := bits.TrailingZeros64(uint64(rest))
		bit := Event(1) << i
		rest &^= bit
		if i < len(eventNames) && eventNames[i] != "" {
			parts = append(parts, eventNames[i])
		} else {
			parts = append(parts, fmt.Sprintf("%#x", uint64(bit)))
		}
	}
	return strings.Join(parts, "|")
}

// MonitorEvent is one monitor event, decoded: what the Go-native API
// delivers, and what DecodeMonitorMsg returns for a monitor socket's
// message.
type MonitorEvent struct {
	Event Event // exactly one event bit
	// Value is libzmq's value for the event: a descriptor, an errno, the
	// reconnect interval in ms, a ProtocolError* code, a ZAP status, or 0.
	// For PIPES_STATS it is the first of Values.
	Value uint64
	// Values are the version 2 values: [Value], or for PIPES_STATS
	// [outbound, inbound].
	Values []uint64
	// Endpoint is the version 1 endpoint: the bound endpoint (for an
	// accepted connection, its local address) on the binding side, the
	// connect endpoint on the connecting side, "" for MONITOR_STOPPED.
	Endpoint string
	// Local and Remote are the version 2 endpoints (either may be "").
	Local, Remote string

	// The fields below are filled by the Go-native API only (hooks and
	// WatchEvents), not by DecodeMonitorMsg.

	FD            int           // descriptor concerned, -1 if none
	Errno         syscall.Errno // for *_FAILED events and DISCONNECTED's cause
	Err           error         // the error behind a failure or a disconnect
	Interval      time.Duration // CONNECT_RETRIED: the wait before the next attempt
	ProtocolError uint32        // HANDSHAKE_FAILED_PROTOCOL: the code
	AuthStatus    int           // HANDSHAKE_FAILED_AUTH: 300, 400 or 500
	Time          time.Time     // when the event happened
}

// String formats the event for logs.
func (ev MonitorEvent) String() string {
	return fmt.Sprintf("%v(%d) %q", ev.Event, ev.Value, ev.Endpoint)
}

// sinkMonitor receives events; implementations never block.
type monitorSink interface {
	mask() Event
	deliver(ev *MonitorEvent)
	// end is called once when the sink is removed; stopped says whether
	// MONITOR_STOPPED is to be delivered first (when selected).
	end(stopped bool)
}

// monitorState is an immutable snapshot of a socket's monitors.
type monitorState struct {
	mask  Event
	zmq   *zmqMonitor // the zmq_socket_monitor socket, or nil
	sinks []monitorSink
}

// monitorHolder is the Socket's monitoring state. An unmonitored socket
// pays one atomic load per event; events are rare (per connection, never
// per message) anyway.
type monitorHolder struct {
	mu  sync.Mutex // serializes deliveries and changes, as libzmq's monitor_sync
	cur atomic.Pointer[monitorState]
	// closed is set when the socket closed: no more monitors may start.
	closed bool
	// watchTerm stops the goroutine ending the zmq monitor at context
	// termination.
	watchTerm chan struct{}
}

func (h *monitorHolder) publishLocked(st *monitorState) {
	if st.zmq == nil && len(st.sinks) == 0 {
		h.cur.Store(nil)
		return
	}
	st.mask = 0
	if st.zmq != nil {
		st.mask |= st.zmq.events
	}
	for _, k := range st.sinks {
		st.mask |= k.mask()
	}
	h.cur.Store(st)
}

func (h *monitorHolder) snapshotLocked() monitorState {
	if st := h.cur.Load(); st != nil {
		return monitorState{zmq: st.zmq, sinks: append([]monitorSink(nil), st.sinks...)}
	}
	return monitorState{}
}

// monitored reports whether any monitor selects one of the events in e.
func (s *Socket) monitored(e Event) bool {
	st := s.mon.cur.Load()
	return st != nil && st.mask&e != 0
}

// publish delivers ev to every monitor that selected it.
func (s *Socket) publish(ev *MonitorEvent) {
	if !s.monitored(ev.Event) {
		return
	}
	s.mon.mu.Lock()
	defer s.mon.mu.Unlock()
	st := s.mon.cur.Load()
	if st == nil || st.mask&ev.Event == 0 {
		return
	}
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	if len(ev.Values) == 0 {
		ev.Values = []uint64{ev.Value}
	}
	if st.zmq != nil && st.zmq.events&ev.Event != 0 {
		st.zmq.deliver(ev)
	}
	for _, k := range st.sinks {
		if k.mask()&ev.Event != 0 {
			k.deliver(ev)
		}
	}
}

// ---------------------------------------------------------------------
// libzmq's zmq_socket_monitor: a socket publishing encoded events.

// zmqMonitor is the socket Monitor creates.
type zmqMonitor struct {
	sock    *Socket
	events  Event
	version int
	dropped atomic.Uint64
}

// deliver sends ev without blocking: when the monitor socket can not take
// it (no reader connected, or the reader is a high-water mark behind) the
// event is dropped and counted.
func (m *zmqMonitor) deliver(ev *MonitorEvent) {
	msg := EncodeMonitorEvent(ev, m.version)
	if len(msg.Frames) == 0 {
		return
	}
	if err := m.sock.TrySend(msg); err != nil {
		m.dropped.Add(1)
	}
}

// EncodeMonitorEvent encodes ev as a monitor socket publishes it: version
// 1 is [uint16 event, uint32 value][endpoint]; version 2 is [uint64 event]
// [uint64 N][N × uint64 value][local][remote]. Numbers are in host byte
// order, as libzmq writes them. Other versions give an empty Msg.
func EncodeMonitorEvent(ev *MonitorEvent, version int) Msg {
	ne := binary.NativeEndian
	switch version {
	case 1:
		b := make([]byte, 6)
		ne.PutUint16(b, uint16(ev.Event))
		ne.PutUint32(b[2:], uint32(ev.Value))
		return Msg{Frames: [][]byte{b, []byte(ev.Endpoint)}}
	case 2:
		vals := ev.Values
		if len(vals) == 0 {
			vals = []uint64{ev.Value}
		}
		frames := make([][]byte, 0, 4+len(vals))
		frames = append(frames, ne.AppendUint64(nil, uint64(ev.Event)), ne.AppendUint64(nil, uint64(len(vals))))
		for _, v := range vals {
			frames = append(frames, ne.AppendUint64(nil, v))
		}
		frames = append(frames, []byte(ev.Local), []byte(ev.Remote))
		return Msg{Frames: frames}
	}
	return Msg{}
}

// DecodeMonitorMsg decodes a message read from a monitor socket, of either
// version: 2 frames with a 6-byte first frame are version 1, anything else
// is tried as version 2 (a PUB monitor's subscriber sees the same frames).
// Only Event, Value, Values, Endpoint, Local and Remote are set.
func DecodeMonitorMsg(m Msg) (MonitorEvent, error) {
	ne := binary.NativeEndian
	f := m.Frames
	if len(f) == 2 && len(f[0]) == 6 {
		ev := MonitorEvent{
			Event:    Event(ne.Uint16(f[0])),
			Value:    uint64(ne.Uint32(f[0][2:])),
			Endpoint: string(f[1]),
		}
		ev.Values = []uint64{ev.Value}
		return ev, nil
	}
	if len(f) < 4 || len(f[0]) != 8 || len(f[1]) != 8 {
		return MonitorEvent{}, fmt.Errorf("%w: not a monitor event (%d frames)", ErrInvalid, len(f))
	}
	n := ne.Uint64(f[1])
	if n > uint64(len(f)) || uint64(len(f)) != n+4 {
		return MonitorEvent{}, fmt.Errorf("%w: monitor event with %d values in %d frames", ErrInvalid, n, len(f))
	}
	ev := MonitorEvent{Event: Event(ne.Uint64(f[0]))}
	for i := uint64(0); i < n; i++ {
		if len(f[2+i]) != 8 {
			return MonitorEvent{}, fmt.Errorf("%w: monitor event value of %d bytes", ErrInvalid, len(f[2+i]))
		}
		ev.Values = append(ev.Values, ne.Uint64(f[2+i]))
	}
	if n > 0 {
		ev.Value = ev.Values[0]
	}
	ev.Local, ev.Remote = string(f[n+2]), string(f[n+3])
	ev.Endpoint = ev.Local
	if ev.Endpoint == "" {
		ev.Endpoint = ev.Remote
	}
	return ev, nil
}

// Monitor starts publishing the socket's events on endpoint, as
// zmq_socket_monitor: MonitorVersioned(endpoint, events, 1, PAIR).
func (s *Socket) Monitor(endpoint string, events Event) error {
	return s.MonitorVersioned(endpoint, events, 1, PAIR)
}

// MonitorVersioned starts publishing the socket's events on endpoint, as
// zmq_socket_monitor_versioned. It creates a socket of type monitorType
// (PAIR, PUB or PUSH) with LINGER 0 in the socket's context and binds it to
// endpoint, which must be inproc://; the application connects its own
// PAIR, SUB or PULL socket there and reads one message per event (see
// EncodeMonitorEvent for the formats, DecodeMonitorMsg to decode them).
//
// An empty endpoint stops monitoring. A new call replaces the monitor.
// When monitoring stops (an empty endpoint, a new monitor, Close of the
// socket, or termination of the context) MONITOR_STOPPED is published if
// selected, then the monitor socket is closed.
//
// Events are sent without blocking: an event the monitor socket can not
// take at once (no reader connected yet, or the reader is its high-water
// mark behind) is dropped, so a slow reader never slows the socket down.
//
// Errors: ErrTerminated, ErrClosed, ErrInvalid (version 1 with events
// beyond EventAllV1, a monitor type other than PAIR, PUB, PUSH, an
// endpoint without "://"), ErrProtocolNotSupported (not inproc), or the
// bind's error.
func (s *Socket) MonitorVersioned(endpoint string, events Event, version int, monitorType SocketType) error {
	const op = "monitor"
	h := &s.mon
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.ctx.terminated() {
		return opErr(op, endpoint, ErrTerminated)
	}
	if h.closed {
		return opErr(op, endpoint, ErrClosed)
	}
	if version == 1 && events>>16 != 0 {
		return opErr(op, endpoint, invalid("version 1 monitor events %#x", uint64(events)))
	}
	if endpoint == "" {
		s.stopZMQMonitorLocked(true)
		return nil
	}
	scheme, _, err := registry.SplitEndpoint(endpoint)
	if err != nil {
		return opErr(op, endpoint, mapTransportErr(err))
	}
	if _, err := s.ctx.reg.Transport(scheme); err != nil {
		return opErr(op, endpoint, mapTransportErr(err))
	}
	if scheme != "inproc" {
		return opErr(op, endpoint, fmt.Errorf("%w: monitor endpoints must be inproc://", ErrProtocolNotSupported))
	}
	s.stopZMQMonitorLocked(true)
	switch monitorType {
	case PAIR, PUB, PUSH:
	default:
		return opErr(op, endpoint, invalid("monitor socket type %v", monitorType))
	}
	ms, err := s.ctx.NewSocket(monitorType, WithLinger(0))
	if err != nil {
		return opErr(op, endpoint, errors.Unwrap(err))
	}
	if err := ms.Bind(endpoint); err != nil {
		ms.Close()
		var e *Error
		if errors.As(err, &e) {
			err = e.Err
		}
		return opErr(op, endpoint, err)
	}
	st := h.snapshotLocked()
	st.zmq = &zmqMonitor{sock: ms, events: events, version: version}
	h.publishLocked(&st)
	// libzmq stops the monitor when the context is terminated.
	quit := make(chan struct{})
	h.watchTerm = quit
	term := s.ctx.termCh
	go func() {
		select {
		case <-term:
			h.mu.Lock()
			if h.watchTerm == quit {
				s.stopZMQMonitorLocked(true)
			}
			h.mu.Unlock()
		case <-quit:
		}
	}()
	return nil
}

// stopZMQMonitorLocked ends the zmq monitor, publishing MONITOR_STOPPED if
// selected and stopped is true, and closes its socket.
func (s *Socket) stopZMQMonitorLocked(stopped bool) {
	h := &s.mon
	cur := h.cur.Load()
	if cur == nil || cur.zmq == nil {
		return
	}
	m := cur.zmq
	if stopped && m.events&EventMonitorStopped != 0 {
		m.deliver(&MonitorEvent{Event: EventMonitorStopped, Values: []uint64{0}, FD: -1, Time: time.Now()})
	}
	st := h.snapshotLocked()
	st.zmq = nil
	h.publishLocked(&st)
	if h.watchTerm != nil {
		close(h.watchTerm)
		h.watchTerm = nil
	}
	// The monitor socket has LINGER 0, as libzmq's, but events already
	// queued for an inproc reader stay readable in libzmq: close it with
	// an infinite linger, which does not wait for inproc peers.
	m.sock.SetOption(WithLinger(-1))
	m.sock.Close()
}

// stopMonitors ends every monitor of a closing socket: MONITOR_STOPPED
// last (when selected), then the monitor socket is closed and channels
// from WatchEvents are closed.
func (s *Socket) stopMonitors() {
	h := &s.mon
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	s.stopZMQMonitorLocked(true)
	cur := h.cur.Load()
	if cur == nil {
		return
	}
	h.cur.Store(nil)
	for _, k := range cur.sinks {
		k.end(true)
	}
}

// MonitorPipesStats asks for one PIPES_STATS event per pipe of the socket,
// as zmq_socket_monitor_pipes_stats: its values are the number of messages
// queued outbound (sent, not yet taken by the connection) and inbound
// (arrived, not yet received by the application). The events are
// published at once. Errors: ErrInvalid when no monitor selects
// EventPipesStats, ErrWouldBlock when the socket has no pipes, ErrClosed.
func (s *Socket) MonitorPipesStats() error {
	const op = "monitor_pipes_stats"
	if !s.monitored(EventPipesStats) {
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return opErr(op, "", ErrClosed)
		}
		return opErr(op, "", invalid("no monitor selects PIPES_STATS"))
	}
	stats, err := s.pipeStats()
	if err != nil {
		return opErr(op, "", err)
	}
	if len(stats) == 0 {
		return opErr(op, "", ErrWouldBlock)
	}
	for _, ps := range stats {
		s.publish(&MonitorEvent{
			Event: EventPipesStats, Value: ps.Outbound, Values: []uint64{ps.Outbound, ps.Inbound},
			Endpoint: ps.Local, Local: ps.Local, Remote: ps.Remote, FD: -1,
		})
	}
	return nil
}

// PipeStats describes one of a socket's pipes (one per peer).
type PipeStats struct {
	// Local and Remote are the connection's endpoints, as in
	// PIPES_STATS events.
	Local, Remote string
	// Outbound is the number of messages sent and not yet taken by the
	// connection; Inbound the number arrived and not yet received.
	Outbound, Inbound uint64
}

// PipeStats returns the queue counts of every pipe of the socket: the
// data PIPES_STATS events carry, without a monitor.
func (s *Socket) PipeStats() ([]PipeStats, error) {
	st, err := s.pipeStats()
	return st, opErr("pipe_stats", "", err)
}

func (s *Socket) pipeStats() ([]PipeStats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	out := make([]PipeStats, 0, len(s.pipes))
	for _, p := range s.pipes {
		ps := PipeStats{
			Outbound: uint64(p.out.size()),
			Inbound:  uint64(p.in.size() + p.rcN - p.rcAt),
		}
		p.mu.Lock()
		e, cn := p.eng, p.cn
		p.mu.Unlock()
		switch {
		case e != nil:
			ps.Local, ps.Remote = e.endpointPair()
		case cn != nil:
			ps.Remote = p.endpoint
		default:
			ps.Local = p.endpoint
		}
		out = append(out, ps)
	}
	return out, nil
}

// ---------------------------------------------------------------------
// The Go-native API.

// MonitorHooks receives a socket's events as typed values (see
// AddMonitorHooks). The functions run synchronously on the goroutine that
// produced the event, one event at a time: they must return quickly and
// must not call monitoring methods of the same socket.
type MonitorHooks struct {
	// OnEvent receives every selected event.
	OnEvent func(MonitorEvent)
	// OnStop, if set, is called once when the hooks end (after
	// MONITOR_STOPPED, when selected).
	OnStop func()
}

type hookSink struct {
	events Event
	h      MonitorHooks
}

func (k *hookSink) mask() Event { return k.events }
func (k *hookSink) deliver(ev *MonitorEvent) {
	if k.h.OnEvent != nil {
		k.h.OnEvent(*ev)
	}
}
func (k *hookSink) end(stopped bool) {
	if stopped && k.events&EventMonitorStopped != 0 && k.h.OnEvent != nil {
		k.h.OnEvent(MonitorEvent{Event: EventMonitorStopped, Values: []uint64{0}, FD: -1, Time: time.Now()})
	}
	if k.h.OnStop != nil {
		k.h.OnStop()
	}
}

// AddMonitorHooks calls h for each of the socket's events in events, as
// they happen, alongside any Monitor socket and other hooks. The hooks end
// — with MONITOR_STOPPED if selected — when remove is called or the socket
// is closed. It fails with ErrClosed on a closed socket.
func (s *Socket) AddMonitorHooks(events Event, h MonitorHooks) (remove func(), err error) {
	k := &hookSink{events: events, h: h}
	if err := s.addSink(k); err != nil {
		return nil, opErr("monitor", "", err)
	}
	return func() { s.removeSink(k) }, nil
}

func (s *Socket) addSink(k monitorSink) error {
	h := &s.mon
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrClosed
	}
	st := h.snapshotLocked()
	st.sinks = append(st.sinks, k)
	h.publishLocked(&st)
	return nil
}

func (s *Socket) removeSink(k monitorSink) {
	h := &s.mon
	h.mu.Lock()
	defer h.mu.Unlock()
	cur := h.cur.Load()
	if cur == nil {
		return
	}
	st := h.snapshotLocked()
	for i, x := range st.sinks {
		if x == k {
			st.sinks = append(st.sinks[:i], st.sinks[i+1:]...)
			h.publishLocked(&st)
			k.end(true)
			return
		}
	}
}

// WatchBuffer is the capacity of the channels WatchEvents returns.
const WatchBuffer = 1024

type chanSink struct {
	events  Event
	ch      chan MonitorEvent
	dropped atomic.Uint64
	stopCtx func() bool
}

func (k *chanSink) mask() Event { return k.events }
func (k *chanSink) deliver(ev *MonitorEvent) {
	select {
	case k.ch <- *ev:
	default:
		k.dropped.Add(1)
	}
}
func (k *chanSink) end(stopped bool) {
	if k.stopCtx != nil {
		k.stopCtx()
	}
	if stopped && k.events&EventMonitorStopped != 0 {
		k.deliver(&MonitorEvent{Event: EventMonitorStopped, Values: []uint64{0}, FD: -1, Time: time.Now()})
	}
	close(k.ch)
}

// WatchEvents returns a channel of the socket's events in events. The
// channel is closed — after MONITOR_STOPPED, if selected — when ctx is done
// or the socket is closed. It holds WatchBuffer events; events that find
// it full are dropped, so a slow reader never slows the socket down. It
// fails with ErrClosed on a closed socket.
func (s *Socket) WatchEvents(ctx context.Context, events Event) (<-chan MonitorEvent, error) {
	k := &chanSink{events: events, ch: make(chan MonitorEvent, WatchBuffer)}
	if err := s.addSink(k); err != nil {
		return nil, opErr("monitor", "", err)
	}
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { s.removeSink(k) })
		s.mon.mu.Lock()
		k.stopCtx = stop
		s.mon.mu.Unlock()
	}
	return k.ch, nil
}

// ---------------------------------------------------------------------
// Producing events.

// monitorTransport turns a transport lifecycle event into a monitor event.
// connect tells on which side a CLOSED event happened (a connect attempt
// or a listener).
func (s *Socket) monitorTransport(tev transport.Event, connect bool) {
	e := Event(tev.Kind)
	if !s.monitored(e) {
		return
	}
	ev := MonitorEvent{Event: e, FD: tev.FD, Errno: syscall.Errno(tev.Errno), Err: tev.Err}
	if tev.Err != nil {
		if n, ok := errnoLookup(tev.Err); ok { // Errno's mapping, as the API call gets
			ev.Errno = n
			tev.Errno = int(n)
		}
	}
	switch e {
	case EventConnected, EventConnectDelayed, EventConnectRetried:
		connect = true
	case EventClosed:
	default:
		connect = false
	}
	switch e {
	case EventConnectDelayed, EventBindFailed, EventAcceptFailed, EventCloseFailed:
		ev.Value = uint64(tev.Errno)
	case EventDataLost:
		ev.Value = tev.Value
		ev.Remote = tev.Remote
	case EventConnectRetried:
		// FD carries the interval in ms (see connecter.wait)
		ev.Value = uint64(max(tev.FD, 0))
		ev.Interval = time.Duration(ev.Value) * time.Millisecond
		ev.FD = -1
	default:
		ev.Value = fdValue(tev.FD)
	}
	if connect {
		ev.Endpoint = tev.Endpoint
		ev.Remote = tev.Endpoint
		if e == EventConnected {
			ev.Local = tev.Local
		}
	} else {
		ev.Endpoint = tev.Endpoint
		ev.Local = tev.Endpoint
		if e == EventAccepted {
			if tev.Local != "" {
				ev.Local, ev.Endpoint = tev.Local, tev.Local
			}
			ev.Remote = tev.Remote
		}
	}
	s.publish(&ev)
}

// emitRetried reports CONNECT_RETRIED with the interval to be waited and,
// in Err and Errno, why the last attempt failed (a resolver error, a
// refused connection, ...), when known.
func (s *Socket) emitRetried(endpoint string, d time.Duration, cause error) {
	if !s.monitored(EventConnectRetried) {
		return
	}
	ms := uint64(d / time.Millisecond)
	ev := MonitorEvent{Event: EventConnectRetried, Value: ms, Interval: d, FD: -1,
		Endpoint: endpoint, Remote: endpoint, Err: cause}
	if cause != nil {
		ev.Errno = errnoOf(cause)
	}
	s.publish(&ev)
}

// dialHook is the transport hook of a connecter.
func (s *Socket) dialHook() transport.Hook {
	return transport.HookFunc(func(ev transport.Event) { s.monitorTransport(ev, true) })
}

func fdValue(fd int) uint64 {
	if fd < 0 {
		return uint64(^uint32(0)) // libzmq's retired_fd (-1) as a uint32
	}
	return uint64(fd)
}
