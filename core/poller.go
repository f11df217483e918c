package core

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Poll events of standard sockets and files (Conn items), with libzmq's
// values. Sockets report only PollIn and PollOut.
const (
	// PollErr (ZMQ_POLLERR): an error or hang-up condition on a Conn item
	// (poll(2)'s POLLERR, POLLHUP, POLLNVAL). It is reported whether
	// requested or not, as by poll(2) and zmq_poll.
	PollErr PollEvents = 4
	// PollPri (ZMQ_POLLPRI): urgent data to read on a Conn item.
	PollPri PollEvents = 8
)

// PollItem is one entry of a [Poll] call: libzmq's zmq_pollitem_t. Set
// either Socket or Conn. Events says what to wait for; Poll sets Revents
// to what is ready.
type PollItem struct {
	Socket *Socket
	// Conn is a standard socket or file polled beside the sockets
	// (zmq_pollitem_t.fd): anything with a SyscallConn method, such as
	// the connections of package net (*net.TCPConn, *net.UnixConn, ...;
	// assert a net.Conn with c.(syscall.Conn)), a *net.TCPListener or
	// *net.UnixListener (readable: a connection to accept), or an *os.File
	// for a pipe or terminal.
	// Polling reads nothing from it. It needs poll(2): on Windows and
	// other systems without it, Poll fails with ErrNotSupported.
	Conn    syscall.Conn
	Events  PollEvents // requested: PollIn, PollOut or both, PollPri for a Conn (zmq_pollitem_t.events)
	Revents PollEvents // filled by Poll (zmq_pollitem_t.revents)
}

// PolledItem is a socket or Conn reported ready by [Poller.Wait], with
// the subset of its requested events that is ready (zmq_poller_event_t);
// PollErr may be set for a Conn.
type PolledItem struct {
	Socket *Socket
	Conn   syscall.Conn
	Events PollEvents
}

// pollEntry is a socket, or a Conn and its RawConn, and the events wanted
// on it.
type pollEntry struct {
	s  *Socket
	c  syscall.Conn
	rc syscall.RawConn
	ev PollEvents
}

// errNoFDPoll is the error for Conn items where poll(2) is missing.
var errNoFDPoll = fmt.Errorf("%w: polling a syscall.Conn on %s", ErrNotSupported, runtime.GOOS)

// connClosed is the error for a Conn item that can no longer be polled.
func connClosed(i int, err error) error {
	return fmt.Errorf("%w: poll item %d: %w", ErrClosed, i, err)
}

// rawConnOf checks a Conn for polling and returns its RawConn.
func rawConnOf(c syscall.Conn) (syscall.RawConn, error) {
	if !fdPollSupported {
		return nil, errNoFDPoll
	}
	if !reflect.TypeOf(c).Comparable() {
		return nil, invalid("Conn of incomparable type %T", c)
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("%w: %T has no descriptor to poll: %w", ErrInvalid, c, err)
	}
	return rc, nil
}

// Poller waits for readiness on a set of sockets and standard sockets or
// files (Conns); it is libzmq's zmq_poller_t (zmq_poller_new / add /
// modify / remove / wait_all, and the _fd variants).
//
// When Conns are registered, a Wait makes one poll(2) call on all their
// descriptors that a socket becoming ready, a change to the Poller or the
// end of the context interrupts: no goroutine per item, and nothing is
// read from the Conns.
//
// Unlike libzmq's, a Poller is safe for concurrent use: sockets may be added,
// modified and removed while other goroutines are in Wait, which then pick
// up the change. A Poller holds no resources between Waits (a waiting
// goroutine registers with its sockets and unregisters before returning),
// so it needs no Close and may simply be dropped.
type Poller struct {
	mu    sync.Mutex
	items []pollEntry
	gen   atomic.Uint64 // bumped on every change of items
	waits []*pollWait   // Waits in progress, woken on changes
	free  []*pollWait   // recycled wait state
}

// NewPoller returns an empty poller (zmq_poller_new).
func NewPoller() *Poller { return &Poller{} }

// Size returns the number of registered sockets and Conns (zmq_poller_size).
func (p *Poller) Size() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.items)
}

// Add registers s for events (zmq_poller_add). Adding a socket that is
// already registered fails with ErrInvalid, as does a nil socket.
// events may be 0: the socket stays registered but is never reported.
func (p *Poller) Add(s *Socket, events PollEvents) error {
	if s == nil {
		return opErr("poller_add", "", invalid("nil socket"))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.find(s) >= 0 {
		return opErr("poller_add", "", invalid("socket already in poller"))
	}
	p.items = append(p.items, pollEntry{s: s, ev: events})
	p.changedLocked()
	return nil
}

// AddConn registers a standard socket or file for events
// (zmq_poller_add_fd): PollIn, PollOut, PollPri; PollErr is reported
// anyway. Adding one twice, a nil Conn or one without a descriptor fails
// with ErrInvalid; where poll(2) is missing (Windows), with
// ErrNotSupported. The Poller does not own c: close it after RemoveConn
// (a Conn closed while registered makes Wait fail with ErrClosed).
func (p *Poller) AddConn(c syscall.Conn, events PollEvents) error {
	if c == nil {
		return opErr("poller_add_fd", "", invalid("nil Conn"))
	}
	rc, err := rawConnOf(c)
	if err != nil {
		return opErr("poller_add_fd", "", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.findConn(c) >= 0 {
		return opErr("poller_add_fd", "", invalid("Conn already in poller"))
	}
	p.items = append(p.items, pollEntry{c: c, rc: rc, ev: events})
	p.changedLocked()
	return nil
}

// ModifyConn changes the events c is polled for (zmq_poller_modify_fd);
// an unregistered Conn fails with ErrInvalid.
func (p *Poller) ModifyConn(c syscall.Conn, events PollEvents) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := p.findConn(c)
	if i < 0 {
		return opErr("poller_modify_fd", "", invalid("Conn not in poller"))
	}
	p.items[i].ev = events
	p.changedLocked()
	return nil
}

// RemoveConn unregisters c (zmq_poller_remove_fd); an unregistered Conn
// fails with ErrInvalid.
func (p *Poller) RemoveConn(c syscall.Conn) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := p.findConn(c)
	if i < 0 {
		return opErr("poller_remove_fd", "", invalid("Conn not in poller"))
	}
	p.removeLocked(i)
	return nil
}

func (p *Poller) removeLocked(i int) {
	last := len(p.items) - 1
	copy(p.items[i:], p.items[i+1:])
	p.items[last] = pollEntry{} // drop the reference
	p.items = p.items[:last]
	p.changedLocked()
}

func (p *Poller) findConn(c syscall.Conn) int {
	if c == nil || !reflect.TypeOf(c).Comparable() {
		return -1
	}
	for i, e := range p.items {
		if e.c == c {
			return i
		}
	}
	return -1
}

// Modify changes the events s is polled for (zmq_poller_modify); an
// unregistered socket fails with ErrInvalid.
func (p *Poller) Modify(s *Socket, events PollEvents) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := p.find(s)
	if i < 0 {
		return opErr("poller_modify", "", invalid("socket not in poller"))
	}
	p.items[i].ev = events
	p.changedLocked()
	return nil
}

// Remove unregisters s (zmq_poller_remove); an unregistered socket fails
// with ErrInvalid. Closed sockets must be removed, or Wait keeps failing
// with ErrClosed.
func (p *Poller) Remove(s *Socket) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	i := p.find(s)
	if i < 0 {
		return opErr("poller_remove", "", invalid("socket not in poller"))
	}
	p.removeLocked(i)
	return nil
}

func (p *Poller) find(s *Socket) int {
	if s == nil {
		return -1
	}
	for i, e := range p.items {
		if e.s == s {
			return i
		}
	}
	return -1
}

// changedLocked tells Waits in progress that the set changed.
func (p *Poller) changedLocked() {
	p.gen.Add(1)
	for _, w := range p.waits {
		w.signal()
	}
}

// Wait blocks until at least one registered socket or Conn is ready for
// the events it was added with and returns every ready one, in the order
// they were added (zmq_poller_wait_all). When ctx is done first it fails
// with an error that wraps both ErrWouldBlock and ctx.Err(), like
// Socket.Recv.
//
// It fails with ErrClosed when a registered socket or Conn is closed, with
// ErrTerminated when a registered socket's context is shut down, and with
// ErrInvalid when nothing is registered and ctx can never be done
// (libzmq's EFAULT). An idle Wait uses no CPU.
func (p *Poller) Wait(ctx context.Context) ([]PolledItem, error) {
	return p.WaitInto(ctx, nil)
}

// WaitInto is Wait storing the result in dst's storage (dst[:0] is appended
// to), so a caller that passes back the previous result allocates nothing
// in steady state.
func (p *Poller) WaitInto(ctx context.Context, dst []PolledItem) ([]PolledItem, error) {
	return p.wait(ctx, -1, dst)
}

// WaitTimeout is Wait with a timeout instead of a context, in
// zmq_poller_wait_all style: d < 0 waits forever, d == 0 only checks, and
// when d expires with nothing ready it fails with ErrWouldBlock (EAGAIN).
func (p *Poller) WaitTimeout(d time.Duration) ([]PolledItem, error) {
	if d < 0 {
		return p.wait(context.Background(), -1, nil)
	}
	return p.wait(context.Background(), d, nil)
}

func (p *Poller) wait(ctx context.Context, d time.Duration, dst []PolledItem) ([]PolledItem, error) {
	w := p.acquire()
	w.out = dst[:0]
	_, err := w.loop(ctx, d, p)
	out := w.out
	w.out = nil
	p.release(w)
	if err != nil {
		return out[:0], opErr("poll", "", err)
	}
	return out, nil
}

// acquire returns wait state holding a snapshot of the items, registered
// in p.waits so that changes wake it.
func (p *Poller) acquire() *pollWait {
	p.mu.Lock()
	var w *pollWait
	if n := len(p.free); n > 0 {
		w = p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
	} else {
		w = newPollWait()
	}
	p.waits = append(p.waits, w)
	p.snapshotLocked(w)
	p.mu.Unlock()
	return w
}

func (p *Poller) snapshotLocked(w *pollWait) {
	w.snap = append(w.snap[:0], p.items...)
	w.gen = p.gen.Load()
	w.snapped()
}

// resnap refreshes w's snapshot if the set changed since it was taken.
func (p *Poller) resnap(w *pollWait) bool {
	if p.gen.Load() == w.gen {
		return false
	}
	p.mu.Lock()
	p.snapshotLocked(w)
	p.mu.Unlock()
	return true
}

func (p *Poller) release(w *pollWait) {
	w.clear()
	p.mu.Lock()
	for i, x := range p.waits {
		if x == w {
			last := len(p.waits) - 1
			p.waits[i] = p.waits[last]
			p.waits[last] = nil
			p.waits = p.waits[:last]
			break
		}
	}
	if len(p.free) < 4 {
		p.free = append(p.free, w)
	}
	p.mu.Unlock()
}

// Poll waits until at least one item is ready, in zmq_poll style: it sets
// every item's Revents to the subset of its Events that is ready and
// returns how many items have a non-zero Revents. Items are sockets or
// standard sockets and files (PollItem.Conn), waited for together without
// a goroutine per item; a socket may appear in several items. When ctx is
// done first it returns 0 and an error wrapping ErrWouldBlock and
// ctx.Err() (where zmq_poll would return 0 on timeout).
//
// It fails with ErrInvalid for an item with neither or both of Socket and
// Conn, or when items is empty and ctx can never be done; with ErrClosed
// when an item's socket or Conn is closed; with ErrTerminated when an
// item's socket's context is shut down; and with ErrNotSupported for a
// Conn where poll(2) is missing (Windows). With no items it waits for
// ctx. With sockets only it allocates nothing in steady state.
func Poll(ctx context.Context, items []PollItem) (int, error) {
	for i := range items {
		if (items[i].Socket == nil) == (items[i].Conn == nil) {
			return 0, opErr("poll", "", invalid("poll item %d: set one of Socket and Conn", i))
		}
	}
	w := pollWaitPool.Get().(*pollWait)
	n, err := w.pollItems(ctx, items, -1)
	w.clear()
	pollWaitPool.Put(w)
	return n, opErr("poll", "", err)
}

var pollWaitPool = sync.Pool{New: func() any { return newPollWait() }}

// pollWait is the state of one wait in progress: a wake-up channel the
// polled sockets signal (and, when Conns are polled, the descriptor
// poll(2) watches beside them), and what is polled.
type pollWait struct {
	ch    chan struct{}
	waker atomic.Pointer[fdWaker] // set while poll(2) may block
	snap  []pollEntry
	gen   uint64
	nconn int          // Conn entries in snap
	fdEv  []PollEvents // Conn entries: ready events from the last poll(2), parallel to snap
	fds   fdSet

	out   []PolledItem // Poller.Wait: ready sockets
	items []PollItem   // Poll: the caller's items, parallel to snap

	timer *time.Timer

	// watchers for the termination of contexts other than the first
	quit  chan struct{}
	extra []*Context
	wg    sync.WaitGroup
}

func newPollWait() *pollWait {
	return &pollWait{ch: make(chan struct{}, 1)}
}

func (w *pollWait) signal() {
	select {
	case w.ch <- struct{}{}:
	default:
	}
	if k := w.waker.Load(); k != nil {
		k.wake()
	}
}

// clear drops references and stale signals so w can be reused.
func (w *pollWait) clear() {
	clear(w.snap)
	w.snap = w.snap[:0]
	w.nconn = 0
	w.items = nil
	select {
	case <-w.ch:
	default:
	}
}

// pollItems polls items (Poll, and the proxy's idle wait).
func (w *pollWait) pollItems(ctx context.Context, items []PollItem, d time.Duration) (int, error) {
	w.snap = w.snap[:0]
	for i, it := range items {
		e := pollEntry{s: it.Socket, c: it.Conn, ev: it.Events}
		if e.c != nil {
			rc, err := rawConnOf(e.c)
			if err != nil {
				clear(w.snap)
				return 0, fmt.Errorf("poll item %d: %w", i, err)
			}
			e.rc = rc
		}
		w.snap = append(w.snap, e)
	}
	w.snapped()
	w.items = items
	return w.loop(ctx, d, nil)
}

// snapped updates what depends on snap after it changed.
func (w *pollWait) snapped() {
	w.nconn = 0
	for _, e := range w.snap {
		if e.c != nil {
			w.nconn++
		}
	}
	if w.nconn > 0 {
		if cap(w.fdEv) < len(w.snap) {
			w.fdEv = make([]PollEvents, len(w.snap))
		}
		w.fdEv = w.fdEv[:len(w.snap)]
		clear(w.fdEv)
	}
}

func (w *pollWait) register() {
	for _, e := range w.snap {
		if e.s != nil {
			e.s.addWaiter(w)
		}
	}
}

func (w *pollWait) unregister() {
	for _, e := range w.snap {
		if e.s != nil {
			e.s.removeWaiter(w)
		}
	}
}

// watchTerm returns the termination channel of the first socket's
// context; for sockets of other contexts it starts watchers that signal w.
func (w *pollWait) watchTerm() <-chan struct{} {
	var first *Context
	for _, e := range w.snap {
		if e.s == nil {
			continue
		}
		c := e.s.ctx
		if first == nil {
			first = c
			continue
		}
		if c == first || w.watching(c) {
			continue
		}
		if w.quit == nil {
			w.quit = make(chan struct{})
		}
		w.extra = append(w.extra, c)
		w.wg.Add(1)
		go func(term, quit <-chan struct{}) {
			defer w.wg.Done()
			select {
			case <-term:
				w.signal()
			case <-quit:
			}
		}(c.termCh, w.quit)
	}
	if first == nil {
		return nil
	}
	return first.termCh
}

func (w *pollWait) watching(c *Context) bool {
	for _, x := range w.extra {
		if x == c {
			return true
		}
	}
	return false
}

func (w *pollWait) stopWatch() {
	if w.quit == nil {
		return
	}
	close(w.quit)
	w.wg.Wait()
	w.quit = nil
	clear(w.extra)
	w.extra = w.extra[:0]
}

// check looks at every polled socket once, and at what the last poll(2)
// said of the Conns; it returns how many are ready.
func (w *pollWait) check() (int, error) {
	n := 0
	if w.items != nil {
		for i, e := range w.snap {
			ev, err := w.state(i, e)
			if err != nil {
				return 0, err
			}
			w.items[i].Revents = ev
			if ev != 0 {
				n++
			}
		}
		return n, nil
	}
	w.out = w.out[:0]
	for i, e := range w.snap {
		ev, err := w.state(i, e)
		if err != nil {
			w.out = w.out[:0]
			return 0, err
		}
		if ev != 0 {
			w.out = append(w.out, PolledItem{Socket: e.s, Conn: e.c, Events: ev})
		}
	}
	return len(w.out), nil
}

// state returns which of the wanted events is ready on snap[i].
func (w *pollWait) state(i int, e pollEntry) (PollEvents, error) {
	if e.s != nil {
		return pollState(e.s, e.ev)
	}
	if e.ev == 0 {
		return 0, nil
	}
	return w.fdEv[i] & (e.ev | PollErr), nil
}

// socketsReady reports whether a polled socket is ready now.
func (w *pollWait) socketsReady() (bool, error) {
	for _, e := range w.snap {
		if e.s == nil {
			continue
		}
		ev, err := pollState(e.s, e.ev)
		if err != nil || ev != 0 {
			return ev != 0, err
		}
	}
	return false, nil
}

// pollState returns which of want is ready on s, or why s cannot be polled.
func pollState(s *Socket, want PollEvents) (PollEvents, error) {
	if s.ctx.terminated() {
		return 0, ErrTerminated
	}
	ev := s.Events() & want
	if ev == 0 {
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return 0, ErrClosed
		}
	}
	return ev, nil
}

// loop waits until check finds something ready. d < 0: until ctx is done;
// d == 0: check once; d > 0: at most d. p, if not nil, is the poller whose
// changes make the snapshot be refreshed.
func (w *pollWait) loop(ctx context.Context, d time.Duration, p *Poller) (int, error) {
	if d == 0 { // just check: no need to register
		if w.nconn > 0 {
			if err := w.pollFDs(0, nil); err != nil {
				return 0, err
			}
		}
		n, err := w.check()
		if err == nil && n == 0 {
			err = ErrWouldBlock
		}
		return n, err
	}
	var deadline time.Time
	if d > 0 {
		deadline = time.Now().Add(d)
	}
	for {
		var n int
		var err error
		var again bool
		if w.nconn > 0 {
			n, err, again = w.fdLoop(ctx, deadline, p)
		} else {
			n, err, again = w.chanLoop(ctx, deadline, p)
		}
		if !again {
			return n, err
		}
	}
}

// chanLoop is loop for sockets only: it waits on w.ch. again reports that
// Conns were added to the snapshot, which needs fdLoop.
func (w *pollWait) chanLoop(ctx context.Context, deadline time.Time, p *Poller) (n int, err error, again bool) {
	w.register()
	term := w.watchTerm()
	var timeout <-chan time.Time
	defer func() {
		w.unregister()
		w.stopWatch()
		if timeout != nil {
			w.timer.Stop()
		}
	}()
	for {
		// Registered before checking: a change after the check signals w.ch.
		if n, err = w.check(); err != nil || n > 0 {
			return n, err, false
		}
		if !deadline.IsZero() && timeout == nil {
			d := time.Until(deadline)
			if d <= 0 {
				return 0, ErrWouldBlock, false
			}
			if w.timer == nil {
				w.timer = time.NewTimer(d)
			} else {
				w.timer.Reset(d)
			}
			timeout = w.timer.C
		}
		done := ctx.Done()
		if len(w.snap) == 0 && done == nil && timeout == nil {
			// libzmq's EFAULT; an Add that raced with us still counts.
			if p == nil || !p.resnap(w) {
				return 0, invalid("nothing to poll and no timeout"), false
			}
			if w.nconn > 0 {
				return 0, nil, true
			}
			w.register()
			term = w.watchTerm()
			continue
		}
		select {
		case <-w.ch:
		case <-term:
		case <-timeout:
			return 0, ErrWouldBlock, false
		case <-done:
			return 0, fmt.Errorf("%w: %w", ErrWouldBlock, ctx.Err()), false
		}
		if p != nil && p.gen.Load() != w.gen {
			w.unregister()
			w.stopWatch()
			p.resnap(w)
			if w.nconn > 0 {
				return 0, nil, true
			}
			w.register()
			term = w.watchTerm()
		}
	}
}

// fdLoop is loop when Conns are polled: it blocks in poll(2) on their
// descriptors and on a waker that the sockets, the Poller, ctx and the
// contexts' shutdown signal. again reports that no Conn is left in the
// snapshot, which chanLoop then handles.
func (w *pollWait) fdLoop(ctx context.Context, deadline time.Time, p *Poller) (n int, err error, again bool) {
	k, err := newFDWaker()
	if err != nil {
		return 0, err, false
	}
	w.waker.Store(k)
	w.register()
	var stopCtx func() bool
	if ctx.Done() != nil {
		stopCtx = context.AfterFunc(ctx, w.signal)
	}
	defer func() {
		if stopCtx != nil {
			stopCtx()
		}
		w.unregister()
		w.waker.Store(nil)
		k.close()
	}()
	for {
		// Drained and registered before checking: a change after the
		// check makes the waker readable, which ends poll(2).
		k.drain()
		timeout := time.Duration(-1)
		if !deadline.IsZero() {
			timeout = max(time.Until(deadline), 0)
		}
		if ready, err := w.socketsReady(); err != nil {
			return 0, err, false
		} else if ready || ctx.Err() != nil {
			timeout = 0
		}
		if err := w.pollFDs(timeout, k); err != nil {
			return 0, err, false
		}
		if n, err = w.check(); err != nil || n > 0 {
			return n, err, false
		}
		if ctx.Err() != nil {
			return 0, fmt.Errorf("%w: %w", ErrWouldBlock, ctx.Err()), false
		}
		if !deadline.IsZero() && !time.Now().Before(deadline) {
			return 0, ErrWouldBlock, false
		}
		if p != nil && p.gen.Load() != w.gen {
			w.unregister()
			p.resnap(w)
			if w.nconn == 0 {
				return 0, nil, true
			}
			w.register()
		}
	}
}
