package udp

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/registry/transport/transporttest"
)

func TestParse(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		addr      string
		bind      bool
		target    string
		local     string
		multicast bool
		err       error
	}{
		{"127.0.0.1:5555", true, "127.0.0.1:5555", "127.0.0.1:5555", false, nil},
		{"*:5555", true, "0.0.0.0:5555", "0.0.0.0:5555", false, nil},
		{"*:*", true, "0.0.0.0:0", "0.0.0.0:0", false, nil},
		{"239.1.2.3:5555", true, "239.1.2.3:5555", "0.0.0.0:5555", true, nil},
		{"127.0.0.1;239.1.2.3:5555", true, "239.1.2.3:5555", "127.0.0.1:5555", true, nil},
		{"*;239.1.2.3:5555", false, "239.1.2.3:5555", "0.0.0.0:5555", true, nil},
		{"127.0.0.1:5555", false, "127.0.0.1:5555", "0.0.0.0:5555", false, nil},
		{"localhost:5555", false, "127.0.0.1:5555", "0.0.0.0:5555", false, nil},
		{"127.0.0.1:0", false, "", "", false, transport.ErrInvalidEndpoint},
		{"*:5555", false, "", "", false, transport.ErrInvalidEndpoint},
		{"127.0.0.1", true, "", "", false, transport.ErrInvalidEndpoint},
		{"239.1.1.1;239.1.2.3:5555", true, "", "", false, transport.ErrInvalidEndpoint},
		{"127.0.0.1;127.0.0.2:5555", true, "", "", false, transport.ErrInvalidEndpoint},
		{"nosuchnic0;239.1.2.3:5555", true, "", "", false, transport.ErrNoDevice},
		{"127.0.0.1:70000", true, "", "", false, transport.ErrInvalidEndpoint},
	} {
		sp, err := parse(ctx, "udp://"+c.addr, c.addr, c.bind, false)
		if c.err != nil {
			if !errors.Is(err, c.err) {
				t.Errorf("parse(%q, bind=%v): %v, want %v", c.addr, c.bind, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parse(%q, bind=%v): %v", c.addr, c.bind, err)
			continue
		}
		if sp.target.String() != c.target || sp.bind.String() != c.local || sp.multicast != c.multicast {
			t.Errorf("parse(%q, bind=%v) = target %v local %v mcast %v; want %v %v %v",
				c.addr, c.bind, sp.target, sp.bind, sp.multicast, c.target, c.local, c.multicast)
		}
	}
}

func TestCheckDial(t *testing.T) {
	tr := New().(transport.DialChecker)
	for _, ok := range []string{"127.0.0.1:5555", "example.invalid:5555", "eth0;239.1.1.1:5555", "[::1]:5555"} {
		if err := tr.CheckDial("udp", ok); err != nil {
			t.Errorf("CheckDial(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"127.0.0.1", "*:5555", "127.0.0.1:0", "239.1.1.1;239.1.1.2:5", "10.0.0.1;127.0.0.1:5", ";239.1.1.1:5"} {
		if err := tr.CheckDial("udp", bad); !errors.Is(err, transport.ErrInvalidEndpoint) {
			t.Errorf("CheckDial(%q) = %v, want ErrInvalidEndpoint", bad, err)
		}
	}
}

func TestListenDial(t *testing.T) {
	ctx := context.Background()
	tr := New()
	if tr.Kind() != transport.KindDatagram {
		t.Fatal("kind")
	}
	ln, err := tr.Listen(ctx, "udp", "127.0.0.1:*", nil)
	if err != nil {
		t.Fatal(err)
	}
	ep := ln.Endpoint()
	if strings.HasSuffix(ep, ":*") || strings.HasSuffix(ep, ":0") {
		t.Fatalf("endpoint %q not resolved", ep)
	}
	c, err := ln.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rc := c.(transport.DatagramConn)
	// the listener has one socket: a second Accept waits for Close
	done := make(chan error, 1)
	go func() { _, err := ln.Accept(ctx); done <- err }()
	select {
	case err := <-done:
		t.Fatalf("second Accept returned %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	ln.Close()
	if err := <-done; !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("Accept after Close: %v", err)
	}
	defer rc.Close()

	d, err := tr.Dial(ctx, "udp", strings.TrimPrefix(ep, "udp://"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	sc := d.(transport.DatagramConn)
	if err := sc.WriteDatagram([]byte("hello"), ""); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	n, from, err := rc.ReadDatagram(buf)
	if err != nil || string(buf[:n]) != "hello" {
		t.Fatalf("read %q %v", buf[:n], err)
	}
	// answer to the sender's address
	if err := rc.WriteDatagram([]byte("back"), from); err != nil {
		t.Fatal(err)
	}
	n, _, err = sc.ReadDatagram(buf)
	if err != nil || string(buf[:n]) != "back" {
		t.Fatalf("read %q %v", buf[:n], err)
	}
	if err := rc.WriteDatagram([]byte("x"), "nonsense"); !errors.Is(err, transport.ErrInvalidEndpoint) {
		t.Fatalf("bad address: %v", err)
	}
	rc.Close()
	if _, _, err := rc.ReadDatagram(buf); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("read after close: %v", err)
	}
}

func TestConformance(t *testing.T) {
	transporttest.Run(t, transporttest.Factory{
		Transport:     New(),
		Kind:          transport.KindDatagram,
		Addr:          func(testing.TB) string { return "127.0.0.1:0" },
		InvalidListen: []string{"127.0.0.1", "127.0.0.1:70000"},
		InvalidDial:   []string{"127.0.0.1:0", "*:5555"},
	})
}
