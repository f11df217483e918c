// Package plain is zmqkit's PLAIN security mechanism (ZeroMQ RFC 24),
// byte-compatible with libzmq: the client sends its user name and password
// in clear in HELLO, the server asks the context's ZAP handler
// (inproc://zeromq.zap.01, see package auth) and answers WELCOME, or ERROR
// with the ZAP status; INITIATE and READY carry the metadata. Traffic is
// not encrypted. As libzmq, a PLAIN server with no ZAP handler bound
// refuses every client (HANDSHAKE_FAILED_NO_DETAIL, EFAULT).
//
// Importing the package registers the mechanism. Select it with the
// libzmq option names through core.WithMechanism("PLAIN", asServer,
// map{"PLAIN_USERNAME": ..., "PLAIN_PASSWORD": ...}) or:
//
//	server: core.WithMechanism(plain.Server())
//	client: core.WithMechanism(plain.Client("admin", "secret"))
package plain

import (
	"context"
	"fmt"

	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/zmtp"
)

func init() { registry.RegisterMechanism(Mechanism{}) }

// Option names, as libzmq's without ZMQ_.
const (
	OptServer   = "PLAIN_SERVER"
	OptUsername = "PLAIN_USERNAME"
	OptPassword = "PLAIN_PASSWORD"
)

// Client returns what core.WithMechanism takes to make a socket a PLAIN
// client (ZMQ_PLAIN_USERNAME, ZMQ_PLAIN_PASSWORD; each at most 255 bytes).
func Client(username, password string) (name string, asServer bool, opts map[string][]byte) {
	return "PLAIN", false, map[string][]byte{OptUsername: []byte(username), OptPassword: []byte(password)}
}

// Server returns what core.WithMechanism takes to make a socket a PLAIN
// server (ZMQ_PLAIN_SERVER=1).
func Server() (name string, asServer bool, opts map[string][]byte) {
	return "PLAIN", true, map[string][]byte{OptServer: {1}}
}

// Mechanism is the PLAIN mechanism.
type Mechanism struct{}

// Name returns "PLAIN".
func (Mechanism) Name() string { return "PLAIN" }

// NewSession starts a client or server handshake per cfg.AsServer.
func (Mechanism) NewSession(cfg *mechanism.Config) (mechanism.Session, error) {
	s := &session{cfg: cfg}
	if cfg.AsServer {
		s.state = stExpectHello
		return s, nil
	}
	s.user, s.pass = cfg.Options[OptUsername], cfg.Options[OptPassword]
	if len(s.user) > 255 || len(s.pass) > 255 {
		return nil, fmt.Errorf("plain: user name and password must be at most 255 bytes")
	}
	s.state = stSendHello
	return s, nil
}

type state int

const (
	stSendHello state = iota
	stExpectWelcome
	stSendInitiate
	stExpectReady
	stExpectHello
	stSendWelcome
	stExpectInitiate
	stSendReady
	stSendError
	stReady
	stFailed
)

type session struct {
	cfg        *mechanism.Config
	state      state
	err        error
	user, pass []byte
	status     string
	zapProps   []mechanism.Property
	props      []mechanism.Property
}

func protoErr(code uint32, format string, args ...any) error {
	return &mechanism.ProtocolError{Code: code, Msg: fmt.Sprintf(format, args...)}
}

func (s *session) fail(err error) error {
	s.state, s.err = stFailed, err
	return err
}

// AppendHello appends a PLAIN HELLO body.
func AppendHello(dst, user, pass []byte) []byte {
	dst = zmtp.AppendCommand(dst, zmtp.CmdHello, nil)
	dst = append(dst, byte(len(user)))
	dst = append(dst, user...)
	dst = append(dst, byte(len(pass)))
	return append(dst, pass...)
}

// ParseHello parses a PLAIN HELLO body as libzmq's server does; the error
// is a *mechanism.ProtocolError with libzmq's code.
func ParseHello(cmd []byte) (user, pass []byte, err error) {
	if len(cmd) <= 1 || len(cmd) <= int(cmd[0]) {
		return nil, nil, protoErr(mechanism.ErrZMTPMalformedCommandUnspec, "malformed command")
	}
	if !zmtp.IsCommand(cmd, zmtp.CmdHello) {
		return nil, nil, protoErr(mechanism.ErrZMTPUnexpectedCommand, "expected HELLO")
	}
	b := cmd[6:]
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return nil, nil, protoErr(mechanism.ErrZMTPMalformedCommandHello, "bad user name")
	}
	user, b = b[1:1+int(b[0])], b[1+int(b[0]):]
	if len(b) < 1 || len(b) != 1+int(b[0]) {
		return nil, nil, protoErr(mechanism.ErrZMTPMalformedCommandHello, "bad password")
	}
	return user, b[1:], nil
}

func (s *session) Next() ([]byte, error) {
	switch s.state {
	case stSendHello:
		s.state = stExpectWelcome
		return AppendHello(nil, s.user, s.pass), nil
	case stSendInitiate:
		s.state = stExpectReady
		return zmtp.AppendProperties(zmtp.AppendCommand(nil, zmtp.CmdInitiate, nil), s.cfg.Metadata), nil
	case stSendWelcome:
		s.state = stExpectInitiate
		return zmtp.AppendCommand(nil, zmtp.CmdWelcome, nil), nil
	case stSendReady:
		s.state = stReady
		return zmtp.AppendReady(nil, s.cfg.Metadata), nil
	case stSendError:
		s.state = stFailed
		return AppendLibzmqError(nil, s.status), nil
	case stFailed:
		return nil, s.err
	}
	return nil, nil
}

func (s *session) Process(cmd []byte) error {
	switch s.state {
	case stFailed:
		return s.err
	case stExpectHello:
		user, pass, err := ParseHello(cmd)
		if err != nil {
			return s.fail(err)
		}
		return s.authenticate(user, pass)
	case stExpectInitiate:
		if !zmtp.IsCommand(cmd, zmtp.CmdInitiate) {
			return s.fail(protoErr(mechanism.ErrZMTPUnexpectedCommand, "expected INITIATE"))
		}
		props, err := s.metadata(cmd[9:])
		if err != nil {
			return s.fail(err)
		}
		s.props = append(props, s.zapProps...)
		s.state = stSendReady
		return nil
	case stExpectWelcome, stExpectReady:
		if len(cmd) >= len(libzmqErrorPrefix) && string(cmd[:len(libzmqErrorPrefix)]) == libzmqErrorPrefix {
			return s.fail(parseLibzmqError(cmd))
		}
	}
	switch s.state {
	case stExpectWelcome:
		if !zmtp.IsCommand(cmd, zmtp.CmdWelcome) {
			return s.fail(protoErr(mechanism.ErrZMTPUnexpectedCommand, "expected WELCOME"))
		}
		if len(cmd) != 8 {
			return s.fail(protoErr(mechanism.ErrZMTPMalformedCommandWelcome, "WELCOME of %d bytes", len(cmd)))
		}
		s.state = stSendInitiate
		return nil
	case stExpectReady:
		if !zmtp.IsCommand(cmd, zmtp.CmdReady) {
			return s.fail(protoErr(mechanism.ErrZMTPUnexpectedCommand, "expected READY"))
		}
		props, err := s.metadata(cmd[6:])
		if err != nil {
			return s.fail(err)
		}
		s.props = props
		s.state = stReady
		return nil
	}
	return s.fail(protoErr(mechanism.ErrZMTPUnexpectedCommand, "unexpected command"))
}

func (s *session) metadata(b []byte) ([]mechanism.Property, error) {
	props, err := zmtp.ParseProperties(b)
	if err != nil {
		return nil, protoErr(mechanism.ErrZMTPInvalidMetadata, "metadata: %v", err)
	}
	if s.cfg.CheckPeer != nil {
		if err := s.cfg.CheckPeer(props); err != nil {
			return nil, err
		}
	}
	return props, nil
}

// libzmqErrorPrefix is how libzmq's PLAIN mechanism spells the ERROR
// command: its source writes "\x05ERROR", which C reads as the hex escape
// \x05E ('^') followed by "RROR". A libzmq PLAIN client recognises only
// this form, so a PLAIN server sends it (libzmq 4.3.x, and master as of
// 2026); a PLAIN client accepts it as well as a well-formed ERROR.
const libzmqErrorPrefix = "^RROR"

// AppendLibzmqError appends the ERROR body libzmq's PLAIN server sends:
// "^RROR", the reason length, the reason.
func AppendLibzmqError(dst []byte, reason string) []byte {
	dst = append(dst, libzmqErrorPrefix...)
	dst = append(dst, byte(len(reason)))
	return append(dst, reason...)
}

// parseLibzmqError turns libzmq's PLAIN ERROR into the handshake's end,
// with libzmq's plain_client_t::process_error checks.
func parseLibzmqError(cmd []byte) error {
	n := len(libzmqErrorPrefix)
	if len(cmd) < n+1 || int(cmd[n]) > len(cmd)-n-1 {
		return protoErr(mechanism.ErrZMTPMalformedCommandError, "malformed ERROR")
	}
	reason := string(cmd[n+1 : n+1+int(cmd[n])])
	switch reason {
	case "300", "400", "500":
		return mechanism.NewAuthError(reason, "")
	}
	return protoErr(mechanism.ErrZMTPUnspecified, "peer sent ERROR %q", reason)
}

// authenticate asks ZAP, which PLAIN requires.
func (s *session) authenticate(user, pass []byte) error {
	if s.cfg.ZAP == nil || !s.cfg.ZAP.Available() {
		return s.fail(mechanism.ErrNoZAPHandler)
	}
	rep, err := s.cfg.ZAP.Authenticate(context.Background(), mechanism.ZAPRequest{
		Domain:      s.cfg.ZAPDomain,
		Address:     s.cfg.PeerAddress,
		Identity:    s.cfg.RoutingID,
		Mechanism:   "PLAIN",
		Credentials: [][]byte{user, pass},
	})
	if err != nil {
		return s.fail(err)
	}
	s.zapProps = append([]mechanism.Property{{Name: "User-Id", Value: []byte(rep.UserID)}}, rep.Metadata...)
	switch rep.StatusCode {
	case "200":
		s.state = stSendWelcome
		return nil
	case "300":
		return s.fail(mechanism.NewAuthError("300", rep.StatusText))
	}
	s.status = rep.StatusCode
	s.err = mechanism.NewAuthError(rep.StatusCode, rep.StatusText)
	s.state = stSendError
	return nil
}

func (s *session) Status() mechanism.Status {
	switch s.state {
	case stReady:
		return mechanism.Ready
	case stFailed:
		return mechanism.Failed
	}
	return mechanism.Handshaking
}

func (s *session) PeerProperties() []mechanism.Property { return s.props }
func (s *session) Transforms() bool                     { return false }
func (s *session) Encode(dst, body []byte, flags byte) ([]byte, byte, error) {
	return append(dst, body...), flags, nil
}
func (s *session) Decode(dst, body []byte, flags byte) ([]byte, byte, error) {
	return append(dst, body...), flags, nil
}
