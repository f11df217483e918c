//go:build aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris

package core_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

// fdConns are standard sockets and files of every kind Poll takes: a TCP
// connection, a pipe and a unix socket, each with its far end.
type fdConns struct {
	tcp, tcpPeer   net.Conn
	pipeR, pipeW   *os.File
	unix, unixPeer net.Conn
}

func newFDConns(t *testing.T) *fdConns {
	t.Helper()
	var c fdConns
	c.tcp, c.tcpPeer = connPair(t, "tcp", "127.0.0.1:0")
	c.unix, c.unixPeer = connPair(t, "unix", filepath.Join(t.TempDir(), "s"))
	var err error
	if c.pipeR, c.pipeW, err = os.Pipe(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, x := range []io.Closer{c.tcp, c.tcpPeer, c.unix, c.unixPeer, c.pipeR, c.pipeW} {
			x.Close()
		}
	})
	return &c
}

func connPair(t *testing.T, network, addr string) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	d, err := net.Dial(network, ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	a, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	return a, d
}

func openFDs(t *testing.T) int {
	t.Helper()
	dir := "/proc/self/fd"
	if runtime.GOOS != "linux" {
		dir = "/dev/fd"
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

func TestPollConnsMixedWithSockets(t *testing.T) {
	zc := core.NewContext()
	defer zc.Term()
	pull, push := pollPair(t, zc, "inproc", core.PULL, core.PUSH)
	c := newFDConns(t)
	fdsBefore := openFDs(t)

	items := []core.PollItem{
		{Socket: pull, Events: core.PollIn},
		{Conn: c.tcp.(syscall.Conn), Events: core.PollIn},
		{Conn: c.pipeR, Events: core.PollIn},
		{Conn: c.unix.(syscall.Conn), Events: core.PollIn},
		{Socket: push, Events: core.PollOut},
		{Conn: c.pipeW, Events: core.PollOut},
	}
	// Only the writable ones are ready.
	n, err := core.Poll(pollTestCtx(t), items)
	if err != nil || n != 2 {
		t.Fatalf("Poll = %d, %v; want 2 (push and the pipe's write end)", n, err)
	}
	for i, want := range []core.PollEvents{0, 0, 0, 0, core.PollOut, core.PollOut} {
		if items[i].Revents != want {
			t.Errorf("item %d: Revents %v, want %v", i, items[i].Revents, want)
		}
	}
	// Nothing readable: a wait for input only times out.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	n, err = core.Poll(ctx, items[:4])
	cancel()
	if n != 0 || !errors.Is(err, core.ErrWouldBlock) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Poll with nothing readable = %d, %v", n, err)
	}

	// Data everywhere: one Poll reports every item.
	if err := push.SendString(pollTestCtx(t), "zmq"); err != nil {
		t.Fatal(err)
	}
	for _, w := range []io.Writer{c.tcpPeer, c.pipeW, c.unixPeer} {
		if _, err := w.Write([]byte("data")); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if n, err = core.Poll(pollTestCtx(t), items); err != nil {
			t.Fatal(err)
		}
		if n == len(items) || time.Now().After(deadline) {
			break
		}
	}
	if n != len(items) {
		t.Fatalf("Poll = %d, want all %d ready: %+v", n, len(items), items)
	}
	for i := range 4 {
		if items[i].Revents != core.PollIn {
			t.Errorf("item %d: Revents %v, want PollIn", i, items[i].Revents)
		}
	}
	// Polling consumed nothing.
	for _, r := range []io.Reader{c.tcp, c.pipeR, c.unix} {
		buf := make([]byte, 16)
		if k, err := r.Read(buf); err != nil || string(buf[:k]) != "data" {
			t.Errorf("read after poll: %q, %v", buf[:k], err)
		}
	}
	if m, err := pull.TryRecv(); err != nil || string(m.Frames[0]) != "zmq" {
		t.Errorf("recv after poll: %v, %v", m, err)
	}
	if after := openFDs(t); after != fdsBefore {
		t.Errorf("%d descriptors open after polling, %d before", after, fdsBefore)
	}
}

type waitResult struct {
	items []core.PolledItem
	err   error
}

// waitAsync runs p.Wait(ctx) in a goroutine.
func waitAsync(ctx context.Context, p *core.Poller) <-chan waitResult {
	done := make(chan waitResult, 1)
	go func() {
		items, err := p.Wait(ctx)
		done <- waitResult{items, err}
	}()
	return done
}

func expectBlocked(t *testing.T, done <-chan waitResult) {
	t.Helper()
	select {
	case r := <-done:
		t.Fatalf("Wait returned early: %+v, %v", r.items, r.err)
	case <-time.After(50 * time.Millisecond):
	}
}

func expectResult(t *testing.T, done <-chan waitResult) waitResult {
	t.Helper()
	select {
	case r := <-done:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("Wait was not woken")
	}
	return waitResult{}
}

// TestPollerConnOnePollNoGoroutines checks that a Wait on many Conns and a
// socket runs no goroutine of its own and is woken by either.
func TestPollerConnOnePollNoGoroutines(t *testing.T) {
	zc := core.NewContext()
	defer zc.Term()
	pull, push := pollPair(t, zc, "inproc", core.PULL, core.PUSH)
	p := core.NewPoller()
	if err := p.Add(pull, core.PollIn); err != nil {
		t.Fatal(err)
	}
	var readers, writers []*os.File
	for range 20 {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		defer w.Close()
		readers, writers = append(readers, r), append(writers, w)
		if err := p.AddConn(r, core.PollIn); err != nil {
			t.Fatal(err)
		}
	}
	if p.Size() != 21 {
		t.Fatalf("Size = %d, want 21", p.Size())
	}
	fdsBefore := openFDs(t)
	before := runtime.NumGoroutine()
	done := waitAsync(context.Background(), p)
	expectBlocked(t, done)
	if during := runtime.NumGoroutine(); during > before+1 {
		t.Errorf("%d goroutines while waiting on 20 Conns and a socket, %d before (the waiter is 1)", during, before)
	}
	if err := push.SendString(pollTestCtx(t), "wake"); err != nil {
		t.Fatal(err)
	}
	if r := expectResult(t, done); r.err != nil || len(r.items) != 1 || r.items[0].Socket != pull || r.items[0].Events != core.PollIn {
		t.Fatalf("Wait = %+v, %v; want the PULL socket", r.items, r.err)
	}
	if _, err := pull.TryRecv(); err != nil {
		t.Fatal(err)
	}

	done = waitAsync(context.Background(), p)
	expectBlocked(t, done)
	writers[13].Write([]byte{1})
	r := expectResult(t, done)
	if r.err != nil || len(r.items) != 1 || r.items[0].Conn != readers[13] || r.items[0].Events != core.PollIn {
		t.Fatalf("Wait = %+v, %v; want pipe 13 readable", r.items, r.err)
	}
	// Still readable: polling read nothing.
	r2, err := p.WaitTimeout(0)
	if err != nil || len(r2) != 1 || r2[0].Conn != readers[13] {
		t.Fatalf("WaitTimeout(0) = %+v, %v", r2, err)
	}
	if after := openFDs(t); after != fdsBefore {
		t.Errorf("%d descriptors open after the waits, %d before", after, fdsBefore)
	}
}

func TestPollerConnTimeoutsAndCancel(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	p := core.NewPoller()
	if err := p.AddConn(r, core.PollIn); err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitTimeout(0); !errors.Is(err, core.ErrWouldBlock) {
		t.Fatalf("WaitTimeout(0) = %v, want ErrWouldBlock", err)
	}
	start := time.Now()
	if _, err := p.WaitTimeout(30 * time.Millisecond); !errors.Is(err, core.ErrWouldBlock) {
		t.Fatalf("WaitTimeout(30ms) = %v, want ErrWouldBlock", err)
	}
	if el := time.Since(start); el < 30*time.Millisecond {
		t.Fatalf("WaitTimeout(30ms) returned after %v", el)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := waitAsync(ctx, p)
	expectBlocked(t, done)
	cancel()
	if res := expectResult(t, done); !errors.Is(res.err, core.ErrWouldBlock) || !errors.Is(res.err, context.Canceled) {
		t.Fatalf("canceled Wait = %v, want ErrWouldBlock and context.Canceled", res.err)
	}
	// Conn-only Poll with a deadline, and a Conn given events 0 is never reported.
	w.Write([]byte{1})
	items := []core.PollItem{{Conn: r, Events: 0}}
	dctx, dcancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer dcancel()
	if n, err := core.Poll(dctx, items); n != 0 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Poll of a Conn with no events = %d, %v", n, err)
	}
}

// TestPollerConnSwitchesModes adds a Conn to a Wait blocked on sockets
// only, then removes it again while the Wait is blocked in poll(2).
func TestPollerConnSwitchesModes(t *testing.T) {
	zc := core.NewContext()
	defer zc.Term()
	pull, push := pollPair(t, zc, "inproc", core.PULL, core.PUSH)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	w.Write([]byte("x"))
	p := core.NewPoller()
	p.Add(pull, core.PollIn)
	done := waitAsync(context.Background(), p)
	expectBlocked(t, done)
	if err := p.AddConn(r, core.PollIn); err != nil {
		t.Fatal(err)
	}
	if res := expectResult(t, done); res.err != nil || len(res.items) != 1 || res.items[0].Conn != r {
		t.Fatalf("Wait after AddConn = %+v, %v", res.items, res.err)
	}
	if err := p.ModifyConn(r, 0); err != nil { // registered, never reported
		t.Fatal(err)
	}
	done = waitAsync(context.Background(), p)
	expectBlocked(t, done)
	if err := p.RemoveConn(r); err != nil {
		t.Fatal(err)
	}
	expectBlocked(t, done)
	push.SendString(pollTestCtx(t), "x")
	if res := expectResult(t, done); res.err != nil || len(res.items) != 1 || res.items[0].Socket != pull {
		t.Fatalf("Wait after RemoveConn = %+v, %v", res.items, res.err)
	}
}

func TestPollerConnErrors(t *testing.T) {
	zc := core.NewContext()
	defer zc.Term()
	s := pollSocket(t, zc, core.PULL)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	p := core.NewPoller()
	for what, err := range map[string]error{
		"AddConn(nil)":          p.AddConn(nil, core.PollIn),
		"ModifyConn(unknown)":   p.ModifyConn(r, core.PollIn),
		"RemoveConn(unknown)":   p.RemoveConn(r),
		"RemoveConn(nil)":       p.RemoveConn(nil),
		"AddConn(incomparable)": p.AddConn(incomparableConn{fn: func() {}}, core.PollIn),
	} {
		if !errors.Is(err, core.ErrInvalid) {
			t.Errorf("%s = %v, want ErrInvalid", what, err)
		}
	}
	if err := p.AddConn(r, core.PollIn); err != nil {
		t.Fatal(err)
	}
	if err := p.AddConn(r, core.PollOut); !errors.Is(err, core.ErrInvalid) {
		t.Errorf("AddConn twice = %v, want ErrInvalid", err)
	}
	for i, items := range [][]core.PollItem{
		{{Events: core.PollIn}},
		{{Socket: s, Conn: r, Events: core.PollIn}},
	} {
		if _, err := core.Poll(pollTestCtx(t), items); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("Poll items %d = %v, want ErrInvalid", i, err)
		}
	}
	// A Conn closed while registered: ErrClosed, also as net.ErrClosed.
	p.Add(s, core.PollIn)
	done := waitAsync(pollTestCtx(t), p)
	expectBlocked(t, done)
	r.Close()
	p.Modify(s, core.PollIn) // any change wakes the Wait, which then sees the closed Conn
	if res := expectResult(t, done); !errors.Is(res.err, core.ErrClosed) {
		t.Fatalf("Wait on a closed Conn = %v, want ErrClosed", res.err)
	}
	if _, err := p.WaitTimeout(0); !errors.Is(err, core.ErrClosed) {
		t.Fatalf("WaitTimeout(0) on a closed Conn = %v, want ErrClosed", err)
	}
}

// incomparableConn cannot be a map key or compared: AddConn refuses it.
type incomparableConn struct{ fn func() }

func (incomparableConn) SyscallConn() (syscall.RawConn, error) { return nil, errors.New("none") }

// TestPollConnListenerAndHangUp: a listener is readable when a connection
// waits to be accepted; a pipe whose writer is gone reports PollErr.
func TestPollConnListenerAndHangUp(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	items := []core.PollItem{
		{Conn: ln.(*net.TCPListener), Events: core.PollIn},
		{Conn: r, Events: core.PollIn},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	if n, err := core.Poll(ctx, items); n != 0 || !errors.Is(err, core.ErrWouldBlock) {
		t.Fatalf("Poll before connecting = %d, %v", n, err)
	}
	cancel()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	w.Close()
	for {
		n, err := core.Poll(pollTestCtx(t), items)
		if err != nil {
			t.Fatal(err)
		}
		if n == 2 {
			break
		}
	}
	if items[0].Revents != core.PollIn {
		t.Errorf("listener Revents %v, want PollIn", items[0].Revents)
	}
	if items[1].Revents&core.PollErr == 0 {
		t.Errorf("pipe without writer: Revents %v, want PollErr", items[1].Revents)
	}
	a, err := ln.Accept()
	if err != nil {
		t.Fatalf("Accept after Poll: %v", err)
	}
	a.Close()
}

// TestPollerConnShutdown: shutting the context down wakes a Wait blocked
// in poll(2).
func TestPollerConnShutdown(t *testing.T) {
	zc := core.NewContext()
	defer zc.Term()
	s := pollSocket(t, zc, core.PULL)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	p := core.NewPoller()
	p.Add(s, core.PollIn)
	p.AddConn(r, core.PollIn)
	done := waitAsync(context.Background(), p)
	expectBlocked(t, done)
	zc.Shutdown()
	if res := expectResult(t, done); !errors.Is(res.err, core.ErrTerminated) {
		t.Fatalf("Wait after Shutdown = %v, want ErrTerminated", res.err)
	}
}
