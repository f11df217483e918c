package core

import (
	"errors"
	"io"
	"syscall"

	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/zmtp"
)

// Monitor events produced by connections, with libzmq's rules
// (stream_engine_base_t::error and the mechanisms):
//
//   - HANDSHAKE_SUCCEEDED when the ZMTP 3 security handshake is done (not
//     for ZMTP 1.0/2.0 peers, which have no mechanism, nor for STREAM);
//   - a protocol error reports HANDSHAKE_FAILED_PROTOCOL(code) where the
//     mechanism has a code for it (mechanism mismatch, unexpected or
//     malformed command, crypto, ZAP, ...), HANDSHAKE_FAILED_AUTH(status)
//     for a refused authentication, nothing for a bad greeting, bad framing
//     or an incompatible Socket-Type under NULL;
//   - an I/O error or timeout during the handshake — or at any time on a
//     connection without a mechanism (ZMTP 1.0/2.0 peers, STREAM sockets) —
//     reports HANDSHAKE_FAILED_NO_DETAIL(errno);
//   - then, whatever the error, DISCONNECTED(fd).
//
// A connection stopped locally (Close, Unbind, Disconnect, linger) reports
// nothing.

// engineFault records why an engine stopped itself (a write error or a
// heartbeat timeout seen by the writer), so that the reader, which only
// sees its connection closed, reports the right cause.
type engineFault struct{ err error }

// errHeartbeatTimeout is the cause of a heartbeat (or TTL) expiry.
var errHeartbeatTimeout error = &timeoutError{"zmq: heartbeat timeout"}

type timeoutError struct{ s string }

func (e *timeoutError) Error() string   { return e.s }
func (e *timeoutError) Timeout() bool   { return true }
func (e *timeoutError) Temporary() bool { return true }

// fail stops the engine because of err (the writer's failures).
func (e *engine) fail(err error) {
	if err == nil {
		err = io.ErrClosedPipe
	}
	if !e.doneClosed() { // not a failure caused by a local stop
		e.fault.CompareAndSwap(nil, &engineFault{err})
	}
	e.stop()
}

// doneClosed reports whether stop was called.
func (e *engine) doneClosed() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// endpointPair returns the connection's local and remote endpoints as
// libzmq's monitor reports them: on the connecting side the remote one is
// the connect endpoint.
func (e *engine) endpointPair() (local, remote string) {
	local = e.conn.LocalAddress()
	if e.connect {
		return local, e.endpoint
	}
	if local == "" {
		local = e.endpoint
	}
	return local, e.conn.RemoteAddress()
}

// monitorEvent builds an event of this connection.
func (e *engine) monitorEvent(ev Event, value uint64) MonitorEvent {
	local, remote := e.endpointPair()
	me := MonitorEvent{Event: ev, Value: value, Local: local, Remote: remote, FD: e.conn.FD()}
	if e.connect {
		me.Endpoint = remote
	} else {
		me.Endpoint = local
	}
	return me
}

// monitorReady reports HANDSHAKE_SUCCEEDED (ZMTP 3 peers only: older ones
// have no security handshake).
func (e *engine) monitorReady() {
	if e.ver < zmtp.V30 || e.oneWay || !e.sock.monitored(EventHandshakeSucceeded) {
		return
	}
	ev := e.monitorEvent(EventHandshakeSucceeded, 0)
	e.sock.publish(&ev)
}

// monitorEnd reports the end of the connection after err, unless it was
// stopped locally. It must be called before the engine stops itself.
// rawConn says the connection has no mechanism (STREAM); its caller has
// already ruled out a local stop.
func (e *engine) monitorEnd(err error, handshake, rawConn bool) {
	e.monitorEndStopped(err, handshake, rawConn, e.doneClosed())
}

// monitorEndStopped is monitorEnd for an engine stopped since: whether it
// was stopped locally was decided before.
func (e *engine) monitorEndStopped(err error, handshake, rawConn, stoppedLocally bool) {
	const watched = EventDisconnected | EventHandshakeFailedNoDetail |
		EventHandshakeFailedProtocol | EventHandshakeFailedAuth
	if !e.sock.monitored(watched) {
		return
	}
	if rawConn {
		// the raw engine decided itself that the peer is gone
	} else if f := e.fault.Load(); f != nil {
		err = f.err
	} else if stoppedLocally {
		return // stopped locally
	}
	if err == nil || errors.Is(err, errStopped) {
		return
	}
	var ee *engineError
	protocol := errors.As(err, &ee) && ee.kind == errProtocol
	noMechanism := rawConn || (e.ver != 0 && e.ver < zmtp.V30) || e.noMech
	var pe *mechanism.ProtocolError
	var ae *mechanism.AuthError
	var he *transport.HandshakeError
	switch {
	case errors.As(err, &he):
		// the transport's own handshake (ws: the HTTP upgrade)
		ev := e.monitorEvent(EventHandshakeFailedProtocol, uint64(he.Code))
		ev.ProtocolError, ev.Err = he.Code, err
		e.sock.publish(&ev)
	case errors.Is(err, mechanism.ErrNoZAPHandler):
		e.monitorFailed(EventHandshakeFailedNoDetail, uint64(syscall.EFAULT), err)
	case errors.As(err, &ae):
		ev := e.monitorEvent(EventHandshakeFailedAuth, uint64(ae.Status))
		ev.AuthStatus, ev.Err = ae.Status, err
		e.sock.publish(&ev)
	case errors.As(err, &pe):
		// libzmq's NULL mechanism reports an incompatible Socket-Type or
		// malformed metadata with no HANDSHAKE_FAILED event.
		if _, null := e.mech.(*nullSession); null && pe.Code == mechanism.ErrZMTPInvalidMetadata {
			break
		}
		ev := e.monitorEvent(EventHandshakeFailedProtocol, uint64(pe.Code))
		ev.ProtocolError, ev.Err = pe.Code, err
		e.sock.publish(&ev)
	case !protocol && (handshake || noMechanism):
		e.monitorFailed(EventHandshakeFailedNoDetail, uint64(errnoOf(err)), err)
	}
	ev := e.monitorEvent(EventDisconnected, fdValue(e.conn.FD()))
	ev.Err, ev.Errno = err, errnoOf(err)
	e.sock.publish(&ev)
}

func (e *engine) monitorFailed(kind Event, errno uint64, err error) {
	ev := e.monitorEvent(kind, errno)
	ev.Errno, ev.Err = syscall.Errno(errno), err
	e.sock.publish(&ev)
}

// errnoOf is the errno that names a connection's end: Errno's mapping
// (the OS error where there is one, ECONNRESET, EPIPE, ...; ETIMEDOUT for
// timeouts, a heartbeat's or HANDSHAKE_IVL's; EPIPE for end of stream,
// libzmq's read of 0 bytes; EMSGSIZE for a frame above MAXMSGSIZE; EPROTO
// for a protocol error), and 0 when nothing says more than the error
// itself.
func errnoOf(err error) syscall.Errno {
	if n, ok := errnoLookup(err); ok {
		return n
	}
	var ee *engineError
	if errors.As(err, &ee) && ee.kind == errProtocol {
		return syscall.EPROTO
	}
	return 0
}
