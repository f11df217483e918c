package vmci_test

import (
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/vmci"
)

// Firecracker's hybrid vsock: the host side is a Unix socket (a fake
// device here, relaying to a guest on the fake network).
func TestHybridFirecracker(t *testing.T) {
	n := network(t)
	fc, err := n.Firecracker(3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fc.Close() })
	guestCtx := newContext(t, core.WithRegistry(n.Machine(3).Registry()))
	hostCtx := newContext(t, core.WithRegistry(n.Machine(2).Registry()))
	hybrid := core.WithTransportOption(vmci.HybridUDS(fc.UDS))

	t.Run("HostConnects", func(t *testing.T) {
		rep := sock(t, guestCtx, core.REP)
		bind(t, rep, "vsock://*:5000")
		req := sock(t, hostCtx, core.REQ, hybrid)
		evs, err := req.WatchEvents(ctx(t), core.EventConnected)
		if err != nil {
			t.Fatal(err)
		}
		connect(t, req, "vsock://3:5000")
		e := expect(t, evs, core.EventConnected)
		if e.Remote != "vsock://3:5000" || !strings.HasPrefix(e.Local, "vsock://2:") || e.FD < 0 {
			t.Errorf("CONNECTED %+v", e)
		}
		send(t, req, "hello guest")
		m := recv(t, rep, "hello guest")
		if pa, _ := m.Property("Peer-Address"); pa != "2" {
			t.Errorf("the guest sees Peer-Address %q, want the host's CID 2", pa)
		}
		big := strings.Repeat("z", 2<<20)
		send(t, rep, big)
		recv(t, req, big)
	})
	t.Run("GuestConnects", func(t *testing.T) {
		router := sock(t, hostCtx, core.ROUTER, hybrid)
		if ep := bind(t, router, "vsock://*:6000"); ep != "vsock://*:6000" {
			t.Errorf("LastEndpoint %q", ep)
		}
		dealer := sock(t, guestCtx, core.DEALER, core.WithRoutingID([]byte("g3")))
		connect(t, dealer, "vsock://2:6000")
		send(t, dealer, "up")
		recv(t, router, "g3", "up")
		send(t, router, "g3", "ack")
		recv(t, dealer, "ack")
	})
	t.Run("NoGuestListener", func(t *testing.T) {
		push := sock(t, hostCtx, core.PUSH, hybrid, core.WithReconnectStop(core.ReconnectStopConnRefused))
		evs, err := push.WatchEvents(ctx(t), core.EventClosed)
		if err != nil {
			t.Fatal(err)
		}
		connect(t, push, "vsock://3:5999")
		if e := expect(t, evs, core.EventClosed); !errors.Is(e.Err, syscall.ECONNREFUSED) {
			t.Errorf("CLOSED %+v, want a refused connect", e)
		}
	})
	t.Run("BindNeedsAPort", func(t *testing.T) {
		s := sock(t, hostCtx, core.PULL, hybrid)
		if err := s.Bind("vsock://*:*"); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("Bind(vsock://*:*) on hybrid vsock: %v, want EINVAL", err)
		}
		if err := s.Bind("vsock://3:7000"); !errors.Is(err, core.ErrAddrNotAvailable) {
			t.Errorf("Bind(vsock://3:7000) on the host's hybrid side: %v, want EADDRNOTAVAIL", err)
		}
	})
}
