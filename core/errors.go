package core

import (
	"errors"
	"fmt"
	"net"

	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/transport"
)

// Sentinel errors, for errors.Is. Each maps to the libzmq errno named in its
// comment. Errors returned by sockets wrap one of these, usually inside an
// *Error that says which operation and endpoint failed.
var (
	// ErrWouldBlock: the operation would block, or its timeout expired (EAGAIN).
	ErrWouldBlock = errors.New("zmq: resource temporarily unavailable")
	// ErrTerminated: the socket's context was shut down (ETERM).
	ErrTerminated = errors.New("zmq: context was terminated")
	// ErrClosed: the socket was closed (ENOTSOCK). errors.Is(err, net.ErrClosed) also holds.
	ErrClosed = fmt.Errorf("zmq: socket closed: %w", net.ErrClosed)
	// ErrFSM: the operation is not valid in the socket's current state (EFSM).
	ErrFSM = errors.New("zmq: operation cannot be accomplished in current state")
	// ErrNotSupported: the socket type does not support the operation (ENOTSUP).
	ErrNotSupported = errors.New("zmq: operation not supported")
	// ErrInvalid: an invalid argument, option value or endpoint (EINVAL).
	ErrInvalid = errors.New("zmq: invalid argument")
	// ErrProtocolNotSupported: the endpoint's transport is not available (EPROTONOSUPPORT).
	ErrProtocolNotSupported = errors.New("zmq: protocol not supported")
	// ErrNoCompatProto: the transport does not suit the socket type (ENOCOMPATPROTO).
	ErrNoCompatProto = errors.New("zmq: protocol not compatible with socket type")
	// ErrHostUnreachable: no peer with that routing id (EHOSTUNREACH).
	ErrHostUnreachable = errors.New("zmq: host unreachable")
	// ErrAddrInUse: the address is already bound (EADDRINUSE).
	ErrAddrInUse = errors.New("zmq: address already in use")
	// ErrAddrNotAvailable: the address is not local (EADDRNOTAVAIL).
	ErrAddrNotAvailable = errors.New("zmq: address not available")
	// ErrNoDevice: no such network interface (ENODEV).
	ErrNoDevice = errors.New("zmq: no such device")
	// ErrNotFound: the endpoint was not bound or connected (ENOENT).
	ErrNotFound = errors.New("zmq: endpoint not found")
	// ErrTooManySockets: the context's MAX_SOCKETS was reached (EMFILE).
	ErrTooManySockets = errors.New("zmq: too many open sockets")
	// ErrMsgSize: a message exceeds a size limit (EMSGSIZE).
	ErrMsgSize = errors.New("zmq: message too long")
	// ErrProtocol: a peer broke the protocol (EPROTO).
	ErrProtocol = errors.New("zmq: protocol error")
	// ErrFault: ConnectPeer on a socket with IMMEDIATE set (EFAULT).
	ErrFault = errors.New("zmq: bad address")
	// ErrNoThread: libzmq's EMTHREAD, "no I/O thread available". zmqkit
	// never returns it (connections need no I/O thread); it is here so
	// that every libzmq errno has its sentinel (ErrnoError).
	ErrNoThread = errors.New("zmq: no thread available")
)

// Error describes a failed socket operation. It unwraps to one of the
// sentinels above (and to the underlying cause).
type Error struct {
	Op       string // "bind", "connect", "send", "recv", "setsockopt", ...
	Endpoint string // the endpoint concerned, if any
	Err      error
}

// Error formats the operation, the endpoint and the cause.
func (e *Error) Error() string {
	if e.Endpoint != "" {
		return "zmq: " + e.Op + " " + e.Endpoint + ": " + trimPrefix(e.Err.Error())
	}
	return "zmq: " + e.Op + ": " + trimPrefix(e.Err.Error())
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Timeout reports whether the error is a would-block or deadline error.
func (e *Error) Timeout() bool { return errors.Is(e.Err, ErrWouldBlock) }

func trimPrefix(s string) string {
	if len(s) > 5 && s[:5] == "zmq: " {
		return s[5:]
	}
	return s
}

func opErr(op, endpoint string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Op: op, Endpoint: endpoint, Err: err}
}

// mapTransportErr adds the core sentinel that matches a transport or
// registry error, keeping the original in the chain.
func mapTransportErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, registry.ErrUnknownTransport):
		return fmt.Errorf("%w: %w", ErrProtocolNotSupported, err)
	case errors.Is(err, transport.ErrInvalidEndpoint):
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	case errors.Is(err, transport.ErrAddrInUse):
		return fmt.Errorf("%w: %w", ErrAddrInUse, err)
	case errors.Is(err, transport.ErrAddrNotAvailable):
		return fmt.Errorf("%w: %w", ErrAddrNotAvailable, err)
	case errors.Is(err, transport.ErrNoDevice):
		return fmt.Errorf("%w: %w", ErrNoDevice, err)
	case errors.Is(err, transport.ErrNameTooLong):
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	case errors.Is(err, transport.ErrNotSupported):
		return fmt.Errorf("%w: %w", ErrNotSupported, err)
	}
	return err
}
