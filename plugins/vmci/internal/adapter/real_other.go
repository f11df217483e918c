//go:build !linux

package adapter

import (
	"context"
	"net"
)

// Real is the AF_VSOCK socket layer; outside Linux every call fails with
// ErrUnsupportedOS.
func Real() Layer { return unsupported{} }

type unsupported struct{}

func (unsupported) LocalCID() (uint32, error) { return 0, ErrUnsupportedOS }

func (unsupported) Listen(uint32, uint32, *SockOpts, int) (Listener, error) {
	return nil, ErrUnsupportedOS
}

func (unsupported) Dial(context.Context, uint32, uint32, *SockOpts, func(int)) (net.Conn, error) {
	return nil, ErrUnsupportedOS
}
