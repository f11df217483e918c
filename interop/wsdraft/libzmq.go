//go:build cgo && zmqdraft

package wsdraft

/*
#cgo pkg-config: libzmq
#cgo CFLAGS: -DZMQ_BUILD_DRAFT_API=1
#include <zmq.h>
#include <stdlib.h>
#include <string.h>

static int wsd_send(void *s, const void *data, size_t n, int flags, uint32_t rid, const char *group) {
	zmq_msg_t m;
	if (zmq_msg_init_size(&m, n) != 0) return -1;
	if (n > 0) memcpy(zmq_msg_data(&m), data, n);
	if (rid != 0 && zmq_msg_set_routing_id(&m, rid) != 0) { zmq_msg_close(&m); return -1; }
	if (group != NULL && zmq_msg_set_group(&m, group) != 0) { zmq_msg_close(&m); return -1; }
	// The Go runtime's signals interrupt libzmq's blocking waits (EINTR):
	// the message is still ours then, so send it again.
	int rc;
	do rc = zmq_msg_send(&m, s, flags); while (rc < 0 && errno == EINTR);
	if (rc < 0) { int e = errno; zmq_msg_close(&m); errno = e; }
	return rc;
}

// wsd_recv receives one frame into a malloc'd buffer.
static int wsd_recv(void *s, int flags, void **data, size_t *n, int *more, uint32_t *rid, char *group) {
	zmq_msg_t m;
	zmq_msg_init(&m);
	int rc;
	do rc = zmq_msg_recv(&m, s, flags); while (rc < 0 && errno == EINTR);
	if (rc < 0) { int e = errno; zmq_msg_close(&m); errno = e; return -1; }
	*n = zmq_msg_size(&m);
	*data = malloc(*n > 0 ? *n : 1);
	memcpy(*data, zmq_msg_data(&m), *n);
	*more = zmq_msg_more(&m);
	*rid = zmq_msg_routing_id(&m);
	const char *g = zmq_msg_group(&m);
	group[0] = 0;
	if (g != NULL) { strncpy(group, g, 255); group[255] = 0; }
	zmq_msg_close(&m);
	return 0;
}

static int wsd_setint(void *s, int opt, int v) { return zmq_setsockopt(s, opt, &v, sizeof v); }

static int wsd_ctx_term(void *c) {
	int rc;
	do rc = zmq_ctx_term(c); while (rc < 0 && errno == EINTR);
	return rc;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"unsafe"
)

// Socket types and options of libzmq, from its zmq.h (draft API on).
const (
	PAIR    = int(C.ZMQ_PAIR)
	PUB     = int(C.ZMQ_PUB)
	SUB     = int(C.ZMQ_SUB)
	REQ     = int(C.ZMQ_REQ)
	REP     = int(C.ZMQ_REP)
	DEALER  = int(C.ZMQ_DEALER)
	ROUTER  = int(C.ZMQ_ROUTER)
	PULL    = int(C.ZMQ_PULL)
	PUSH    = int(C.ZMQ_PUSH)
	XPUB    = int(C.ZMQ_XPUB)
	XSUB    = int(C.ZMQ_XSUB)
	SERVER  = int(C.ZMQ_SERVER)
	CLIENT  = int(C.ZMQ_CLIENT)
	RADIO   = int(C.ZMQ_RADIO)
	DISH    = int(C.ZMQ_DISH)
	GATHER  = int(C.ZMQ_GATHER)
	SCATTER = int(C.ZMQ_SCATTER)
	PEER    = int(C.ZMQ_PEER)

	OptRoutingID        = int(C.ZMQ_ROUTING_ID)
	OptSubscribe        = int(C.ZMQ_SUBSCRIBE)
	OptUnsubscribe      = int(C.ZMQ_UNSUBSCRIBE)
	OptLinger           = int(C.ZMQ_LINGER)
	OptReconnectIvl     = int(C.ZMQ_RECONNECT_IVL)
	OptRcvTimeo         = int(C.ZMQ_RCVTIMEO)
	OptSndTimeo         = int(C.ZMQ_SNDTIMEO)
	OptLastEndpoint     = int(C.ZMQ_LAST_ENDPOINT)
	OptHeartbeatIvl     = int(C.ZMQ_HEARTBEAT_IVL)
	OptHeartbeatTimeout = int(C.ZMQ_HEARTBEAT_TIMEOUT)
	OptPlainServer      = int(C.ZMQ_PLAIN_SERVER)
	OptPlainUsername    = int(C.ZMQ_PLAIN_USERNAME)
	OptPlainPassword    = int(C.ZMQ_PLAIN_PASSWORD)
	OptCurveServer      = int(C.ZMQ_CURVE_SERVER)
	OptCurvePublicKey   = int(C.ZMQ_CURVE_PUBLICKEY)
	OptCurveSecretKey   = int(C.ZMQ_CURVE_SECRETKEY)
	OptCurveServerKey   = int(C.ZMQ_CURVE_SERVERKEY)
	OptZAPDomain        = int(C.ZMQ_ZAP_DOMAIN)
	OptWSSKeyPEM        = int(C.ZMQ_WSS_KEY_PEM)
	OptWSSCertPEM       = int(C.ZMQ_WSS_CERT_PEM)
	OptWSSTrustPEM      = int(C.ZMQ_WSS_TRUST_PEM)
	OptWSSHostname      = int(C.ZMQ_WSS_HOSTNAME)
	OptWSSTrustSystem   = int(C.ZMQ_WSS_TRUST_SYSTEM)
	OptRouterMandatory  = int(C.ZMQ_ROUTER_MANDATORY)

	sndMore = int(C.ZMQ_SNDMORE)
)

// Version returns libzmq's version.
func Version() (int, int, int) {
	var a, b, c C.int
	C.zmq_version(&a, &b, &c)
	return int(a), int(b), int(c)
}

// Has is zmq_has.
func Has(capability string) bool {
	cs := C.CString(capability)
	defer C.free(unsafe.Pointer(cs))
	return C.zmq_has(cs) != 0
}

// lastErr wraps the errno cgo captured right after the failed call, on
// the thread that made it (a later C.zmq_errno may run on another).
func lastErr(op string, err error) error {
	var e syscall.Errno
	if !errors.As(err, &e) {
		return fmt.Errorf("libzmq %s: failed without errno", op)
	}
	return fmt.Errorf("libzmq %s: %w (%s)", op, e, C.GoString(C.zmq_strerror(C.int(e))))
}

// Ctx is a libzmq context.
type Ctx struct{ p unsafe.Pointer }

// NewCtx is zmq_ctx_new.
func NewCtx() *Ctx { return &Ctx{C.zmq_ctx_new()} }

// Term is zmq_ctx_term.
func (c *Ctx) Term() error {
	if rc, err := C.wsd_ctx_term(c.p); rc != 0 {
		return lastErr("ctx_term", err)
	}
	return nil
}

// Sock is a libzmq socket; like libzmq's, it is not safe for concurrent
// use.
type Sock struct {
	p   unsafe.Pointer
	Typ int
}

// Socket is zmq_socket; linger is 0 and receives time out after 5 s.
func (c *Ctx) Socket(typ int) (*Sock, error) {
	p, err := C.zmq_socket(c.p, C.int(typ))
	if p == nil {
		return nil, lastErr("socket", err)
	}
	s := &Sock{p: p, Typ: typ}
	_ = s.SetInt(OptLinger, 0)
	_ = s.SetInt(OptRcvTimeo, 5000)
	_ = s.SetInt(OptSndTimeo, 5000)
	return s, nil
}

// Close is zmq_close.
func (s *Sock) Close() error {
	if s.p == nil {
		return nil
	}
	rc, err := C.zmq_close(s.p)
	s.p = nil
	if rc != 0 {
		return lastErr("close", err)
	}
	return nil
}

// SetInt sets an int option.
func (s *Sock) SetInt(opt, v int) error {
	if rc, err := C.wsd_setint(s.p, C.int(opt), C.int(v)); rc != 0 {
		return lastErr(fmt.Sprintf("setsockopt(%d)", opt), err)
	}
	return nil
}

// SetBytes sets a binary or string option.
func (s *Sock) SetBytes(opt int, v []byte) error {
	var ptr unsafe.Pointer
	if len(v) > 0 {
		cs := C.CBytes(v)
		defer C.free(cs)
		ptr = cs
	}
	if rc, err := C.zmq_setsockopt(s.p, C.int(opt), ptr, C.size_t(len(v))); rc != 0 {
		return lastErr(fmt.Sprintf("setsockopt(%d)", opt), err)
	}
	return nil
}

// LastEndpoint is ZMQ_LAST_ENDPOINT.
func (s *Sock) LastEndpoint() string {
	var buf [512]byte
	n := C.size_t(len(buf))
	if C.zmq_getsockopt(s.p, C.ZMQ_LAST_ENDPOINT, unsafe.Pointer(&buf[0]), &n) != 0 {
		return ""
	}
	return strings.TrimRight(string(buf[:n]), "\x00")
}

// Bind is zmq_bind.
func (s *Sock) Bind(ep string) error {
	cs := C.CString(ep)
	defer C.free(unsafe.Pointer(cs))
	if rc, err := C.zmq_bind(s.p, cs); rc != 0 {
		return lastErr("bind "+ep, err)
	}
	return nil
}

// Connect is zmq_connect.
func (s *Sock) Connect(ep string) error {
	cs := C.CString(ep)
	defer C.free(unsafe.Pointer(cs))
	if rc, err := C.zmq_connect(s.p, cs); rc != 0 {
		return lastErr("connect "+ep, err)
	}
	return nil
}

// ConnectPeer is zmq_connect_peer.
func (s *Sock) ConnectPeer(ep string) (uint32, error) {
	cs := C.CString(ep)
	defer C.free(unsafe.Pointer(cs))
	id, err := C.zmq_connect_peer(s.p, cs)
	if id == 0 {
		return 0, lastErr("connect_peer "+ep, err)
	}
	return uint32(id), nil
}

// Join and Leave are zmq_join and zmq_leave (DISH).
func (s *Sock) Join(group string) error {
	cs := C.CString(group)
	defer C.free(unsafe.Pointer(cs))
	if rc, err := C.zmq_join(s.p, cs); rc != 0 {
		return lastErr("join", err)
	}
	return nil
}

// Leave is zmq_leave.
func (s *Sock) Leave(group string) error {
	cs := C.CString(group)
	defer C.free(unsafe.Pointer(cs))
	if rc, err := C.zmq_leave(s.p, cs); rc != 0 {
		return lastErr("leave", err)
	}
	return nil
}

// Send sends a multipart message.
func (s *Sock) Send(frames ...[]byte) error {
	for i, f := range frames {
		flags := 0
		if i < len(frames)-1 {
			flags = sndMore
		}
		if err := s.send(f, flags, 0, ""); err != nil {
			return err
		}
	}
	return nil
}

// SendDraft sends one frame with a routing id (SERVER, PEER) or a group
// (RADIO).
func (s *Sock) SendDraft(body []byte, rid uint32, group string) error {
	return s.send(body, 0, rid, group)
}

func (s *Sock) send(b []byte, flags int, rid uint32, group string) error {
	var data unsafe.Pointer
	if len(b) > 0 {
		data = C.CBytes(b)
		defer C.free(data)
	}
	var cg *C.char
	if group != "" {
		cg = C.CString(group)
		defer C.free(unsafe.Pointer(cg))
	}
	if rc, err := C.wsd_send(s.p, data, C.size_t(len(b)), C.int(flags), C.uint32_t(rid), cg); rc < 0 {
		return lastErr("send", err)
	}
	return nil
}

// Frame is one received frame.
type Frame struct {
	Body      []byte
	More      bool
	RoutingID uint32
	Group     string
}

func (s *Sock) recvFrame() (Frame, error) {
	var data unsafe.Pointer
	var n C.size_t
	var more C.int
	var rid C.uint32_t
	var group [256]C.char
	if rc, err := C.wsd_recv(s.p, 0, &data, &n, &more, &rid, &group[0]); rc != 0 {
		return Frame{}, lastErr("recv", err)
	}
	defer C.free(data)
	return Frame{Body: C.GoBytes(data, C.int(n)), More: more != 0, RoutingID: uint32(rid),
		Group: C.GoString(&group[0])}, nil
}

// Recv receives a whole message as strings.
func (s *Sock) Recv() ([]string, error) {
	var out []string
	for {
		f, err := s.recvFrame()
		if err != nil {
			return nil, err
		}
		out = append(out, string(f.Body))
		if !f.More {
			return out, nil
		}
	}
}

// RecvDraft receives one frame with its routing id and group.
func (s *Sock) RecvDraft() (Frame, error) { return s.recvFrame() }
