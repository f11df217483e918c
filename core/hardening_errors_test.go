package core_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/transport"
)

// Error texts say each fact once — the operation, the endpoint, the
// condition, then what the layers below add that is new — and the error
// still matches every sentinel of every layer with errors.Is.
func TestErrorTextsSayEachThingOnce(t *testing.T) {
	zc := core.NewContext()
	defer zc.Term()
	taken, err := zc.NewSocket(core.PULL, core.WithLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	if err := taken.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	inUse := taken.LastEndpoint()
	if err := taken.Bind("inproc://taken"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	ipcTaken := "ipc://@zk-errtext-" + filepath.Base(dir)
	if err := taken.Bind(ipcTaken); err != nil {
		t.Fatal(err)
	}
	s, err := zc.NewSocket(core.PUSH, core.WithLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	long := "ipc://" + filepath.Join(dir, strings.Repeat("x", 120))
	for _, tc := range []struct {
		op, ep string
		text   string
		is     []error
	}{
		{"bind", inUse, "zmq: bind " + inUse + ": address already in use",
			[]error{core.ErrAddrInUse, transport.ErrAddrInUse, syscall.EADDRINUSE}},
		{"bind", "inproc://taken", "zmq: bind inproc://taken: address already in use",
			[]error{core.ErrAddrInUse, transport.ErrAddrInUse}},
		{"bind", ipcTaken, "zmq: bind " + ipcTaken + ": address already in use",
			[]error{core.ErrAddrInUse, transport.ErrAddrInUse, syscall.EADDRINUSE}},
		{"bind", "tcp://192.0.2.1:5555", "zmq: bind tcp://192.0.2.1:5555: address not available",
			[]error{core.ErrAddrNotAvailable, transport.ErrAddrNotAvailable, syscall.EADDRNOTAVAIL}},
		{"bind", "tcp://127.0.0.1", "zmq: bind tcp://127.0.0.1: invalid argument: missing port",
			[]error{core.ErrInvalid, transport.ErrInvalidEndpoint}},
		{"connect", "tcp://localhost", "zmq: connect tcp://localhost: invalid argument: missing port",
			[]error{core.ErrInvalid, transport.ErrInvalidEndpoint}},
		{"bind", "inproc://", "zmq: bind inproc://: invalid argument",
			[]error{core.ErrInvalid, transport.ErrInvalidEndpoint}},
		{"bind", long, "zmq: bind " + long + ": invalid argument: name too long: ",
			[]error{core.ErrInvalid, transport.ErrNameTooLong}},
		{"bind", "ipc:///nonexistent/zk/sock", "zmq: bind ipc:///nonexistent/zk/sock: no such file or directory",
			[]error{syscall.ENOENT, os.ErrNotExist}},
		{"bind", "nosuch://x", "zmq: bind nosuch://x: protocol not supported: unknown transport \"nosuch\": no zmqkit plugin provides it; registered: ",
			[]error{core.ErrProtocolNotSupported, registry.ErrUnknownTransport}},
	} {
		if strings.Contains(tc.ep, "192.0.2.1") && !canTry192() {
			continue
		}
		var err error
		if tc.op == "bind" {
			err = s.Bind(tc.ep)
		} else {
			err = s.Connect(tc.ep)
		}
		if err == nil {
			t.Errorf("%s %s: no error", tc.op, tc.ep)
			continue
		}
		if got := err.Error(); !(got == tc.text || strings.HasSuffix(tc.text, ": ") && strings.HasPrefix(got, tc.text)) {
			t.Errorf("%s %s:\n got %q\nwant %q", tc.op, tc.ep, got, tc.text)
		}
		for _, want := range tc.is {
			if !errors.Is(err, want) {
				t.Errorf("%s %s: errors.Is(%v) is false: %v", tc.op, tc.ep, want, err)
			}
		}
	}

	// options, closed sockets, deadlines
	err = s.SetOption(core.WithRoutingID(nil))
	if got, want := err.Error(), "zmq: setsockopt: invalid argument: ROUTING_ID must be 1-255 bytes, got 0"; got != want {
		t.Errorf("got %q want %q", got, want)
	}
	c, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	err = s.SendString(c, "x")
	if got, want := err.Error(), "zmq: send: resource temporarily unavailable: context deadline exceeded"; got != want {
		t.Errorf("got %q want %q", got, want)
	}
	if !errors.Is(err, core.ErrWouldBlock) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("deadline: %v", err)
	}
	s.Close()
	err = s.SendString(context.Background(), "x")
	if got, want := err.Error(), "zmq: send: socket closed"; got != want {
		t.Errorf("got %q want %q", got, want)
	}
	if !errors.Is(err, core.ErrClosed) || !errors.Is(err, net.ErrClosed) {
		t.Errorf("closed: %v", err)
	}
}

// canTry192 reports whether binding a TEST-NET address fails the usual
// way here (it does unless the machine has that address).
func canTry192() bool {
	l, err := net.Listen("tcp", "192.0.2.1:0")
	if err == nil {
		l.Close()
		return false
	}
	return true
}
