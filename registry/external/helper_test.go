package external_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/zmqkit/zmqkit/plugins/curve"
	"github.com/zmqkit/zmqkit/plugins/ipc"
	"github.com/zmqkit/zmqkit/plugins/plain"
	"github.com/zmqkit/zmqkit/plugins/tcp"
	"github.com/zmqkit/zmqkit/plugins/udp"
	"github.com/zmqkit/zmqkit/plugins/ws"
	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/external"
	"github.com/zmqkit/zmqkit/registry/external/serve"
	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/registry/transport/transporttest"
)

// The test binary is its own plugin binary (go-plugin's helper-process
// pattern): with ZMQKIT_TEST_PLUGIN set, it serves what the variable
// names instead of running tests.
const helperEnv = "ZMQKIT_TEST_PLUGIN"

func TestMain(m *testing.M) {
	if which := os.Getenv(helperEnv); which != "" {
		helper(which)
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "zmqkit-plugins-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	closeShared()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintf(os.Stderr, "goleak: Errors on successful test run: %v\n", err)
			code = 1
		}
	}
	os.Exit(code)
}

var (
	binDir   string
	buildMu  sync.Mutex
	builtBin = map[string]string{}
)

// pluginBinary builds cmd/zmqkit-plugin-NAME (without -race, once per
// test run; go's build cache makes it quick) and returns its path.
func pluginBinary(t testing.TB, name string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := builtBin[name]; ok {
		return p
	}
	out := filepath.Join(binDir, "zmqkit-plugin-"+name)
	gobin := "go" // go test puts its own GOROOT/bin first in PATH
	cmd := exec.Command(gobin, "build", "-o", out, "github.com/zmqkit/zmqkit/cmd/zmqkit-plugin-"+name)
	// pure Go, as scripts/test.sh builds everything first: its build
	// cache has the packages
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building zmqkit-plugin-%s: %v\n%s", name, err, b)
	}
	builtBin[name] = out
	return out
}

func helper(which string) {
	switch which {
	case "tcp":
		serve.Main(tcp.New())
	case "ipc":
		serve.Main(ipc.New())
	case "udp":
		serve.Main(udp.New())
	case "plain":
		serve.Main(plain.Mechanism{})
	case "curve":
		serve.Main(&curve.Mechanism{})
	case "declared":
		serve.Main(serve.Version("v1.2.3"), tcp.New(), &curve.Mechanism{})
	case "badversion":
		serve.Main(serve.Version("1.2"), tcp.New())
	case "tcp+curve":
		serve.Main(tcp.New(), &curve.Mechanism{})
	case "all":
		all := []any{tcp.New(), ipc.New(), udp.New(), ws.New(), plain.Mechanism{}, &curve.Mechanism{}}
		for _, t := range memFrames() {
			all = append(all, t)
		}
		serve.Main(all...)
	case "frame":
		serve.Main(frameTransport{})
	case "memframe":
		serve.Main(transporttest.NewMemFrame(transporttest.MemFrameOptions{}))
	case "memframes":
		var ts []any
		for _, t := range memFrames() {
			ts = append(ts, t)
		}
		serve.Main(ts...)
	case "log":
		serve.Logger().Warn("hello from the plugin", "answer", 42)
		serve.Main(tcp.New())
	case "hang":
		serve.Main(hangTransport{})
	case "version":
		serve.Serve(serve.Config{Transports: []transport.Transport{tcp.New()}, ProtocolVersion: 99})
	case "garbage":
		fmt.Println("this is not a go-plugin handshake line")
		time.Sleep(time.Minute)
	case "silent":
		time.Sleep(time.Minute)
	case "inproc":
		serve.Main(pipeTransport{})
	case "host":
		// a host that loads a plugin, prints its pid and waits to be killed
		os.Unsetenv(helperEnv)
		p, err := external.Load(registry.New(), os.Args[0], external.Options{
			Env: []string{helperEnv + "=tcp"}, IdleTimeout: -1})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println(p.Pid())
		time.Sleep(time.Minute)
	default:
		fmt.Fprintln(os.Stderr, "unknown helper", which)
		os.Exit(2)
	}
}

// load loads the helper serving which into a new registry; the plugin is
// closed at cleanup.
func load(t testing.TB, which string, opts external.Options) (*registry.Registry, *external.Plugin) {
	t.Helper()
	reg := registry.New()
	return reg, load2(t, reg, which, opts)
}

// load2 loads the helper serving which into reg.
func load2(t testing.TB, reg *registry.Registry, which string, opts external.Options) *external.Plugin {
	t.Helper()
	opts.Env = append(opts.Env, helperEnv+"="+which, "GORACE=atexit_sleep_ms=0")
	if opts.Name == "" {
		opts.Name = which
	}
	p, err := external.Load(reg, os.Args[0], opts)
	if err != nil {
		t.Fatalf("Load %s: %v", which, err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// Shared plugin processes: most tests use one of three processes serving
// everything ("all": tcp, ipc, udp, ws, PLAIN, CURVE and the memFrames
// transports) instead of starting their own, registered instead of the
// compiled-in plugins in a clone of registry.Default. Tests that kill,
// stop or reconfigure a plugin load their own.
type sharedKind int

const (
	sharedFD        sharedKind = iota // descriptors handed over
	sharedKeepConns                   // Options.KeepConns
	sharedDialBack                    // dial-back local channels
)

var (
	sharedMu      sync.Mutex
	sharedPlugins = map[sharedKind]*external.Plugin{}
	sharedRegs    = map[sharedKind]*registry.Registry{}
)

// shared returns the registry of the shared plugin process of kind k,
// starting it on first use.
func shared(t testing.TB, k sharedKind) (*registry.Registry, *external.Plugin) {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if p := sharedPlugins[k]; p != nil {
		return sharedRegs[k], p
	}
	opts := external.Options{Name: "all", Replace: true, IdleTimeout: -1, KeepConns: k == sharedKeepConns,
		Env: []string{helperEnv + "=all", "GORACE=atexit_sleep_ms=0"}}
	if k == sharedDialBack {
		opts = external.DialBack(opts)
	}
	reg := registry.Default.Clone()
	p, err := external.Load(reg, os.Args[0], opts)
	if err != nil {
		t.Fatalf("Load all: %v", err)
	}
	sharedPlugins[k], sharedRegs[k] = p, reg
	return reg, p
}

// closeShared stops the shared processes, before the leak checks.
func closeShared() {
	sharedMu.Lock()
	defer sharedMu.Unlock()
	for k, p := range sharedPlugins {
		p.Close()
		delete(sharedPlugins, k)
	}
}

// frameTransport is a fake frame transport ("tframe"): frames over tcp
// as [length u32][flags u8][body].
type frameTransport struct{}

func (frameTransport) Schemes() []string    { return []string{"tframe"} }
func (frameTransport) Kind() transport.Kind { return transport.KindFrame }

func (frameTransport) Listen(ctx context.Context, scheme, addr string, cfg *transport.Config) (transport.Listener, error) {
	if addr == "" || addr == "bad" {
		return nil, fmt.Errorf("%w: %q", transport.ErrInvalidEndpoint, addr)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &frameListener{l: l}, nil
}

func (frameTransport) Dial(ctx context.Context, scheme, addr string, cfg *transport.Config) (transport.Conn, error) {
	if addr == "" || addr == "bad" {
		return nil, fmt.Errorf("%w: %q", transport.ErrInvalidEndpoint, addr)
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return &frameConn{c: c}, nil
}

type frameListener struct {
	l net.Listener
}

func (l *frameListener) Endpoint() string { return "tframe://" + l.l.Addr().String() }

func (l *frameListener) Accept(ctx context.Context) (transport.Conn, error) {
	tl := l.l.(*net.TCPListener)
	stop := context.AfterFunc(ctx, func() { tl.SetDeadline(time.Unix(1, 0)) })
	c, err := tl.Accept()
	if !stop() {
		tl.SetDeadline(time.Time{})
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%w: %v", transport.ErrClosed, err)
	}
	return &frameConn{c: c}, nil
}

func (l *frameListener) Close() error {
	err := l.l.Close()
	if err != nil {
		return fmt.Errorf("%w: %v", transport.ErrClosed, err)
	}
	return nil
}

type frameConn struct {
	c    net.Conn
	wbuf []byte
}

func (c *frameConn) Close() error          { return c.c.Close() }
func (c *frameConn) LocalAddress() string  { return "tframe://" + c.c.LocalAddr().String() }
func (c *frameConn) RemoteAddress() string { return "tframe://" + c.c.RemoteAddr().String() }
func (c *frameConn) PeerAddress() string   { return "" }
func (c *frameConn) FD() int               { return -1 }

func (c *frameConn) ReadFrame(buf []byte) ([]byte, byte, error) {
	var h [5]byte
	if _, err := io.ReadFull(c.c, h[:]); err != nil {
		return buf, 0, err
	}
	n := int(binary.BigEndian.Uint32(h[:4]))
	s := len(buf)
	buf = append(buf, make([]byte, n)...)
	if _, err := io.ReadFull(c.c, buf[s:]); err != nil {
		return buf[:s], 0, err
	}
	return buf, h[4], nil
}

func (c *frameConn) WriteFrame(body []byte, flags byte) error {
	c.wbuf = binary.BigEndian.AppendUint32(c.wbuf, uint32(len(body)))
	c.wbuf = append(c.wbuf, flags)
	c.wbuf = append(c.wbuf, body...)
	return nil
}

func (c *frameConn) Flush() error {
	_, err := c.c.Write(c.wbuf)
	c.wbuf = c.wbuf[:0]
	return err
}

// memFrames returns in-memory frame transports (transporttest.NewMemFrame),
// one per FrameConn capability, as core's frame tests have them:
//
//   - mfmech: the mechanism handshake, transport pings, read-ahead (ws
//     with ZWS2.0/NULL|PLAIN|CURVE);
//   - mfzmtp: the same without transport pings or read-ahead (ZMTP PING
//     commands);
//   - mfrid: the routing-id exchange, transport pings (bare ZWS2.0);
//   - mfnone: no handshake, one-way (pgm);
//   - mfhsok, mfhsfail, mfhsslow, mfhsio: a Handshaker that succeeds
//     (after checking its ctx has the HANDSHAKE_IVL deadline), refuses
//     (a HandshakeError), never finishes, or fails with an I/O error;
//   - mfdeaf: pings that go nowhere (a peer that never answers).
func memFrames() []transport.Transport {
	return []transport.Transport{
		transporttest.NewMemFrame(transporttest.MemFrameOptions{Scheme: "mfmech", Pings: true}),
		transporttest.NewMemFrame(transporttest.MemFrameOptions{Scheme: "mfzmtp", NoBuffer: true}),
		transporttest.NewMemFrame(transporttest.MemFrameOptions{Scheme: "mfrid", Mode: transport.FrameRoutingID, Pings: true}),
		transporttest.NewMemFrame(transporttest.MemFrameOptions{Scheme: "mfnone", Mode: transport.FrameNone, NoBuffer: true}),
		transporttest.NewMemFrame(transporttest.MemFrameOptions{Scheme: "mfhsok", Mode: transport.FrameRoutingID,
			Handshake: func(ctx context.Context, dialer bool) error {
				if _, ok := ctx.Deadline(); !ok {
					return errors.New("memframe: the handshake has no deadline")
				}
				return nil
			}}),
		transporttest.NewMemFrame(transporttest.MemFrameOptions{Scheme: "mfhsfail",
			Handshake: func(context.Context, bool) error {
				return &transport.HandshakeError{Code: mechanism.ErrWSUnspecified, Err: errors.New("memframe: upgrade refused")}
			}}),
		transporttest.NewMemFrame(transporttest.MemFrameOptions{Scheme: "mfhsslow",
			Handshake: func(ctx context.Context, dialer bool) error {
				if dialer {
					return nil
				}
				<-ctx.Done()
				return ctx.Err()
			}}),
		transporttest.NewMemFrame(transporttest.MemFrameOptions{Scheme: "mfhsio",
			Handshake: func(context.Context, bool) error { return syscall.ECONNRESET }}),
		deafTransport{transporttest.NewMemFrame(transporttest.MemFrameOptions{Scheme: "mfdeaf", Pings: true})},
	}
}

// deafTransport's connections are Pingers whose pings go nowhere and
// whose Activity never moves.
type deafTransport struct{ transport.Transport }

func (d deafTransport) Listen(ctx context.Context, scheme, addr string, cfg *transport.Config) (transport.Listener, error) {
	l, err := d.Transport.Listen(ctx, scheme, addr, cfg)
	if err != nil {
		return nil, err
	}
	return deafListener{l}, nil
}

func (d deafTransport) Dial(ctx context.Context, scheme, addr string, cfg *transport.Config) (transport.Conn, error) {
	c, err := d.Transport.Dial(ctx, scheme, addr, cfg)
	if err != nil {
		return nil, err
	}
	return deafConn{c.(transport.FrameConn)}, nil
}

type deafListener struct{ transport.Listener }

func (l deafListener) Accept(ctx context.Context) (transport.Conn, error) {
	c, err := l.Listener.Accept(ctx)
	if err != nil {
		return nil, err
	}
	return deafConn{c.(transport.FrameConn)}, nil
}

type deafConn struct{ transport.FrameConn }

func (deafConn) Ping() error      { return nil }
func (deafConn) Activity() uint64 { return 0 }

// hangTransport never answers Listen or Dial.
type hangTransport struct{}

func (hangTransport) Schemes() []string    { return []string{"hang"} }
func (hangTransport) Kind() transport.Kind { return transport.KindStream }
func (hangTransport) Listen(context.Context, string, string, *transport.Config) (transport.Listener, error) {
	select {}
}
func (hangTransport) Dial(context.Context, string, string, *transport.Config) (transport.Conn, error) {
	select {}
}

// pipeTransport claims to be an in-process transport.
type pipeTransport struct{ hangTransport }

func (pipeTransport) Schemes() []string    { return []string{"inproc"} }
func (pipeTransport) Kind() transport.Kind { return transport.KindPipe }

// tempIPC returns a fresh ipc path.
func tempIPC(t testing.TB) string {
	return filepath.Join(t.TempDir(), "s")
}

func osArgs0() string { return os.Args[0] }

var errDeadline = context.DeadlineExceeded

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
