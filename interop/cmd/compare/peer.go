package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// A driver runs the four ends of the workloads on one library. Each
// mirrors one of libzmq's perf tools.
type driver interface {
	// thrRecv binds a PULL socket to ep, calls ready, receives count
	// messages of size bytes and returns the time from the first message
	// to the last (local_thr).
	thrRecv(ep string, size, count int, ready func()) (time.Duration, error)
	// thrSend connects a PUSH socket to ep, sends count messages of size
	// bytes (remote_thr), calls hold, which returns once the receiver has
	// them all, and closes the socket.
	thrSend(ep string, size, count int, hold func()) error
	// latServe binds a REP socket to ep, calls ready and echoes count
	// requests (local_lat).
	latServe(ep string, size, count int, ready func()) error
	// latClient connects a REQ socket to ep and returns the time taken by
	// count round trips (remote_lat).
	latClient(ep string, size, count int) (time.Duration, error)
	// term shuts down the process's context (waiting for lingering
	// messages, as zmq_ctx_term); both ends of an inproc run share one.
	term() error
}

var drivers = map[string]driver{}

// libzmqHas is zmq_has of the linked libzmq (nil without one).
var libzmqHas func(capability string) bool

// useCurve makes the peer's sockets use CURVE with the keys below, which
// are the ones libzmq's perf tools use.
var useCurve bool

const (
	curveServerPublic = "DX4nh=yUn{-9ugra0X3Src4SU-4xTgqxcYY.+<SH"
	curveServerSecret = "{X}#>t#jRGaQ}gMhv=30r(Mw+87YGs+5%kh=i@f8"
	curveClientPublic = "<n^oA}I:66W+*ds3tAmi1+KJzv-}k&fC2aA5Bj0K"
	curveClientSecret = "9R9bV}[6z6DC-%$!jTVTKvWc=LEL{4i4gzUe$@Zx"
)

// peerMain runs one end of a workload in this process and reports on
// stdout: "READY" once bound, then "RESULT <ns>" or "ERROR <text>".
func peerMain(args []string) int {
	fs := flag.NewFlagSet("compare-peer", flag.ContinueOnError)
	lib := fs.String("lib", "", "library")
	role := fs.String("role", "", "thr-recv, thr-send, thr-inproc, lat-serve, lat-client, lat-inproc")
	ep := fs.String("ep", "", "endpoint")
	size := fs.Int("size", 0, "message size")
	count := fs.Int("count", 0, "messages or round trips")
	fs.BoolVar(&useCurve, "curve", false, "CURVE security (bind side server, connect side client)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	// A peer never outlives a stuck run by much: the parent kills it at its
	// own timeout, and this is a backstop if the parent died.
	time.AfterFunc(30*time.Minute, func() { fmt.Println("ERROR peer timed out"); os.Exit(3) })

	var d driver
	if *lib == "raw" {
		d = rawDriver{}
	} else if d = drivers[*lib]; d == nil {
		fmt.Printf("ERROR library %q is not built into this binary\n", *lib)
		return 1
	}
	if stop := profile(*lib, *role, *ep, *size); stop != nil {
		defer stop()
	}
	ready := func() { fmt.Println("READY") }
	var el time.Duration
	var err error
	switch *role {
	case "thr-recv":
		el, err = d.thrRecv(*ep, *size, *count, ready)
	case "thr-send":
		// The sender keeps its socket open until the parent says the
		// receiver has everything (it closes our stdin). Closing at once,
		// as remote_thr does, relies on LINGER to deliver the tail, and
		// that is not what is measured here: libzmq over ipc was seen to
		// lose messages a slow receiver had not yet read when the sending
		// process went away, and zmqkit to lose the tail of 64 KiB
		// messages on Close.
		err = d.thrSend(*ep, *size, *count, func() { io.Copy(io.Discard, os.Stdin) })
	case "lat-serve":
		err = d.latServe(*ep, *size, *count, ready)
	case "lat-client":
		el, err = d.latClient(*ep, *size, *count)
	case "thr-inproc", "lat-inproc":
		el, err = inproc(d, *role, *ep, *size, *count)
	default:
		err = fmt.Errorf("unknown role %q", *role)
	}
	if err == nil {
		err = d.term()
	}
	if err != nil {
		fmt.Printf("ERROR %s: %v\n", *role, err)
		return 1
	}
	fmt.Printf("RESULT %d\n", el.Nanoseconds())
	return 0
}

// inproc runs both ends in this process: the bound end first, then, once
// it is ready, the connecting end.
func inproc(d driver, role, ep string, size, count int) (time.Duration, error) {
	readyc := make(chan struct{})
	ready := func() { close(readyc) }
	var wg sync.WaitGroup
	var bEl time.Duration
	var bErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		if role == "thr-inproc" {
			bEl, bErr = d.thrRecv(ep, size, count, ready)
		} else {
			bErr = d.latServe(ep, size, count, ready)
		}
	}()
	select {
	case <-readyc:
	case <-time.After(30 * time.Second):
		return 0, fmt.Errorf("bind did not complete")
	}
	var cEl time.Duration
	var cErr error
	if role == "thr-inproc" {
		cErr = d.thrSend(ep, size, count, wg.Wait)
	} else {
		cEl, cErr = d.latClient(ep, size, count)
	}
	if cErr != nil {
		return 0, cErr
	}
	wg.Wait()
	if bErr != nil {
		return 0, bErr
	}
	if role == "thr-inproc" {
		return bEl, nil
	}
	return cEl, nil
}
