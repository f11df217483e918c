//go:build unix

package external

import (
	"net"
	"os"
	"syscall"
	"time"

	"github.com/zmqkit/zmqkit/registry/external/internal/wire"
)

func killPid(pid int) {
	if pid > 0 {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
}

// socketpairSide is a side channel over a socketpair whose other end is
// the plugin's descriptor 3: descriptors cross it.
func socketpairSide(onEvent func(uint64, wire.Event)) (*side, error) {
	hostEnd, childEnd, err := wire.Socketpair("zmqkit-side")
	if err != nil {
		return nil, err
	}
	return &side{
		env:   []string{wire.SideFDEnv + "=3"},
		files: []*os.File{childEnd},
		open: func(time.Duration, <-chan struct{}) (*wire.SideReader, error) {
			c, err := net.FileConn(hostEnd)
			hostEnd.Close()
			if err != nil {
				return nil, err
			}
			return wire.NewSideReader(c, nil, onEvent), nil
		},
		abort: func() { hostEnd.Close() },
	}, nil
}
