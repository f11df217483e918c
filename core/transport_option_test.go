package core_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/transport"
)

// extraSpy records the Config.Extra of each Listen and Dial and refuses them.
type extraSpy struct {
	seen chan map[string]any
}

var errSpy = errors.New("spy: refused")

func (s *extraSpy) Schemes() []string    { return []string{"spy"} }
func (s *extraSpy) Kind() transport.Kind { return transport.KindStream }
func (s *extraSpy) Listen(_ context.Context, _, _ string, cfg *transport.Config) (transport.Listener, error) {
	s.seen <- cfg.Extra
	return nil, errSpy
}
func (s *extraSpy) Dial(_ context.Context, _, _ string, cfg *transport.Config) (transport.Conn, error) {
	s.seen <- cfg.Extra
	return nil, errSpy
}

func TestWithTransportOptionReachesConfigExtra(t *testing.T) {
	spy := &extraSpy{seen: make(chan map[string]any, 4)}
	reg := registry.New()
	reg.RegisterTransport(spy)
	zctx := core.NewContext(core.WithRegistry(reg))
	t.Cleanup(func() { zctx.Term() })

	s := newSock(t, zctx, core.PUSH, core.WithTransportOption("SPY_A", 1), core.WithTransportOption("SPY_B", "b"))
	before := s.Options().TransportOptions
	if err := s.SetOption(core.WithTransportOption("SPY_A", nil), core.WithTransportOption("SPY_C", true)); err != nil {
		t.Fatal(err)
	}
	if len(before) != 2 || before["SPY_A"] != 1 {
		t.Fatalf("an earlier Options copy changed: %v", before)
	}
	if err := s.Bind("spy://x"); !errors.Is(err, errSpy) {
		t.Fatalf("bind: %v", err)
	}
	got := <-spy.seen
	if len(got) != 2 || got["SPY_B"] != "b" || got["SPY_C"] != true {
		t.Fatalf("Extra = %v, want SPY_B and SPY_C", got)
	}
	if err := s.SetOption(core.WithTransportOption("", 1)); !errors.Is(err, core.ErrInvalid) {
		t.Fatalf("empty name: %v", err)
	}
}

// cfgSpy records each Listen's Config and refuses the bind.
type cfgSpy struct{ seen chan transport.Config }

func (s *cfgSpy) Schemes() []string    { return []string{"cfgspy"} }
func (s *cfgSpy) Kind() transport.Kind { return transport.KindStream }
func (s *cfgSpy) Listen(_ context.Context, _, _ string, cfg *transport.Config) (transport.Listener, error) {
	s.seen <- *cfg
	return nil, errSpy
}
func (s *cfgSpy) Dial(context.Context, string, string, *transport.Config) (transport.Conn, error) {
	return nil, errSpy
}

// ZMQ_RATE, ZMQ_RECOVERY_IVL and ZMQ_MULTICAST_MAXTPDU: libzmq's defaults,
// range checks, and the values reaching transport.Config.
func TestMulticastRateOptions(t *testing.T) {
	spy := &cfgSpy{seen: make(chan transport.Config, 4)}
	reg := registry.New()
	reg.RegisterTransport(spy)
	zctx := core.NewContext(core.WithRegistry(reg))
	t.Cleanup(func() { zctx.Term() })

	s := newSock(t, zctx, core.PUB)
	o := s.Options()
	if o.Rate != 100 || o.RecoveryInterval != 10*time.Second || o.MulticastMaxTPDU != 1500 {
		t.Fatalf("defaults: rate %d, recovery %v, maxtpdu %d", o.Rate, o.RecoveryInterval, o.MulticastMaxTPDU)
	}
	s.Bind("cfgspy://a")
	if c := <-spy.seen; c.Rate != 100 || c.RecoveryInterval != 10*time.Second || c.MulticastMaxTPDU != 1500 {
		t.Fatalf("default Config: rate %d, recovery %v, maxtpdu %d", c.Rate, c.RecoveryInterval, c.MulticastMaxTPDU)
	}
	for _, bad := range []core.Option{core.WithRate(0), core.WithRate(-1), core.WithRecoveryInterval(-time.Millisecond),
		core.WithMulticastMaxTPDU(0), core.WithMulticastMaxTPDU(-5)} {
		if err := s.SetOption(bad); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("out of range option accepted: %v", err)
		}
	}
	if err := s.SetOption(core.WithRate(1000000), core.WithRecoveryInterval(2500*time.Millisecond), core.WithMulticastMaxTPDU(9000)); err != nil {
		t.Fatal(err)
	}
	s.Bind("cfgspy://b")
	if c := <-spy.seen; c.Rate != 1000000 || c.RecoveryInterval != 2500*time.Millisecond || c.MulticastMaxTPDU != 9000 {
		t.Fatalf("Config: rate %d, recovery %v, maxtpdu %d", c.Rate, c.RecoveryInterval, c.MulticastMaxTPDU)
	}
	// libzmq's RECOVERY_IVL 0 (one packet) is not the zero Config's default
	if err := s.SetOption(core.WithRecoveryInterval(0)); err != nil {
		t.Fatal(err)
	}
	s.Bind("cfgspy://c")
	if c := <-spy.seen; c.RecoveryInterval <= 0 || c.RecoveryInterval >= time.Millisecond {
		t.Fatalf("RECOVERY_IVL 0 reached Config as %v", c.RecoveryInterval)
	}
}
