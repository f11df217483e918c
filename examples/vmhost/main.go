// Command vmhost is a VM-host deployment over vsock: an agent on the
// hypervisor host binds a ROUTER socket with CURVE, guest services in
// virtual machines connect DEALER sockets to the host's CID (2), and both
// sides print their socket monitor events, in which the peer's CID and
// port appear.
//
// On the host:
//
//	go run ./examples/vmhost -agent -bind 'vsock://*:5000'
//
// prints the agent's public key; in a guest:
//
//	go run ./examples/vmhost -guest -connect vsock://2:5000 -server-key KEY
//
// With Firecracker (hybrid vsock) the host side is the VM's Unix socket:
// add -hybrid /path/to/v.sock to the agent. On one Linux machine with
// vsock_loopback, bind 'vsock://1:5000' and connect vsock://1:5000. The
// README gives the QEMU, Firecracker and loopback set-ups step by step.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"

	"github.com/zmqkit/zmqkit/auth"
	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/curve"
	_ "github.com/zmqkit/zmqkit/plugins/inproc" // ZAP
	"github.com/zmqkit/zmqkit/plugins/vmci"
)

func main() {
	var (
		agent     = flag.Bool("agent", false, "run the host agent (ROUTER, CURVE server)")
		guest     = flag.Bool("guest", false, "run a guest service (DEALER, CURVE client)")
		bind      = flag.String("bind", "vsock://*:5000", "agent: endpoint to bind")
		connect   = flag.String("connect", "vsock://2:5000", "guest: the host's endpoint (CID 2 is the host)")
		secret    = flag.String("secret", os.Getenv("VMHOST_SECRET"), "agent: its CURVE secret key (Z85); empty: a new key pair")
		serverKey = flag.String("server-key", os.Getenv("VMHOST_SERVER_KEY"), "guest: the agent's CURVE public key (Z85)")
		allow     = flag.String("allow-cids", "", "agent: comma-separated guest CIDs to admit (empty: any)")
		hybrid    = flag.String("hybrid", "", "agent: the VM's Firecracker hybrid vsock Unix socket")
		count     = flag.Int("count", 3, "guest: reports to send")
	)
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	zctx := core.NewContext()
	defer zctx.Term()
	var opts []core.Option
	if *hybrid != "" {
		opts = append(opts, core.WithTransportOption(vmci.HybridUDS(*hybrid)))
	}
	var err error
	switch {
	case *agent && !*guest:
		var keys curve.KeyPair
		keys, err = agentKeys(*secret)
		if err == nil {
			fmt.Printf("agent public key: %s\n", keys.PublicZ85())
			err = RunAgent(ctx, zctx, AgentConfig{
				Bind: *bind, Keys: keys, AllowCIDs: splitList(*allow), Options: opts, Out: os.Stdout,
			}, nil)
		}
	case *guest && !*agent:
		sk, kerr := curve.ParseKey([]byte(*serverKey))
		if kerr != nil {
			log.Fatalf("-server-key: want the agent's public key, 40 characters of Z85: %v", kerr)
		}
		err = RunGuest(ctx, zctx, GuestConfig{Connect: *connect, ServerKey: sk, Count: *count, Out: os.Stdout})
	default:
		flag.Usage()
		os.Exit(2)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Fatal(err)
	}
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// agentKeys returns the agent's key pair: from its Z85 secret, or new.
func agentKeys(secret string) (curve.KeyPair, error) {
	if secret == "" {
		return curve.NewKeyPair()
	}
	return curve.KeyPairFromSecret([]byte(secret))
}

// AgentConfig configures the host agent.
type AgentConfig struct {
	Bind      string        // e.g. "vsock://*:5000"
	Keys      curve.KeyPair // the agent's CURVE key pair
	AllowCIDs []string      // guest CIDs admitted by ZAP; nil: any
	Options   []core.Option // more socket options (vmci.HybridUDS, ...)
	Out       io.Writer     // where events and messages are printed
}

// RunAgent runs the host agent until ctx ends: it answers every guest
// report with an acknowledgement. ready, if not nil, gets the bound
// endpoint (LastEndpoint) once guests can connect.
func RunAgent(ctx context.Context, zctx *core.Context, cfg AgentConfig, ready func(endpoint string)) error {
	out := &lockedWriter{w: cfg.Out}
	if len(cfg.AllowCIDs) > 0 {
		// ZAP sees a vsock peer's CID as its address
		a, err := auth.New(zctx)
		if err != nil {
			return err
		}
		defer a.Close()
		a.Allow(cfg.AllowCIDs...)
		a.AllowAnyCurve(auth.AnyDomain, true)
	}
	opts := append([]core.Option{core.WithMechanism(curve.ServerKeys(cfg.Keys)), core.WithLinger(0)}, cfg.Options...)
	router, err := zctx.NewSocket(core.ROUTER, opts...)
	if err != nil {
		return err
	}
	defer router.Close()
	stopEvents := printEvents(ctx, router, "agent", out)
	defer stopEvents()
	if err := router.Bind(cfg.Bind); err != nil {
		return err
	}
	out.printf("agent: bound %s\n", router.LastEndpoint())
	if ready != nil {
		ready(router.LastEndpoint())
	}
	for {
		m, err := router.Recv(ctx)
		if err != nil {
			return err
		}
		if len(m.Frames) != 2 {
			continue
		}
		cid, _ := m.Property("Peer-Address")
		out.printf("agent: from CID %s (%s): %s\n", cid, m.Frames[0], m.Frames[1])
		if err := router.Send(ctx, core.NewMsg(m.Frames[0], []byte("ack "+string(m.Frames[1])))); err != nil {
			return err
		}
	}
}

// GuestConfig configures a guest service.
type GuestConfig struct {
	Connect   string   // the agent's endpoint, e.g. "vsock://2:5000"
	ServerKey [32]byte // the agent's CURVE public key
	Count     int      // reports to send
	Options   []core.Option
	Out       io.Writer
}

// RunGuest connects to the agent, sends Count reports and waits for each
// acknowledgement.
func RunGuest(ctx context.Context, zctx *core.Context, cfg GuestConfig) error {
	out := &lockedWriter{w: cfg.Out}
	keys, err := curve.NewKeyPair()
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	opts := append([]core.Option{
		core.WithMechanism(curve.ClientKeys(cfg.ServerKey, keys)),
		core.WithRoutingID([]byte("guest-" + host)),
		core.WithLinger(0),
	}, cfg.Options...)
	dealer, err := zctx.NewSocket(core.DEALER, opts...)
	if err != nil {
		return err
	}
	defer dealer.Close()
	stopEvents := printEvents(ctx, dealer, "guest", out)
	defer stopEvents()
	if err := dealer.Connect(cfg.Connect); err != nil {
		return err
	}
	for i := range cfg.Count {
		c, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := dealer.SendString(c, fmt.Sprintf("report %d", i))
		var m core.Msg
		if err == nil {
			m, err = dealer.Recv(c)
		}
		cancel()
		if err != nil {
			return fmt.Errorf("report %d: %w", i, err)
		}
		out.printf("guest: %s\n", m.Frames[0])
	}
	return nil
}

// printEvents prints s's monitor events until the returned stop is called.
func printEvents(ctx context.Context, s *core.Socket, who string, out *lockedWriter) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	evs, err := s.WatchEvents(ctx, core.EventAll)
	if err != nil {
		cancel()
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for e := range evs {
			line := fmt.Sprintf("%s: event %v %s", who, e.Event, e.Endpoint)
			if e.Remote != "" && e.Remote != e.Endpoint {
				line += " peer " + e.Remote
			} else if e.Event == core.EventConnected && e.Local != "" {
				line += " from " + e.Local
			}
			if e.Err != nil {
				line += fmt.Sprintf(" (%v)", e.Err)
			}
			out.printf("%s\n", line)
		}
	}()
	return func() { cancel(); <-done }
}

// lockedWriter serialises the lines of concurrent printers.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format, args...)
}
