// Command monitor is the example of libzmq's zmq_socket_monitor manual
// page: a REP socket is watched from another goroutine while it binds,
// accepts a connection and closes.
//
//	go run ./examples/monitor
//
// The monitored socket publishes its events on an inproc:// endpoint; the
// watcher connects a PAIR socket there and decodes each two-frame message
// (a 6-byte event id and value, then the endpoint) until MONITOR_STOPPED.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/all"
)

func main() {
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(w io.Writer) error {
	zctx := core.NewContext()
	defer zctx.Term()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	rep, err := zctx.NewSocket(core.REP)
	if err != nil {
		return err
	}
	// Monitoring only works over inproc://: a tcp endpoint is refused
	// with EPROTONOSUPPORT.
	if err := rep.Monitor("tcp://127.0.0.1:9999", core.EventAll); err != nil {
		fmt.Fprintln(w, "tcp monitor endpoint:", err)
	}
	if err := rep.Monitor("inproc://monitor.rep", core.EventAll); err != nil {
		return err
	}

	// The watcher connects before anything happens: events the monitor
	// socket can not deliver at once are dropped, never queued forever.
	watcher, err := zctx.NewSocket(core.PAIR)
	if err != nil {
		return err
	}
	if err := watcher.Connect("inproc://monitor.rep"); err != nil {
		return err
	}
	events := make(chan core.MonitorEvent)
	go func() {
		defer close(events)
		for {
			m, err := watcher.Recv(ctx)
			if err != nil {
				return
			}
			ev, err := core.DecodeMonitorMsg(m)
			if err != nil {
				continue
			}
			events <- ev
			if ev.Event == core.EventMonitorStopped {
				return
			}
		}
	}()

	if err := rep.Bind("tcp://127.0.0.1:*"); err != nil {
		return err
	}
	ep := rep.LastEndpoint()
	req, err := zctx.NewSocket(core.REQ)
	if err != nil {
		return err
	}
	if err := req.Connect(ep); err != nil {
		return err
	}
	if err := req.SendString(ctx, "ping"); err != nil {
		return err
	}
	if _, err := rep.Recv(ctx); err != nil {
		return err
	}
	if err := rep.SendString(ctx, "pong"); err != nil {
		return err
	}
	if _, err := req.Recv(ctx); err != nil {
		return err
	}
	rep.Close() // CLOSED, then MONITOR_STOPPED
	req.Close()

	for ev := range events {
		where := ev.Endpoint
		if where == ep {
			where = "<bound endpoint>"
		}
		fmt.Fprintf(w, "%-20s %s\n", ev.Event, where)
	}
	watcher.Close()
	return nil
}
