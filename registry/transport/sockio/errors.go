package sockio

import (
	"context"
	"errors"
	"fmt"
	"syscall"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// sentinelFor returns the transport sentinel matching the OS error inside
// err, or nil.
func sentinelFor(err error) error {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return nil
	}
	switch errno {
	case syscall.EADDRINUSE:
		return transport.ErrAddrInUse
	case syscall.EADDRNOTAVAIL:
		return transport.ErrAddrNotAvailable
	case syscall.ENODEV:
		return transport.ErrNoDevice
	case syscall.ENAMETOOLONG:
		return transport.ErrNameTooLong
	}
	return nil
}

// OpError wraps err for operation op on endpoint ep of a scheme's plugin,
// adding the transport sentinel that matches the OS error, if any, so that
// both errors.Is(err, transport.ErrAddrInUse) and
// errors.Is(err, syscall.EADDRINUSE) hold.
func OpError(scheme, op, ep string, err error) error {
	if s := sentinelFor(err); s != nil && !errors.Is(err, s) {
		return fmt.Errorf("%s: %s %s: %w: %w", scheme, op, ep, s, err)
	}
	return fmt.Errorf("%s: %s %s: %w", scheme, op, ep, err)
}

// Errno returns the platform errno behind err for *_FAILED events: the
// syscall.Errno it wraps, else the errno libzmq uses for the transport
// sentinel it wraps, else 0.
func Errno(err error) int {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return int(errno)
	}
	for _, m := range []struct {
		err   error
		errno syscall.Errno
	}{
		{transport.ErrInvalidEndpoint, syscall.EINVAL},
		{transport.ErrAddrInUse, syscall.EADDRINUSE},
		{transport.ErrAddrNotAvailable, syscall.EADDRNOTAVAIL},
		{transport.ErrNoDevice, syscall.ENODEV},
		{transport.ErrNameTooLong, syscall.ENAMETOOLONG},
		{transport.ErrNotSupported, syscall.EOPNOTSUPP},
		{context.DeadlineExceeded, syscall.ETIMEDOUT},
	} {
		if errors.Is(err, m.err) {
			return int(m.errno)
		}
	}
	return 0
}
