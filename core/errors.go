package core

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"

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
	ErrClosed error = closedError{}
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

// Error formats the operation, the endpoint and the cause, saying each
// fact once: the sentinel's meaning, then what the layers below add that
// is new (a reason, a hint). The layers' restatements of the operation,
// the endpoint, or the same condition in other words (the transport's
// sentinel, the OS errno, net.OpError's address) are left out of the text
// and stay in the chain for errors.Is and errors.As.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("zmq: ")
	b.WriteString(e.Op)
	if e.Endpoint != "" {
		b.WriteByte(' ')
		b.WriteString(e.Endpoint)
	}
	b.WriteString(": ")
	b.WriteString(describe(e.Err, e.Endpoint))
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Timeout reports whether the error is a would-block or deadline error.
func (e *Error) Timeout() bool { return errors.Is(e.Err, ErrWouldBlock) }

type closedError struct{}

func (closedError) Error() string        { return "zmq: socket closed" }
func (closedError) Is(target error) bool { return target == net.ErrClosed }

func trimPrefix(s string) string {
	if len(s) > 5 && s[:5] == "zmq: " {
		return s[5:]
	}
	return s
}

// sentinels are the core's sentinels, most specific first.
var sentinels = []error{
	ErrTerminated, ErrClosed, ErrFSM, ErrHostUnreachable, ErrAddrInUse,
	ErrAddrNotAvailable, ErrNoDevice, ErrNotFound, ErrTooManySockets,
	ErrMsgSize, ErrProtocolNotSupported, ErrNoCompatProto, ErrNotSupported,
	ErrProtocol, ErrInvalid, ErrWouldBlock,
}

// sameAs lists, for a core sentinel, the lower layers' errors that state
// the same condition: they add nothing to the sentinel's text.
var sameAs = map[error][]error{
	ErrAddrInUse:            {transport.ErrAddrInUse, syscall.EADDRINUSE},
	ErrAddrNotAvailable:     {transport.ErrAddrNotAvailable, syscall.EADDRNOTAVAIL},
	ErrNoDevice:             {transport.ErrNoDevice, syscall.ENODEV},
	ErrInvalid:              {transport.ErrInvalidEndpoint, syscall.EINVAL},
	ErrNotSupported:         {transport.ErrNotSupported, syscall.EOPNOTSUPP},
	ErrProtocolNotSupported: {registry.ErrUnknownTransport, syscall.EPROTONOSUPPORT},
	ErrClosed:               {net.ErrClosed, transport.ErrClosed},
	ErrMsgSize:              {syscall.EMSGSIZE},
}

// describe renders err for Error: the core sentinel it wraps, then the
// new facts of the layers below, each once.
func describe(err error, endpoint string) string {
	var kind error
	for _, k := range sentinels {
		if errors.Is(err, k) {
			kind = k
			break
		}
	}
	d := describer{endpoint: endpoint, kind: kind}
	if kind != nil {
		d.add(trimPrefix(kind.Error()))
	}
	d.walk(err)
	if len(d.parts) == 0 {
		return trimPrefix(err.Error())
	}
	return strings.Join(d.parts, ": ")
}

type describer struct {
	endpoint string
	kind     error
	parts    []string
}

func (d *describer) add(s string) {
	s = strings.Trim(s, " :")
	if s == "" {
		return
	}
	for _, p := range d.parts {
		if p == s {
			return
		}
	}
	d.parts = append(d.parts, s)
}

// redundant reports whether the leaf err says what kind already says.
func (d *describer) redundant(err error) bool {
	if d.kind == nil {
		return false
	}
	if err == d.kind {
		return true
	}
	for _, s := range sameAs[d.kind] {
		if err == s {
			return true
		}
	}
	return false
}

func (d *describer) walk(err error) {
	var ue *registry.UnknownError
	if errors.As(err, &ue) && err == error(ue) {
		d.add(fmt.Sprintf("unknown %s %q: %s", ue.Kind, ue.Name, ue.Hint()))
		return
	}
	var kids []error
	switch x := err.(type) {
	case interface{ Unwrap() []error }:
		kids = x.Unwrap()
	case interface{ Unwrap() error }:
		if k := x.Unwrap(); k != nil {
			kids = []error{k}
		}
	}
	if len(kids) == 0 {
		if !d.redundant(err) {
			d.add(trimLayer(err.Error()))
		}
		return
	}
	skipOwn := false
	switch err.(type) {
	case *net.OpError, *os.SyscallError, *Error:
		// "listen tcp4 127.0.0.1:5555: ", "bind: ": the operation and the
		// address again
		skipOwn = true
	}
	// err's own words and its children, in the order the message has them
	msg := err.Error()
	type at struct{ pos, kid int }
	var order []at
	for i, k := range kids {
		pos := -1
		if t := k.Error(); t != "" {
			if j := strings.Index(msg, t); j >= 0 {
				pos = j
				msg = msg[:j] + strings.Repeat("\x00", len(t)) + msg[j+len(t):]
			}
		}
		order = append(order, at{pos, i})
	}
	sort.SliceStable(order, func(a, b int) bool { return order[a].pos < order[b].pos })
	next := 0 // start of the message text not yet looked at
	for _, o := range order {
		if o.pos >= next {
			if !skipOwn {
				d.addOwn(msg[next:o.pos])
			}
			next = o.pos + len(kids[o.kid].Error())
		}
		d.walk(kids[o.kid])
	}
	if !skipOwn && next < len(msg) {
		d.addOwn(msg[next:])
	}
}

// addOwn adds words a layer wrote around its children's messages, unless
// they only restate the endpoint or "scheme: operation".
func (d *describer) addOwn(s string) {
	if d.endpoint != "" {
		s = strings.ReplaceAll(s, strconv.Quote(d.endpoint), "")
		s = strings.ReplaceAll(s, d.endpoint, "")
	}
	s = strings.Trim(strings.ReplaceAll(s, "\x00", ""), " :")
	if s == "" || isLayerPrefix(s) {
		return
	}
	d.add(s)
}

// isLayerPrefix recognizes "tcp: bind", "inproc: connect", "tcp", "zmq":
// a layer naming itself and the operation the core already names.
func isLayerPrefix(s string) bool {
	name, op, _ := strings.Cut(s, ":")
	op = strings.TrimSpace(op)
	if !isPackageName(name) {
		return false
	}
	switch op {
	case "", "bind", "connect", "dial", "listen", "unbind", "disconnect", "accept":
		return true
	}
	return false
}

// trimLayer drops a leaf's "package: " prefix ("transport: name too long"
// reads "name too long" after the core's sentinel).
func trimLayer(s string) string {
	if name, rest, ok := strings.Cut(s, ": "); ok && isPackageName(name) {
		return rest
	}
	return s
}

// isPackageName reports whether s looks like a Go package name prefixing
// an error ("tcp", "transport"), not a word of the message ("CURVE").
func isPackageName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
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
