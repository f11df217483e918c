package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zmqkit/zmqkit/auth"
	"github.com/zmqkit/zmqkit/core"
)

// session is one command's ZeroMQ context, with its ZAP handler started
// on first need.
type session struct {
	e    *env
	zctx *core.Context
	auth *auth.Authenticator

	mu          sync.Mutex
	lastProblem string // the latest connection problem seen, for error messages

	handshakes atomic.Int64  // HANDSHAKE_SUCCEEDED events seen
	handshake  chan struct{} // closed at the first one
	hsOnce     sync.Once
}

func newSession(e *env) *session {
	return &session{e: e, zctx: core.NewContext(), handshake: make(chan struct{})}
}

// zap returns the context's ZAP handler, starting it.
func (s *session) zap() (*auth.Authenticator, error) {
	if s.auth != nil {
		return s.auth, nil
	}
	a, err := auth.New(s.zctx)
	if err != nil {
		return nil, fmt.Errorf("starting the ZAP handler: %w", err)
	}
	s.auth = a
	return a, nil
}

// socket makes a socket of type t with the security and option flags.
func (s *session) socket(t core.SocketType, sec *secFlags, of *optFlags, extra ...core.Option) (*core.Socket, error) {
	var opts []core.Option
	if sec != nil {
		o, err := sec.options(s.e, s.zap)
		if err != nil {
			return nil, err
		}
		opts = append(opts, o...)
	}
	if of != nil {
		o, err := of.options()
		if err != nil {
			return nil, err
		}
		opts = append(opts, o...)
	}
	opts = append(opts, extra...)
	sock, err := s.zctx.NewSocket(t, opts...)
	if err != nil {
		return nil, err
	}
	return sock, nil
}

// watchProblems reports connection problems of sock on stderr (and
// remembers the last one for error messages); with verbose, every event.
func (s *session) watchProblems(sock *core.Socket, verbose bool) {
	events, err := sock.WatchEvents(context.Background(), core.EventAll&^core.EventMonitorStopped)
	if err != nil {
		return
	}
	go func() {
		var last string
		for ev := range events {
			if verbose {
				fmt.Fprintf(s.e.stderr, "zmqkit %s: event %s\n", s.e.cmd, describe(ev).line())
			}
			p := problem(ev)
			if p == "" {
				if ev.Event == core.EventHandshakeSucceeded {
					s.handshakes.Add(1)
					s.hsOnce.Do(func() { close(s.handshake) })
					s.mu.Lock()
					s.lastProblem = ""
					s.mu.Unlock()
					last = ""
				}
				continue
			}
			s.mu.Lock()
			s.lastProblem = p
			s.mu.Unlock()
			// Say each distinct problem once in a row (reconnects repeat).
			if !verbose && p != last && ev.Event != core.EventConnectRetried && ev.Event != core.EventClosed {
				fmt.Fprintf(s.e.stderr, "zmqkit %s: %s\n", s.e.cmd, p)
			}
			last = p
		}
	}()
}

// waitHandshake says whether a handshake succeeded, waiting up to d for
// the first.
func (s *session) waitHandshake(d time.Duration) bool {
	select {
	case <-s.handshake:
		return true
	case <-time.After(d):
		return false
	}
}

// problemSuffix is " (last problem: ...)" when a connection problem was
// seen, for timeout messages.
func (s *session) problemSuffix() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastProblem == "" {
		return ""
	}
	return " (last problem: " + s.lastProblem + ")"
}

// close terminates the context: linger applies in full, except that after
// Ctrl-C it is cut to shutdownGrace so the program ends within a second.
func (s *session) close() error {
	if s.auth != nil {
		s.auth.Close()
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.e.ctx.Done():
		case <-ctx.Done():
			return
		}
		t := time.NewTimer(s.e.graceLeft())
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-ctx.Done():
		}
	}()
	err := s.zctx.TermContext(ctx)
	if err != nil && errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
