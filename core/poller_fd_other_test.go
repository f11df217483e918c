//go:build !(aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris)

package core_test

import (
	"errors"
	"net"
	"testing"

	"github.com/zmqkit/zmqkit/core"
)

// Without poll(2), Conn items are refused, not served by a goroutine each.
func TestPollConnNotSupported(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c := ln.(*net.TCPListener)
	if err := core.NewPoller().AddConn(c, core.PollIn); !errors.Is(err, core.ErrNotSupported) {
		t.Errorf("AddConn = %v, want ErrNotSupported", err)
	}
	if _, err := core.Poll(t.Context(), []core.PollItem{{Conn: c, Events: core.PollIn}}); !errors.Is(err, core.ErrNotSupported) {
		t.Errorf("Poll = %v, want ErrNotSupported", err)
	}
}
