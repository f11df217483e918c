//go:build unix && !linux

package udp

import "github.com/zmqkit/zmqkit/registry/transport"

// setDevice: SO_BINDTODEVICE exists on Linux only.
func setDevice(fd uintptr, device string) error {
	if device == "" {
		return nil
	}
	return transport.ErrNotSupported
}
