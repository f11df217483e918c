package freeport

import (
	"net"
	"strconv"
	"testing"
)

// Ports are free, outside the ephemeral ranges, and never repeated.
func TestTCP(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		addr := MustTCP(t)
		if seen[addr] {
			t.Fatalf("%s handed out twice", addr)
		}
		seen[addr] = true
		_, p, _ := net.SplitHostPort(addr)
		if port, _ := strconv.Atoi(p); port < first || port > last {
			t.Fatalf("port %d outside %d-%d", port, first, last)
		}
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatalf("%s is not free: %v", addr, err)
		}
		l.Close()
	}
}
