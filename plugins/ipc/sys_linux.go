package ipc

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// maxPathLen is the longest path sun_path holds with its NUL.
const maxPathLen = 107

// abstractSupported says whether "@name" addresses work here.
const abstractSupported = true

// setBacklog changes the listen backlog of a listening socket with a
// second listen(2), which Linux honours.
func setBacklog(ln *net.UnixListener, n int) error {
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
