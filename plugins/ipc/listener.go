package ipc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// listener is a bound ipc endpoint.
type listener struct {
	ln       *net.UnixListener
	cfg      transport.Config
	addr     address
	path     string      // bound path or "@name"
	dir      string      // wildcard directory to remove, or ""
	ident    os.FileInfo // the socket file this listener created, or nil
	endpoint string
	fd       int

	closeOnce sync.Once
	closed    chan struct{}
}

// Endpoint is "ipc://path" (or "ipc://@name"), as ZMQ_LAST_ENDPOINT
// reports it.
func (l *listener) Endpoint() string { return l.endpoint }

// Accept waits for the next connection and reports ACCEPTED. After Close
// it returns an error wrapping transport.ErrClosed; when ctx ends, ctx's
// error.
func (l *listener) Accept(ctx context.Context) (transport.Conn, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	for {
		if err := l.closedErr(); err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("ipc: accept %s: %w", l.endpoint, err)
		}
		c, err := l.acceptOne(ctx)
		if err != nil {
			if cerr := l.closedErr(); cerr != nil {
				return nil, cerr
			}
			if ctx.Err() != nil {
				return nil, fmt.Errorf("ipc: accept %s: %w", l.endpoint, ctx.Err())
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
		uc := newConn(c)
		l.cfg.Emit(transport.Event{
			Kind: transport.EventAccepted, Endpoint: l.endpoint,
			Local: uc.local, Remote: uc.remote, FD: uc.fd,
		})
		return uc, nil
	}
}

// acceptOne accepts one connection, interrupting the wait when ctx ends
// by expiring the listener's deadline.
func (l *listener) acceptOne(ctx context.Context) (*net.UnixConn, error) {
	if ctx.Done() == nil {
		return l.ln.AcceptUnix()
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = l.ln.SetDeadline(time.Unix(1, 0))
		close(fired)
	})
	c, err := l.ln.AcceptUnix()
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
		return fmt.Errorf("ipc: accept %s: %w", l.endpoint, transport.ErrClosed)
	default:
		return nil
	}
}

// Close stops listening, removes the socket file (and the wildcard
// directory) and reports CLOSED, or CLOSE_FAILED when removing fails. A
// second Close returns an error wrapping transport.ErrClosed.
func (l *listener) Close() error {
	first := false
	l.closeOnce.Do(func() { first = true; close(l.closed) })
	if !first {
		return fmt.Errorf("ipc: close %s: %w", l.endpoint, transport.ErrClosed)
	}
	if err := l.ln.Close(); err != nil {
		l.cfg.Emit(transport.Event{
			Kind: transport.EventCloseFailed, Endpoint: l.endpoint,
			FD: -1, Errno: errnoOf(err), Err: err,
		})
		return opError("close", l.endpoint, err)
	}
	if err := l.unlink(); err != nil {
		l.cfg.Emit(transport.Event{
			Kind: transport.EventCloseFailed, Endpoint: l.endpoint,
			FD: -1, Errno: errnoOf(err), Err: err,
		})
		return opError("close", l.endpoint, err)
	}
	l.cfg.Emit(transport.Event{Kind: transport.EventClosed, Endpoint: l.endpoint, FD: l.fd})
	return nil
}

// unlink removes the socket file unless a later bind replaced it, then
// the wildcard directory.
func (l *listener) unlink() error {
	if l.addr.abstract {
		return nil
	}
	fi, err := os.Lstat(l.path)
	if err == nil && l.ident != nil && !os.SameFile(fi, l.ident) {
		return nil // another listener's socket now
	}
	if err := os.Remove(l.path); err != nil {
		return err
	}
	if l.dir != "" {
		return os.Remove(l.dir)
	}
	return nil
}
