package adapter

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime"
	"syscall"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// Sentinels for the conditions a user can act on. The error a bind or
// connect returns wraps one of these, the transport sentinel the core maps
// to a libzmq errno, and the original error (a syscall.Errno, or the
// *os.PathError of /dev/vsock), so errors.Is finds each.
var (
	// ErrNoVsock: the kernel has no usable AF_VSOCK: no /dev/vsock, or
	// socket(AF_VSOCK) fails with EAFNOSUPPORT. Wraps transport.ErrNoDevice
	// (ENODEV).
	ErrNoVsock = errors.New("vsock: no AF_VSOCK here: load vhost_vsock (on a hypervisor host), " +
		"vmw_vsock_virtio_transport (in a KVM, QEMU, Firecracker or Cloud Hypervisor guest), " +
		"vmw_vsock_vmci_transport (in a VMware guest), hv_sock (in a Hyper-V guest) " +
		"or vsock_loopback (for CID 1 on one machine)")
	// ErrAccess: /dev/vsock exists but may not be opened.
	ErrAccess = errors.New("vsock: permission denied on /dev/vsock: run as a user who may open it " +
		"(root, or chmod/chgrp it as upstream CI does)")
	// ErrDenied: socket(AF_VSOCK) failed with EPERM, which is what the
	// default seccomp profiles of Docker and containerd do.
	ErrDenied = errors.New("vsock: socket(AF_VSOCK) not permitted: a container's default seccomp profile " +
		"(Docker, containerd, Podman) denies AF_VSOCK; run it with a profile that allows address family 40")
	// ErrNoLoopback: CID 1 (VMADDR_CID_LOCAL) was bound or dialled but the
	// vsock_loopback transport is not loaded. Wraps
	// transport.ErrAddrNotAvailable (EADDRNOTAVAIL) on bind.
	ErrNoLoopback = errors.New("vsock: CID 1 (local) needs the vsock_loopback module (Linux 5.6 or later): " +
		"modprobe vsock_loopback")
	// ErrUnsupportedOS: AF_VSOCK exists on Linux only. Wraps
	// transport.ErrNotSupported (ENOTSUP).
	ErrUnsupportedOS = fmt.Errorf("vsock: not supported on %s (AF_VSOCK is Linux only): %w",
		runtime.GOOS, transport.ErrNotSupported)
)

// Classify adds to err, an error of the socket layer for an operation on
// cid, the sentinels a user can act on; err stays in the chain.
func Classify(err error, cid uint32, dial bool) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	dev := errors.As(err, &pe) && pe.Path == "/dev/vsock"
	var errno syscall.Errno
	errors.As(err, &errno)
	var se *os.SyscallError
	socketCall := errors.As(err, &se) && se.Syscall == "socket"
	switch {
	case errors.Is(err, ErrUnsupportedOS), errors.Is(err, ErrNoVsock), errors.Is(err, ErrAccess),
		errors.Is(err, ErrDenied), errors.Is(err, ErrNoLoopback):
		return err // already said
	case dev && errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: %w: %w", ErrNoVsock, transport.ErrNoDevice, err)
	case dev && errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%w: %w", ErrAccess, err)
	case socketCall && (errno == syscall.EAFNOSUPPORT || errno == syscall.EPROTONOSUPPORT):
		return fmt.Errorf("%w: %w: %w", ErrNoVsock, transport.ErrNoDevice, err)
	case socketCall && errno == syscall.EPERM:
		return fmt.Errorf("%w: %w", ErrDenied, err)
	case cid == CIDLocal && !dial && errno == syscall.EADDRNOTAVAIL:
		return fmt.Errorf("%w: %w: %w", ErrNoLoopback, transport.ErrAddrNotAvailable, err)
	case cid == CIDLocal && dial && errno == syscall.ENODEV:
		return fmt.Errorf("%w: %w: %w", ErrNoLoopback, transport.ErrNoDevice, err)
	case dial && errno == syscall.ECONNRESET:
		// A vsock peer with no listener on the port answers a connect
		// with a reset: to ZeroMQ that is a refused connection, so
		// RECONNECT_STOP_CONN_REFUSED applies as on tcp.
		return fmt.Errorf("%w (no listener): %w", syscall.ECONNREFUSED, err)
	}
	return err
}
