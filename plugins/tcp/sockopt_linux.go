package tcp

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// setPreOptions applies the options that must be set on a fresh socket
// before bind, listen or connect. network is "tcp4" or "tcp6".
func setPreOptions(s uintptr, network string, cfg *transport.Config) error {
	fd := int(s)
	if cfg.BindToDevice != "" {
		if err := unix.BindToDevice(fd, cfg.BindToDevice); err != nil {
			if errors.Is(err, unix.ENODEV) {
				return fmt.Errorf("SO_BINDTODEVICE %q: %w: %w", cfg.BindToDevice, transport.ErrNoDevice, err)
			}
			return fmt.Errorf("SO_BINDTODEVICE %q: %w", cfg.BindToDevice, err)
		}
	}
	if cfg.SendBuffer > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, cfg.SendBuffer); err != nil {
			return fmt.Errorf("SO_SNDBUF: %w", err)
		}
	}
	if cfg.RecvBuffer > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, cfg.RecvBuffer); err != nil {
			return fmt.Errorf("SO_RCVBUF: %w", err)
		}
	}
	return setTOSPriority(fd, strings.HasSuffix(network, "6"), cfg)
}

// setTOSPriority sets IP_TOS (IPV6_TCLASS too on IPv6 sockets, for their
// IPv6 traffic) and SO_PRIORITY when configured.
func setTOSPriority(fd int, v6 bool, cfg *transport.Config) error {
	if cfg.TOS != 0 {
		if v6 {
			if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_TCLASS, cfg.TOS); err != nil {
				return fmt.Errorf("IPV6_TCLASS: %w", err)
			}
			// Also mark IPv4 traffic of a dual-stack socket; libzmq sets
			// both and tolerates failure.
			_ = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_TOS, cfg.TOS)
		} else if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_TOS, cfg.TOS); err != nil {
			return fmt.Errorf("IP_TOS: %w", err)
		}
	}
	if cfg.Priority != 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PRIORITY, cfg.Priority); err != nil {
			return fmt.Errorf("SO_PRIORITY: %w", err)
		}
	}
	return nil
}

// seconds rounds d up to whole seconds, at least 1.
func seconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	if s < 1 {
		s = 1
	}
	return s
}

// tuneConn applies the per-connection options to a connected or accepted
// socket.
func tuneConn(c *net.TCPConn, cfg *transport.Config, accepted bool) error {
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(s uintptr) {
		fd := int(s)
		set := func(name string, level, opt, v int) bool {
			if e := unix.SetsockoptInt(fd, level, opt, v); e != nil {
				serr = fmt.Errorf("%s: %w", name, e)
				return false
			}
			return true
		}
		if !set("TCP_NODELAY", unix.IPPROTO_TCP, unix.TCP_NODELAY, 1) {
			return
		}
		if accepted {
			la, _ := c.LocalAddr().(*net.TCPAddr)
			v6 := la != nil && la.IP.To4() == nil
			if serr = setTOSPriority(fd, v6, cfg); serr != nil {
				return
			}
		}
		if cfg.KeepAlive == 0 || cfg.KeepAlive == 1 {
			if !set("SO_KEEPALIVE", unix.SOL_SOCKET, unix.SO_KEEPALIVE, cfg.KeepAlive) {
				return
			}
			if cfg.KeepAlive == 1 {
				if cfg.KeepAliveCount > 0 && !set("TCP_KEEPCNT", unix.IPPROTO_TCP, unix.TCP_KEEPCNT, cfg.KeepAliveCount) {
					return
				}
				if cfg.KeepAliveIdle > 0 && !set("TCP_KEEPIDLE", unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, seconds(cfg.KeepAliveIdle)) {
					return
				}
				if cfg.KeepAliveInterval > 0 && !set("TCP_KEEPINTVL", unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, seconds(cfg.KeepAliveInterval)) {
					return
				}
			}
		}
		if cfg.MaxRetransmit > 0 {
			ms := cfg.MaxRetransmit.Milliseconds()
			if ms < 1 {
				ms = 1
			}
			set("TCP_USER_TIMEOUT", unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, int(ms))
		}
	})
	if err != nil {
		return err
	}
	return serr
}

// setBacklog changes the listen backlog of a listening socket; Linux
// applies a second listen(2) to a listening socket.
func setBacklog(ln *net.TCPListener, n int) error {
	rc, err := ln.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := rc.Control(func(s uintptr) { lerr = unix.Listen(int(s), n) }); err != nil {
		return err
	}
	if lerr != nil {
		return fmt.Errorf("listen backlog %d: %w", n, lerr)
	}
	return nil
}
