//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package sockio_test

import (
	"bytes"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/registry/transport/sockio"
)

// fileConnPair returns a tcp connection and a FileConn holding a duplicate
// of its peer's descriptor (the peer itself is closed).
func fileConnPair(t *testing.T) (net.Conn, *sockio.FileConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	var fd int
	rc, _ := b.(*net.TCPConn).SyscallConn()
	rc.Control(func(s uintptr) { fd, err = syscall.Dup(int(s)) })
	if err != nil {
		t.Fatal(err)
	}
	b.Close()
	fc, err := sockio.NewFileConn(fd, "test", "tcp://l", "tcp://r", "1.2.3.4")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(); fc.Close() })
	return a, fc
}

func TestFileConn(t *testing.T) {
	a, fc := fileConnPair(t)
	if fc.LocalAddress() != "tcp://l" || fc.RemoteAddress() != "tcp://r" || fc.PeerAddress() != "1.2.3.4" || fc.FD() < 0 || !fc.Direct() {
		t.Fatal("addresses")
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB: partial writevs
	bufs := [][]byte{[]byte("head"), nil, big, []byte("tail")}
	want := bytes.Join(bufs, nil)
	done := make(chan error, 1)
	go func() {
		n, err := fc.WriteBuffers(bufs)
		if err == nil && n != int64(len(want)) {
			err = io.ErrShortWrite
		}
		done <- err
	}()
	got := make([]byte, len(want))
	if _, err := io.ReadFull(a, got); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// readv into several buffers
	go a.Write([]byte("abcdefgh"))
	b1, b2 := make([]byte, 3), make([]byte, 5)
	n := 0
	for n < 8 {
		k, err := fc.ReadBuffers([][]byte{b1[min(n, 3):], b2[max(0, n-3):]})
		if err != nil {
			t.Fatal(err)
		}
		n += k
	}
	if string(b1)+string(b2) != "abcdefgh" {
		t.Fatalf("readv got %q %q", b1, b2)
	}
	// deadlines through the poller
	fc.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := fc.Read(make([]byte, 1)); err == nil {
		t.Fatal("read past its deadline succeeded")
	}
	fc.SetReadDeadline(time.Time{})
	a.Close()
	if _, err := fc.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read after the peer closed: %v", err)
	}
}
