package core

import (
	"context"
	"errors"
	"time"

	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/zmtp"
)

// ZAPEndpoint is where a ZAP handler binds (RFC 27): a REP, ROUTER or
// SERVER socket bound to it in the same context authenticates the
// context's PLAIN and CURVE servers, and NULL sockets with a ZAP domain.
const ZAPEndpoint = "inproc://zeromq.zap.01"

// ZAP protocol version and the request id libzmq always uses.
const (
	zapVersion   = "1.0"
	zapRequestID = "1"
)

// zapClient is the mechanism.ZAP a connection's handshake uses: libzmq's
// session ZAP pipe. It connects a hidden DEALER socket (no HWM, not counted
// in the context's sockets) to ZAPEndpoint when the mechanism first asks,
// and speaks to the handler as libzmq does: [empty delimiter] "1.0" "1"
// domain address identity mechanism credentials..., and a reply of
// exactly 7 frames.
type zapClient struct {
	ctx      *Context
	done     <-chan struct{} // the engine stopped
	deadline time.Time       // the handshake deadline, if any
	sock     *Socket
	checked  bool
	ok       bool
}

func newZAPClient(e *engine) *zapClient {
	z := &zapClient{ctx: e.sock.ctx, done: e.done}
	if e.opts.HandshakeInterval > 0 {
		z.deadline = time.Now().Add(e.opts.HandshakeInterval)
	}
	return z
}

// Available reports whether a handler is bound at ZAPEndpoint (libzmq's
// session_base_t::zap_connect).
func (z *zapClient) Available() bool {
	if z.checked {
		return z.ok
	}
	z.checked = true
	newPat, ok := patterns[DEALER]
	if !ok {
		return false
	}
	s := newSocket(z.ctx, DEALER)
	s.pat = newPat(s)
	s.opts.SendHWM, s.opts.RecvHWM, s.opts.Linger = 0, 0, 0
	if err := s.Connect(ZAPEndpoint); err != nil {
		s.Close()
		return false
	}
	s.mu.Lock()
	accepted := len(s.inprocConns) == 1 && s.inprocConns[0].offer.isAccepted()
	s.mu.Unlock()
	if !accepted {
		s.Close()
		return false
	}
	z.sock, z.ok = s, true
	return true
}

// errZAPGone ends a ZAP exchange when the handler or the context goes away.
var errZAPGone = errors.New("zmq: ZAP handler went away")

// Authenticate sends one request and validates the reply as libzmq's
// zap_client_t does: a malformed reply is a *mechanism.ProtocolError with
// the ZAP_* code.
func (z *zapClient) Authenticate(ctx context.Context, req mechanism.ZAPRequest) (mechanism.ZAPReply, error) {
	if !z.Available() {
		return mechanism.ZAPReply{}, mechanism.ErrNoZAPHandler
	}
	frames := make([][]byte, 0, 7+len(req.Credentials))
	frames = append(frames, nil, []byte(zapVersion), []byte(zapRequestID), []byte(req.Domain),
		[]byte(req.Address), req.Identity, []byte(req.Mechanism))
	frames = append(frames, req.Credentials...)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if !z.deadline.IsZero() {
		var c2 context.CancelFunc
		ctx, c2 = context.WithDeadline(ctx, z.deadline)
		defer c2()
	}
	go func() {
		select {
		case <-z.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := z.sock.Send(ctx, NewMsg(frames...)); err != nil {
		return mechanism.ZAPReply{}, errors.Join(errZAPGone, err)
	}
	m, err := z.sock.Recv(ctx)
	if err != nil {
		return mechanism.ZAPReply{}, errors.Join(errZAPGone, err)
	}
	return parseZAPReply(m.Frames)
}

func zapErr(code uint32, msg string) error {
	return &mechanism.ProtocolError{Code: code, Msg: "ZAP reply: " + msg}
}

// parseZAPReply validates a reply [empty] "1.0" "1" status text user-id
// metadata.
func parseZAPReply(f [][]byte) (mechanism.ZAPReply, error) {
	var r mechanism.ZAPReply
	if len(f) != 7 {
		return r, zapErr(mechanism.ErrZAPMalformedReply, "not 7 frames")
	}
	if len(f[0]) != 0 {
		return r, zapErr(mechanism.ErrZAPUnspecified, "non-empty delimiter")
	}
	if string(f[1]) != zapVersion {
		return r, zapErr(mechanism.ErrZAPBadVersion, "version "+string(f[1]))
	}
	if string(f[2]) != zapRequestID {
		return r, zapErr(mechanism.ErrZAPBadRequestID, "request id "+string(f[2]))
	}
	st := f[3]
	if len(st) != 3 || st[0] < '2' || st[0] > '5' || st[1] != '0' || st[2] != '0' {
		return r, zapErr(mechanism.ErrZAPInvalidStatusCode, "status code "+string(st))
	}
	props, err := zmtp.ParseProperties(f[6])
	if err != nil {
		return r, zapErr(mechanism.ErrZAPInvalidMetadata, err.Error())
	}
	r.StatusCode, r.StatusText, r.UserID, r.Metadata = string(st), string(f[4]), string(f[5]), props
	return r, nil
}

// close releases the hidden socket.
func (z *zapClient) close() {
	if z.sock != nil {
		z.sock.Close()
		z.sock = nil
	}
}
