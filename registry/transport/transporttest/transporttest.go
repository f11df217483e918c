// Package transporttest is a conformance suite for transport plugins. A
// plugin's tests call Run with a Factory describing the transport:
//
//	func TestConformance(t *testing.T) {
//		transporttest.Run(t, transporttest.Factory{
//			Transport: tcp.New(),
//			Kind:      transport.KindStream,
//			Addr:      func(testing.TB) string { return "127.0.0.1:0" },
//		})
//	}
//
// Every subtest checks for leaked goroutines with go.uber.org/goleak,
// ignoring those that existed when it started, so Run should not run in
// parallel with other tests of the same package.
package transporttest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// timeout bounds every wait of the suite.
const timeout = 20 * time.Second

// Factory describes a transport under test.
type Factory struct {
	// Transport is the transport under test.
	Transport transport.Transport
	// Scheme is the scheme to test; "" means Transport.Schemes()[0].
	Scheme string
	// Kind is the kind Transport must report.
	Kind transport.Kind
	// Addr returns a fresh address Listen accepts, without "scheme://":
	// "127.0.0.1:0" for tcp, a new path for ipc, a unique name for inproc.
	Addr func(t testing.TB) string
	// Config, if set, returns the base Config of every Listen and Dial;
	// the suite sets Hook, Endpoint, Scope and Offer on a copy.
	Config func() *transport.Config
	// InvalidListen and InvalidDial are addresses that Listen and Dial
	// (and CheckDial, if the transport is a transport.DialChecker) must
	// reject with an error wrapping transport.ErrInvalidEndpoint. The
	// empty address is always checked.
	InvalidListen []string
	InvalidDial   []string
	// ExclusiveBind says that binding an endpoint already bound fails
	// with transport.ErrAddrInUse. It is always checked for KindPipe.
	ExclusiveBind bool
}

// Run runs the conformance suite against f as subtests of t.
func Run(t *testing.T, f Factory) {
	t.Helper()
	if f.Transport == nil || f.Addr == nil {
		t.Fatal("transporttest: Factory needs Transport and Addr")
	}
	if f.Scheme == "" {
		s := f.Transport.Schemes()
		if len(s) == 0 {
			t.Fatal("transporttest: transport has no scheme")
		}
		f.Scheme = s[0]
	}
	s := &suite{f: f}
	tests := []struct {
		name string
		run  func(*testing.T)
		kind []transport.Kind // nil: every kind
	}{
		{"Identity", s.identity, nil},
		{"ListenEndpoint", s.listenEndpoint, nil},
		{"InvalidEndpoints", s.invalidEndpoints, nil},
		{"CloseUnblocksAccept", s.closeUnblocksAccept, connected},
		{"AcceptContext", s.acceptContext, connected},
		{"ExclusiveBind", s.exclusiveBind, nil},
		{"DialAccept", s.dialAccept, connected},
		{"Concurrent", s.concurrent, connected},
		{"Stream/Echo", s.streamEcho, stream},
		{"Stream/Large", s.streamLarge, stream},
		{"Stream/WriteBuffers", s.streamWriteBuffers, stream},
		{"Stream/Deadline", s.streamDeadline, stream},
		{"Stream/PeerClose", s.streamPeerClose, stream},
		{"Stream/DialClosed", s.streamDialClosed, stream},
		{"Stream/Events", s.streamEvents, stream},
		{"Stream/DialFailedEvents", s.streamDialFailedEvents, stream},
		{"Frame/Echo", s.frameEcho, frames},
		{"Frame/Large", s.frameLarge, frames},
		{"Frame/Batch", s.frameBatch, frames},
		{"Frame/Borrow", s.frameBorrow, frames},
		{"Frame/MaxMsgSize", s.frameMaxMsgSize, frames},
		{"Frame/PeerClose", s.framePeerClose, frames},
		{"Frame/CloseUnblocksRead", s.frameCloseUnblocksRead, frames},
		{"Frame/Mode", s.frameMode, frames},
		{"Frame/Ping", s.framePing, frames},
		{"Frame/Events", s.frameEvents, frames},
		{"Frame/DialClosed", s.frameDialClosed, frames},
		{"Pipe/Offer", s.pipeOffer, pipe},
		{"Pipe/DialBeforeListen", s.pipeDialBeforeListen, pipe},
		{"Pipe/Withdraw", s.pipeWithdraw, pipe},
		{"Pipe/PendingAfterClose", s.pipePendingAfterClose, pipe},
		{"Datagram/AcceptOnce", s.datagramAcceptOnce, datagram},
		{"Datagram/Exchange", s.datagramExchange, datagram},
	}
	for _, tc := range tests {
		if tc.kind != nil && !hasKind(tc.kind, f.Kind) {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			// Registered first, so it runs after every other cleanup.
			ignore := goleak.IgnoreCurrent()
			t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
			tc.run(t)
		})
	}
}

var (
	stream    = []transport.Kind{transport.KindStream}
	pipe      = []transport.Kind{transport.KindPipe}
	frames    = []transport.Kind{transport.KindFrame}
	datagram  = []transport.Kind{transport.KindDatagram}
	connected = []transport.Kind{transport.KindStream, transport.KindFrame, transport.KindPipe}
)

func hasKind(ks []transport.Kind, k transport.Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// suite holds the Factory for the subtests.
type suite struct{ f Factory }

// config returns a fresh Config for t with hook h (nil for none).
func (s *suite) config(t testing.TB, h transport.Hook) *transport.Config {
	var c transport.Config
	if s.f.Config != nil {
		if base := s.f.Config(); base != nil {
			c = *base
		}
	} else {
		c.KeepAlive, c.KeepAliveCount = -1, -1
	}
	c.Hook = h
	c.Scope = "transporttest/" + t.Name()
	return &c
}

// ctx returns a context bounded by the suite's timeout.
func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return c
}

// addrOf strips "scheme://" from an endpoint.
func (s *suite) addrOf(t testing.TB, endpoint string) string {
	t.Helper()
	p := s.f.Scheme + "://"
	if !strings.HasPrefix(endpoint, p) {
		t.Fatalf("endpoint %q does not start with %q", endpoint, p)
	}
	return endpoint[len(p):]
}

// listen binds a fresh address and closes the listener at cleanup.
func (s *suite) listen(t testing.TB, cfg *transport.Config) transport.Listener {
	t.Helper()
	if cfg == nil {
		cfg = s.config(t, nil)
	}
	addr := s.f.Addr(t)
	l, err := s.f.Transport.Listen(ctx(t), s.f.Scheme, addr, cfg)
	if err != nil {
		t.Fatalf("Listen(%q): %v", addr, err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// dial connects to l and closes the connection at cleanup.
func (s *suite) dial(t testing.TB, l transport.Listener, cfg *transport.Config) transport.Conn {
	t.Helper()
	if cfg == nil {
		cfg = s.config(t, nil)
	}
	c, err := s.f.Transport.Dial(ctx(t), s.f.Scheme, s.addrOf(t, l.Endpoint()), cfg)
	if err != nil {
		t.Fatalf("Dial(%q): %v", l.Endpoint(), err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// accept accepts one connection and closes it at cleanup.
func accept(t testing.TB, l transport.Listener) transport.Conn {
	t.Helper()
	c, err := l.Accept(ctx(t))
	if err != nil {
		t.Fatalf("Accept on %q: %v", l.Endpoint(), err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// recorder is a Hook recording events.
type recorder struct {
	mu     sync.Mutex
	events []transport.Event
}

// TransportEvent records e.
func (r *recorder) TransportEvent(e transport.Event) {
	r.mu.Lock()
	r.events = append(r.events, e)
	r.mu.Unlock()
}

// take returns the events recorded so far and forgets them.
func (r *recorder) take() []transport.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := r.events
	r.events = nil
	return ev
}

// kinds lists the kinds of evs, for messages.
func kinds(evs []transport.Event) []transport.EventKind {
	out := make([]transport.EventKind, len(evs))
	for i, e := range evs {
		out[i] = e.Kind
	}
	return out
}

// waitErr waits for an error from ch, failing after the timeout.
func waitErr(t testing.TB, ch <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(timeout):
		t.Fatalf("%s did not return within %v", what, timeout)
		return nil
	}
}
