// Package transport defines the contract between the zmqkit core and its
// transport plugins, the way database/sql/driver defines the contract for
// SQL drivers. It has no dependencies on the core.
//
// A transport is registered under one or more URI schemes ("tcp", "ipc",
// "inproc", "ws", ...) and can listen and dial. What a connection carries
// depends on the transport's kind:
//
//   - a StreamConn is a reliable byte stream; the core runs ZMTP over it
//     (tcp, ipc, vmci);
//   - a FrameConn carries whole frames, each a body and ZMTP flags; the
//     core runs no stream framing over it, and the connection says how
//     its session starts (FrameMode): a ZMTP mechanism handshake over
//     command frames (ws with a ZWS2.0/NULL, /PLAIN or /CURVE
//     subprotocol), a routing-id exchange (bare ZWS2.0), or nothing at all
//     (pgm). A connection may first run a handshake of its own
//     (Handshaker: the HTTP upgrade of ws) and keep the peer alive with
//     its own pings (Pinger: WebSocket ping/pong);
//   - a DatagramConn carries datagrams: no handshake, no ZMTP, one
//     message per datagram in the socket type's own layout (udp for
//     RADIO, DISH and DGRAM);
//   - a PipeConn is an in-process rendezvous: it hands the core's own
//     opaque pipe value from the dialing socket to the listening one with
//     no encoding at all (inproc). It can not cross a process boundary.
//
// Transports report their lifecycle (listening, accepted, connected, ...)
// through Config.Hook, so socket monitoring works the same for every
// transport, built in or loaded out of process. Everything in this package
// is plain data or interfaces whose methods take and return plain data, so
// an adapter can carry it over RPC.
package transport

import (
	"context"
	"errors"
	"io"
	"strconv"
	"time"
)

// Kind says what a transport's connections carry.
type Kind int

const (
	// KindStream connections are byte streams carrying ZMTP (tcp, ipc, vmci).
	KindStream Kind = iota
	// KindFrame connections carry whole frames (ws, pgm).
	KindFrame
	// KindPipe connections hand an opaque in-process value over (inproc).
	KindPipe
	// KindDatagram connections carry datagrams (udp). Listen binds the
	// local address and its Listener's Accept hands out one DatagramConn,
	// the bound socket itself, then waits for Close; Dial returns a
	// DatagramConn that sends to the dialled address.
	KindDatagram
)

// Transport is implemented by every transport plugin.
type Transport interface {
	// Schemes lists the URI schemes this transport serves, e.g. ["tcp"].
	Schemes() []string
	// Kind says what its connections carry.
	Kind() Kind
	// Listen binds addr (the endpoint without "scheme://") and returns a
	// listener. It is synchronous: when it returns without error the
	// listener accepts connections. Errors wrap ErrAddrInUse,
	// ErrAddrNotAvailable, ErrInvalidEndpoint, ... where they apply.
	Listen(ctx context.Context, scheme, addr string, cfg *Config) (Listener, error)
	// Dial connects to addr and returns the connection. It honours ctx.
	// A refused or failed attempt returns an error; the core retries
	// with its reconnect policy.
	Dial(ctx context.Context, scheme, addr string, cfg *Config) (Conn, error)
}

// DialChecker is implemented by transports that can check the syntax of a
// dial address without connecting. The core calls CheckDial synchronously
// at Connect time, so a malformed endpoint fails the connect call itself
// (libzmq: EINVAL from zmq_connect) instead of failing every reconnect
// attempt; name resolution still happens at each Dial. Errors wrap
// ErrInvalidEndpoint (or ErrNameTooLong, ...) and name the endpoint.
type DialChecker interface {
	CheckDial(scheme, addr string) error
}

// Listener accepts connections for a bound endpoint.
type Listener interface {
	// Accept waits for the next connection. After Close it returns an
	// error wrapping ErrClosed.
	Accept(ctx context.Context) (Conn, error)
	// Endpoint is the resolved endpoint, scheme included, as
	// ZMQ_LAST_ENDPOINT reports it (e.g. "tcp://127.0.0.1:40123").
	Endpoint() string
	// Close stops listening and releases the address (an ipc socket file
	// is removed). It reports CLOSED (or CLOSE_FAILED) through the hook.
	Close() error
}

// Conn is a connection; it is also a StreamConn, a FrameConn or a PipeConn
// according to the transport's Kind.
type Conn interface {
	io.Closer
	// LocalAddress and RemoteAddress are the endpoint strings of both ends
	// (e.g. "tcp://127.0.0.1:5555"); either may be empty.
	LocalAddress() string
	RemoteAddress() string
	// PeerAddress is the peer's address as ZMQ's Peer-Address property
	// gives it: the numeric IP without port for tcp; may be empty.
	PeerAddress() string
	// FD is the OS descriptor of the connection, or -1.
	FD() int
}

// DirectConn is implemented by stream connections whose bytes are exactly
// the bytes read from and written to their OS descriptor (FD), with
// nothing added, buffered or kept in user space: plain tcp, ipc and vmci
// sockets (sockio.Conn). Whoever holds a duplicate of that descriptor can
// carry the connection on alone, so an out-of-process plugin hands such a
// descriptor to the host (registry/external), whose engine then does the
// I/O itself. A connection whose bytes are transformed (TLS, ...) must not
// implement it, or must return false.
type DirectConn interface {
	Conn
	Direct() bool
}

// StreamConn is a reliable, ordered byte stream.
type StreamConn interface {
	Conn
	io.Reader
	io.Writer
	// SetReadDeadline and SetWriteDeadline behave as net.Conn's.
	SetReadDeadline(t time.Time) error
	SetWriteDeadline(t time.Time) error
}

// Buffers is implemented by stream connections that can write several
// buffers with one system call (net.Buffers / writev).
type Buffers interface {
	WriteBuffers(bufs [][]byte) (int64, error)
}

// IdleReader is implemented by stream connections that can wait for data
// without holding a read buffer: ReadIdle reads like Read into the buffer
// get returns, and calls put before it waits while nothing is there (the
// buffer may then go back to a pool; get is called again once data
// came). A connection's reader with many idle peers thus holds no buffers.
type IdleReader interface {
	ReadIdle(get func() []byte, put func()) (int, error)
}

// BuffersReader is implemented by stream connections that can read into
// several buffers with one system call (readv): ReadBuffers fills bufs in
// order and returns how many bytes it read.
type BuffersReader interface {
	ReadBuffers(bufs [][]byte) (int, error)
}

// Frame flags, as in the ZMTP flags octet. A FrameConn uses these values
// whatever its wire encoding: a plugin whose protocol encodes them
// differently translates (ZWS 2.0 puts the command flag at 0x02).
const (
	FlagMore    byte = 0x01
	FlagCommand byte = 0x04
)

// FrameConn carries whole frames. One goroutine reads while another
// writes; neither method is called concurrently with itself.
type FrameConn interface {
	Conn
	// ReadFrame reads the next frame, appends its body to buf and returns
	// the result with the frame's flags (FlagMore, FlagCommand). A data
	// frame whose body is larger than Config.MaxMsgSize must fail before
	// its body is read; a command frame may be as large as the larger of
	// MaxMsgSize and MaxCommandSize (handshake commands carry metadata).
	// A peer breaking the protocol gives an error wrapping
	// ErrProtocol (the core drops the connection and does not reconnect);
	// the peer closing the connection gives io.EOF; a read on a closed
	// connection an error wrapping ErrClosed or net.ErrClosed.
	ReadFrame(buf []byte) (body []byte, flags byte, err error)
	// WriteFrame queues one frame for the peer. body is only borrowed
	// for the call: the connection copies it, or writes it out before
	// returning (large frames, or when its buffer is full).
	WriteFrame(body []byte, flags byte) error
	// Flush writes out the frames WriteFrame queued. The core calls it
	// when it has nothing more to send for now, so a connection batches
	// many frames per write.
	Flush() error
}

// MaxCommandSize is the size up to which a FrameConn accepts command
// frames whatever Config.MaxMsgSize says: handshake commands carry
// metadata, and the core reads them within this bound.
const MaxCommandSize = 64 << 10

// FrameMode says how the core runs a FrameConn's session once the
// connection (and its Handshaker, if any) is up.
type FrameMode int

const (
	// FrameMechanism: the ZMTP security handshake of the socket's
	// mechanism (NULL, PLAIN, CURVE) runs over command frames (READY,
	// HELLO, WELCOME, INITIATE, ERROR), with metadata, the socket-type
	// check and ZAP; then messages and commands flow. It is the mode of a
	// FrameConn that does not implement FrameModer (ws with a
	// ZWS2.0/NULL, ZWS2.0/PLAIN or ZWS2.0/CURVE subprotocol).
	FrameMechanism FrameMode = iota
	// FrameRoutingID: each side first sends its routing id (ZMQ_ROUTING_ID,
	// empty when unset) as one frame and takes the peer's first frame as
	// its routing id; no mechanism, no metadata, no socket-type check
	// (ws with the bare ZWS2.0 subprotocol, as jszmq speaks it).
	FrameRoutingID
	// FrameNone: no handshake at all. Traffic is one-way: a PUB or XPUB
	// treats the peer as subscribed to everything and the core sends no
	// subscriptions; there is no routing id (pgm, epgm).
	FrameNone
)

// String names the mode.
func (m FrameMode) String() string {
	switch m {
	case FrameMechanism:
		return "mechanism"
	case FrameRoutingID:
		return "routing-id"
	case FrameNone:
		return "none"
	}
	return "FrameMode(" + strconv.Itoa(int(m)) + ")"
}

// FrameModer is implemented by frame connections that report their
// FrameMode; the core asks once the Handshaker (if any) is done, so the
// mode may depend on what the handshake negotiated.
type FrameModer interface {
	FrameMode() FrameMode
}

// Handshaker is implemented by connections that run a handshake of their
// own before the core's (the HTTP upgrade of ws). The core calls
// Handshake first, on both sides, with a ctx that ends at
// ZMQ_HANDSHAKE_IVL or when the connection is stopped. An error wrapping
// ErrProtocol (a *HandshakeError says which ZMQ_PROTOCOL_ERROR_* code to
// report) means the peer broke or refused the protocol: the core reports
// HANDSHAKE_FAILED_PROTOCOL, drops the connection and does not reconnect;
// any other error is a connection error (HANDSHAKE_FAILED_NO_DETAIL, then
// reconnect).
type Handshaker interface {
	Handshake(ctx context.Context) error
}

// HandshakeError is a transport handshake that the peer broke or refused.
// Code is the ZMQ_PROTOCOL_ERROR_* value of the HANDSHAKE_FAILED_PROTOCOL
// event (ws: ZMQ_PROTOCOL_ERROR_WS_UNSPECIFIED, 0x30000000).
type HandshakeError struct {
	Code uint32
	Err  error
}

// Error returns the underlying error's text.
func (e *HandshakeError) Error() string { return e.Err.Error() }

// Unwrap returns ErrProtocol and the underlying error.
func (e *HandshakeError) Unwrap() []error { return []error{ErrProtocol, e.Err} }

// Pinger is implemented by frame connections whose protocol has its own
// keep-alive (WebSocket ping and pong). With ZMQ_HEARTBEAT_IVL set, the
// core calls Ping every interval instead of sending ZMTP PING commands,
// and drops the connection when Activity has not moved within
// ZMQ_HEARTBEAT_TIMEOUT of a ping. The connection answers the peer's
// pings itself.
type Pinger interface {
	// Ping queues a transport ping; the next Flush sends it. It is called
	// by the goroutine that calls WriteFrame and Flush.
	Ping() error
	// Activity is a counter that grows whenever anything arrives from
	// the peer (a frame, a ping, a pong). It is safe for concurrent use.
	Activity() uint64
}

// FrameBuffer is implemented by frame connections that read ahead:
// HasFrame reports whether a whole frame is already buffered, so that the
// next ReadFrame will not block. The core then delivers the messages it
// has decoded in one batch before a read that may block. It is called by
// the reading goroutine.
type FrameBuffer interface {
	HasFrame() bool
}

// DatagramConn carries whole datagrams, with no handshake and no framing.
// The core encodes one message per datagram as the socket type requires
// (RADIO/DISH: group length, group, body; DGRAM: the body, the peer's
// address travelling beside it).
type DatagramConn interface {
	Conn
	// ReadDatagram reads the next datagram into buf (truncating what does
	// not fit) and returns its length and the sender's address as
	// "ip:port".
	ReadDatagram(buf []byte) (n int, from string, err error)
	// WriteDatagram sends b as one datagram: to the dialled address when
	// to is "", else to the address to ("ip:port"). A malformed to wraps
	// ErrInvalidEndpoint.
	WriteDatagram(b []byte, to string) error
}

// PipeListenerBound is implemented by the dialing side of a PipeConn:
// ListenerBound reports whether a listener has taken the offer or is bound
// to take it, so the core can wait for the hand-over (libzmq connects to a
// bound inproc endpoint synchronously) instead of withdrawing the offer.
type PipeListenerBound interface {
	ListenerBound() bool
}

// PipeConn is an in-process connection: Value is the opaque value the
// dialing side gave in Config.Offer. On the dialing side it is nil.
type PipeConn interface {
	Conn
	Value() any
}

// Config carries what a socket gives its transport for one bind or connect.
// Zero values mean "the OS or transport default".
type Config struct {
	// Hook receives lifecycle events; nil drops them.
	Hook Hook
	// Endpoint is the endpoint as the application gave it.
	Endpoint string
	// Scope isolates in-process names: inproc names are per context.
	Scope string
	// Offer is the value an in-process dial hands to the listener.
	Offer any

	IPv6         bool
	SendBuffer   int // ZMQ_SNDBUF, bytes; <=0 OS default
	RecvBuffer   int // ZMQ_RCVBUF, bytes; <=0 OS default
	Backlog      int // ZMQ_BACKLOG
	TOS          int // ZMQ_TOS
	Priority     int // ZMQ_PRIORITY
	BindToDevice string
	// KeepAlive: -1 OS default, 0 off, 1 on (ZMQ_TCP_KEEPALIVE).
	KeepAlive         int
	KeepAliveCount    int           // ZMQ_TCP_KEEPALIVE_CNT, -1 default
	KeepAliveIdle     time.Duration // ZMQ_TCP_KEEPALIVE_IDLE, <=0 default
	KeepAliveInterval time.Duration // ZMQ_TCP_KEEPALIVE_INTVL, <=0 default
	MaxRetransmit     time.Duration // ZMQ_TCP_MAXRT (TCP_USER_TIMEOUT)
	ConnectTimeout    time.Duration // ZMQ_CONNECT_TIMEOUT, 0 none
	// MulticastHops is ZMQ_MULTICAST_HOPS (the multicast TTL); <=0 means
	// libzmq's default, 1.
	MulticastHops int
	// MulticastNoLoop is ZMQ_MULTICAST_LOOP=0: do not deliver multicast
	// datagrams back to the sending host (libzmq's default is to loop).
	MulticastNoLoop bool
	// Rate is ZMQ_RATE, the multicast data rate in kilobits per second
	// (pgm, epgm); <=0 means libzmq's default, 100.
	Rate int
	// RecoveryInterval is ZMQ_RECOVERY_IVL, how long multicast data stays
	// available for repair (pgm, epgm); <=0 means libzmq's default, 10s.
	// (The core passes libzmq's RECOVERY_IVL 0, which keeps a single
	// packet, as 1ns.)
	RecoveryInterval time.Duration
	// MulticastMaxTPDU is ZMQ_MULTICAST_MAXTPDU, the largest multicast
	// packet in bytes, IP and UDP headers included (pgm, epgm); <=0
	// means libzmq's default, 1500.
	MulticastMaxTPDU int

	// Mechanism is the socket's ZMQ_MECHANISM name ("NULL", "PLAIN",
	// "CURVE", ...) and AsServer its ZMQ_PLAIN_SERVER / ZMQ_CURVE_SERVER
	// role: a frame transport whose own handshake names the mechanism (the
	// ws subprotocols) offers and chooses by them.
	Mechanism string
	AsServer  bool
	// SocketType is the socket's ZMTP type name ("PUB", "DEALER", ...).
	SocketType string
	// MaxMsgSize is ZMQ_MAXMSGSIZE, the largest frame body a connection
	// accepts; <0 means no limit.
	MaxMsgSize int64
	// HandshakeInterval is ZMQ_HANDSHAKE_IVL (0: none). The core bounds
	// Handshaker.Handshake and its own handshake by it; a transport may use
	// it for work done before a connection reaches a socket (ws reading the
	// request of a connection on a port that several binds share).
	HandshakeInterval time.Duration

	// Extra carries transport-specific options by name, as the application
	// set them with core.WithTransportOption; transports must not modify it.
	Extra map[string]any
}

// Event kinds a transport reports, numbered as libzmq's monitor events.
type EventKind uint32

// Lifecycle events; the values are libzmq's ZMQ_EVENT_* numbers.
const (
	EventConnected      EventKind = 0x0001
	EventConnectDelayed EventKind = 0x0002
	EventConnectRetried EventKind = 0x0004
	EventListening      EventKind = 0x0008
	EventBindFailed     EventKind = 0x0010
	EventAccepted       EventKind = 0x0020
	EventAcceptFailed   EventKind = 0x0040
	EventClosed         EventKind = 0x0080
	EventCloseFailed    EventKind = 0x0100
	EventDisconnected   EventKind = 0x0200
	// EventDataLost is a zmqkit extension (libzmq has no such event): a
	// receiver of a multicast transport (pgm, epgm) lost data for good.
	// Value is the number of packets lost, Remote names the source.
	EventDataLost EventKind = 0x0100_0000
)

// Event is one lifecycle event. It is plain data.
type Event struct {
	Kind     EventKind
	Endpoint string // the bound or connect endpoint
	Local    string // local address of the connection, if any
	Remote   string // remote address of the connection, if any
	FD       int    // descriptor concerned, -1 if none
	Errno    int    // platform errno for *_FAILED events, 0 if none
	Err      error  // the error behind a failure, if any
	Value    uint64 // EventDataLost: the number of packets lost
}

// Hook receives lifecycle events. Implementations must not block.
type Hook interface {
	TransportEvent(e Event)
}

// HookFunc adapts a function to Hook.
type HookFunc func(Event)

// TransportEvent calls f(e).
func (f HookFunc) TransportEvent(e Event) { f(e) }

// Emit sends e to cfg.Hook if there is one.
func (cfg *Config) Emit(e Event) {
	if cfg != nil && cfg.Hook != nil {
		cfg.Hook.TransportEvent(e)
	}
}

// Errors transports wrap so the core can map them to libzmq's errno values.
var (
	ErrClosed           = errors.New("transport: closed")                  // ENOTSOCK/ETERM
	ErrInvalidEndpoint  = errors.New("transport: invalid endpoint")        // EINVAL
	ErrAddrInUse        = errors.New("transport: address in use")          // EADDRINUSE
	ErrAddrNotAvailable = errors.New("transport: address not available")   // EADDRNOTAVAIL
	ErrNoDevice         = errors.New("transport: no such device")          // ENODEV
	ErrNameTooLong      = errors.New("transport: name too long")           // ENAMETOOLONG
	ErrNotSupported     = errors.New("transport: operation not supported") // ENOTSUP
	// ErrProtocol: the peer broke the transport's protocol (EPROTO). The
	// core drops the connection and, as libzmq after a protocol error, does
	// not reconnect.
	ErrProtocol = errors.New("transport: protocol error")
)
