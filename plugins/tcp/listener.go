package tcp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// listener is a bound TCP endpoint.
type listener struct {
	ln       *net.TCPListener
	cfg      transport.Config
	endpoint string
	fd       int

	closeOnce sync.Once
	closed    chan struct{}
}

// Endpoint is the resolved endpoint, as ZMQ_LAST_ENDPOINT reports it.
func (l *listener) Endpoint() string { return l.endpoint }

// Accept waits for the next connection, tunes it and reports ACCEPTED.
// A connection that can not be tuned is closed and reported as
// ACCEPT_FAILED, and Accept goes on waiting. After Close, Accept returns
// an error wrapping transport.ErrClosed; when ctx ends, ctx's error.
func (l *listener) Accept(ctx context.Context) (transport.Conn, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	for {
		if err := l.closedErr(); err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("tcp: accept %s: %w", l.endpoint, err)
		}
		c, err := l.acceptOne(ctx)
		if err != nil {
			if cerr := l.closedErr(); cerr != nil {
				return nil, cerr
			}
			if ctx.Err() != nil {
				return nil, fmt.Errorf("tcp: accept %s: %w", l.endpoint, ctx.Err())
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Another Accept's context ended and expired the
				// shared deadline; that Accept clears it.
				time.Sleep(time.Millisecond)
				continue
			}
			l.cfg.Emit(transport.Event{
				Kind: transport.EventAcceptFailed, Endpoint: l.endpoint,
				FD: -1, Errno: errnoOf(err), Err: err,
			})
			return nil, opError("accept", l.endpoint, err)
		}
		if err := tuneConn(c, &l.cfg, true); err != nil {
			_ = c.Close()
			l.cfg.Emit(transport.Event{
				Kind: transport.EventAcceptFailed, Endpoint: l.endpoint,
				FD: -1, Errno: errnoOf(err), Err: err,
			})
			continue
		}
		tc := newConn(c)
		l.cfg.Emit(transport.Event{
			Kind: transport.EventAccepted, Endpoint: l.endpoint,
			Local: tc.local, Remote: tc.remote, FD: tc.fd,
		})
		return tc, nil
	}
}

// acceptOne accepts one connection, interrupting the wait when ctx ends
// by expiring the listener's deadline.
func (l *listener) acceptOne(ctx context.Context) (*net.TCPConn, error) {
	if ctx.Done() == nil {
		return l.ln.AcceptTCP()
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = l.ln.SetDeadline(time.Unix(1, 0))
		close(fired)
	})
	c, err := l.ln.AcceptTCP()
	if !stop() {
		// The deadline was expired for this call: restore it once the
		// expiring function is done.
		<-fired
		_ = l.ln.SetDeadline(time.Time{})
	}
	return c, err
}

func (l *listener) closedErr() error {
	select {
	case <-l.closed:
		return fmt.Errorf("tcp: accept %s: %w", l.endpoint, transport.ErrClosed)
	default:
		return nil
	}
}

// Close stops listening and reports CLOSED. A second Close returns an
// error wrapping transport.ErrClosed and reports nothing.
func (l *listener) Close() error {
	first := false
	l.closeOnce.Do(func() { first = true; close(l.closed) })
	if !first {
		return fmt.Errorf("tcp: close %s: %w", l.endpoint, transport.ErrClosed)
	}
	err := l.ln.Close()
	if err != nil {
		l.cfg.Emit(transport.Event{
			Kind: transport.EventCloseFailed, Endpoint: l.endpoint,
			FD: l.fd, Errno: errnoOf(err), Err: err,
		})
		return opError("close", l.endpoint, err)
	}
	l.cfg.Emit(transport.Event{Kind: transport.EventClosed, Endpoint: l.endpoint, FD: l.fd})
	return nil
}
