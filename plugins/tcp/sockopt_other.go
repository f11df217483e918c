//go:build !linux

package tcp

import (
	"fmt"
	"net"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// setPreOptions is the portable fallback: only BindToDevice is checked
// (and refused); buffers are applied to each connection by tuneConn, TOS
// and Priority are ignored.
func setPreOptions(_ uintptr, _ string, cfg *transport.Config) error {
	if cfg.BindToDevice != "" {
		return fmt.Errorf("SO_BINDTODEVICE %q: %w on this system", cfg.BindToDevice, transport.ErrNotSupported)
	}
	return nil
}

// tuneConn applies the per-connection options the net package can set
// portably.
func tuneConn(c *net.TCPConn, cfg *transport.Config, _ bool) error {
	if err := c.SetNoDelay(true); err != nil {
		return fmt.Errorf("TCP_NODELAY: %w", err)
	}
	if cfg.SendBuffer > 0 {
		if err := c.SetWriteBuffer(cfg.SendBuffer); err != nil {
			return fmt.Errorf("SO_SNDBUF: %w", err)
		}
	}
	if cfg.RecvBuffer > 0 {
		if err := c.SetReadBuffer(cfg.RecvBuffer); err != nil {
			return fmt.Errorf("SO_RCVBUF: %w", err)
		}
	}
	switch cfg.KeepAlive {
	case 0:
		if err := c.SetKeepAlive(false); err != nil {
			return fmt.Errorf("SO_KEEPALIVE: %w", err)
		}
	case 1:
		ka := net.KeepAliveConfig{Enable: true, Idle: -1, Interval: -1, Count: -1}
		if cfg.KeepAliveIdle > 0 {
			ka.Idle = cfg.KeepAliveIdle
		}
		if cfg.KeepAliveInterval > 0 {
			ka.Interval = cfg.KeepAliveInterval
		}
		if cfg.KeepAliveCount > 0 {
			ka.Count = cfg.KeepAliveCount
		}
		if err := c.SetKeepAliveConfig(ka); err != nil {
			return fmt.Errorf("keepalive: %w", err)
		}
	}
	return nil
}

// setBacklog is a no-op outside Linux: the Go default backlog is kept.
func setBacklog(*net.TCPListener, int) error { return nil }
