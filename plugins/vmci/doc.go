// Package vmci is the zmqkit transport for virtual machine sockets
// (AF_VSOCK): ZMTP between a virtual machine and its host, or between two
// processes of one machine, without a network. It registers two schemes
// in registry.Default:
//
//   - "vmci", libzmq 4.3's VMCI transport (zmq_vmci(7)), whose "@" is the
//     local CID;
//   - "vsock", libzmq master's Linux AF_VSOCK transport (zmq_vsock(7)),
//     whose "@" is VMADDR_CID_LOCAL (1), as libzmq PR #4922 made it.
//
// Both run over Linux AF_VSOCK, whatever the hypervisor's transport under
// it (virtio-vsock for KVM, QEMU, Firecracker and Cloud Hypervisor, VMCI
// for VMware, hv_sock for Hyper-V), and carry ZMTP exactly as tcp does:
// every socket type, every mechanism (CURVE is the normal choice for a
// host agent), heartbeats, reconnects. plugins/all includes it, or import
// it alone:
//
//	import _ "github.com/zmqkit/zmqkit/plugins/vmci"
//
// # Endpoints
//
// An endpoint is "vmci://CID:PORT" or "vsock://CID:PORT", split at the
// last ':' as libzmq does. On bind, CID is
//
//   - "*" or "-1": every CID of this machine (VMADDR_CID_ANY);
//   - "@": the local CID on vmci:// (IOCTL_VM_SOCKETS_GET_LOCAL_CID: 2 on
//     a host, the guest's CID in a VM; a machine without one fails with
//     ErrNoVsock and ENODEV, as libzmq's ENODEV), 1 on vsock://;
//   - a decimal number: 1 for loopback (vsock_loopback), the host's 2, a
//     guest's CID.
//
// PORT is "*" or "-1" for an ephemeral port, or a decimal number (0 is
// port 0, as in libzmq; ports below 1024 need CAP_NET_BIND_SERVICE).
// Connect needs the peer's CID and port: a decimal number or "@" for the
// CID, a decimal port; wildcards are refused there (libzmq accepts them
// and fails in connect(2)). Numbers are decimal digits only, up to
// 4294967295: libzmq's strtoul also takes signs, spaces and trailing
// characters ("3abc" is 3), zmqkit refuses them. Errors wrap
// transport.ErrInvalidEndpoint (core.ErrInvalid, EINVAL) and name the
// endpoint; a malformed connect endpoint fails Connect itself
// (transport.DialChecker).
//
// The listener's endpoint (ZMQ_LAST_ENDPOINT, Socket.LastEndpoint) has
// the real port: "vsock://*:1025" after binding "vsock://*:*" (libzmq
// master reports the "*" it was given), and the wildcard CID prints as
// "*" as in libzmq. A connection's addresses, in monitor events
// (MonitorVersioned's local and remote endpoints, WatchEvents'
// Local/Remote), are "vsock://CID:PORT" of each end, so a host sees which
// guest (CID) and which of its ports an event is about. Its Peer-Address
// property (and the ZAP request's address) is the peer's CID in decimal,
// e.g. "3": a ZAP handler such as package auth can allow or deny guests
// by CID (libzmq leaves it empty).
//
// # Options
//
// Options are passed with core.WithTransportOption and the helpers of this
// package, e.g. core.WithTransportOption(vmci.BufferSize(1<<20)); libzmq's
// names work as well, with any integer type:
// core.WithTransportOption("VMCI_BUFFER_SIZE", 1<<20). They apply to both
// schemes, to each socket before it binds or connects (accepted sockets
// inherit the listener's, as AF_VSOCK does), at level AF_VSOCK:
//
//	option (WithTransportOption name)  libzmq option                  default                 socket option
//	BufferSize    VMCI_BUFFER_SIZE      ZMQ_VMCI_BUFFER_SIZE (85)      kernel's, 262144 bytes  SO_VM_SOCKETS_BUFFER_SIZE
//	BufferMinSize VMCI_BUFFER_MIN_SIZE  ZMQ_VMCI_BUFFER_MIN_SIZE (86)  kernel's, 128 bytes     SO_VM_SOCKETS_BUFFER_MIN_SIZE
//	BufferMaxSize VMCI_BUFFER_MAX_SIZE  ZMQ_VMCI_BUFFER_MAX_SIZE (87)  kernel's, 262144 bytes  SO_VM_SOCKETS_BUFFER_MAX_SIZE
//	ConnectTimeout VMCI_CONNECT_TIMEOUT ZMQ_VMCI_CONNECT_TIMEOUT (88)  kernel's, 2 s           SO_VM_SOCKETS_CONNECT_TIMEOUT
//
// Sizes are uint64 bytes, 0 leaves the kernel's value. Each is its own
// socket option (libzmq 4.3 sets all three through SO_VMCI_BUFFER_SIZE),
// applied maximum first, then minimum, then size, because the kernel
// clamps the size into the bounds. ConnectTimeout is a time.Duration or
// libzmq's milliseconds (-1, the default, keeps the kernel's); it is a
// proper timeval (libzmq 4.3 puts the milliseconds times 1000 in
// tv_usec). An unknown option name beginning with VMCI_ or a value of the
// wrong type fails the bind or connect with transport.ErrInvalidEndpoint
// (EINVAL).
//
// HybridUDS (VMCI_HYBRID_UDS, zmqkit's own, default unset) puts the
// socket's binds and connects on the host side of Firecracker's hybrid
// vsock (Cloud Hypervisor's too): the VM's vsock device is then a Unix
// socket on the host. A connect to "vsock://CID:PORT" connects to that
// socket and sends "CONNECT PORT\n" (the device answers "OK HOSTPORT\n");
// a bind of "vsock://*:PORT" (or 2:PORT) listens on the Unix socket
// "PATH_PORT", where the device delivers the guests' connections to the
// host's port PORT. Such a bind needs a fixed port, accepted connections
// have no peer CID, and the VMCI_* socket options do not apply. The
// guest side is plain AF_VSOCK.
//
// Of the socket's general options, CONNECT_TIMEOUT bounds each connect
// attempt, BACKLOG is the listen(2) backlog,
// RECONNECT_IVL, RECONNECT_IVL_MAX and RECONNECT_STOP, HANDSHAKE_IVL and
// the HEARTBEAT options work as on tcp. A connect to a port nobody
// listens on fails with ECONNRESET on Linux; the transport reports it as
// ECONNREFUSED too, so RECONNECT_STOP_CONN_REFUSED stops it as on tcp.
// SNDBUF, RCVBUF, TOS, PRIORITY, BINDTODEVICE and the TCP options do not
// apply to AF_VSOCK and are ignored.
//
// # Monitor events
//
// As tcp's: LISTENING or BIND_FAILED on bind, ACCEPTED or ACCEPT_FAILED
// for each accepted connection, CLOSED when the listener closes; a
// connect reports CONNECT_DELAYED once the socket exists, then CONNECTED
// or, when it fails, CLOSED, after which the core reports CONNECT_RETRIED;
// then HANDSHAKE_* and DISCONNECTED from the core. A connect that fails
// before a socket exists (no local CID for "@") reports nothing, as tcp's
// failed name resolution.
//
// # Errors
//
// Besides the OS error itself (errors.Is(err, syscall.EADDRINUSE) and so
// on) and the transport sentinel the core maps to a libzmq errno, a bind
// or connect error wraps one of these when it applies:
//
//   - ErrNoVsock: no /dev/vsock or no AF_VSOCK in the kernel; the message
//     names the modules to load (vhost_vsock on a host,
//     vmw_vsock_virtio_transport in a KVM or Firecracker guest,
//     vmw_vsock_vmci_transport under VMware, hv_sock under Hyper-V,
//     vsock_loopback for CID 1). Wraps ENODEV.
//   - ErrAccess: /dev/vsock may not be opened (EACCES).
//   - ErrDenied: socket(AF_VSOCK) failed with EPERM, which is what the
//     default seccomp profiles of Docker and containerd do.
//   - ErrNoLoopback: CID 1 without the vsock_loopback module (a bind
//     fails with EADDRNOTAVAIL, a connect with ENODEV).
//   - ErrUnsupportedOS: not Linux. The package builds everywhere; every
//     bind and connect fails with this error, which wraps ENOTSUP.
//
// A failed connect is retried with the socket's reconnect policy; it
// never panics.
//
// # Helpers
//
// LocalCID returns this machine's CID; CIDHypervisor, CIDLocal, CIDHost,
// CIDAny and the CIDs map name the well-known ones; Endpoint formats an
// endpoint.
//
// # Performance
//
// Connections are read with readv and written with writev (through the
// socket's RawConn: the net package does not writev AF_VSOCK), with the
// same engine as tcp and ipc and no allocation per message. The
// benchmarks of this package run the transport on its fake layer beside
// ipc, both over Unix sockets, so that the difference is the plugin's
// own cost:
//
//	go test ./plugins/vmci -run '^$' -bench . -benchmem
//
// Over real vsock, libzmq's perf tools (cmd/local_thr, remote_thr,
// local_lat, remote_lat, which register this transport) take vsock
// endpoints, e.g. on a host and in a guest:
//
//	go run ./cmd/local_thr 'vsock://*:5555' 64 1000000
//	go run ./cmd/remote_thr vsock://2:5555 64 1000000
//
// # Out of process
//
// cmd/zmqkit-plugin-vmci serves this transport out of process
// (registry/external): the plugin binds, accepts and connects, and hands
// each connection's AF_VSOCK descriptor to the host, which wraps it with
// sockio.FileConn (net.FileConn refuses AF_VSOCK) and does the I/O
// itself, so the message path is the in-process one. Errors reach the
// host with their libzmq errno; this package's sentinels (ErrNoLoopback,
// ...) stay in the plugin's message text.
//
// # Testing without a vsock device
//
// Package vmcitest runs this transport on a fake socket layer (Unix
// sockets standing for the CIDs of several machines), with everything
// above the AF_VSOCK system calls unchanged. The tests of this package run
// the transport conformance suite and socket-level tests (PAIR, REQ/REP,
// PUB/SUB, ROUTER/DEALER with CURVE, reconnects after the listener
// restarts, monitor events) on it; the integration tests run the same on
// real AF_VSOCK over CID 1 when the machine has vsock_loopback
// (modprobe vsock_loopback) and skip, saying why, when it has not.
package vmci
