package pgm

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/zmqkit/zmqkit/registry/transport"
)

func TestParseSpec(t *testing.T) {
	g := netip.MustParseAddr
	cases := []struct {
		addr  string
		iface string
		group netip.Addr
		port  uint16
	}{
		{"eth0;239.192.1.1:5555", "eth0", g("239.192.1.1"), 5555},
		{"192.0.2.1;239.192.7.7:1", "192.0.2.1", g("239.192.7.7"), 1},
		{";239.192.7.7:5555", "", g("239.192.7.7"), 5555},
		{"239.192.7.7:5555", "", g("239.192.7.7"), 5555},
		{"eth0:5555", "eth0", netip.Addr{}, 5555},
		{":5555", "", netip.Addr{}, 5555},
		{"eth0;;239.1.2.3:7500", "eth0", g("239.1.2.3"), 7500},
		{"eth0;239.1.2.3;239.1.2.3:7500", "eth0", g("239.1.2.3"), 7500},
		{"eth0;[ff08::1]:7500", "eth0", g("ff08::1"), 7500},
		{"eth0;ff08::1:7500", "eth0", g("ff08::1"), 7500},
		{"fe80::1;ff02::7:7500", "fe80::1", g("ff02::7"), 7500},
		{"192.0.2.0/24;239.0.0.1:65535", "192.0.2.0/24", g("239.0.0.1"), 65535},
	}
	for _, tc := range cases {
		sp, err := parseSpec("epgm://"+tc.addr, tc.addr)
		if err != nil {
			t.Errorf("%q: %v", tc.addr, err)
			continue
		}
		if sp.iface != tc.iface || sp.group != tc.group || sp.port != tc.port {
			t.Errorf("%q: %+v", tc.addr, sp)
		}
	}
	for _, bad := range []string{
		"", "eth0", "eth0;239.1.1.1", "eth0;239.1.1.1:0", "eth0;239.1.1.1:65536", "eth0;239.1.1.1:x",
		"eth0;239.1.1.1:-5", "eth0;192.0.2.9:5555", "eth0;239.1.1.1,239.1.1.2:5555",
		"eth0;239.1.1.1;239.1.1.2:5555", "a;b;c;d:5555", "239.1.1.1;239.1.1.2:5555",
		"eth0;not-an-address:5555", "eth 0;239.1.1.1:5555", "eth0;ff02::1%eth0:5555",
	} {
		if _, err := parseSpec("epgm://"+bad, bad); !errors.Is(err, transport.ErrInvalidEndpoint) {
			t.Errorf("%q: %v, want ErrInvalidEndpoint", bad, err)
		}
	}
}

func TestResolve(t *testing.T) {
	sp, _ := parseSpec("epgm://lo;239.1.1.1:5555", "lo;239.1.1.1:5555")
	e, err := resolve("epgm://lo;239.1.1.1:5555", sp)
	if err != nil {
		t.Fatal(err)
	}
	if e.ifName != "lo" || e.local != netip.MustParseAddr("127.0.0.1") || e.group != netip.MustParseAddr("239.1.1.1") {
		t.Errorf("lo: %+v", e)
	}
	sp, _ = parseSpec("x", "127.0.0.1;239.1.1.1:5555")
	if e, err = resolve("x", sp); err != nil || e.ifName != "lo" {
		t.Errorf("by address: %+v %v", e, err)
	}
	sp, _ = parseSpec("x", "127.0.0.0/8:5555")
	if e, err = resolve("x", sp); err != nil || e.ifName != "lo" || e.group != defaultGroup4 {
		t.Errorf("by network, default group: %+v %v", e, err)
	}
	for _, tc := range []struct {
		addr string
		want error
	}{
		{"nosuchif0;239.1.1.1:5555", transport.ErrNoDevice},
		{"203.0.113.77;239.1.1.1:5555", transport.ErrAddrNotAvailable},
		{"203.0.113.0/24;239.1.1.1:5555", transport.ErrAddrNotAvailable},
		{"127.0.0.1;ff08::1:5555", transport.ErrInvalidEndpoint},
	} {
		sp, err := parseSpec(tc.addr, tc.addr)
		if err == nil {
			_, err = resolve(tc.addr, sp)
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("%q: %v, want %v", tc.addr, err, tc.want)
		}
	}
}
