package core

import (
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// An unmonitored socket pays an atomic load per event and allocates nothing.
func TestMonitorUnmonitoredIsFree(t *testing.T) {
	zctx := NewContext()
	defer zctx.Term()
	s, err := zctx.NewSocket(DEALER)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ev := transport.Event{Kind: transport.EventAccepted, Endpoint: "tcp://127.0.0.1:1", FD: 7}
	if n := testing.AllocsPerRun(1000, func() {
		s.monitorTransport(ev, false)
		s.emitRetried("tcp://127.0.0.1:1", time.Second, nil)
	}); n != 0 {
		t.Fatalf("%v allocations per unmonitored event", n)
	}
	// a monitor selecting other events costs no allocation either
	if err := s.Monitor("inproc://free", EventMonitorStopped); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(1000, func() { s.monitorTransport(ev, false) }); n != 0 {
		t.Fatalf("%v allocations per unselected event", n)
	}
}

// A reader that does not read makes the monitor drop events instead of
// blocking the socket.
func TestMonitorDropsAtHWM(t *testing.T) {
	zctx := NewContext()
	defer zctx.Term()
	s, err := zctx.NewSocket(DEALER)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Monitor("inproc://drops", EventAll); err != nil {
		t.Fatal(err)
	}
	r, err := zctx.NewSocket(PAIR, WithRecvHWM(10))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.Connect("inproc://drops"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := 0; i < 5000; i++ {
		s.monitorTransport(transport.Event{Kind: transport.EventAccepted, Endpoint: "tcp://x:1", FD: i}, false)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("5000 events took %v", d)
	}
	m := s.mon.cur.Load().zmq
	if d := m.dropped.Load(); d == 0 || d >= 5000 {
		t.Fatalf("dropped %d of 5000", d)
	}
}

// Context termination stops the monitor (libzmq's process_stop).
func TestMonitorStopsAtShutdown(t *testing.T) {
	zctx := NewContext()
	s, err := zctx.NewSocket(DEALER)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Monitor("inproc://shut", EventAll); err != nil {
		t.Fatal(err)
	}
	ms := s.mon.cur.Load().zmq.sock
	zctx.Shutdown()
	deadline := time.Now().Add(5 * time.Second)
	for s.mon.cur.Load() != nil && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if s.mon.cur.Load() != nil {
		t.Fatal("monitor still running after Shutdown")
	}
	ms.mu.Lock()
	closed := ms.closed
	ms.mu.Unlock()
	if !closed {
		t.Fatal("monitor socket not closed")
	}
	zctx.Term()
}
