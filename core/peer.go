package core

import (
	"errors"

	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/transport"
)

// ConnectPeer connects a PEER socket to endpoint and returns the routing
// id of that connection (zmq_connect_peer). The id is assigned before
// ConnectPeer returns, atomically with respect to every other call on the
// socket, so a message whose routing id is set to it (Msg.SetRoutingID)
// can be sent at once: it is queued until the connection is up, and the
// id stays the same across reconnects. Safe for concurrent use.
//
// Errors, each wrapping the sentinel for libzmq's errno:
// ErrNotSupported (not a PEER socket, ENOTSUP), ErrFault (IMMEDIATE is
// set, EFAULT), ErrInvalid (malformed endpoint, EINVAL),
// ErrProtocolNotSupported (a transport ConnectPeer does not support, or
// one not registered, EPROTONOSUPPORT), ErrNoCompatProto (udp, pgm, epgm,
// norm: not for PEER sockets, ENOCOMPATPROTO), ErrTerminated (the context
// was terminated, ETERM) and ErrClosed (the socket was closed, ENOTSOCK).
// libzmq's EMTHREAD (no I/O thread) cannot happen: connections need no
// thread slot here.
func (s *Socket) ConnectPeer(endpoint string) (uint32, error) {
	fail := func(err error) (uint32, error) { return 0, opErr("connect_peer", endpoint, err) }
	s.mu.Lock()
	err := s.checkUsable()
	immediate := s.opts.Immediate
	s.mu.Unlock()
	switch {
	case err != nil:
		return fail(err)
	case s.typ != PEER:
		return fail(ErrNotSupported)
	case immediate:
		return fail(ErrFault)
	}
	scheme, _, err := registry.SplitEndpoint(endpoint)
	if err != nil {
		return fail(mapTransportErr(err))
	}
	switch scheme {
	case "udp", "pgm", "epgm", "norm":
		return fail(ErrNoCompatProto)
	}
	// Any connection-oriented transport will do (the manual lists tcp,
	// ipc, inproc, ws and wss); datagram transports will not.
	t, err := s.ctx.reg.Transport(scheme)
	if err != nil {
		return fail(mapTransportErr(err))
	}
	if t.Kind() == transport.KindDatagram {
		return fail(ErrNoCompatProto)
	}
	p, err := s.connect(endpoint)
	if err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Op = "connect_peer"
		}
		return 0, err
	}
	if p == nil {
		// IMMEDIATE was set by another goroutine meanwhile
		return fail(ErrFault)
	}
	s.mu.Lock()
	id := idOf(p)
	s.mu.Unlock()
	return id, nil
}

// DisconnectPeer closes the connection whose routing id is id, on a SERVER
// or PEER socket (zmq_disconnect_peer, libzmq 4.3.6). Sending to id fails
// with ErrHostUnreachable as soon as it returns. A connection made by
// ConnectPeer or Connect is not re-established. Unknown id:
// ErrHostUnreachable; other socket types: ErrNotSupported.
func (s *Socket) DisconnectPeer(id uint32) error {
	fail := func(err error) error { return opErr("disconnect_peer", "", err) }
	s.mu.Lock()
	if err := s.checkUsable(); err != nil {
		s.mu.Unlock()
		return fail(err)
	}
	sv, ok := s.pat.(*serverPattern)
	if !ok {
		s.mu.Unlock()
		return fail(ErrNotSupported)
	}
	p, ok := sv.forget(id)
	if !ok {
		s.mu.Unlock()
		return fail(ErrHostUnreachable)
	}
	var cn *connecter
	if p.cn != nil {
		cn = p.cn
		s.connects = removeConnecter(s.connects, cn)
	}
	var ic *inprocConn
	for i, c := range s.inprocConns {
		if c.offer.local == p {
			ic = c
			s.inprocConns = append(s.inprocConns[:i], s.inprocConns[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
	switch {
	case cn != nil:
		cn.stop(0)
	case ic != nil:
		ic.close(true)
	default:
		p.terminate(true)
	}
	return nil
}

func removeConnecter(cs []*connecter, c *connecter) []*connecter {
	for i, x := range cs {
		if x == c {
			return append(cs[:i], cs[i+1:]...)
		}
	}
	return cs
}

// Join joins group on a DISH socket (zmq_join): messages of that group
// are received from now on, and every connected RADIO is told. Errors:
// ErrInvalid for a group longer than MaxGroupLen bytes or one already
// joined, ErrNotSupported on other socket types.
func (s *Socket) Join(group string) error {
	return opErr("join", "", s.join(group, true))
}

// Leave leaves group on a DISH socket (zmq_leave). Errors: ErrInvalid for
// a group longer than MaxGroupLen bytes or one not joined,
// ErrNotSupported on other socket types.
func (s *Socket) Leave(group string) error {
	return opErr("leave", "", s.join(group, false))
}

func (s *Socket) join(group string, on bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkUsable(); err != nil {
		return err
	}
	d, ok := s.pat.(*dishPattern)
	if !ok {
		return ErrNotSupported
	}
	return d.join(group, on)
}
