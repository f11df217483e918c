package core_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

// The zmq_socket_monitor manual page's example: a REP socket is monitored
// while it binds, accepts a connection and closes; the events are read
// from a PAIR socket connected to the monitor's inproc:// endpoint.
func ExampleSocket_Monitor() {
	zctx := core.NewContext()
	defer zctx.Term()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	rep, err := zctx.NewSocket(core.REP)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rep.Monitor("tcp://127.0.0.1:9999", core.EventAll) != nil) // inproc only
	if err := rep.Monitor("inproc://example-monitor.rep", core.EventAll); err != nil {
		log.Fatal(err)
	}
	watcher, err := zctx.NewSocket(core.PAIR)
	if err != nil {
		log.Fatal(err)
	}
	if err := watcher.Connect("inproc://example-monitor.rep"); err != nil {
		log.Fatal(err)
	}

	if err := rep.Bind("tcp://127.0.0.1:*"); err != nil {
		log.Fatal(err)
	}
	req, err := zctx.NewSocket(core.REQ)
	if err != nil {
		log.Fatal(err)
	}
	if err := req.Connect(rep.LastEndpoint()); err != nil {
		log.Fatal(err)
	}
	req.SendString(ctx, "ping")
	rep.Recv(ctx)
	rep.Close()

	for {
		m, err := watcher.Recv(ctx)
		if err != nil {
			log.Fatal(err)
		}
		ev, err := core.DecodeMonitorMsg(m)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ev.Event)
		if ev.Event == core.EventMonitorStopped {
			break
		}
	}
	// Output:
	// true
	// LISTENING
	// ACCEPTED
	// HANDSHAKE_SUCCEEDED
	// CLOSED
	// MONITOR_STOPPED
}

// The Go-native API: typed events on a channel, no frames to decode.
func ExampleSocket_WatchEvents() {
	zctx := core.NewContext()
	defer zctx.Term()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	client, err := zctx.NewSocket(core.DEALER)
	if err != nil {
		log.Fatal(err)
	}
	events, err := client.WatchEvents(ctx, core.EventConnected|core.EventHandshakeSucceeded|core.EventMonitorStopped)
	if err != nil {
		log.Fatal(err)
	}
	server, err := zctx.NewSocket(core.DEALER)
	if err != nil {
		log.Fatal(err)
	}
	if err := server.Bind("tcp://127.0.0.1:*"); err != nil {
		log.Fatal(err)
	}
	if err := client.Connect(server.LastEndpoint()); err != nil {
		log.Fatal(err)
	}
	for ev := range events {
		fmt.Println(ev.Event, ev.Remote == server.LastEndpoint(), ev.FD > 0)
		if ev.Event == core.EventHandshakeSucceeded {
			client.Close() // ends the channel after MONITOR_STOPPED
		}
	}
	// Output:
	// CONNECTED true true
	// HANDSHAKE_SUCCEEDED true true
	// MONITOR_STOPPED false false
}

// A monitor event in both wire formats, and back.
func ExampleEncodeMonitorEvent() {
	ev := core.MonitorEvent{Event: core.EventConnectRetried, Value: 200, Remote: "tcp://127.0.0.1:5555", Endpoint: "tcp://127.0.0.1:5555"}
	v1 := core.EncodeMonitorEvent(&ev, 1)
	v2 := core.EncodeMonitorEvent(&ev, 2)
	fmt.Println(len(v1.Frames), len(v1.Frames[0]), len(v2.Frames))
	d1, _ := core.DecodeMonitorMsg(v1)
	d2, _ := core.DecodeMonitorMsg(v2)
	fmt.Println(d1)
	fmt.Println(d2.Event, d2.Values, d2.Local == "", d2.Remote)
	// Output:
	// 2 6 5
	// CONNECT_RETRIED(200) "tcp://127.0.0.1:5555"
	// CONNECT_RETRIED [200] true tcp://127.0.0.1:5555
}
