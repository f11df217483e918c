package core_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/zmqkit/zmqkit/core"
)

// syncBuffer is a bytes.Buffer safe for the logger's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// An unresolvable host is not invisible: CONNECT_RETRIED carries the
// resolver's error, and the context's logger reports it (once at Warn
// level, repeats at Debug level).
func TestConnectRetriedCarriesResolverError(t *testing.T) {
	var logs syncBuffer
	zc := core.NewContext(core.WithLogger(hclog.New(&hclog.LoggerOptions{Output: &logs, Level: hclog.Debug})))
	defer zc.Term()
	s, err := zc.NewSocket(core.DEALER, core.WithLinger(0), core.WithReconnectInterval(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ch, err := s.WatchEvents(context.Background(), core.EventConnectRetried)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Connect("tcp://nosuch.invalid:5555"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		select {
		case ev := <-ch:
			var dns *net.DNSError
			if ev.Err == nil || !errors.As(ev.Err, &dns) || !strings.Contains(ev.Err.Error(), "nosuch.invalid") {
				t.Fatalf("CONNECT_RETRIED %d: Err %v, want the resolver's error", i, ev.Err)
			}
			if ev.Value == 0 || ev.Interval == 0 {
				t.Fatalf("CONNECT_RETRIED without its interval: %+v", ev)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no CONNECT_RETRIED")
		}
	}
	s.Close()
	out := logs.String()
	if strings.Count(out, "[WARN]") != 1 || !strings.Contains(out, "connect failed") || !strings.Contains(out, "nosuch.invalid") {
		t.Fatalf("log:\n%s", out)
	}
	if !strings.Contains(out, "[DEBUG]") {
		t.Fatalf("repeated failures are not logged at debug level:\n%s", out)
	}
}

// zmtpServer accepts one connection, does a NULL handshake as a ROUTER
// and then runs then on it.
func zmtpServer(t *testing.T, then func(c *net.TCPConn)) string {
	t.Helper()
	return fakeServer(t, func(c net.Conn) {
		go func() {
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			c.Write(wGreeting(1, "NULL"))
			buf := make([]byte, 64)
			if _, err := readFull(c, buf); err != nil {
				return
			}
			c.Write(wReady("ROUTER"))
			// zmqkit's READY
			h := make([]byte, 2)
			if _, err := readFull(c, h); err != nil {
				return
			}
			if _, err := readFull(c, make([]byte, h[1])); err != nil {
				return
			}
			c.SetDeadline(time.Time{})
			then(c.(*net.TCPConn))
		}()
	})
}

func readFull(c net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k, err := c.Read(b[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// DISCONNECTED (and HANDSHAKE_FAILED_*) carry the real cause in Err and
// Errno: a reset is ECONNRESET, a heartbeat timeout ETIMEDOUT, an orderly
// close by the peer EPIPE (libzmq's errno for a read of 0 bytes), a
// protocol error EPROTO, a frame above MAXMSGSIZE EMSGSIZE.
func TestDisconnectedCarriesCause(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  []core.Option
		then  func(c *net.TCPConn)
		errno syscall.Errno
	}{
		{"reset", nil, func(c *net.TCPConn) {
			time.Sleep(50 * time.Millisecond)
			c.SetLinger(0)
			c.Close()
		}, syscall.ECONNRESET},
		{"heartbeat timeout", []core.Option{core.WithHeartbeat(50*time.Millisecond, 0, 150*time.Millisecond)}, func(c *net.TCPConn) {
			buf := make([]byte, 4096)
			for { // read and never answer the PINGs
				if _, err := c.Read(buf); err != nil {
					return
				}
			}
		}, syscall.ETIMEDOUT},
		{"orderly close", nil, func(c *net.TCPConn) {
			time.Sleep(50 * time.Millisecond)
		}, syscall.EPIPE},
		{"protocol error", nil, func(c *net.TCPConn) {
			c.Write(wFrame(0x04, []byte{200, 'x'})) // a command whose name overruns the frame
			time.Sleep(time.Second)
		}, syscall.EPROTO},
		{"frame above MAXMSGSIZE", []core.Option{core.WithMaxMsgSize(10)}, func(c *net.TCPConn) {
			c.Write(wFrame(0, make([]byte, 100)))
			time.Sleep(time.Second)
		}, syscall.EMSGSIZE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ep := zmtpServer(t, tc.then)
			zc := core.NewContext()
			defer zc.Term()
			s, err := zc.NewSocket(core.DEALER, append([]core.Option{core.WithLinger(0), core.WithReconnectInterval(time.Hour)}, tc.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			ch, _ := s.WatchEvents(context.Background(), core.EventDisconnected)
			if err := s.Connect(ep); err != nil {
				t.Fatal(err)
			}
			select {
			case ev := <-ch:
				if ev.Errno != tc.errno || ev.Err == nil {
					t.Fatalf("DISCONNECTED: Errno %v (%d), Err %v; want %v", ev.Errno, int(ev.Errno), ev.Err, tc.errno)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("no DISCONNECTED")
			}
		})
	}
}
