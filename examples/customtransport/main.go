// Command customtransport runs a third party's transport (package
// loopback, written only against registry/...) compiled in and then out
// of process, in one program. Run with the argument "serve-plugin", the
// program is the plugin binary itself; otherwise it is the host. See
// README.md.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/examples/customtransport/loopback"
	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/external"
	"github.com/zmqkit/zmqkit/registry/external/serve"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve-plugin" {
		serve.Main(loopback.New()) // out of process: this binary is the plugin
	}
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	// 1. Compiled in: importing the package registered it in
	// registry.Default.
	if err := pingPong("compiled in", registry.Default); err != nil {
		return err
	}
	// 2. Out of process: load this very program as the plugin binary into
	// a registry of its own, and run the same socket code.
	reg := registry.New()
	p, err := external.Load(reg, os.Args[0], external.Options{Args: []string{"serve-plugin"}})
	if err != nil {
		return err
	}
	defer p.Close()
	return pingPong(fmt.Sprintf("out of process (plugin pid %d)", p.Pid()), reg)
}

// pingPong binds a REP socket on loopback://*, connects a REQ socket and
// exchanges one request and reply.
func pingPong(mode string, reg *registry.Registry) error {
	zctx := core.NewContext(core.WithRegistry(reg))
	defer zctx.Term()
	rep, err := zctx.NewSocket(core.REP, core.WithLinger(0))
	if err != nil {
		return err
	}
	if err := rep.Bind("loopback://*"); err != nil {
		return err
	}
	req, err := zctx.NewSocket(core.REQ, core.WithLinger(0))
	if err != nil {
		return err
	}
	if err := req.Connect(rep.LastEndpoint()); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := req.SendString(ctx, "ping"); err != nil {
		return err
	}
	m, err := rep.Recv(ctx)
	if err != nil {
		return err
	}
	if err := rep.SendString(ctx, "pong to "+string(m.Frames[0])); err != nil {
		return err
	}
	r, err := req.Recv(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("%s: %s over %s\n", mode, r.Frames[0], rep.LastEndpoint())
	return nil
}
