package vmcitest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/mdlayher/vsock"

	"github.com/zmqkit/zmqkit/plugins/vmci/internal/adapter"
)

// Firecracker is a fake of Firecracker's hybrid vsock device for one guest
// machine of the network: its host side is the Unix socket UDS. A host
// process (using vmci.HybridUDS(UDS)) connects to UDS and sends
// "CONNECT PORT\n"; the device connects to the guest's port, answers
// "OK HOSTPORT\n" and relays the stream (or closes the socket when the
// guest does not listen). The guest's connects to CID 2 port P go to the
// Unix socket UDS_P on the host, as Firecracker's do.
type Firecracker struct {
	UDS string

	n     *Network
	guest *Machine
	ul    *net.UnixListener

	mu     sync.Mutex
	conns  map[net.Conn]bool
	closed bool
	wg     sync.WaitGroup
}

// Firecracker attaches a fake hybrid vsock device to the guest machine,
// with its Unix socket in the network's directory. Close it before the
// network.
func (n *Network) Firecracker(guest uint32) (*Firecracker, error) {
	n.mu.Lock()
	uds := n.path("fc")
	n.mu.Unlock()
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: uds, Net: "unix"})
	if err != nil {
		return nil, err
	}
	f := &Firecracker{UDS: uds, n: n, guest: n.Machine(guest), ul: ul, conns: map[net.Conn]bool{}}
	f.guest.mu.Lock()
	f.guest.hybrid = uds
	f.guest.mu.Unlock()
	f.wg.Add(1)
	go f.serve()
	return f, nil
}

// Close stops the device and breaks its relayed connections.
func (f *Firecracker) Close() error {
	f.mu.Lock()
	f.closed = true
	for c := range f.conns {
		_ = c.Close()
	}
	f.mu.Unlock()
	err := f.ul.Close()
	f.wg.Wait()
	f.guest.mu.Lock()
	f.guest.hybrid = ""
	f.guest.mu.Unlock()
	return err
}

func (f *Firecracker) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		_ = c.Close()
		return false
	}
	f.conns[c] = true
	return true
}

func (f *Firecracker) untrack(c net.Conn) {
	f.mu.Lock()
	delete(f.conns, c)
	f.mu.Unlock()
	_ = c.Close()
}

func (f *Firecracker) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ul.Accept()
		if err != nil {
			return
		}
		if !f.track(c) {
			continue
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer f.untrack(c)
			f.relay(c)
		}()
	}
}

// relay serves one host connection: the CONNECT line, then the stream.
func (f *Firecracker) relay(c net.Conn) {
	var line []byte
	b := make([]byte, 1)
	for len(line) < 64 {
		if _, err := c.Read(b); err != nil {
			return
		}
		if b[0] == '\n' {
			break
		}
		line = append(line, b[0])
	}
	fields := strings.Fields(string(line))
	if len(fields) != 2 || fields[0] != "CONNECT" {
		return
	}
	port, err := strconv.ParseUint(fields[1], 10, 32)
	if err != nil {
		return
	}
	host := f.n.Machine(adapter.CIDHost)
	g, err := host.Dial(context.Background(), f.guest.cid, uint32(port), nil, func(int) {})
	if err != nil {
		return // Firecracker closes the host's socket
	}
	if !f.track(g) {
		return
	}
	defer f.untrack(g)
	hostPort := g.LocalAddr().(*vsock.Addr).Port
	if _, err := fmt.Fprintf(c, "OK %d\n", hostPort); err != nil {
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if cw, ok := dst.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
		done <- struct{}{}
	}
	go pipe(g, c)
	go pipe(c, g)
	<-done
	<-done
}

// dialHost connects a guest with a hybrid device to the host's port: the
// Unix socket UDS_port; nobody listening is a reset, as on vsock.
func (m *Machine) dialHost(ctx context.Context, uds string, port uint32, created func(int)) (net.Conn, error) {
	n := m.n
	n.mu.Lock()
	local := vsock.Addr{ContextID: m.cid, Port: m.freePort()}
	n.mu.Unlock()
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(s uintptr) { created(int(s)) })
	}}
	c, err := d.DialContext(ctx, "unix", uds+"_"+strconv.FormatUint(uint64(port), 10))
	if err != nil {
		if os.IsNotExist(err) || errors.Is(err, syscall.ECONNREFUSED) {
			return nil, os.NewSyscallError("connect", syscall.ECONNRESET)
		}
		return nil, err
	}
	return &conn{UnixConn: c.(*net.UnixConn), local: &local, remote: &vsock.Addr{ContextID: adapter.CIDHost, Port: port}}, nil
}
