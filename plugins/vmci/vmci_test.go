package vmci_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/plugins/vmci"
	"github.com/zmqkit/zmqkit/plugins/vmci/vmcitest"
	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/registry/transport/transporttest"
)

// network returns a fake vsock network removed at cleanup.
func network(t testing.TB) *vmcitest.Network {
	n := vmcitest.NewNetwork()
	t.Cleanup(func() { n.Close() })
	return n
}

var invalidListen = []string{"3", ":5", "3:", "x:5", "3:x", "1:2:3", "+3:5", " 3:5", "3:5 ", "3:0x10",
	"4294967296:5", "3:4294967296", "@@:5", "**:5", "3:-2"}

var invalidDial = []string{"*:5", "-1:5", "3:*", "3:-1", "4294967295:5", "3:4294967295", "3", ":5", "3:",
	"x:5", "3:x", "-3:5"}

func TestConformance(t *testing.T) {
	for _, tc := range []struct{ scheme, addr string }{
		{"vsock", "3:*"},   // the machine's own CID
		{"vmci", "@:-1"},   // "@": the local CID on vmci
		{"vsock", "1:*"},   // "1": loopback
		{"vsock", "@:*"},   // "@": loopback on vsock
		{"vmci", "3:6000"}, // a fixed port
	} {
		t.Run(tc.scheme+"/"+tc.addr, func(t *testing.T) {
			n := network(t)
			n.EnableLoopback()
			transporttest.Run(t, transporttest.Factory{
				Transport:     n.Machine(3).Transport(),
				Scheme:        tc.scheme,
				Kind:          transport.KindStream,
				Addr:          func(testing.TB) string { return tc.addr },
				InvalidListen: invalidListen,
				InvalidDial:   invalidDial,
				ExclusiveBind: true,
			})
		})
	}
}

func TestRegistered(t *testing.T) {
	for _, s := range []string{"vmci", "vsock"} {
		tr, err := registry.Default.Transport(s)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(tr.Schemes(), []string{"vmci", "vsock"}) || tr.Kind() != transport.KindStream {
			t.Errorf("%s: schemes %q kind %v", s, tr.Schemes(), tr.Kind())
		}
	}
}

func TestHelpers(t *testing.T) {
	if vmci.CIDs["hypervisor"] != 0 || vmci.CIDs["local"] != 1 || vmci.CIDs["host"] != 2 || vmci.CIDs["any"] != 0xFFFFFFFF {
		t.Errorf("CIDs = %v", vmci.CIDs)
	}
	if got := vmci.Endpoint(vmci.CIDHost, 5000); got != "vsock://2:5000" {
		t.Errorf("Endpoint = %q", got)
	}
	if got := vmci.Endpoint(vmci.CIDAny, vmci.PortAny); got != "vsock://*:*" {
		t.Errorf("Endpoint = %q", got)
	}
	for _, tc := range []struct {
		name string
		f    func() (string, any)
		want string
		v    any
	}{
		{"BufferSize", func() (string, any) { return vmci.BufferSize(1 << 20) }, "VMCI_BUFFER_SIZE", uint64(1 << 20)},
		{"BufferMinSize", func() (string, any) { return vmci.BufferMinSize(4096) }, "VMCI_BUFFER_MIN_SIZE", uint64(4096)},
		{"BufferMaxSize", func() (string, any) { return vmci.BufferMaxSize(8192) }, "VMCI_BUFFER_MAX_SIZE", uint64(8192)},
		{"ConnectTimeout", func() (string, any) { return vmci.ConnectTimeout(time.Second) }, "VMCI_CONNECT_TIMEOUT", time.Second},
	} {
		name, v := tc.f()
		if name != tc.want || v != tc.v {
			t.Errorf("%s() = %q, %v; want %q, %v", tc.name, name, v, tc.want, tc.v)
		}
	}
	// LocalCID asks the real device: whatever this machine has, the
	// answer is a CID or an error saying what is missing.
	if cid, err := vmci.LocalCID(); err != nil {
		if !errors.Is(err, vmci.ErrNoVsock) && !errors.Is(err, vmci.ErrAccess) && !errors.Is(err, vmci.ErrUnsupportedOS) {
			t.Errorf("LocalCID: %v, want one of the transport's errors", err)
		}
	} else if cid == vmci.CIDAny {
		t.Errorf("LocalCID = %d", cid)
	} else {
		t.Logf("this machine's CID: %d", cid)
	}
}

type recorder struct{ evs []transport.Event }

func (r *recorder) TransportEvent(e transport.Event) { r.evs = append(r.evs, e) }

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestEndpointsAndAddresses(t *testing.T) {
	n := network(t)
	n.EnableLoopback()
	host, guest := n.Machine(2), n.Machine(7)
	ht, gt := host.Transport(), guest.Transport()
	for _, tc := range []struct {
		scheme, bind, wantPrefix string
	}{
		{"vsock", "*:*", "vsock://*:"},
		{"vmci", "-1:-1", "vmci://*:"},
		{"vmci", "@:*", "vmci://2:"},
		{"vsock", "@:*", "vsock://1:"},
		{"vsock", "2:7000", "vsock://2:7000"},
		{"vsock", "2:0007001", "vsock://2:7001"},
	} {
		l, err := ht.Listen(ctx(t), tc.scheme, tc.bind, nil)
		if err != nil {
			t.Fatalf("Listen(%s://%s): %v", tc.scheme, tc.bind, err)
		}
		ep := l.Endpoint()
		if !strings.HasPrefix(ep, tc.wantPrefix) || strings.HasSuffix(ep, ":*") {
			t.Errorf("Listen(%s://%s).Endpoint() = %q, want %s with the real port", tc.scheme, tc.bind, ep, tc.wantPrefix)
		}
		if tc.bind == "@:*" && tc.scheme == "vsock" {
			l.Close()
			continue // CID 1 is reached from the host itself only
		}
		port := ep[strings.LastIndexByte(ep, ':')+1:]
		d, err := gt.Dial(ctx(t), tc.scheme, "2:"+port, nil)
		if err != nil {
			t.Fatalf("Dial(2:%s): %v", port, err)
		}
		a, err := l.Accept(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		dl, dr := d.LocalAddress(), d.RemoteAddress()
		al, ar := a.LocalAddress(), a.RemoteAddress()
		if dr != tc.scheme+"://2:"+port || al != dr || ar != dl || !strings.HasPrefix(dl, tc.scheme+"://7:") {
			t.Errorf("addresses: dialer %s -> %s, acceptor %s <- %s", dl, dr, al, ar)
		}
		if d.PeerAddress() != "2" || a.PeerAddress() != "7" {
			t.Errorf("Peer-Address: dialer %q acceptor %q, want the peer's CID", d.PeerAddress(), a.PeerAddress())
		}
		if d.FD() < 0 || a.FD() < 0 {
			t.Errorf("FDs %d %d", d.FD(), a.FD())
		}
		d.Close()
		a.Close()
		l.Close()
	}
	// Loopback: CID 1 from the machine itself.
	l, err := ht.Listen(ctx(t), "vsock", "1:*", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Endpoint()[len("vsock://1:"):]
	d, err := ht.Dial(ctx(t), "vsock", "@:"+port, nil)
	if err != nil {
		t.Fatalf("Dial(@:%s): %v", port, err)
	}
	defer d.Close()
	if d.RemoteAddress() != "vsock://1:"+port || !strings.HasPrefix(d.LocalAddress(), "vsock://1:") {
		t.Errorf("loopback addresses %s -> %s", d.LocalAddress(), d.RemoteAddress())
	}
}

func TestOptionsReachTheSocketLayer(t *testing.T) {
	n := network(t)
	m := n.Machine(3)
	tr := m.Transport()
	extra := map[string]any{}
	for _, kv := range []func() (string, any){
		func() (string, any) { return vmci.BufferSize(1 << 20) },
		func() (string, any) { return vmci.BufferMinSize(4096) },
		func() (string, any) { return vmci.BufferMaxSize(2 << 20) },
		func() (string, any) { return vmci.ConnectTimeout(1500 * time.Millisecond) },
		func() (string, any) { return "TCP_SOMETHING", 1 }, // another transport's: ignored
	} {
		k, v := kv()
		extra[k] = v
	}
	cfg := &transport.Config{Extra: extra, Backlog: 7}
	l, err := tr.Listen(ctx(t), "vsock", "3:*", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// libzmq's plain integers work too; -1 is the kernel default timeout.
	cfg2 := &transport.Config{Extra: map[string]any{"VMCI_BUFFER_SIZE": 65536, "VMCI_CONNECT_TIMEOUT": 250}}
	c, err := tr.Dial(ctx(t), "vsock", l.Endpoint()[len("vsock://"):], cfg2)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	got := m.Applied()
	if len(got) != 2 || got[0].Op != "listen" || got[1].Op != "dial" {
		t.Fatalf("applied %+v", got)
	}
	if o := got[0].Opts; o.BufferSize != 1<<20 || o.BufferMinSize != 4096 || o.BufferMaxSize != 2<<20 || o.ConnectTimeout != 1500*time.Millisecond {
		t.Errorf("listen options %+v", o)
	}
	if o := got[1].Opts; o.BufferSize != 65536 || o.BufferMinSize != 0 || o.BufferMaxSize != 0 || o.ConnectTimeout != 250*time.Millisecond {
		t.Errorf("dial options %+v", o)
	}

	for _, bad := range []map[string]any{
		{"VMCI_BUFFER_SIZE": -1},
		{"VMCI_BUFFER_MIN_SIZE": "big"},
		{"VMCI_BUFFER_MAX_SIZE": 1.5},
		{"VMCI_CONNECT_TIMEOUT": -2},
		{"VMCI_CONNECT_TIMEOUT": "1s"},
		{"VMCI_BUFER_SIZE": 1}, // a typo
	} {
		rec := &recorder{}
		_, err := tr.Listen(ctx(t), "vsock", "3:*", &transport.Config{Extra: bad, Hook: rec})
		if !errors.Is(err, transport.ErrInvalidEndpoint) {
			t.Errorf("Listen with %v: %v, want ErrInvalidEndpoint", bad, err)
		}
		if len(rec.evs) != 1 || rec.evs[0].Kind != transport.EventBindFailed || rec.evs[0].Errno != int(syscall.EINVAL) {
			t.Errorf("Listen with %v reported %+v, want BIND_FAILED EINVAL", bad, rec.evs)
		}
		if _, err := tr.Dial(ctx(t), "vsock", "3:5", &transport.Config{Extra: bad}); !errors.Is(err, transport.ErrInvalidEndpoint) {
			t.Errorf("Dial with %v: %v, want ErrInvalidEndpoint", bad, err)
		}
	}
}

func TestErrors(t *testing.T) {
	noDev := &os.PathError{Op: "open", Path: "/dev/vsock", Err: syscall.ENOENT}
	noAccess := &os.PathError{Op: "open", Path: "/dev/vsock", Err: syscall.EACCES}
	for _, tc := range []struct {
		name       string
		op, fail   string // Machine.Fail
		err        error
		scheme     string
		bind, addr string
		want       []error
	}{
		{"no device for @", "cid", "", noDev, "vmci", "bind", "@:*",
			[]error{vmci.ErrNoVsock, transport.ErrNoDevice, os.ErrNotExist, syscall.ENOENT}},
		{"no device on connect to @", "cid", "", noDev, "vmci", "dial", "@:5",
			[]error{vmci.ErrNoVsock, transport.ErrNoDevice}},
		{"no access", "cid", "", noAccess, "vmci", "bind", "@:*",
			[]error{vmci.ErrAccess, os.ErrPermission, syscall.EACCES}},
		{"no AF_VSOCK", "listen", "", os.NewSyscallError("socket", syscall.EAFNOSUPPORT), "vsock", "bind", "*:*",
			[]error{vmci.ErrNoVsock, transport.ErrNoDevice, syscall.EAFNOSUPPORT}},
		{"seccomp", "listen", "", os.NewSyscallError("socket", syscall.EPERM), "vsock", "bind", "*:*",
			[]error{vmci.ErrDenied, syscall.EPERM, os.ErrPermission}},
		{"seccomp on connect", "dial", "", os.NewSyscallError("socket", syscall.EPERM), "vsock", "dial", "2:5",
			[]error{vmci.ErrDenied, syscall.EPERM}},
		{"CID 1 without loopback", "", "", nil, "vsock", "bind", "@:*",
			[]error{vmci.ErrNoLoopback, transport.ErrAddrNotAvailable, syscall.EADDRNOTAVAIL}},
		{"connect to CID 1 without loopback", "", "", nil, "vsock", "dial", "1:5",
			[]error{vmci.ErrNoLoopback, transport.ErrNoDevice, syscall.ENODEV}},
		{"another machine's CID", "", "", nil, "vsock", "bind", "9:*",
			[]error{transport.ErrAddrNotAvailable, syscall.EADDRNOTAVAIL}},
		{"no listener", "", "", nil, "vsock", "dial", "3:5",
			[]error{syscall.ECONNREFUSED, syscall.ECONNRESET}},
		{"no such CID", "", "", nil, "vsock", "dial", "99:5",
			[]error{transport.ErrNoDevice, syscall.ENODEV}},
		{"unsupported OS", "listen", "", vmci.ErrUnsupportedOS, "vsock", "bind", "*:*",
			[]error{vmci.ErrUnsupportedOS, transport.ErrNotSupported}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := network(t)
			m := n.Machine(3)
			if tc.op != "" {
				m.Fail(tc.op, tc.err)
			}
			rec := &recorder{}
			cfg := &transport.Config{Hook: rec}
			var err error
			if tc.bind == "bind" {
				var l transport.Listener
				l, err = m.Transport().Listen(ctx(t), tc.scheme, tc.addr, cfg)
				if err == nil {
					l.Close()
				}
			} else {
				var c transport.Conn
				c, err = m.Transport().Dial(ctx(t), tc.scheme, tc.addr, cfg)
				if err == nil {
					c.Close()
				}
			}
			if err == nil {
				t.Fatal("succeeded")
			}
			for _, w := range tc.want {
				if !errors.Is(err, w) {
					t.Errorf("%v\ndoes not wrap %v", err, w)
				}
			}
			if !strings.Contains(err.Error(), tc.scheme+"://"+tc.addr) {
				t.Errorf("%v does not name the endpoint", err)
			}
			if tc.bind == "dial" && tc.op == "cid" {
				// as tcp's failed name resolution: no socket, no event
				if len(rec.evs) != 0 {
					t.Errorf("events %+v, want none", rec.evs)
				}
				return
			}
			if len(rec.evs) == 0 {
				t.Fatal("no event")
			}
			last := rec.evs[len(rec.evs)-1]
			switch {
			case tc.bind == "bind" && (last.Kind != transport.EventBindFailed || last.Errno == 0):
				t.Errorf("events %+v, want BIND_FAILED with an errno", rec.evs)
			case tc.bind == "dial" && last.Kind != transport.EventClosed:
				t.Errorf("events %+v, want CLOSED last", rec.evs)
			}
		})
	}
}
