package curve

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"

	"golang.org/x/crypto/nacl/box"
	"golang.org/x/crypto/nacl/secretbox"

	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/zmtp"
)

func init() { registry.RegisterMechanism(&Mechanism{}) }

// Option names, as libzmq's without ZMQ_.
const (
	OptServer    = "CURVE_SERVER"
	OptPublicKey = "CURVE_PUBLICKEY"
	OptSecretKey = "CURVE_SECRETKEY"
	OptServerKey = "CURVE_SERVERKEY"
)

// Mechanism is the CURVE mechanism. The zero value uses crypto/rand; the
// one registered from init is a zero value.
type Mechanism struct {
	// Rand, when set, replaces crypto/rand for transient keys, cookies
	// and nonces (tests make handshakes reproducible with it).
	Rand io.Reader
}

// Name returns "CURVE".
func (*Mechanism) Name() string { return "CURVE" }

// CheckOptions reports options that can never give a working handshake
// (mechanism.OptionChecker): a server needs CURVE_SECRETKEY, a client
// CURVE_SERVERKEY, CURVE_PUBLICKEY and CURVE_SECRETKEY, each 32 raw bytes
// or 40 valid Z85 characters. The core calls it when a socket selects
// CURVE, so a bad key fails NewSocket or SetOption.
func (*Mechanism) CheckOptions(asServer bool, opts map[string][]byte) error {
	names := []string{OptSecretKey}
	if !asServer {
		names = append(names, OptPublicKey, OptServerKey)
	}
	for _, name := range names {
		v, ok := opts[name]
		if !ok {
			return fmt.Errorf("%w: ZMQ_%s is not set", ErrBadKey, name)
		}
		if _, err := ParseKey(v); err != nil {
			return fmt.Errorf("ZMQ_%s: %w", name, err)
		}
	}
	return nil
}

// NewSession starts a client or server handshake per cfg.AsServer. A
// server needs CURVE_SECRETKEY; a client CURVE_SERVERKEY, CURVE_PUBLICKEY
// and CURVE_SECRETKEY; each 32 raw bytes or 40 Z85 characters.
func (m *Mechanism) NewSession(cfg *mechanism.Config) (mechanism.Session, error) {
	r := m.Rand
	if r == nil {
		r = rand.Reader
	}
	key := func(name string) ([KeySize]byte, error) {
		v, ok := cfg.Options[name]
		if !ok {
			return [KeySize]byte{}, fmt.Errorf("%w: ZMQ_%s is not set", ErrBadKey, name)
		}
		k, err := ParseKey(v)
		if err != nil {
			return k, fmt.Errorf("ZMQ_%s: %w", name, err)
		}
		return k, nil
	}
	s := &session{cfg: cfg, rand: r, nonce: 1, peerNonce: 1}
	var err error
	if s.secret, err = key(OptSecretKey); err != nil {
		return nil, err
	}
	pub, sec, err := box.GenerateKey(r)
	if err != nil {
		return nil, err
	}
	s.cnPublic, s.cnSecret = *pub, *sec
	if cfg.AsServer {
		s.state = stExpectHello
		copy(s.encPrefix[:], "CurveZMQMESSAGES")
		copy(s.decPrefix[:], "CurveZMQMESSAGEC")
		return s, nil
	}
	if s.public, err = key(OptPublicKey); err != nil {
		return nil, err
	}
	if s.server, err = key(OptServerKey); err != nil {
		return nil, err
	}
	s.state = stSendHello
	copy(s.encPrefix[:], "CurveZMQMESSAGEC")
	copy(s.decPrefix[:], "CurveZMQMESSAGES")
	return s, nil
}

type state int

const (
	// client
	stSendHello state = iota
	stExpectWelcome
	stSendInitiate
	stExpectReady
	// server
	stExpectHello
	stSendWelcome
	stExpectInitiate
	stSendReady
	stSendError
	// both
	stReady
	stFailed
)

// session is one connection's CURVE state, either role.
type session struct {
	cfg  *mechanism.Config
	rand io.Reader

	state state
	err   error // returned by Next once the state is stFailed

	public, secret, server [KeySize]byte // long-term keys (server: secret only)
	cnPublic, cnSecret     [KeySize]byte // our transient keys
	cnPeer                 [KeySize]byte // the peer's transient public key
	cookie                 [96]byte      // client: the server's cookie
	cookieKey              [32]byte      // server: this connection's cookie key
	precom                 [32]byte      // shared key of the transient keys

	nonce, peerNonce     uint64
	encPrefix, decPrefix [16]byte
	encKey, decKey       [32]byte // per-direction XSalsa20 keys of MESSAGE boxes

	status   string // server: ZAP status code
	props    []mechanism.Property
	exported bool // ExportState handed the data phase over
}

func protoErr(code uint32, format string, args ...any) error {
	return &mechanism.ProtocolError{Code: code, Msg: fmt.Sprintf(format, args...)}
}

func (s *session) fail(err error) error {
	s.state, s.err = stFailed, err
	return err
}

func (s *session) nextNonce() uint64 {
	n := s.nonce
	s.nonce++
	return n
}

func (s *session) random(b []byte) error {
	_, err := io.ReadFull(s.rand, b)
	return err
}

// Next returns the next handshake command to send.
func (s *session) Next() ([]byte, error) {
	switch s.state {
	case stSendHello:
		s.state = stExpectWelcome
		return s.hello(), nil
	case stSendInitiate:
		cmd, err := s.initiate()
		if err != nil {
			return nil, s.fail(err)
		}
		s.state = stExpectReady
		return cmd, nil
	case stSendWelcome:
		cmd, err := s.welcome()
		if err != nil {
			return nil, s.fail(err)
		}
		s.state = stExpectInitiate
		return cmd, nil
	case stSendReady:
		s.state = stReady
		return s.ready(), nil
	case stSendError:
		s.state = stFailed
		return zmtp.AppendError(nil, s.status), nil
	case stFailed:
		return nil, s.err
	}
	return nil, nil
}

// Process handles one command from the peer.
func (s *session) Process(cmd []byte) error {
	if s.state == stFailed {
		return s.err
	}
	// mechanism_base_t::check_basic_command_structure
	if len(cmd) <= 1 || len(cmd) <= int(cmd[0]) {
		return s.fail(protoErr(mechanism.ErrZMTPMalformedCommandUnspec, "malformed command"))
	}
	var err error
	switch s.state {
	case stExpectWelcome:
		if !zmtp.IsCommand(cmd, zmtp.CmdWelcome) {
			return s.fail(protoErr(mechanism.ErrZMTPUnexpectedCommand, "expected WELCOME"))
		}
		err = s.processWelcome(cmd)
	case stExpectReady:
		if !zmtp.IsCommand(cmd, zmtp.CmdReady) {
			return s.fail(protoErr(mechanism.ErrZMTPUnexpectedCommand, "expected READY"))
		}
		err = s.processReady(cmd)
	case stExpectHello:
		if !zmtp.IsCommand(cmd, zmtp.CmdHello) {
			return s.fail(protoErr(mechanism.ErrZMTPUnexpectedCommand, "expected HELLO"))
		}
		err = s.processHello(cmd)
	case stExpectInitiate:
		if !zmtp.IsCommand(cmd, zmtp.CmdInitiate) {
			return s.fail(protoErr(mechanism.ErrZMTPUnexpectedCommand, "expected INITIATE"))
		}
		err = s.processInitiate(cmd)
	default:
		err = protoErr(mechanism.ErrZMTPUnexpectedCommand, "unexpected command")
	}
	if err != nil {
		return s.fail(err)
	}
	return nil
}

// Status reports the handshake state.
func (s *session) Status() mechanism.Status {
	switch s.state {
	case stReady:
		return mechanism.Ready
	case stFailed:
		return mechanism.Failed
	}
	return mechanism.Handshaking
}

// PeerProperties returns the peer's metadata plus ZAP's User-Id and metadata.
func (s *session) PeerProperties() []mechanism.Property { return s.props }

// Transforms is true: every frame travels boxed in a MESSAGE.
func (s *session) Transforms() bool { return true }

// --- client ---

func (s *session) hello() []byte {
	cmd := make([]byte, 200)
	copy(cmd, "\x05HELLO\x01\x00")
	copy(cmd[80:], s.cnPublic[:])
	n := s.nextNonce()
	binary.BigEndian.PutUint64(cmd[112:], n)
	var nonce [24]byte
	copy(nonce[:], "CurveZMQHELLO---")
	binary.BigEndian.PutUint64(nonce[16:], n)
	var zeros [64]byte
	box.Seal(cmd[120:120], zeros[:], &nonce, &s.server, &s.cnSecret)
	return cmd
}

func (s *session) processWelcome(cmd []byte) error {
	if len(cmd) != 168 {
		// libzmq reports a WELCOME of the wrong size as a crypto failure
		return protoErr(mechanism.ErrZMTPCryptographic, "WELCOME of %d bytes", len(cmd))
	}
	var nonce [24]byte
	copy(nonce[:], "WELCOME-")
	copy(nonce[8:], cmd[8:24])
	plain, ok := box.Open(nil, cmd[24:], &nonce, &s.server, &s.cnSecret)
	if !ok {
		return protoErr(mechanism.ErrZMTPCryptographic, "cannot open WELCOME: wrong server key?")
	}
	copy(s.cnPeer[:], plain[:32])
	copy(s.cookie[:], plain[32:128])
	box.Precompute(&s.precom, &s.cnPeer, &s.cnSecret)
	s.messageKeys()
	s.state = stSendInitiate
	return nil
}

func (s *session) initiate() ([]byte, error) {
	// vouch = Box[C' + S](C->S')
	var vnonce [24]byte
	copy(vnonce[:], "VOUCH---")
	if err := s.random(vnonce[8:]); err != nil {
		return nil, err
	}
	var vplain [64]byte
	copy(vplain[:], s.cnPublic[:])
	copy(vplain[32:], s.server[:])
	plain := make([]byte, 0, 128+256)
	plain = append(plain, s.public[:]...)
	plain = append(plain, vnonce[8:]...)
	plain = box.Seal(plain, vplain[:], &vnonce, &s.cnPeer, &s.secret)
	plain = zmtp.AppendProperties(plain, s.cfg.Metadata)

	n := s.nextNonce()
	cmd := make([]byte, 0, 113+tagSize+len(plain))
	cmd = append(cmd, "\x08INITIATE"...)
	cmd = append(cmd, s.cookie[:]...)
	cmd = binary.BigEndian.AppendUint64(cmd, n)
	var nonce [24]byte
	copy(nonce[:], "CurveZMQINITIATE")
	binary.BigEndian.PutUint64(nonce[16:], n)
	return box.SealAfterPrecomputation(cmd, plain, &nonce, &s.precom), nil
}

func (s *session) processReady(cmd []byte) error {
	if len(cmd) < 30 {
		return protoErr(mechanism.ErrZMTPMalformedCommandReady, "READY of %d bytes", len(cmd))
	}
	var nonce [24]byte
	copy(nonce[:], "CurveZMQREADY---")
	copy(nonce[16:], cmd[6:14])
	s.peerNonce = binary.BigEndian.Uint64(cmd[6:14])
	plain, ok := box.OpenAfterPrecomputation(nil, cmd[14:], &nonce, &s.precom)
	if !ok {
		return protoErr(mechanism.ErrZMTPCryptographic, "cannot open READY")
	}
	props, err := zmtp.ParseProperties(plain)
	if err != nil {
		return protoErr(mechanism.ErrZMTPInvalidMetadata, "READY metadata: %v", err)
	}
	if s.cfg.CheckPeer != nil {
		if err := s.cfg.CheckPeer(props); err != nil {
			return err
		}
	}
	s.props = props
	s.state = stReady
	return nil
}

// --- server ---

func (s *session) processHello(cmd []byte) error {
	if len(cmd) != 200 {
		return protoErr(mechanism.ErrZMTPMalformedCommandHello, "HELLO of %d bytes", len(cmd))
	}
	if cmd[6] != 1 || cmd[7] != 0 {
		return protoErr(mechanism.ErrZMTPMalformedCommandHello, "HELLO version %d.%d", cmd[6], cmd[7])
	}
	copy(s.cnPeer[:], cmd[80:112])
	var nonce [24]byte
	copy(nonce[:], "CurveZMQHELLO---")
	copy(nonce[16:], cmd[112:120])
	s.peerNonce = binary.BigEndian.Uint64(cmd[112:120])
	if _, ok := box.Open(nil, cmd[120:200], &nonce, &s.cnPeer, &s.secret); !ok {
		return protoErr(mechanism.ErrZMTPCryptographic, "cannot open HELLO: wrong server key?")
	}
	s.state = stSendWelcome
	return nil
}

func (s *session) welcome() ([]byte, error) {
	// cookie = nonce(16) + secretbox[C' + s'](K)
	var cnonce [24]byte
	copy(cnonce[:], "COOKIE--")
	if err := s.random(cnonce[8:]); err != nil {
		return nil, err
	}
	if err := s.random(s.cookieKey[:]); err != nil {
		return nil, err
	}
	var cplain [64]byte
	copy(cplain[:], s.cnPeer[:])
	copy(cplain[32:], s.cnSecret[:])
	plain := make([]byte, 0, 128)
	plain = append(plain, s.cnPublic[:]...)
	plain = append(plain, cnonce[8:]...)
	plain = secretbox.Seal(plain, cplain[:], &cnonce, &s.cookieKey)

	var wnonce [24]byte
	copy(wnonce[:], "WELCOME-")
	if err := s.random(wnonce[8:]); err != nil {
		return nil, err
	}
	cmd := make([]byte, 0, 168)
	cmd = append(cmd, "\x07WELCOME"...)
	cmd = append(cmd, wnonce[8:]...)
	return box.Seal(cmd, plain, &wnonce, &s.cnPeer, &s.secret), nil
}

func (s *session) processInitiate(cmd []byte) error {
	if len(cmd) < 257 {
		return protoErr(mechanism.ErrZMTPMalformedCommandInitiate, "INITIATE of %d bytes", len(cmd))
	}
	var cnonce [24]byte
	copy(cnonce[:], "COOKIE--")
	copy(cnonce[8:], cmd[9:25])
	cplain, ok := secretbox.Open(nil, cmd[25:105], &cnonce, &s.cookieKey)
	if !ok {
		return protoErr(mechanism.ErrZMTPCryptographic, "cannot open INITIATE cookie")
	}
	if [32]byte(cplain[:32]) != s.cnPeer || [32]byte(cplain[32:64]) != s.cnSecret {
		return protoErr(mechanism.ErrZMTPCryptographic, "INITIATE cookie is not ours")
	}
	var nonce [24]byte
	copy(nonce[:], "CurveZMQINITIATE")
	copy(nonce[16:], cmd[105:113])
	s.peerNonce = binary.BigEndian.Uint64(cmd[105:113])
	box.Precompute(&s.precom, &s.cnPeer, &s.cnSecret)
	s.messageKeys()
	plain, ok := box.OpenAfterPrecomputation(nil, cmd[113:], &nonce, &s.precom)
	if !ok {
		return protoErr(mechanism.ErrZMTPCryptographic, "cannot open INITIATE")
	}
	var clientKey [32]byte
	copy(clientKey[:], plain[:32])
	var vnonce [24]byte
	copy(vnonce[:], "VOUCH---")
	copy(vnonce[8:], plain[32:48])
	vouch, ok := box.Open(nil, plain[48:128], &vnonce, &clientKey, &s.cnSecret)
	if !ok {
		return protoErr(mechanism.ErrZMTPCryptographic, "cannot open INITIATE vouch")
	}
	if [32]byte(vouch[:32]) != s.cnPeer {
		return protoErr(mechanism.ErrZMTPKeyExchange, "vouch does not match the client's transient key")
	}

	// ZAP (libzmq's curve_server_t::process_initiate rules)
	s.state = stSendReady
	var zapProps []mechanism.Property
	if s.cfg.ZAPDomain != "" || !s.cfg.ZAPEnforceDomain {
		if s.cfg.ZAP != nil && s.cfg.ZAP.Available() {
			rep, err := s.cfg.ZAP.Authenticate(context.Background(), mechanism.ZAPRequest{
				Domain:      s.cfg.ZAPDomain,
				Address:     s.cfg.PeerAddress,
				Identity:    s.cfg.RoutingID,
				Mechanism:   "CURVE",
				Credentials: [][]byte{clientKey[:]},
			})
			if err != nil {
				return err
			}
			zapProps = append([]mechanism.Property{{Name: "User-Id", Value: []byte(rep.UserID)}}, rep.Metadata...)
			switch rep.StatusCode {
			case "200":
			case "300":
				return mechanism.NewAuthError("300", rep.StatusText)
			default:
				// send ERROR, then fail
				s.status = rep.StatusCode
				s.state = stSendError
				s.err = mechanism.NewAuthError(rep.StatusCode, rep.StatusText)
				return nil
			}
		} else if s.cfg.ZAPEnforceDomain {
			return mechanism.ErrNoZAPHandler
		}
	}
	props, err := zmtp.ParseProperties(plain[128:])
	if err != nil {
		return protoErr(mechanism.ErrZMTPInvalidMetadata, "INITIATE metadata: %v", err)
	}
	if s.cfg.CheckPeer != nil {
		if err := s.cfg.CheckPeer(props); err != nil {
			return err
		}
	}
	s.props = append(props, zapProps...)
	return nil
}

func (s *session) ready() []byte {
	n := s.nextNonce()
	plain := zmtp.AppendProperties(nil, s.cfg.Metadata)
	cmd := make([]byte, 0, 14+tagSize+len(plain))
	cmd = append(cmd, "\x05READY"...)
	cmd = binary.BigEndian.AppendUint64(cmd, n)
	var nonce [24]byte
	copy(nonce[:], "CurveZMQREADY---")
	binary.BigEndian.PutUint64(nonce[16:], n)
	return box.SealAfterPrecomputation(cmd, plain, &nonce, &s.precom)
}

// --- traffic ---

// MESSAGE flags inside the box (libzmq: msg_t::more, msg_t::command).
const (
	boxMore    = 0x01
	boxCommand = 0x02
)

const messageHeader = "\x07MESSAGE"

func (s *session) messageKeys() {
	s.encKey = streamKey(&s.precom, &s.encPrefix)
	s.decKey = streamKey(&s.precom, &s.decPrefix)
}

// Encode boxes one frame into a MESSAGE command, sent as a data frame
// with no flags, as libzmq does: MORE and COMMAND travel inside the box.
func (s *session) Encode(dst, body []byte, flags byte) ([]byte, byte, error) {
	if s.exported {
		return dst, 0, errExported
	}
	n := s.nextNonce()
	var short [8]byte
	binary.BigEndian.PutUint64(short[:], n)
	var inner byte
	if flags&zmtp.FlagMore != 0 {
		inner |= boxMore
	}
	if flags&zmtp.FlagCommand != 0 {
		inner |= boxCommand
	}
	dst = append(dst, messageHeader...)
	dst = append(dst, short[:]...)
	return sealAppend(dst, inner, body, &short, &s.encKey), 0, nil
}

// Decode opens one MESSAGE; the returned flags carry MORE and COMMAND
// from inside the box. body is not modified.
func (s *session) Decode(dst, body []byte, _ byte) ([]byte, byte, error) {
	if s.exported {
		return dst, 0, errExported
	}
	if len(body) <= 1 || len(body) <= int(body[0]) {
		return dst, 0, protoErr(mechanism.ErrZMTPMalformedCommandUnspec, "malformed command")
	}
	if len(body) < len(messageHeader) || string(body[:len(messageHeader)]) != messageHeader {
		return dst, 0, protoErr(mechanism.ErrZMTPUnexpectedCommand, "expected MESSAGE")
	}
	if len(body) < len(messageHeader)+8+tagSize+1 {
		return dst, 0, protoErr(mechanism.ErrZMTPMalformedCommandMessage, "MESSAGE of %d bytes", len(body))
	}
	n := binary.BigEndian.Uint64(body[8:16])
	if n <= s.peerNonce {
		return dst, 0, protoErr(mechanism.ErrZMTPInvalidSequence, "MESSAGE nonce %d after %d", n, s.peerNonce)
	}
	s.peerNonce = n
	dst, inner, ok := openAppend(dst, body[16:], (*[8]byte)(body[8:16]), &s.decKey)
	if !ok {
		return dst, 0, protoErr(mechanism.ErrZMTPCryptographic, "cannot open MESSAGE")
	}
	var fl byte
	if inner&boxMore != 0 {
		fl |= zmtp.FlagMore
	}
	if inner&boxCommand != 0 {
		fl |= zmtp.FlagCommand
	}
	return dst, fl, nil
}
