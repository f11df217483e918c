package core_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/transport"
)

// mcastFake is a one-way frame transport under the epgm scheme: Dial
// returns a connection that records what the socket writes and delivers
// what the test injects; Listen is never to be called.
type mcastFake struct {
	dials, listens atomic.Int32
	fail           error
	mu             sync.Mutex
	conns          []*mcastConn
	cfgs           []*transport.Config
}

func (f *mcastFake) Schemes() []string    { return []string{"epgm"} }
func (f *mcastFake) Kind() transport.Kind { return transport.KindFrame }
func (f *mcastFake) Listen(context.Context, string, string, *transport.Config) (transport.Listener, error) {
	f.listens.Add(1)
	return nil, errors.New("listen called")
}
func (f *mcastFake) Dial(_ context.Context, _, addr string, cfg *transport.Config) (transport.Conn, error) {
	f.dials.Add(1)
	if f.fail != nil {
		return nil, f.fail
	}
	c := &mcastConn{in: make(chan [][]byte, 16), written: make(chan []byte, 64), done: make(chan struct{})}
	f.mu.Lock()
	f.conns = append(f.conns, c)
	f.cfgs = append(f.cfgs, cfg)
	f.mu.Unlock()
	return c, nil
}

type mcastConn struct {
	in      chan [][]byte
	cur     [][]byte
	written chan []byte
	once    sync.Once
	done    chan struct{}
}

func (c *mcastConn) FrameMode() transport.FrameMode { return transport.FrameNone }
func (c *mcastConn) ReadFrame(buf []byte) ([]byte, byte, error) {
	if len(c.cur) == 0 {
		select {
		case m := <-c.in:
			c.cur = m
		case <-c.done:
			return buf, 0, transport.ErrClosed
		}
	}
	f := c.cur[0]
	c.cur = c.cur[1:]
	var fl byte
	if len(c.cur) > 0 {
		fl = transport.FlagMore
	}
	return append(buf, f...), fl, nil
}
func (c *mcastConn) WriteFrame(b []byte, _ byte) error {
	c.written <- append([]byte(nil), b...)
	return nil
}
func (c *mcastConn) Flush() error          { return nil }
func (c *mcastConn) Close() error          { c.once.Do(func() { close(c.done) }); return nil }
func (c *mcastConn) LocalAddress() string  { return "" }
func (c *mcastConn) RemoteAddress() string { return "" }
func (c *mcastConn) PeerAddress() string   { return "" }
func (c *mcastConn) FD() int               { return -1 }

// libzmq binds pgm, epgm and norm by connecting: the endpoint is opened
// before Bind returns (its errors are Bind's), a PUB's messages go out
// from the first one on, and Unbind ends it.
func TestBindMulticastIsConnect(t *testing.T) {
	f := &mcastFake{}
	reg := registry.New()
	reg.RegisterTransport(f)
	zctx := core.NewContext(core.WithRegistry(reg))
	t.Cleanup(func() { zctx.Term() })

	pub := newSock(t, zctx, core.PUB)
	if err := pub.Bind("epgm://x;239.1.1.1:5555"); err != nil {
		t.Fatal(err)
	}
	if f.dials.Load() != 1 || f.listens.Load() != 0 {
		t.Fatalf("Bind: %d dials, %d listens", f.dials.Load(), f.listens.Load())
	}
	if ep := pub.LastEndpoint(); ep != "epgm://x;239.1.1.1:5555" {
		t.Errorf("LastEndpoint %q", ep)
	}
	// sent at once, with nobody having subscribed
	if err := pub.SendString(context.Background(), "first"); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	c := f.conns[0]
	f.mu.Unlock()
	select {
	case b := <-c.written:
		if string(b) != "first" {
			t.Fatalf("wrote %q", b)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the first message was not sent")
	}
	if err := pub.Unbind("epgm://x;239.1.1.1:5555"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		t.Fatal("Unbind left the connection open")
	}

	// a SUB filters locally and sends nothing
	sub := newSock(t, zctx, core.SUB, core.WithSubscribe("a"))
	if err := sub.Bind("epgm://x;239.1.1.1:5556"); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	c = f.conns[1]
	f.mu.Unlock()
	c.in <- [][]byte{[]byte("b1")}
	c.in <- [][]byte{[]byte("a1"), []byte("x")}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := sub.Recv(ctx)
	if err != nil || len(m.Frames) != 2 || string(m.Frames[0]) != "a1" {
		t.Fatalf("SUB got %q, %v", m.Frames, err)
	}
	select {
	case b := <-c.written:
		t.Fatalf("SUB wrote %q", b)
	case <-time.After(50 * time.Millisecond):
	}

	// the open's error is Bind's
	f.fail = transport.ErrAddrInUse
	if err := newSock(t, zctx, core.PUB).Bind("epgm://x;239.1.1.1:5557"); !errors.Is(err, core.ErrAddrInUse) {
		t.Fatalf("failing open: %v", err)
	}
}

// DATA_LOST (zmqkit's extension) reaches the Go monitor API with its count
// and source; version 1 monitors cannot ask for it.
func TestDataLostMonitorEvent(t *testing.T) {
	f := &mcastFake{}
	reg := registry.New()
	reg.RegisterTransport(f)
	zctx := core.NewContext(core.WithRegistry(reg))
	t.Cleanup(func() { zctx.Term() })
	sub := newSock(t, zctx, core.SUB)
	evs, err := sub.WatchEvents(context.Background(), core.EventDataLost)
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Bind("epgm://x;239.1.1.1:5555"); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	cfg := f.cfgs[0]
	f.mu.Unlock()
	cfg.Emit(transport.Event{Kind: transport.EventDataLost, Endpoint: "epgm://x;239.1.1.1:5555", Value: 7,
		Remote: "pgm-tsi://1.2.3.4.5.6.7", FD: -1})
	select {
	case ev := <-evs:
		if ev.Event != core.EventDataLost || ev.Value != 7 || ev.Remote != "pgm-tsi://1.2.3.4.5.6.7" ||
			ev.Endpoint != "epgm://x;239.1.1.1:5555" || ev.Event.String() != "DATA_LOST" {
			t.Fatalf("event %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no DATA_LOST event")
	}
	if err := sub.MonitorVersioned("inproc://mon-dl", core.EventDataLost, 1, core.PAIR); !errors.Is(err, core.ErrInvalid) {
		t.Fatalf("v1 monitor of DATA_LOST: %v", err)
	}
	if core.EventAllV2&core.EventDataLost != 0 {
		t.Fatal("DATA_LOST is in EventAllV2")
	}
}
