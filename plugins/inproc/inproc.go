package inproc

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/transport"
)

// scheme is the URI scheme this transport serves.
const scheme = "inproc"

func init() { registry.RegisterTransport(New()) }

// inprocTransport implements transport.Transport and
// transport.DialChecker over its own namespace.
type inprocTransport struct {
	mu     sync.Mutex
	scopes map[string]map[string]*slot // scope → name → slot
}

var (
	_ transport.Transport   = (*inprocTransport)(nil)
	_ transport.DialChecker = (*inprocTransport)(nil)
)

// slot is the state of one name in one scope: the bound listener, if any,
// and the offers waiting for it. It exists while either is present.
type slot struct {
	l       *listener
	pending []*offer
}

// offer is one dial waiting to be accepted.
type offer struct {
	value    any
	accepted bool // guarded by inprocTransport.mu
}

// New returns an inproc transport with an empty namespace.
func New() transport.Transport {
	return &inprocTransport{scopes: map[string]map[string]*slot{}}
}

// Schemes returns ["inproc"].
func (*inprocTransport) Schemes() []string { return []string{scheme} }

// Kind returns transport.KindPipe.
func (*inprocTransport) Kind() transport.Kind { return transport.KindPipe }

// check validates scheme and name.
func check(sch, name string) error {
	ep := sch + "://" + name
	if sch != scheme {
		return fmt.Errorf("%w %q: the inproc transport does not serve scheme %q", transport.ErrInvalidEndpoint, ep, sch)
	}
	if name == "" {
		return fmt.Errorf("%w %q: empty name", transport.ErrInvalidEndpoint, ep)
	}
	return nil
}

// CheckDial refuses an empty name.
func (*inprocTransport) CheckDial(sch, addr string) error { return check(sch, addr) }

// slotLocked returns the slot of name in scope, creating it. t.mu is held.
func (t *inprocTransport) slotLocked(scope, name string) *slot {
	names := t.scopes[scope]
	if names == nil {
		names = map[string]*slot{}
		t.scopes[scope] = names
	}
	s := names[name]
	if s == nil {
		s = &slot{}
		names[name] = s
	}
	return s
}

// releaseLocked forgets the slot of name in scope if it holds nothing.
// t.mu is held.
func (t *inprocTransport) releaseLocked(scope, name string) {
	names := t.scopes[scope]
	if s := names[name]; s != nil && s.l == nil && len(s.pending) == 0 {
		delete(names, name)
		if len(names) == 0 {
			delete(t.scopes, scope)
		}
	}
}

// Listen binds name in cfg.Scope. It fails with an error wrapping
// transport.ErrAddrInUse if the name is bound in that scope.
func (t *inprocTransport) Listen(ctx context.Context, sch, name string, cfg *transport.Config) (transport.Listener, error) {
	if err := check(sch, name); err != nil {
		return nil, err
	}
	if ctx != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("inproc: bind %s://%s: %w", sch, name, ctx.Err())
	}
	scope := ""
	if cfg != nil {
		scope = cfg.Scope
	}
	t.mu.Lock()
	s := t.slotLocked(scope, name)
	if s.l != nil {
		t.mu.Unlock()
		return nil, fmt.Errorf("inproc: bind %s://%s: %w", sch, name, transport.ErrAddrInUse)
	}
	l := &listener{
		t: t, s: s, scope: scope, name: name,
		endpoint: scheme + "://" + name,
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	s.l = l
	waiting := len(s.pending) > 0
	t.mu.Unlock()
	if waiting {
		l.signal()
	}
	return l, nil
}

// Dial queues cfg.Offer under name in cfg.Scope and returns at once; the
// returned connection's Value is nil. Closing it before the offer is
// accepted withdraws the offer.
func (t *inprocTransport) Dial(ctx context.Context, sch, name string, cfg *transport.Config) (transport.Conn, error) {
	if err := check(sch, name); err != nil {
		return nil, err
	}
	if ctx != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("inproc: connect %s://%s: %w", sch, name, ctx.Err())
	}
	var scope string
	o := &offer{}
	if cfg != nil {
		scope, o.value = cfg.Scope, cfg.Offer
	}
	t.mu.Lock()
	s := t.slotLocked(scope, name)
	s.pending = append(s.pending, o)
	l := s.l
	t.mu.Unlock()
	if l != nil {
		l.signal()
	}
	return &conn{t: t, scope: scope, name: name, o: o, remote: scheme + "://" + name}, nil
}

// withdraw removes o from the queue of name in scope unless it was
// accepted.
func (t *inprocTransport) withdraw(scope, name string, o *offer) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if o.accepted {
		return
	}
	s := t.scopes[scope][name]
	if s == nil {
		return
	}
	for i, p := range s.pending {
		if p == o {
			s.pending = slices.Delete(s.pending, i, i+1)
			break
		}
	}
	t.releaseLocked(scope, name)
}
