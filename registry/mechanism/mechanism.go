// Package mechanism defines the contract between the zmqkit core and its
// ZMTP security mechanisms (NULL, PLAIN, CURVE, ...).
//
// A mechanism is a per-connection state machine over ZMTP command bodies:
// the core asks it for the next command to send, feeds it the commands the
// peer sent, and, once the handshake is done, lets it transform each
// traffic frame (CURVE boxes every frame into a MESSAGE command; NULL and
// PLAIN leave frames alone). Everything crosses the interface as bytes and
// plain data, so a mechanism can run in another process.
package mechanism

import (
	"context"
	"errors"
	"fmt"
)

// Mechanism is implemented by every mechanism plugin. Name is the ZMTP
// mechanism name as sent in the greeting ("NULL", "PLAIN", "CURVE").
type Mechanism interface {
	Name() string
	// NewSession starts the handshake state machine for one connection.
	NewSession(cfg *Config) (Session, error)
}

// OptionChecker is implemented by mechanisms that can tell, when a socket
// selects them, that their options can never give a working handshake: a
// missing or malformed key. The core then fails the option at NewSocket or
// SetOption (ErrInvalid) instead of every connection's handshake. opts are
// the options as Config.Options will carry them.
type OptionChecker interface {
	CheckOptions(asServer bool, opts map[string][]byte) error
}

// Property is one ZMTP metadata property (name, value).
type Property struct {
	Name  string
	Value []byte
}

// Config is what the core gives a mechanism for one connection.
type Config struct {
	// AsServer is the role from the socket's options (ZMQ_PLAIN_SERVER,
	// ZMQ_CURVE_SERVER); the greeting's as-server bit is not used.
	AsServer bool
	// SocketType is the local ZMTP socket type name ("DEALER", ...).
	SocketType string
	// Metadata is what the local side announces in READY/INITIATE:
	// Socket-Type, Identity where it applies, and ZMQ_METADATA X- properties.
	Metadata []Property
	// Options carries mechanism options by libzmq name without the ZMQ_
	// prefix, e.g. "PLAIN_USERNAME", "CURVE_SECRETKEY" (raw bytes).
	Options map[string][]byte
	// ZAPDomain is ZMQ_ZAP_DOMAIN; ZAPEnforceDomain ZMQ_ZAP_ENFORCE_DOMAIN.
	ZAPDomain        string
	ZAPEnforceDomain bool
	// ZAP authenticates a peer with the context's ZAP handler; nil when the
	// core has none to offer.
	ZAP ZAP
	// PeerAddress is the peer's address as ZAP's address frame gives it.
	PeerAddress string
	// RoutingID is the local socket's ZMQ_ROUTING_ID (ZAP identity frame).
	RoutingID []byte
	// CheckPeer validates the peer's metadata (socket type compatibility);
	// the mechanism calls it when it has parsed the peer's READY or
	// INITIATE properties and fails the handshake if it returns an error.
	CheckPeer func(props []Property) error
}

// Status of a handshake.
type Status int

const (
	// Handshaking: more commands are to be exchanged.
	Handshaking Status = iota
	// Ready: the handshake is complete; traffic may flow.
	Ready
	// Failed: the handshake failed; the connection must be closed.
	Failed
)

// Session is one connection's mechanism state machine.
type Session interface {
	// Next returns the next command body to send, or nil when there is
	// nothing to send now.
	Next() ([]byte, error)
	// Process handles one command body received from the peer.
	Process(cmd []byte) error
	// Status reports the handshake state.
	Status() Status
	// PeerProperties returns the peer's metadata once Ready, plus what ZAP
	// added (User-Id and ZAP metadata).
	PeerProperties() []Property
	// Transforms reports whether Encode/Decode change traffic frames;
	// when false the core skips them.
	Transforms() bool
	// Encode turns one outgoing frame (body plus ZMTP flags: more, command)
	// into the wire frame, appended to dst, with its wire flags.
	Encode(dst, body []byte, flags byte) ([]byte, byte, error)
	// Decode reverses Encode for an incoming wire frame, appending to dst.
	Decode(dst, body []byte, flags byte) ([]byte, byte, error)
}

// Frame is one traffic frame: its body and its ZMTP flags (more 0x01,
// command 0x04).
type Frame struct {
	Body  []byte
	Flags byte
}

// BatchSession is implemented by sessions that transform traffic frames
// more cheaply in batches than one at a time: above all a session whose
// mechanism runs in another process (registry/external), where every call
// crosses the process boundary. When a Ready session that Transforms
// implements it, the core calls EncodeBatch and DecodeBatch instead of
// Encode and Decode: the writer with the frames of one write batch, the
// reader with the wire frames it has received and buffered.
type BatchSession interface {
	Session
	// EncodeBatch encodes frames in order, as Encode would one at a time,
	// appending the wire bodies to dst. It sets out[i] (len(out) is at
	// least len(frames)) to the wire body, a slice of the returned buffer,
	// and wire flags of frames[i]. The frames are not modified.
	EncodeBatch(dst []byte, frames, out []Frame) ([]byte, error)
	// DecodeBatch reverses EncodeBatch for wire frames, in order. It
	// returns how many frames it decoded into out: on an error, the frames
	// before the one that failed are decoded and n counts them.
	DecodeBatch(dst []byte, frames, out []Frame) (buf []byte, n int, err error)
}

// StateExporter is implemented by sessions that can hand over their
// negotiated data-phase state once Ready: the keys and counters of this
// one connection, never long-term secrets. An out-of-process mechanism
// (registry/external) uses it, when the user opts in, so that the
// handshake runs in the plugin and the data phase in the host, as kernel
// TLS does. After ExportState the session must refuse Encode and Decode:
// the state, nonces included, now belongs to the importer.
type StateExporter interface {
	ExportState() ([]byte, error)
}

// StateImporter is implemented by mechanisms that can carry on a session
// from the state a StateExporter of the same mechanism exported. The
// imported session is Ready; cfg is the connection's Config, and props
// the peer's properties as the handshake gave them.
type StateImporter interface {
	ImportSession(state []byte, cfg *Config, props []Property) (Session, error)
}

// Sessions that hold resources beyond memory (a session running in
// another process) implement io.Closer: the core calls Close once, when
// the connection ends, whether or not the handshake succeeded.

// ZAPRequest is an RFC 27 request, minus version and request id.
type ZAPRequest struct {
	Domain      string
	Address     string
	Identity    []byte
	Mechanism   string
	Credentials [][]byte
}

// ZAPReply is an RFC 27 reply.
type ZAPReply struct {
	StatusCode string // "200", "300", "400", "500"
	StatusText string
	UserID     string
	Metadata   []Property
}

// ZAP authenticates through the context's ZAP handler.
type ZAP interface {
	// Available reports whether a handler is bound (inproc://zeromq.zap.01).
	Available() bool
	Authenticate(ctx context.Context, req ZAPRequest) (ZAPReply, error)
}

// ProtocolError is a handshake failure with a ZMQ_PROTOCOL_ERROR_* code; the
// core reports it as HANDSHAKE_FAILED_PROTOCOL.
type ProtocolError struct {
	Code uint32
	Msg  string
}

// Error formats the protocol error code and message.
func (e *ProtocolError) Error() string {
	return fmt.Sprintf("mechanism: protocol error %#x: %s", e.Code, e.Msg)
}

// AuthError is a handshake refused by ZAP (status 300, 400 or 500); the core
// reports it as HANDSHAKE_FAILED_AUTH. Both ends of the refused connection
// report the same text: the server learns the status from its ZAP handler,
// the client from the ERROR command, which carries only the status code.
type AuthError struct {
	// Status is the ZAP status code: 300, 400 or 500.
	Status int
	// Text is the ZAP handler's status text; only the server side has it
	// (it does not travel to the client), so Error does not show it.
	Text string
}

// NewAuthError returns the AuthError of a ZAP status code ("300", "400",
// "500") and, on the server side, the handler's status text.
func NewAuthError(status, text string) *AuthError {
	st := 0
	if len(status) == 3 && status[0] >= '0' && status[0] <= '9' {
		st = int(status[0]-'0') * 100
	}
	return &AuthError{Status: st, Text: text}
}

// StatusText is RFC 27's meaning of the status code.
func (e *AuthError) StatusText() string {
	switch e.Status {
	case 300:
		return "temporary error"
	case 400:
		return "authentication failure"
	case 500:
		return "internal error"
	}
	return "unknown status"
}

// Error formats the ZAP status, the same on both ends of the connection.
func (e *AuthError) Error() string {
	return fmt.Sprintf("mechanism: authentication failed: ZAP status %d (%s)", e.Status, e.StatusText())
}

// ErrNoZAPHandler is returned when a mechanism requires a ZAP handler and
// none is bound (libzmq reports HANDSHAKE_FAILED_NO_DETAIL with EFAULT).
var ErrNoZAPHandler = errors.New("mechanism: no ZAP handler")

// ZMQ_PROTOCOL_ERROR_* codes.
const (
	ErrZMTPUnspecified              uint32 = 0x10000000
	ErrZMTPUnexpectedCommand        uint32 = 0x10000001
	ErrZMTPInvalidSequence          uint32 = 0x10000002
	ErrZMTPKeyExchange              uint32 = 0x10000003
	ErrZMTPMalformedCommandUnspec   uint32 = 0x10000011
	ErrZMTPMalformedCommandMessage  uint32 = 0x10000012
	ErrZMTPMalformedCommandHello    uint32 = 0x10000013
	ErrZMTPMalformedCommandInitiate uint32 = 0x10000014
	ErrZMTPMalformedCommandError    uint32 = 0x10000015
	ErrZMTPMalformedCommandReady    uint32 = 0x10000016
	ErrZMTPMalformedCommandWelcome  uint32 = 0x10000017
	ErrZMTPInvalidMetadata          uint32 = 0x10000018
	ErrZMTPCryptographic            uint32 = 0x11000001
	ErrZMTPMechanismMismatch        uint32 = 0x11000002
	ErrZAPUnspecified               uint32 = 0x20000000
	ErrZAPMalformedReply            uint32 = 0x20000001
	ErrZAPBadRequestID              uint32 = 0x20000002
	ErrZAPBadVersion                uint32 = 0x20000003
	ErrZAPInvalidStatusCode         uint32 = 0x20000004
	ErrZAPInvalidMetadata           uint32 = 0x20000005
	ErrWSUnspecified                uint32 = 0x30000000
)
