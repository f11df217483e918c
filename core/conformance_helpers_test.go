package core_test

// Shared helpers for the conformance_*_test.go files: one table of
// transports that every conformance test runs over, endpoint makers and
// small send/receive helpers with short timeouts.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/all"
	"github.com/zmqkit/zmqkit/plugins/vmci/vmcitest"
	_ "github.com/zmqkit/zmqkit/plugins/ws"

	"github.com/zmqkit/zmqkit/internal/freeport"
)

// cfTransports is the transport table every conformance test runs over:
// "frame" is the in-memory frame transport of frame_test.go, which runs
// the core's frame engine in its mechanism mode (as ws does), and "ws" is
// the real one (plugins/ws: ZWS 2.0 over WebSocket); "vsock" is
// plugins/vmci on its fake socket layer (vmcitest): the machine has no
// vsock device, and everything above the AF_VSOCK system calls is the
// same.
var cfTransports = []string{"tcp", "ipc", "inproc", "frame", "vsock", "ws"}

var cfSeq atomic.Int64

// cfEnv is one test's environment: a context and an endpoint factory.
type cfEnv struct {
	t     *testing.T
	tr    string
	ctx   *core.Context
	ipcDi string
}

// cfForEach runs fn as a parallel-free subtest per transport.
func cfForEach(t *testing.T, fn func(t *testing.T, e *cfEnv)) {
	t.Helper()
	for _, tr := range cfTransports {
		t.Run(tr, func(t *testing.T) {
			e := cfNewEnv(t, tr)
			fn(t, e)
		})
	}
}

func cfNewEnv(t *testing.T, tr string, opts ...core.ContextOption) *cfEnv {
	t.Helper()
	if tr == "vsock" {
		n := vmcitest.NewNetwork()
		t.Cleanup(func() { n.Close() }) // after the context's Term below
		opts = append([]core.ContextOption{core.WithRegistry(n.Machine(3).Registry())}, opts...)
	}
	e := &cfEnv{t: t, tr: tr, ctx: core.NewContext(opts...)}
	if tr == "ipc" {
		// short path: sun_path is limited to ~107 bytes
		d, err := os.MkdirTemp("", "zk")
		if err != nil {
			t.Fatal(err)
		}
		e.ipcDi = d
		t.Cleanup(func() { os.RemoveAll(d) })
	}
	t.Cleanup(func() {
		done := make(chan struct{})
		go func() {
			c, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			e.ctx.TermContext(c)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(6 * time.Second):
			t.Errorf("context Term did not return within 6s")
		}
	})
	return e
}

// ep returns a fresh bindable endpoint for the environment's transport.
func (e *cfEnv) ep() string {
	n := cfSeq.Add(1)
	switch e.tr {
	case "tcp":
		return "tcp://127.0.0.1:*"
	case "ipc":
		return "ipc://" + filepath.Join(e.ipcDi, fmt.Sprintf("s%d", n))
	case "inproc":
		return fmt.Sprintf("inproc://cf-%d", n)
	case "frame":
		return fmt.Sprintf("mfmech://cf-%d", n)
	case "vsock":
		return fmt.Sprintf("vsock://3:%d", 20000+n) // a fixed port: connectable before the bind
	case "ws":
		return "ws://127.0.0.1:*/cf"
	}
	e.t.Fatalf("unknown transport %s", e.tr)
	return ""
}

// unbound returns an endpoint to connect to before anything binds it
// (and to bind later): ep's, with a free port for tcp and ws.
func (e *cfEnv) unbound() string {
	switch e.tr {
	case "tcp":
		return cfFreeTCP(e.t)
	case "ws":
		return "ws" + strings.TrimPrefix(cfFreeTCP(e.t), "tcp") + "/cf"
	}
	return e.ep()
}

// sock creates a socket, failing the test on error.
func (e *cfEnv) sock(typ core.SocketType, opts ...core.Option) *core.Socket {
	e.t.Helper()
	s, err := e.ctx.NewSocket(typ, opts...)
	if err != nil {
		e.t.Fatalf("NewSocket(%v): %v", typ, err)
	}
	return s
}

// bound creates a socket bound to a fresh endpoint; it returns the socket
// and its resolved endpoint.
func (e *cfEnv) bound(typ core.SocketType, opts ...core.Option) (*core.Socket, string) {
	e.t.Helper()
	s := e.sock(typ, opts...)
	if err := s.Bind(e.ep()); err != nil {
		e.t.Fatalf("Bind(%v): %v", typ, err)
	}
	return s, s.LastEndpoint()
}

// connected creates a socket connected to ep.
func (e *cfEnv) connected(typ core.SocketType, ep string, opts ...core.Option) *core.Socket {
	e.t.Helper()
	s := e.sock(typ, opts...)
	if err := s.Connect(ep); err != nil {
		e.t.Fatalf("Connect(%v, %s): %v", typ, ep, err)
	}
	return s
}

// cfCtx returns a context with a short deadline.
func cfCtx(t *testing.T, d time.Duration) context.Context {
	c, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return c
}

// send sends string frames with a 5 s limit.
func cfSend(t *testing.T, s *core.Socket, frames ...string) {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Send(c, core.NewMsgString(frames...)); err != nil {
		t.Fatalf("Send %q on %v: %v", frames, s.Type(), err)
	}
}

// recv receives a message with a 5 s limit and returns its frames.
func cfRecv(t *testing.T, s *core.Socket) []string {
	t.Helper()
	return cfRecvWithin(t, s, 5*time.Second)
}

func cfRecvWithin(t *testing.T, s *core.Socket, d time.Duration) []string {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	m, err := s.Recv(c)
	if err != nil {
		t.Fatalf("Recv on %v: %v", s.Type(), err)
	}
	return cfFrames(m)
}

// cfTryRecv receives with a timeout, reporting whether a message came.
func cfTryRecv(s *core.Socket, d time.Duration) ([]string, bool) {
	c, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	m, err := s.Recv(c)
	if err != nil {
		return nil, false
	}
	return cfFrames(m), true
}

// cfExpectNothing asserts that nothing arrives on s within d.
func cfExpectNothing(t *testing.T, s *core.Socket, d time.Duration) {
	t.Helper()
	if f, ok := cfTryRecv(s, d); ok {
		t.Fatalf("%v received %q, expected nothing", s.Type(), f)
	}
}

func cfFrames(m core.Msg) []string {
	out := make([]string, len(m.Frames))
	for i, f := range m.Frames {
		out[i] = string(f)
	}
	return out
}

func cfEq(got []string, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

func cfExpectFrames(t *testing.T, got []string, want ...string) {
	t.Helper()
	if !cfEq(got, want...) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func cfExpectErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want %v", err, target)
	}
}

// cfWaitFor polls cond until true or d expires.
func cfWaitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// handshakeRouter waits until router (with ROUTER_MANDATORY) can route to
// id, by sending probe messages that the peer must discard.
func cfRoutable(r *core.Socket, id string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		err := r.TrySend(core.NewMsgString(id, "__probe__"))
		if err == nil {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return false
}

// cfProbeSub waits until sub receives something published on topic: pub
// sends topic+cfProbeSuffix repeatedly. Later recvs must skip probes (use
// cfRecvSkip).
const cfProbeSuffix = "\x00probe"

func cfProbeSub(t *testing.T, pub *core.Socket, subs []*core.Socket, topic string) {
	t.Helper()
	for _, sub := range subs {
		deadline := time.Now().Add(5 * time.Second)
		for {
			if err := pub.TrySend(core.NewMsgString(topic + cfProbeSuffix)); err != nil && !errors.Is(err, core.ErrWouldBlock) {
				t.Fatalf("probe send: %v", err)
			}
			if f, ok := cfTryRecv(sub, 20*time.Millisecond); ok {
				if !strings.HasSuffix(f[0], cfProbeSuffix) {
					t.Fatalf("unexpected message while probing: %q", f)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("subscription %q never reached the publisher", topic)
			}
		}
	}
}

// cfRecvSkip receives the next non-probe message within d.
func cfRecvSkip(s *core.Socket, d time.Duration) ([]string, bool) {
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if left <= 0 {
			return nil, false
		}
		f, ok := cfTryRecv(s, left)
		if !ok {
			return nil, false
		}
		if len(f) > 0 && strings.HasSuffix(f[0], cfProbeSuffix) {
			continue
		}
		return f, true
	}
}

// cfFenceSuffix marks a fence: a message published after the ones a test
// checks, on a topic the subscriber receives. A pipe keeps order, so once
// the fence is in, every message published before it that the subscriber
// will ever get is in too, however slow the machine: cfFenced returns
// exactly those, with no quiet period to guess.
const cfFenceSuffix = "\x00fence"

// cfFence publishes topic+cfFenceSuffix on pub (a PUB or XPUB).
func cfFence(t *testing.T, pub *core.Socket, topic string) {
	t.Helper()
	if err := pub.TrySend(core.NewMsgString(topic + cfFenceSuffix)); err != nil {
		t.Fatalf("fence send: %v", err)
	}
}

// cfUntilFence returns the first frames of the messages s receives before
// the fence topic+cfFenceSuffix (probes and other fences skipped), each
// waited for up to 5 s.
func cfUntilFence(t *testing.T, s *core.Socket, topic string) []string {
	t.Helper()
	var got []string
	for {
		f, ok := cfTryRecv(s, 5*time.Second)
		if !ok {
			t.Fatalf("fence %q never arrived (received %q before)", topic, got)
		}
		switch {
		case len(f) > 0 && f[0] == topic+cfFenceSuffix:
			return got
		case len(f) > 0 && (strings.HasSuffix(f[0], cfProbeSuffix) || strings.HasSuffix(f[0], cfFenceSuffix)):
		default:
			got = append(got, f[0])
		}
	}
}

// cfFenced publishes a fence on topic (one s is subscribed to) and returns
// what s received before it.
func cfFenced(t *testing.T, pub, s *core.Socket, topic string) []string {
	t.Helper()
	cfFence(t, pub, topic)
	return cfUntilFence(t, s, topic)
}

// cfFreeTCP returns a tcp endpoint on a port nobody listens on (now).
func cfFreeTCP(t *testing.T) string {
	t.Helper()
	return "tcp://" + freeport.MustTCP(t)
}
