//go:build cgo && !nolibzmq

package interop

import (
	"fmt"
	"os"
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"
	"go.uber.org/goleak"
)

// libCtx is the one libzmq context shared by all tests; every libzmq
// socket a test makes is closed (linger 0) by that test's cleanup, so the
// context terminates at the end of TestMain.
var libCtx *zmq.Context

func TestMain(m *testing.M) {
	if which := os.Getenv(pluginEnv); which != "" {
		servePlugin(which) // the test binary as a plugin binary: never returns
	}
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	var err error
	libCtx, err = zmq.NewContext()
	if err != nil {
		fmt.Fprintln(os.Stderr, "interop: cannot create libzmq context:", err)
		return 1
	}
	code := m.Run()

	done := make(chan error, 1)
	go func() { done <- libCtx.Term() }()
	select {
	case err := <-done:
		if err != nil {
			fmt.Fprintln(os.Stderr, "interop: libzmq context term:", err)
			code = 1
		}
	case <-time.After(10 * time.Second):
		fmt.Fprintln(os.Stderr, "interop: libzmq context term hung (a libzmq socket was left open)")
		return 1
	}
	if code == 0 {
		// The zmqkit contexts were terminated by each test's cleanup: no
		// zmqkit goroutine may survive them. (libzmq uses OS threads, not
		// goroutines, so it does not show up here.)
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "interop: goroutines leaked after all contexts were terminated:", err)
			code = 1
		}
	}
	return code
}

// TestLibzmqVersion checks that the libzmq we talk to is 4.3 or later
// (ZMTP 3.1: SUBSCRIBE/CANCEL commands, PING/PONG heartbeats).
func TestLibzmqVersion(t *testing.T) {
	maj, min, patch := zmq.Version()
	t.Logf("libzmq %d.%d.%d", maj, min, patch)
	if maj < 4 || (maj == 4 && min < 3) {
		t.Fatalf("libzmq %d.%d.%d is too old: the interop suite needs >= 4.3", maj, min, patch)
	}
}
