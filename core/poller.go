package core

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// PollItem is one entry of a [Poll] call: libzmq's zmq_pollitem_t for a
// socket (raw file descriptors are not supported). Events says what to wait
// for; Poll sets Revents to what is ready.
type PollItem struct {
	Socket  *Socket
	Events  PollEvents // requested: PollIn, PollOut or both (zmq_pollitem_t.events)
	Revents PollEvents // filled by Poll (zmq_pollitem_t.revents)
}

// PolledItem is a socket reported ready by [Poller.Wait], with the subset
// of its requested events that is ready (zmq_poller_event_t).
type PolledItem struct {
	Socket *Socket
	Events PollEvents
}

// pollEntry is a socket and the events wanted on it.
type pollEntry struct {
	s  *Socket
	ev PollEvents
}

// Poller waits for readiness on a set of sockets; it is libzmq's
// zmq_poller_t (zmq_poller_new / add / modify / remove / wait_all).
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

// Size returns the number of registered sockets (zmq_poller_size).
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
	last := len(p.items) - 1
	copy(p.items[i:], p.items[i+1:])
	p.items[last] = pollEntry{} // drop the reference
	p.items = p.items[:last]
	p.changedLocked()
	return nil
}

func (p *Poller) find(s *Socket) int {
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

// Wait blocks until at least one registered socket is ready for the events
// it was added with and returns every ready socket, in the order they were
// added (zmq_poller_wait_all). When ctx is done first it fails with an error
// that wraps both ErrWouldBlock and ctx.Err(), like Socket.Recv.
//
// It fails with ErrClosed when a registered socket is closed, with
// ErrTerminated when a registered socket's context is shut down, and with
// ErrInvalid when no socket is registered and ctx can never be done
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
// returns how many items have a non-zero Revents. A socket may appear in
// several items. When ctx is done first it returns 0 and an error wrapping
// ErrWouldBlock and ctx.Err() (where zmq_poll would return 0 on timeout).
//
// It fails with ErrInvalid for a nil socket, or when items is empty and
// ctx can never be done; with ErrClosed when an item's socket is closed; and
// with ErrTerminated when an item's socket's context is shut down. With no
// items it waits for ctx. It allocates nothing in steady state.
func Poll(ctx context.Context, items []PollItem) (int, error) {
	for i := range items {
		if items[i].Socket == nil {
			return 0, opErr("poll", "", invalid("nil socket in poll item %d", i))
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
// polled sockets signal, and what is polled.
type pollWait struct {
	ch   chan struct{}
	snap []pollEntry
	gen  uint64

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
}

// clear drops references and stale signals so w can be reused.
func (w *pollWait) clear() {
	clear(w.snap)
	w.snap = w.snap[:0]
	w.items = nil
	select {
	case <-w.ch:
	default:
	}
}

// pollItems polls items (Poll, and the proxy's idle wait).
func (w *pollWait) pollItems(ctx context.Context, items []PollItem, d time.Duration) (int, error) {
	w.snap = w.snap[:0]
	for _, it := range items {
		w.snap = append(w.snap, pollEntry{s: it.Socket, ev: it.Events})
	}
	w.items = items
	return w.loop(ctx, d, nil)
}

func (w *pollWait) register() {
	for _, e := range w.snap {
		e.s.addWaiter(w.ch)
	}
}

func (w *pollWait) unregister() {
	for _, e := range w.snap {
		e.s.removeWaiter(w.ch)
	}
}

// watchTerm returns the termination channel of the first socket's
// context; for sockets of other contexts it starts watchers that signal w.
func (w *pollWait) watchTerm() <-chan struct{} {
	var first *Context
	for _, e := range w.snap {
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

// check looks at every polled socket once; it returns how many are ready.
func (w *pollWait) check() (int, error) {
	n := 0
	if w.items != nil {
		for i, e := range w.snap {
			ev, err := pollState(e.s, e.ev)
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
	for _, e := range w.snap {
		ev, err := pollState(e.s, e.ev)
		if err != nil {
			w.out = w.out[:0]
			return 0, err
		}
		if ev != 0 {
			w.out = append(w.out, PolledItem{Socket: e.s, Events: ev})
		}
	}
	return len(w.out), nil
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
func (w *pollWait) loop(ctx context.Context, d time.Duration, p *Poller) (n int, err error) {
	if d == 0 { // just check: no need to register
		if n, err = w.check(); err == nil && n == 0 {
			err = ErrWouldBlock
		}
		return n, err
	}
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
			return n, err
		}
		if d > 0 && timeout == nil {
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
				return 0, invalid("nothing to poll and no timeout")
			}
			w.register()
			term = w.watchTerm()
			continue
		}
		select {
		case <-w.ch:
		case <-term:
		case <-timeout:
			return 0, ErrWouldBlock
		case <-done:
			return 0, fmt.Errorf("%w: %w", ErrWouldBlock, ctx.Err())
		}
		if p != nil && p.gen.Load() != w.gen {
			w.unregister()
			w.stopWatch()
			p.resnap(w)
			w.register()
			term = w.watchTerm()
		}
	}
}
