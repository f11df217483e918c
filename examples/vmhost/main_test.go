package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/curve"
	"github.com/zmqkit/zmqkit/plugins/vmci"
	"github.com/zmqkit/zmqkit/plugins/vmci/vmcitest"
)

// syncBuffer is a bytes.Buffer safe for the printers' goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func term(t *testing.T, zctx *core.Context) {
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		zctx.TermContext(c)
	})
}

// run starts the agent in hostCtx, runs a guest in guestCtx against it and
// returns what both printed.
func run(t *testing.T, hostCtx, guestCtx *core.Context, bind string, allow []string, agentOpts []core.Option,
	connectTo func(bound string) string) (agentOut, guestOut string) {
	t.Helper()
	keys, err := curve.NewKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var aOut, gOut syncBuffer
	ready := make(chan string, 1)
	agentDone := make(chan error, 1)
	go func() {
		agentDone <- RunAgent(ctx, hostCtx, AgentConfig{
			Bind: bind, Keys: keys, AllowCIDs: allow, Options: agentOpts, Out: &aOut,
		}, func(ep string) { ready <- ep })
	}()
	var bound string
	select {
	case bound = <-ready:
	case err := <-agentDone:
		t.Fatalf("agent: %v", err)
	}
	if err := RunGuest(ctx, guestCtx, GuestConfig{
		Connect: connectTo(bound), ServerKey: keys.Public, Count: 3, Out: &gOut,
	}); err != nil {
		t.Fatalf("guest: %v\nagent printed:\n%s\nguest printed:\n%s", err, aOut.String(), gOut.String())
	}
	cancel()
	<-agentDone
	return aOut.String(), gOut.String()
}

func contains(t *testing.T, who, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s output lacks %q:\n%s", who, w, out)
		}
	}
}

// A QEMU or Cloud Hypervisor style deployment: the host is CID 2, the
// guest CID 3, on the fake vsock layer.
func TestVMHost(t *testing.T) {
	n := vmcitest.NewNetwork()
	defer n.Close()
	hostCtx := core.NewContext(core.WithRegistry(n.Machine(vmci.CIDHost).Registry()))
	term(t, hostCtx)
	guestCtx := core.NewContext(core.WithRegistry(n.Machine(3).Registry()))
	term(t, guestCtx)
	agent, guest := run(t, hostCtx, guestCtx, "vsock://*:5000", []string{"3"}, nil,
		func(string) string { return "vsock://2:5000" })
	t.Logf("agent:\n%s\nguest:\n%s", agent, guest)
	contains(t, "agent", agent,
		"agent: bound vsock://*:5000",
		"agent: event LISTENING vsock://*:5000",
		"agent: event ACCEPTED vsock://2:5000",
		"agent: event HANDSHAKE_SUCCEEDED vsock://2:5000 peer vsock://3:",
		"agent: from CID 3 (guest-",
		"report 2")
	contains(t, "guest", guest,
		"guest: event CONNECT_DELAYED vsock://2:5000",
		"guest: event CONNECTED vsock://2:5000",
		"guest: event HANDSHAKE_SUCCEEDED vsock://2:5000",
		"guest: ack report 0", "guest: ack report 2")
}

// A guest whose CID the agent does not admit is refused by ZAP.
func TestVMHostRefusesOtherCIDs(t *testing.T) {
	n := vmcitest.NewNetwork()
	defer n.Close()
	hostCtx := core.NewContext(core.WithRegistry(n.Machine(vmci.CIDHost).Registry()))
	term(t, hostCtx)
	guestCtx := core.NewContext(core.WithRegistry(n.Machine(4).Registry()))
	term(t, guestCtx)
	keys, _ := curve.NewKeyPair()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var aOut, gOut syncBuffer
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- RunAgent(ctx, hostCtx, AgentConfig{Bind: "vsock://*:*", Keys: keys, AllowCIDs: []string{"3"}, Out: &aOut},
			func(ep string) { ready <- ep })
	}()
	ep := <-ready
	gctx, gcancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer gcancel()
	err := RunGuest(gctx, guestCtx, GuestConfig{Connect: "vsock://2:" + ep[strings.LastIndexByte(ep, ':')+1:],
		ServerKey: keys.Public, Count: 1, Out: &gOut})
	if err == nil {
		t.Fatal("CID 4 was admitted")
	}
	cancel()
	<-done
	contains(t, "guest", gOut.String(), "guest: event HANDSHAKE_FAILED_AUTH")
}

// Firecracker: the agent uses the VM's hybrid vsock Unix socket.
func TestVMHostFirecracker(t *testing.T) {
	n := vmcitest.NewNetwork()
	defer n.Close()
	fc, err := n.Firecracker(3)
	if err != nil {
		t.Fatal(err)
	}
	defer fc.Close()
	hostCtx := core.NewContext() // no AF_VSOCK on the host side: the Unix socket
	term(t, hostCtx)
	guestCtx := core.NewContext(core.WithRegistry(n.Machine(3).Registry()))
	term(t, guestCtx)
	agent, guest := run(t, hostCtx, guestCtx, "vsock://*:5001", nil,
		[]core.Option{core.WithTransportOption(vmci.HybridUDS(fc.UDS))},
		func(string) string { return "vsock://2:5001" })
	contains(t, "agent", agent, "agent: bound vsock://*:5001", "agent: event ACCEPTED vsock://2:5001", "report 2")
	contains(t, "guest", guest, "guest: event CONNECTED vsock://2:5001", "guest: ack report 2")
}
