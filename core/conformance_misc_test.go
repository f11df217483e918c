package core_test

// PAIR (RFC 31), flow control (test_hwm.cpp, test_conflate.cpp,
// test_immediate.cpp), timeouts, lifecycle (linger, shutdown, MAX_SOCKETS),
// endpoint errors and concurrency.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/registry"
)

// PAIR talks to its first peer only; a second connection is refused.
func TestConformancePairRefusesSecondPeer(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		p, ep := e.bound(core.PAIR)
		first := e.connected(core.PAIR, ep)
		cfSend(t, first, "from-first")
		cfExpectFrames(t, cfRecv(t, p), "from-first")
		second := e.connected(core.PAIR, ep)
		time.Sleep(50 * time.Millisecond)
		second.TrySend(core.NewMsgString("from-second"))
		cfExpectNothing(t, p, 100*time.Millisecond)
		for i := 0; i < 5; i++ {
			cfSend(t, p, fmt.Sprint("to-peer", i))
		}
		for i := 0; i < 5; i++ {
			cfExpectFrames(t, cfRecv(t, first), fmt.Sprint("to-peer", i))
		}
		cfExpectNothing(t, second, 50*time.Millisecond)
		// the first peer still works both ways
		cfSend(t, first, "again")
		cfExpectFrames(t, cfRecv(t, p), "again")
	})
}

// test_hwm: a PUSH blocks at its HWM. Over inproc the limit is exactly
// SNDHWM + RCVHWM; over tcp/ipc at least SNDHWM messages are taken before
// EAGAIN (the kernel buffers some more). Nothing is lost.
func TestConformancePushBlocksAtHWM(t *testing.T) {
	for _, tc := range []struct{ snd, rcv int }{{5, 3}, {1, 1}, {1000, 1000}} {
		t.Run(fmt.Sprintf("snd%d_rcv%d", tc.snd, tc.rcv), func(t *testing.T) {
			cfForEach(t, func(t *testing.T, e *cfEnv) {
				pull, ep := e.bound(core.PULL, core.WithRecvHWM(tc.rcv))
				push := e.connected(core.PUSH, ep, core.WithSendHWM(tc.snd))
				cfSend(t, push, "warm")
				cfExpectFrames(t, cfRecv(t, pull), "warm")
				body := ""
				if e.tr != "inproc" {
					body = string(make([]byte, 16<<10))
				}
				sent := 0
				var err error
				for sent < 20000 {
					if err = push.TrySend(core.NewMsgString(fmt.Sprint(sent), body)); err != nil {
						break
					}
					sent++
				}
				cfExpectErr(t, err, core.ErrWouldBlock)
				if e.tr == "inproc" && sent != tc.snd+tc.rcv {
					t.Fatalf("inproc: %d sent before EAGAIN, want SNDHWM+RCVHWM = %d", sent, tc.snd+tc.rcv)
				}
				if sent < tc.snd {
					t.Fatalf("only %d sent before EAGAIN, SNDHWM is %d", sent, tc.snd)
				}
				for i := 0; i < sent; i++ {
					f, ok := cfTryRecv(pull, 10*time.Second) // a bound: 50 MiB queued, -race, a loaded machine
					if !ok || f[0] != fmt.Sprint(i) {
						t.Fatalf("message %d of %d: %q %v", i, sent, f, ok)
					}
				}
				// room again
				cfSend(t, push, "after")
				cfExpectFrames(t, cfRecv(t, pull), "after")
			})
		})
	}
}

// HWM 0 means no limit.
func TestConformanceZeroHWMUnlimited(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		pull, ep := e.bound(core.PULL, core.WithRecvHWM(0))
		push := e.connected(core.PUSH, ep, core.WithSendHWM(0))
		cfSend(t, push, "warm")
		cfRecv(t, pull)
		const n = 5000
		for i := 0; i < n; i++ {
			if err := push.TrySend(core.NewMsgString("x")); err != nil {
				t.Fatalf("send %d with HWM 0: %v", i, err)
			}
		}
		for i := 0; i < n; i++ {
			cfRecv(t, pull)
		}
	})
}

// test_conflate: a conflating PULL keeps only the newest message. (The
// PULL connects: over inproc libzmq applies the connecting side's CONFLATE.)
func TestConformanceConflate(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		push, ep := e.bound(core.PUSH)
		pull := e.connected(core.PULL, ep, core.WithConflate(true))
		cfSend(t, push, "warm")
		cfExpectFrames(t, cfRecv(t, pull), "warm")
		const n = 20
		for i := 0; i < n; i++ {
			cfSend(t, push, fmt.Sprint(i))
		}
		time.Sleep(200 * time.Millisecond)
		cfExpectFrames(t, cfRecv(t, pull), fmt.Sprint(n-1))
		if _, err := pull.TryRecv(); !errors.Is(err, core.ErrWouldBlock) {
			t.Fatalf("second recv on conflated PULL: %v, want ErrWouldBlock", err)
		}
	})
}

// test_immediate: with IMMEDIATE messages are queued only to completed
// connections. A PUSH connected to a live and a dead endpoint sends
// everything to the live one; alone with a dead endpoint it cannot send.
func TestConformanceImmediate(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		if e.tr == "inproc" {
			t.Skip("libzmq: inproc ignores IMMEDIATE (the pipe is made at connect)")
		}
		dead := e.unbound()
		lonely := e.connected(core.PUSH, dead, core.WithImmediate(true))
		cfExpectErr(t, lonely.TrySend(core.NewMsgString("x")), core.ErrWouldBlock)

		pull, live := e.bound(core.PULL)
		push := e.sock(core.PUSH, core.WithImmediate(true))
		if err := push.Connect(dead); err != nil {
			t.Fatal(err)
		}
		if err := push.Connect(live); err != nil {
			t.Fatal(err)
		}
		const n = 10
		for i := 0; i < n; i++ {
			cfSend(t, push, fmt.Sprint(i))
		}
		for i := 0; i < n; i++ {
			cfExpectFrames(t, cfRecv(t, pull), fmt.Sprint(i))
		}
		// without IMMEDIATE half would have gone to the dead endpoint's pipe
		pull2, live2 := e.bound(core.PULL)
		push2 := e.sock(core.PUSH)
		push2.Connect(dead)
		push2.Connect(live2)
		for i := 0; i < n; i++ {
			cfSend(t, push2, fmt.Sprint(i))
		}
		// the pipes to both peers exist from the connects on: round-robin
		// gives the live peer every other message, the rest wait for the
		// dead one (each receive waits as long as a loaded machine needs;
		// a sixth message would show in the quiet period after)
		first := -1 // 0 or 1: which pipe round-robin started with
		for i := 0; i < n/2; i++ {
			f, ok := cfTryRecv(pull2, 5*time.Second)
			if !ok {
				t.Fatalf("without IMMEDIATE the live peer got %d of %d, want %d", i, n, n/2)
			}
			if i == 0 && len(f) == 1 && (f[0] == "0" || f[0] == "1") {
				first = int(f[0][0] - '0')
			}
			if len(f) != 1 || f[0] != fmt.Sprint(2*i+first) {
				t.Fatalf("without IMMEDIATE the live peer's message %d is %q, want every other one of 0..%d", i, f, n-1)
			}
		}
		cfExpectNothing(t, pull2, 100*time.Millisecond)
	})
}

// SNDTIMEO / RCVTIMEO: blocked calls give up with EAGAIN after the timeout.
func TestConformanceTimeouts(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		pull, _ := e.bound(core.PULL, core.WithRecvTimeout(60*time.Millisecond))
		start := time.Now()
		_, err := pull.Recv(context.Background())
		el := time.Since(start)
		cfExpectErr(t, err, core.ErrWouldBlock)
		var ze *core.Error
		if !errors.As(err, &ze) || !ze.Timeout() {
			t.Fatalf("error %v is not a *core.Error with Timeout()", err)
		}
		if el < 50*time.Millisecond || el > 2*time.Second {
			t.Fatalf("RCVTIMEO 60ms returned after %v", el)
		}
		push, _ := e.bound(core.PUSH, core.WithSendTimeout(60*time.Millisecond))
		start = time.Now()
		cfExpectErr(t, push.Send(context.Background(), core.NewMsgString("x")), core.ErrWouldBlock)
		if el := time.Since(start); el < 50*time.Millisecond || el > 2*time.Second {
			t.Fatalf("SNDTIMEO 60ms returned after %v", el)
		}
		// timeout 0 = non-blocking
		pull.SetOption(core.WithRecvTimeout(0))
		start = time.Now()
		_, err = pull.Recv(context.Background())
		cfExpectErr(t, err, core.ErrWouldBlock)
		if el := time.Since(start); el > 50*time.Millisecond {
			t.Fatalf("RCVTIMEO 0 blocked %v", el)
		}
	})
}

// A context deadline or cancellation ends a blocked call; the error says so.
func TestConformanceContextCancellation(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		pull, _ := e.bound(core.PULL)
		c, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := pull.Recv(c)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Recv with deadline: %v, want it to wrap context.DeadlineExceeded", err)
		}
		c2, cancel2 := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := pull.Recv(c2)
			done <- err
		}()
		time.Sleep(30 * time.Millisecond)
		cancel2()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Recv after cancel: %v, want it to wrap context.Canceled", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("Recv did not return after cancel")
		}
		push, _ := e.bound(core.PUSH)
		c3, cancel3 := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel3()
		if err := push.Send(c3, core.NewMsgString("x")); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Send with deadline: %v", err)
		}
		// the socket is still usable after a cancelled call
		push2 := e.connected(core.PUSH, pull.LastEndpoint())
		cfSend(t, push2, "ok")
		cfExpectFrames(t, cfRecv(t, pull), "ok")
	})
}

// Close with LINGER: queued messages still reach the peer.
func TestConformanceCloseLingerDelivers(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		pull, ep := e.bound(core.PULL)
		push := e.connected(core.PUSH, ep, core.WithLinger(2*time.Second))
		const n = 200
		for i := 0; i < n; i++ {
			cfSend(t, push, fmt.Sprint(i))
		}
		done := make(chan struct{})
		go func() { push.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Close with linger 2s did not return")
		}
		for i := 0; i < n; i++ {
			f, ok := cfTryRecv(pull, 3*time.Second)
			if !ok || f[0] != fmt.Sprint(i) {
				t.Fatalf("message %d after close: %q %v", i, f, ok)
			}
		}
	})
}

// Close with LINGER once the connection is up (isolates linger from
// connection set-up).
func TestConformanceCloseLingerDeliversConnected(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		pull, ep := e.bound(core.PULL)
		push := e.connected(core.PUSH, ep, core.WithLinger(2*time.Second))
		cfSend(t, push, "warm")
		cfExpectFrames(t, cfRecv(t, pull), "warm")
		const n = 2000
		body := string(make([]byte, 1024))
		got := make(chan error, 1)
		go func() { // the peer reads while the sender lingers
			for i := 0; i < n; i++ {
				f, ok := cfTryRecv(pull, 3*time.Second)
				if !ok || f[0] != fmt.Sprint(i) {
					got <- fmt.Errorf("message %d after close: %v", i, ok)
					return
				}
			}
			got <- nil
		}()
		for i := 0; i < n; i++ {
			cfSend(t, push, fmt.Sprint(i), body)
		}
		push.Close()
		if err := <-got; err != nil {
			t.Fatal(err)
		}
	})
}

// Close with LINGER 0 returns at once even with a peer that never comes.
func TestConformanceCloseLingerZero(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		ep := e.unbound()
		push := e.connected(core.PUSH, ep, core.WithLinger(0))
		push.TrySend(core.NewMsgString("x"))
		start := time.Now()
		push.Close()
		if el := time.Since(start); el > time.Second {
			t.Fatalf("Close with linger 0 took %v", el)
		}
		// Close is idempotent; calls on a closed socket fail with ErrClosed
		push.Close()
		cfExpectErr(t, push.TrySend(core.NewMsgString("x")), core.ErrClosed)
		if _, err := push.TryRecv(); !errors.Is(err, core.ErrClosed) {
			t.Fatalf("TryRecv on closed socket: %v", err)
		}
		cfExpectErr(t, push.Bind(e.ep()), core.ErrClosed)
	})
}

// ctx.Shutdown makes a blocked Recv (and later calls) fail with ETERM and
// NewSocket fail; Close still works.
func TestConformanceShutdownUnblocks(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		pull, _ := e.bound(core.PULL)
		push, _ := e.bound(core.PUSH)
		rerr := make(chan error, 1)
		serr := make(chan error, 1)
		go func() {
			_, err := pull.Recv(context.Background())
			rerr <- err
		}()
		go func() { serr <- push.Send(context.Background(), core.NewMsgString("x")) }()
		time.Sleep(50 * time.Millisecond)
		e.ctx.Shutdown()
		for name, ch := range map[string]chan error{"Recv": rerr, "Send": serr} {
			select {
			case err := <-ch:
				cfExpectErr(t, err, core.ErrTerminated)
			case <-time.After(2 * time.Second):
				t.Fatalf("blocked %s did not return after Shutdown", name)
			}
		}
		_, err := pull.TryRecv()
		cfExpectErr(t, err, core.ErrTerminated)
		_, err = e.ctx.NewSocket(core.PUSH)
		cfExpectErr(t, err, core.ErrTerminated)
		pull.Close()
		push.Close()
		if err := e.ctx.Term(); err != nil {
			t.Fatal(err)
		}
	})
}

// MAX_SOCKETS: creating one socket too many fails with EMFILE.
func TestConformanceMaxSockets(t *testing.T) {
	ctx := core.NewContext(core.WithMaxSockets(2))
	defer ctx.Term()
	a, err := ctx.NewSocket(core.PUSH)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ctx.NewSocket(core.PULL); err != nil {
		t.Fatal(err)
	}
	_, err = ctx.NewSocket(core.PAIR)
	cfExpectErr(t, err, core.ErrTooManySockets)
	a.Close()
	if _, err := ctx.NewSocket(core.PAIR); err != nil {
		t.Fatalf("after closing one socket: %v", err)
	}
}

// An unknown scheme fails with EPROTONOSUPPORT; for a well-known scheme
// whose plugin is not registered the error names the package to import.
func TestConformanceUnknownScheme(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		ctx := core.NewContext(core.WithRegistry(registry.New()))
		defer ctx.Term()
		s, err := ctx.NewSocket(core.PUSH)
		if err != nil {
			t.Fatal(err)
		}
		scheme := e.tr
		if e.tr == "frame" {
			scheme = "ws" // the frame transport of the tests is no plugin
		}
		ep := scheme + "://somewhere"
		if e.tr == "tcp" {
			ep = "tcp://127.0.0.1:5555"
		}
		for op, f := range map[string]func(string) error{"bind": s.Bind, "connect": s.Connect} {
			err := f(ep)
			cfExpectErr(t, err, core.ErrProtocolNotSupported)
			pkg := scheme
			if pkg == "vsock" {
				pkg = "vmci" // plugins/vmci serves vmci:// and vsock://
			}
			want := "github.com/zmqkit/zmqkit/plugins/" + pkg
			if _, statErr := os.Stat(filepath.Join("..", "plugins", pkg)); statErr != nil {
				// no such plugin in this version: the error must not send
				// the user to an import that does not compile
				if strings.Contains(err.Error(), want) {
					t.Fatalf("%s error %q names %s, which does not exist", op, err, want)
				}
				continue
			}
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("%s error %q does not name %s", op, err, want)
			}
		}
		cfExpectErr(t, e.sock(core.PUSH).Bind("bogus://x"), core.ErrProtocolNotSupported)
		cfExpectErr(t, e.sock(core.PUSH).Connect("bogus://x"), core.ErrProtocolNotSupported)
	})
}

// Malformed endpoints fail with EINVAL.
func TestConformanceInvalidEndpoints(t *testing.T) {
	bad := map[string][]string{
		"tcp":    {"tcp://", "tcp://127.0.0.1", "tcp://127.0.0.1:abc", "tcp://:", "tcp://127.0.0.1:99999"},
		"ipc":    {"ipc://"},
		"inproc": {"inproc://"},
		"vsock":  {"vsock://", "vsock://3", "vsock://3:x", "vsock://:5", "vsock://3:4294967296", "vsock://+3:5"},
	}
	generic := []string{"", "nocolon", "://x", "tcp:/127.0.0.1:5555", "tcp//127.0.0.1:5555"}
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		s := e.sock(core.PUSH)
		for _, ep := range append(bad[e.tr], generic...) {
			if err := s.Bind(ep); !errors.Is(err, core.ErrInvalid) && !(ep == "tcp://127.0.0.1:99999" && errors.Is(err, core.ErrAddrNotAvailable)) {
				t.Errorf("Bind(%q) = %v, want ErrInvalid", ep, err)
			}
			if err := s.Connect(ep); !errors.Is(err, core.ErrInvalid) {
				t.Errorf("Connect(%q) = %v, want ErrInvalid", ep, err)
			}
		}
		if e.tr == "tcp" || e.tr == "vsock" {
			// a wildcard port cannot be connected to
			wild := map[string]string{"tcp": "tcp://127.0.0.1:*", "vsock": "vsock://3:*"}[e.tr]
			if err := s.Connect(wild); !errors.Is(err, core.ErrInvalid) {
				t.Errorf("Connect(%s) = %v, want ErrInvalid", wild, err)
			}
		}
	})
}

// Unbind / Disconnect of an endpoint not bound / connected: ENOENT. A
// wildcard bind is unbound by its resolved endpoint.
func TestConformanceUnbindDisconnectNotFound(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		s, ep := e.bound(core.PULL)
		other := e.unbound()
		cfExpectErr(t, s.Unbind(other), core.ErrNotFound)
		cfExpectErr(t, s.Disconnect(other), core.ErrNotFound)
		cfExpectErr(t, s.Disconnect(ep), core.ErrNotFound) // bound, not connected
		if err := s.Unbind(ep); err != nil {
			t.Fatalf("Unbind(%s): %v", ep, err)
		}
		cfExpectErr(t, s.Unbind(ep), core.ErrNotFound)
		c := e.sock(core.PUSH)
		if err := c.Connect(other); err != nil {
			t.Fatal(err)
		}
		cfExpectErr(t, c.Unbind(other), core.ErrNotFound)
		if err := c.Disconnect(other); err != nil {
			t.Fatalf("Disconnect: %v", err)
		}
		cfExpectErr(t, c.Disconnect(other), core.ErrNotFound)
	})
}

// After Unbind nobody new can connect; after Disconnect messages no longer
// go to that endpoint.
func TestConformanceDisconnectStopsRouting(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		pa, epa := e.bound(core.PULL)
		pb, epb := e.bound(core.PULL)
		push := e.sock(core.PUSH)
		push.Connect(epa)
		push.Connect(epb)
		if err := push.Disconnect(epa); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 6; i++ {
			cfSend(t, push, fmt.Sprint(i))
		}
		for i := 0; i < 6; i++ {
			cfExpectFrames(t, cfRecv(t, pb), fmt.Sprint(i))
		}
		cfExpectNothing(t, pa, 50*time.Millisecond)
	})
}

// Many goroutines send and receive on one socket each: nothing lost,
// nothing duplicated, multipart messages stay whole.
func TestConformanceConcurrentSendRecv(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		const senders, receivers, per = 8, 4, 200
		pull, ep := e.bound(core.PULL)
		push := e.connected(core.PUSH, ep)
		var wg sync.WaitGroup
		errs := make(chan error, senders+receivers)
		for g := 0; g < senders; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				for i := 0; i < per; i++ {
					id := fmt.Sprintf("%d-%d", g, i)
					if err := push.Send(c, core.NewMsgString(id, "part2-"+id)); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		var mu sync.Mutex
		seen := map[string]int{}
		var rwg sync.WaitGroup
		total := senders * per
		var got int
		for g := 0; g < receivers; g++ {
			rwg.Add(1)
			go func() {
				defer rwg.Done()
				for {
					mu.Lock()
					if got >= total {
						mu.Unlock()
						return
					}
					mu.Unlock()
					c, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
					m, err := pull.Recv(c)
					cancel()
					if err != nil {
						if errors.Is(err, context.DeadlineExceeded) {
							continue
						}
						errs <- err
						return
					}
					f := cfFrames(m)
					mu.Lock()
					if len(f) != 2 || f[1] != "part2-"+f[0] {
						mu.Unlock()
						errs <- fmt.Errorf("torn message %q", f)
						return
					}
					seen[f[0]]++
					got++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		waitCh := make(chan struct{})
		go func() { rwg.Wait(); close(waitCh) }()
		select {
		case <-waitCh:
		case <-time.After(15 * time.Second):
			t.Fatal("receivers did not finish")
		}
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(seen) != total {
			t.Fatalf("%d distinct messages, want %d", len(seen), total)
		}
		for k, n := range seen {
			if n != 1 {
				t.Fatalf("message %s received %d times", k, n)
			}
		}
	})
}

// Concurrent DEALER<->ROUTER traffic from many goroutines (with -race).
func TestConformanceConcurrentDealerRouter(t *testing.T) {
	cfForEach(t, func(t *testing.T, e *cfEnv) {
		const workers, per = 6, 100
		router, ep := e.bound(core.ROUTER)
		dealer := e.connected(core.DEALER, ep, core.WithRoutingID([]byte("D")))
		go func() { // echo
			for {
				m, err := router.Recv(context.Background())
				if err != nil {
					return
				}
				if router.Send(context.Background(), m) != nil {
					return
				}
			}
		}()
		var wg sync.WaitGroup
		for g := 0; g < workers; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				for i := 0; i < per; i++ {
					if err := dealer.Send(c, core.NewMsgString(fmt.Sprint(g, "-", i))); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		seen := map[string]bool{}
		for len(seen) < workers*per {
			f, ok := cfTryRecv(dealer, 5*time.Second)
			if !ok {
				t.Fatalf("echoes stopped after %d of %d", len(seen), workers*per)
			}
			if seen[f[0]] {
				t.Fatalf("duplicate %q", f[0])
			}
			seen[f[0]] = true
		}
		wg.Wait()
	})
}
