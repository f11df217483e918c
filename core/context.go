package core

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-hclog"

	"github.com/zmqkit/zmqkit/registry"
)

// Context owns sockets and the registry they find transports and
// mechanisms in; it is libzmq's zmq_ctx_t. It is safe for concurrent use.
type Context struct {
	reg        *registry.Registry
	log        hclog.Logger
	maxSockets int
	ipv6       bool
	blocky     bool
	scope      string

	mu       sync.Mutex
	sockets  map[*Socket]struct{}
	shutdown bool
	termCh   chan struct{} // closed by Shutdown
	shut     atomic.Bool   // set by Shutdown: checked on every call
	nextSock atomic.Uint64
}

// ContextOption configures a Context.
type ContextOption func(*Context)

// WithRegistry makes the context use r instead of registry.Default.
func WithRegistry(r *registry.Registry) ContextOption { return func(c *Context) { c.reg = r } }

// WithLogger sets the context's logger (default: silent).
func WithLogger(l hclog.Logger) ContextOption { return func(c *Context) { c.log = l } }

// WithMaxSockets sets ZMQ_MAX_SOCKETS (default 1023).
func WithMaxSockets(n int) ContextOption { return func(c *Context) { c.maxSockets = n } }

// WithContextIPv6 sets the context's ZMQ_IPV6, the default of its sockets' IPv6 option (default false).
func WithContextIPv6(on bool) ContextOption { return func(c *Context) { c.ipv6 = on } }

// WithBlocky sets ZMQ_BLOCKY (default true): when false, sockets default to
// a LINGER of 0 instead of -1.
func WithBlocky(on bool) ContextOption { return func(c *Context) { c.blocky = on } }

var contextSeq atomic.Uint64

// NewContext returns a new context.
func NewContext(opts ...ContextOption) *Context {
	c := &Context{
		reg:        registry.Default,
		log:        hclog.NewNullLogger(),
		maxSockets: 1023,
		blocky:     true,
		sockets:    map[*Socket]struct{}{},
		termCh:     make(chan struct{}),
	}
	for _, o := range opts {
		o(c)
	}
	c.scope = "ctx-" + strconv.FormatUint(contextSeq.Add(1), 10)
	return c
}

// Registry returns the registry the context's sockets use.
func (c *Context) Registry() *registry.Registry { return c.reg }

// NewSocket creates a socket of type t. It fails with ErrTerminated after
// Shutdown and ErrTooManySockets past MaxSockets.
func (c *Context) NewSocket(t SocketType, opts ...Option) (*Socket, error) {
	if t < PAIR || t > CHANNEL {
		return nil, opErr("socket", "", invalid("socket type %d", int(t)))
	}
	newPat, ok := patterns[t]
	if !ok {
		return nil, opErr("socket", "", fmt.Errorf("%w: socket type %v not implemented yet", ErrNotSupported, t))
	}
	c.mu.Lock()
	if c.shutdown {
		c.mu.Unlock()
		return nil, opErr("socket", "", ErrTerminated)
	}
	if len(c.sockets) >= c.maxSockets {
		c.mu.Unlock()
		return nil, opErr("socket", "", ErrTooManySockets)
	}
	s := newSocket(c, t)
	c.sockets[s] = struct{}{}
	c.mu.Unlock()
	s.pat = newPat(s)
	set := optionSetter{o: &s.opts, typ: t, reg: c.reg}
	for _, o := range opts {
		if err := o(&set); err != nil {
			s.Close()
			return nil, opErr("socket", "", err)
		}
	}
	for _, topic := range s.opts.subscribe {
		if err := s.subscribe(topic, true); err != nil {
			s.Close()
			return nil, opErr("socket", "", err)
		}
	}
	s.opts.subscribe = nil
	return s, nil
}

// Shutdown makes every blocked and later call on the context's sockets
// return ErrTerminated (except Close), and NewSocket fail; it does not wait
// (zmq_ctx_shutdown).
func (c *Context) Shutdown() {
	c.mu.Lock()
	var socks []*Socket
	if !c.shutdown {
		c.shutdown = true
		c.shut.Store(true)
		close(c.termCh)
		for s := range c.sockets {
			socks = append(socks, s)
		}
	}
	c.mu.Unlock()
	// Pollers blocked in poll(2) (Conn items) do not watch termCh.
	for _, s := range socks {
		if s.nPollers.Load() > 0 {
			s.notifyPollers()
		}
	}
}

// Term shuts the context down and closes every socket still open, each
// with its linger: queued messages are given LINGER to reach their peers,
// also peers of a Connect that appear later (see Socket.Close). With the
// default infinite linger it waits until they are delivered, as libzmq's
// zmq_ctx_term. It returns when every socket is closed.
func (c *Context) Term() error {
	return c.TermContext(context.Background())
}

// TermContext is Term with a bound: when ctx is done, lingering stops and
// the remaining messages are dropped.
func (c *Context) TermContext(ctx context.Context) error {
	c.Shutdown()
	for {
		c.mu.Lock()
		var s *Socket
		for k := range c.sockets {
			s = k
			break
		}
		c.mu.Unlock()
		if s == nil {
			return nil
		}
		s.closeContext(ctx)
	}
}

// Close is Term; it makes Context an io.Closer.
func (c *Context) Close() error { return c.Term() }

func (c *Context) terminated() bool { return c.shut.Load() }

func (c *Context) remove(s *Socket) {
	c.mu.Lock()
	delete(c.sockets, s)
	c.mu.Unlock()
}
