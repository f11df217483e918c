package transporttest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// A datagram listener hands out its bound socket once, then waits for
// Close.
func (s *suite) datagramAcceptOnce(t *testing.T) {
	l := s.listen(t, nil)
	a := accept(t, l)
	if _, ok := a.(transport.DatagramConn); !ok {
		t.Fatalf("%T is not a DatagramConn", a)
	}
	c, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if conn, err := l.Accept(c); err == nil {
		conn.Close()
		t.Fatal("a second Accept returned a connection")
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second Accept = %v, want an error wrapping context.DeadlineExceeded", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := l.Accept(context.Background())
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := waitErr(t, done, "Accept after Close"); !errors.Is(err, transport.ErrClosed) {
		t.Errorf("Accept after Close = %v, want an error wrapping ErrClosed", err)
	}
}

// readDatagram reads one datagram from c within the suite's timeout.
func readDatagram(t *testing.T, c transport.DatagramConn) (string, string) {
	t.Helper()
	type res struct {
		b    string
		from string
		err  error
	}
	ch := make(chan res, 1)
	go func() {
		buf := make([]byte, 2048)
		n, from, err := c.ReadDatagram(buf)
		ch <- res{string(buf[:n]), from, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatalf("ReadDatagram: %v", r.err)
		}
		return r.b, r.from
	case <-time.After(timeout):
		c.Close()
		<-ch
		t.Fatalf("no datagram within %v", timeout)
		return "", ""
	}
}

// Datagrams go from the dialled socket to the bound one, which answers
// the sender; many in a row arrive in order (loopback).
func (s *suite) datagramExchange(t *testing.T) {
	l := s.listen(t, nil)
	a, ok := accept(t, l).(transport.DatagramConn)
	if !ok {
		t.Fatal("not a DatagramConn")
	}
	d, ok := s.dial(t, l, nil).(transport.DatagramConn)
	if !ok {
		t.Fatal("not a DatagramConn")
	}
	if err := d.WriteDatagram([]byte("hello"), ""); err != nil {
		t.Fatal(err)
	}
	got, from := readDatagram(t, a)
	if got != "hello" || from == "" {
		t.Fatalf("received %q from %q", got, from)
	}
	if err := a.WriteDatagram([]byte("back"), from); err != nil {
		t.Fatal(err)
	}
	if got, _ := readDatagram(t, d); got != "back" {
		t.Fatalf("reply %q", got)
	}
	const n = 50
	for i := 0; i < n; i++ {
		if err := d.WriteDatagram([]byte(fmt.Sprint(i)), ""); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		if got, _ := readDatagram(t, a); got != fmt.Sprint(i) {
			t.Fatalf("datagram %d: %q", i, got)
		}
	}
	// A bad address fails with ErrInvalidEndpoint, or the datagram is
	// dropped (a transport that writes asynchronously); the socket goes on.
	if err := a.WriteDatagram([]byte("x"), "not an address"); err != nil && !errors.Is(err, transport.ErrInvalidEndpoint) {
		t.Errorf("WriteDatagram to a bad address = %v, want ErrInvalidEndpoint or nil", err)
	}
	if err := a.WriteDatagram([]byte("still"), from); err != nil {
		t.Fatal(err)
	}
	if got, _ := readDatagram(t, d); got != "still" {
		t.Fatalf("after a bad address: %q", got)
	}
}
