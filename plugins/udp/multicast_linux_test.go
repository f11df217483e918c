//go:build linux

package udp

import (
	"context"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// ZMQ_MULTICAST_HOPS and ZMQ_MULTICAST_LOOP reach the sending socket.
func TestMulticastOptions(t *testing.T) {
	for _, tc := range []struct {
		cfg       transport.Config
		ttl, loop int
	}{
		{transport.Config{}, 1, 1},
		{transport.Config{MulticastHops: 7, MulticastNoLoop: true}, 7, 0},
	} {
		c, err := New().Dial(context.Background(), "udp", "239.192.1.1:5555", &tc.cfg)
		if err != nil {
			t.Fatal(err)
		}
		fd := c.FD()
		ttl, err1 := unix.GetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_TTL)
		loop, err2 := unix.GetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP)
		c.Close()
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if ttl != tc.ttl || loop != tc.loop {
			t.Errorf("%+v: ttl %d loop %d, want %d %d", tc.cfg, ttl, loop, tc.ttl, tc.loop)
		}
	}
}
