package core

import (
	"context"
	"encoding/binary"
	"errors"
	"time"
)

// proxyBurst is how many messages one direction forwards before the proxy
// looks at the other direction and the control socket (libzmq uses 1000).
const proxyBurst = 1000

// proxySpinLimit is how many fruitless wake-ups in a row the proxy allows
// before it backs off with short sleeps.
const proxySpinLimit = 8

// Proxy connects frontend and backend, shuttling whole multipart messages
// from frontend to backend and from backend to frontend; it is libzmq's
// zmq_proxy (and the deprecated zmq_device).
//
// Messages are only taken from one socket when the other can accept them,
// so nothing is dropped: when a destination is full (HWM reached, no peer),
// the proxy holds at most one message per direction and waits. If capture
// is not nil, every forwarded message is also sent, whole, to capture
// (libzmq sends each frame with its MORE flag, which gives the same
// multipart message); capture sends block like libzmq's, so a capture that
// cannot keep up (a PUB capture never blocks) slows the proxy down.
//
// frontend and backend may be the same socket (e.g. a REP socket echoing
// what it receives); then messages only flow frontend→backend.
//
// Proxy runs until ctx is done (the error wraps ctx.Err()), the context of
// one of its sockets is shut down (ErrTerminated, libzmq's ETERM), or a
// socket is closed (ErrClosed). Unlike libzmq, a ROUTER with
// ROUTER_MANDATORY whose peer is gone (ErrHostUnreachable) does not stop the
// proxy: that message is dropped. A direction whose sockets cannot receive
// or send (e.g. a PUB backend, which never receives) is simply never used.
func Proxy(ctx context.Context, frontend, backend, capture *Socket) error {
	return ProxySteerable(ctx, frontend, backend, capture, nil)
}

// ProxySteerable is Proxy with a control socket (zmq_proxy_steerable);
// with a nil control it is Proxy. Commands are single-frame messages:
//
//   - "PAUSE": stop forwarding (messages queue up in the sockets).
//   - "RESUME": forward again.
//   - "TERMINATE": return nil.
//   - "STATISTICS": reply with 8 frames, each a uint64 in host byte order
//     (binary.NativeEndian): frontend messages received, bytes received,
//     messages sent, bytes sent, then the same four for backend. As in
//     libzmq, "messages" counts frames: a 3-frame message counts 3, and the
//     bytes are the sum of the frame sizes.
//
// As in libzmq master (not 4.3.5, where PAUSE and RESUME were swapped and
// every command was answered), a control socket of type REP gets an empty
// reply to PAUSE, RESUME, TERMINATE and unknown commands; other types get
// no reply. Unknown commands are otherwise ignored. STATISTICS is answered
// on any control socket that can send; one that cannot (e.g. SUB) gets
// nothing.
func ProxySteerable(ctx context.Context, frontend, backend, capture, control *Socket) error {
	if frontend == nil || backend == nil {
		return opErr("proxy", "", invalid("nil frontend or backend"))
	}
	p := &proxy{front: frontend, back: backend, capture: capture, control: control}
	p.dirs[0] = proxyDir{src: frontend, dst: backend, srcStats: &p.stats[0], dstStats: &p.stats[1]}
	p.ndirs = 1
	if frontend != backend {
		p.dirs[1] = proxyDir{src: backend, dst: frontend, srcStats: &p.stats[1], dstStats: &p.stats[0]}
		p.ndirs = 2
	}
	p.wait = newPollWait()
	err := p.run(ctx)
	p.wait.clear()
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		return opErr("proxy", "", err)
	}
	return nil
}

// proxyStats counts what one socket received and sent, in frames and bytes.
type proxyStats struct {
	recvMsgs, recvBytes, sentMsgs, sentBytes uint64
}

// proxyDir is one forwarding direction.
type proxyDir struct {
	src, dst           *Socket
	srcStats, dstStats *proxyStats
	msg                Msg  // received, reused
	pending            bool // msg was received but not yet sent
	dead               bool // src cannot receive or dst cannot send
}

type proxy struct {
	front, back, capture, control *Socket

	dirs   [2]proxyDir
	ndirs  int
	stats  [2]proxyStats // frontend, backend
	paused bool

	wait    *pollWait
	items   [3]PollItem
	ctrl    Msg
	reply   [8][8]byte
	replyFr [8][]byte
	empty   [1][]byte // the empty reply of a REP control socket

	// spins counts wake-ups in a row that moved nothing. Events can
	// promise room that a particular send then lacks (e.g. ROUTER_MANDATORY
	// with one peer full): the proxy then backs off instead of spinning.
	spins int
}

func (p *proxy) run(ctx context.Context) error {
	done := ctx.Done()
	for {
		select {
		case <-done:
			return ctx.Err()
		default:
		}
		progress := false
		if p.control != nil {
			handled, stop, err := p.handleControl(ctx)
			if err != nil || stop {
				return err
			}
			progress = handled
		}
		if !p.paused {
			for i := 0; i < p.ndirs; i++ {
				moved, err := p.pump(ctx, &p.dirs[i])
				if err != nil {
					return err
				}
				progress = progress || moved
			}
		}
		if progress {
			p.spins = 0
			continue
		}
		p.spins++
		if err := p.idle(ctx); err != nil {
			return err
		}
	}
}

// pump forwards up to proxyBurst messages in direction d without blocking.
func (p *proxy) pump(ctx context.Context, d *proxyDir) (bool, error) {
	if d.dead {
		return false, nil
	}
	moved := false
	for range proxyBurst {
		if !d.pending {
			if err := d.src.recv(ctx, &d.msg, false); err != nil {
				switch {
				case errors.Is(err, ErrWouldBlock):
					return moved, nil
				case errors.Is(err, ErrNotSupported):
					d.dead = true
					return moved, nil
				}
				return moved, err
			}
			d.pending = true
			moved = true
			countMsg(&d.srcStats.recvMsgs, &d.srcStats.recvBytes, &d.msg)
			if p.capture != nil {
				if err := p.capture.send(ctx, &d.msg, true); err != nil {
					return moved, err
				}
			}
		}
		if err := d.dst.send(ctx, &d.msg, false); err != nil {
			switch {
			case errors.Is(err, ErrWouldBlock):
				return moved, nil
			case errors.Is(err, ErrHostUnreachable):
				d.pending = false // peer gone: drop, as ROUTER without MANDATORY would
				moved = true
				continue
			case errors.Is(err, ErrNotSupported):
				d.pending = false
				d.dead = true
				return moved, nil
			}
			return moved, err
		}
		d.pending = false
		moved = true
		countMsg(&d.dstStats.sentMsgs, &d.dstStats.sentBytes, &d.msg)
	}
	return moved, nil
}

func countMsg(msgs, bytes *uint64, m *Msg) {
	*msgs += uint64(len(m.Frames))
	for _, f := range m.Frames {
		*bytes += uint64(len(f))
	}
}

// idle waits until something the proxy can act on may be ready: input on
// a source whose destination had room, room on a destination a message
// waits for, or a control command.
func (p *proxy) idle(ctx context.Context) error {
	n := 0
	add := func(s *Socket, ev PollEvents) {
		for i := 0; i < n; i++ {
			if p.items[i].Socket == s {
				p.items[i].Events |= ev
				return
			}
		}
		p.items[n] = PollItem{Socket: s, Events: ev}
		n++
	}
	if !p.paused {
		for i := 0; i < p.ndirs; i++ {
			d := &p.dirs[i]
			switch {
			case d.dead:
			case d.pending:
				add(d.dst, PollOut)
			default:
				add(d.src, PollIn)
			}
		}
	}
	if p.control != nil {
		add(p.control, PollIn)
	}
	if n == 0 {
		// Nothing can ever happen (both directions dead, no control):
		// wait for the end, still noticing a shutdown of the context.
		add(p.front, 0)
	}
	if p.spins > proxySpinLimit {
		t := time.NewTimer(time.Duration(min(p.spins-proxySpinLimit, 10)) * time.Millisecond)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	_, err := p.wait.pollItems(ctx, p.items[:n], -1)
	clear(p.items[:n])
	return err
}

// handleControl executes the control commands that are waiting.
func (p *proxy) handleControl(ctx context.Context) (handled, stop bool, err error) {
	for ; ; handled = true {
		if err := p.control.recv(ctx, &p.ctrl, false); err != nil {
			if errors.Is(err, ErrWouldBlock) {
				return handled, false, nil
			}
			return handled, false, err
		}
		var cmd []byte
		if len(p.ctrl.Frames) > 0 {
			cmd = p.ctrl.Frames[0]
		}
		switch string(cmd) {
		case "STATISTICS":
			if err := p.sendStats(ctx); err != nil {
				return true, false, err
			}
			continue
		case "PAUSE":
			p.paused = true
		case "RESUME":
			p.paused = false
		case "TERMINATE":
			stop = true
		}
		if p.control.typ == REP {
			if err := p.control.send(ctx, &Msg{Frames: p.empty[:]}, true); err != nil {
				return true, false, err
			}
		}
		if stop {
			return true, true, nil
		}
	}
}

func (p *proxy) sendStats(ctx context.Context) error {
	vals := [8]uint64{
		p.stats[0].recvMsgs, p.stats[0].recvBytes, p.stats[0].sentMsgs, p.stats[0].sentBytes,
		p.stats[1].recvMsgs, p.stats[1].recvBytes, p.stats[1].sentMsgs, p.stats[1].sentBytes,
	}
	for i, v := range vals {
		binary.NativeEndian.PutUint64(p.reply[i][:], v)
		p.replyFr[i] = p.reply[i][:]
	}
	m := Msg{Frames: p.replyFr[:]}
	err := p.control.send(ctx, &m, true)
	if errors.Is(err, ErrNotSupported) {
		return nil
	}
	return err
}
