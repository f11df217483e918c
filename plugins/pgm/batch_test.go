//go:build unix

package pgm

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"
)

// writeBatch delivers every packet, in order, however many there are and
// however small the socket's send buffer (it waits when the kernel takes
// fewer than it was given).
func TestWriteBatch(t *testing.T) {
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	if err := rx.SetReadBuffer(4 << 20); err != nil {
		t.Fatal(err)
	}
	to := rx.LocalAddr().(*net.UDPAddr).AddrPort()
	tx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	if err := tx.SetWriteBuffer(4096); err != nil {
		t.Fatal(err)
	}
	c := newPconn(tx, to.Port())
	defer c.close()
	const n = 300
	pkts := make([][]byte, n)
	for i := range pkts {
		pkts[i] = fmt.Appendf(bytes.Repeat([]byte{'.'}, 1000), "%d", i)
	}
	var bt batcher
	done := make(chan error, 1)
	go func() {
		var err error
		for i := 0; i < n && err == nil; i += 100 {
			err = c.writeBatch(&bt, pkts[i:i+100], netip.MustParseAddr("127.0.0.1"))
		}
		done <- err
	}()
	buf := make([]byte, 2000)
	for i := range n {
		if err := rx.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
			t.Fatal(err)
		}
		m, _, err := rx.ReadFromUDPAddrPort(buf)
		if err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
		if !bytes.Equal(buf[:m], pkts[i]) {
			t.Fatalf("packet %d: got %q", i, buf[1000:m])
		}
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
