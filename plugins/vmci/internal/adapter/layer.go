// Package adapter is the vmci/vsock transport minus its socket layer:
// endpoint parsing and formatting, options, errors, monitor events and the
// ZMTP stream (through sockio). The socket layer is an interface, so the
// same adapter runs on AF_VSOCK (Real), on Firecracker's hybrid vsock
// (Hybrid) and, in tests, on a fake over Unix sockets (vmcitest).
package adapter

import (
	"context"
	"net"
	"time"

	"github.com/zmqkit/zmqkit/registry/transport/sockio"
)

// Well-known values of the AF_VSOCK address space (linux/vm_sockets.h).
const (
	CIDHypervisor uint32 = 0          // VMADDR_CID_HYPERVISOR
	CIDLocal      uint32 = 1          // VMADDR_CID_LOCAL (vsock_loopback)
	CIDHost       uint32 = 2          // VMADDR_CID_HOST
	CIDAny        uint32 = 0xFFFFFFFF // VMADDR_CID_ANY
	PortAny       uint32 = 0xFFFFFFFF // VMADDR_PORT_ANY
)

// SockOpts are the AF_VSOCK socket options applied to a socket before it
// binds or connects (an accepted socket inherits its listener's). Zero
// values leave the kernel default.
type SockOpts struct {
	BufferSize     uint64        // SO_VM_SOCKETS_BUFFER_SIZE (ZMQ_VMCI_BUFFER_SIZE)
	BufferMinSize  uint64        // SO_VM_SOCKETS_BUFFER_MIN_SIZE (ZMQ_VMCI_BUFFER_MIN_SIZE)
	BufferMaxSize  uint64        // SO_VM_SOCKETS_BUFFER_MAX_SIZE (ZMQ_VMCI_BUFFER_MAX_SIZE)
	ConnectTimeout time.Duration // SO_VM_SOCKETS_CONNECT_TIMEOUT (ZMQ_VMCI_CONNECT_TIMEOUT)
}

// Layer is the socket layer under the adapter. Connections it returns
// report their addresses as *vsock.Addr; those that implement
// syscall.Conn are read with readv and written with writev.
type Layer interface {
	// LocalCID returns this machine's CID (what "@" means for vmci).
	LocalCID() (uint32, error)
	// Listen binds (cid, port), PortAny picking a free port, with opts
	// applied before bind, and listens with backlog (<= 0: SOMAXCONN).
	Listen(cid, port uint32, opts *SockOpts, backlog int) (Listener, error)
	// Dial creates a socket, applies opts, calls created with its
	// descriptor (-1 if it has none) and connects, honouring ctx.
	Dial(ctx context.Context, cid, port uint32, opts *SockOpts, created func(fd int)) (net.Conn, error)
}

// Listener is a bound, listening socket of a Layer.
type Listener interface {
	sockio.NetListener
	// Addr is the bound address, a *vsock.Addr with the real port.
	Addr() net.Addr
	// FD is the listening descriptor, or -1.
	FD() int
}
