package core_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/all"
)

var pollSeq atomic.Int64

// pollEndpoint returns a fresh bindable endpoint for transport.
func pollEndpoint(transport string) string {
	if transport == "tcp" {
		return "tcp://127.0.0.1:*"
	}
	return fmt.Sprintf("inproc://poll-%d", pollSeq.Add(1))
}

func pollTestCtx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func pollSocket(t *testing.T, zc *core.Context, typ core.SocketType, opts ...core.Option) *core.Socket {
	t.Helper()
	s, err := zc.NewSocket(typ, append([]core.Option{core.WithLinger(0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// pollPair binds a socket of type bt and connects one of type ct to it.
func pollPair(t *testing.T, zc *core.Context, transport string, bt, ct core.SocketType) (bound, conn *core.Socket) {
	t.Helper()
	bound = pollSocket(t, zc, bt)
	if err := bound.Bind(pollEndpoint(transport)); err != nil {
		t.Fatal(err)
	}
	conn = pollSocket(t, zc, ct)
	if err := conn.Connect(bound.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	return bound, conn
}

// waitFor waits with p until s reports want, failing the test otherwise.
func waitFor(t *testing.T, p *core.Poller, s *core.Socket, want core.PollEvents) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	items, err := p.Wait(ctx)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	for _, it := range items {
		if it.Socket == s {
			if it.Events != want {
				t.Fatalf("events = %v, want %v", it.Events, want)
			}
			return
		}
	}
	t.Fatalf("socket not ready; got %v", items)
}

// notReady asserts that p reports nothing within a short time.
func notReady(t *testing.T, p *core.Poller) {
	t.Helper()
	items, err := p.WaitTimeout(30 * time.Millisecond)
	if !errors.Is(err, core.ErrWouldBlock) || len(items) != 0 {
		t.Fatalf("want nothing ready, got %v, %v", items, err)
	}
}

func TestPollerReadiness(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, transport := range []string{"inproc", "tcp"} {
		t.Run(transport+"/pushpull", func(t *testing.T) {
			zc := core.NewContext()
			defer zc.Term()
			pull, push := pollPair(t, zc, transport, core.PULL, core.PUSH)
			p := core.NewPoller()
			if err := p.Add(pull, core.PollIn|core.PollOut); err != nil {
				t.Fatal(err)
			}
			notReady(t, p) // PULL never reports PollOut, and has no input yet
			pp := core.NewPoller()
			if err := pp.Add(push, core.PollOut); err != nil {
				t.Fatal(err)
			}
			waitFor(t, pp, push, core.PollOut) // once connected
			if err := push.SendString(pollTestCtx(t), "a", "b"); err != nil {
				t.Fatal(err)
			}
			waitFor(t, p, pull, core.PollIn)
			if _, err := pull.TryRecv(); err != nil {
				t.Fatal(err)
			}
			notReady(t, p)
		})
		t.Run(transport+"/reqrep", func(t *testing.T) {
			zc := core.NewContext()
			defer zc.Term()
			rep, req := pollPair(t, zc, transport, core.REP, core.REQ)
			p := core.NewPoller()
			for _, s := range []*core.Socket{rep, req} {
				if err := p.Add(s, core.PollIn|core.PollOut); err != nil {
					t.Fatal(err)
				}
			}
			waitFor(t, p, req, core.PollOut) // REQ may send first
			if err := req.SendString(pollTestCtx(t), "ping"); err != nil {
				t.Fatal(err)
			}
			waitFor(t, p, rep, core.PollIn)
			if _, err := rep.TryRecv(); err != nil {
				t.Fatal(err)
			}
			waitFor(t, p, rep, core.PollOut) // REP must reply now
			if err := rep.TrySend(core.NewMsgString("pong")); err != nil {
				t.Fatal(err)
			}
			waitFor(t, p, req, core.PollIn)
			items, err := p.WaitTimeout(0)
			if err != nil || len(items) != 1 || items[0].Socket != req || items[0].Events != core.PollIn {
				t.Fatalf("got %v %v, want only REQ PollIn", items, err)
			}
		})
	}
}

func TestPollerTimeout(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	zc := core.NewContext()
	defer zc.Term()
	pull := pollSocket(t, zc, core.PULL)
	if err := pull.Bind(pollEndpoint("inproc")); err != nil {
		t.Fatal(err)
	}
	p := core.NewPoller()
	if err := p.Add(pull, core.PollIn); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		wait func() ([]core.PolledItem, error)
		min  time.Duration
		ctx  error // also wrapped, if not nil
	}{
		{"zero", func() ([]core.PolledItem, error) { return p.WaitTimeout(0) }, 0, nil},
		{"timeout", func() ([]core.PolledItem, error) { return p.WaitTimeout(40 * time.Millisecond) }, 40 * time.Millisecond, nil},
		{"deadline", func() ([]core.PolledItem, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 40*time.Millisecond)
			defer cancel()
			return p.Wait(ctx)
		}, 40 * time.Millisecond, context.DeadlineExceeded},
		{"cancel", func() ([]core.PolledItem, error) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(20*time.Millisecond, cancel)
			return p.Wait(ctx)
		}, 20 * time.Millisecond, context.Canceled},
		{"poll", func() ([]core.PolledItem, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 40*time.Millisecond)
			defer cancel()
			items := []core.PollItem{{Socket: pull, Events: core.PollIn}}
			n, err := core.Poll(ctx, items)
			if n != 0 || items[0].Revents != 0 {
				return []core.PolledItem{{}}, err
			}
			return nil, err
		}, 40 * time.Millisecond, context.DeadlineExceeded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			items, err := tc.wait()
			if el := time.Since(start); el < tc.min {
				t.Errorf("returned after %v, want >= %v", el, tc.min)
			}
			if len(items) != 0 || !errors.Is(err, core.ErrWouldBlock) {
				t.Fatalf("got %v, %v; want ErrWouldBlock", items, err)
			}
			if tc.ctx != nil && !errors.Is(err, tc.ctx) {
				t.Fatalf("err %v does not wrap %v", err, tc.ctx)
			}
		})
	}

	t.Run("empty", func(t *testing.T) {
		e := core.NewPoller()
		if _, err := e.WaitTimeout(-1); !errors.Is(err, core.ErrInvalid) {
			t.Fatalf("infinite wait on empty poller: %v, want ErrInvalid", err)
		}
		if _, err := e.WaitTimeout(10 * time.Millisecond); !errors.Is(err, core.ErrWouldBlock) {
			t.Fatalf("timed wait on empty poller: %v, want ErrWouldBlock", err)
		}
		if _, err := core.Poll(context.Background(), nil); !errors.Is(err, core.ErrInvalid) {
			t.Fatalf("Poll(nil) forever: %v, want ErrInvalid", err)
		}
	})
}

func TestPollerErrors(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	zc := core.NewContext()
	defer zc.Term()
	a := pollSocket(t, zc, core.PULL)
	b := pollSocket(t, zc, core.PULL)
	p := core.NewPoller()
	if err := p.Add(a, core.PollIn); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		err  error
	}{
		{"add twice", p.Add(a, core.PollOut)},
		{"add nil", p.Add(nil, core.PollIn)},
		{"modify unknown", p.Modify(b, core.PollIn)},
		{"remove unknown", p.Remove(b)},
		{"poll nil socket", func() error { _, err := core.Poll(context.Background(), []core.PollItem{{}}); return err }()},
	}
	for _, tc := range tests {
		if !errors.Is(tc.err, core.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", tc.name, tc.err)
		}
	}
	if p.Size() != 1 {
		t.Fatalf("Size = %d, want 1", p.Size())
	}
	if err := p.Modify(a, core.PollOut); err != nil {
		t.Fatal(err)
	}
	if err := p.Remove(a); err != nil {
		t.Fatal(err)
	}
	if err := p.Remove(a); !errors.Is(err, core.ErrInvalid) {
		t.Fatalf("second Remove: %v, want ErrInvalid", err)
	}
	if p.Size() != 0 {
		t.Fatalf("Size = %d, want 0", p.Size())
	}
}

func TestPollerClosedSocket(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	zc := core.NewContext()
	defer zc.Term()
	pull := pollSocket(t, zc, core.PULL)
	other := pollSocket(t, zc, core.PULL)
	p := core.NewPoller()
	p.Add(other, core.PollIn)
	p.Add(pull, core.PollIn)
	errc := make(chan error, 1)
	go func() {
		_, err := p.Wait(context.Background())
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond)
	pull.Close()
	select {
	case err := <-errc:
		if !errors.Is(err, core.ErrClosed) {
			t.Fatalf("Wait: %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not notice the closed socket")
	}
	// Already closed: immediate error, also from Poll.
	if _, err := p.WaitTimeout(-1); !errors.Is(err, core.ErrClosed) {
		t.Fatalf("Wait: %v, want ErrClosed", err)
	}
	if _, err := core.Poll(context.Background(), []core.PollItem{{Socket: pull, Events: core.PollIn}}); !errors.Is(err, core.ErrClosed) {
		t.Fatalf("Poll: %v, want ErrClosed", err)
	}
	// Once removed, the poller works again.
	p.Remove(pull)
	if _, err := p.WaitTimeout(0); !errors.Is(err, core.ErrWouldBlock) {
		t.Fatalf("Wait after Remove: %v, want ErrWouldBlock", err)
	}
}

func TestPollerShutdown(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, multi := range []bool{false, true} {
		t.Run(fmt.Sprintf("multi=%v", multi), func(t *testing.T) {
			zc := core.NewContext()
			defer zc.Term()
			zc2 := core.NewContext()
			defer zc2.Term()
			p := core.NewPoller()
			p.Add(pollSocket(t, zc, core.PULL), core.PollIn)
			victim := zc
			if multi { // the context shut down is not the first socket's
				p.Add(pollSocket(t, zc2, core.PULL), core.PollIn)
				victim = zc2
			}
			errc := make(chan error, 2)
			go func() {
				_, err := p.Wait(context.Background())
				errc <- err
			}()
			go func() {
				items := []core.PollItem{{Socket: pollSocket(t, victim, core.PULL), Events: core.PollIn}}
				_, err := core.Poll(context.Background(), items)
				errc <- err
			}()
			time.Sleep(20 * time.Millisecond)
			victim.Shutdown()
			for range 2 {
				select {
				case err := <-errc:
					if !errors.Is(err, core.ErrTerminated) {
						t.Fatalf("got %v, want ErrTerminated", err)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("no ErrTerminated after Shutdown")
				}
			}
		})
	}
}

func TestPollerConcurrent(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	zc := core.NewContext()
	defer zc.Term()

	t.Run("add wakes wait", func(t *testing.T) {
		idle := pollSocket(t, zc, core.PULL)
		pull, push := pollPair(t, zc, "inproc", core.PULL, core.PUSH)
		if err := push.SendString(pollTestCtx(t), "x"); err != nil {
			t.Fatal(err)
		}
		p := core.NewPoller()
		p.Add(idle, core.PollIn)
		got := make(chan []core.PolledItem, 1)
		go func() {
			items, _ := p.Wait(pollTestCtx(t))
			got <- items
		}()
		time.Sleep(20 * time.Millisecond)
		if err := p.Add(pull, core.PollIn); err != nil {
			t.Fatal(err)
		}
		select {
		case items := <-got:
			if len(items) != 1 || items[0].Socket != pull {
				t.Fatalf("got %v", items)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("Add did not wake Wait")
		}
	})

	t.Run("empty poller then add", func(t *testing.T) {
		pull, push := pollPair(t, zc, "inproc", core.PULL, core.PUSH)
		push.SendString(pollTestCtx(t), "x")
		p := core.NewPoller()
		got := make(chan error, 1)
		go func() {
			_, err := p.Wait(pollTestCtx(t)) // has a deadline, so no ErrInvalid
			got <- err
		}()
		time.Sleep(20 * time.Millisecond)
		p.Add(pull, core.PollIn)
		if err := <-got; err != nil {
			t.Fatal(err)
		}
	})

	t.Run("stress", func(t *testing.T) {
		const n = 8
		p := core.NewPoller()
		var pulls, pushes []*core.Socket
		for range n {
			pull, push := pollPair(t, zc, "inproc", core.PULL, core.PUSH)
			pulls = append(pulls, pull)
			pushes = append(pushes, push)
		}
		ctx := pollTestCtx(t)
		const msgs = 200
		var received atomic.Int64
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for range 4 { // waiters drain whatever is ready
			wg.Add(1)
			go func() {
				defer wg.Done()
				var buf []core.PolledItem
				for {
					select {
					case <-stop:
						return
					default:
					}
					wctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
					var err error
					buf, err = p.WaitInto(wctx, buf)
					cancel()
					if err != nil && !errors.Is(err, core.ErrWouldBlock) {
						t.Error(err)
						return
					}
					for _, it := range buf {
						if _, err := it.Socket.TryRecv(); err == nil {
							received.Add(1)
						}
					}
				}
			}()
		}
		wg.Add(1)
		go func() { // churn the set while waits run
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				s := pulls[i%n]
				if p.Add(s, core.PollIn) == nil && i%3 == 0 {
					p.Modify(s, core.PollIn|core.PollOut)
				}
				if i%2 == 0 {
					p.Remove(pulls[(i+n/2)%n])
				}
				time.Sleep(time.Millisecond)
			}
		}()
		for i := range msgs {
			if err := pushes[i%n].SendString(ctx, "m"); err != nil {
				t.Fatal(err)
			}
		}
		deadline := time.Now().Add(5 * time.Second)
		for received.Load() < msgs && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		close(stop)
		wg.Wait()
		if got := received.Load(); got != msgs {
			t.Fatalf("received %d of %d", got, msgs)
		}
	})
}

func TestPollFunc(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for _, transport := range []string{"inproc", "tcp"} {
		t.Run(transport, func(t *testing.T) {
			zc := core.NewContext()
			defer zc.Term()
			pull, push := pollPair(t, zc, transport, core.PULL, core.PUSH)
			if err := push.SendString(pollTestCtx(t), "hello"); err != nil {
				t.Fatal(err)
			}
			items := []core.PollItem{
				{Socket: pull, Events: core.PollIn | core.PollOut},
				{Socket: push, Events: core.PollIn | core.PollOut},
				{Socket: pull, Events: core.PollOut}, // duplicates are allowed
			}
			n, err := core.Poll(pollTestCtx(t), items)
			if err != nil || n < 1 { // push can send: at least its item is ready
				t.Fatalf("n = %d, err = %v, want at least 1", n, err)
			}
			// Both ready at once once the message arrived.
			for items[0].Revents == 0 {
				if _, err = core.Poll(pollTestCtx(t), items[:1]); err != nil {
					t.Fatal(err)
				}
			}
			n, err = core.Poll(pollTestCtx(t), items)
			if err != nil || n != 2 {
				t.Fatalf("n = %d, err = %v, want 2", n, err)
			}
			want := []core.PollEvents{core.PollIn, core.PollOut, 0}
			for i, it := range items {
				if it.Revents != want[i] {
					t.Errorf("item %d: Revents = %v, want %v", i, it.Revents, want[i])
				}
			}
		})
	}
}

func TestPollerNoAllocs(t *testing.T) {
	zc := core.NewContext()
	defer zc.Term()
	pull, push := pollPair(t, zc, "inproc", core.PULL, core.PUSH)
	if err := push.SendString(pollTestCtx(t), "x"); err != nil {
		t.Fatal(err)
	}
	p := core.NewPoller()
	p.Add(pull, core.PollIn)
	ctx := pollTestCtx(t)
	buf, err := p.WaitInto(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	items := []core.PollItem{{Socket: pull, Events: core.PollIn}}
	// AllocsPerRun counts every allocation in the process, so goroutines
	// left by earlier tests can add one now and then: a real allocation in
	// Wait or Poll shows up in every measurement, so take the smallest.
	allocs := 1e9
	for try := 0; try < 3 && allocs > 0; try++ {
		allocs = min(allocs, testing.AllocsPerRun(100, func() {
			buf, err = p.WaitInto(ctx, buf)
			if err != nil || len(buf) != 1 {
				t.Fatal(buf, err)
			}
			if n, err := core.Poll(ctx, items); n != 1 || err != nil {
				t.Fatal(n, err)
			}
		}))
	}
	if allocs > 0 {
		t.Fatalf("%v allocations per ready Wait+Poll, want 0", allocs)
	}
}

func BenchmarkPollerWait(b *testing.B) {
	zc := core.NewContext()
	defer zc.Term()
	p := core.NewPoller()
	for i := range 16 {
		pull, err := zc.NewSocket(core.PULL, core.WithLinger(0))
		if err != nil {
			b.Fatal(err)
		}
		pull.Bind(fmt.Sprintf("inproc://pollbench-%d", i))
		p.Add(pull, core.PollIn)
	}
	push, _ := zc.NewSocket(core.PUSH, core.WithLinger(0))
	push.Connect("inproc://pollbench-15")
	push.SendString(context.Background(), "x")
	ctx := context.Background()
	var buf []core.PolledItem
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = p.WaitInto(ctx, buf); err != nil {
			b.Fatal(err)
		}
	}
}
