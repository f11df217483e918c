package core_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/transport"
)

// filteringTCP is a third-party transport in the style of libzmq's TCP
// accept filter (ZMQ_TCP_ACCEPT_FILTER): it wraps the tcp plugin and
// refuses the first connection each listener accepts, reporting
// ACCEPT_FAILED through the registry's lifecycle hook. Nothing in it knows
// about monitoring: the core turns the hook call into the monitor event.
type filteringTCP struct{ transport.Transport }

func (f filteringTCP) Schemes() []string { return []string{"ftcp"} }

func (f filteringTCP) Listen(ctx context.Context, _, addr string, cfg *transport.Config) (transport.Listener, error) {
	quiet := *cfg
	quiet.Hook = nil // this wrapper reports the listener's events itself
	ln, err := f.Transport.Listen(ctx, "tcp", addr, &quiet)
	if err != nil {
		return nil, err
	}
	r := &refuseFirst{Listener: ln, cfg: cfg}
	cfg.Emit(transport.Event{Kind: transport.EventListening, Endpoint: r.Endpoint(), FD: -1})
	return r, nil
}

func (f filteringTCP) Dial(ctx context.Context, _, addr string, cfg *transport.Config) (transport.Conn, error) {
	return f.Transport.Dial(ctx, "tcp", addr, cfg)
}

type refuseFirst struct {
	transport.Listener
	cfg     *transport.Config
	refused bool
}

func (r *refuseFirst) Endpoint() string { return "ftcp" + r.Listener.Endpoint()[3:] }

func (r *refuseFirst) Close() error {
	err := r.Listener.Close()
	r.cfg.Emit(transport.Event{Kind: transport.EventClosed, Endpoint: r.Endpoint(), FD: -1})
	return err
}

func (r *refuseFirst) Accept(ctx context.Context) (transport.Conn, error) {
	for {
		c, err := r.Listener.Accept(ctx)
		if err != nil {
			return c, err
		}
		if r.refused {
			r.cfg.Emit(transport.Event{Kind: transport.EventAccepted, Endpoint: r.Endpoint(),
				FD: c.FD(), Local: c.LocalAddress(), Remote: c.RemoteAddress()})
			return c, nil
		}
		r.refused = true
		c.Close()
		r.cfg.Emit(transport.Event{Kind: transport.EventAcceptFailed, Endpoint: r.Endpoint(),
			FD: -1, Errno: int(syscall.ECONNABORTED)})
	}
}

func TestMonitorAcceptFailedFromAPluginHook(t *testing.T) {
	tcp, err := registry.Default.Transport("tcp")
	if err != nil {
		t.Fatal(err)
	}
	reg := registry.Default.Clone()
	reg.RegisterTransport(filteringTCP{tcp})
	zctx := core.NewContext(core.WithRegistry(reg))
	t.Cleanup(func() { zctx.Term() })

	srv := newSock(t, zctx, core.PULL)
	mon := monitorOf(t, zctx, srv, core.EventAll, 1, core.PAIR)
	if err := srv.Bind("ftcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	ep := srv.LastEndpoint()
	cli := newSock(t, zctx, core.PUSH, core.WithReconnectInterval(20*time.Millisecond))
	if err := cli.Connect("tcp" + ep[4:]); err != nil {
		t.Fatal(err)
	}
	evs := expectSeq(t, mon, core.EventListening, core.EventAcceptFailed, core.EventAccepted, core.EventHandshakeSucceeded)
	if evs[1].Value != uint64(syscall.ECONNABORTED) || evs[1].Endpoint != ep {
		t.Fatalf("ACCEPT_FAILED value %d endpoint %q, want %d %q", evs[1].Value, evs[1].Endpoint, syscall.ECONNABORTED, ep)
	}
	// the refused client reconnected and its messages flow
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := cli.Send(c, core.NewMsgString("after")); err != nil {
		t.Fatal(err)
	}
	if m, err := srv.Recv(c); err != nil || string(m.Frames[0]) != "after" {
		t.Fatalf("recv: %v %v", m.Frames, err)
	}
}
