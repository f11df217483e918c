package tcp

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// checkSockopts reads back the options tuneConn and setPreOptions set.
func checkSockopts(t *testing.T, c transport.Conn, cfg *transport.Config) {
	t.Helper()
	fd := c.FD()
	get := func(level, opt int) int {
		v, err := unix.GetsockoptInt(fd, level, opt)
		if err != nil {
			t.Fatalf("getsockopt(%d, %d): %v", level, opt, err)
		}
		return v
	}
	checks := []struct {
		name      string
		got, want int
	}{
		{"TCP_NODELAY", get(unix.IPPROTO_TCP, unix.TCP_NODELAY), 1},
		{"SO_KEEPALIVE", get(unix.SOL_SOCKET, unix.SO_KEEPALIVE), 1},
		{"TCP_KEEPCNT", get(unix.IPPROTO_TCP, unix.TCP_KEEPCNT), cfg.KeepAliveCount},
		{"TCP_KEEPIDLE", get(unix.IPPROTO_TCP, unix.TCP_KEEPIDLE), int(cfg.KeepAliveIdle.Seconds())},
		{"TCP_KEEPINTVL", get(unix.IPPROTO_TCP, unix.TCP_KEEPINTVL), int(cfg.KeepAliveInterval.Seconds())},
		{"TCP_USER_TIMEOUT", get(unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT), int(cfg.MaxRetransmit.Milliseconds())},
		{"IP_TOS", get(unix.IPPROTO_IP, unix.IP_TOS), cfg.TOS},
		// Linux doubles the requested buffer sizes.
		{"SO_SNDBUF", get(unix.SOL_SOCKET, unix.SO_SNDBUF), 2 * cfg.SendBuffer},
		{"SO_RCVBUF", get(unix.SOL_SOCKET, unix.SO_RCVBUF), 2 * cfg.RecvBuffer},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %d, want %d", ck.name, ck.got, ck.want)
		}
	}
}
