// Package vmcitest runs the vmci/vsock transport without a vsock device:
// a Network of fake machines, each with its own CID, whose sockets are
// Unix domain sockets in a private directory. The transport above the
// socket layer (parsing, options, events, errors, the ZMTP stream read
// with readv and written with writev) is the real one, so tests, examples
// and benchmarks exercise everything but the AF_VSOCK system calls.
//
//	n := vmcitest.NewNetwork()
//	defer n.Close()
//	host, guest := n.Machine(vmci.CIDHost), n.Machine(3)
//	hostCtx := core.NewContext(core.WithRegistry(host.Registry()))
//	guestCtx := core.NewContext(core.WithRegistry(guest.Registry()))
//	// bind "vsock://*:5000" in hostCtx, connect "vsock://2:5000" in guestCtx
//
// The fake behaves as Linux does where a test can tell: a connect to a
// port nobody listens on fails with ECONNRESET (which the transport
// reports as refused), to an unknown CID with ENODEV; binding another
// machine's CID fails with EADDRNOTAVAIL, binding or dialling CID 1 works
// only once EnableLoopback was called (vsock_loopback); a taken port
// gives EADDRINUSE; ports below 1024 are allowed (the tests run as root,
// or not: the fake does not check); accepted sockets inherit the
// listener's options. Machine.Fail injects the errors of a missing
// device, a seccomp profile and so on.
package vmcitest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/mdlayher/vsock"

	"github.com/zmqkit/zmqkit/plugins/vmci/internal/adapter"
	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/transport"
)

// Network is a set of fake machines that can reach each other.
type Network struct {
	dir string

	mu        sync.Mutex
	seq       int
	loopback  bool
	machines  map[uint32]*Machine
	listeners map[key]*listener // by (machine CID, port)
	dialers   map[string]pair   // by the dialing socket's path
	closed    bool
}

type key struct{ machine, port uint32 }

// pair is a connection's two addresses, as the accepting side sees them.
type pair struct{ local, remote vsock.Addr }

// NewNetwork makes an empty network; Close removes its directory.
func NewNetwork() *Network {
	dir, err := os.MkdirTemp("", "vz")
	if err != nil {
		panic(fmt.Sprintf("vmcitest: %v", err))
	}
	return &Network{
		dir:       dir,
		machines:  map[uint32]*Machine{},
		listeners: map[key]*listener{},
		dialers:   map[string]pair{},
	}
}

// Close removes the network's directory. Close the sockets first.
func (n *Network) Close() error {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	return os.RemoveAll(n.dir)
}

// EnableLoopback makes CID 1 work, as loading vsock_loopback does.
func (n *Network) EnableLoopback() {
	n.mu.Lock()
	n.loopback = true
	n.mu.Unlock()
}

// Machine returns the machine with the given CID, making it on first use.
func (n *Network) Machine(cid uint32) *Machine {
	n.mu.Lock()
	defer n.mu.Unlock()
	m := n.machines[cid]
	if m == nil {
		m = &Machine{n: n, cid: cid, nextPort: 49152, fail: map[string]error{}}
		n.machines[cid] = m
	}
	return m
}

func (n *Network) path(prefix string) string {
	n.seq++
	return filepath.Join(n.dir, fmt.Sprintf("%s%d", prefix, n.seq))
}

// Machine is one fake machine: a socket layer with its own CID.
type Machine struct {
	n   *Network
	cid uint32

	mu       sync.Mutex
	nextPort uint32
	fail     map[string]error
	applied  []Applied
	hybrid   string // the Unix socket of a Firecracker device, if attached
}

// Applied records the socket options applied to one socket.
type Applied struct {
	Op   string // "listen" or "dial"
	Opts adapter.SockOpts
}

// CID is the machine's CID.
func (m *Machine) CID() uint32 { return m.cid }

// Transport returns the vmci/vsock transport on this machine.
func (m *Machine) Transport() transport.Transport { return adapter.New(m) }

// Registry returns a registry holding everything registry.Default holds
// except the real vmci/vsock transport, plus this machine's.
func (m *Machine) Registry() *registry.Registry {
	r := registry.New()
	seen := map[transport.Transport]bool{}
	for _, s := range registry.Default.Transports() {
		if s == adapter.SchemeVMCI || s == adapter.SchemeVSOCK {
			continue
		}
		t, err := registry.Default.Transport(s)
		if err != nil || seen[t] {
			continue
		}
		seen[t] = true
		r.RegisterTransport(t)
	}
	for _, name := range registry.Default.Mechanisms() {
		if mech, err := registry.Default.Mechanism(name); err == nil {
			r.RegisterMechanism(mech)
		}
	}
	r.RegisterTransport(m.Transport())
	return r
}

// Fail makes the operation op ("cid", "listen" or "dial") fail with err
// until Fail(op, nil). For a missing device pass
// &os.PathError{Op: "open", Path: "/dev/vsock", Err: syscall.ENOENT};
// for a seccomp denial os.NewSyscallError("socket", syscall.EPERM).
func (m *Machine) Fail(op string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err == nil {
		delete(m.fail, op)
	} else {
		m.fail[op] = err
	}
}

// Applied returns the socket options applied so far, in order; sockets
// without options are not listed.
func (m *Machine) Applied() []Applied {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Applied(nil), m.applied...)
}

func (m *Machine) failure(op string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.fail[op]
}

func (m *Machine) record(op string, o *adapter.SockOpts) {
	if o == nil || *o == (adapter.SockOpts{}) {
		return
	}
	m.mu.Lock()
	m.applied = append(m.applied, Applied{op, *o})
	m.mu.Unlock()
}

// LocalCID returns the machine's CID.
func (m *Machine) LocalCID() (uint32, error) {
	if err := m.failure("cid"); err != nil {
		return 0, err
	}
	return m.cid, nil
}

// Listen binds (cid, port) on the machine.
func (m *Machine) Listen(cid, port uint32, opts *adapter.SockOpts, backlog int) (adapter.Listener, error) {
	if err := m.failure("listen"); err != nil {
		return nil, err
	}
	n := m.n
	n.mu.Lock()
	defer n.mu.Unlock()
	switch {
	case cid == adapter.CIDAny || cid == m.cid:
	case cid == adapter.CIDLocal && n.loopback:
	default:
		return nil, os.NewSyscallError("bind", syscall.EADDRNOTAVAIL)
	}
	if port == adapter.PortAny {
		port = m.freePort()
	} else if n.listeners[key{m.cid, port}] != nil {
		return nil, os.NewSyscallError("bind", syscall.EADDRINUSE)
	}
	path := n.path("l")
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	l := &listener{ul: ul, m: m, port: port, addr: &vsock.Addr{ContextID: cid, Port: port}, path: path}
	if opts != nil {
		l.opts = *opts
	}
	m.record("listen", opts)
	n.listeners[key{m.cid, port}] = l
	return l, nil
}

// freePort picks a port no listener of the machine uses; n.mu is held.
func (m *Machine) freePort() uint32 {
	for {
		p := m.nextPort
		m.nextPort++
		if m.nextPort == adapter.PortAny {
			m.nextPort = 1024
		}
		if m.n.listeners[key{m.cid, p}] == nil {
			return p
		}
	}
}

// Dial connects to (cid, port) from the machine.
func (m *Machine) Dial(ctx context.Context, cid, port uint32, opts *adapter.SockOpts, created func(int)) (net.Conn, error) {
	if err := m.failure("dial"); err != nil {
		return nil, err
	}
	m.mu.Lock()
	uds := m.hybrid
	m.mu.Unlock()
	if uds != "" && cid == adapter.CIDHost {
		m.record("dial", opts)
		return m.dialHost(ctx, uds, port, created)
	}
	n := m.n
	n.mu.Lock()
	target := n.machines[cid]
	if cid == adapter.CIDLocal {
		target = nil
		if n.loopback {
			target = m
		}
	}
	var l *listener
	if target != nil {
		l = n.listeners[key{target.cid, port}]
		if l != nil && l.addr.ContextID != adapter.CIDAny && l.addr.ContextID != cid {
			l = nil // bound to another of the target's CIDs
		}
	}
	path := n.path("c")
	local := vsock.Addr{ContextID: m.cid, Port: m.freePort()}
	if cid == adapter.CIDLocal {
		local.ContextID = adapter.CIDLocal
	}
	if l != nil {
		n.dialers[path] = pair{local: vsock.Addr{ContextID: cid, Port: port}, remote: local}
	}
	n.mu.Unlock()
	m.record("dial", opts)
	d := net.Dialer{
		LocalAddr: &net.UnixAddr{Name: path, Net: "unix"},
		Control: func(_, _ string, rc syscall.RawConn) error {
			return rc.Control(func(s uintptr) { created(int(s)) })
		},
	}
	defer os.Remove(path)
	switch {
	case target == nil:
		created(-1)
		return nil, os.NewSyscallError("connect", syscall.ENODEV)
	case l == nil:
		created(-1)
		return nil, os.NewSyscallError("connect", syscall.ECONNRESET)
	}
	c, err := d.DialContext(ctx, "unix", l.path)
	if err != nil {
		n.mu.Lock()
		delete(n.dialers, path)
		n.mu.Unlock()
		return nil, err
	}
	return &conn{UnixConn: c.(*net.UnixConn), local: &local, remote: &vsock.Addr{ContextID: cid, Port: port}}, nil
}

// listener is a fake listening socket.
type listener struct {
	ul   *net.UnixListener
	m    *Machine
	port uint32
	addr *vsock.Addr
	path string
	opts adapter.SockOpts

	closeOnce sync.Once
}

func (l *listener) Accept() (net.Conn, error) {
	for {
		c, err := l.ul.AcceptUnix()
		if err != nil {
			return nil, err
		}
		name := ""
		if ra, ok := c.RemoteAddr().(*net.UnixAddr); ok && ra != nil {
			name = ra.Name
		}
		n := l.m.n
		n.mu.Lock()
		p, ok := n.dialers[name]
		delete(n.dialers, name)
		n.mu.Unlock()
		if !ok {
			_ = c.Close() // not a dialer of the network
			continue
		}
		return &conn{UnixConn: c, local: &p.local, remote: &p.remote}, nil
	}
}

func (l *listener) Addr() net.Addr                { return l.addr }
func (l *listener) SetDeadline(t time.Time) error { return l.ul.SetDeadline(t) }

func (l *listener) FD() int {
	rc, err := l.ul.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	_ = rc.Control(func(s uintptr) { fd = int(s) })
	return fd
}

func (l *listener) Close() error {
	l.closeOnce.Do(func() {
		n := l.m.n
		n.mu.Lock()
		if n.listeners[key{l.m.cid, l.port}] == l {
			delete(n.listeners, key{l.m.cid, l.port})
		}
		n.mu.Unlock()
	})
	return l.ul.Close()
}

// conn is a fake connection: a Unix socket that reports vsock addresses.
// It is not a *net.UnixConn, so the transport reads and writes it with
// readv and writev through its RawConn, as it does AF_VSOCK sockets.
type conn struct {
	*net.UnixConn
	local, remote *vsock.Addr
}

func (c *conn) LocalAddr() net.Addr  { return c.local }
func (c *conn) RemoteAddr() net.Addr { return c.remote }

// SyscallConn is the Unix socket's.
func (c *conn) SyscallConn() (syscall.RawConn, error) { return c.UnixConn.SyscallConn() }
