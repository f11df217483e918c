//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package pgm

import "golang.org/x/sys/unix"

// setReusePort sets SO_REUSEPORT, which OpenPGM sets (and not
// SO_REUSEADDR) on the sockets a libzmq subscriber binds to the port: a
// socket joins theirs only if it has it too.
func setReusePort(fd int) error {
	return unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
}
