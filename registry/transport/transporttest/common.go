package transporttest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/registry/transport"
)

func (s *suite) identity(t *testing.T) {
	if !slices.Contains(s.f.Transport.Schemes(), s.f.Scheme) {
		t.Errorf("Schemes() = %q, want it to contain %q", s.f.Transport.Schemes(), s.f.Scheme)
	}
	if k := s.f.Transport.Kind(); k != s.f.Kind {
		t.Errorf("Kind() = %d, want %d", k, s.f.Kind)
	}
}

func (s *suite) listenEndpoint(t *testing.T) {
	l := s.listen(t, nil)
	ep := l.Endpoint()
	if !strings.HasPrefix(ep, s.f.Scheme+"://") || len(ep) == len(s.f.Scheme)+3 {
		t.Fatalf("Endpoint() = %q, want %s://ADDRESS", ep, s.f.Scheme)
	}
	if got := l.Endpoint(); got != ep {
		t.Errorf("Endpoint() changed from %q to %q", ep, got)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := l.Accept(ctx(t)); !errors.Is(err, transport.ErrClosed) {
		t.Errorf("Accept after Close: %v, want an error wrapping ErrClosed", err)
	}
	_ = l.Close() // a second Close must not panic
}

func (s *suite) invalidEndpoints(t *testing.T) {
	tr := s.f.Transport
	for _, addr := range append([]string{""}, s.f.InvalidListen...) {
		rec := &recorder{}
		l, err := tr.Listen(ctx(t), s.f.Scheme, addr, s.config(t, rec))
		if err == nil {
			_ = l.Close()
			t.Errorf("Listen(%q) succeeded, want ErrInvalidEndpoint", addr)
			continue
		}
		if !errors.Is(err, transport.ErrInvalidEndpoint) {
			t.Errorf("Listen(%q) = %v, want an error wrapping ErrInvalidEndpoint", addr, err)
		}
		if s.f.Kind == transport.KindStream {
			evs := rec.take()
			if len(evs) != 1 || evs[0].Kind != transport.EventBindFailed || evs[0].Errno == 0 {
				t.Errorf("Listen(%q) events %+v, want one BIND_FAILED with an errno", addr, evs)
			}
		}
	}
	dc, checker := tr.(transport.DialChecker)
	for _, addr := range append([]string{""}, s.f.InvalidDial...) {
		c, err := tr.Dial(ctx(t), s.f.Scheme, addr, s.config(t, nil))
		if err == nil {
			_ = c.Close()
			t.Errorf("Dial(%q) succeeded, want ErrInvalidEndpoint", addr)
		} else if !errors.Is(err, transport.ErrInvalidEndpoint) {
			t.Errorf("Dial(%q) = %v, want an error wrapping ErrInvalidEndpoint", addr, err)
		}
		if checker {
			if err := dc.CheckDial(s.f.Scheme, addr); !errors.Is(err, transport.ErrInvalidEndpoint) {
				t.Errorf("CheckDial(%q) = %v, want an error wrapping ErrInvalidEndpoint", addr, err)
			}
		}
	}
	if checker {
		l := s.listen(t, nil)
		if err := dc.CheckDial(s.f.Scheme, s.addrOf(t, l.Endpoint())); err != nil {
			t.Errorf("CheckDial(%q) = %v, want nil", l.Endpoint(), err)
		}
	}
}

func (s *suite) closeUnblocksAccept(t *testing.T) {
	l := s.listen(t, nil)
	done := make(chan error, 1)
	go func() {
		c, err := l.Accept(context.Background())
		if c != nil {
			_ = c.Close()
		}
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	start := time.Now()
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	err := waitErr(t, done, "Accept after Close")
	if !errors.Is(err, transport.ErrClosed) {
		t.Errorf("Accept after Close = %v, want an error wrapping ErrClosed", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Accept took %v to return after Close", d)
	}
}

func (s *suite) acceptContext(t *testing.T) {
	l := s.listen(t, nil)
	c, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	conn, err := l.Accept(c)
	if err == nil {
		_ = conn.Close()
		t.Fatal("Accept with no dialer succeeded")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Accept = %v, want an error wrapping context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Accept took %v to honour its context", d)
	}
	// The listener still works afterwards.
	s.dial(t, l, nil)
	accept(t, l)
}

func (s *suite) exclusiveBind(t *testing.T) {
	if !s.f.ExclusiveBind && s.f.Kind != transport.KindPipe {
		t.Skip("the transport does not claim exclusive binds")
	}
	l := s.listen(t, nil)
	l2, err := s.f.Transport.Listen(ctx(t), s.f.Scheme, s.addrOf(t, l.Endpoint()), s.config(t, nil))
	if err == nil {
		_ = l2.Close()
		t.Fatalf("second Listen(%q) succeeded", l.Endpoint())
	}
	if !errors.Is(err, transport.ErrAddrInUse) {
		t.Errorf("second Listen(%q) = %v, want an error wrapping ErrAddrInUse", l.Endpoint(), err)
	}
	// Once closed, the address can be bound again.
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l3, err := s.f.Transport.Listen(ctx(t), s.f.Scheme, s.addrOf(t, l.Endpoint()), s.config(t, nil))
	if err != nil {
		t.Fatalf("Listen(%q) after Close: %v", l.Endpoint(), err)
	}
	_ = l3.Close()
}

func (s *suite) dialAccept(t *testing.T) {
	l := s.listen(t, nil)
	cfg := s.config(t, nil)
	cfg.Offer = "offer"
	d := s.dial(t, l, cfg)
	a := accept(t, l)
	for _, c := range []transport.Conn{d, a} {
		for _, addr := range []string{c.LocalAddress(), c.RemoteAddress()} {
			if addr != "" && !strings.HasPrefix(addr, s.f.Scheme+"://") {
				t.Errorf("connection address %q does not start with %s://", addr, s.f.Scheme)
			}
		}
		switch s.f.Kind {
		case transport.KindStream:
			if _, ok := c.(transport.StreamConn); !ok {
				t.Errorf("%T is not a StreamConn", c)
			}
		case transport.KindFrame:
			if _, ok := c.(transport.FrameConn); !ok {
				t.Errorf("%T is not a FrameConn", c)
			}
		case transport.KindPipe:
			if _, ok := c.(transport.PipeConn); !ok {
				t.Errorf("%T is not a PipeConn", c)
			}
		}
	}
	if err := d.Close(); err != nil {
		t.Errorf("Close of dialed connection: %v", err)
	}
	if err := a.Close(); err != nil {
		t.Errorf("Close of accepted connection: %v", err)
	}
}

func (s *suite) concurrent(t *testing.T) {
	const n = 16
	l := s.listen(t, nil)
	addr := s.addrOf(t, l.Endpoint())
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	dialed := make(chan transport.Conn, n)
	for i := range n {
		wg.Go(func() {
			cfg := s.config(t, nil)
			cfg.Offer = i
			c, err := s.f.Transport.Dial(ctx(t), s.f.Scheme, addr, cfg)
			if err != nil {
				errs <- fmt.Errorf("dial %d: %w", i, err)
				return
			}
			dialed <- c
		})
	}
	seen := map[any]bool{}
	for range n {
		c, err := l.Accept(ctx(t))
		if err != nil {
			t.Errorf("Accept: %v", err)
			break
		}
		if pc, ok := c.(transport.PipeConn); ok {
			seen[pc.Value()] = true
		}
		_ = c.Close()
	}
	wg.Wait()
	close(dialed)
	close(errs)
	for c := range dialed {
		_ = c.Close()
	}
	for err := range errs {
		t.Error(err)
	}
	if s.f.Kind == transport.KindPipe && len(seen) != n {
		t.Errorf("accepted %d distinct offers, want %d", len(seen), n)
	}
}
