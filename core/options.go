package core

import (
	"fmt"
	"strings"
	"time"

	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/mechanism"
)

// Options is the full set of a socket's options. Socket.Options returns a
// copy; change options with the With* functions, at NewSocket or later with
// Socket.SetOption. Each field names the libzmq option it mirrors and its
// default. Durations use -1 for "infinite" where libzmq uses -1.
type Options struct {
	// SendHWM (ZMQ_SNDHWM, default 1000; 0 = unlimited): messages queued per peer.
	SendHWM int
	// RecvHWM (ZMQ_RCVHWM, default 1000; 0 = unlimited). A stream
	// connection also reads at most 256 KiB ahead (WithRecvHWM).
	RecvHWM int
	// Linger (ZMQ_LINGER, default -1 = wait forever; 0 for SUB/XSUB/DISH, or
	// when the context is not blocky): how long Close and Term keep unsent
	// messages for their peers, also for a connected peer that is not
	// there yet.
	Linger time.Duration
	// SendTimeout (ZMQ_SNDTIMEO, default -1 = block): used when a send's
	// context has no deadline; then the send fails with ErrWouldBlock.
	SendTimeout time.Duration
	// RecvTimeout (ZMQ_RCVTIMEO, default -1 = block).
	RecvTimeout time.Duration
	// ReconnectInterval (ZMQ_RECONNECT_IVL, default 100ms; -1 = never reconnect).
	ReconnectInterval time.Duration
	// ReconnectIntervalMax (ZMQ_RECONNECT_IVL_MAX, default 0 = no back-off).
	ReconnectIntervalMax time.Duration
	// ReconnectStop (ZMQ_RECONNECT_STOP, default 0): ReconnectStop* bits.
	ReconnectStop int
	// ConnectTimeout (ZMQ_CONNECT_TIMEOUT, default 0 = OS timeout).
	ConnectTimeout time.Duration
	// HandshakeInterval (ZMQ_HANDSHAKE_IVL, default 30s; 0 = none).
	HandshakeInterval time.Duration
	// HeartbeatInterval (ZMQ_HEARTBEAT_IVL, default 0 = no PINGs).
	HeartbeatInterval time.Duration
	// HeartbeatTTL (ZMQ_HEARTBEAT_TTL, default 0): sent in PINGs, in 100 ms units on the wire.
	HeartbeatTTL time.Duration
	// HeartbeatTimeout (ZMQ_HEARTBEAT_TIMEOUT, default -1 = HeartbeatInterval).
	HeartbeatTimeout time.Duration
	// Immediate (ZMQ_IMMEDIATE, default false): queue only to completed connections.
	Immediate bool
	// Conflate (ZMQ_CONFLATE, default false): keep only the last message.
	Conflate bool
	// MaxMsgSize (ZMQ_MAXMSGSIZE, default -1 = no limit): largest inbound
	// frame, as in libzmq (each frame of a multipart message on its own).
	MaxMsgSize int64
	// MaxMultipartSize (no libzmq equivalent, default -1 = no limit):
	// largest inbound message, all its frames together; each frame counts
	// its octets plus 16 (WithMaxMultipartSize).
	MaxMultipartSize int64
	// Backlog (ZMQ_BACKLOG, default 100).
	Backlog int
	// RoutingID (ZMQ_ROUTING_ID, default empty; 1-255 bytes).
	RoutingID []byte
	// ConnectRoutingID (ZMQ_CONNECT_ROUTING_ID): ROUTER/STREAM id for the next Connect's peer.
	ConnectRoutingID []byte
	// RouterMandatory (ZMQ_ROUTER_MANDATORY, default false).
	RouterMandatory bool
	// RouterHandover (ZMQ_ROUTER_HANDOVER, default false).
	RouterHandover bool
	// RouterNotify (ZMQ_ROUTER_NOTIFY, default 0): NotifyConnect|NotifyDisconnect.
	RouterNotify int
	// ProbeRouter (ZMQ_PROBE_ROUTER, default false).
	ProbeRouter bool
	// ReqCorrelate (ZMQ_REQ_CORRELATE, default false).
	ReqCorrelate bool
	// ReqRelaxed (ZMQ_REQ_RELAXED, default false).
	ReqRelaxed bool
	// StreamNotify (ZMQ_STREAM_NOTIFY, default true).
	StreamNotify bool
	// XPubVerbose (ZMQ_XPUB_VERBOSE, default false).
	XPubVerbose bool
	// XPubVerboser (ZMQ_XPUB_VERBOSER, default false).
	XPubVerboser bool
	// XPubManual (ZMQ_XPUB_MANUAL, default false).
	XPubManual bool
	// XPubManualLastValue (ZMQ_XPUB_MANUAL_LAST_VALUE, default false).
	XPubManualLastValue bool
	// XPubNoDrop (ZMQ_XPUB_NODROP, default false).
	XPubNoDrop bool
	// XPubWelcomeMsg (ZMQ_XPUB_WELCOME_MSG, default none).
	XPubWelcomeMsg []byte
	// XSubVerboseUnsubscribe (ZMQ_XSUB_VERBOSE_UNSUBSCRIBE, default false).
	XSubVerboseUnsubscribe bool
	// OnlyFirstSubscribe (ZMQ_ONLY_FIRST_SUBSCRIBE, default false).
	OnlyFirstSubscribe bool
	// InvertMatching (ZMQ_INVERT_MATCHING, default false).
	InvertMatching bool
	// HelloMsg (ZMQ_HELLO_MSG, default none).
	HelloMsg []byte
	// DisconnectMsg (ZMQ_DISCONNECT_MSG, default none).
	DisconnectMsg []byte
	// HiccupMsg (ZMQ_HICCUP_MSG, default none).
	HiccupMsg []byte
	// Metadata (ZMQ_METADATA): application properties sent in READY; names start with "X-".
	Metadata map[string]string
	// IPv6 (ZMQ_IPV6, default the context's, false).
	IPv6 bool
	// SendBuffer (ZMQ_SNDBUF, default -1 = OS default), bytes.
	SendBuffer int
	// RecvBuffer (ZMQ_RCVBUF, default -1 = OS default), bytes.
	RecvBuffer int
	// TOS (ZMQ_TOS, default 0).
	TOS int
	// Priority (ZMQ_PRIORITY, default 0).
	Priority int
	// BindToDevice (ZMQ_BINDTODEVICE, default none).
	BindToDevice string
	// TCPKeepAlive (ZMQ_TCP_KEEPALIVE, default -1 = OS default; 0 off, 1 on).
	TCPKeepAlive int
	// TCPKeepAliveCount (ZMQ_TCP_KEEPALIVE_CNT, default -1).
	TCPKeepAliveCount int
	// TCPKeepAliveIdle (ZMQ_TCP_KEEPALIVE_IDLE, default -1).
	TCPKeepAliveIdle time.Duration
	// TCPKeepAliveInterval (ZMQ_TCP_KEEPALIVE_INTVL, default -1).
	TCPKeepAliveInterval time.Duration
	// TCPMaxRT (ZMQ_TCP_MAXRT, default 0).
	TCPMaxRT time.Duration
	// ZAPDomain (ZMQ_ZAP_DOMAIN, default empty).
	ZAPDomain string
	// ZAPEnforceDomain (ZMQ_ZAP_ENFORCE_DOMAIN, default false).
	ZAPEnforceDomain bool
	// Mechanism is the security mechanism name ("NULL" by default; set by
	// the PLAIN/CURVE options of their plugins) (ZMQ_MECHANISM).
	Mechanism string
	// AsServer is the mechanism role (ZMQ_PLAIN_SERVER / ZMQ_CURVE_SERVER).
	AsServer bool
	// MechanismOptions carries mechanism options by libzmq name without
	// the ZMQ_ prefix ("PLAIN_USERNAME", "CURVE_SERVERKEY", ...).
	MechanismOptions map[string][]byte
	// TransportOptions carries options of transport plugins by name (the
	// libzmq name without ZMQ_ where one exists, e.g. "WSS_HOSTNAME"); each
	// plugin's doc lists the names it reads (WithTransportOption).
	TransportOptions map[string]any
	// InBatchSize (ZMQ_IN_BATCH_SIZE, default 65536 here; libzmq 8192):
	// bytes read from a connection per system call.
	InBatchSize int
	// OutBatchSize (ZMQ_OUT_BATCH_SIZE, default 65536 here; libzmq 8192):
	// bytes gathered before a write system call.
	OutBatchSize int
	// MulticastHops (ZMQ_MULTICAST_HOPS, default 1): multicast TTL.
	MulticastHops int
	// MulticastNoLoop is ZMQ_MULTICAST_LOOP=0 (default: loop, false here).
	MulticastNoLoop bool
	// Rate (ZMQ_RATE, default 100): the multicast data rate of pgm and
	// epgm senders in kilobits per second, repairs included.
	Rate int
	// RecoveryInterval (ZMQ_RECOVERY_IVL, default 10s): how long a pgm or
	// epgm sender keeps data for repair, which also sizes the receivers'
	// windows.
	RecoveryInterval time.Duration
	// MulticastMaxTPDU (ZMQ_MULTICAST_MAXTPDU, default 1500): the largest
	// pgm or epgm packet in bytes, IP and UDP headers included.
	MulticastMaxTPDU int
	// Affinity (ZMQ_AFFINITY, default 0) is accepted for compatibility; Go
	// schedules connection goroutines itself, so it has no effect.
	Affinity uint64
	// Subscriptions made with WithSubscribe at creation (ZMQ_SUBSCRIBE).
	subscribe []string
}

// ReconnectStop bits (ZMQ_RECONNECT_STOP_*).
const (
	ReconnectStopConnRefused     = 0x1 // ZMQ_RECONNECT_STOP_CONN_REFUSED
	ReconnectStopHandshakeFailed = 0x2 // ZMQ_RECONNECT_STOP_HANDSHAKE_FAILED
	ReconnectStopAfterDisconnect = 0x4 // ZMQ_RECONNECT_STOP_AFTER_DISCONNECT
)

// RouterNotify bits (ZMQ_NOTIFY_*).
const (
	NotifyConnect    = 1 // ZMQ_NOTIFY_CONNECT
	NotifyDisconnect = 2 // ZMQ_NOTIFY_DISCONNECT
)

func defaultOptions(t SocketType, ctxIPv6, blocky bool) Options {
	o := Options{
		SendHWM:              1000,
		RecvHWM:              1000,
		Linger:               -1,
		SendTimeout:          -1,
		RecvTimeout:          -1,
		ReconnectInterval:    100 * time.Millisecond,
		HandshakeInterval:    30 * time.Second,
		HeartbeatTimeout:     -1,
		MaxMsgSize:           -1,
		MaxMultipartSize:     -1,
		Backlog:              100,
		StreamNotify:         true,
		IPv6:                 ctxIPv6,
		SendBuffer:           -1,
		RecvBuffer:           -1,
		TCPKeepAlive:         -1,
		TCPKeepAliveCount:    -1,
		TCPKeepAliveIdle:     -1,
		TCPKeepAliveInterval: -1,
		Mechanism:            "NULL",
		MulticastHops:        1,
		Rate:                 100,
		RecoveryInterval:     10 * time.Second,
		MulticastMaxTPDU:     1500,
		InBatchSize:          64 << 10,
		OutBatchSize:         64 << 10,
	}
	if !blocky || t == SUB || t == XSUB || t == DISH {
		o.Linger = 0
	}
	if t == STREAM {
		o.InBatchSize = 8192 // raw chunks as large as libzmq's
	}
	return o
}

// Option sets one socket option. Options apply at NewSocket or through
// Socket.SetOption; like libzmq, most take effect for later binds and
// connects, while HWMs, subscriptions, LINGER and the ROUTER/REQ/XPUB
// behaviour flags apply at once.
type Option func(*optionSetter) error

// optionSetter is what an Option changes; sock is nil during NewSocket.
type optionSetter struct {
	o    *Options
	sock *Socket
	typ  SocketType
	reg  *registry.Registry // the context's, to check mechanism choices
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

func nonNegative(name string, v int) error {
	if v < 0 {
		return invalid("%s must be >= 0, got %d", name, v)
	}
	return nil
}

// WithSendHWM sets ZMQ_SNDHWM (default 1000, 0 = unlimited).
func WithSendHWM(n int) Option {
	return func(s *optionSetter) error {
		if err := nonNegative("SNDHWM", n); err != nil {
			return err
		}
		s.o.SendHWM = n
		return nil
	}
}

// WithRecvHWM sets ZMQ_RCVHWM (default 1000, 0 = unlimited).
//
// A tcp, ipc or other stream connection also stops reading once the
// messages it has queued for the socket hold 256 KiB, and reads on when
// the socket has taken half of them; what the peer sends meanwhile waits
// in the kernel's socket buffer. Small messages reach the HWM first. As
// libzmq documents, the actual limit may be lower than the HWM.
func WithRecvHWM(n int) Option {
	return func(s *optionSetter) error {
		if err := nonNegative("RCVHWM", n); err != nil {
			return err
		}
		s.o.RecvHWM = n
		return nil
	}
}

// WithLinger sets ZMQ_LINGER (default -1 = infinite; 0 for SUB/XSUB/DISH):
// how long Close and Term wait for queued messages to reach their peers,
// including the peer of a Connect that has not appeared yet. With -1 they
// wait until the messages are delivered or reconnecting stops.
func WithLinger(d time.Duration) Option {
	return func(s *optionSetter) error {
		if d < 0 {
			d = -1
		}
		s.o.Linger = d
		return nil
	}
}

// WithSendTimeout sets ZMQ_SNDTIMEO (default -1 = block forever).
func WithSendTimeout(d time.Duration) Option {
	return func(s *optionSetter) error {
		if d < 0 {
			d = -1
		}
		s.o.SendTimeout = d
		return nil
	}
}

// WithRecvTimeout sets ZMQ_RCVTIMEO (default -1 = block forever).
func WithRecvTimeout(d time.Duration) Option {
	return func(s *optionSetter) error {
		if d < 0 {
			d = -1
		}
		s.o.RecvTimeout = d
		return nil
	}
}

// WithReconnectInterval sets ZMQ_RECONNECT_IVL (default 100ms; -1 = never reconnect).
func WithReconnectInterval(d time.Duration) Option {
	return func(s *optionSetter) error {
		if d < 0 {
			d = -1
		}
		s.o.ReconnectInterval = d
		return nil
	}
}

// WithReconnectIntervalMax sets ZMQ_RECONNECT_IVL_MAX (default 0 = no exponential back-off).
func WithReconnectIntervalMax(d time.Duration) Option {
	return func(s *optionSetter) error {
		if d < 0 {
			return invalid("RECONNECT_IVL_MAX must be >= 0")
		}
		s.o.ReconnectIntervalMax = d
		return nil
	}
}

// WithReconnectStop sets ZMQ_RECONNECT_STOP (default 0): ReconnectStop* bits.
func WithReconnectStop(bits int) Option {
	return func(s *optionSetter) error {
		if bits&^0x7 != 0 {
			return invalid("RECONNECT_STOP bits %#x", bits)
		}
		s.o.ReconnectStop = bits
		return nil
	}
}

// WithConnectTimeout sets ZMQ_CONNECT_TIMEOUT (default 0 = the OS's).
func WithConnectTimeout(d time.Duration) Option {
	return func(s *optionSetter) error {
		if d < 0 {
			return invalid("CONNECT_TIMEOUT must be >= 0")
		}
		s.o.ConnectTimeout = d
		return nil
	}
}

// WithHandshakeInterval sets ZMQ_HANDSHAKE_IVL (default 30s; 0 = no limit).
func WithHandshakeInterval(d time.Duration) Option {
	return func(s *optionSetter) error {
		if d < 0 {
			return invalid("HANDSHAKE_IVL must be >= 0")
		}
		s.o.HandshakeInterval = d
		return nil
	}
}

// WithHeartbeat sets ZMQ_HEARTBEAT_IVL, ZMQ_HEARTBEAT_TTL and
// ZMQ_HEARTBEAT_TIMEOUT (defaults 0, 0, and -1 meaning "same as the
// interval"). The TTL travels in 100 ms units and must be below 6553.6 s.
func WithHeartbeat(interval, ttl, timeout time.Duration) Option {
	return func(s *optionSetter) error {
		if interval < 0 || ttl < 0 || ttl > 6553599*time.Millisecond {
			return invalid("heartbeat interval %v / ttl %v", interval, ttl)
		}
		if timeout < 0 {
			timeout = -1
		}
		s.o.HeartbeatInterval, s.o.HeartbeatTTL, s.o.HeartbeatTimeout = interval, ttl, timeout
		return nil
	}
}

// WithImmediate sets ZMQ_IMMEDIATE (default false).
func WithImmediate(on bool) Option {
	return func(s *optionSetter) error { s.o.Immediate = on; return nil }
}

// WithConflate sets ZMQ_CONFLATE (default false): keep only the newest
// message; effective on DEALER, PULL, PUSH, PUB and SUB.
func WithConflate(on bool) Option {
	return func(s *optionSetter) error { s.o.Conflate = on; return nil }
}

// WithMaxMsgSize sets ZMQ_MAXMSGSIZE (default -1 = unlimited): a peer that
// sends a larger frame is disconnected before the frame is allocated. As
// in libzmq the limit applies to each frame of a multipart message on its
// own; WithMaxMultipartSize bounds a whole message. Without either, a
// frame or message larger than the machine's memory (a header announcing
// 2^62 octets) still ends the connection at once.
func WithMaxMsgSize(n int64) Option {
	return func(s *optionSetter) error {
		if n < -1 {
			return invalid("MAXMSGSIZE %d", n)
		}
		s.o.MaxMsgSize = n
		return nil
	}
}

// WithMaxMultipartSize bounds a whole inbound message (default -1 =
// unlimited; zmqkit's own option, libzmq has none): a peer whose message
// grows past n is disconnected as for MAXMSGSIZE (DISCONNECTED with
// EMSGSIZE, no reconnect from that peer's side of a protocol error). Each
// frame counts its octets plus 16, so a flood of 1-octet frames is bounded
// too. A partial message holds at most about 1.25 times its octets (plus 4
// per frame) while it arrives.
func WithMaxMultipartSize(n int64) Option {
	return func(s *optionSetter) error {
		if n < -1 {
			return invalid("MaxMultipartSize %d", n)
		}
		s.o.MaxMultipartSize = n
		return nil
	}
}

// WithBacklog sets ZMQ_BACKLOG (default 100).
func WithBacklog(n int) Option {
	return func(s *optionSetter) error {
		if err := nonNegative("BACKLOG", n); err != nil {
			return err
		}
		s.o.Backlog = n
		return nil
	}
}

// WithRoutingID sets ZMQ_ROUTING_ID (default empty; 1 to 255 bytes).
func WithRoutingID(id []byte) Option {
	return func(s *optionSetter) error {
		if len(id) == 0 || len(id) > 255 {
			return invalid("ROUTING_ID must be 1-255 bytes, got %d", len(id))
		}
		s.o.RoutingID = append([]byte(nil), id...)
		return nil
	}
}

// WithConnectRoutingID sets ZMQ_CONNECT_ROUTING_ID: the routing id a
// ROUTER or STREAM socket gives the peer of its next Connect.
func WithConnectRoutingID(id []byte) Option {
	return func(s *optionSetter) error {
		if len(id) == 0 || len(id) > 255 {
			return invalid("CONNECT_ROUTING_ID must be 1-255 bytes")
		}
		if s.typ != ROUTER && s.typ != STREAM {
			return fmt.Errorf("%w: CONNECT_ROUTING_ID on %v", ErrNotSupported, s.typ)
		}
		s.o.ConnectRoutingID = append([]byte(nil), id...)
		return nil
	}
}

func typeFlag(name string, types []SocketType, set func(o *Options)) Option {
	return func(s *optionSetter) error {
		for _, t := range types {
			if s.typ == t {
				set(s.o)
				return nil
			}
		}
		return invalid("%s does not apply to %v", name, s.typ)
	}
}

// WithRouterMandatory sets ZMQ_ROUTER_MANDATORY (default false): unroutable
// sends fail with ErrHostUnreachable, full peers block.
func WithRouterMandatory(on bool) Option {
	return typeFlag("ROUTER_MANDATORY", []SocketType{ROUTER}, func(o *Options) { o.RouterMandatory = on })
}

// WithRouterHandover sets ZMQ_ROUTER_HANDOVER (default false).
func WithRouterHandover(on bool) Option {
	return typeFlag("ROUTER_HANDOVER", []SocketType{ROUTER}, func(o *Options) { o.RouterHandover = on })
}

// WithRouterNotify sets ZMQ_ROUTER_NOTIFY (default 0): NotifyConnect and/or
// NotifyDisconnect make ROUTER deliver [id][empty] on those events.
func WithRouterNotify(bits int) Option {
	return func(s *optionSetter) error {
		if s.typ != ROUTER || bits&^3 != 0 {
			return invalid("ROUTER_NOTIFY %d on %v", bits, s.typ)
		}
		s.o.RouterNotify = bits
		return nil
	}
}

// WithProbeRouter sets ZMQ_PROBE_ROUTER (default false): send an empty
// message to each new peer (ROUTER, DEALER, REQ).
func WithProbeRouter(on bool) Option {
	return typeFlag("PROBE_ROUTER", []SocketType{ROUTER, DEALER, REQ}, func(o *Options) { o.ProbeRouter = on })
}

// WithReqCorrelate sets ZMQ_REQ_CORRELATE (default false).
func WithReqCorrelate(on bool) Option {
	return typeFlag("REQ_CORRELATE", []SocketType{REQ}, func(o *Options) { o.ReqCorrelate = on })
}

// WithReqRelaxed sets ZMQ_REQ_RELAXED (default false).
func WithReqRelaxed(on bool) Option {
	return typeFlag("REQ_RELAXED", []SocketType{REQ}, func(o *Options) { o.ReqRelaxed = on })
}

// WithStreamNotify sets ZMQ_STREAM_NOTIFY (default true).
func WithStreamNotify(on bool) Option {
	return typeFlag("STREAM_NOTIFY", []SocketType{STREAM}, func(o *Options) { o.StreamNotify = on })
}

// WithXPubVerbose sets ZMQ_XPUB_VERBOSE (default false).
func WithXPubVerbose(on bool) Option {
	return typeFlag("XPUB_VERBOSE", []SocketType{XPUB}, func(o *Options) { o.XPubVerbose = on })
}

// WithXPubVerboser sets ZMQ_XPUB_VERBOSER (default false).
func WithXPubVerboser(on bool) Option {
	return typeFlag("XPUB_VERBOSER", []SocketType{XPUB}, func(o *Options) { o.XPubVerboser = on })
}

// WithXPubManual sets ZMQ_XPUB_MANUAL (default false).
func WithXPubManual(on bool) Option {
	return typeFlag("XPUB_MANUAL", []SocketType{XPUB}, func(o *Options) { o.XPubManual = on })
}

// WithXPubManualLastValue sets ZMQ_XPUB_MANUAL_LAST_VALUE (default false).
func WithXPubManualLastValue(on bool) Option {
	return typeFlag("XPUB_MANUAL_LAST_VALUE", []SocketType{XPUB}, func(o *Options) { o.XPubManualLastValue = on; o.XPubManual = on || o.XPubManual })
}

// WithXPubNoDrop sets ZMQ_XPUB_NODROP (default false): block instead of drop.
func WithXPubNoDrop(on bool) Option {
	return typeFlag("XPUB_NODROP", []SocketType{PUB, XPUB, RADIO}, func(o *Options) { o.XPubNoDrop = on })
}

// WithXPubWelcomeMsg sets ZMQ_XPUB_WELCOME_MSG (default none).
func WithXPubWelcomeMsg(msg []byte) Option {
	return typeFlag("XPUB_WELCOME_MSG", []SocketType{XPUB}, func(o *Options) { o.XPubWelcomeMsg = append([]byte(nil), msg...) })
}

// WithXSubVerboseUnsubscribe sets ZMQ_XSUB_VERBOSE_UNSUBSCRIBE (default false).
func WithXSubVerboseUnsubscribe(on bool) Option {
	return typeFlag("XSUB_VERBOSE_UNSUBSCRIBE", []SocketType{XSUB}, func(o *Options) { o.XSubVerboseUnsubscribe = on })
}

// WithOnlyFirstSubscribe sets ZMQ_ONLY_FIRST_SUBSCRIBE (default false).
func WithOnlyFirstSubscribe(on bool) Option {
	return typeFlag("ONLY_FIRST_SUBSCRIBE", []SocketType{XPUB, XSUB}, func(o *Options) { o.OnlyFirstSubscribe = on })
}

// WithInvertMatching sets ZMQ_INVERT_MATCHING (default false).
func WithInvertMatching(on bool) Option {
	return typeFlag("INVERT_MATCHING", []SocketType{PUB, XPUB, SUB}, func(o *Options) { o.InvertMatching = on })
}

// WithSubscribe subscribes a SUB socket to topic (ZMQ_SUBSCRIBE) at creation.
func WithSubscribe(topic string) Option {
	return func(s *optionSetter) error {
		if s.typ != SUB && s.typ != XSUB && s.typ != XPUB {
			return invalid("SUBSCRIBE on %v", s.typ)
		}
		if s.sock != nil {
			return s.sock.subscribe(topic, true)
		}
		s.o.subscribe = append(s.o.subscribe, topic)
		return nil
	}
}

// WithHelloMsg sets ZMQ_HELLO_MSG (default none).
func WithHelloMsg(msg []byte) Option {
	return func(s *optionSetter) error { s.o.HelloMsg = append([]byte(nil), msg...); return nil }
}

// WithDisconnectMsg sets ZMQ_DISCONNECT_MSG (default none).
func WithDisconnectMsg(msg []byte) Option {
	return func(s *optionSetter) error { s.o.DisconnectMsg = append([]byte(nil), msg...); return nil }
}

// WithHiccupMsg sets ZMQ_HICCUP_MSG (default none).
func WithHiccupMsg(msg []byte) Option {
	return func(s *optionSetter) error { s.o.HiccupMsg = append([]byte(nil), msg...); return nil }
}

// WithMetadata adds an application property (ZMQ_METADATA "X-name:value").
// The name must start with "X-" and both must be at most 255 bytes.
func WithMetadata(name, value string) Option {
	return func(s *optionSetter) error {
		if !strings.HasPrefix(name, "X-") || len(name) > 255 || len(name) < 3 || len(value) > 255 {
			return invalid("METADATA name %q", name)
		}
		if s.o.Metadata == nil {
			s.o.Metadata = map[string]string{}
		}
		s.o.Metadata[name] = value
		return nil
	}
}

// WithIPv6 sets ZMQ_IPV6 (default the context's setting, false).
func WithIPv6(on bool) Option {
	return func(s *optionSetter) error { s.o.IPv6 = on; return nil }
}

// WithSendBuffer sets ZMQ_SNDBUF in bytes (default -1 = OS default).
func WithSendBuffer(n int) Option {
	return func(s *optionSetter) error { s.o.SendBuffer = n; return nil }
}

// WithRecvBuffer sets ZMQ_RCVBUF in bytes (default -1 = OS default).
func WithRecvBuffer(n int) Option {
	return func(s *optionSetter) error { s.o.RecvBuffer = n; return nil }
}

// WithTOS sets ZMQ_TOS (default 0).
func WithTOS(tos int) Option {
	return func(s *optionSetter) error {
		if err := nonNegative("TOS", tos); err != nil {
			return err
		}
		s.o.TOS = tos
		return nil
	}
}

// WithPriority sets ZMQ_PRIORITY (SO_PRIORITY, default 0).
func WithPriority(p int) Option {
	return func(s *optionSetter) error {
		if err := nonNegative("PRIORITY", p); err != nil {
			return err
		}
		s.o.Priority = p
		return nil
	}
}

// WithBindToDevice sets ZMQ_BINDTODEVICE (default none).
func WithBindToDevice(dev string) Option {
	return func(s *optionSetter) error { s.o.BindToDevice = dev; return nil }
}

// WithTCPKeepAlive sets ZMQ_TCP_KEEPALIVE (-1 OS default, 0 off, 1 on),
// ZMQ_TCP_KEEPALIVE_CNT, _IDLE and _INTVL (-1 = OS default).
func WithTCPKeepAlive(on, count int, idle, interval time.Duration) Option {
	return func(s *optionSetter) error {
		if on < -1 || on > 1 {
			return invalid("TCP_KEEPALIVE %d", on)
		}
		s.o.TCPKeepAlive, s.o.TCPKeepAliveCount = on, count
		s.o.TCPKeepAliveIdle, s.o.TCPKeepAliveInterval = idle, interval
		return nil
	}
}

// WithTCPMaxRT sets ZMQ_TCP_MAXRT (TCP_USER_TIMEOUT, default 0 = OS default).
func WithTCPMaxRT(d time.Duration) Option {
	return func(s *optionSetter) error { s.o.TCPMaxRT = d; return nil }
}

// WithZAPDomain sets ZMQ_ZAP_DOMAIN (default empty).
func WithZAPDomain(domain string) Option {
	return func(s *optionSetter) error {
		if len(domain) > 255 {
			return invalid("ZAP_DOMAIN longer than 255 bytes")
		}
		s.o.ZAPDomain = domain
		return nil
	}
}

// WithZAPEnforceDomain sets ZMQ_ZAP_ENFORCE_DOMAIN (default false).
func WithZAPEnforceDomain(on bool) Option {
	return func(s *optionSetter) error { s.o.ZAPEnforceDomain = on; return nil }
}

// WithMechanism selects the security mechanism by its ZMTP name, its role
// and options (libzmq names without ZMQ_, e.g. "PLAIN_USERNAME"). Security
// plugins offer typed wrappers; NULL needs no options.
//
// A choice that can never work fails here, with ErrInvalid, rather than
// at every handshake: a mechanism the context's registry does not have
// (GSSAPI, or a plugin that is not imported: the error names the package),
// or options the mechanism rejects (mechanism.OptionChecker: a CURVE
// server without a secret key, a malformed key).
func WithMechanism(name string, asServer bool, opts map[string][]byte) Option {
	return func(s *optionSetter) error {
		if name == "" || len(name) > 20 {
			return invalid("mechanism name %q", name)
		}
		if name != "NULL" && s.reg != nil {
			m, err := s.reg.Mechanism(name)
			if err != nil {
				return fmt.Errorf("%w: %w", ErrInvalid, err)
			}
			if c, ok := m.(mechanism.OptionChecker); ok {
				if err := c.CheckOptions(asServer, opts); err != nil {
					return fmt.Errorf("%w: %s: %w", ErrInvalid, name, err)
				}
			}
		}
		s.o.Mechanism, s.o.AsServer = name, asServer
		s.o.MechanismOptions = opts
		return nil
	}
}

// WithTransportOption sets a transport plugin's option (default: unset).
// Plugins export typed helpers that return the name and value, used as
// WithTransportOption(ws.TLSConfig(cfg)); the value reaches the plugin in
// transport.Config.Extra at the next Bind or Connect. A nil value removes
// the option.
func WithTransportOption(name string, value any) Option {
	return func(s *optionSetter) error {
		if name == "" {
			return invalid("empty transport option name")
		}
		// copy on write: Options() copies share the map
		m := make(map[string]any, len(s.o.TransportOptions)+1)
		for k, v := range s.o.TransportOptions {
			m[k] = v
		}
		if value == nil {
			delete(m, name)
		} else {
			m[name] = value
		}
		s.o.TransportOptions = m
		return nil
	}
}

// WithBatchSizes sets ZMQ_IN_BATCH_SIZE and ZMQ_OUT_BATCH_SIZE in bytes
// (default 65536 each): the read buffer of each connection and the amount
// of encoded messages gathered per write system call.
func WithBatchSizes(in, out int) Option {
	return func(s *optionSetter) error {
		if in <= 0 || out <= 0 {
			return invalid("batch sizes must be > 0")
		}
		s.o.InBatchSize, s.o.OutBatchSize = in, out
		return nil
	}
}

// WithAffinity sets ZMQ_AFFINITY (default 0). It is stored for
// compatibility and has no effect: there are no I/O threads to pin.
func WithAffinity(mask uint64) Option {
	return func(s *optionSetter) error { s.o.Affinity = mask; return nil }
}

// WithMulticastHops sets ZMQ_MULTICAST_HOPS (default 1): the time-to-live
// of outgoing multicast datagrams (udp RADIO).
func WithMulticastHops(hops int) Option {
	return func(s *optionSetter) error {
		if hops <= 0 || hops > 255 {
			return invalid("MULTICAST_HOPS %d", hops)
		}
		s.o.MulticastHops = hops
		return nil
	}
}

// WithMulticastLoop sets ZMQ_MULTICAST_LOOP (default true): whether
// multicast datagrams are delivered back to the sending host.
func WithMulticastLoop(on bool) Option {
	return func(s *optionSetter) error { s.o.MulticastNoLoop = !on; return nil }
}

// WithRate sets ZMQ_RATE in kilobits per second (default 100): the
// multicast data rate of pgm and epgm senders, repairs included. It must
// be > 0.
func WithRate(kbps int) Option {
	return func(s *optionSetter) error {
		if kbps <= 0 {
			return invalid("RATE must be > 0, got %d", kbps)
		}
		s.o.Rate = kbps
		return nil
	}
}

// WithRecoveryInterval sets ZMQ_RECOVERY_IVL (default 10s): how long a pgm
// or epgm sender keeps sent data to repair receivers' losses. libzmq counts
// it in whole milliseconds; it must be >= 0.
func WithRecoveryInterval(d time.Duration) Option {
	return func(s *optionSetter) error {
		if d < 0 {
			return invalid("RECOVERY_IVL must be >= 0, got %v", d)
		}
		s.o.RecoveryInterval = d
		return nil
	}
}

// WithMulticastMaxTPDU sets ZMQ_MULTICAST_MAXTPDU in bytes (default 1500):
// the largest packet a pgm or epgm socket sends, IP and UDP headers
// included. It must be > 0.
func WithMulticastMaxTPDU(n int) Option {
	return func(s *optionSetter) error {
		if n <= 0 {
			return invalid("MULTICAST_MAXTPDU must be > 0, got %d", n)
		}
		s.o.MulticastMaxTPDU = n
		return nil
	}
}
