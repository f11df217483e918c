// Command monitor_dealer is libzmq's test_monitor scenario as a program: a
// DEALER server and a DEALER client over tcp, both monitored, exchange a
// message; then the server closes, then the client. It prints each side's
// events in order: the client's with the version 1 format read from a
// PAIR socket, the server's with the version 2 format (local and remote
// endpoints) read from a PULL socket fed by a PUSH monitor.
//
//	go run ./examples/monitor_dealer
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"strings"
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

	// A long, jitter-free reconnect interval keeps the client's story short.
	client, err := zctx.NewSocket(core.DEALER, core.WithLinger(0),
		core.WithReconnectInterval(time.Hour), core.WithReconnectIntervalMax(time.Hour))
	if err != nil {
		return err
	}
	server, err := zctx.NewSocket(core.DEALER, core.WithLinger(0))
	if err != nil {
		return err
	}
	// Monitoring only works over inproc://.
	err = client.Monitor("tcp://127.0.0.1:*", 0)
	fmt.Fprintf(w, "monitor on tcp: %v\n", err)

	if err := client.Monitor("inproc://monitor-client", core.EventAll); err != nil {
		return err
	}
	if err := server.MonitorVersioned("inproc://monitor-server", core.EventAllV2, 2, core.PUSH); err != nil {
		return err
	}
	clientMon, err := zctx.NewSocket(core.PAIR)
	if err != nil {
		return err
	}
	serverMon, err := zctx.NewSocket(core.PULL)
	if err != nil {
		return err
	}
	if err := clientMon.Connect("inproc://monitor-client"); err != nil {
		return err
	}
	if err := serverMon.Connect("inproc://monitor-server"); err != nil {
		return err
	}

	if err := server.Bind("tcp://127.0.0.1:*"); err != nil {
		return err
	}
	ep := server.LastEndpoint()
	if err := client.Connect(ep); err != nil {
		return err
	}
	// bounce
	if err := client.SendString(ctx, "ping"); err != nil {
		return err
	}
	if _, err := server.Recv(ctx); err != nil {
		return err
	}
	if err := server.SendString(ctx, "pong"); err != nil {
		return err
	}
	if _, err := client.Recv(ctx); err != nil {
		return err
	}
	server.Close()
	// The client sees the server go away, then schedules a reconnect.
	var clientLocal string
	name := func(s string) string {
		switch {
		case s == "":
			return `""`
		case s == ep:
			return "server"
		case s == clientLocal:
			return "client"
		}
		return s
	}
	fmt.Fprintln(w, "client (v1):")
	for {
		ev, err := next(ctx, clientMon)
		if err != nil {
			return err
		}
		if ev.Event == core.EventConnectRetried {
			fmt.Fprintf(w, "  %-27s %s, retry in %dms\n", ev.Event, name(ev.Endpoint), ev.Value)
			break
		}
		fmt.Fprintf(w, "  %-27s %s\n", ev.Event, name(ev.Endpoint))
	}
	client.Close()
	ev, err := next(ctx, clientMon)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  %-27s %s\n", ev.Event, name(ev.Endpoint))

	fmt.Fprintln(w, "server (v2, local → remote):")
	for {
		ev, err := next(ctx, serverMon)
		if err != nil {
			return err
		}
		if ev.Event == core.EventAccepted {
			clientLocal = ev.Remote
		}
		fmt.Fprintf(w, "  %-27s %s → %s\n", ev.Event, name(ev.Local), name(ev.Remote))
		if ev.Event == core.EventMonitorStopped {
			break
		}
	}
	if !strings.HasPrefix(clientLocal, "tcp://127.0.0.1:") {
		return fmt.Errorf("client address %q", clientLocal)
	}
	clientMon.Close()
	serverMon.Close()
	return nil
}

func next(ctx context.Context, s *core.Socket) (core.MonitorEvent, error) {
	m, err := s.Recv(ctx)
	if err != nil {
		return core.MonitorEvent{}, err
	}
	return core.DecodeMonitorMsg(m)
}
