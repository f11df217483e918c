//go:build linux

package udp

import "golang.org/x/sys/unix"

// setDevice applies ZMQ_BINDTODEVICE (SO_BINDTODEVICE).
func setDevice(fd uintptr, device string) error {
	if device == "" {
		return nil
	}
	return unix.BindToDevice(int(fd), device)
}
