package core_test

import (
	"context"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

// HANDSHAKE_IVL applies to ZMTP/1.0 and 2.0 peers too: one that stops
// before its greeting (its identity frame, for 1.0) is complete is closed
// when the interval expires, with HANDSHAKE_FAILED_NO_DETAIL(ETIMEDOUT)
// and then DISCONNECTED, in that order, as for a 3.x peer.
func TestHandshakeIntervalLegacyPeers(t *testing.T) {
	v2sig := append(wSig(0), 1)
	for _, tc := range []struct {
		name string
		send []byte
	}{
		{"v1 one octet", []byte{0x05}},
		{"v1 identity header only", []byte{0x05, 0x00}},
		{"v1 partial identity", []byte{0x05, 0x00, 'a', 'b'}},
		{"v1 long identity header cut", []byte{0xFF, 0, 0, 0, 0, 0}},
		{"v3 partial signature", []byte{0xFF, 0, 0}},
		{"v2 signature and revision", v2sig},
		{"v2 socket type, no identity", append(append([]byte{}, v2sig...), 5)},
		{"v2 identity header only", append(append([]byte{}, v2sig...), 5, 0, 4)},
		{"v3 partial greeting", wGreeting(1, "NULL")[:20]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			zc := core.NewContext()
			defer zc.Term()
			s, err := zc.NewSocket(core.ROUTER, core.WithLinger(0), core.WithHandshakeInterval(150*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Bind("tcp://127.0.0.1:*"); err != nil {
				t.Fatal(err)
			}
			ch, _ := s.WatchEvents(context.Background(), core.EventDisconnected|core.EventHandshakeFailedNoDetail|
				core.EventHandshakeFailedProtocol|core.EventHandshakeSucceeded)
			c := wDial(t, s.LastEndpoint())
			wWrite(t, c, tc.send)
			var got []core.MonitorEvent
			for len(got) < 2 {
				select {
				case ev := <-ch:
					got = append(got, ev)
				case <-time.After(3 * time.Second):
					t.Fatalf("events %v, want HANDSHAKE_FAILED_NO_DETAIL then DISCONNECTED", got)
				}
			}
			if got[0].Event != core.EventHandshakeFailedNoDetail || got[0].Value != uint64(syscall.ETIMEDOUT) ||
				got[1].Event != core.EventDisconnected {
				t.Fatalf("events %v %v, want HANDSHAKE_FAILED_NO_DETAIL(ETIMEDOUT) then DISCONNECTED", got[0], got[1])
			}
			wClosed(t, c, 2*time.Second, "zmqkit after the handshake interval")
		})
	}
}

// A ZMTP/1.0 or 2.0 peer whose identity arrived has completed its
// greeting: from then on it is an established connection that may stay
// silent (a ZMTP/1.0 SUB never sends anything), as in libzmq.
func TestHandshakeIntervalLegacyPeerComplete(t *testing.T) {
	for _, send := range [][]byte{{0x01, 0x00}, append(append(wSig(0), 1), 5, 0, 0)} {
		zc := core.NewContext()
		s, err := zc.NewSocket(core.ROUTER, core.WithLinger(0), core.WithHandshakeInterval(100*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Bind("tcp://127.0.0.1:*"); err != nil {
			t.Fatal(err)
		}
		c := wDial(t, s.LastEndpoint())
		wWrite(t, c, send)
		c.SetReadDeadline(time.Now().Add(400 * time.Millisecond))
		buf := make([]byte, 256)
		for {
			if _, err := c.Read(buf); err != nil {
				if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
					t.Fatalf("% x: connection closed: %v", send, err)
				}
				break
			}
		}
		zc.Term()
	}
}
