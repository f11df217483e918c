package transporttest

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// MemFrameOptions configures a MemFrame transport.
type MemFrameOptions struct {
	// Scheme is the URI scheme it registers; "" means "memframe".
	Scheme string
	// Mode is the transport.FrameMode every connection reports.
	Mode transport.FrameMode
	// Pings makes the connections transport.Pingers: Ping sends a ping
	// control frame that the peer's reader answers with a pong.
	Pings bool
	// NoBuffer leaves transport.FrameBuffer out, so the core queues every
	// message on its own.
	NoBuffer bool
	// Handshake, if set, makes the connections transport.Handshakers:
	// it runs on each side with that side's ctx, and whether it is the
	// dialling side.
	Handshake func(ctx context.Context, dialer bool) error
}

// NewMemFrame returns an in-memory transport.KindFrame transport: a test
// double for frame transports (ws, pgm) that lets the core's frame engine
// be tested without a network. Endpoints are "SCHEME://NAME"; Listen with
// NAME "*" picks a unique name. Listeners are per transport value. It
// reports LISTENING, ACCEPTED, CONNECTED and CLOSED as a network transport
// does, and honours Config.MaxMsgSize (a larger data frame fails ReadFrame
// with transport.ErrProtocol; commands may have transport.MaxCommandSize).
//
// A test can play the peer by hand: dial a socket's endpoint with the
// transport and read and write frames on the connection.
func NewMemFrame(o MemFrameOptions) transport.Transport {
	if o.Scheme == "" {
		o.Scheme = "memframe"
	}
	return &memFrame{o: o, ls: map[string]*memListener{}}
}

type memFrame struct {
	o   MemFrameOptions
	mu  sync.Mutex
	ls  map[string]*memListener
	seq int
}

func (m *memFrame) Schemes() []string    { return []string{m.o.Scheme} }
func (m *memFrame) Kind() transport.Kind { return transport.KindFrame }

func (m *memFrame) endpoint(name string) string { return m.o.Scheme + "://" + name }

func (m *memFrame) check(sch, addr string) error {
	if sch != m.o.Scheme || addr == "" {
		return fmt.Errorf("%w %q", transport.ErrInvalidEndpoint, sch+"://"+addr)
	}
	return nil
}

// CheckDial refuses the empty name.
func (m *memFrame) CheckDial(sch, addr string) error {
	if err := m.check(sch, addr); err != nil {
		return err
	}
	if addr == "*" {
		return fmt.Errorf("%w %q: no wildcard on connect", transport.ErrInvalidEndpoint, sch+"://"+addr)
	}
	return nil
}

func (m *memFrame) Listen(_ context.Context, sch, addr string, cfg *transport.Config) (transport.Listener, error) {
	if err := m.check(sch, addr); err != nil {
		cfg.Emit(transport.Event{Kind: transport.EventBindFailed, Endpoint: sch + "://" + addr, FD: -1,
			Errno: int(syscall.EINVAL), Err: err})
		return nil, err
	}
	m.mu.Lock()
	if addr == "*" {
		m.seq++
		addr = "auto-" + strconv.Itoa(m.seq)
	}
	if _, dup := m.ls[addr]; dup {
		m.mu.Unlock()
		err := fmt.Errorf("%w: %s", transport.ErrAddrInUse, m.endpoint(addr))
		cfg.Emit(transport.Event{Kind: transport.EventBindFailed, Endpoint: m.endpoint(addr), FD: -1,
			Errno: int(syscall.EADDRINUSE), Err: err})
		return nil, err
	}
	l := &memListener{t: m, name: addr, cfg: copyConfig(cfg), ch: make(chan transport.FrameConn, 64),
		done: make(chan struct{})}
	m.ls[addr] = l
	m.mu.Unlock()
	cfg.Emit(transport.Event{Kind: transport.EventListening, Endpoint: l.Endpoint(), FD: -1})
	return l, nil
}

func copyConfig(cfg *transport.Config) *transport.Config {
	if cfg == nil {
		return &transport.Config{MaxMsgSize: -1}
	}
	c := *cfg
	return &c
}

func (m *memFrame) Dial(ctx context.Context, sch, addr string, cfg *transport.Config) (transport.Conn, error) {
	if err := m.CheckDial(sch, addr); err != nil {
		return nil, err
	}
	cfg = copyConfig(cfg)
	ep := cfg.Endpoint
	if ep == "" {
		ep = m.endpoint(addr)
	}
	m.mu.Lock()
	l := m.ls[addr]
	m.mu.Unlock()
	if l == nil {
		err := fmt.Errorf("memframe: connect %s: %w", ep, syscall.ECONNREFUSED)
		cfg.Emit(transport.Event{Kind: transport.EventClosed, Endpoint: ep, FD: -1, Err: err})
		return nil, err
	}
	n := l.nextID()
	d := newMemFrameConn(m, cfg, true, m.endpoint(addr+"/dialer-"+n), m.endpoint(addr))
	a := newMemFrameConn(m, l.cfg, false, m.endpoint(addr), m.endpoint(addr+"/dialer-"+n))
	d.peer, a.peer = a, d
	select {
	case l.ch <- a.wrap():
	case <-l.done:
		err := fmt.Errorf("memframe: connect %s: %w", ep, syscall.ECONNREFUSED)
		cfg.Emit(transport.Event{Kind: transport.EventClosed, Endpoint: ep, FD: -1, Err: err})
		return nil, err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	cfg.Emit(transport.Event{Kind: transport.EventConnected, Endpoint: ep, Local: d.local, Remote: d.remote, FD: -1})
	return d.wrap(), nil
}

type memListener struct {
	t    *memFrame
	name string
	cfg  *transport.Config
	ch   chan transport.FrameConn
	done chan struct{}
	once sync.Once
	n    atomic.Int64
}

func (l *memListener) nextID() string { return strconv.FormatInt(l.n.Add(1), 10) }

func (l *memListener) Endpoint() string { return l.t.endpoint(l.name) }

func (l *memListener) Accept(ctx context.Context) (transport.Conn, error) {
	select {
	case c := <-l.ch:
		l.cfg.Emit(transport.Event{Kind: transport.EventAccepted, Endpoint: l.Endpoint(),
			Local: c.LocalAddress(), Remote: c.RemoteAddress(), FD: -1})
		return c, nil
	case <-l.done:
		return nil, fmt.Errorf("memframe: accept %s: %w", l.Endpoint(), transport.ErrClosed)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (l *memListener) Close() error {
	err := fmt.Errorf("memframe: %s: %w", l.Endpoint(), transport.ErrClosed)
	l.once.Do(func() {
		err = nil
		l.t.mu.Lock()
		delete(l.t.ls, l.name)
		l.t.mu.Unlock()
		close(l.done)
		for {
			select {
			case c := <-l.ch:
				c.Close()
				continue
			default:
			}
			break
		}
		l.cfg.Emit(transport.Event{Kind: transport.EventClosed, Endpoint: l.Endpoint(), FD: -1})
	})
	return err
}

// Control frame kinds of MemFrameConn.
const (
	ctlData byte = iota
	ctlPing
	ctlPong
)

type memFrameMsg struct {
	body  []byte
	flags byte
	ctl   byte
}

// memConn is a connection of NewMemFrame: a transport.FrameConn,
// transport.FrameModer and transport.Handshaker; the wrappers below add
// transport.FrameBuffer and transport.Pinger as MemFrameOptions ask.
type memConn struct {
	t       *memFrame
	cfg     *transport.Config
	dialer  bool
	local   string
	remote  string
	peer    *memConn
	in      chan memFrameMsg
	pending []memFrameMsg

	closed   chan struct{}
	once     sync.Once
	activity atomic.Uint64
	pings    atomic.Uint64
}

func newMemFrameConn(t *memFrame, cfg *transport.Config, dialer bool, local, remote string) *memConn {
	return &memConn{t: t, cfg: cfg, dialer: dialer, local: local, remote: remote,
		in: make(chan memFrameMsg, 16), closed: make(chan struct{})}
}

// LocalAddress is the connection's local name.
func (c *memConn) LocalAddress() string { return c.local }

// RemoteAddress is the peer's name.
func (c *memConn) RemoteAddress() string { return c.remote }

// PeerAddress is empty: there is no network address.
func (c *memConn) PeerAddress() string { return "" }

// FD is -1.
func (c *memConn) FD() int { return -1 }

// Close closes both directions; the peer reads what was flushed, then
// io.EOF.
func (c *memConn) Close() error {
	err := fmt.Errorf("memframe: %w", transport.ErrClosed)
	c.once.Do(func() {
		err = nil
		close(c.closed)
	})
	return err
}

// FrameMode is MemFrameOptions.Mode.
func (c *memConn) FrameMode() transport.FrameMode { return c.t.o.Mode }

// ReadFrame reads the next data frame, answering pings on the way.
func (c *memConn) ReadFrame(buf []byte) ([]byte, byte, error) {
	for {
		var f memFrameMsg
		select {
		case f = <-c.in:
		case <-c.closed:
			return buf, 0, fmt.Errorf("memframe: read: %w", transport.ErrClosed)
		default:
			select {
			case f = <-c.in:
			case <-c.closed:
				return buf, 0, fmt.Errorf("memframe: read: %w", transport.ErrClosed)
			case <-c.peer.closed:
				select {
				case f = <-c.in: // flushed before the peer closed
				default:
					return buf, 0, io.EOF
				}
			}
		}
		c.activity.Add(1)
		switch f.ctl {
		case ctlPing:
			c.pings.Add(1)
			_ = c.send(memFrameMsg{ctl: ctlPong})
			continue
		case ctlPong:
			continue
		}
		max := c.cfg.MaxMsgSize
		if f.flags&transport.FlagCommand != 0 && max >= 0 && max < transport.MaxCommandSize {
			max = transport.MaxCommandSize
		}
		if max >= 0 && int64(len(f.body)) > max {
			return buf, 0, fmt.Errorf("%w: memframe: frame of %d octets over MAXMSGSIZE %d",
				transport.ErrProtocol, len(f.body), max)
		}
		return append(buf, f.body...), f.flags, nil
	}
}

// send hands one frame to the peer, waiting while its queue is full.
func (c *memConn) send(f memFrameMsg) error {
	select { // a closed end first: nothing is handed to a peer that is gone
	case <-c.closed:
		return fmt.Errorf("memframe: write: %w", transport.ErrClosed)
	case <-c.peer.closed:
		return fmt.Errorf("memframe: write: %w", syscall.EPIPE)
	default:
	}
	select {
	case c.peer.in <- f:
		return nil
	case <-c.closed:
		return fmt.Errorf("memframe: write: %w", transport.ErrClosed)
	case <-c.peer.closed:
		return fmt.Errorf("memframe: write: %w", syscall.EPIPE)
	}
}

// WriteFrame queues a copy of the frame.
func (c *memConn) WriteFrame(body []byte, flags byte) error {
	select {
	case <-c.closed:
		return fmt.Errorf("memframe: write: %w", transport.ErrClosed)
	default:
	}
	c.pending = append(c.pending, memFrameMsg{body: append([]byte(nil), body...), flags: flags})
	return nil
}

// Flush hands the queued frames to the peer.
func (c *memConn) Flush() error {
	for i, f := range c.pending {
		if err := c.send(f); err != nil {
			clear(c.pending)
			c.pending = c.pending[:0]
			return err
		}
		c.pending[i] = memFrameMsg{}
	}
	c.pending = c.pending[:0]
	return nil
}

// PingsOf reports how many transport pings the NewMemFrame connection c
// has received (0 for other connections).
func PingsOf(c transport.Conn) uint64 {
	if m, ok := c.(interface{ base() *memConn }); ok {
		return m.base().pings.Load()
	}
	return 0
}

// Handshake runs MemFrameOptions.Handshake.
func (c *memConn) Handshake(ctx context.Context) error {
	if c.t.o.Handshake == nil {
		return nil
	}
	return c.t.o.Handshake(ctx, c.dialer)
}

func (c *memConn) base() *memConn { return c }

// hasFrame reports whether a frame is queued.
func (c *memConn) hasFrame() bool { return len(c.in) > 0 }

// ping queues a ping control frame.
func (c *memConn) ping() error {
	c.pending = append(c.pending, memFrameMsg{ctl: ctlPing})
	return nil
}

// wrap returns c with the optional interfaces the options ask for.
func (c *memConn) wrap() transport.FrameConn {
	switch o := c.t.o; {
	case o.Pings && !o.NoBuffer:
		return memBufPing{c}
	case o.Pings:
		return memPing{c}
	case !o.NoBuffer:
		return memBuf{c}
	}
	return c
}

type memBuf struct{ *memConn }

func (c memBuf) HasFrame() bool { return c.hasFrame() }

type memPing struct{ *memConn }

func (c memPing) Ping() error      { return c.ping() }
func (c memPing) Activity() uint64 { return c.activity.Load() }

type memBufPing struct{ *memConn }

func (c memBufPing) HasFrame() bool   { return c.hasFrame() }
func (c memBufPing) Ping() error      { return c.ping() }
func (c memBufPing) Activity() uint64 { return c.activity.Load() }
