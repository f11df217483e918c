package tcp

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/registry/transport/transporttest"
)

func TestConformance(t *testing.T) {
	transporttest.Run(t, transporttest.Factory{
		Transport:     New(),
		Kind:          transport.KindStream,
		Addr:          func(testing.TB) string { return "127.0.0.1:0" },
		InvalidListen: []string{"127.0.0.1", "127.0.0.1:x", ":5555", "[::1:5555", "127.0.0.1:70000"},
		InvalidDial:   []string{"127.0.0.1:*", "host:*", "*:5555", ":5555", "a;b:1", "nohost"},
		ExclusiveBind: true,
	})
}

func TestConformanceIPv6(t *testing.T) {
	if !hasIPv6Loopback() {
		t.Skip("no IPv6 loopback")
	}
	transporttest.Run(t, transporttest.Factory{
		Transport:     New(),
		Kind:          transport.KindStream,
		Addr:          func(testing.TB) string { return "[::1]:0" },
		Config:        func() *transport.Config { return &transport.Config{IPv6: true, KeepAlive: -1} },
		ExclusiveBind: true,
	})
}

func hasIPv6Loopback() bool {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func TestRegistered(t *testing.T) {
	tr, err := registry.Default.Transport("tcp")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Kind() != transport.KindStream {
		t.Errorf("Kind = %d", tr.Kind())
	}
}

func TestListenAddresses(t *testing.T) {
	v6 := hasIPv6Loopback()
	tests := []struct {
		addr   string
		ipv6   bool
		prefix string // expected Endpoint prefix; "" = must fail
		err    error
		needV6 bool
	}{
		{addr: "*:*", prefix: "tcp://0.0.0.0:"},
		{addr: "*:0", prefix: "tcp://0.0.0.0:"},
		{addr: "*:0", ipv6: true, prefix: "tcp://[::]:", needV6: true},
		{addr: "127.0.0.1:0", prefix: "tcp://127.0.0.1:"},
		{addr: "[127.0.0.1]:0", prefix: "tcp://127.0.0.1:"},
		{addr: "[::1]:0", prefix: "tcp://[::1]:", needV6: true},
		{addr: "[::1]:*", ipv6: true, prefix: "tcp://[::1]:", needV6: true},
		{addr: "localhost:0", prefix: "tcp://127.0.0.1:"},
		{addr: "lo:0", prefix: "tcp://127.0.0.1:"},
		{addr: "lo:0", ipv6: true, prefix: "tcp://[::1]:", needV6: true},
		{addr: "", err: transport.ErrInvalidEndpoint},
		{addr: "127.0.0.1", err: transport.ErrInvalidEndpoint},
		{addr: ":5555", err: transport.ErrInvalidEndpoint},
		{addr: "127.0.0.1:", err: transport.ErrInvalidEndpoint},
		{addr: "127.0.0.1:-1", err: transport.ErrInvalidEndpoint},
		{addr: "127.0.0.1:65536", err: transport.ErrInvalidEndpoint},
		{addr: "127.0.0.1:55x", err: transport.ErrInvalidEndpoint},
		{addr: "[::1:0", err: transport.ErrInvalidEndpoint},
		{addr: "[::1]x:0", err: transport.ErrInvalidEndpoint},
		{addr: "[fe80::1%]:0", err: transport.ErrInvalidEndpoint},
		{addr: "[fe80::1%0]:0", err: transport.ErrInvalidEndpoint},
		{addr: "[fe80::1%nosuchif]:0", err: transport.ErrInvalidEndpoint},
		{addr: "127.0.0.1%lo:0", err: transport.ErrInvalidEndpoint},
		{addr: "a;b:1", err: transport.ErrInvalidEndpoint},
		{addr: "no-such-interface.invalid:0", err: transport.ErrNoDevice},
		{addr: "192.0.2.254:0", err: transport.ErrAddrNotAvailable},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			if tc.needV6 && !v6 {
				t.Skip("no IPv6 loopback")
			}
			var got []transport.Event
			cfg := &transport.Config{IPv6: tc.ipv6, KeepAlive: -1, Hook: transport.HookFunc(func(e transport.Event) { got = append(got, e) })}
			l, err := New().Listen(context.Background(), "tcp", tc.addr, cfg)
			if tc.prefix == "" {
				if err == nil {
					l.Close()
					t.Fatalf("Listen(%q) succeeded with %q", tc.addr, l.Endpoint())
				}
				if !errors.Is(err, tc.err) {
					t.Fatalf("Listen(%q) = %v, want %v", tc.addr, err, tc.err)
				}
				if len(got) != 1 || got[0].Kind != transport.EventBindFailed || got[0].Errno == 0 {
					t.Errorf("events %+v, want one BIND_FAILED with errno", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Listen(%q): %v", tc.addr, err)
			}
			defer l.Close()
			ep := l.Endpoint()
			if !strings.HasPrefix(ep, tc.prefix) || strings.HasSuffix(ep, ":0") {
				t.Errorf("Endpoint() = %q, want %sPORT", ep, tc.prefix)
			}
			if len(got) != 1 || got[0].Kind != transport.EventListening || got[0].Endpoint != ep || got[0].FD < 0 {
				t.Errorf("events %+v, want LISTENING %s with fd", got, ep)
			}
		})
	}
}

func TestBindInUse(t *testing.T) {
	l, err := New().Listen(context.Background(), "tcp", "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var got []transport.Event
	cfg := &transport.Config{Hook: transport.HookFunc(func(e transport.Event) { got = append(got, e) })}
	addr := strings.TrimPrefix(l.Endpoint(), "tcp://")
	l2, err := New().Listen(context.Background(), "tcp", addr, cfg)
	if err == nil {
		l2.Close()
		t.Fatal("second bind succeeded")
	}
	if !errors.Is(err, transport.ErrAddrInUse) || !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("err = %v, want ErrAddrInUse and EADDRINUSE", err)
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("err %q does not name the endpoint", err)
	}
	if len(got) != 1 || got[0].Kind != transport.EventBindFailed || got[0].Errno != int(syscall.EADDRINUSE) {
		t.Errorf("events %+v, want BIND_FAILED EADDRINUSE", got)
	}
}

func TestCheckDial(t *testing.T) {
	dc := New().(transport.DialChecker)
	tests := []struct {
		addr string
		ok   bool
	}{
		{"127.0.0.1:5555", true},
		{"localhost:5555", true},
		{"example.com:1", true},
		{"[::1]:5555", true},
		{"::1:5555", true}, // libzmq splits at the last ':'
		{"[fe80::1%eth0]:5555", true},
		{"127.0.0.1:0", true},
		{"127.0.0.1:5555;127.0.0.1:5556", true},
		{"eth1:0;server:5555", true},
		{"*:0;server:5555", true},
		{"127.0.0.1:*;server:5555", true},
		{"", false},
		{"host", false},
		{"host:", false},
		{"host:*", false},
		{"host:x", false},
		{":5555", false},
		{"*:5555", false},
		{"a;b:1", false},       // source needs a port
		{"eth0;host:1", false}, // the pgm/udp form
		{";host:1", false},
		{"a:1;b:2;c:3", false},
		{"[::1:5555", false},
		{"host:99999", false},
		{"host name:1", false},
	}
	for _, tc := range tests {
		err := dc.CheckDial("tcp", tc.addr)
		if tc.ok && err != nil {
			t.Errorf("CheckDial(%q) = %v, want nil", tc.addr, err)
		}
		if !tc.ok && !errors.Is(err, transport.ErrInvalidEndpoint) {
			t.Errorf("CheckDial(%q) = %v, want ErrInvalidEndpoint", tc.addr, err)
		}
		if !tc.ok && err != nil && !strings.Contains(err.Error(), "tcp://"+tc.addr) {
			t.Errorf("CheckDial(%q) error %q does not name the endpoint", tc.addr, err)
		}
	}
	if err := dc.CheckDial("udp", "127.0.0.1:1"); err == nil {
		t.Error("CheckDial accepted scheme udp")
	}
}

// listenLocal binds 127.0.0.1:0 and returns the listener and its address.
func listenLocal(t *testing.T, cfg *transport.Config) (transport.Listener, string) {
	t.Helper()
	l, err := New().Listen(context.Background(), "tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l, strings.TrimPrefix(l.Endpoint(), "tcp://")
}

func TestDialForms(t *testing.T) {
	l, addr := listenLocal(t, nil)
	_, port, _ := net.SplitHostPort(addr)
	tests := []struct {
		addr      string
		localHost string // expected local address host, "" = any
	}{
		{addr: addr},
		{addr: "localhost:" + port},
		{addr: "127.0.0.1:0;" + addr},
		{addr: "lo:0;" + addr, localHost: "127.0.0.1"},
		{addr: "127.0.0.2:0;127.0.0.1:" + port, localHost: "127.0.0.2"},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			c, err := New().Dial(ctx, "tcp", tc.addr, nil)
			if err != nil {
				t.Fatalf("Dial(%q): %v", tc.addr, err)
			}
			defer c.Close()
			a, err := l.Accept(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if c.RemoteAddress() != "tcp://"+addr || a.LocalAddress() != "tcp://"+addr {
				t.Errorf("remote %q, accepted local %q, want tcp://%s", c.RemoteAddress(), a.LocalAddress(), addr)
			}
			if c.LocalAddress() != a.RemoteAddress() {
				t.Errorf("dialer local %q != accepted remote %q", c.LocalAddress(), a.RemoteAddress())
			}
			if tc.localHost != "" && !strings.HasPrefix(c.LocalAddress(), "tcp://"+tc.localHost+":") {
				t.Errorf("local address %q, want host %s", c.LocalAddress(), tc.localHost)
			}
			if c.PeerAddress() != "127.0.0.1" {
				t.Errorf("PeerAddress() = %q, want 127.0.0.1", c.PeerAddress())
			}
			if c.FD() < 0 || a.FD() < 0 {
				t.Errorf("FD() = %d, %d", c.FD(), a.FD())
			}
		})
	}
}

func TestDialSourcePortInUse(t *testing.T) {
	_, addr := listenLocal(t, nil)
	other, oaddr := listenLocal(t, nil)
	_ = other
	// Binding the source to a port another listener holds fails.
	_, err := New().Dial(context.Background(), "tcp", oaddr+";"+addr, nil)
	if !errors.Is(err, transport.ErrAddrInUse) {
		t.Errorf("Dial with a busy source port = %v, want ErrAddrInUse", err)
	}
}

func TestPeerAddressIPv6(t *testing.T) {
	if !hasIPv6Loopback() {
		t.Skip("no IPv6 loopback")
	}
	l, err := New().Listen(context.Background(), "tcp", "[::1]:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := New().Dial(context.Background(), "tcp", strings.TrimPrefix(l.Endpoint(), "tcp://"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a, err := l.Accept(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if a.PeerAddress() != "::1" || !strings.HasPrefix(a.RemoteAddress(), "tcp://[::1]:") {
		t.Errorf("PeerAddress %q RemoteAddress %q", a.PeerAddress(), a.RemoteAddress())
	}
}

func TestDualStack(t *testing.T) {
	if !hasIPv6Loopback() {
		t.Skip("no IPv6 loopback")
	}
	l, err := New().Listen(context.Background(), "tcp", "*:0", &transport.Config{IPv6: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(l.Endpoint(), "tcp://"))
	for _, addr := range []string{"127.0.0.1:" + port, "[::1]:" + port} {
		c, err := New().Dial(context.Background(), "tcp", addr, nil)
		if err != nil {
			t.Fatalf("Dial(%q) to a dual-stack listener: %v", addr, err)
		}
		a, err := l.Accept(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		a.Close()
		c.Close()
	}
}

func TestDialRefusedEvents(t *testing.T) {
	l, addr := listenLocal(t, nil)
	l.Close()
	var got []transport.Event
	cfg := &transport.Config{Endpoint: "tcp://" + addr, Hook: transport.HookFunc(func(e transport.Event) { got = append(got, e) })}
	_, err := New().Dial(context.Background(), "tcp", addr, cfg)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("Dial = %v, want ECONNREFUSED", err)
	}
	if len(got) != 2 || got[0].Kind != transport.EventConnectDelayed || got[1].Kind != transport.EventClosed {
		t.Fatalf("events %+v, want CONNECT_DELAYED, CLOSED", got)
	}
	if got[0].Errno != int(syscall.EINPROGRESS) || got[1].FD < 0 || got[1].FD != got[0].FD {
		t.Errorf("events %+v: want EINPROGRESS and the failed socket's fd", got)
	}
}

func TestDialResolveFailureNoEvents(t *testing.T) {
	var got []transport.Event
	cfg := &transport.Config{Hook: transport.HookFunc(func(e transport.Event) { got = append(got, e) })}
	_, err := New().Dial(context.Background(), "tcp", "no-such-host.invalid:5555", cfg)
	if err == nil {
		t.Fatal("Dial to an unresolvable host succeeded")
	}
	if len(got) != 0 {
		t.Errorf("events %+v, want none", got)
	}
}

func TestDialContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// 192.0.2.1 (TEST-NET-1) never answers; the cancelled context must win.
	_, err := New().Dial(ctx, "tcp", "192.0.2.1:5555", nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Dial = %v, want context.Canceled", err)
	}
}

func TestSocketOptions(t *testing.T) {
	cfg := &transport.Config{
		SendBuffer: 64 << 10, RecvBuffer: 64 << 10, TOS: 0x10, Backlog: 5,
		KeepAlive: 1, KeepAliveCount: 3, KeepAliveIdle: 30 * time.Second, KeepAliveInterval: 5 * time.Second,
		MaxRetransmit: 2 * time.Second, ConnectTimeout: time.Second,
	}
	l, addr := listenLocal(t, cfg)
	c, err := New().Dial(context.Background(), "tcp", addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a, err := l.Accept(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, conn := range []transport.Conn{c, a} {
		checkSockopts(t, conn, cfg)
	}
}

func TestBindToDevice(t *testing.T) {
	cfg := &transport.Config{BindToDevice: "no-such-dev0"}
	_, err := New().Listen(context.Background(), "tcp", "127.0.0.1:0", cfg)
	if err == nil {
		t.Fatal("Listen with a missing device succeeded")
	}
	// Without CAP_NET_RAW the kernel answers EPERM before looking the
	// device up; with it, ENODEV.
	if !errors.Is(err, transport.ErrNoDevice) && !errors.Is(err, syscall.EPERM) && !errors.Is(err, transport.ErrNotSupported) {
		t.Errorf("err = %v, want ErrNoDevice, EPERM or ErrNotSupported", err)
	}
}

func TestAcceptAfterCancelKeepsWorking(t *testing.T) {
	l, addr := listenLocal(t, nil)
	for range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		_, err := l.Accept(ctx)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Accept = %v", err)
		}
	}
	c, err := New().Dial(context.Background(), "tcp", addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a, err := l.Accept(ctx)
	if err != nil {
		t.Fatalf("Accept after cancelled Accepts: %v", err)
	}
	a.Close()
}

func TestFuzzishNoPanic(t *testing.T) {
	inputs := []string{"", ":", "::", "[]:1", "[", "]", "%", "[%]:1", ";", ";;", "*", "*:", "*:*;*:*", "\x00:1", "[::1]%x:1", "1.2.3.4:00000000001"}
	dc := New().(transport.DialChecker)
	for _, in := range inputs {
		_ = dc.CheckDial("tcp", in)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		if c, err := New().Dial(ctx, "tcp", in, nil); err == nil {
			c.Close()
		}
		if l, err := New().Listen(ctx, "tcp", in, nil); err == nil {
			l.Close()
		}
		cancel()
	}
}
