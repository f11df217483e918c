package sockio_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/registry/transport/sockio"
)

func TestOpErrorAndErrno(t *testing.T) {
	for _, tc := range []struct {
		err      error
		sentinel error
		errno    int
	}{
		{syscall.EADDRINUSE, transport.ErrAddrInUse, int(syscall.EADDRINUSE)},
		{syscall.EADDRNOTAVAIL, transport.ErrAddrNotAvailable, int(syscall.EADDRNOTAVAIL)},
		{syscall.ENODEV, transport.ErrNoDevice, int(syscall.ENODEV)},
		{syscall.ENAMETOOLONG, transport.ErrNameTooLong, int(syscall.ENAMETOOLONG)},
		{transport.ErrInvalidEndpoint, transport.ErrInvalidEndpoint, int(syscall.EINVAL)},
	} {
		err := sockio.OpError("tcp", "bind", "tcp://x:1", tc.err)
		if !errors.Is(err, tc.sentinel) || !errors.Is(err, tc.err) {
			t.Errorf("%v: %v does not wrap both", tc.err, err)
		}
		if got := sockio.Errno(err); got != tc.errno {
			t.Errorf("Errno(%v) = %d, want %d", err, got, tc.errno)
		}
	}
	if sockio.Errno(errors.New("plain")) != 0 {
		t.Error("Errno of a plain error is not 0")
	}
}

func tcpPair(t *testing.T) (*sockio.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return sockio.NewConn(s, "local", "remote", "peer"), c
}

func TestConnScatterReadAndGatherWrite(t *testing.T) {
	sc, peer := tcpPair(t)
	if sc.FD() < 0 || sc.LocalAddress() != "local" || sc.RemoteAddress() != "remote" || sc.PeerAddress() != "peer" {
		t.Fatalf("conn fields: fd %d %q %q %q", sc.FD(), sc.LocalAddress(), sc.RemoteAddress(), sc.PeerAddress())
	}
	want := bytes.Repeat([]byte("0123456789"), 1000)
	if _, err := peer.Write(want); err != nil {
		t.Fatal(err)
	}
	a, b := make([]byte, 3000), make([]byte, 7000)
	got := 0
	for got < len(want) {
		// fill a then b, in order, whatever the read sizes
		var bufs [][]byte
		if got < len(a) {
			bufs = [][]byte{a[got:], b}
		} else {
			bufs = [][]byte{b[got-len(a):]}
		}
		n, err := sc.ReadBuffers(bufs)
		if err != nil {
			t.Fatal(err)
		}
		got += n
	}
	if !bytes.Equal(append(a, b...), want) {
		t.Fatal("scatter read scrambled the stream")
	}
	// gather write: the pieces arrive in order and the argument is kept
	bufs := [][]byte{[]byte("ab"), []byte("cd"), []byte("ef")}
	if n, err := sc.WriteBuffers(bufs); err != nil || n != 6 {
		t.Fatalf("WriteBuffers: %d %v", n, err)
	}
	if string(bufs[0]) != "ab" || len(bufs) != 3 {
		t.Fatal("WriteBuffers changed its argument")
	}
	out := make([]byte, 6)
	if _, err := io.ReadFull(peer, out); err != nil || string(out) != "abcdef" {
		t.Fatalf("peer got %q %v", out, err)
	}
	peer.Close()
	if _, err := sc.ReadBuffers([][]byte{make([]byte, 10)}); err != io.EOF {
		t.Fatalf("after the peer closed: %v, want io.EOF", err)
	}
}

// opaqueConn hides the concrete type of a connection, as AF_VSOCK
// connections (outside the net package) look to sockio.
type opaqueConn struct{ *net.UnixConn }

func (c opaqueConn) SyscallConn() (syscall.RawConn, error) { return c.UnixConn.SyscallConn() }

func unixPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	var cs [2]net.Conn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "pair")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		cs[i] = c
		t.Cleanup(func() { c.Close() })
	}
	return cs[0], cs[1]
}

func TestConnGatherWriteOutsideNet(t *testing.T) {
	a, b := unixPair(t)
	sc := sockio.NewConn(opaqueConn{a.(*net.UnixConn)}, "", "", "")
	if sc.FD() < 0 {
		t.Fatal("no descriptor")
	}
	// More buffers than one writev takes, empty ones among them, and more
	// bytes than the socket buffer holds, so that writes wait.
	var bufs [][]byte
	var want []byte
	for i := range 3000 {
		var b []byte
		switch i % 3 {
		case 0:
			b = bytes.Repeat([]byte{byte(i)}, 1+i%700)
		case 1:
			b = nil
		case 2:
			b = []byte{byte(i >> 8), byte(i)}
		}
		bufs = append(bufs, b)
		want = append(want, b...)
	}
	big := bytes.Repeat([]byte("x"), 4<<20)
	bufs = append(bufs, big)
	want = append(want, big...)
	lens := make([]int, len(bufs))
	for i, b := range bufs {
		lens[i] = len(b)
	}
	done := make(chan error, 1)
	go func() {
		n, err := sc.WriteBuffers(bufs)
		if err == nil && n != int64(len(want)) {
			err = io.ErrShortWrite
		}
		done <- err
	}()
	got := make([]byte, len(want))
	if _, err := io.ReadFull(b, got); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("WriteBuffers: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("gather write scrambled the stream")
	}
	for i, b := range bufs {
		if len(b) != lens[i] {
			t.Fatal("WriteBuffers changed its argument")
		}
	}
	if n, err := sc.WriteBuffers([][]byte{nil, {}}); n != 0 || err != nil {
		t.Fatalf("empty WriteBuffers: %d %v", n, err)
	}
	// A write deadline ends a write nobody reads.
	if err := sc.SetWriteDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	n, err := sc.WriteBuffers([][]byte{big, big})
	if !errors.Is(err, os.ErrDeadlineExceeded) || n >= int64(2*len(big)) {
		t.Fatalf("WriteBuffers past its deadline: %d %v", n, err)
	}
	b.Close()
	_ = sc.SetWriteDeadline(time.Time{})
	if _, err := sc.WriteBuffers([][]byte{big}); err == nil {
		t.Fatal("WriteBuffers to a closed peer succeeded")
	}
}
