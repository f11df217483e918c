package serve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/zmqkit/zmqkit/registry/external/internal/wire"
	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/registry/transport"
)

// server implements wire.Server over the plugins of one binary.
type server struct {
	cfg  Config
	log  hclog.Logger
	side *wire.SideWriter

	nextID    atomic.Uint64
	mu        sync.Mutex
	listeners map[uint64]*listener
	conns     map[uint64]*pumped
	wg        sync.WaitGroup
}

type listener struct {
	l    transport.Listener
	hook *hook
	kind transport.Kind
	keep bool // hand no descriptor over: pump every connection
}

func newServer(cfg Config, log hclog.Logger) *server {
	return &server{cfg: cfg, log: log, listeners: map[uint64]*listener{}, conns: map[uint64]*pumped{}}
}

// shutdown closes what is left when the host stops the plugin.
func (s *server) shutdown() {
	s.mu.Lock()
	ls := s.listeners
	cs := s.conns
	s.listeners, s.conns = map[uint64]*listener{}, map[uint64]*pumped{}
	s.mu.Unlock()
	for _, l := range ls {
		l.l.Close()
	}
	for _, c := range cs {
		c.close()
	}
}

// hook forwards a transport's events: into the reply of the call under
// way on it, else over the side channel, tagged with the host's hook id.
type hook struct {
	s     *server
	id    uint64
	mu    sync.Mutex
	calls []*[]wire.Event
}

func (h *hook) TransportEvent(e transport.Event) {
	h.mu.Lock()
	if n := len(h.calls); n > 0 {
		*h.calls[n-1] = append(*h.calls[n-1], wire.FromEvent(e))
		h.mu.Unlock()
		return
	}
	h.mu.Unlock()
	if h.s.side != nil && h.id != 0 {
		if err := h.s.side.SendEvent(h.id, wire.FromEvent(e)); err != nil {
			h.s.log.Warn("event lost", "kind", e.Kind, "error", err)
		}
	}
}

func (h *hook) begin() *[]wire.Event {
	evs := new([]wire.Event)
	h.mu.Lock()
	h.calls = append(h.calls, evs)
	h.mu.Unlock()
	return evs
}

func (h *hook) end(evs *[]wire.Event) []wire.Event {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, c := range h.calls {
		if c == evs {
			h.calls = append(h.calls[:i], h.calls[i+1:]...)
			break
		}
	}
	return *evs
}

func (s *server) Describe(context.Context, *wire.DescribeRequest) (*wire.DescribeReply, error) {
	r := &wire.DescribeReply{Name: s.cfg.Name, Pid: os.Getpid(), GoVersion: runtime.Version(),
		Version: s.cfg.Version, Module: mainModule(), FDPassing: s.side != nil && s.side.FDPassing(), Channels: s.side != nil}
	for _, t := range s.cfg.Transports {
		_, dc := t.(transport.DialChecker)
		r.Transports = append(r.Transports, wire.TransportInfo{Schemes: t.Schemes(), Kind: t.Kind(),
			DialChecker: dc, Version: pluginVersion(t)})
	}
	for _, m := range s.cfg.Mechanisms {
		r.Mechanisms = append(r.Mechanisms, wire.MechanismInfo{Name: m.Name(), Export: exportable(m), Version: pluginVersion(m)})
	}
	if r.Version == "" && (len(r.Transports) > 0 || len(r.Mechanisms) > 0) {
		r.Version = binaryVersion(s.cfg)
	}
	return r, nil
}

// exportable reports whether m's sessions can hand their state over: it
// says so by implementing StateImporter, the other half.
func exportable(m mechanism.Mechanism) bool {
	_, ok := m.(mechanism.StateImporter)
	return ok
}

func (s *server) Ping(context.Context, *wire.PingRequest) (*wire.PingReply, error) {
	return &wire.PingReply{Pid: os.Getpid()}, nil
}

func (s *server) transport(i int) (transport.Transport, error) {
	if i < 0 || i >= len(s.cfg.Transports) {
		return nil, fmt.Errorf("no transport %d", i)
	}
	return s.cfg.Transports[i], nil
}

func (s *server) Listen(ctx context.Context, req *wire.ListenRequest) (*wire.ListenReply, error) {
	t, err := s.transport(req.Transport)
	if err != nil {
		return &wire.ListenReply{Err: wire.FromError(err)}, nil
	}
	h := &hook{s: s, id: req.Hook}
	evs := h.begin()
	l, err := t.Listen(ctx, req.Scheme, req.Addr, req.Config.ToConfig(h))
	ev := h.end(evs)
	if err != nil {
		return &wire.ListenReply{Events: ev, Err: wire.FromError(err)}, nil
	}
	id := s.nextID.Add(1)
	s.mu.Lock()
	s.listeners[id] = &listener{l: l, hook: h, kind: t.Kind(), keep: req.KeepConns}
	s.mu.Unlock()
	return &wire.ListenReply{Listener: id, Endpoint: l.Endpoint(), Events: ev}, nil
}

func (s *server) listener(id uint64) (*listener, error) {
	s.mu.Lock()
	l := s.listeners[id]
	s.mu.Unlock()
	if l == nil {
		return nil, fmt.Errorf("%w: no listener %d", transport.ErrClosed, id)
	}
	return l, nil
}

func (s *server) Accept(ctx context.Context, req *wire.AcceptRequest) (*wire.ConnReply, error) {
	l, err := s.listener(req.Listener)
	if err != nil {
		return &wire.ConnReply{Err: wire.FromError(err)}, nil
	}
	evs := l.hook.begin()
	c, err := l.l.Accept(ctx)
	ev := l.hook.end(evs)
	if err != nil {
		return &wire.ConnReply{Events: ev, Err: wire.FromError(err)}, nil
	}
	return s.handOver(c, l.kind, req.Token, l.keep, ev), nil
}

func (s *server) Close(_ context.Context, req *wire.CloseRequest) (*wire.ErrReply, error) {
	l, err := s.listener(req.Listener)
	if err != nil {
		return &wire.ErrReply{Err: wire.FromError(err)}, nil
	}
	s.mu.Lock()
	delete(s.listeners, req.Listener)
	s.mu.Unlock()
	evs := l.hook.begin()
	err = l.l.Close()
	return &wire.ErrReply{Events: l.hook.end(evs), Err: wire.FromError(err)}, nil
}

func (s *server) Dial(ctx context.Context, req *wire.DialRequest) (*wire.ConnReply, error) {
	t, err := s.transport(req.Transport)
	if err != nil {
		return &wire.ConnReply{Err: wire.FromError(err)}, nil
	}
	h := &hook{s: s, id: req.Hook}
	evs := h.begin()
	c, err := t.Dial(ctx, req.Scheme, req.Addr, req.Config.ToConfig(h))
	ev := h.end(evs)
	if err != nil {
		return &wire.ConnReply{Events: ev, Err: wire.FromError(err)}, nil
	}
	return s.handOver(c, t.Kind(), req.Token, req.KeepConns, ev), nil
}

func (s *server) CheckDial(_ context.Context, req *wire.CheckDialRequest) (*wire.ErrReply, error) {
	t, err := s.transport(req.Transport)
	if err != nil {
		return &wire.ErrReply{Err: wire.FromError(err)}, nil
	}
	dc, ok := t.(transport.DialChecker)
	if !ok {
		return &wire.ErrReply{}, nil
	}
	return &wire.ErrReply{Err: wire.FromError(dc.CheckDial(req.Scheme, req.Addr))}, nil
}

// handOver gives the host a new connection: its descriptor when its
// bytes are the descriptor's, else the host end of a local channel that
// this process pumps.
//
// The descriptor goes with the reply: if the host gave the call up (an
// Accept whose context ended as the connection came), it still takes
// the connection and the next Accept returns it.
func (s *server) handOver(c transport.Conn, kind transport.Kind, token uint64, keep bool, ev []wire.Event) *wire.ConnReply {
	r := &wire.ConnReply{Local: c.LocalAddress(), Remote: c.RemoteAddress(), Peer: c.PeerAddress(), PluginFD: c.FD(), Events: ev}
	if s.side == nil {
		c.Close()
		r.Err = wire.FromError(errors.New("zmqkit plugin: no side channel to hand connections over (was the plugin started by registry/external?)"))
		return r
	}
	if dc, ok := c.(transport.DirectConn); ok && !keep && s.side.FDPassing() && kind == transport.KindStream && dc.Direct() && c.FD() >= 0 {
		r.Mode = wire.ModeFD
		err := s.side.SendFD(token, c.FD(), r)
		c.Close() // the host holds the socket now
		if err != nil {
			r.Err = wire.FromError(fmt.Errorf("zmqkit plugin: handing the connection over: %w", err))
		}
		return r
	}
	p := &pumped{s: s, c: c, id: s.nextID.Add(1), done: make(chan struct{})}
	r.Mode, r.ID = wire.ModeChannel, p.id
	if fc, ok := c.(transport.FrameConn); ok {
		r.Frame = p.frameInfo(fc)
	}
	lc, err := s.side.Open(token, r)
	if err != nil {
		c.Close()
		r.Err = wire.FromError(fmt.Errorf("zmqkit plugin: opening the connection's channel: %w", err))
		return r
	}
	p.local = lc
	s.mu.Lock()
	s.conns[p.id] = p
	s.mu.Unlock()
	p.start(kind)
	return r
}

// pumped is a connection this process keeps, copying between it and the
// local channel whose other end the host holds.
type pumped struct {
	s     *server
	id    uint64
	c     transport.Conn
	local net.Conn
	once  sync.Once
	done  chan struct{} // closed by close

	// frame connections
	ready  chan struct{} // a Handshaker's: closed once its handshake is done
	hsOnce sync.Once
	pinged chan uint64 // a Pinger's: its Activity when a ping went out
	toHost *wire.AsyncWriter
}

func (p *pumped) close() {
	p.once.Do(func() {
		close(p.done)
		p.local.Close()
		p.c.Close()
		p.s.mu.Lock()
		delete(p.s.conns, p.id)
		p.s.mu.Unlock()
	})
}

// frameInfo says what fc implements beyond transport.FrameConn; a
// Handshaker's frames wait for its handshake.
func (p *pumped) frameInfo(fc transport.FrameConn) *wire.FrameInfo {
	fi := &wire.FrameInfo{}
	if _, ok := fc.(transport.Handshaker); ok {
		fi.Handshaker = true
		p.ready = make(chan struct{})
	} else if m, ok := fc.(transport.FrameModer); ok {
		fi.Mode = m.FrameMode()
	}
	if _, ok := fc.(transport.Pinger); ok {
		fi.Pinger = true
		p.pinged = make(chan uint64, 1)
	}
	return fi
}

// Handshake runs a frame connection's own handshake for the host; its
// frames flow once it succeeded.
func (s *server) Handshake(ctx context.Context, req *wire.HandshakeRequest) (*wire.HandshakeReply, error) {
	s.mu.Lock()
	p := s.conns[req.Conn]
	s.mu.Unlock()
	if p == nil {
		return &wire.HandshakeReply{Err: wire.FromError(fmt.Errorf("%w: no connection %d", transport.ErrClosed, req.Conn))}, nil
	}
	hs, ok := p.c.(transport.Handshaker)
	if !ok || p.ready == nil {
		return &wire.HandshakeReply{Err: wire.FromError(errors.New("the connection has no handshake"))}, nil
	}
	if err := hs.Handshake(ctx); err != nil {
		return &wire.HandshakeReply{Err: wire.FromError(err)}, nil
	}
	rep := &wire.HandshakeReply{}
	if m, ok := p.c.(transport.FrameModer); ok {
		rep.Mode = m.FrameMode()
	}
	p.hsOnce.Do(func() { close(p.ready) })
	return rep, nil
}

func (p *pumped) start(kind transport.Kind) {
	var toHost, fromHost func()
	switch c := p.c.(type) {
	case transport.FrameConn:
		p.toHost = wire.NewAsyncWriter(p.local, 1<<20)
		toHost = func() { p.framesToHost(c) }
		fromHost = func() { p.framesFromHost(c) }
		if pg, ok := c.(transport.Pinger); ok {
			p.s.wg.Add(1)
			go func() { defer p.s.wg.Done(); p.watchActivity(pg) }()
		}
	case transport.DatagramConn:
		toHost = func() { p.datagramsToHost(c) }
		fromHost = func() { p.datagramsFromHost(c) }
	case transport.StreamConn:
		toHost = func() { io.Copy(p.local, c); p.close() }
		fromHost = func() { io.Copy(c, p.local); p.close() }
	default:
		p.close()
		return
	}
	_ = kind
	p.s.wg.Add(2)
	go func() { defer p.s.wg.Done(); toHost() }()
	go func() { defer p.s.wg.Done(); fromHost() }()
}

// endWith sends err as the channel's last record.
func endWith(w *wire.AsyncWriter, err error) {
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, transport.ErrClosed) && !errors.Is(err, net.ErrClosed) {
		w.Append(wire.FlagError, "", wire.ErrorRecord(err))
	}
	w.Close()
}

// watchActivity reports a Pinger's activity that no frame carries (the
// pong of a ping): after each ping it watches Activity until it moves,
// and sends the host an activity record then.
func (p *pumped) watchActivity(pg transport.Pinger) {
	for {
		var base uint64
		select {
		case base = <-p.pinged:
		case <-p.done:
			return
		}
		t := time.NewTimer(time.Millisecond)
		for d := time.Millisecond; ; d = min(2*d, 50*time.Millisecond) {
			select {
			case <-t.C:
			case <-p.done:
				t.Stop()
				return
			}
			if pg.Activity() != base {
				break
			}
			t.Reset(d)
		}
		if p.toHost.Append(wire.FlagActivity, "", nil) != nil {
			return
		}
	}
}

func (p *pumped) framesToHost(c transport.FrameConn) {
	w := p.toHost
	if p.ready != nil {
		select {
		case <-p.ready:
		case <-p.done:
			w.Close()
			return
		}
	}
	var buf []byte
	var err error
	for {
		var body []byte
		var flags byte
		body, flags, err = c.ReadFrame(buf[:0])
		if err != nil {
			break
		}
		buf = body
		if err = w.Append(flags, "", body); err != nil {
			break
		}
	}
	endWith(w, err)
	p.close()
}

func (p *pumped) framesFromHost(c transport.FrameConn) {
	r := wire.NewRecordReader(p.local)
	pg, _ := c.(transport.Pinger)
	var buf []byte
	for {
		body, flags, _, err := r.Next(buf[:0])
		if err != nil {
			break
		}
		buf = body
		if flags&wire.FlagPing != 0 {
			if pg == nil {
				break // the host broke the protocol
			}
			if err := pg.Ping(); err != nil {
				break
			}
			select {
			case p.pinged <- pg.Activity():
			default: // the watcher is still at the last ping's
			}
		} else if err := c.WriteFrame(body, flags); err != nil {
			break
		}
		if !r.Buffered() {
			if err := c.Flush(); err != nil {
				break
			}
		}
	}
	p.close()
}

func (p *pumped) datagramsToHost(c transport.DatagramConn) {
	w := wire.NewAsyncWriter(p.local, 1<<20)
	buf := make([]byte, 64<<10)
	var err error
	for {
		var n int
		var from string
		n, from, err = c.ReadDatagram(buf)
		if err != nil {
			break
		}
		if err = w.Append(0, from, buf[:n]); err != nil {
			break
		}
	}
	endWith(w, err)
	p.close()
}

func (p *pumped) datagramsFromHost(c transport.DatagramConn) {
	r := wire.NewRecordReader(p.local)
	var buf []byte
	for {
		body, _, to, err := r.Next(buf[:0])
		if err != nil {
			break
		}
		buf = body
		_ = c.WriteDatagram(body, to) // lost datagrams are UDP's lot
	}
	p.close()
}
