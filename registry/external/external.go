// Package external loads zmqkit plugins out of process: it starts a
// plugin binary (built with registry/external/serve around the same
// constructor the plugin's init() registers in process), asks what it
// serves, and registers adapters for its transports and mechanisms in a
// registry, alongside the compiled-in ones or instead of them. Sockets
// then use them like any other plugin: the core does not know the
// difference.
//
//	p, err := external.Load(registry.Default, "./zmqkit-plugin-tcp", external.Options{Replace: true})
//	if err != nil { ... }
//	defer p.Close()
//
// Control calls (listen, accept, dial, close, the mechanism handshake)
// go over hashicorp/go-plugin's gRPC protocol, with automatic mTLS, its
// handshake cookie and, optionally, a SHA-256 checksum of the binary.
// Data never crosses as RPCs:
//
//   - a stream connection whose bytes are its socket's (tcp, ipc, vmci:
//     transport.DirectConn) is handed to this process as its descriptor,
//     over a Unix socketpair the plugin gets as descriptor 3
//     (SCM_RIGHTS), and the core's engine reads and writes it directly:
//     out-of-process tcp runs at in-process speed once connected;
//   - frames and datagrams (udp, ws, pgm, any connection without a
//     usable descriptor, every connection with Options.KeepConns) travel
//     over a local channel per connection, a socketpair carrying many
//     frames per read and write; a frame connection's Handshaker,
//     FrameModer, Pinger and FrameBuffer cross with it;
//   - a mechanism runs its handshake in the plugin; its data phase either
//     stays there too (batches of frames, one round trip per batch, keys
//     never leave the plugin) or, with Options.HandOff, the negotiated
//     session state comes to this process and the compiled-in mechanism
//     carries on (like kernel TLS: the long-term secret stays in the
//     plugin, this connection's keys do not).
//
// The plugin process starts at Load and whenever it is needed again; it
// stops once nothing uses it (no listener, connection or session) for
// Options.IdleTimeout, so closing the last socket or the context stops
// it, and with Close. If it crashes or is killed, its connections end
// (DISCONNECTED), sockets reconnect through a new process started with
// back-off, and bound endpoints are bound again. A hung call times out.
// On Linux the child is killed with the host (Pdeathsig); everywhere it
// exits when its side channel closes, and on Unix when it is re-parented.
//
// inproc can not run out of process: its connections hand in-process
// values over. Descriptor hand-off needs a Unix system; elsewhere the
// side channel and every local channel are loopback TCP connections the
// plugin dials back, each opening with a secret key the host gave it for
// this start, and streams go through their channel.
//
// A program that does not import this package links neither go-plugin
// nor gRPC.
package external

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/external/internal/wire"
	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/registry/transport"
)

// Errors Load and the adapters wrap.
var (
	// ErrNotPlugin: the binary is not a zmqkit plugin (it did not answer
	// go-plugin's handshake with zmqkit's cookie).
	ErrNotPlugin = errors.New("external: not a zmqkit plugin")
	// ErrVersion: the plugin speaks another version of the protocol.
	ErrVersion = errors.New("external: plugin protocol version mismatch")
	// ErrChecksum: the binary's SHA-256 is not Options.Checksum.
	ErrChecksum = errors.New("external: plugin checksum mismatch")
	// ErrUnloaded: the plugin was closed.
	ErrUnloaded = errors.New("external: plugin unloaded")
	// ErrPluginDown: the plugin process is not running (it crashed, or is
	// being restarted).
	ErrPluginDown = errors.New("external: plugin process not running")
)

// Options configure one loaded plugin. The zero value registers what the
// plugin serves alongside what the registry has (failing on a clash).
type Options struct {
	// Name is the plugin's name in logs and errors; "" means the base
	// name of the binary.
	Name string
	// Args and Env are the binary's arguments and extra environment.
	Args []string
	Env  []string
	// Replace registers the plugin's transports and mechanisms instead of
	// those registered under the same schemes or names; Close puts those
	// back. Without it a clash fails Load with registry.ErrRegistered.
	Replace bool
	// Only, when not empty, lists the schemes and mechanism names to
	// register; the others the plugin serves are left out.
	Only []string
	// Checksum is the binary's expected SHA-256 (32 bytes); nil checks
	// nothing. A mismatch fails every start with ErrChecksum.
	Checksum []byte
	// KeepConns makes the plugin keep every connection, stream ones
	// included: each reaches this process over a local channel, and no
	// socket of the plugin's is ever handed over (isolation, at the cost
	// of a copy each way). Systems without Unix descriptor passing
	// always work this way.
	KeepConns bool
	// HandOff runs mechanisms' data phase in this process after the
	// handshake, using the in-process mechanism registered under the same
	// name before Load (e.g. plugins/curve, imported). Without it the
	// plugin encodes and decodes every frame and keys never leave it.
	HandOff bool
	// Logger receives the plugin's log lines (named after the plugin) and
	// go-plugin's own; nil discards them.
	Logger hclog.Logger
	// StartTimeout bounds a start (exec, handshake, describe): 10s if 0.
	StartTimeout time.Duration
	// CallTimeout bounds each call but Accept: 10s if 0.
	CallTimeout time.Duration
	// IdleTimeout is how long the process keeps running with nothing
	// using it: 1s if 0; negative keeps it running until Close.
	IdleTimeout time.Duration
	// MinBackoff and MaxBackoff bound the delay before a start that
	// follows a crash, doubling with each crash in a row: 100ms and 5s
	// if 0.
	MinBackoff, MaxBackoff time.Duration

	// dialBack makes the local channels loopback connections that the
	// plugin dials, as on systems without descriptor passing (tests).
	dialBack bool
}

func (o *Options) defaults(path string) {
	if o.Name == "" {
		o.Name = filepath.Base(path)
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 10 * time.Second
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 10 * time.Second
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = time.Second
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 100 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = hclog.NewNullLogger()
	}
}

// Plugin is a loaded plugin binary.
type Plugin struct {
	reg  *registry.Registry
	path string
	opts Options
	log  hclog.Logger
	desc wire.DescribeReply

	transports []*transportAdapter
	mechs      []*mechanismAdapter
	replacedT  map[string]transport.Transport
	replacedM  map[string]mechanism.Mechanism

	mu        sync.Mutex
	gen       *generation
	starting  chan struct{}
	users     int
	idle      *time.Timer
	failures  int
	notBefore time.Time
	closed    bool
	starts    int
	crashes   int

	nextID  atomic.Uint64
	hookMu  sync.Mutex
	hooks   map[uint64]transport.Hook
	bgWG    sync.WaitGroup
	closeCh chan struct{}
}

// Load starts the plugin binary at path, asks what it serves and
// registers it in reg. Errors name the path; they wrap ErrNotPlugin,
// ErrVersion or ErrChecksum where they apply, and registry.ErrRegistered
// for a clash without Options.Replace.
func Load(reg *registry.Registry, path string, opts Options) (*Plugin, error) {
	if reg == nil {
		reg = registry.Default
	}
	opts.defaults(path)
	p := &Plugin{reg: reg, path: path, opts: opts, hooks: map[uint64]transport.Hook{}, closeCh: make(chan struct{})}
	p.log = opts.Logger.Named(opts.Name)
	g, err := p.acquire(context.Background())
	if err != nil {
		return nil, err
	}
	p.desc = g.desc
	defer p.release()
	if err := p.register(); err != nil {
		p.shutdown()
		return nil, fmt.Errorf("external: load %s: %w", path, err)
	}
	return p, nil
}

func (p *Plugin) wanted(name string) bool {
	if len(p.opts.Only) == 0 {
		return true
	}
	for _, o := range p.opts.Only {
		if o == name {
			return true
		}
	}
	return false
}

// register adds the adapters to the registry.
func (p *Plugin) register() error {
	for i, ti := range p.desc.Transports {
		if ti.Kind == transport.KindPipe {
			return fmt.Errorf("transport %q is in-process only and can not be loaded out of process", ti.Schemes)
		}
		var schemes []string
		for _, s := range ti.Schemes {
			if p.wanted(s) {
				schemes = append(schemes, s)
			}
		}
		if len(schemes) == 0 {
			continue
		}
		p.transports = append(p.transports, &transportAdapter{p: p, idx: i, info: ti, schemes: schemes})
	}
	for i, mi := range p.desc.Mechanisms {
		if !p.wanted(mi.Name) {
			continue
		}
		a := &mechanismAdapter{p: p, idx: i, info: mi}
		if p.opts.HandOff {
			imp, _ := p.reg.Mechanism(mi.Name)
			si, ok := imp.(mechanism.StateImporter)
			if !ok || !mi.Export {
				return fmt.Errorf("hand-off of %s needs the plugin to export its sessions' state and the in-process %s (import its package) registered before Load", mi.Name, mi.Name)
			}
			a.importer = si
		}
		p.mechs = append(p.mechs, a)
	}
	if len(p.transports) == 0 && len(p.mechs) == 0 {
		return fmt.Errorf("the plugin serves nothing that was asked for (Only %q)", p.opts.Only)
	}
	if !p.opts.Replace {
		var taken []string
		for _, a := range p.transports {
			for _, s := range a.schemes {
				if _, err := p.reg.Transport(s); err == nil {
					taken = append(taken, s)
				}
			}
		}
		for _, a := range p.mechs {
			if _, err := p.reg.Mechanism(a.Name()); err == nil {
				taken = append(taken, a.Name())
			}
		}
		if len(taken) > 0 {
			return fmt.Errorf("%w: %s (use Options.Replace to load the plugin instead)", registry.ErrRegistered, strings.Join(taken, ", "))
		}
	}
	p.replacedT = map[string]transport.Transport{}
	p.replacedM = map[string]mechanism.Mechanism{}
	for _, a := range p.transports {
		for s, old := range p.reg.ReplaceTransport(a.registered()) {
			p.replacedT[s] = old
		}
	}
	for _, a := range p.mechs {
		if old := p.reg.ReplaceMechanism(a); old != nil {
			p.replacedM[a.Name()] = old
		}
	}
	return nil
}

// Name is the plugin's name.
func (p *Plugin) Name() string { return p.opts.Name }

// Path is the binary's path.
func (p *Plugin) Path() string { return p.path }

// Transports lists the schemes registered for the plugin.
func (p *Plugin) Transports() []string {
	var out []string
	for _, a := range p.transports {
		out = append(out, a.schemes...)
	}
	sort.Strings(out)
	return out
}

// Mechanisms lists the mechanisms registered for the plugin.
func (p *Plugin) Mechanisms() []string {
	var out []string
	for _, a := range p.mechs {
		out = append(out, a.Name())
	}
	sort.Strings(out)
	return out
}

// Info describes a loaded plugin: what `zmqkit plugins` lists.
type Info struct {
	Name string // Options.Name: the binary's base name by default
	Path string // the binary
	// Version is the plugin binary's semantic version: the one it
	// declares (serve.Config.Version), else its first plugin's.
	Version string
	// Module is the binary's main module as path@version, from its build
	// information ("" without one).
	Module     string
	GoVersion  string // the Go release the binary was built with
	Transports []ServedTransport
	Mechanisms []ServedMechanism
}

// ServedTransport is a transport a plugin serves, registered under
// Schemes.
type ServedTransport struct {
	Schemes []string
	Kind    transport.Kind
	// KindName is "stream", "frame" or "datagram".
	KindName string
	// Version is the semantic version of the module providing it
	// (zmqkit's release for zmqkit's own transports).
	Version string
}

// ServedMechanism is a security mechanism a plugin serves.
type ServedMechanism struct {
	Name    string
	Version string
	// HandOff: the data phase runs in this process (Options.HandOff).
	HandOff bool
}

// Info describes the plugin as its process described itself at Load.
func (p *Plugin) Info() Info {
	in := Info{Name: p.opts.Name, Path: p.path, Version: p.desc.Version, Module: p.desc.Module, GoVersion: p.desc.GoVersion}
	for _, a := range p.transports {
		in.Transports = append(in.Transports, ServedTransport{Schemes: append([]string(nil), a.schemes...),
			Kind: a.info.Kind, KindName: wire.KindName(a.info.Kind), Version: a.info.Version})
	}
	for _, a := range p.mechs {
		in.Mechanisms = append(in.Mechanisms, ServedMechanism{Name: a.Name(), Version: a.info.Version, HandOff: a.importer != nil})
	}
	return in
}

// Version is the plugin binary's semantic version (Info().Version).
func (p *Plugin) Version() string { return p.desc.Version }

// Pid is the running process's id, 0 when none runs.
func (p *Plugin) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.gen == nil {
		return 0
	}
	return p.gen.pid
}

// Stats counts the plugin's process starts and crashes.
type Stats struct {
	Starts, Crashes int
	Users           int // listeners, connections, sessions and calls in use
}

// Stats returns the plugin's counters.
func (p *Plugin) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return Stats{Starts: p.starts, Crashes: p.crashes, Users: p.users}
}

// Close unregisters the plugin, putting back what it replaced, closes
// everything still using it and stops its process. It waits for the
// process to exit.
func (p *Plugin) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.mu.Unlock()
	put := map[transport.Transport][]string{}
	for _, a := range p.transports {
		for _, s := range a.schemes {
			if p.reg.UnregisterTransport(s, a.registered()) != nil {
				if old := p.replacedT[s]; old != nil {
					put[old] = append(put[old], s)
				}
			}
		}
	}
	for old, schemes := range put {
		if len(schemes) == len(old.Schemes()) {
			p.reg.ReplaceTransport(old)
			continue
		}
		for _, s := range schemes {
			p.reg.ReplaceTransport(schemeOnly{old, s})
		}
	}
	for _, a := range p.mechs {
		if p.reg.UnregisterMechanism(a.Name(), a) != nil {
			if old := p.replacedM[a.Name()]; old != nil {
				p.reg.ReplaceMechanism(old)
			}
		}
	}
	p.shutdown()
	return nil
}

// shutdown stops everything for good.
func (p *Plugin) shutdown() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	close(p.closeCh)
	g := p.gen
	p.gen = nil
	if p.idle != nil {
		p.idle.Stop()
	}
	p.mu.Unlock()
	if g != nil {
		g.stop()
	}
	p.bgWG.Wait()
}

// schemeOnly puts a replaced transport back under one of its schemes
// only (it may have served several, some of which were not replaced).
type schemeOnly struct {
	transport.Transport
	scheme string
}

func (s schemeOnly) Schemes() []string { return []string{s.scheme} }

func (p *Plugin) backoff() time.Duration {
	d := p.opts.MinBackoff
	for i := 1; i < p.failures && d < p.opts.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, p.opts.MaxBackoff)
}

// acquire returns the running generation, starting one if needed, and
// counts a user until release.
func (p *Plugin) acquire(ctx context.Context) (*generation, error) {
	p.mu.Lock()
	for {
		if p.closed {
			p.mu.Unlock()
			return nil, fmt.Errorf("%w: %s", ErrUnloaded, p.opts.Name)
		}
		if g := p.gen; g != nil && !g.isDead() {
			p.users++
			if p.idle != nil {
				p.idle.Stop()
			}
			p.mu.Unlock()
			return g, nil
		}
		if ch := p.starting; ch != nil {
			p.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			p.mu.Lock()
			continue
		}
		if wait := time.Until(p.notBefore); wait > 0 {
			p.mu.Unlock()
			t := time.NewTimer(wait)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, fmt.Errorf("%w: %s restarts in %v: %w", ErrPluginDown, p.opts.Name, wait.Round(time.Millisecond), ctx.Err())
			case <-p.closeCh:
				t.Stop()
			}
			p.mu.Lock()
			continue
		}
		ch := make(chan struct{})
		p.starting = ch
		p.mu.Unlock()
		g, err := p.start()
		p.mu.Lock()
		p.starting = nil
		close(ch)
		if err != nil {
			p.failures++
			p.notBefore = time.Now().Add(p.backoff())
			p.mu.Unlock()
			return nil, err
		}
		p.starts++
		if p.closed {
			p.mu.Unlock()
			g.stop()
			p.mu.Lock()
			continue
		}
		p.gen = g
	}
}

// release ends a use; the last one arms the idle stop.
func (p *Plugin) release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users--
	if p.users > 0 || p.gen == nil || p.closed || p.opts.IdleTimeout < 0 {
		return
	}
	if p.idle == nil {
		p.idle = time.AfterFunc(p.opts.IdleTimeout, p.stopIfIdle)
	} else {
		p.idle.Reset(p.opts.IdleTimeout)
	}
}

func (p *Plugin) stopIfIdle() {
	p.mu.Lock()
	g := p.gen
	if p.users > 0 || g == nil || p.closed {
		p.mu.Unlock()
		return
	}
	p.gen = nil
	p.mu.Unlock()
	p.log.Debug("stopping the idle plugin process", "pid", g.pid)
	g.stop()
}

// watch waits for g's end; an end nobody asked for is a crash.
func (p *Plugin) watch(g *generation) {
	defer p.bgWG.Done()
	select {
	case <-g.exited:
	case <-g.side.Done():
	case <-g.stopping:
	}
	expected := g.die()
	p.mu.Lock()
	if p.gen == g {
		p.gen = nil
	}
	if !expected {
		p.crashes++
		if time.Since(g.started) > 10*time.Second {
			p.failures = 0
		}
		p.failures++
		p.notBefore = time.Now().Add(p.backoff())
		p.log.Error("plugin process ended unexpectedly: its connections are closed; it restarts when needed",
			"pid", g.pid, "restart_after", p.backoff())
	} else {
		p.failures = 0
	}
	p.mu.Unlock()
	g.reap()
}

// addHook registers h for events outside of calls; 0 for nil.
func (p *Plugin) addHook(h transport.Hook) uint64 {
	if h == nil {
		return 0
	}
	id := p.nextID.Add(1)
	p.hookMu.Lock()
	p.hooks[id] = h
	p.hookMu.Unlock()
	return id
}

func (p *Plugin) dropHook(id uint64) {
	if id == 0 {
		return
	}
	p.hookMu.Lock()
	delete(p.hooks, id)
	p.hookMu.Unlock()
}

func (p *Plugin) onEvent(id uint64, e wire.Event) {
	p.hookMu.Lock()
	h := p.hooks[id]
	p.hookMu.Unlock()
	if h != nil {
		h.TransportEvent(e.ToEvent())
	}
}

// emit passes events returned by a call to h, the plugin's descriptor
// pfd becoming hfd.
func emit(h transport.Hook, evs []wire.Event, pfd, hfd int) {
	if h == nil {
		return
	}
	for _, we := range evs {
		e := we.ToEvent()
		if pfd >= 0 && e.FD == pfd {
			e.FD = hfd
		}
		h.TransportEvent(e)
	}
}

// LoadAll loads each path with opts, stopping at the first error (the
// plugins loaded so far are closed then).
func LoadAll(reg *registry.Registry, paths []string, opts Options) ([]*Plugin, error) {
	var out []*Plugin
	for _, path := range paths {
		p, err := Load(reg, path, opts)
		if err != nil {
			for _, q := range out {
				q.Close()
			}
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// EnvPlugins is the environment variable FromEnv reads: plugin binary
// paths separated by the system's list separator (':' on Unix).
const EnvPlugins = "ZMQKIT_PLUGINS"

// FromEnv loads the plugins listed in $ZMQKIT_PLUGINS into reg, each
// replacing what is registered under its schemes and names. An empty or
// unset variable loads nothing.
func FromEnv(reg *registry.Registry, opts Options) ([]*Plugin, error) {
	v := os.Getenv(EnvPlugins)
	if v == "" {
		return nil, nil
	}
	opts.Replace = true
	var paths []string
	for _, s := range filepath.SplitList(v) {
		if s != "" {
			paths = append(paths, s)
		}
	}
	return LoadAll(reg, paths, opts)
}
