// Package auth is a ready ZAP handler (ZeroMQ RFC 27) for zmqkit contexts,
// in the manner of pyzmq's and czmq's authenticators: it binds a ROUTER
// socket to inproc://zeromq.zap.01 in a context and answers the ZAP
// requests of that context's PLAIN and CURVE servers (and NULL sockets
// with a ZAP domain).
//
// Policy, checked in this order for each request:
//
//   - addresses: when an allow list is set only its addresses pass; else
//     addresses on the deny list are refused (400 "Address denied");
//   - NULL: accepted when the address was not refused;
//   - PLAIN: the user name and password must match a configured user
//     (from a map or a password file of "name=password" lines);
//   - CURVE: the client's long-term public key must be allowed — listed
//     explicitly, found in a directory of czmq public certificates (whose
//     metadata then travels as ZAP metadata), or any key when AllowAnyCurve
//     was called.
//
// User ids: PLAIN gives the user name, CURVE the Z85 text of the client
// key, NULL none. Users and keys are configured per ZAP domain; the
// domain AnyDomain ("*") applies to every domain without its own entry.
// All configuration can change while the authenticator runs; Reload
// re-reads the password files and certificate directories.
package auth

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"sync"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/curve"
	// ZAP runs over inproc://zeromq.zap.01: importing auth is enough.
	_ "github.com/zmqkit/zmqkit/plugins/inproc"
	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/zmtp"
)

// AnyDomain configures users and keys for every ZAP domain without its
// own configuration.
const AnyDomain = "*"

// Request is a decoded ZAP request, as given to a Hook.
type Request struct {
	Domain      string
	Address     string
	Identity    []byte
	Mechanism   string
	Credentials [][]byte
}

// Decision is what the authenticator answers; a Hook may change it.
type Decision struct {
	Allowed  bool
	Status   string // "200", "300", "400" or "500"; set from Allowed when empty
	Text     string
	UserID   string
	Metadata map[string]string
}

// Authenticator answers ZAP requests for one context.
type Authenticator struct {
	sock   *core.Socket
	cancel context.CancelFunc
	done   chan struct{}

	mu            sync.RWMutex
	allow, deny   map[netip.Addr]bool
	allowRaw      map[string]bool // non-IP addresses (ipc peers report none)
	denyRaw       map[string]bool
	users         map[string]map[string]string // domain → user → password
	passwordFiles map[string]string            // domain → file
	fileUsers     map[string]map[string]string
	keys          map[string]map[[32]byte]map[string]string // domain → key → metadata
	certDirs      map[string]string
	dirKeys       map[string]map[[32]byte]map[string]string
	anyCurve      map[string]bool
	hook          func(Request, *Decision)
}

// New starts an authenticator for ctx: it binds inproc://zeromq.zap.01,
// so at most one runs per context. With no configuration it accepts NULL
// clients and refuses PLAIN and CURVE ones.
//
// auth registers the inproc transport in registry.Default itself, so a
// program needs no other import for ZAP. A context with a registry of its
// own (core.WithRegistry) must have inproc registered; otherwise New fails
// with an error that says so (errors.Is registry.ErrUnknownTransport).
func New(ctx *core.Context) (*Authenticator, error) {
	s, err := ctx.NewSocket(core.ROUTER, core.WithLinger(0), core.WithSendHWM(0), core.WithRecvHWM(0))
	if err != nil {
		return nil, err
	}
	if err := s.Bind(core.ZAPEndpoint); err != nil {
		s.Close()
		return nil, fmt.Errorf("auth: %w", err)
	}
	c, cancel := context.WithCancel(context.Background())
	a := &Authenticator{
		sock: s, cancel: cancel, done: make(chan struct{}),
		allow: map[netip.Addr]bool{}, deny: map[netip.Addr]bool{},
		allowRaw: map[string]bool{}, denyRaw: map[string]bool{},
		users: map[string]map[string]string{}, passwordFiles: map[string]string{},
		fileUsers: map[string]map[string]string{},
		keys:      map[string]map[[32]byte]map[string]string{}, certDirs: map[string]string{},
		dirKeys:  map[string]map[[32]byte]map[string]string{},
		anyCurve: map[string]bool{},
	}
	go a.serve(c)
	return a, nil
}

// Close stops the authenticator and unbinds its socket.
func (a *Authenticator) Close() error {
	a.cancel()
	<-a.done
	return a.sock.Close()
}

func addKey(m map[netip.Addr]bool, raw map[string]bool, addrs []string, on bool) {
	for _, s := range addrs {
		if ip, err := netip.ParseAddr(s); err == nil {
			if on {
				m[ip.Unmap()] = true
			} else {
				delete(m, ip.Unmap())
			}
			continue
		}
		if on {
			raw[s] = true
		} else {
			delete(raw, s)
		}
	}
}

// Allow adds addresses to the allow list: once it is not empty, only
// clients from these addresses pass (the deny list is then ignored).
func (a *Authenticator) Allow(addrs ...string) {
	a.mu.Lock()
	addKey(a.allow, a.allowRaw, addrs, true)
	a.mu.Unlock()
}

// Deny adds addresses to the deny list.
func (a *Authenticator) Deny(addrs ...string) {
	a.mu.Lock()
	addKey(a.deny, a.denyRaw, addrs, true)
	a.mu.Unlock()
}

// ResetAddresses empties the allow and deny lists.
func (a *Authenticator) ResetAddresses() {
	a.mu.Lock()
	clear(a.allow)
	clear(a.deny)
	clear(a.allowRaw)
	clear(a.denyRaw)
	a.mu.Unlock()
}

// SetUsers sets the PLAIN users of domain (user name → password),
// replacing those set before by SetUsers.
func (a *Authenticator) SetUsers(domain string, users map[string]string) {
	cp := make(map[string]string, len(users))
	for k, v := range users {
		cp[k] = v
	}
	a.mu.Lock()
	a.users[domain] = cp
	a.mu.Unlock()
}

// LoadPasswordFile makes domain's PLAIN users those of a password file:
// one "name=password" per line, '#' starts a comment line. Reload reads it
// again.
func (a *Authenticator) LoadPasswordFile(domain, path string) error {
	users, err := readPasswords(path)
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.passwordFiles[domain] = path
	a.fileUsers[domain] = users
	a.mu.Unlock()
	return nil
}

func readPasswords(path string) (map[string]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	users := map[string]string{}
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		name, pass, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("auth: %s:%d: want name=password", path, i+1)
		}
		users[strings.TrimSpace(name)] = pass
	}
	return users, nil
}

// AllowCurveKeys allows CURVE clients with these long-term public keys
// (32 raw bytes or 40 Z85 characters each) in domain.
func (a *Authenticator) AllowCurveKeys(domain string, keys ...string) error {
	parsed := make([][32]byte, 0, len(keys))
	for _, k := range keys {
		p, err := curve.ParseKeyString(k)
		if err != nil {
			return fmt.Errorf("auth: %w", err)
		}
		parsed = append(parsed, p)
	}
	a.mu.Lock()
	m := a.keys[domain]
	if m == nil {
		m = map[[32]byte]map[string]string{}
		a.keys[domain] = m
	}
	for _, p := range parsed {
		m[p] = nil
	}
	a.mu.Unlock()
	return nil
}

// RemoveCurveKeys withdraws keys given to AllowCurveKeys.
func (a *Authenticator) RemoveCurveKeys(domain string, keys ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, k := range keys {
		if p, err := curve.ParseKeyString(k); err == nil {
			delete(a.keys[domain], p)
		}
	}
}

// LoadCertDir allows, in domain, the CURVE clients whose public
// certificates (czmq format) are in dir. Reload reads it again.
func (a *Authenticator) LoadCertDir(domain, dir string) error {
	keys, err := readCertDir(dir)
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.certDirs[domain] = dir
	a.dirKeys[domain] = keys
	a.mu.Unlock()
	return nil
}

func readCertDir(dir string) (map[[32]byte]map[string]string, error) {
	certs, err := curve.LoadCertDir(dir)
	if err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	keys := make(map[[32]byte]map[string]string, len(certs))
	for _, c := range certs {
		keys[c.Public] = c.Metadata
	}
	return keys, nil
}

// AllowAnyCurve accepts any CURVE client in domain (encryption without
// client authentication), or stops doing so.
func (a *Authenticator) AllowAnyCurve(domain string, on bool) {
	a.mu.Lock()
	a.anyCurve[domain] = on
	a.mu.Unlock()
}

// SetHook installs a function called with each request and the decision
// taken, which it may change (nil removes it). It runs on the
// authenticator's goroutine.
func (a *Authenticator) SetHook(h func(Request, *Decision)) {
	a.mu.Lock()
	a.hook = h
	a.mu.Unlock()
}

// Reload re-reads every password file and certificate directory; on error
// the previous contents stay in force for that source.
func (a *Authenticator) Reload() error {
	a.mu.RLock()
	files := make(map[string]string, len(a.passwordFiles))
	for k, v := range a.passwordFiles {
		files[k] = v
	}
	dirs := make(map[string]string, len(a.certDirs))
	for k, v := range a.certDirs {
		dirs[k] = v
	}
	a.mu.RUnlock()
	var errs []error
	for d, f := range files {
		users, err := readPasswords(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		a.mu.Lock()
		a.fileUsers[d] = users
		a.mu.Unlock()
	}
	for d, dir := range dirs {
		keys, err := readCertDir(dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		a.mu.Lock()
		a.dirKeys[d] = keys
		a.mu.Unlock()
	}
	return errors.Join(errs...)
}

func (a *Authenticator) serve(ctx context.Context) {
	defer close(a.done)
	for {
		m, err := a.sock.Recv(ctx)
		if err != nil {
			return
		}
		f := m.Frames
		// [routing id] [empty] version id domain address identity mechanism creds...
		if len(f) < 8 || len(f[1]) != 0 {
			continue
		}
		reply := a.handle(f[2:])
		out := append([][]byte{f[0], nil}, reply...)
		if err := a.sock.Send(ctx, core.NewMsg(out...)); err != nil {
			return
		}
	}
}

// handle answers one request (frames from the version on).
func (a *Authenticator) handle(f [][]byte) [][]byte {
	reqID := f[1]
	if string(f[0]) != "1.0" {
		return [][]byte{[]byte("1.0"), reqID, []byte("400"), []byte("Invalid version"), nil, nil}
	}
	req := Request{
		Domain: string(f[2]), Address: string(f[3]), Identity: f[4], Mechanism: string(f[5]),
		Credentials: f[6:],
	}
	d := a.decide(req)
	a.mu.RLock()
	hook := a.hook
	a.mu.RUnlock()
	if hook != nil {
		hook(req, &d)
	}
	status := d.Status
	if status == "" {
		status = "400"
		if d.Allowed {
			status = "200"
		}
	}
	text := d.Text
	if text == "" && status == "200" {
		text = "OK"
	}
	var meta []byte
	for _, k := range sortedKeys(d.Metadata) {
		meta = zmtp.AppendProperty(meta, k, []byte(d.Metadata[k]))
	}
	return [][]byte{[]byte("1.0"), reqID, []byte(status), []byte(text), []byte(d.UserID), meta}
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func (a *Authenticator) decide(req Request) Decision {
	a.mu.RLock()
	defer a.mu.RUnlock()
	ip, ipErr := netip.ParseAddr(req.Address)
	if ipErr == nil {
		ip = ip.Unmap()
	}
	allowed, denied := false, false
	if len(a.allow) > 0 || len(a.allowRaw) > 0 {
		if (ipErr == nil && a.allow[ip]) || a.allowRaw[req.Address] {
			allowed = true
		} else {
			return Decision{Text: "Address not allowed"}
		}
	} else if (ipErr == nil && a.deny[ip]) || a.denyRaw[req.Address] {
		denied = true
	}
	if denied {
		return Decision{Text: "Address denied"}
	}
	switch req.Mechanism {
	case "NULL":
		return Decision{Allowed: true}
	case "PLAIN":
		if len(req.Credentials) != 2 {
			return Decision{Text: "Invalid PLAIN credentials"}
		}
		user, pass := string(req.Credentials[0]), string(req.Credentials[1])
		for _, d := range domains(req.Domain) {
			for _, users := range []map[string]string{a.users[d], a.fileUsers[d]} {
				if p, ok := users[user]; ok {
					if p == pass {
						return Decision{Allowed: true, UserID: user}
					}
					return Decision{Text: "Invalid password"}
				}
			}
		}
		return Decision{Text: "Invalid user"}
	case "CURVE":
		if len(req.Credentials) != 1 || len(req.Credentials[0]) != 32 {
			return Decision{Text: "Invalid CURVE credentials"}
		}
		key := [32]byte(req.Credentials[0])
		uid := curve.Z85(key[:])
		for _, d := range domains(req.Domain) {
			for _, keys := range []map[[32]byte]map[string]string{a.keys[d], a.dirKeys[d]} {
				if meta, ok := keys[key]; ok {
					return Decision{Allowed: true, UserID: uid, Metadata: meta}
				}
			}
			if a.anyCurve[d] {
				return Decision{Allowed: true, UserID: uid}
			}
		}
		return Decision{Text: "Unknown key"}
	}
	_ = allowed
	return Decision{Text: "Unsupported mechanism"}
}

// domains lists the configuration domains that apply to a request's.
func domains(d string) []string {
	if d == AnyDomain {
		return []string{AnyDomain}
	}
	return []string{d, AnyDomain}
}

var _ = mechanism.ErrNoZAPHandler
