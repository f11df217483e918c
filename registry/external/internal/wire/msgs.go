package wire

import (
	"fmt"
	"time"

	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/registry/transport"
)

// DescribeRequest asks what a plugin serves.
type DescribeRequest struct{}

// DescribeReply says what a plugin serves.
type DescribeReply struct {
	Name       string          // the plugin's name (its binary's)
	Pid        int             // the plugin's process id
	GoVersion  string          // the Go release it was built with
	Version    string          // the binary's semantic version (serve.Config.Version, or its plugins')
	Module     string          // the binary's main module, path@version, from its build information
	Transports []TransportInfo // in the order Serve got them
	Mechanisms []MechanismInfo
	FDPassing  bool // descriptors can be handed over (a Unix side channel)
	Channels   bool // the side channel is up: local channels can be opened
}

// TransportInfo describes one transport.
type TransportInfo struct {
	Schemes     []string
	Kind        transport.Kind
	DialChecker bool
	Version     string // the semantic version of the module providing it
}

// MechanismInfo describes one mechanism.
type MechanismInfo struct {
	Name    string
	Export  bool   // its sessions implement mechanism.StateExporter
	Version string // the semantic version of the module providing it
}

// KindName names a transport kind as Describe's users show it.
func KindName(k transport.Kind) string {
	switch k {
	case transport.KindStream:
		return "stream"
	case transport.KindFrame:
		return "frame"
	case transport.KindPipe:
		return "pipe"
	case transport.KindDatagram:
		return "datagram"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Config is transport.Config without Hook and Offer, its Extra values
// tagged with their types. Every other field crosses as it is, by name,
// so fields added to transport.Config later cross too.
type Config struct {
	C     transport.Config
	Extra map[string]Value `json:",omitempty"`
}

// Value is one transport option value of a type that can cross.
type Value struct {
	T     string   // "bool", "int", "int64", "uint", "uint64", "float64", "string", "bytes", "strings", "duration"
	B     bool     `json:",omitempty"`
	I     int64    `json:",omitempty"`
	U     uint64   `json:",omitempty"`
	F     float64  `json:",omitempty"`
	S     string   `json:",omitempty"`
	Bytes []byte   `json:",omitempty"`
	Strs  []string `json:",omitempty"`
}

// ToValue encodes v, or fails for a type that can not cross a process
// boundary.
func ToValue(v any) (Value, error) {
	switch x := v.(type) {
	case bool:
		return Value{T: "bool", B: x}, nil
	case int:
		return Value{T: "int", I: int64(x)}, nil
	case int64:
		return Value{T: "int64", I: x}, nil
	case int32:
		return Value{T: "int64", I: int64(x)}, nil
	case uint:
		return Value{T: "uint", U: uint64(x)}, nil
	case uint64:
		return Value{T: "uint64", U: x}, nil
	case uint32:
		return Value{T: "uint64", U: uint64(x)}, nil
	case float64:
		return Value{T: "float64", F: x}, nil
	case string:
		return Value{T: "string", S: x}, nil
	case []byte:
		return Value{T: "bytes", Bytes: x}, nil
	case []string:
		return Value{T: "strings", Strs: x}, nil
	case time.Duration:
		return Value{T: "duration", I: int64(x)}, nil
	}
	return Value{}, fmt.Errorf("a value of type %T can not be passed to an out-of-process plugin", v)
}

// Any decodes v.
func (v Value) Any() any {
	switch v.T {
	case "bool":
		return v.B
	case "int":
		return int(v.I)
	case "int64":
		return v.I
	case "uint":
		return uint(v.U)
	case "uint64":
		return v.U
	case "float64":
		return v.F
	case "string":
		return v.S
	case "bytes":
		return v.Bytes
	case "strings":
		return v.Strs
	case "duration":
		return time.Duration(v.I)
	}
	return nil
}

// FromConfig converts c; an Extra value that can not cross fails.
func FromConfig(c *transport.Config) (Config, error) {
	if c == nil {
		return Config{C: transport.Config{KeepAlive: -1, KeepAliveCount: -1}}, nil
	}
	w := Config{C: *c}
	w.C.Hook, w.C.Offer, w.C.Extra = nil, nil, nil
	if len(c.Extra) > 0 {
		w.Extra = make(map[string]Value, len(c.Extra))
		for k, v := range c.Extra {
			x, err := ToValue(v)
			if err != nil {
				return w, fmt.Errorf("%w: transport option %q: %v", transport.ErrNotSupported, k, err)
			}
			w.Extra[k] = x
		}
	}
	return w, nil
}

// ToConfig converts w back, with hook h.
func (w *Config) ToConfig(h transport.Hook) *transport.Config {
	c := w.C
	c.Hook, c.Offer = h, nil
	if len(w.Extra) > 0 {
		c.Extra = make(map[string]any, len(w.Extra))
		for k, v := range w.Extra {
			c.Extra[k] = v.Any()
		}
	}
	return &c
}

// Event is a transport.Event.
type Event struct {
	Kind     transport.EventKind
	Endpoint string `json:",omitempty"`
	Local    string `json:",omitempty"`
	Remote   string `json:",omitempty"`
	FD       int
	Errno    int    `json:",omitempty"`
	Err      *Error `json:",omitempty"`
	Value    uint64 `json:",omitempty"` // EventDataLost: packets lost
}

// FromEvent converts e.
func FromEvent(e transport.Event) Event {
	return Event{Kind: e.Kind, Endpoint: e.Endpoint, Local: e.Local, Remote: e.Remote,
		FD: e.FD, Errno: e.Errno, Err: FromError(e.Err), Value: e.Value}
}

// ToEvent converts w back.
func (w Event) ToEvent() transport.Event {
	return transport.Event{Kind: w.Kind, Endpoint: w.Endpoint, Local: w.Local, Remote: w.Remote,
		FD: w.FD, Errno: w.Errno, Err: w.Err.ToError(), Value: w.Value}
}

// ListenRequest binds an address.
type ListenRequest struct {
	Transport int // index in DescribeReply.Transports
	Scheme    string
	Addr      string
	Config    Config
	Hook      uint64 // the host's hook for events outside of calls
	// KeepConns: the plugin keeps every connection, handing over a local
	// channel instead of a descriptor.
	KeepConns bool
}

// ListenReply answers Listen.
type ListenReply struct {
	Listener uint64
	Endpoint string
	Events   []Event
	Err      *Error
}

// AcceptRequest waits for a connection on a listener.
type AcceptRequest struct {
	Listener uint64
	Token    uint64 // tags the descriptor handed over
}

// DialRequest connects.
type DialRequest struct {
	Transport int
	Scheme    string
	Addr      string
	Config    Config
	Hook      uint64
	Token     uint64
	KeepConns bool // as in ListenRequest
}

// Conn modes: how the host gets at a connection.
const (
	// ModeFD: the connection's own descriptor was handed over.
	ModeFD = iota
	// ModeChannel: a local channel was handed over; the plugin pumps.
	ModeChannel
)

// ConnReply answers Accept and Dial.
type ConnReply struct {
	ID       uint64 // the plugin's id of a ModeChannel connection
	Mode     int
	Local    string
	Remote   string
	Peer     string
	PluginFD int        // the connection's descriptor in the plugin, -1 if none
	Frame    *FrameInfo `json:",omitempty"`
	Events   []Event
	Err      *Error
}

// FrameInfo is what a frame connection implements beyond
// transport.FrameConn: the host's side mirrors it.
type FrameInfo struct {
	// Mode is the connection's transport.FrameMode; a Handshaker's comes
	// with the reply to the Handshake call instead (it may depend on the
	// handshake).
	Mode       transport.FrameMode
	Handshaker bool // transport.Handshaker: the host calls Handshake
	Pinger     bool // transport.Pinger: FlagPing and FlagActivity records
}

// HandshakeRequest runs a frame connection's transport.Handshaker in the
// plugin; the call's deadline and cancellation are the host's ctx.
type HandshakeRequest struct {
	Conn uint64 // ConnReply.ID
}

// HandshakeReply answers Handshake: the connection's FrameMode once the
// handshake is done.
type HandshakeReply struct {
	Mode transport.FrameMode
	Err  *Error
}

// CloseRequest closes a listener.
type CloseRequest struct {
	Listener uint64
}

// CheckDialRequest checks a dial address.
type CheckDialRequest struct {
	Transport int
	Scheme    string
	Addr      string
}

// ErrReply is a reply that carries only an error and events.
type ErrReply struct {
	Events []Event
	Err    *Error
}

// PingRequest and PingReply check that the plugin answers.
type (
	PingRequest struct{}
	PingReply   struct{ Pid int }
)

// SessionMsg is what the host sends on a mechanism session's stream.
type SessionMsg struct {
	Op   string       // OpInit, OpProcess, OpAnswer, OpData, OpExport
	Init *SessionInit `json:",omitempty"`
	Cmd  []byte       `json:",omitempty"`
	// answers to callbacks
	Available bool                `json:",omitempty"`
	ZAPReply  *mechanism.ZAPReply `json:",omitempty"`
	Err       *Error              `json:",omitempty"`
	// OpData: the tokens of the two data channels
	EncToken, DecToken uint64
}

// Session operations.
const (
	OpInit    = "init"
	OpProcess = "process"
	OpAnswer  = "answer"
	OpData    = "data"
	OpExport  = "export"
)

// SessionInit is mechanism.Config without its functions.
type SessionInit struct {
	Mechanism        int // index in DescribeReply.Mechanisms
	AsServer         bool
	SocketType       string
	Metadata         []mechanism.Property
	Options          map[string][]byte
	ZAPDomain        string
	ZAPEnforceDomain bool
	PeerAddress      string
	RoutingID        []byte
	HasZAP           bool
}

// SessionEvt is what the plugin sends on a session's stream: a callback
// to answer, or the reply to the last operation.
type SessionEvt struct {
	Callback   string                `json:",omitempty"` // CbZAPAvailable, CbZAPAuth, CbCheckPeer
	ZAPRequest *mechanism.ZAPRequest `json:",omitempty"`
	Props      []mechanism.Property  `json:",omitempty"`
	// reply
	Cmds       [][]byte `json:",omitempty"` // commands Next returned, in order
	NextErr    *Error   `json:",omitempty"` // the error Next returned after them
	Err        *Error   `json:",omitempty"` // the operation's error
	Status     mechanism.Status
	Transforms bool
	PeerProps  []mechanism.Property `json:",omitempty"`
	State      []byte               `json:",omitempty"` // OpExport
}

// Session callbacks.
const (
	CbZAPAvailable = "zap-available"
	CbZAPAuth      = "zap-auth"
	CbCheckPeer    = "check-peer"
)
