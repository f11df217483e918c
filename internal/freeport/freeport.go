// Package freeport picks loopback TCP ports for tests that must name a
// port before anything listens on it (a peer process binds it later, or a
// connect must be refused).
//
// A port from net.Listen("tcp", "127.0.0.1:0"), closed at once, comes from
// the kernel's ephemeral range, where every outgoing connection of the
// tests running beside also takes its local port: one of them can hold it
// by the time the peer binds ("address already in use"). Ports picked here
// lie below every system's default ephemeral range (Linux 32768-60999,
// BSD, macOS and Windows 49152-65535), are free when picked, and are never
// handed out twice in one process.
package freeport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
)

// The range ports are picked from.
const (
	first = 20000
	last  = 32767
)

var (
	mu    sync.Mutex
	given = map[int]bool{}
)

// TCP returns "127.0.0.1:PORT" for a port nobody listens on now.
func TCP() (string, error) {
	mu.Lock()
	defer mu.Unlock()
	for range 200 {
		port := first + rand.IntN(last-first+1)
		if given[port] {
			continue
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		l, err := net.Listen("tcp", addr)
		if err != nil {
			continue // taken
		}
		l.Close()
		given[port] = true
		return addr, nil
	}
	return "", fmt.Errorf("freeport: no free port in %d-%d after 200 tries", first, last)
}

// MustTCP is TCP for tests: it fails t when no port is free.
func MustTCP(t interface {
	Helper()
	Fatal(...any)
}) string {
	t.Helper()
	addr, err := TCP()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}
