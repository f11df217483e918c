// Package registry holds the tables of transports and security mechanisms
// that zmqkit sockets can use. Plugins register themselves from init() in
// the Default registry; a context can carry its own Registry instead, which
// keeps tests and embedders off the globals.
package registry

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/registry/transport"
)

// ErrUnknownTransport is wrapped by Transport for a scheme nobody
// registered (libzmq: EPROTONOSUPPORT).
var ErrUnknownTransport = errors.New("registry: unknown transport")

// ErrUnknownMechanism is wrapped by Mechanism for an unregistered name.
var ErrUnknownMechanism = errors.New("registry: unknown mechanism")

//go:generate go run ./internal/genplugins

// pluginInfo is one entry of the generated table (plugins_gen.go).
type pluginInfo struct {
	pkg   string // import path
	inAll bool   // plugins/all imports it
}

// UnknownError is the error of Transport and Mechanism for a name nobody
// registered. It matches ErrUnknownTransport or ErrUnknownMechanism with
// errors.Is. When a plugin package of this module provides the name, Hint
// says what to import; the package is named only if it exists in this
// version of zmqkit (plugins_gen.go, generated from the plugins/
// directory).
type UnknownError struct {
	Kind string // "transport" or "mechanism"
	Name string // the scheme or mechanism name
	// Package is the import path of the plugin that provides Name, "" if
	// none of this module's plugins does.
	Package string
	// InAll says plugins/all imports Package.
	InAll bool
	// Registered lists what the registry has (for a name no plugin provides).
	Registered []string
}

// Hint is what to do about the error, without repeating what is unknown:
// the import to add, or what is available instead.
func (e *UnknownError) Hint() string {
	switch {
	case e.Package != "" && e.InAll:
		return fmt.Sprintf("import _ %q (or plugins/all)", e.Package)
	case e.Package != "":
		return fmt.Sprintf("import _ %q", e.Package)
	case e.Kind == "mechanism" && e.Name == "GSSAPI":
		return "zmqkit does not implement it; use CURVE (plugins/curve) or PLAIN (plugins/plain)"
	case len(e.Registered) > 0:
		return "no zmqkit plugin provides it; registered: " + strings.Join(e.Registered, ", ")
	}
	return "no zmqkit plugin provides it, and none is registered"
}

// Error says what is unknown and the Hint.
func (e *UnknownError) Error() string {
	return fmt.Sprintf("registry: unknown %s %q: %s", e.Kind, e.Name, e.Hint())
}

// Is makes errors.Is match ErrUnknownTransport or ErrUnknownMechanism.
func (e *UnknownError) Is(target error) bool {
	return target == ErrUnknownTransport && e.Kind == "transport" ||
		target == ErrUnknownMechanism && e.Kind == "mechanism"
}

func unknown(kind, name string, registered []string) *UnknownError {
	e := &UnknownError{Kind: kind, Name: name}
	if p, ok := pluginFor[kind+":"+name]; ok {
		e.Package, e.InAll = p.pkg, p.inAll
	} else {
		e.Registered = registered
	}
	return e
}

// Registry is a set of transports keyed by scheme and mechanisms keyed by
// ZMTP name. It is safe for concurrent use.
type Registry struct {
	mu         sync.RWMutex
	transports map[string]transport.Transport
	mechanisms map[string]mechanism.Mechanism
}

// New returns an empty registry.
func New() *Registry {
	return &Registry{
		transports: map[string]transport.Transport{},
		mechanisms: map[string]mechanism.Mechanism{},
	}
}

// Default is the registry plugins register into from init().
var Default = New()

// RegisterTransport adds t under each of its schemes. It panics if t is nil,
// has no scheme, or a scheme is already registered.
func (r *Registry) RegisterTransport(t transport.Transport) {
	if t == nil {
		panic("registry: nil transport")
	}
	schemes := t.Schemes()
	if len(schemes) == 0 {
		panic("registry: transport with no scheme")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range schemes {
		if _, dup := r.transports[s]; dup {
			panic("registry: transport scheme registered twice: " + s)
		}
	}
	for _, s := range schemes {
		r.transports[s] = t
	}
}

// RegisterMechanism adds m under m.Name(). It panics on nil or duplicates.
func (r *Registry) RegisterMechanism(m mechanism.Mechanism) {
	if m == nil {
		panic("registry: nil mechanism")
	}
	name := m.Name()
	if name == "" || len(name) > 20 {
		panic("registry: invalid mechanism name " + name)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.mechanisms[name]; dup {
		panic("registry: mechanism registered twice: " + name)
	}
	r.mechanisms[name] = m
}

// ErrRegistered is wrapped by TryRegisterTransport and TryRegisterMechanism
// when a scheme or name is already taken.
var ErrRegistered = errors.New("registry: already registered")

// TryRegisterTransport adds t under each of its schemes, like
// RegisterTransport, but returns an error wrapping ErrRegistered (and
// registers nothing) when a scheme is taken, instead of panicking. It is
// for plugins added at run time, such as those registry/external loads
// "alongside" the compiled-in ones.
func (r *Registry) TryRegisterTransport(t transport.Transport) error {
	if t == nil || len(t.Schemes()) == 0 {
		return fmt.Errorf("registry: transport with no scheme")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range t.Schemes() {
		if _, dup := r.transports[s]; dup {
			return fmt.Errorf("%w: transport scheme %q", ErrRegistered, s)
		}
	}
	for _, s := range t.Schemes() {
		r.transports[s] = t
	}
	return nil
}

// TryRegisterMechanism adds m under m.Name() or returns an error wrapping
// ErrRegistered when the name is taken.
func (r *Registry) TryRegisterMechanism(m mechanism.Mechanism) error {
	if m == nil || m.Name() == "" || len(m.Name()) > 20 {
		return fmt.Errorf("registry: invalid mechanism")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.mechanisms[m.Name()]; dup {
		return fmt.Errorf("%w: mechanism %q", ErrRegistered, m.Name())
	}
	r.mechanisms[m.Name()] = m
	return nil
}

// ReplaceTransport registers t under each of its schemes, taking the place
// of whatever was registered there. It returns what it replaced, by
// scheme (nil entries are left out). Sockets that already bound or
// connected keep the transport they found; later binds and connects use t.
func (r *Registry) ReplaceTransport(t transport.Transport) (replaced map[string]transport.Transport) {
	if t == nil || len(t.Schemes()) == 0 {
		panic("registry: transport with no scheme")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	replaced = map[string]transport.Transport{}
	for _, s := range t.Schemes() {
		if old, ok := r.transports[s]; ok {
			replaced[s] = old
		}
		r.transports[s] = t
	}
	return replaced
}

// ReplaceMechanism registers m under m.Name(), taking the place of what
// was registered there, which it returns (nil if none).
func (r *Registry) ReplaceMechanism(m mechanism.Mechanism) (replaced mechanism.Mechanism) {
	if m == nil || m.Name() == "" || len(m.Name()) > 20 {
		panic("registry: invalid mechanism")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	replaced = r.mechanisms[m.Name()]
	r.mechanisms[m.Name()] = m
	return replaced
}

// UnregisterTransport removes the transport registered under scheme and
// returns it (nil if there was none). When only is non-nil, the entry is
// removed only if it is only (so that a plugin being unloaded does not
// remove what replaced it meanwhile).
func (r *Registry) UnregisterTransport(scheme string, only transport.Transport) transport.Transport {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.transports[scheme]
	if !ok || only != nil && t != only {
		return nil
	}
	delete(r.transports, scheme)
	return t
}

// UnregisterMechanism removes the mechanism registered as name and returns
// it (nil if there was none); with only non-nil, only if it is only.
func (r *Registry) UnregisterMechanism(name string, only mechanism.Mechanism) mechanism.Mechanism {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.mechanisms[name]
	if !ok || only != nil && m != only {
		return nil
	}
	delete(r.mechanisms, name)
	return m
}

// Transport returns the transport for scheme, or an *UnknownError
// (errors.Is ErrUnknownTransport) that names the package to import when
// one of this module's plugins provides the scheme.
func (r *Registry) Transport(scheme string) (transport.Transport, error) {
	r.mu.RLock()
	t, ok := r.transports[scheme]
	r.mu.RUnlock()
	if ok {
		return t, nil
	}
	return nil, unknown("transport", scheme, r.Transports())
}

// Mechanism returns the mechanism registered as name, or an *UnknownError
// (errors.Is ErrUnknownMechanism) that names the package to import when
// one of this module's plugins provides it.
func (r *Registry) Mechanism(name string) (mechanism.Mechanism, error) {
	r.mu.RLock()
	m, ok := r.mechanisms[name]
	r.mu.RUnlock()
	if ok {
		return m, nil
	}
	return nil, unknown("mechanism", name, r.Mechanisms())
}

// Transports lists the registered schemes, sorted.
func (r *Registry) Transports() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.transports))
	for s := range r.transports {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Mechanisms lists the registered mechanism names, sorted.
func (r *Registry) Mechanisms() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.mechanisms))
	for s := range r.mechanisms {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Clone returns a new registry holding the same entries.
func (r *Registry) Clone() *Registry {
	c := New()
	r.mu.RLock()
	defer r.mu.RUnlock()
	for k, v := range r.transports {
		c.transports[k] = v
	}
	for k, v := range r.mechanisms {
		c.mechanisms[k] = v
	}
	return c
}

// RegisterTransport registers t in Default; call it from init().
func RegisterTransport(t transport.Transport) { Default.RegisterTransport(t) }

// RegisterMechanism registers m in Default; call it from init().
func RegisterMechanism(m mechanism.Mechanism) { Default.RegisterMechanism(m) }

// SplitEndpoint splits "scheme://address" at the first "://". It returns an
// error wrapping transport.ErrInvalidEndpoint when either part is empty.
func SplitEndpoint(endpoint string) (scheme, addr string, err error) {
	i := strings.Index(endpoint, "://")
	if i <= 0 || i+3 >= len(endpoint) {
		return "", "", fmt.Errorf("%w: %q", transport.ErrInvalidEndpoint, endpoint)
	}
	return endpoint[:i], endpoint[i+3:], nil
}
