package core_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/zmqkit/zmqkit/core"
)

// runProxy starts ProxySteerable in a goroutine; the returned function
// waits for its result.
func runProxy(ctx context.Context, front, back, capture, control *core.Socket) func() error {
	errc := make(chan error, 1)
	go func() { errc <- core.ProxySteerable(ctx, front, back, capture, control) }()
	return func() error {
		select {
		case err := <-errc:
			return err
		case <-time.After(10 * time.Second):
			return errors.New("proxy did not return")
		}
	}
}

func bindNew(t *testing.T, zc *core.Context, typ core.SocketType, transport string, opts ...core.Option) *core.Socket {
	t.Helper()
	s := pollSocket(t, zc, typ, opts...)
	if err := s.Bind(pollEndpoint(transport)); err != nil {
		t.Fatal(err)
	}
	return s
}

func connectNew(t *testing.T, zc *core.Context, typ core.SocketType, ep string, opts ...core.Option) *core.Socket {
	t.Helper()
	s := pollSocket(t, zc, typ, opts...)
	if err := s.Connect(ep); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestProxyBroker is libzmq's test_proxy: REQ clients → ROUTER | proxy |
// DEALER → REP workers, with a capture socket.
func TestProxyBroker(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, transport := range []string{"inproc", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			const clients, workers, requests = 4, 3, 25
			zc := core.NewContext()
			defer zc.Term()
			front := bindNew(t, zc, core.ROUTER, transport)
			back := bindNew(t, zc, core.DEALER, transport)
			capPull := bindNew(t, zc, core.PULL, "inproc")
			capPush := connectNew(t, zc, core.PUSH, capPull.LastEndpoint())

			pctx, stopProxy := context.WithCancel(context.Background())
			wait := runProxy(pctx, front, back, capPush, nil)

			tctx := pollTestCtx(t)
			var wg sync.WaitGroup
			for w := range workers {
				rep := connectNew(t, zc, core.REP, back.LastEndpoint())
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						m, err := rep.Recv(pctx)
						if err != nil {
							return
						}
						reply := fmt.Sprintf("%s by %d", m.Frames[0], w)
						if err := rep.SendString(pctx, reply); err != nil {
							return
						}
					}
				}()
			}
			errs := make(chan error, clients)
			var cwg sync.WaitGroup
			for c := range clients {
				req := connectNew(t, zc, core.REQ, front.LastEndpoint())
				cwg.Add(1)
				go func() {
					defer cwg.Done()
					for i := range requests {
						body := fmt.Sprintf("c%d-%d", c, i)
						if err := req.SendString(tctx, body); err != nil {
							errs <- err
							return
						}
						m, err := req.Recv(tctx)
						if err != nil {
							errs <- err
							return
						}
						var by int
						if n, _ := fmt.Sscanf(string(m.Frames[0]), body+" by %d", &by); n != 1 || len(m.Frames) != 1 {
							errs <- fmt.Errorf("client %d: reply %q to %q", c, m.Frames, body)
							return
						}
					}
				}()
			}
			cwg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}

			// Every request and every reply went to capture, whole:
			// [client id, "", body] one way, [worker envelope..., "", body] back.
			const total = 2 * clients * requests
			for i := range total {
				m, err := capPull.Recv(tctx)
				if err != nil {
					t.Fatalf("capture message %d: %v", i, err)
				}
				if n := len(m.Frames); n < 3 || len(m.Frames[n-2]) != 0 {
					t.Fatalf("capture message %d not a whole routed message: %q", i, m.Frames)
				}
			}
			if m, err := capPull.TryRecv(); err == nil {
				t.Fatalf("extra capture message %q", m.Frames)
			}

			stopProxy()
			if err := wait(); !errors.Is(err, context.Canceled) {
				t.Fatalf("Proxy returned %v, want context.Canceled", err)
			}
			wg.Wait()
		})
	}
}

// statistics asks the proxy for its counters.
func statistics(t *testing.T, control *core.Socket) [8]uint64 {
	t.Helper()
	ctx := pollTestCtx(t)
	if err := control.SendString(ctx, "STATISTICS"); err != nil {
		t.Fatal(err)
	}
	m, err := control.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Frames) != 8 {
		t.Fatalf("STATISTICS reply has %d frames, want 8: %q", len(m.Frames), m.Frames)
	}
	var st [8]uint64
	for i, f := range m.Frames {
		if len(f) != 8 {
			t.Fatalf("frame %d is %d bytes, want 8", i, len(f))
		}
		st[i] = binary.NativeEndian.Uint64(f)
	}
	return st
}

// command sends a steering command; a REQ peer (REP control) reads the
// empty reply, which a PAIR peer must not get.
func command(t *testing.T, control *core.Socket, cmd string) {
	t.Helper()
	ctx := pollTestCtx(t)
	if err := control.SendString(ctx, cmd); err != nil {
		t.Fatal(err)
	}
	if control.Type() == core.REQ {
		m, err := control.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Frames) != 1 || len(m.Frames[0]) != 0 {
			t.Fatalf("reply to %s: %q, want one empty frame", cmd, m.Frames)
		}
	}
}

func TestProxySteerable(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	tests := []struct {
		name          string
		control, peer core.SocketType
	}{
		{"rep control", core.REP, core.REQ},
		{"pair control", core.PAIR, core.PAIR},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			zc := core.NewContext()
			defer zc.Term()
			// PUSH → [PULL frontend | PUSH backend] → PULL
			front := bindNew(t, zc, core.PULL, "inproc")
			back := bindNew(t, zc, core.PUSH, "inproc")
			control := bindNew(t, zc, tc.control, "inproc")
			src := connectNew(t, zc, core.PUSH, front.LastEndpoint())
			dst := connectNew(t, zc, core.PULL, back.LastEndpoint())
			steer := connectNew(t, zc, tc.peer, control.LastEndpoint())
			ctx := pollTestCtx(t)
			wait := runProxy(ctx, front, back, nil, control)

			if st := statistics(t, steer); st != [8]uint64{} {
				t.Fatalf("initial statistics %v, want zeros", st)
			}
			if err := src.SendString(ctx, "ab", "cde"); err != nil {
				t.Fatal(err)
			}
			if m, err := dst.Recv(ctx); err != nil || len(m.Frames) != 2 || string(m.Frames[1]) != "cde" {
				t.Fatalf("forwarded %q, %v", m.Frames, err)
			}

			command(t, steer, "PAUSE")
			if tc.peer == core.PAIR {
				// No reply to PAUSE: the next message on steer is the
				// statistics, which also proves PAUSE was handled.
				statistics(t, steer)
			}
			for range 3 {
				if err := src.SendString(ctx, "ab", "cde"); err != nil {
					t.Fatal(err)
				}
			}
			pctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
			m, err := dst.Recv(pctx)
			cancel()
			if !errors.Is(err, core.ErrWouldBlock) {
				t.Fatalf("paused proxy forwarded %q (%v)", m.Frames, err)
			}

			command(t, steer, "BOGUS") // ignored; REP replies empty
			command(t, steer, "RESUME")
			for range 3 {
				if m, err := dst.Recv(ctx); err != nil || len(m.Frames) != 2 {
					t.Fatalf("after RESUME: %q, %v", m.Frames, err)
				}
			}

			// 4 messages of 2 frames, 5 bytes each, frontend → backend.
			st := statistics(t, steer)
			want := [8]uint64{8, 20, 0, 0, 0, 0, 8, 20}
			if st != want {
				t.Fatalf("statistics %v, want %v", st, want)
			}

			command(t, steer, "TERMINATE")
			if err := wait(); err != nil {
				t.Fatalf("Proxy after TERMINATE: %v, want nil", err)
			}
		})
	}
}

// TestProxyStatisticsBothWays counts traffic in both directions of a
// ROUTER/DEALER broker.
func TestProxyStatisticsBothWays(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	zc := core.NewContext()
	defer zc.Term()
	front := bindNew(t, zc, core.ROUTER, "inproc")
	back := bindNew(t, zc, core.DEALER, "inproc")
	control := bindNew(t, zc, core.PAIR, "inproc")
	steer := connectNew(t, zc, core.PAIR, control.LastEndpoint())
	client := connectNew(t, zc, core.DEALER, front.LastEndpoint(), core.WithRoutingID([]byte("C1")))
	worker := connectNew(t, zc, core.DEALER, back.LastEndpoint())
	ctx := pollTestCtx(t)
	wait := runProxy(ctx, front, back, nil, control)

	if err := client.SendString(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
	m, err := worker.Recv(ctx) // ["C1", "hello"]
	if err != nil || len(m.Frames) != 2 || string(m.Frames[0]) != "C1" {
		t.Fatalf("worker got %q, %v", m.Frames, err)
	}
	if err := worker.SendString(ctx, "C1", "hi!"); err != nil {
		t.Fatal(err)
	}
	if m, err := client.Recv(ctx); err != nil || string(m.Frames[0]) != "hi!" {
		t.Fatalf("client got %q, %v", m.Frames, err)
	}
	st := statistics(t, steer)
	// frontend: received 2 frames (7 bytes), sent 2 frames (5 bytes);
	// backend: the mirror image.
	if want := [8]uint64{2, 7, 2, 5, 2, 5, 2, 7}; st != want {
		t.Fatalf("statistics %v, want %v", st, want)
	}
	command(t, steer, "TERMINATE")
	if err := wait(); err != nil {
		t.Fatal(err)
	}
}

// TestProxySingleSocket is libzmq's test_proxy_single_socket: one REP
// socket as frontend and backend echoes requests.
func TestProxySingleSocket(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	zc := core.NewContext()
	defer zc.Term()
	rep := bindNew(t, zc, core.REP, "tcp")
	control := bindNew(t, zc, core.PAIR, "inproc")
	steer := connectNew(t, zc, core.PAIR, control.LastEndpoint())
	req := connectNew(t, zc, core.REQ, rep.LastEndpoint())
	ctx := pollTestCtx(t)
	wait := runProxy(ctx, rep, rep, nil, control)
	for _, body := range []string{"msg1", "msg22"} {
		if err := req.SendString(ctx, body); err != nil {
			t.Fatal(err)
		}
		m, err := req.Recv(ctx)
		if err != nil || len(m.Frames) != 1 || string(m.Frames[0]) != body {
			t.Fatalf("echo of %q: %q, %v", body, m.Frames, err)
		}
	}
	st := statistics(t, steer)
	if want := [8]uint64{2, 9, 0, 0, 0, 0, 2, 9}; st != want {
		t.Fatalf("statistics %v, want %v", st, want)
	}
	command(t, steer, "TERMINATE")
	if err := wait(); err != nil {
		t.Fatal(err)
	}
}

// TestProxyNoDrop is in the spirit of libzmq's test_proxy_hwm: a slow
// consumer behind small HWMs gets every message, in order.
func TestProxyNoDrop(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, transport := range []string{"inproc", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			const n = 2000
			zc := core.NewContext()
			defer zc.Term()
			hwm := []core.Option{core.WithSendHWM(4), core.WithRecvHWM(4)}
			front := bindNew(t, zc, core.PULL, transport, hwm...)
			back := bindNew(t, zc, core.PUSH, transport, hwm...)
			src := connectNew(t, zc, core.PUSH, front.LastEndpoint(), hwm...)
			dst := connectNew(t, zc, core.PULL, back.LastEndpoint(), hwm...)
			ctx := pollTestCtx(t)
			pctx, stop := context.WithCancel(ctx)
			wait := runProxy(pctx, front, back, nil, nil)
			go func() {
				for i := range n {
					if err := src.SendString(ctx, fmt.Sprint(i)); err != nil {
						return
					}
				}
			}()
			for i := range n {
				if i%500 == 0 {
					time.Sleep(20 * time.Millisecond) // let everything fill up
				}
				m, err := dst.Recv(ctx)
				if err != nil {
					t.Fatalf("message %d: %v", i, err)
				}
				if string(m.Frames[0]) != fmt.Sprint(i) {
					t.Fatalf("message %d is %q", i, m.Frames[0])
				}
			}
			stop()
			if err := wait(); !errors.Is(err, context.Canceled) {
				t.Fatal(err)
			}
		})
	}
}

func TestProxyEnds(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	tests := []struct {
		name string
		end  func(zc *core.Context, front *core.Socket, cancel context.CancelFunc)
		want error
	}{
		{"shutdown", func(zc *core.Context, _ *core.Socket, _ context.CancelFunc) { zc.Shutdown() }, core.ErrTerminated},
		{"cancel", func(_ *core.Context, _ *core.Socket, cancel context.CancelFunc) { cancel() }, context.Canceled},
		{"close", func(_ *core.Context, front *core.Socket, _ context.CancelFunc) { front.Close() }, core.ErrClosed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			zc := core.NewContext()
			defer zc.Term()
			front := bindNew(t, zc, core.ROUTER, "inproc")
			back := bindNew(t, zc, core.DEALER, "tcp")
			control := bindNew(t, zc, core.PAIR, "inproc")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			wait := runProxy(ctx, front, back, nil, control)
			time.Sleep(20 * time.Millisecond)
			tc.end(zc, front, cancel)
			if err := wait(); !errors.Is(err, tc.want) {
				t.Fatalf("Proxy returned %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("nil", func(t *testing.T) {
		if err := core.Proxy(context.Background(), nil, nil, nil); !errors.Is(err, core.ErrInvalid) {
			t.Fatalf("got %v, want ErrInvalid", err)
		}
	})
}

// TestProxyForwarder runs an XSUB/XPUB forwarder: subscriptions flow up,
// messages flow down.
func TestProxyForwarder(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	zc := core.NewContext()
	defer zc.Term()
	front := bindNew(t, zc, core.XSUB, "inproc")
	back := bindNew(t, zc, core.XPUB, "inproc")
	pub := connectNew(t, zc, core.PUB, front.LastEndpoint())
	sub := connectNew(t, zc, core.SUB, back.LastEndpoint(), core.WithSubscribe("A"))
	ctx := pollTestCtx(t)
	pctx, stop := context.WithCancel(ctx)
	wait := runProxy(pctx, front, back, nil, nil)
	deadline := time.Now().Add(5 * time.Second)
	for {
		pub.SendString(ctx, "B", "no")
		pub.SendString(ctx, "A", "yes")
		rctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		m, err := sub.Recv(rctx)
		cancel()
		if err == nil {
			if string(m.Frames[0]) != "A" {
				t.Fatalf("sub got %q", m.Frames)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no message through the forwarder")
		}
	}
	stop()
	if err := wait(); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}

func BenchmarkProxy(b *testing.B) {
	zc := core.NewContext()
	defer zc.Term()
	mk := func(typ core.SocketType) *core.Socket {
		s, err := zc.NewSocket(typ, core.WithLinger(0))
		if err != nil {
			b.Fatal(err)
		}
		return s
	}
	front, back, src, dst := mk(core.PULL), mk(core.PUSH), mk(core.PUSH), mk(core.PULL)
	front.Bind("inproc://proxybench-f")
	back.Bind("inproc://proxybench-b")
	src.Connect("inproc://proxybench-f")
	dst.Connect("inproc://proxybench-b")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { core.Proxy(ctx, front, back, nil); close(done) }()
	go func() {
		msg := core.NewMsgString("0123456789abcdef")
		for {
			if src.Send(ctx, msg) != nil {
				return
			}
		}
	}()
	var m core.Msg
	b.ReportAllocs()
	for b.Loop() {
		if err := dst.RecvMsg(ctx, &m); err != nil {
			b.Fatal(err)
		}
	}
	cancel()
	<-done
}

// TestProxyRouterMandatory: with ROUTER_MANDATORY on the backend, a message
// for an unknown peer is dropped (the proxy keeps running), and a message
// for a peer that is full waits, without the proxy becoming unresponsive.
func TestProxyRouterMandatory(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	zc := core.NewContext()
	defer zc.Term()
	front := bindNew(t, zc, core.PULL, "inproc")
	back := bindNew(t, zc, core.ROUTER, "inproc", core.WithRouterMandatory(true), core.WithSendHWM(1))
	control := bindNew(t, zc, core.PAIR, "inproc")
	steer := connectNew(t, zc, core.PAIR, control.LastEndpoint())
	src := connectNew(t, zc, core.PUSH, front.LastEndpoint())
	a := connectNew(t, zc, core.DEALER, back.LastEndpoint(), core.WithRoutingID([]byte("A")))
	connectNew(t, zc, core.DEALER, back.LastEndpoint(), core.WithRoutingID([]byte("B")), core.WithRecvHWM(1))
	ctx := pollTestCtx(t)
	wait := runProxy(ctx, front, back, nil, control)
	deadline := time.Now().Add(10 * time.Second)
	for core.Peers(back) < 2 { // A and B connected
		if time.Now().After(deadline) {
			t.Fatal("A and B did not connect")
		}
		time.Sleep(time.Millisecond)
	}

	src.SendString(ctx, "Z", "nobody")
	src.SendString(ctx, "A", "first")
	if m, err := a.Recv(ctx); err != nil || string(m.Frames[0]) != "first" {
		t.Fatalf("A got %q, %v", m.Frames, err)
	}
	for i := range 6 { // B never reads: its pipe fills up
		src.SendString(ctx, "B", fmt.Sprint(i))
	}
	// Not sent: "Z" (dropped) and the B message the proxy holds; the
	// proxy answers meanwhile (still responsive)
	var st [8]uint64
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		st = statistics(t, steer)
		if st[0]-st[6] == 4 && st[6] >= 4 || time.Now().After(deadline) {
			break
		}
	}
	if st[0]-st[6] != 4 || st[6] < 4 {
		t.Fatalf("statistics %v: want 4 frames more received than sent", st)
	}
	command(t, steer, "TERMINATE")
	if err := wait(); err != nil {
		t.Fatal(err)
	}
}
