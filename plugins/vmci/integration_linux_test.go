package vmci_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/plugins/vmci"
	"github.com/zmqkit/zmqkit/registry/transport"
)

// realLoopback checks that this machine has AF_VSOCK with vsock_loopback
// (CID 1) and skips the test, saying why, when it has not. This is the one
// skip the project allows: CI machines have no vsock loopback. To run
// these tests on a Linux machine: modprobe vsock_loopback (Linux 5.6 or
// later; as root, or chmod /dev/vsock), then
// go test -run Integration ./plugins/vmci.
func realLoopback(t *testing.T) {
	t.Helper()
	cid, err := vmci.LocalCID()
	if err != nil {
		t.Skipf("no usable vsock device: %v", err)
	}
	tr := vmci.New()
	l, err := tr.Listen(context.Background(), "vsock", "1:*", nil)
	if err != nil {
		switch {
		case errors.Is(err, vmci.ErrNoLoopback), errors.Is(err, vmci.ErrDenied),
			errors.Is(err, vmci.ErrNoVsock), errors.Is(err, vmci.ErrAccess):
			t.Skipf("local CID %d, but no vsock loopback: %v", cid, err)
		}
		t.Fatalf("bind CID 1: %v", err)
	}
	defer l.Close()
	c, err := tr.Dial(context.Background(), "vsock", l.Endpoint()[len("vsock://"):], nil)
	if err != nil {
		if errors.Is(err, transport.ErrNoDevice) {
			t.Skipf("CID 1 binds but does not connect (no vsock_loopback transport): %v", err)
		}
		t.Fatalf("connect to CID 1: %v", err)
	}
	c.Close()
	t.Logf("vsock loopback available (local CID %d)", cid)
}

// realWorld runs the scenarios over CID 1 with the registered transport.
func realWorld(t *testing.T) world {
	return world{
		host:     newContext(t),
		guest:    newContext(t),
		bind:     "vsock://1:*",
		dialTo:   func(ep string) string { return "vsock://1:" + ep[strings.LastIndexByte(ep, ':')+1:] },
		guestCID: "1",
		hostCID:  "1",
	}
}

func TestIntegrationSockets(t *testing.T) {
	realLoopback(t)
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, realWorld(t)) })
	}
}

// TestIntegrationErrors checks what this machine says when vsock can not
// work, whatever it has: a CID 1 bind either works or names the missing
// module, and a connect to a port nobody listens on is refused.
func TestIntegrationErrors(t *testing.T) {
	if _, err := vmci.LocalCID(); err != nil {
		if !errors.Is(err, vmci.ErrNoVsock) && !errors.Is(err, vmci.ErrAccess) {
			t.Fatalf("LocalCID: %v names no cause", err)
		}
		t.Skipf("no usable vsock device: %v", err)
	}
	tr := vmci.New()
	l, err := tr.Listen(context.Background(), "vsock", "1:*", nil)
	if err == nil {
		l.Close()
	} else if !errors.Is(err, vmci.ErrNoLoopback) && !errors.Is(err, vmci.ErrDenied) {
		t.Fatalf("bind CID 1: %v names no cause", err)
	} else {
		t.Logf("bind CID 1 here: %v", err)
	}
	// binding every CID on an ephemeral port works wherever vsock does
	l, err = tr.Listen(context.Background(), "vmci", "*:*", nil)
	if err != nil {
		if errors.Is(err, vmci.ErrDenied) {
			t.Skipf("%v", err)
		}
		t.Fatalf("bind vmci://*:*: %v", err)
	}
	defer l.Close()
	if ep := l.Endpoint(); !strings.HasPrefix(ep, "vmci://*:") || strings.HasSuffix(ep, ":*") {
		t.Errorf("endpoint %q, want vmci://*:PORT", ep)
	}
	t.Logf("bound %s", l.Endpoint())

	// the AF_VSOCK options are accepted by the kernel before bind and
	// connect
	extra := map[string]any{}
	for _, kv := range []func() (string, any){
		func() (string, any) { return vmci.BufferMaxSize(1 << 20) },
		func() (string, any) { return vmci.BufferMinSize(4096) },
		func() (string, any) { return vmci.BufferSize(512 << 10) },
		func() (string, any) { return vmci.ConnectTimeout(1500 * time.Millisecond) },
	} {
		k, v := kv()
		extra[k] = v
	}
	cfg := &transport.Config{Extra: extra, Backlog: 16}
	lo, err := tr.Listen(context.Background(), "vsock", "*:*", cfg)
	if err != nil {
		t.Fatalf("bind with options: %v", err)
	}
	defer lo.Close()
	// Connecting to this machine's own CID needs a loopback transport:
	// it either works or fails cleanly (ENODEV on a guest without one).
	cid, _ := vmci.LocalCID()
	port := lo.Endpoint()[strings.LastIndexByte(lo.Endpoint(), ':')+1:]
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c, err := tr.Dial(ctx, "vsock", fmt.Sprintf("%d:%s", cid, port), cfg)
	if err != nil {
		t.Logf("connect to the own CID %d: %v", cid, err)
	} else {
		c.Close()
	}
}
