//go:build cgo && !nolibzmq

package interop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/all" // tcp, ipc, inproc
)

// Timeouts. Every blocking call in the suite is bounded by one of them.
const (
	opTimeout    = 5 * time.Second        // one send or receive that must succeed
	quietTimeout = 200 * time.Millisecond // "nothing more arrives" checks
	pollStep     = 50 * time.Millisecond  // one round of a retry loop
	termTimeout  = 10 * time.Second       // zmqkit Context.Term
)

// errTimeout is what sock.recv returns when nothing arrived in time.
var errTimeout = errors.New("receive timed out")

// sock is one end of a connection, implemented by zmqkit or by libzmq.
// Messages are whole multipart messages ([][]byte).
type sock interface {
	impl() string // "zmqkit" or "libzmq"
	typ() core.SocketType
	// bind binds to ep and returns the resolved endpoint (for tcp://...:*).
	bind(ep string) (string, error)
	connect(ep string) error
	// send sends one whole message, failing after opTimeout.
	send(frames ...[]byte) error
	// sendWithin sends one whole message, or returns errTimeout after d.
	sendWithin(d time.Duration, frames ...[]byte) error
	// recv receives one whole message, or returns errTimeout after d.
	recv(d time.Duration) ([][]byte, error)
	// subscribe / unsubscribe: SUB uses the socket option, XSUB sends the
	// 0x01/0x00-prefixed message.
	subscribe(topic string) error
	unsubscribe(topic string) error
	// pump lets the socket process pending internal commands. libzmq
	// attaches a new connection's pipe to a socket only when the
	// application next calls into that socket, so a bound libzmq SUB sends
	// its subscriptions to a new peer only then; pump does that call
	// (ZMQ_EVENTS). No-op for zmqkit.
	pump()
	close()
}

func label(s sock) string { return s.impl() + " " + s.typ().String() }

// ---------------------------------------------------------------------------
// zmqkit side

type kitSock struct {
	s    *core.Socket
	st   core.SocketType
	once sync.Once
	// received counts messages received; peerType is the "Socket-Type"
	// property of the last one ("" if it had none).
	received int
	peerType string
}

// newKitContext returns a zmqkit context terminated at the end of the test
// (after the sockets, which are registered later and so closed first).
func newKitContext(t testing.TB, opts ...core.ContextOption) *core.Context {
	t.Helper()
	ctx := core.NewContext(opts...)
	t.Cleanup(func() {
		done := make(chan struct{})
		go func() { ctx.Term(); close(done) }()
		select {
		case <-done:
		case <-time.After(termTimeout):
			t.Errorf("zmqkit Context.Term did not return within %v", termTimeout)
		}
	})
	return ctx
}

// newKit makes a zmqkit socket with linger 0 and a short reconnect
// interval, closed at the end of the test.
func newKit(t testing.TB, ctx *core.Context, st core.SocketType, opts ...core.Option) *kitSock {
	t.Helper()
	all := append([]core.Option{
		core.WithLinger(0),
		core.WithReconnectInterval(50 * time.Millisecond),
	}, opts...)
	s, err := ctx.NewSocket(st, all...)
	if err != nil {
		t.Fatalf("zmqkit NewSocket(%v): %v", st, err)
	}
	k := &kitSock{s: s, st: st}
	t.Cleanup(k.close)
	return k
}

func (k *kitSock) impl() string         { return "zmqkit" }
func (k *kitSock) typ() core.SocketType { return k.st }

func (k *kitSock) bind(ep string) (string, error) {
	if err := k.s.Bind(ep); err != nil {
		return "", err
	}
	return k.s.LastEndpoint(), nil
}

func (k *kitSock) connect(ep string) error { return k.s.Connect(ep) }

func (k *kitSock) send(frames ...[]byte) error { return k.sendWithin(opTimeout, frames...) }

func (k *kitSock) sendWithin(d time.Duration, frames ...[]byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	err := k.s.Send(ctx, core.NewMsg(frames...))
	if errors.Is(err, core.ErrWouldBlock) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", errTimeout, err)
	}
	return err
}

func (k *kitSock) recv(d time.Duration) ([][]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	m, err := k.s.Recv(ctx)
	if err != nil {
		if errors.Is(err, core.ErrWouldBlock) || errors.Is(err, context.DeadlineExceeded) {
			return nil, errTimeout
		}
		return nil, err
	}
	k.received++
	k.peerType, _ = m.Property("Socket-Type")
	// Copy: the frames must stay valid whatever the library recycles.
	out := make([][]byte, len(m.Frames))
	for i, f := range m.Frames {
		out[i] = append([]byte{}, f...)
	}
	return out, nil
}

func (k *kitSock) subscribe(topic string) error {
	if k.st == XSUB {
		return k.send(append([]byte{1}, topic...))
	}
	return k.s.Subscribe(topic)
}

func (k *kitSock) unsubscribe(topic string) error {
	if k.st == XSUB {
		return k.send(append([]byte{0}, topic...))
	}
	return k.s.Unsubscribe(topic)
}

func (k *kitSock) pump() {}

func (k *kitSock) close() { k.once.Do(func() { k.s.Close() }) }

// ---------------------------------------------------------------------------
// libzmq side

type libSock struct {
	s      *zmq.Socket
	st     core.SocketType
	rcvto  time.Duration
	sndto  time.Duration
	closed bool
	mon    *monitor // stopped before the socket is closed
}

// libOption configures a libzmq socket before bind/connect.
type libOption func(*zmq.Socket) error

func libRoutingID(id string) libOption {
	return func(s *zmq.Socket) error { return s.SetIdentity(id) }
}

func libHeartbeat(ivl, timeout, ttl time.Duration) libOption {
	return func(s *zmq.Socket) error {
		if err := s.SetHeartbeatIvl(ivl); err != nil {
			return err
		}
		if err := s.SetHeartbeatTimeout(timeout); err != nil {
			return err
		}
		return s.SetHeartbeatTtl(ttl)
	}
}

// newLib makes a libzmq socket (linger 0, 5 s send timeout, 50 ms
// reconnect interval) in the shared context, closed at the end of the test.
func newLib(t testing.TB, st core.SocketType, opts ...libOption) *libSock {
	t.Helper()
	s, err := libCtx.NewSocket(zmq.Type(st))
	if err != nil {
		t.Fatalf("libzmq NewSocket(%v): %v", st, err)
	}
	l := &libSock{s: s, st: st, sndto: opTimeout}
	t.Cleanup(l.close)
	for _, set := range []func() error{
		func() error { return s.SetLinger(0) },
		func() error { return s.SetSndtimeo(opTimeout) },
		func() error { return s.SetReconnectIvl(50 * time.Millisecond) },
	} {
		if err := set(); err != nil {
			t.Fatalf("libzmq setsockopt: %v", err)
		}
	}
	for _, o := range opts {
		if err := o(s); err != nil {
			t.Fatalf("libzmq setsockopt: %v", err)
		}
	}
	return l
}

func (l *libSock) impl() string         { return "libzmq" }
func (l *libSock) typ() core.SocketType { return l.st }

func (l *libSock) bind(ep string) (string, error) {
	if err := l.s.Bind(ep); err != nil {
		return "", err
	}
	return l.s.GetLastEndpoint()
}

func (l *libSock) connect(ep string) error { return l.s.Connect(ep) }

func (l *libSock) send(frames ...[]byte) error { return l.sendWithin(opTimeout, frames...) }

func (l *libSock) sendWithin(d time.Duration, frames ...[]byte) error {
	if d != l.sndto {
		if err := l.s.SetSndtimeo(d); err != nil {
			return err
		}
		l.sndto = d
	}
	for i, f := range frames {
		flag := zmq.SNDMORE
		if i == len(frames)-1 {
			flag = 0
		}
		if _, err := l.s.SendBytes(f, flag); err != nil {
			if zmq.AsErrno(err) == zmq.Errno(syscall.EAGAIN) {
				err = fmt.Errorf("%w: %w", errTimeout, err)
			}
			return fmt.Errorf("libzmq send frame %d/%d: %w", i+1, len(frames), err)
		}
	}
	return nil
}

func (l *libSock) recv(d time.Duration) ([][]byte, error) {
	if d != l.rcvto {
		if err := l.s.SetRcvtimeo(d); err != nil {
			return nil, err
		}
		l.rcvto = d
	}
	m, err := l.s.RecvMessageBytes(0)
	if err != nil {
		if zmq.AsErrno(err) == zmq.Errno(syscall.EAGAIN) {
			return nil, errTimeout
		}
		return nil, err
	}
	return m, nil
}

func (l *libSock) subscribe(topic string) error {
	if l.st == XSUB {
		return l.send(append([]byte{1}, topic...))
	}
	return l.s.SetSubscribe(topic)
}

func (l *libSock) unsubscribe(topic string) error {
	if l.st == XSUB {
		return l.send(append([]byte{0}, topic...))
	}
	return l.s.SetUnsubscribe(topic)
}

func (l *libSock) pump() { _, _ = l.s.GetEvents() }

func (l *libSock) close() {
	if !l.closed {
		l.closed = true
		if l.mon != nil {
			l.mon.halt()
		}
		l.s.Close()
	}
}

// ---------------------------------------------------------------------------
// endpoints

// Short names for the socket types.
const (
	PAIR   = core.PAIR
	PUB    = core.PUB
	SUB    = core.SUB
	REQ    = core.REQ
	REP    = core.REP
	DEALER = core.DEALER
	ROUTER = core.ROUTER
	PULL   = core.PULL
	PUSH   = core.PUSH
	XPUB   = core.XPUB
	XSUB   = core.XSUB
)

var ipcSeq atomic.Int64

// bindEndpoint returns what to bind for transport tr: an ephemeral tcp
// port on loopback, or a fresh ipc path under the test's temp dir.
func bindEndpoint(t testing.TB, tr string) string {
	t.Helper()
	switch tr {
	case "tcp":
		return "tcp://127.0.0.1:*"
	case "ipc":
		dir := t.TempDir()
		p := filepath.Join(dir, fmt.Sprintf("%d.sock", ipcSeq.Add(1)))
		if len(p) > 100 { // sun_path is ~107 bytes on Linux
			d, err := os.MkdirTemp("", "zk")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(d) })
			p = filepath.Join(d, fmt.Sprintf("%d.sock", ipcSeq.Add(1)))
		}
		return "ipc://" + p
	}
	t.Fatalf("unknown transport %q", tr)
	return ""
}

// connectable turns a resolved bind endpoint into one a peer can connect
// to (libzmq reports tcp://127.0.0.1:port already; keep it general).
func connectable(ep string) string {
	return strings.Replace(ep, "tcp://0.0.0.0:", "tcp://127.0.0.1:", 1)
}

// link binds binder on transport tr and connects connector to it,
// returning the resolved endpoint.
func link(t testing.TB, tr string, binder, connector sock) string {
	t.Helper()
	ep, err := binder.bind(bindEndpoint(t, tr))
	if err != nil {
		t.Fatalf("%s bind %s: %v", label(binder), tr, err)
	}
	if ep == "" {
		t.Fatalf("%s: empty last endpoint after bind", label(binder))
	}
	if err := connector.connect(connectable(ep)); err != nil {
		t.Fatalf("%s connect %s: %v", label(connector), ep, err)
	}
	return ep
}

// ---------------------------------------------------------------------------
// message helpers

// pattern returns n bytes of a recognisable, seed-dependent pattern.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7) + seed
	}
	return b
}

func frames(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func join(a [][]byte, b ...[]byte) [][]byte {
	out := make([][]byte, 0, len(a)+len(b))
	out = append(out, a...)
	return append(out, b...)
}

func equalFrames(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// show renders a message compactly for failure messages.
func show(m [][]byte) string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i, f := range m {
		if i > 0 {
			sb.WriteString(", ")
		}
		if len(f) > 24 {
			fmt.Fprintf(&sb, "%d bytes %q...", len(f), f[:12])
		} else {
			fmt.Fprintf(&sb, "%q", f)
		}
	}
	sb.WriteByte(']')
	return sb.String()
}

// mustSend sends or fails the test.
func mustSend(t testing.TB, s sock, m ...[]byte) {
	t.Helper()
	if err := s.send(m...); err != nil {
		t.Fatalf("%s send %s: %v", label(s), show(m), err)
	}
}

// mustRecv receives one message within opTimeout, skipping messages for
// which skip returns true (sync probes), or fails the test.
func mustRecv(t testing.TB, s sock, skip func([][]byte) bool) [][]byte {
	t.Helper()
	deadline := time.Now().Add(opTimeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			t.Fatalf("%s: no message within %v", label(s), opTimeout)
		}
		m, err := s.recv(left)
		if err != nil {
			t.Fatalf("%s recv: %v", label(s), err)
		}
		if skip != nil && skip(m) {
			continue
		}
		return m
	}
}

// expect receives one message (skipping as mustRecv) and checks it.
func expect(t testing.TB, s sock, want [][]byte, skip func([][]byte) bool) {
	t.Helper()
	got := mustRecv(t, s, skip)
	if !equalFrames(got, want) {
		t.Fatalf("%s received %s, want %s", label(s), show(got), show(want))
	}
}

// expectQuiet checks that nothing (except skipped probes) arrives within
// quietTimeout.
func expectQuiet(t testing.TB, s sock, skip func([][]byte) bool) {
	t.Helper()
	deadline := time.Now().Add(quietTimeout)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return
		}
		m, err := s.recv(left)
		if errors.Is(err, errTimeout) {
			return
		}
		if err != nil {
			t.Fatalf("%s recv: %v", label(s), err)
		}
		if skip != nil && skip(m) {
			continue
		}
		t.Fatalf("%s received unexpected extra message %s", label(s), show(m))
	}
}

// skipFirst returns a skip function matching messages whose first frame
// is one of the given probe payloads.
func skipFirst(probes ...string) func([][]byte) bool {
	return func(m [][]byte) bool {
		if len(m) == 0 {
			return false
		}
		for _, p := range probes {
			if string(m[0]) == p {
				return true
			}
		}
		return false
	}
}

// retryUntil calls probe (e.g. "publish a sync message") then waits up to
// pollStep on recv until it yields a message accepted by ok, for at most
// opTimeout. It returns the accepted message or fails the test.
func retryUntil(t testing.TB, what string, probe func() error, recv sock, ok func([][]byte) bool) [][]byte {
	t.Helper()
	deadline := time.Now().Add(opTimeout)
	for time.Now().Before(deadline) {
		if err := probe(); err != nil && !errors.Is(err, errTimeout) {
			t.Fatalf("%s: probe: %v", what, err)
		}
		m, err := recv.recv(pollStep)
		if errors.Is(err, errTimeout) {
			continue
		}
		if err != nil {
			t.Fatalf("%s: %s recv: %v", what, label(recv), err)
		}
		if ok(m) {
			return m
		}
	}
	t.Fatalf("%s: gave up after %v", what, opTimeout)
	return nil
}

// ---------------------------------------------------------------------------
// libzmq socket monitor

// monitor records libzmq socket events in the background.
//
// libzmq 4.3.4 wedges its I/O thread (every later connection in the
// context stalls, sockets are never reaped) if a monitored socket is
// closed while its monitor is still running, so halt always stops the
// monitor explicitly (zmq_socket_monitor(s, NULL, 0)) before the reader
// and the socket are closed.
type monitor struct {
	mu     sync.Mutex
	events []zmq.Event
	stop   chan struct{}
	done   chan struct{}
	owner  *libSock
	once   sync.Once
}

// halt stops monitoring and waits for the reader goroutine. Call it from
// the goroutine that owns the monitored socket.
func (m *monitor) halt() {
	m.once.Do(func() {
		// The socket is still open here: libSock.close halts first, and
		// the test cleanup of a monitor runs before its socket's.
		_ = m.owner.s.Monitor("", 0)
		close(m.stop)
		<-m.done
	})
}

var monSeq atomic.Int64

// startMonitor attaches a monitor to a libzmq socket. Call it before bind
// or connect so no event is missed; the monitor stops at test cleanup or
// when stopAndGet is called.
func startMonitor(t testing.TB, l *libSock) *monitor {
	t.Helper()
	addr := fmt.Sprintf("inproc://interop-monitor-%d", monSeq.Add(1))
	if err := l.s.Monitor(addr, zmq.EVENT_ALL); err != nil {
		t.Fatalf("libzmq monitor: %v", err)
	}
	r, err := libCtx.NewSocket(zmq.PAIR)
	if err != nil {
		t.Fatalf("libzmq monitor socket: %v", err)
	}
	if err := r.SetLinger(0); err != nil {
		t.Fatal(err)
	}
	if err := r.SetRcvtimeo(pollStep); err != nil {
		t.Fatal(err)
	}
	if err := r.Connect(addr); err != nil {
		r.Close()
		t.Fatalf("libzmq monitor connect: %v", err)
	}
	mon := &monitor{stop: make(chan struct{}), done: make(chan struct{}), owner: l}
	l.mon = mon
	go func() {
		defer close(mon.done)
		defer r.Close()
		for {
			select {
			case <-mon.stop:
				return
			default:
			}
			ev, _, _, err := r.RecvEvent(0)
			if err != nil {
				continue // timeout: check stop again
			}
			mon.mu.Lock()
			mon.events = append(mon.events, ev)
			mon.mu.Unlock()
		}
	}()
	t.Cleanup(mon.halt)
	return mon
}

// snapshot returns the events seen so far.
func (m *monitor) snapshot() []zmq.Event {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]zmq.Event(nil), m.events...)
}

// count returns how many events of type ev were seen so far.
func (m *monitor) count(ev zmq.Event) int {
	n := 0
	for _, e := range m.snapshot() {
		if e == ev {
			n++
		}
	}
	return n
}

// waitFor waits until at least n events of type ev were seen.
func (m *monitor) waitFor(t testing.TB, ev zmq.Event, n int) {
	t.Helper()
	deadline := time.Now().Add(opTimeout)
	for m.count(ev) < n {
		if time.Now().After(deadline) {
			t.Fatalf("libzmq monitor: %v seen %d times within %v, want %d (events: %v)",
				ev, m.count(ev), opTimeout, n, m.snapshot())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
