// Package serve turns transport and mechanism plugins into a plugin
// binary that registry/external loads out of process. The binary wraps
// the very constructor the plugin's init() registers in process:
//
//	package main
//
//	import (
//		"github.com/zmqkit/zmqkit/plugins/tcp"
//		"github.com/zmqkit/zmqkit/registry/external/serve"
//	)
//
//	func main() { serve.Main(tcp.New()) }
//
// Main speaks hashicorp/go-plugin's gRPC protocol on stdout/stdin as the
// host set it up; it refuses to run when a person starts the binary by
// hand, except to print its version (--version: the binary's version and
// what it serves, as `zmqkit-plugin-tcp v0.1.0 (zmqkit plugin: tcp)`). One binary may serve several transports and mechanisms; the host
// registers what it describes. A transport of kind transport.KindPipe
// (inproc) can not be served: its connections hand in-process values
// over.
//
// The plugin logs through an hclog logger writing JSON to stderr
// (Logger); the host re-emits those lines on its own logger, named after
// the plugin. Nothing must write to stdout before Main: go-plugin reads
// its handshake line there.
package serve

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/zmqkit/zmqkit/registry/external/internal/wire"
	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/registry/transport"
)

// Config says what a binary serves.
type Config struct {
	// Name is the plugin's name in logs; "" means the binary's name.
	Name       string
	Transports []transport.Transport
	Mechanisms []mechanism.Mechanism
	// Logger, when set, is the plugin's logger; it must write JSON to
	// stderr for the host to parse it. nil: Logger().
	Logger hclog.Logger
	// Version is the binary's semantic version ("v1.2.3"), which the host
	// reports (external.Plugin.Info, `zmqkit plugins`). "" means the
	// version of the module providing the first plugin: zmqkit's release
	// for zmqkit's own plugins, else the version the Go toolchain
	// recorded for that module (its tag or a pseudo-version), else
	// "v0.0.0-devel". Each transport and mechanism is also described with
	// its own module's version.
	Version string
	// ProtocolVersion overrides the protocol version announced to the
	// host; 0 means the current one. Tests of version mismatches set it.
	ProtocolVersion uint
}

var logger = hclog.New(&hclog.LoggerOptions{
	Name:       filepath.Base(os.Args[0]),
	Level:      hclog.Trace,
	Output:     os.Stderr,
	JSONFormat: true,
})

// Logger is the plugin process's logger: JSON lines on stderr, which the
// host re-emits on its logger.
func Logger() hclog.Logger { return logger }

// Main serves the given plugins, each a transport.Transport or a
// mechanism.Mechanism, and never returns; a Version among them is the
// binary's version. It exits with status 1 when the plugins can not be
// served.
func Main(plugins ...any) {
	var cfg Config
	for _, p := range plugins {
		switch x := p.(type) {
		case Version:
			cfg.Version = string(x)
		case transport.Transport:
			cfg.Transports = append(cfg.Transports, x)
		case mechanism.Mechanism:
			cfg.Mechanisms = append(cfg.Mechanisms, x)
		default:
			fmt.Fprintf(os.Stderr, "zmqkit plugin: %T is neither a transport nor a mechanism\n", p)
			os.Exit(1)
		}
	}
	Serve(cfg)
	os.Exit(0)
}

// Serve serves cfg until the host stops the plugin, then returns. A
// configuration that can not be served, or a binary not started by a
// zmqkit host, exits the process with status 1 and a message on stderr.
func Serve(cfg Config) {
	if err := check(&cfg); err != nil {
		fmt.Fprintf(os.Stderr, "zmqkit plugin: %v\n", err)
		os.Exit(1)
	}
	if os.Getenv(wire.Handshake.MagicCookieKey) != wire.Handshake.MagicCookieValue {
		if len(os.Args) == 2 && (os.Args[1] == "--version" || os.Args[1] == "-version") {
			fmt.Println(versionLine(filepath.Base(os.Args[0]), cfg))
			os.Exit(0)
		}
		fmt.Fprintf(os.Stderr, "%s is a zmqkit plugin: a program using zmqkit loads it "+
			"(registry/external.Load, or -plugin %s with the perf tools); it does nothing on its own.\n",
			os.Args[0], os.Args[0])
		os.Exit(1)
	}
	log := cfg.Logger
	if log == nil {
		log = logger
	}
	if cfg.Name != "" {
		log = log.Named(cfg.Name)
	}
	s := newServer(cfg, log)
	if err := s.openSide(); err != nil {
		log.Error("no side channel: connections can not be handed over", "error", err)
	}
	watchParent(log)
	hs := wire.Handshake
	if cfg.ProtocolVersion != 0 {
		hs.ProtocolVersion = cfg.ProtocolVersion
	}
	log.Debug("serving", "transports", len(cfg.Transports), "mechanisms", len(cfg.Mechanisms), "fd_passing", s.side != nil)
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: hs,
		Plugins:         plugin.PluginSet{wire.PluginKey: &wire.GRPCPlugin{Impl: s}},
		GRPCServer:      plugin.DefaultGRPCServer,
		Logger:          log,
	})
	s.shutdown()
}

func check(cfg *Config) error {
	if len(cfg.Transports) == 0 && len(cfg.Mechanisms) == 0 {
		return fmt.Errorf("nothing to serve")
	}
	for _, t := range cfg.Transports {
		if t == nil || len(t.Schemes()) == 0 {
			return fmt.Errorf("a transport with no scheme")
		}
		if t.Kind() == transport.KindPipe {
			return fmt.Errorf("transport %q is in-process only (kind pipe, like inproc): "+
				"its connections hand in-process values over and can not cross a process boundary", t.Schemes())
		}
	}
	for _, m := range cfg.Mechanisms {
		if m == nil || m.Name() == "" {
			return fmt.Errorf("a mechanism with no name")
		}
	}
	if cfg.Version != "" && !validVersion(cfg.Version) {
		return fmt.Errorf("version %q is not a semantic version (v1.2.3)", cfg.Version)
	}
	return nil
}

// openSide opens the side channel: the descriptor the host passed
// (wire.SideFDEnv), or a connection to the host's dial-back listener
// (wire.SideAddrEnv).
func (s *server) openSide() error {
	var w *wire.SideWriter
	if fdStr := os.Getenv(wire.SideFDEnv); fdStr != "" {
		fd, err := strconv.Atoi(fdStr)
		if err != nil || fd < 3 {
			return fmt.Errorf("bad %s=%q", wire.SideFDEnv, fdStr)
		}
		f := os.NewFile(uintptr(fd), "zmqkit-side")
		c, err := net.FileConn(f)
		f.Close()
		if err != nil {
			return err
		}
		w = wire.NewSideWriter(c)
		if !w.FDPassing() {
			c.Close()
			return fmt.Errorf("descriptor %d is not a Unix socket", fd)
		}
	} else if addr := os.Getenv(wire.SideAddrEnv); addr != "" {
		var err error
		if w, err = wire.DialSide(addr, os.Getenv(wire.SideKeyEnv)); err != nil {
			return err
		}
	} else {
		return errors.New("the host set up no side channel")
	}
	s.side = w
	// The host never writes: end of file means it closed the channel or
	// died, and the plugin goes with it.
	go func() {
		var b [1]byte
		for {
			if _, err := w.Conn().Read(b[:]); err != nil {
				s.log.Debug("host closed the side channel: exiting")
				time.Sleep(50 * time.Millisecond)
				os.Exit(0)
			}
		}
	}()
	return nil
}
