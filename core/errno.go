package core

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/zmtp"
)

// ZMQHausnumero is libzmq's ZMQ_HAUSNUMERO: the base of the errno values
// libzmq defines itself.
const ZMQHausnumero = 156384712

// The errno values libzmq defines itself, with libzmq's numbers (zmq.h).
// The other errno values (EAGAIN, EINVAL, ...) are the platform's, as in
// libzmq: syscall.EAGAIN and so on.
const (
	EFSM           syscall.Errno = ZMQHausnumero + 51 // operation cannot be accomplished in current state
	ENOCOMPATPROTO syscall.Errno = ZMQHausnumero + 52 // the protocol is not compatible with the socket type
	ETERM          syscall.Errno = ZMQHausnumero + 53 // context was terminated
	EMTHREAD       syscall.Errno = ZMQHausnumero + 54 // no thread available
)

// errnoTable maps zmqkit's sentinel errors (and those of the registry, the
// transport and mechanism contracts and the ZMTP codec, which zmqkit's
// errors wrap) to libzmq errno values. Errno looks them up in this order,
// so an error that wraps two of them gets the first: the more specific
// ones come first. ErrnoError maps back to the first sentinel listed for
// an errno; errno_test.go checks that every exported sentinel is here.
var errnoTable = []struct {
	err   error
	errno syscall.Errno
}{
	{ErrWouldBlock, syscall.EAGAIN},
	{ErrTerminated, ETERM},
	{ErrClosed, syscall.ENOTSOCK},
	{ErrFSM, EFSM},
	{ErrNoCompatProto, ENOCOMPATPROTO},
	{ErrProtocolNotSupported, syscall.EPROTONOSUPPORT},
	{ErrHostUnreachable, syscall.EHOSTUNREACH},
	{ErrAddrInUse, syscall.EADDRINUSE},
	{ErrAddrNotAvailable, syscall.EADDRNOTAVAIL},
	{ErrNoDevice, syscall.ENODEV},
	{ErrNotFound, syscall.ENOENT},
	{ErrTooManySockets, syscall.EMFILE},
	{ErrMsgSize, syscall.EMSGSIZE},
	{ErrProtocol, syscall.EPROTO},
	{ErrFault, syscall.EFAULT},
	{ErrNoThread, EMTHREAD},
	{ErrNotSupported, syscall.ENOTSUP},
	// before ErrInvalid, which wraps it for a too long ipc path:
	// libzmq's zmq_bind reports ENAMETOOLONG there
	{transport.ErrNameTooLong, syscall.ENAMETOOLONG},
	{ErrInvalid, syscall.EINVAL},

	{registry.ErrUnknownTransport, syscall.EPROTONOSUPPORT},
	{registry.ErrUnknownMechanism, syscall.EINVAL},
	{registry.ErrRegistered, syscall.EEXIST},
	{transport.ErrClosed, syscall.ENOTSOCK},
	{transport.ErrInvalidEndpoint, syscall.EINVAL},
	{transport.ErrAddrInUse, syscall.EADDRINUSE},
	{transport.ErrAddrNotAvailable, syscall.EADDRNOTAVAIL},
	{transport.ErrNoDevice, syscall.ENODEV},
	{transport.ErrNotSupported, syscall.ENOTSUP},
	{transport.ErrProtocol, syscall.EPROTO},
	{mechanism.ErrNoZAPHandler, syscall.EFAULT}, // libzmq's HANDSHAKE_FAILED_NO_DETAIL value
	{zmtp.ErrFrameTooLarge, syscall.EMSGSIZE},
	{zmtp.ErrMalformed, syscall.EPROTO},
	{zmtp.ErrBadCommand, syscall.EPROTO},
	{zmtp.ErrBadMetadata, syscall.EPROTO},
	{zmtp.ErrBadGreeting, syscall.EPROTO},
}

// Errno returns the libzmq errno value for an error zmqkit returned: what
// zmq_errno would say after the libzmq call that failed the same way.
// It is the errno of the first sentinel the error wraps (ErrWouldBlock:
// EAGAIN, ErrTerminated: ETERM, ErrNoCompatProto: ENOCOMPATPROTO, ...,
// see the table in the README), else the operating system's errno it
// wraps (ECONNREFUSED, EACCES, ...). Without either: EPROTO for a
// handshake refused by the peer's mechanism, EACCES for one refused by
// ZAP, ETIMEDOUT for a timeout (a bare context.DeadlineExceeded too;
// zmqkit's calls that time out return ErrWouldBlock, EAGAIN), EINTR for a
// bare context.Canceled, EPIPE for a connection closed by the peer
// (libzmq's value for it), and EINVAL for anything else. Errno(nil) is 0.
// Monitor events carry the same values: the value of BIND_FAILED,
// ACCEPT_FAILED, CLOSE_FAILED and HANDSHAKE_FAILED_NO_DETAIL, and
// MonitorEvent.Errno, are Errno of the error behind them.
func Errno(err error) syscall.Errno {
	if err == nil {
		return 0
	}
	if n, ok := errnoLookup(err); ok {
		return n
	}
	return syscall.EINVAL
}

// errnoLookup is Errno without its last resort.
func errnoLookup(err error) (syscall.Errno, bool) {
	for _, e := range errnoTable {
		if errors.Is(err, e.err) {
			return e.errno, true
		}
	}
	var errno syscall.Errno
	if errors.As(err, &errno) && errno != 0 {
		return errno, true
	}
	var pe *mechanism.ProtocolError
	var ae *mechanism.AuthError
	var te interface{ Timeout() bool }
	switch {
	case errors.As(err, &pe):
		return syscall.EPROTO, true
	case errors.As(err, &ae):
		return syscall.EACCES, true
	case errors.Is(err, context.DeadlineExceeded):
		return syscall.ETIMEDOUT, true
	case errors.Is(err, context.Canceled):
		return syscall.EINTR, true
	case errors.As(err, &te) && te.Timeout():
		return syscall.ETIMEDOUT, true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return syscall.EPIPE, true
	}
	return 0, false
}

// ErrnoError maps a libzmq errno value back to zmqkit's sentinel for it,
// so that errors.Is(err, ErrnoError(Errno(err))) holds for the errors
// zmqkit returns: EAGAIN gives ErrWouldBlock, ETERM ErrTerminated, EFSM
// ErrFSM, and so on (ENAMETOOLONG gives transport.ErrNameTooLong). An errno
// no sentinel stands for is returned as itself, a syscall.Errno;
// ErrnoError(0) is nil.
func ErrnoError(errno syscall.Errno) error {
	if errno == 0 {
		return nil
	}
	for _, e := range errnoTable {
		if e.errno == errno {
			return e.err
		}
	}
	return errno
}

// zmqErrorText is libzmq's zmq_strerror text for its own errno values.
var zmqErrorText = map[syscall.Errno]string{
	EFSM:           "Operation cannot be accomplished in current state",
	ENOCOMPATPROTO: "The protocol is not compatible with the socket type",
	ETERM:          "Context was terminated",
	EMTHREAD:       "No thread available",
}

// StrError returns the message libzmq's zmq_strerror gives for errno:
// libzmq's own text for EFSM, ENOCOMPATPROTO, ETERM and EMTHREAD, and the
// system's description otherwise ("Resource temporarily unavailable").
func StrError(errno syscall.Errno) string {
	if s, ok := zmqErrorText[errno]; ok {
		return s
	}
	s := errno.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}
