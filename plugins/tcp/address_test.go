package tcp

import (
	"testing"
)

func TestParseHostPort(t *testing.T) {
	tests := []struct {
		in       string
		wildcard bool
		want     hostPort
		ok       bool
	}{
		{"*:*", true, hostPort{host: "*"}, true},
		{"*:0", true, hostPort{host: "*"}, true},
		{"*:5555", true, hostPort{host: "*", port: 5555}, true},
		{"host:*", false, hostPort{}, false},
		{"[::1]:0", true, hostPort{host: "::1"}, true},
		{"::1:80", false, hostPort{host: "::1", port: 80}, true},
		{"[fe80::1%eth0]:1", false, hostPort{host: "fe80::1", zone: "eth0", port: 1}, true},
		{"[fe80::1%2]:1", false, hostPort{host: "fe80::1", zone: "2", port: 1}, true},
		{"lo:0", true, hostPort{host: "lo"}, true},
		{"eth0:5555", true, hostPort{host: "eth0", port: 5555}, true},
		{"localhost:00080", false, hostPort{host: "localhost", port: 80}, true},
		{":5555", true, hostPort{}, false},
		{"host", true, hostPort{}, false},
		{"host:", true, hostPort{}, false},
		{"host:123456", true, hostPort{}, false},
		{"host:+1", true, hostPort{}, false},
		{"[::1:0", true, hostPort{}, false},
		{"[]:0", true, hostPort{}, false},
		{"[fe80::1%]:0", true, hostPort{}, false},
		{"1.2.3.4%eth0:0", true, hostPort{}, false},
		{"a b:1", true, hostPort{}, false},
		{"a;b:1", true, hostPort{}, false},
	}
	for _, tc := range tests {
		got, err := parseHostPort(tc.in, tc.wildcard)
		if (err == nil) != tc.ok {
			t.Errorf("parseHostPort(%q) error %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if tc.ok && got != tc.want {
			t.Errorf("parseHostPort(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestParseDial(t *testing.T) {
	tests := []struct {
		in       string
		src, dst string // hosts; src "" = none
		ok       bool
	}{
		{"server:5555", "", "server", true},
		{"eth1:0;server:5555", "eth1", "server", true},
		{"192.168.1.17:5555;192.168.1.1:5555", "192.168.1.17", "192.168.1.1", true},
		{"[::1]:0;[::1]:5555", "::1", "::1", true},
		{"eth0;server:5555", "", "", false},
		{"a;b:1", "", "", false},
		{"*:1;*:1", "", "", false},
	}
	for _, tc := range tests {
		ds, err := parseDial(tc.in)
		if (err == nil) != tc.ok {
			t.Errorf("parseDial(%q) error %v, want ok=%v", tc.in, err, tc.ok)
			continue
		}
		if !tc.ok {
			continue
		}
		src := ""
		if ds.src != nil {
			src = ds.src.host
		}
		if src != tc.src || ds.dst.host != tc.dst {
			t.Errorf("parseDial(%q) = src %q dst %q, want %q %q", tc.in, src, ds.dst.host, tc.src, tc.dst)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"*:*", "[::1]:0", "lo:0;h:1", "[fe80::1%eth0]:1", "a;b:1", ":5555", "%:1", "[%]:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		hp, err := parseHostPort(s, true)
		if err == nil && (hp.host == "" || hp.port < 0 || hp.port > 65535) {
			t.Fatalf("parseHostPort(%q) = %+v", s, hp)
		}
		if _, err := parseDial(s); err == nil {
			if err := (tcpTransport{}).CheckDial("tcp", s); err != nil {
				t.Fatalf("parseDial accepted %q but CheckDial = %v", s, err)
			}
		}
	})
}
