package sockio_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"

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
