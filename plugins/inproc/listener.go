package inproc

import (
	"context"
	"fmt"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// listener is a bound inproc name.
type listener struct {
	t                     *inprocTransport
	s                     *slot // stays in the namespace while bound
	scope, name, endpoint string
	closed                bool          // guarded by t.mu
	wake                  chan struct{} // capacity 1: offers may be waiting
	done                  chan struct{} // closed by Close
}

// signal wakes one waiting Accept, or the next one.
func (l *listener) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Endpoint returns "inproc://name".
func (l *listener) Endpoint() string { return l.endpoint }

// Accept returns the next offer as a PipeConn whose Value is the dialer's
// Config.Offer. It fails with transport.ErrClosed after Close and with
// ctx's error when ctx ends.
func (l *listener) Accept(ctx context.Context) (transport.Conn, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	for {
		l.t.mu.Lock()
		if l.closed {
			l.t.mu.Unlock()
			return nil, fmt.Errorf("inproc: accept %s: %w", l.endpoint, transport.ErrClosed)
		}
		if len(l.s.pending) > 0 {
			o := l.s.pending[0]
			l.s.pending[0] = nil
			l.s.pending = l.s.pending[1:]
			o.accepted = true
			more := len(l.s.pending) > 0
			l.t.mu.Unlock()
			if more {
				l.signal()
			}
			return &conn{value: o.value, local: l.endpoint}, nil
		}
		l.t.mu.Unlock()
		select {
		case <-l.wake:
		case <-l.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("inproc: accept %s: %w", l.endpoint, ctx.Err())
		}
	}
}

// Close unbinds the name; pending Accepts fail with transport.ErrClosed.
// Offers not accepted stay queued for the next bind. A second Close
// returns an error wrapping transport.ErrClosed.
func (l *listener) Close() error {
	l.t.mu.Lock()
	if l.closed {
		l.t.mu.Unlock()
		return fmt.Errorf("inproc: close %s: %w", l.endpoint, transport.ErrClosed)
	}
	l.closed = true
	l.s.l = nil
	l.t.releaseLocked(l.scope, l.name)
	l.t.mu.Unlock()
	close(l.done)
	return nil
}
