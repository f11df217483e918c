package core_test

import (
	"context"
	"errors"
	"testing"

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
