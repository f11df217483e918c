package core_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/all"
	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/zmtp"

	"github.com/zmqkit/zmqkit/internal/freeport"
)

var monSeq atomic.Int64

// monitorOf starts a libzmq-style monitor on s (version, events, socket
// type) and returns the application's reader socket, connected.
func monitorOf(t *testing.T, zctx *core.Context, s *core.Socket, events core.Event, version int, typ core.SocketType) *core.Socket {
	t.Helper()
	ep := fmt.Sprintf("inproc://monitor-%d", monSeq.Add(1))
	if err := s.MonitorVersioned(ep, events, version, typ); err != nil {
		t.Fatalf("MonitorVersioned(%s): %v", ep, err)
	}
	readerType := core.PAIR
	switch typ {
	case core.PUB:
		readerType = core.SUB
	case core.PUSH:
		readerType = core.PULL
	}
	r, err := zctx.NewSocket(readerType, core.WithLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	if typ == core.PUB {
		if err := r.Subscribe(""); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Connect(ep); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	// Connect to a bound inproc name returns once the binder has wired
	// its end, so no event after this point is lost.
	return r
}

// readEvent reads and decodes one monitor message.
func readEvent(t *testing.T, r *core.Socket, timeout time.Duration) (core.MonitorEvent, bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	m, err := r.Recv(ctx)
	if err != nil {
		return core.MonitorEvent{}, false
	}
	ev, err := core.DecodeMonitorMsg(m)
	if err != nil {
		t.Fatalf("decode %q: %v", m.Frames, err)
	}
	return ev, true
}

// expectSeq reads events and checks their kinds, in order.
func expectSeq(t *testing.T, r *core.Socket, kinds ...core.Event) []core.MonitorEvent {
	t.Helper()
	var got []core.MonitorEvent
	for i, k := range kinds {
		ev, ok := readEvent(t, r, 5*time.Second)
		if !ok {
			t.Fatalf("event %d: want %v, got nothing (so far %v)", i, k, names(got))
		}
		got = append(got, ev)
		if ev.Event != k {
			t.Fatalf("event %d: want %v, got %v (so far %v)", i, k, ev.Event, names(got))
		}
	}
	return got
}

func expectQuiet(t *testing.T, r *core.Socket, d time.Duration) {
	t.Helper()
	if ev, ok := readEvent(t, r, d); ok {
		t.Fatalf("unexpected event %v", ev)
	}
}

func names(evs []core.MonitorEvent) string {
	var s []string
	for _, e := range evs {
		s = append(s, e.Event.String())
	}
	return strings.Join(s, " ")
}

func newSock(t *testing.T, zctx *core.Context, typ core.SocketType, opts ...core.Option) *core.Socket {
	t.Helper()
	s, err := zctx.NewSocket(typ, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func newCtx(t *testing.T) *core.Context {
	zctx := core.NewContext()
	t.Cleanup(func() { zctx.Term() })
	return zctx
}

func bounce(t *testing.T, server, client *core.Socket) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := client.SendString(ctx, "ping"); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Recv(ctx); err != nil {
		t.Fatal(err)
	}
	if err := server.SendString(ctx, "pong"); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Recv(ctx); err != nil {
		t.Fatal(err)
	}
}

var transports = []struct{ name, bind string }{
	{"tcp", "tcp://127.0.0.1:*"},
	{"ipc", "ipc://*"},
}

func TestMonitorErrors(t *testing.T) {
	zctx := newCtx(t)
	s := newSock(t, zctx, core.DEALER)
	for _, tc := range []struct {
		name     string
		endpoint string
		events   core.Event
		version  int
		typ      core.SocketType
		want     error
	}{
		{"tcp endpoint", "tcp://127.0.0.1:9999", core.EventAll, 1, core.PAIR, core.ErrProtocolNotSupported},
		{"tcp wildcard", "tcp://127.0.0.1:*", 0, 1, core.PAIR, core.ErrProtocolNotSupported},
		{"unknown scheme", "bogus://x", core.EventAll, 1, core.PAIR, core.ErrProtocolNotSupported},
		{"no scheme", "monitor", core.EventAll, 1, core.PAIR, core.ErrInvalid},
		{"v1 with PIPES_STATS", "inproc://m", core.EventAllV2, 1, core.PAIR, core.ErrInvalid},
		{"client type", "inproc://m", core.EventAll, 2, core.CLIENT, core.ErrInvalid},
		{"rep type", "inproc://m", core.EventAll, 2, core.REP, core.ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.MonitorVersioned(tc.endpoint, tc.events, tc.version, tc.typ)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
	// test_monitor_invalid_protocol_fails: zmq_socket_monitor too
	if err := s.Monitor("tcp://127.0.0.1:*", 0); !errors.Is(err, core.ErrProtocolNotSupported) {
		t.Fatalf("Monitor tcp: %v", err)
	}
	if err := s.MonitorPipesStats(); !errors.Is(err, core.ErrInvalid) {
		t.Fatalf("MonitorPipesStats without monitor: %v", err)
	}
	// the monitor endpoint is bound: a second socket can not use it
	if err := s.Monitor("inproc://taken", core.EventAll); err != nil {
		t.Fatal(err)
	}
	s2 := newSock(t, zctx, core.DEALER)
	if err := s2.Monitor("inproc://taken", core.EventAll); !errors.Is(err, core.ErrAddrInUse) {
		t.Fatalf("monitor on a bound endpoint: %v", err)
	}
	// a v1 monitor does not select PIPES_STATS
	if err := s.MonitorPipesStats(); !errors.Is(err, core.ErrInvalid) {
		t.Fatalf("MonitorPipesStats with a v1 monitor: %v", err)
	}
	if err := s.Monitor("", 0); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := s.Monitor("inproc://closed", core.EventAll); !errors.Is(err, core.ErrClosed) {
		t.Fatalf("closed socket: %v", err)
	}
	zctx.Shutdown()
	if err := s2.Monitor("inproc://term", core.EventAll); !errors.Is(err, core.ErrTerminated) {
		t.Fatalf("terminated context: %v", err)
	}
}

// test_monitor.cpp test_monitor_basic: DEALER client and server, v1.
func TestMonitorDealerBasic(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			zctx := newCtx(t)
			client := newSock(t, zctx, core.DEALER)
			server := newSock(t, zctx, core.DEALER)
			clientMon := monitorOf(t, zctx, client, core.EventAll, 1, core.PAIR)
			serverMon := monitorOf(t, zctx, server, core.EventAll, 1, core.PAIR)
			if err := server.Bind(tr.bind); err != nil {
				t.Fatal(err)
			}
			ep := server.LastEndpoint()
			if err := client.Connect(ep); err != nil {
				t.Fatal(err)
			}
			bounce(t, server, client)
			client.Close()
			server.Close()

			first := core.EventConnected
			if tr.name == "tcp" {
				first = core.EventConnectDelayed
			}
			evs := expectSeq(t, clientMon, first)
			if first == core.EventConnectDelayed {
				if evs[0].Value != uint64(syscall.EINPROGRESS) {
					t.Errorf("CONNECT_DELAYED value %d", evs[0].Value)
				}
				evs = expectSeq(t, clientMon, core.EventConnected)
			}
			if evs[0].Value == 0 || evs[0].Endpoint != ep {
				t.Errorf("CONNECTED %v", evs[0])
			}
			evs = expectSeq(t, clientMon, core.EventHandshakeSucceeded, core.EventMonitorStopped)
			if evs[0].Endpoint != ep || evs[0].Value != 0 || evs[1].Endpoint != "" || evs[1].Value != 0 {
				t.Errorf("client events %v", evs)
			}
			expectQuiet(t, clientMon, 50*time.Millisecond)

			evs = expectSeq(t, serverMon, core.EventListening, core.EventAccepted, core.EventHandshakeSucceeded)
			for _, ev := range evs {
				if ev.Endpoint != ep {
					t.Errorf("%v endpoint %q, want %q", ev.Event, ev.Endpoint, ep)
				}
			}
			if evs[0].Value == evs[1].Value {
				t.Errorf("LISTENING and ACCEPTED fds %d %d", evs[0].Value, evs[1].Value)
			}
			// The server may see the client go away before it closes.
			ev, _ := readEvent(t, serverMon, 5*time.Second)
			if ev.Event == core.EventDisconnected {
				if ev.Value != evs[1].Value {
					t.Errorf("DISCONNECTED fd %d, ACCEPTED fd %d", ev.Value, evs[1].Value)
				}
				ev, _ = readEvent(t, serverMon, 5*time.Second)
			}
			if ev.Event != core.EventClosed || ev.Value != evs[0].Value || ev.Endpoint != ep {
				t.Errorf("want CLOSED of the listener, got %v", ev)
			}
			// As in libzmq, the connection's end may also be seen while
			// the socket closes, after its listener.
			ev, _ = readEvent(t, serverMon, 5*time.Second)
			if ev.Event == core.EventDisconnected {
				ev, _ = readEvent(t, serverMon, 5*time.Second)
			}
			if ev.Event != core.EventMonitorStopped {
				t.Errorf("want MONITOR_STOPPED, got %v", ev)
			}
			expectQuiet(t, serverMon, 50*time.Millisecond)
		})
	}
}

// test_monitor.cpp test_monitor_versioned_basic: v2 frames and endpoints,
// with PAIR, PUB and PUSH monitor sockets.
func TestMonitorVersionedBasic(t *testing.T) {
	for _, tr := range transports {
		for _, typ := range []core.SocketType{core.PAIR, core.PUB, core.PUSH} {
			t.Run(tr.name+"/"+typ.String(), func(t *testing.T) {
				zctx := newCtx(t)
				client := newSock(t, zctx, core.DEALER)
				server := newSock(t, zctx, core.DEALER)
				clientMon := monitorOf(t, zctx, client, core.EventAllV2, 2, typ)
				serverMon := monitorOf(t, zctx, server, core.EventAllV2, 2, typ)
				if err := server.Bind(tr.bind); err != nil {
					t.Fatal(err)
				}
				ep := server.LastEndpoint()
				if err := client.Connect(ep); err != nil {
					t.Fatal(err)
				}
				bounce(t, server, client)
				client.Close()
				server.Close()

				ev, _ := readEvent(t, clientMon, 5*time.Second)
				if ev.Event == core.EventConnectDelayed {
					if ev.Local != "" || ev.Remote != ep {
						t.Errorf("CONNECT_DELAYED %q %q", ev.Local, ev.Remote)
					}
					ev, _ = readEvent(t, clientMon, 5*time.Second)
				}
				if ev.Event != core.EventConnected || ev.Remote != ep || ev.Local == ep || len(ev.Values) != 1 {
					t.Fatalf("CONNECTED: %+v", ev)
				}
				if tr.name == "tcp" && !strings.HasPrefix(ev.Local, "tcp://127.0.0.1:") {
					t.Errorf("client local %q", ev.Local)
				}
				local := ev.Local
				evs := expectSeq(t, clientMon, core.EventHandshakeSucceeded, core.EventMonitorStopped)
				if evs[0].Local != local || evs[0].Remote != ep || evs[1].Local != "" || evs[1].Remote != "" {
					t.Errorf("client v2 endpoints %+v", evs)
				}
				evs = expectSeq(t, serverMon, core.EventListening, core.EventAccepted, core.EventHandshakeSucceeded)
				if evs[0].Local != ep || evs[0].Remote != "" {
					t.Errorf("LISTENING %q %q", evs[0].Local, evs[0].Remote)
				}
				for _, e := range evs[1:] {
					if e.Local != ep || e.Remote != local {
						t.Errorf("%v: %q %q, want %q %q", e.Event, e.Local, e.Remote, ep, local)
					}
				}
				for {
					ev, ok := readEvent(t, serverMon, 5*time.Second)
					if !ok {
						t.Fatal("no MONITOR_STOPPED")
					}
					if ev.Event == core.EventMonitorStopped {
						break
					}
					if ev.Event != core.EventDisconnected && ev.Event != core.EventClosed {
						t.Fatalf("unexpected %v", ev)
					}
				}
			})
		}
	}
}

// The raw version 2 frames, decoded by hand.
func TestMonitorV2Frames(t *testing.T) {
	zctx := newCtx(t)
	s := newSock(t, zctx, core.PULL)
	r := monitorOf(t, zctx, s, core.EventListening|core.EventPipesStats, 2, core.PAIR)
	if err := s.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := r.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ne := binary.NativeEndian
	if len(m.Frames) != 5 {
		t.Fatalf("%d frames", len(m.Frames))
	}
	if len(m.Frames[0]) != 8 || ne.Uint64(m.Frames[0]) != 0x0008 {
		t.Errorf("event frame % x", m.Frames[0])
	}
	if len(m.Frames[1]) != 8 || ne.Uint64(m.Frames[1]) != 1 {
		t.Errorf("count frame % x", m.Frames[1])
	}
	if len(m.Frames[2]) != 8 || ne.Uint64(m.Frames[2]) == 0 {
		t.Errorf("fd frame % x", m.Frames[2])
	}
	if string(m.Frames[3]) != s.LastEndpoint() || len(m.Frames[4]) != 0 {
		t.Errorf("endpoints %q %q", m.Frames[3], m.Frames[4])
	}
}

// The raw version 1 frames.
func TestMonitorV1Frames(t *testing.T) {
	zctx := newCtx(t)
	s := newSock(t, zctx, core.PULL)
	r := monitorOf(t, zctx, s, core.EventListening, 1, core.PAIR)
	if err := s.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, err := r.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Frames) != 2 || len(m.Frames[0]) != 6 {
		t.Fatalf("frames %q", m.Frames)
	}
	ne := binary.NativeEndian
	if ne.Uint16(m.Frames[0]) != 0x0008 || ne.Uint32(m.Frames[0][2:]) == 0 {
		t.Errorf("frame % x", m.Frames[0])
	}
	if string(m.Frames[1]) != s.LastEndpoint() {
		t.Errorf("endpoint %q", m.Frames[1])
	}
}

// test_monitor_versioned_stats, reduced: PIPES_STATS decoded from frames.
func TestMonitorPipesStats(t *testing.T) {
	zctx := newCtx(t)
	push := newSock(t, zctx, core.PUSH, core.WithLinger(0))
	mon := monitorOf(t, zctx, push, core.EventPipesStats, 2, core.PAIR)
	if err := push.MonitorPipesStats(); !errors.Is(err, core.ErrWouldBlock) {
		t.Fatalf("no pipes: %v", err)
	}
	if err := push.Bind("inproc://stats"); err != nil {
		t.Fatal(err)
	}
	pull := newSock(t, zctx, core.PULL, core.WithLinger(0))
	if err := pull.Connect("inproc://stats"); err != nil {
		t.Fatal(err)
	}
	// a tcp peer that receives and does not read
	tpull := newSock(t, zctx, core.PULL, core.WithLinger(0))
	if err := tpull.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	tmon := monitorOf(t, zctx, tpull, core.EventPipesStats|core.EventHandshakeSucceeded, 2, core.PAIR)
	tpush := newSock(t, zctx, core.PUSH, core.WithLinger(0))
	if err := tpush.Connect(tpull.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	expectSeq(t, tmon, core.EventHandshakeSucceeded)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := 0; i < 5; i++ {
		if err := push.SendString(ctx, "m"); err != nil {
			t.Fatal(err)
		}
		if err := tpush.SendString(ctx, "m"); err != nil {
			t.Fatal(err)
		}
	}
	if err := push.MonitorPipesStats(); err != nil {
		t.Fatal(err)
	}
	m, err := mon.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ne := binary.NativeEndian
	if len(m.Frames) != 6 || ne.Uint64(m.Frames[0]) != uint64(core.EventPipesStats) || ne.Uint64(m.Frames[1]) != 2 {
		t.Fatalf("frames %q", m.Frames)
	}
	if out, in := ne.Uint64(m.Frames[2]), ne.Uint64(m.Frames[3]); out != 5 || in != 0 {
		t.Errorf("inproc PUSH stats out=%d in=%d, want 5 0", out, in)
	}
	if string(m.Frames[4]) != "inproc://stats" {
		t.Errorf("local %q remote %q", m.Frames[4], m.Frames[5])
	}

	// the tcp PULL: 5 messages arrive and wait to be received
	deadline := time.Now().Add(5 * time.Second)
	for {
		st, err := tpull.PipeStats()
		if err != nil {
			t.Fatal(err)
		}
		if len(st) == 1 && st[0].Inbound == 5 || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := tpull.MonitorPipesStats(); err != nil {
		t.Fatal(err)
	}
	ev := expectSeq(t, tmon, core.EventPipesStats)[0]
	if len(ev.Values) != 2 || ev.Values[0] != 0 || ev.Values[1] != 5 {
		t.Errorf("tcp PULL stats %v", ev.Values)
	}
	if ev.Local != tpull.LastEndpoint() || !strings.HasPrefix(ev.Remote, "tcp://127.0.0.1:") {
		t.Errorf("tcp PULL endpoints %q %q", ev.Local, ev.Remote)
	}
}

// Stopping, replacing and closing end the stream with MONITOR_STOPPED.
func TestMonitorStopReplace(t *testing.T) {
	zctx := newCtx(t)
	s := newSock(t, zctx, core.DEALER)
	r1 := monitorOf(t, zctx, s, core.EventAll, 1, core.PAIR)
	r2 := monitorOf(t, zctx, s, core.EventAll, 1, core.PAIR) // replaces the first
	ev := expectSeq(t, r1, core.EventMonitorStopped)[0]
	if ev.Endpoint != "" || ev.Value != 0 {
		t.Errorf("MONITOR_STOPPED %v", ev)
	}
	if err := s.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	expectSeq(t, r2, core.EventListening)
	expectQuiet(t, r1, 50*time.Millisecond)
	if err := s.Monitor("", 0); err != nil {
		t.Fatal(err)
	}
	expectSeq(t, r2, core.EventMonitorStopped)

	// not selected: no MONITOR_STOPPED
	r3 := monitorOf(t, zctx, s, core.EventAll&^core.EventMonitorStopped, 1, core.PAIR)
	s.Close()
	expectSeq(t, r3, core.EventClosed)
	expectQuiet(t, r3, 50*time.Millisecond)
}

// A monitor without a reader, or with a slow one, never blocks the
// socket: events it can not take are dropped.
func TestMonitorSlowReaderDoesNotBlock(t *testing.T) {
	zctx := newCtx(t)
	s := newSock(t, zctx, core.DEALER)
	if err := s.Monitor("inproc://nobody", core.EventAll); err != nil {
		t.Fatal(err)
	}
	slow := newSock(t, zctx, core.DEALER)
	r := monitorOf(t, zctx, slow, core.EventAll, 1, core.PAIR)
	start := time.Now()
	for i := 0; i < 2500; i++ { // beyond the monitor pipe's HWM
		for _, x := range []*core.Socket{s, slow} {
			if err := x.Bind("tcp://127.0.0.1:*"); err != nil {
				t.Fatal(err)
			}
			if err := x.Unbind(x.LastEndpoint()); err != nil {
				t.Fatal(err)
			}
		}
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Fatalf("took %v", d)
	}
	if ev, ok := readEvent(t, r, time.Second); !ok || ev.Event != core.EventListening {
		t.Fatalf("first event %v", ev)
	}
}

// The Go-native API: hooks and channels with typed events.
func TestMonitorWatchEvents(t *testing.T) {
	zctx := newCtx(t)
	server := newSock(t, zctx, core.REP)
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := server.WatchEvents(ctx, core.EventAll)
	if err != nil {
		t.Fatal(err)
	}
	var hooked []core.MonitorEvent
	stopped := make(chan struct{})
	remove, err := server.AddMonitorHooks(core.EventListening|core.EventAccepted, core.MonitorHooks{
		OnEvent: func(ev core.MonitorEvent) { hooked = append(hooked, ev) },
		OnStop:  func() { close(stopped) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := server.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	ep := server.LastEndpoint()
	client := newSock(t, zctx, core.REQ)
	if err := client.Connect(ep); err != nil {
		t.Fatal(err)
	}
	bounce(t, server, client)
	remove()
	<-stopped
	if len(hooked) != 2 || hooked[0].Event != core.EventListening || hooked[1].Event != core.EventAccepted {
		t.Fatalf("hooks got %v", names(hooked))
	}
	want := []core.Event{core.EventListening, core.EventAccepted, core.EventHandshakeSucceeded}
	for i, k := range want {
		ev := <-ch
		if ev.Event != k || ev.Endpoint != ep || ev.Time.IsZero() {
			t.Fatalf("event %d: %+v, want %v", i, ev, k)
		}
		if k == core.EventAccepted && (ev.FD <= 0 || ev.Remote == "" || uint64(ev.FD) != ev.Value) {
			t.Errorf("ACCEPTED %+v", ev)
		}
	}
	cancel()
	ev, ok := <-ch
	if !ok || ev.Event != core.EventMonitorStopped {
		t.Fatalf("after cancel: %v %v", ev, ok)
	}
	if _, ok := <-ch; ok {
		t.Fatal("channel not closed")
	}
}

// A monitor stops when its context is terminated.
func TestMonitorContextTerm(t *testing.T) {
	zctx := core.NewContext()
	s, err := zctx.NewSocket(core.DEALER)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Monitor("inproc://term-mon", core.EventAll); err != nil {
		t.Fatal(err)
	}
	ch, err := s.WatchEvents(context.Background(), core.EventMonitorStopped|core.EventClosed)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	zctx.Term()
	var got []core.MonitorEvent
	for ev := range ch {
		got = append(got, ev)
	}
	if names(got) != "CLOSED MONITOR_STOPPED" {
		t.Fatalf("got %s", names(got))
	}
}

// --- scenarios over tcp and ipc -------------------------------------

// Peer goes away: DISCONNECTED then CONNECT_RETRIED(interval); the
// reconnect succeeds when the peer is back.
func TestMonitorReconnect(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			zctx := newCtx(t)
			pub := newSock(t, zctx, core.PUB, core.WithLinger(0))
			bind := tr.bind
			if tr.name == "ipc" { // a wildcard's directory goes away with the socket
				bind = "ipc://" + filepath.Join(t.TempDir(), "pub")
			}
			if err := pub.Bind(bind); err != nil {
				t.Fatal(err)
			}
			ep := pub.LastEndpoint()
			sub := newSock(t, zctx, core.SUB, core.WithReconnectInterval(300*time.Millisecond),
				core.WithReconnectIntervalMax(10*time.Second))
			mon := monitorOf(t, zctx, sub, core.EventAll, 1, core.PAIR)
			if err := sub.Connect(ep); err != nil {
				t.Fatal(err)
			}
			var evs []core.MonitorEvent
			if tr.name == "tcp" {
				expectSeq(t, mon, core.EventConnectDelayed)
			}
			evs = expectSeq(t, mon, core.EventConnected, core.EventHandshakeSucceeded)
			fd := evs[0].Value
			pub.Close()
			evs = expectSeq(t, mon, core.EventDisconnected, core.EventConnectRetried)
			if evs[0].Value != fd || evs[0].Endpoint != ep {
				t.Errorf("DISCONNECTED %v, connected fd %d", evs[0], fd)
			}
			if evs[1].Value != 300 || evs[1].Endpoint != ep {
				t.Errorf("CONNECT_RETRIED %v", evs[1])
			}
			// Refused attempts double the interval (no jitter with IVL_MAX).
			if tr.name == "tcp" {
				evs = expectSeq(t, mon, core.EventConnectDelayed, core.EventClosed, core.EventConnectRetried)
				evs = evs[1:]
			} else {
				evs = expectSeq(t, mon, core.EventClosed, core.EventConnectRetried)
			}
			if evs[1].Value != 600 {
				t.Errorf("second CONNECT_RETRIED %v", evs[1])
			}
			// The peer comes back.
			pub2 := newSock(t, zctx, core.PUB, core.WithLinger(0))
			if err := pub2.Bind(ep); err != nil {
				t.Fatal(err)
			}
			if tr.name == "tcp" {
				expectSeq(t, mon, core.EventConnectDelayed)
			}
			expectSeq(t, mon, core.EventConnected, core.EventHandshakeSucceeded)
			expectQuiet(t, mon, 100*time.Millisecond)
		})
	}
}

// Without IVL_MAX the interval is RECONNECT_IVL plus a random jitter
// below RECONNECT_IVL.
func TestMonitorReconnectJitter(t *testing.T) {
	zctx := newCtx(t)
	s := newSock(t, zctx, core.DEALER, core.WithReconnectInterval(50*time.Millisecond))
	mon := monitorOf(t, zctx, s, core.EventConnectRetried, 1, core.PAIR)
	if err := s.Connect("tcp://127.0.0.1:1"); err != nil { // refused
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		ev := expectSeq(t, mon, core.EventConnectRetried)[0]
		if ev.Value < 50 || ev.Value >= 100 {
			t.Errorf("interval %d", ev.Value)
		}
	}
}

func TestMonitorReconnectStopConnRefused(t *testing.T) {
	zctx := newCtx(t)
	addr := freeport.MustTCP(t)
	s := newSock(t, zctx, core.SUB, core.WithReconnectStop(core.ReconnectStopConnRefused))
	mon := monitorOf(t, zctx, s, core.EventAll, 1, core.PAIR)
	if err := s.Connect("tcp://" + addr); err != nil {
		t.Fatal(err)
	}
	evs := expectSeq(t, mon, core.EventConnectDelayed, core.EventClosed)
	if evs[1].Endpoint != "tcp://"+addr || evs[1].Value == 0 || evs[0].Value != uint64(syscall.EINPROGRESS) {
		t.Errorf("CLOSED %v after %v", evs[1], evs[0])
	}
	expectQuiet(t, mon, 300*time.Millisecond)
}

// ipc refusals are synchronous: CLOSED → CONNECT_RETRIED, no CONNECT_DELAYED.
func TestMonitorIPCRefused(t *testing.T) {
	zctx := newCtx(t)
	path := filepath.Join(t.TempDir(), "nobody")
	s := newSock(t, zctx, core.DEALER, core.WithReconnectInterval(20*time.Millisecond),
		core.WithReconnectIntervalMax(20*time.Millisecond))
	mon := monitorOf(t, zctx, s, core.EventAll, 1, core.PAIR)
	if err := s.Connect("ipc://" + path); err != nil {
		t.Fatal(err)
	}
	evs := expectSeq(t, mon, core.EventClosed, core.EventConnectRetried, core.EventClosed, core.EventConnectRetried)
	if evs[0].Endpoint != "ipc://"+path || evs[1].Value != 20 {
		t.Errorf("events %v", evs)
	}
}

// fakeServer accepts tcp connections and runs serve on each.
func fakeServer(t *testing.T, serve func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			serve(c)
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return "tcp://" + ln.Addr().String()
}

// holdConns keeps the connections serve got until the test ends.
func holdConns(t *testing.T) func(net.Conn) {
	var conns []net.Conn
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return func(c net.Conn) { conns = append(conns, c) }
}

// A ZMTP peer that sends its greeting and then what extra says.
func zmtpPeer(mech string, extra ...[]byte) []byte {
	b := zmtp.AppendGreeting(nil, mech, false)
	for _, x := range extra {
		b = append(b, x...)
	}
	return b
}

func readyFrame(socketType string) []byte {
	body := zmtp.AppendReady(nil, []mechanism.Property{{Name: "Socket-Type", Value: []byte(socketType)}})
	return zmtp.AppendFrame(nil, body, zmtp.FlagCommand)
}

// Handshake failures seen by a connecting socket, as libzmq reports them.
func TestMonitorHandshakeFailures(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   []core.Option
		serve  func(t *testing.T) func(net.Conn)
		want   []core.Event
		value  uint64 // value of the HANDSHAKE_FAILED_* event
		values []uint64
		retry  bool // a CONNECT_RETRIED follows
	}{
		{
			name: "non-ZMTP server drops, RECONNECT_STOP_HANDSHAKE_FAILED",
			opts: []core.Option{core.WithReconnectStop(core.ReconnectStopHandshakeFailed)},
			serve: func(t *testing.T) func(net.Conn) {
				return func(c net.Conn) { c.Write([]byte("HTTP/1.0 400 Bad\r\n\r\n")); c.Close() }
			},
			want:   []core.Event{core.EventConnectDelayed, core.EventConnected, core.EventHandshakeFailedNoDetail, core.EventDisconnected},
			values: []uint64{uint64(syscall.EPIPE), uint64(syscall.ECONNRESET)},
		},
		{
			name: "silent server, handshake timeout, RECONNECT_STOP_HANDSHAKE_FAILED",
			opts: []core.Option{core.WithReconnectStop(core.ReconnectStopHandshakeFailed),
				core.WithHandshakeInterval(200 * time.Millisecond)},
			serve:  holdConns,
			want:   []core.Event{core.EventConnectDelayed, core.EventConnected, core.EventHandshakeFailedNoDetail, core.EventDisconnected},
			values: []uint64{uint64(syscall.ETIMEDOUT)},
		},
		{
			name:   "silent server, handshake timeout, reconnects",
			opts:   []core.Option{core.WithHandshakeInterval(100 * time.Millisecond), core.WithReconnectInterval(time.Hour)},
			serve:  holdConns,
			want:   []core.Event{core.EventConnectDelayed, core.EventConnected, core.EventHandshakeFailedNoDetail, core.EventDisconnected, core.EventConnectRetried},
			values: []uint64{uint64(syscall.ETIMEDOUT)},
			retry:  true,
		},
		{
			name: "mechanism mismatch",
			serve: func(t *testing.T) func(net.Conn) {
				hold := holdConns(t)
				return func(c net.Conn) { c.Write(zmtpPeer("PLAIN")); hold(c) }
			},
			want:  []core.Event{core.EventConnectDelayed, core.EventConnected, core.EventHandshakeFailedProtocol, core.EventDisconnected},
			value: uint64(core.ProtocolErrorZMTPMechanismMismatch),
		},
		{
			name: "unexpected command",
			serve: func(t *testing.T) func(net.Conn) {
				hold := holdConns(t)
				return func(c net.Conn) {
					c.Write(zmtpPeer("NULL", zmtp.AppendFrame(nil, zmtp.AppendCommand(nil, "HELLO", nil), zmtp.FlagCommand)))
					hold(c)
				}
			},
			want:  []core.Event{core.EventConnectDelayed, core.EventConnected, core.EventHandshakeFailedProtocol, core.EventDisconnected},
			value: uint64(core.ProtocolErrorZMTPUnexpectedCommand),
		},
		{
			name: "ERROR 400",
			serve: func(t *testing.T) func(net.Conn) {
				hold := holdConns(t)
				return func(c net.Conn) {
					c.Write(zmtpPeer("NULL", zmtp.AppendFrame(nil, zmtp.AppendError(nil, "400"), zmtp.FlagCommand)))
					hold(c)
				}
			},
			want:  []core.Event{core.EventConnectDelayed, core.EventConnected, core.EventHandshakeFailedAuth, core.EventDisconnected},
			value: 400,
		},
		{
			name: "socket-type mismatch",
			serve: func(t *testing.T) func(net.Conn) {
				hold := holdConns(t)
				return func(c net.Conn) { c.Write(zmtpPeer("NULL", readyFrame("PUB"))); hold(c) }
			},
			want: []core.Event{core.EventConnectDelayed, core.EventConnected, core.EventDisconnected},
		},
		{
			name: "heartbeat timeout",
			opts: []core.Option{core.WithHeartbeat(50*time.Millisecond, 0, 100*time.Millisecond),
				core.WithReconnectInterval(time.Hour)},
			serve: func(t *testing.T) func(net.Conn) {
				hold := holdConns(t)
				return func(c net.Conn) { c.Write(zmtpPeer("NULL", readyFrame("DEALER"))); hold(c) }
			},
			want:  []core.Event{core.EventConnectDelayed, core.EventConnected, core.EventHandshakeSucceeded, core.EventDisconnected, core.EventConnectRetried},
			retry: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			zctx := newCtx(t)
			ep := fakeServer(t, tc.serve(t))
			s := newSock(t, zctx, core.DEALER, append([]core.Option{core.WithLinger(0)}, tc.opts...)...)
			ch, err := s.WatchEvents(context.Background(), core.EventAll&^core.EventMonitorStopped)
			if err != nil {
				t.Fatal(err)
			}
			mon := monitorOf(t, zctx, s, core.EventAll, 1, core.PAIR)
			if err := s.Connect(ep); err != nil {
				t.Fatal(err)
			}
			evs := expectSeq(t, mon, tc.want...)
			expectQuiet(t, mon, 300*time.Millisecond)
			var fd uint64
			for i, ev := range evs {
				if ev.Endpoint != ep {
					t.Errorf("%v endpoint %q", ev.Event, ev.Endpoint)
				}
				typed := <-ch
				if typed.Event != ev.Event || typed.Value != ev.Value {
					t.Errorf("typed event %d %+v, frames %+v", i, typed, ev)
				}
				switch ev.Event {
				case core.EventConnected:
					fd = ev.Value
				case core.EventDisconnected:
					if ev.Value != fd || typed.Err == nil {
						t.Errorf("DISCONNECTED fd %d err %v, connected fd %d", ev.Value, typed.Err, fd)
					}
				case core.EventHandshakeFailedNoDetail:
					ok := false
					for _, v := range tc.values {
						ok = ok || v == ev.Value
					}
					if !ok || uint64(typed.Errno) != ev.Value {
						t.Errorf("NO_DETAIL errno %d (%v), want one of %v", ev.Value, syscall.Errno(ev.Value), tc.values)
					}
				case core.EventHandshakeFailedProtocol:
					if ev.Value != tc.value || uint64(typed.ProtocolError) != tc.value {
						t.Errorf("PROTOCOL code %#x, want %#x", ev.Value, tc.value)
					}
				case core.EventHandshakeFailedAuth:
					if ev.Value != tc.value || uint64(typed.AuthStatus) != tc.value {
						t.Errorf("AUTH status %d, want %d", ev.Value, tc.value)
					}
				case core.EventConnectRetried:
					if typed.Interval < time.Hour {
						t.Errorf("interval %v", typed.Interval)
					}
				}
			}
		})
	}
}

// The binding side of a socket-type mismatch and of a peer that leaves.
func TestMonitorBindSide(t *testing.T) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			zctx := newCtx(t)
			server := newSock(t, zctx, core.PUB)
			mon := monitorOf(t, zctx, server, core.EventAll, 1, core.PAIR)
			if err := server.Bind(tr.bind); err != nil {
				t.Fatal(err)
			}
			ep := server.LastEndpoint()
			expectSeq(t, mon, core.EventListening)

			// incompatible peer: ACCEPTED → DISCONNECTED, no handshake event
			req := newSock(t, zctx, core.REQ, core.WithLinger(0))
			if err := req.Connect(ep); err != nil {
				t.Fatal(err)
			}
			evs := expectSeq(t, mon, core.EventAccepted, core.EventDisconnected)
			if evs[0].Value != evs[1].Value || evs[1].Endpoint != ep {
				t.Errorf("events %v", evs)
			}
			expectQuiet(t, mon, 100*time.Millisecond)

			// a compatible peer that goes away
			sub := newSock(t, zctx, core.SUB, core.WithLinger(0))
			if err := sub.Connect(ep); err != nil {
				t.Fatal(err)
			}
			expectSeq(t, mon, core.EventAccepted, core.EventHandshakeSucceeded)
			sub.Close()
			expectSeq(t, mon, core.EventDisconnected)
			server.Close()
			expectSeq(t, mon, core.EventClosed, core.EventMonitorStopped)
		})
	}
}

func TestMonitorBindFailed(t *testing.T) {
	zctx := newCtx(t)
	a := newSock(t, zctx, core.PULL)
	if err := a.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	ep := a.LastEndpoint()
	b := newSock(t, zctx, core.PULL)
	mon := monitorOf(t, zctx, b, core.EventAll, 1, core.PAIR)
	if err := b.Bind(ep); !errors.Is(err, core.ErrAddrInUse) {
		t.Fatalf("bind: %v", err)
	}
	ev := expectSeq(t, mon, core.EventBindFailed)[0]
	if ev.Value != uint64(syscall.EADDRINUSE) || ev.Endpoint != ep {
		t.Errorf("BIND_FAILED %v", ev)
	}
}

// CLOSE_FAILED: the ipc socket file is gone when the listener closes.
func TestMonitorIPCCloseFailed(t *testing.T) {
	zctx := newCtx(t)
	path := filepath.Join(t.TempDir(), "sock")
	s := newSock(t, zctx, core.PULL)
	mon := monitorOf(t, zctx, s, core.EventAll, 1, core.PAIR)
	if err := s.Bind("ipc://" + path); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	s.Close()
	evs := expectSeq(t, mon, core.EventListening, core.EventCloseFailed, core.EventMonitorStopped)
	if evs[1].Value != uint64(syscall.ENOENT) || evs[1].Endpoint != "ipc://"+path {
		t.Errorf("CLOSE_FAILED %v", evs[1])
	}
}

// STREAM connections have no mechanism: libzmq reports a peer's close as
// HANDSHAKE_FAILED_NO_DETAIL, then DISCONNECTED.
func TestMonitorStreamPeerClose(t *testing.T) {
	zctx := newCtx(t)
	s := newSock(t, zctx, core.STREAM)
	mon := monitorOf(t, zctx, s, core.EventAll, 1, core.PAIR)
	if err := s.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	ep := s.LastEndpoint()
	c, err := net.Dial("tcp", strings.TrimPrefix(ep, "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	expectSeq(t, mon, core.EventListening, core.EventAccepted)
	c.Close()
	evs := expectSeq(t, mon, core.EventHandshakeFailedNoDetail, core.EventDisconnected)
	if evs[0].Value != uint64(syscall.EPIPE) && evs[0].Value != uint64(syscall.ECONNRESET) {
		t.Errorf("errno %d", evs[0].Value)
	}
}
