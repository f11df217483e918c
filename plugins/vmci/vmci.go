package vmci

import (
	"time"

	"github.com/zmqkit/zmqkit/plugins/vmci/internal/adapter"
	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/transport"
)

func init() { registry.RegisterTransport(New()) }

// New returns the vmci/vsock transport on the machine's AF_VSOCK sockets,
// serving both the "vmci" and the "vsock" scheme. init registers one in
// registry.Default.
func New() transport.Transport { return adapter.New(adapter.Real()) }

// Well-known CIDs (linux/vm_sockets.h).
const (
	// CIDHypervisor is VMADDR_CID_HYPERVISOR (0), the hypervisor itself.
	CIDHypervisor uint32 = adapter.CIDHypervisor
	// CIDLocal is VMADDR_CID_LOCAL (1): this machine, through the
	// vsock_loopback module; "@" on vsock:// endpoints.
	CIDLocal uint32 = adapter.CIDLocal
	// CIDHost is VMADDR_CID_HOST (2): the host, as a guest dials it.
	CIDHost uint32 = adapter.CIDHost
	// CIDAny is VMADDR_CID_ANY: "*" or "-1" on bind, every CID of this
	// machine.
	CIDAny uint32 = adapter.CIDAny
	// PortAny is VMADDR_PORT_ANY: "*" or "-1" on bind, an ephemeral port.
	PortAny uint32 = adapter.PortAny
)

// CIDs maps the well-known CIDs' names ("hypervisor", "local", "host",
// "any") to their values.
var CIDs = map[string]uint32{
	"hypervisor": CIDHypervisor,
	"local":      CIDLocal,
	"host":       CIDHost,
	"any":        CIDAny,
}

// LocalCID returns this machine's CID, as "@" means it in vmci://
// endpoints: 2 on a hypervisor host, the guest's CID (3 or more) in a
// virtual machine. Errors are the transport's: ErrNoVsock, ErrAccess,
// ErrUnsupportedOS.
func LocalCID() (uint32, error) {
	cid, err := adapter.Real().LocalCID()
	if err != nil {
		return 0, adapter.Classify(err, CIDAny, false)
	}
	return cid, nil
}

// Endpoint formats a vsock endpoint, "vsock://CID:PORT" (CIDAny and
// PortAny print as "*").
func Endpoint(cid, port uint32) string { return adapter.Format(adapter.SchemeVSOCK, cid, port) }

// Errors a bind or connect may wrap, besides the OS error itself. Each
// tells what to do; errors.Is finds them.
var (
	// ErrNoVsock: no /dev/vsock or no AF_VSOCK in the kernel; the message
	// names the modules to load. Also wraps ENODEV (core.ErrNoDevice).
	ErrNoVsock = adapter.ErrNoVsock
	// ErrAccess: /dev/vsock may not be opened (EACCES).
	ErrAccess = adapter.ErrAccess
	// ErrDenied: socket(AF_VSOCK) failed with EPERM, as in containers
	// under Docker's or containerd's default seccomp profile.
	ErrDenied = adapter.ErrDenied
	// ErrNoLoopback: CID 1 needs the vsock_loopback module. A bind also
	// wraps EADDRNOTAVAIL (core.ErrAddrNotAvailable).
	ErrNoLoopback = adapter.ErrNoLoopback
	// ErrUnsupportedOS: AF_VSOCK is Linux only. Also wraps ENOTSUP
	// (core.ErrNotSupported).
	ErrUnsupportedOS = adapter.ErrUnsupportedOS
)

// BufferSize is ZMQ_VMCI_BUFFER_SIZE (SO_VM_SOCKETS_BUFFER_SIZE): the
// socket's buffer size in bytes (kernel default 262144). Use it as
// core.WithTransportOption(vmci.BufferSize(n)).
func BufferSize(n uint64) (name string, value any) { return adapter.OptBufferSize, n }

// BufferMinSize is ZMQ_VMCI_BUFFER_MIN_SIZE (SO_VM_SOCKETS_BUFFER_MIN_SIZE,
// kernel default 128).
func BufferMinSize(n uint64) (name string, value any) { return adapter.OptBufferMinSize, n }

// BufferMaxSize is ZMQ_VMCI_BUFFER_MAX_SIZE (SO_VM_SOCKETS_BUFFER_MAX_SIZE,
// kernel default 262144).
func BufferMaxSize(n uint64) (name string, value any) { return adapter.OptBufferMaxSize, n }

// ConnectTimeout is ZMQ_VMCI_CONNECT_TIMEOUT (SO_VM_SOCKETS_CONNECT_TIMEOUT):
// how long the kernel waits for a connect to complete; <= 0 keeps the
// kernel default (2 s).
func ConnectTimeout(d time.Duration) (name string, value any) {
	return adapter.OptConnectTimeout, d
}

// HybridUDS selects the host side of Firecracker's hybrid vsock (Cloud
// Hypervisor speaks it too) for the socket's binds and connects: path is
// the VM's vsock Unix socket (Firecracker's vsock "uds_path"). A connect
// to "vsock://CID:PORT" connects to path and sends "CONNECT PORT\n"; a
// bind of "vsock://*:PORT" (or 2:PORT) listens on path_PORT, where the
// device delivers the guest's connections to the host's port PORT. Use it
// as core.WithTransportOption(vmci.HybridUDS("/run/fc/v.sock")) on the
// host; the guest uses plain AF_VSOCK.
func HybridUDS(path string) (name string, value any) { return adapter.OptHybridUDS, path }
