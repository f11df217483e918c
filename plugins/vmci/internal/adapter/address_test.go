package adapter

import (
	"errors"
	"strings"
	"testing"

	"github.com/mdlayher/vsock"

	"github.com/zmqkit/zmqkit/registry/transport"
)

func TestParse(t *testing.T) {
	const any32 = 0xFFFFFFFF
	tests := []struct {
		scheme, addr string
		bind         bool
		want         Address
		ok           bool
	}{
		// wildcards: bind only
		{"vsock", "*:*", true, Address{CID: any32, Port: any32}, true},
		{"vmci", "-1:-1", true, Address{CID: any32, Port: any32}, true},
		{"vsock", "*:5555", true, Address{CID: any32, Port: 5555}, true},
		{"vsock", "*:5555", false, Address{}, false},
		{"vsock", "3:*", false, Address{}, false},
		{"vsock", "-1:5", false, Address{}, false},
		{"vsock", "3:-1", false, Address{}, false},
		{"vsock", "4294967295:5", false, Address{}, false},
		{"vsock", "3:4294967295", false, Address{}, false},
		{"vsock", "4294967295:4294967295", true, Address{CID: any32, Port: any32}, true},
		// "@": local CID on vmci (resolved later), CID 1 on vsock
		{"vmci", "@:5", true, Address{At: true, Port: 5}, true},
		{"vmci", "@:5", false, Address{At: true, Port: 5}, true},
		{"vsock", "@:5", true, Address{CID: 1, At: true, Port: 5}, true},
		{"vsock", "@:5", false, Address{CID: 1, At: true, Port: 5}, true},
		// numbers
		{"vsock", "2:5000", false, Address{CID: 2, Port: 5000}, true},
		{"vsock", "0:0", true, Address{CID: 0, Port: 0}, true},
		{"vmci", "007:010", false, Address{CID: 7, Port: 10}, true},
		{"vsock", "4294967294:4294967294", false, Address{CID: 4294967294, Port: 4294967294}, true},
		{"vsock", "4294967296:1", true, Address{}, false},
		{"vsock", "1:4294967296", true, Address{}, false},
		{"vsock", "99999999999999999999999:1", true, Address{}, false},
		// the last ':' splits
		{"vsock", "1:2:3", true, Address{}, false},
		{"vsock", "[2]:3", true, Address{}, false},
		// what libzmq's strtoul lets through and zmqkit does not
		{"vsock", "+3:5", true, Address{}, false},
		{"vsock", " 3:5", true, Address{}, false},
		{"vsock", "3x:5", true, Address{}, false},
		{"vsock", "3:5x", true, Address{}, false},
		{"vsock", "-3:5", true, Address{}, false},
		{"vsock", "3:-5", true, Address{}, false},
		// empty parts
		{"vsock", "", true, Address{}, false},
		{"vsock", ":", true, Address{}, false},
		{"vsock", ":5", true, Address{}, false},
		{"vsock", "3:", true, Address{}, false},
		{"vsock", "35", true, Address{}, false},
		{"vsock", "host:5", false, Address{}, false},
		// another scheme
		{"tcp", "3:5", true, Address{}, false},
	}
	for _, tc := range tests {
		got, err := Parse(tc.scheme, tc.addr, tc.bind)
		if !tc.ok {
			if !errors.Is(err, transport.ErrInvalidEndpoint) {
				t.Errorf("Parse(%s, %q, bind=%v) = %+v, %v; want ErrInvalidEndpoint", tc.scheme, tc.addr, tc.bind, got, err)
			} else if !strings.Contains(err.Error(), tc.scheme+"://"+tc.addr) {
				t.Errorf("error %q does not name the endpoint", err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("Parse(%s, %q, bind=%v) = %+v, %v; want %+v", tc.scheme, tc.addr, tc.bind, got, err, tc.want)
		}
	}
}

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		scheme    string
		cid, port uint32
		want      string
	}{
		{"vsock", CIDAny, 5555, "vsock://*:5555"},
		{"vmci", 3, PortAny, "vmci://3:*"},
		{"vsock", 2, 1024, "vsock://2:1024"},
		{"vsock", 0, 0, "vsock://0:0"},
		{"vmci", 4294967294, 4294967294, "vmci://4294967294:4294967294"},
	} {
		if got := Format(tc.scheme, tc.cid, tc.port); got != tc.want {
			t.Errorf("Format(%s, %d, %d) = %q, want %q", tc.scheme, tc.cid, tc.port, got, tc.want)
		}
	}
	if got := FormatAddr("vsock", &vsock.Addr{ContextID: 3, Port: 7}); got != "vsock://3:7" {
		t.Errorf("FormatAddr = %q", got)
	}
	if got := FormatAddr("vsock", nil); got != "" {
		t.Errorf("FormatAddr(nil) = %q", got)
	}
	if got := FormatAddr("vsock", (*vsock.Addr)(nil)); got != "" {
		t.Errorf("FormatAddr(nil *Addr) = %q", got)
	}
}

// FuzzParse checks that any address parses or fails cleanly, and that a
// parsed one formats back to an address that parses to the same value.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"*:*", "-1:-1", "@:5", "2:5000", "1:2:3", "+3:5", "4294967295:1", ":", "", "3:"} {
		f.Add("vsock", s, true)
		f.Add("vmci", s, false)
	}
	f.Fuzz(func(t *testing.T, scheme, addr string, bind bool) {
		a, err := Parse(scheme, addr, bind)
		if err != nil {
			if !errors.Is(err, transport.ErrInvalidEndpoint) {
				t.Fatalf("Parse(%q, %q): %v does not wrap ErrInvalidEndpoint", scheme, addr, err)
			}
			return
		}
		if a.At && scheme == SchemeVMCI {
			return // resolved at bind or connect time
		}
		ep := Format(scheme, a.CID, a.Port)
		b, err := Parse(scheme, ep[len(scheme)+3:], bind)
		if err != nil || b.CID != a.CID || b.Port != a.Port {
			t.Fatalf("Parse(%q) = %+v, formatted %q, parsed back %+v, %v", addr, a, ep, b, err)
		}
	})
}

func TestParseOptions(t *testing.T) {
	o, err := ParseOptions(nil)
	if err != nil || o != (Options{}) {
		t.Fatalf("no options: %+v %v", o, err)
	}
	o, err = ParseOptions(map[string]any{
		OptBufferSize: uint32(1), OptBufferMinSize: int8(2), OptBufferMaxSize: uint(3),
		OptConnectTimeout: int64(-1), "WS_SOMETHING": "x",
	})
	if err != nil || o.BufferSize != 1 || o.BufferMinSize != 2 || o.BufferMaxSize != 3 || o.ConnectTimeout != 0 {
		t.Fatalf("%+v %v", o, err)
	}
	o, err = ParseOptions(map[string]any{OptConnectTimeout: uint64(1 << 63), OptBufferSize: uint64(1 << 63)})
	if err != nil || o.ConnectTimeout <= 0 || o.BufferSize != 1<<63 {
		t.Fatalf("large values: %+v %v", o, err)
	}
	o, err = ParseOptions(map[string]any{OptConnectTimeout: -5 * 1e9})
	if err == nil {
		t.Fatalf("a negative float: %+v", o)
	}
	for _, v := range []any{int16(-1), uint16(7), int32(9), uint8(1)} {
		if _, err := ParseOptions(map[string]any{OptBufferSize: v}); (err != nil) != (v == int16(-1)) {
			t.Errorf("%T %v: %v", v, v, err)
		}
	}
}
