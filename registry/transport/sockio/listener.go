package sockio

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// NetListener is what Listener needs of a bound socket: *net.TCPListener
// and *net.UnixListener have it.
type NetListener interface {
	Accept() (net.Conn, error)
	SetDeadline(t time.Time) error
	Close() error
}

// ListenerConfig describes one bound endpoint for NewListener.
type ListenerConfig struct {
	Scheme   string            // for error messages, e.g. "tcp"
	Endpoint string            // resolved endpoint, as ZMQ_LAST_ENDPOINT
	FD       int               // the listening descriptor, for events
	Config   *transport.Config // the socket's config (hook, options)
	// Tune prepares an accepted connection (socket options); a failure
	// closes it and reports ACCEPT_FAILED. May be nil.
	Tune func(net.Conn) error
	// Wrap turns an accepted connection into the plugin's Conn.
	Wrap func(net.Conn) *Conn
	// AfterClose runs once the socket is closed (e.g. removing an ipc
	// socket file); its error is reported as CLOSE_FAILED. May be nil.
	AfterClose func() error
}

// Listener accepts connections for a bound endpoint and reports the
// lifecycle events socket monitoring needs. It implements
// transport.Listener.
type Listener struct {
	ln  NetListener
	c   ListenerConfig
	cfg transport.Config

	closeOnce sync.Once
	closed    chan struct{}
}

var _ transport.Listener = (*Listener)(nil)

// NewListener wraps ln.
func NewListener(ln NetListener, c ListenerConfig) *Listener {
	l := &Listener{ln: ln, c: c, closed: make(chan struct{})}
	if c.Config != nil {
		l.cfg = *c.Config
	}
	return l
}

// Endpoint is the resolved endpoint, as ZMQ_LAST_ENDPOINT reports it.
func (l *Listener) Endpoint() string { return l.c.Endpoint }

// FD is the listening descriptor, or -1.
func (l *Listener) FD() int { return l.c.FD }

// Accept waits for the next connection, tunes it and reports ACCEPTED. A
// connection that can not be tuned is closed and reported as
// ACCEPT_FAILED, and Accept goes on waiting. After Close, Accept returns
// an error wrapping transport.ErrClosed; when ctx ends, ctx's error.
func (l *Listener) Accept(ctx context.Context) (transport.Conn, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	for {
		if err := l.closedErr(); err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: accept %s: %w", l.c.Scheme, l.c.Endpoint, err)
		}
		c, err := l.acceptOne(ctx)
		if err != nil {
			if cerr := l.closedErr(); cerr != nil {
				return nil, cerr
			}
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%s: accept %s: %w", l.c.Scheme, l.c.Endpoint, ctx.Err())
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Another Accept's context ended and expired the shared
				// deadline; that Accept clears it.
				time.Sleep(time.Millisecond)
				continue
			}
			l.cfg.Emit(transport.Event{
				Kind: transport.EventAcceptFailed, Endpoint: l.c.Endpoint,
				FD: -1, Errno: Errno(err), Err: err,
			})
			return nil, OpError(l.c.Scheme, "accept", l.c.Endpoint, err)
		}
		if l.c.Tune != nil {
			if err := l.c.Tune(c); err != nil {
				_ = c.Close()
				l.cfg.Emit(transport.Event{
					Kind: transport.EventAcceptFailed, Endpoint: l.c.Endpoint,
					FD: -1, Errno: Errno(err), Err: err,
				})
				continue
			}
		}
		sc := l.c.Wrap(c)
		l.cfg.Emit(transport.Event{
			Kind: transport.EventAccepted, Endpoint: l.c.Endpoint,
			Local: sc.local, Remote: sc.remote, FD: sc.fd,
		})
		return sc, nil
	}
}

// acceptOne accepts one connection, interrupting the wait when ctx ends
// by expiring the listener's deadline.
func (l *Listener) acceptOne(ctx context.Context) (net.Conn, error) {
	if ctx.Done() == nil {
		return l.ln.Accept()
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = l.ln.SetDeadline(time.Unix(1, 0))
		close(fired)
	})
	c, err := l.ln.Accept()
	if !stop() {
		// The deadline was expired for this call: restore it once the
		// expiring function is done.
		<-fired
		_ = l.ln.SetDeadline(time.Time{})
	}
	return c, err
}

func (l *Listener) closedErr() error {
	select {
	case <-l.closed:
		return fmt.Errorf("%s: accept %s: %w", l.c.Scheme, l.c.Endpoint, transport.ErrClosed)
	default:
		return nil
	}
}

// Close stops listening and reports CLOSED (or CLOSE_FAILED). A second
// Close returns an error wrapping transport.ErrClosed and reports nothing.
func (l *Listener) Close() error {
	first := false
	l.closeOnce.Do(func() { first = true; close(l.closed) })
	if !first {
		return fmt.Errorf("%s: close %s: %w", l.c.Scheme, l.c.Endpoint, transport.ErrClosed)
	}
	err := l.ln.Close()
	if err == nil && l.c.AfterClose != nil {
		err = l.c.AfterClose()
	}
	if err != nil {
		l.cfg.Emit(transport.Event{
			Kind: transport.EventCloseFailed, Endpoint: l.c.Endpoint,
			FD: l.c.FD, Errno: Errno(err), Err: err,
		})
		return OpError(l.c.Scheme, "close", l.c.Endpoint, err)
	}
	l.cfg.Emit(transport.Event{Kind: transport.EventClosed, Endpoint: l.c.Endpoint, FD: l.c.FD})
	return nil
}
