package external

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/go-plugin"

	"github.com/zmqkit/zmqkit/registry/external/internal/wire"
)

// side is the side channel of a start being set up.
type side struct {
	env   []string   // for the plugin
	files []*os.File // the plugin's descriptors 3, ...
	// open completes the channel once the plugin runs (exited closes if
	// it exits first); abort undoes everything if the start fails
	// before.
	open  func(timeout time.Duration, exited <-chan struct{}) (*wire.SideReader, error)
	abort func()
}

// newSide sets up the side channel: a socketpair passed as descriptor 3
// where descriptors can be handed over, else a dial-back listener.
func (p *Plugin) newSide() (*side, error) {
	if wire.FDPassing && !p.opts.dialBack {
		return socketpairSide(p.onEvent)
	}
	ln, err := wire.ListenChannels()
	if err != nil {
		return nil, err
	}
	return &side{
		env: ln.Env(),
		open: func(timeout time.Duration, exited <-chan struct{}) (*wire.SideReader, error) {
			c, err := ln.Side(timeout, exited)
			if err != nil {
				ln.Close()
				return nil, err
			}
			return wire.NewSideReader(c, ln, p.onEvent), nil
		},
		abort: func() { ln.Close() },
	}, nil
}

// start runs the binary, completes go-plugin's handshake, opens the side
// channel and describes the plugin.
func (p *Plugin) start() (*generation, error) {
	sd, err := p.newSide()
	if err != nil {
		return nil, fmt.Errorf("external: load %s: %w", p.path, err)
	}
	cmd := exec.Command(p.path, p.opts.Args...)
	cmd.Env = append(append([]string(nil), p.opts.Env...), sd.env...)
	cmd.ExtraFiles = sd.files
	setDeathSignal(cmd)
	tail := &lastLines{}
	cc := &plugin.ClientConfig{
		Stderr:           tail,
		HandshakeConfig:  wire.Handshake,
		Plugins:          plugin.PluginSet{wire.PluginKey: &wire.GRPCPlugin{}},
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		Logger:           p.log,
		StartTimeout:     p.opts.StartTimeout,
	}
	if p.opts.Checksum != nil {
		cc.SecureConfig = &plugin.SecureConfig{Checksum: p.opts.Checksum, Hash: sha256.New()}
	}
	client := plugin.NewClient(cc)
	proto, err := client.Client()
	for _, f := range sd.files {
		f.Close() // the plugin's now
	}
	fail := func(err error) (*generation, error) {
		client.Kill()
		sd.abort()
		return nil, err
	}
	if err != nil {
		// Kill waits for go-plugin's goroutines, its stderr reader among
		// them: a plugin that exits at once (a refused configuration)
		// closes stdout, and go-plugin may report that before it has
		// read the stderr that says why.
		client.Kill()
		sd.abort()
		return nil, p.startErr(err, tail.String())
	}
	raw, err := proto.Dispense(wire.PluginKey)
	if err != nil {
		return fail(fmt.Errorf("external: load %s: %w: %v", p.path, ErrNotPlugin, err))
	}
	d, ok := raw.(*wire.Dispensed)
	if !ok {
		return fail(fmt.Errorf("external: load %s: %w", p.path, ErrNotPlugin))
	}
	sr, err := sd.open(p.opts.StartTimeout, d.Exited)
	if err != nil {
		return fail(fmt.Errorf("external: load %s: side channel: %w", p.path, err))
	}
	g := &generation{p: p, client: client, rpc: d, exited: d.Exited, started: time.Now(), side: sr,
		stopping: make(chan struct{}), reaped: make(chan struct{}), objs: map[io.Closer]struct{}{}}
	if rc := client.ReattachConfig(); rc != nil {
		g.pid = rc.Pid
	}
	p.bgWG.Add(1)
	go p.watch(g)
	ctx, cancel := context.WithTimeout(context.Background(), p.opts.StartTimeout)
	defer cancel()
	if err := d.Call(ctx, "Describe", &wire.DescribeRequest{}, &g.desc); err != nil {
		g.stop()
		return nil, fmt.Errorf("external: load %s: describe: %w", p.path, err)
	}
	if !g.desc.Channels {
		g.stop()
		return nil, fmt.Errorf("external: load %s: the plugin did not open the side channel", p.path)
	}
	if p.desc.Transports != nil || p.desc.Mechanisms != nil {
		if !sameDescription(p.desc, g.desc) {
			g.stop()
			return nil, fmt.Errorf("external: load %s: the restarted plugin serves something else than before", p.path)
		}
	}
	p.log.Debug("plugin process started", "pid", g.pid, "fd_passing", g.desc.FDPassing)
	return g, nil
}

// startErr explains why a start failed, naming the binary.
func (p *Plugin) startErr(err error, said string) error {
	msg := err.Error()
	if said != "" {
		said = " (it said: " + said + ")"
	}
	switch {
	case errors.Is(err, plugin.ErrChecksumsDoNotMatch):
		got := "unreadable"
		if b, rerr := os.ReadFile(p.path); rerr == nil {
			sum := sha256.Sum256(b)
			got = hex.EncodeToString(sum[:])
		}
		return fmt.Errorf("external: load %s: %w: its SHA-256 is %s, want %x", p.path, ErrChecksum, got, p.opts.Checksum)
	case strings.Contains(strings.ToLower(msg), "incompatible api version"):
		return fmt.Errorf("external: load %s: %w: this host speaks version %d (%s): rebuild the plugin against this zmqkit",
			p.path, ErrVersion, wire.ProtocolVersion, msg)
	case strings.Contains(msg, "Failed to read any lines from plugin's stdout"),
		strings.Contains(msg, "exited before we could connect"):
		// stdout closed (go-plugin's "Unrecognized remote plugin
		// message" with no line) or the process ended: one case
		return fmt.Errorf("external: load %s: %w: it exited before its handshake%s", p.path, ErrNotPlugin, said)
	case strings.Contains(msg, "Unrecognized remote plugin message"),
		strings.Contains(msg, "unsupported plugin protocol"),
		strings.Contains(msg, "core API version"):
		return fmt.Errorf("external: load %s: %w: %s%s", p.path, ErrNotPlugin, firstLine(msg), said)
	case strings.Contains(msg, "timeout while waiting for plugin to start"):
		return fmt.Errorf("external: load %s: %w: no handshake within %v (a binary that is not a zmqkit plugin, or one that hangs)%s",
			p.path, ErrNotPlugin, p.opts.StartTimeout, said)
	}
	return fmt.Errorf("external: load %s: %w%s", p.path, err, said)
}

// lastLines keeps the last lines a plugin wrote on stderr, for errors.
type lastLines struct {
	mu    sync.Mutex
	lines []string
	part  string
}

func (l *lastLines) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.part + string(b)
	parts := strings.Split(s, "\n")
	l.part = parts[len(parts)-1]
	if len(l.part) > 4096 {
		l.part = l.part[:4096]
	}
	for _, line := range parts[:len(parts)-1] {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "{") {
			l.lines = append(l.lines, line)
		}
	}
	if len(l.lines) > 3 {
		l.lines = l.lines[len(l.lines)-3:]
	}
	return len(b), nil
}

func (l *lastLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, " / ")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func sameDescription(a, b wire.DescribeReply) bool {
	if len(a.Transports) != len(b.Transports) || len(a.Mechanisms) != len(b.Mechanisms) {
		return false
	}
	for i := range a.Transports {
		if a.Transports[i].Kind != b.Transports[i].Kind || strings.Join(a.Transports[i].Schemes, ",") != strings.Join(b.Transports[i].Schemes, ",") {
			return false
		}
	}
	for i := range a.Mechanisms {
		if a.Mechanisms[i].Name != b.Mechanisms[i].Name {
			return false
		}
	}
	return true
}
