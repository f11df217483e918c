package transporttest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// token is a unique offer value.
type token struct{ n int }

// value returns c's Value, failing if c is not a PipeConn.
func value(t *testing.T, c transport.Conn) any {
	t.Helper()
	pc, ok := c.(transport.PipeConn)
	if !ok {
		t.Fatalf("%T is not a PipeConn", c)
	}
	return pc.Value()
}

// dialAddr dials addr offering v.
func (s *suite) dialAddr(t *testing.T, addr string, v any) transport.Conn {
	t.Helper()
	cfg := s.config(t, nil)
	cfg.Offer = v
	c, err := s.f.Transport.Dial(ctx(t), s.f.Scheme, addr, cfg)
	if err != nil {
		t.Fatalf("Dial(%q): %v", addr, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// listenAddr binds addr.
func (s *suite) listenAddr(t *testing.T, addr string) transport.Listener {
	t.Helper()
	l, err := s.f.Transport.Listen(ctx(t), s.f.Scheme, addr, s.config(t, nil))
	if err != nil {
		t.Fatalf("Listen(%q): %v", addr, err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// noAccept checks that nothing is there to accept.
func noAccept(t *testing.T, l transport.Listener) {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	conn, err := l.Accept(c)
	if err == nil {
		_ = conn.Close()
		t.Fatalf("Accept returned a connection offering %v, want none", value(t, conn))
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Accept = %v, want an error wrapping context.DeadlineExceeded", err)
	}
}

func (s *suite) pipeOffer(t *testing.T) {
	l := s.listen(t, nil)
	tok := &token{1}
	d := s.dialAddr(t, s.addrOf(t, l.Endpoint()), tok)
	if v := value(t, d); v != nil {
		t.Errorf("dialing side Value() = %v, want nil", v)
	}
	a := accept(t, l)
	if v := value(t, a); v != tok {
		t.Errorf("accepted Value() = %v, want the dialer's offer %v", v, tok)
	}
	noAccept(t, l)
}

func (s *suite) pipeDialBeforeListen(t *testing.T) {
	addr := s.f.Addr(t)
	t1, t2 := &token{1}, &token{2}
	s.dialAddr(t, addr, t1)
	s.dialAddr(t, addr, t2)
	l := s.listenAddr(t, addr)
	got := []any{value(t, accept(t, l)), value(t, accept(t, l))}
	if got[0] != t1 || got[1] != t2 {
		t.Errorf("accepted offers %v, want %v in dial order", got, []any{t1, t2})
	}
	noAccept(t, l)
}

func (s *suite) pipeWithdraw(t *testing.T) {
	addr := s.f.Addr(t)
	d := s.dialAddr(t, addr, &token{1})
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	l := s.listenAddr(t, addr)
	noAccept(t, l)
	// Withdrawing after a bind works too.
	d = s.dialAddr(t, addr, &token{2})
	_ = d.Close()
	noAccept(t, l)
}

func (s *suite) pipePendingAfterClose(t *testing.T) {
	addr := s.f.Addr(t)
	l := s.listenAddr(t, addr)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	tok := &token{1}
	s.dialAddr(t, addr, tok)
	l = s.listenAddr(t, addr)
	if v := value(t, accept(t, l)); v != tok {
		t.Errorf("accepted Value() = %v, want %v", v, tok)
	}
}
