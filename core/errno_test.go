package core_test

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/all"
	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/zmtp"
)

// wantErrno is every exported sentinel error of the packages whose errors
// zmqkit's API returns or wraps, with its libzmq errno. TestErrnoCoversEverySentinel
// fails when one of those packages gains a sentinel that is not listed here.
var wantErrno = map[string]struct {
	err   error
	errno syscall.Errno
}{
	"core.ErrWouldBlock":           {core.ErrWouldBlock, syscall.EAGAIN},
	"core.ErrTerminated":           {core.ErrTerminated, core.ETERM},
	"core.ErrClosed":               {core.ErrClosed, syscall.ENOTSOCK},
	"core.ErrFSM":                  {core.ErrFSM, core.EFSM},
	"core.ErrNotSupported":         {core.ErrNotSupported, syscall.ENOTSUP},
	"core.ErrInvalid":              {core.ErrInvalid, syscall.EINVAL},
	"core.ErrProtocolNotSupported": {core.ErrProtocolNotSupported, syscall.EPROTONOSUPPORT},
	"core.ErrNoCompatProto":        {core.ErrNoCompatProto, core.ENOCOMPATPROTO},
	"core.ErrHostUnreachable":      {core.ErrHostUnreachable, syscall.EHOSTUNREACH},
	"core.ErrAddrInUse":            {core.ErrAddrInUse, syscall.EADDRINUSE},
	"core.ErrAddrNotAvailable":     {core.ErrAddrNotAvailable, syscall.EADDRNOTAVAIL},
	"core.ErrNoDevice":             {core.ErrNoDevice, syscall.ENODEV},
	"core.ErrNotFound":             {core.ErrNotFound, syscall.ENOENT},
	"core.ErrTooManySockets":       {core.ErrTooManySockets, syscall.EMFILE},
	"core.ErrMsgSize":              {core.ErrMsgSize, syscall.EMSGSIZE},
	"core.ErrProtocol":             {core.ErrProtocol, syscall.EPROTO},
	"core.ErrFault":                {core.ErrFault, syscall.EFAULT},
	"core.ErrNoThread":             {core.ErrNoThread, core.EMTHREAD},

	"registry.ErrUnknownTransport":  {registry.ErrUnknownTransport, syscall.EPROTONOSUPPORT},
	"registry.ErrUnknownMechanism":  {registry.ErrUnknownMechanism, syscall.EINVAL},
	"registry.ErrRegistered":        {registry.ErrRegistered, syscall.EEXIST},
	"transport.ErrClosed":           {transport.ErrClosed, syscall.ENOTSOCK},
	"transport.ErrInvalidEndpoint":  {transport.ErrInvalidEndpoint, syscall.EINVAL},
	"transport.ErrAddrInUse":        {transport.ErrAddrInUse, syscall.EADDRINUSE},
	"transport.ErrAddrNotAvailable": {transport.ErrAddrNotAvailable, syscall.EADDRNOTAVAIL},
	"transport.ErrNoDevice":         {transport.ErrNoDevice, syscall.ENODEV},
	"transport.ErrNameTooLong":      {transport.ErrNameTooLong, syscall.ENAMETOOLONG},
	"transport.ErrNotSupported":     {transport.ErrNotSupported, syscall.ENOTSUP},
	"transport.ErrProtocol":         {transport.ErrProtocol, syscall.EPROTO},
	"mechanism.ErrNoZAPHandler":     {mechanism.ErrNoZAPHandler, syscall.EFAULT},
	"zmtp.ErrFrameTooLarge":         {zmtp.ErrFrameTooLarge, syscall.EMSGSIZE},
	"zmtp.ErrMalformed":             {zmtp.ErrMalformed, syscall.EPROTO},
	"zmtp.ErrBadCommand":            {zmtp.ErrBadCommand, syscall.EPROTO},
	"zmtp.ErrBadMetadata":           {zmtp.ErrBadMetadata, syscall.EPROTO},
	"zmtp.ErrBadGreeting":           {zmtp.ErrBadGreeting, syscall.EPROTO},
}

// sentinelDirs are the packages (relative to core/) whose exported Err*
// variables must all have an errno.
var sentinelDirs = []string{".", "../registry", "../registry/transport", "../registry/mechanism", "../zmtp"}

// exportedSentinels returns "pkg.ErrName" for every exported package-level
// variable named Err* in the non-test files of dir.
func exportedSentinels(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, spec := range g.Specs {
				for _, id := range spec.(*ast.ValueSpec).Names {
					if id.IsExported() && strings.HasPrefix(id.Name, "Err") {
						out = append(out, f.Name.Name+"."+id.Name)
					}
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestErrnoCoversEverySentinel(t *testing.T) {
	found := map[string]bool{}
	for _, dir := range sentinelDirs {
		for _, name := range exportedSentinels(t, dir) {
			found[name] = true
			if _, ok := wantErrno[name]; !ok {
				t.Errorf("%s (in %s) has no libzmq errno: add it to errnoTable in core/errno.go "+
					"(before any sentinel it wraps or is wrapped with) and to wantErrno in core/errno_test.go",
					name, filepath.Clean(filepath.Join("core", dir)))
			}
		}
	}
	for name := range wantErrno {
		if !found[name] {
			t.Errorf("wantErrno lists %s, which no longer exists: remove it from core/errno_test.go", name)
		}
	}
}

func TestErrnoOfEverySentinel(t *testing.T) {
	for name, w := range wantErrno {
		if got := core.Errno(w.err); got != w.errno {
			t.Errorf("Errno(%s) = %d (%v), want %d (%v)", name, int(got), got, int(w.errno), w.errno)
		}
		// wrapped, as zmqkit returns them
		wrapped := &core.Error{Op: "bind", Endpoint: "tcp://x", Err: fmt.Errorf("%w: detail", w.err)}
		if got := core.Errno(wrapped); got != w.errno {
			t.Errorf("Errno(wrapped %s) = %v, want %v", name, got, w.errno)
		}
		back := core.ErrnoError(w.errno)
		if strings.HasPrefix(name, "core.") && back != w.err {
			t.Errorf("ErrnoError(%v) = %v, want core's sentinel %s", w.errno, back, name)
		}
		if got := core.Errno(back); got != w.errno {
			t.Errorf("Errno(ErrnoError(%v) = %v) = %v, want the same errno", w.errno, back, got)
		}
	}
}

func TestErrnoOther(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want syscall.Errno
	}{
		{"nil", nil, 0},
		{"OS errno", fmt.Errorf("dial: %w", syscall.ECONNREFUSED), syscall.ECONNREFUSED},
		{"sentinel before OS errno", fmt.Errorf("%w: %w", core.ErrAddrInUse, syscall.EACCES), syscall.EADDRINUSE},
		{"would block with context error", fmt.Errorf("%w: %w", core.ErrWouldBlock, context.DeadlineExceeded), syscall.EAGAIN},
		{"bare context deadline", context.DeadlineExceeded, syscall.ETIMEDOUT},
		{"bare context cancel", context.Canceled, syscall.EINTR},
		{"too long ipc path", fmt.Errorf("%w: %w", core.ErrInvalid, transport.ErrNameTooLong), syscall.ENAMETOOLONG},
		{"protocol error", &mechanism.ProtocolError{Code: mechanism.ErrZMTPCryptographic}, syscall.EPROTO},
		{"ZAP refusal", &mechanism.AuthError{Status: 400}, syscall.EACCES},
		{"end of stream", io.EOF, syscall.EPIPE},
		{"network timeout", os.ErrDeadlineExceeded, syscall.ETIMEDOUT},
		{"unknown", errors.New("something else"), syscall.EINVAL},
	} {
		if got := core.Errno(tc.err); got != tc.want {
			t.Errorf("%s: Errno(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
	if core.ErrnoError(0) != nil {
		t.Error("ErrnoError(0) is not nil")
	}
	if err := core.ErrnoError(syscall.ECONNREFUSED); err != syscall.ECONNREFUSED {
		t.Errorf("ErrnoError(ECONNREFUSED) = %v, want the errno itself", err)
	}
	// libzmq's own values (zmq.h)
	for _, tc := range []struct {
		errno syscall.Errno
		value int
		text  string
	}{
		{core.EFSM, 156384763, "Operation cannot be accomplished in current state"},
		{core.ENOCOMPATPROTO, 156384764, "The protocol is not compatible with the socket type"},
		{core.ETERM, 156384765, "Context was terminated"},
		{core.EMTHREAD, 156384766, "No thread available"},
	} {
		if int(tc.errno) != tc.value || core.StrError(tc.errno) != tc.text {
			t.Errorf("errno %d %q, want %d %q", int(tc.errno), core.StrError(tc.errno), tc.value, tc.text)
		}
	}
	if got, want := core.StrError(syscall.EINVAL), "I"+syscall.EINVAL.Error()[1:]; got != want {
		t.Errorf("StrError(EINVAL) = %q, want %q", got, want)
	}
}

// TestErrnoOfReturnedErrors checks Errno on errors real calls return.
func TestErrnoOfReturnedErrors(t *testing.T) {
	zctx := core.NewContext()
	defer zctx.Term()
	mk := func(typ core.SocketType) *core.Socket {
		s, err := zctx.NewSocket(typ, core.WithLinger(0))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	check := func(what string, err error, want syscall.Errno) {
		t.Helper()
		if got := core.Errno(err); got != want {
			t.Errorf("%s: Errno(%v) = %v, want %v", what, err, got, want)
		}
		if err != nil && !errors.Is(err, core.ErrnoError(want)) {
			t.Errorf("%s: errors.Is(%v, ErrnoError(%v)) is false", what, err, want)
		}
	}
	a := mk(core.PAIR)
	check("bind", a.Bind("tcp://127.0.0.1:*"), 0)
	b := mk(core.PAIR)
	check("bind twice", b.Bind(a.LastEndpoint()), syscall.EADDRINUSE)
	check("unknown scheme", b.Bind("nosuch://x"), syscall.EPROTONOSUPPORT)
	check("bad endpoint", b.Connect("tcp:/x"), syscall.EINVAL)
	check("unbind unknown", b.Unbind("tcp://127.0.0.1:1"), syscall.ENOENT)
	check("udp on PAIR", b.Bind("udp://127.0.0.1:*"), core.ENOCOMPATPROTO)
	check("ipc path too long", b.Bind("ipc:///tmp/"+strings.Repeat("x", 200)), syscall.ENAMETOOLONG)
	check("send on unconnected PUSH", mk(core.PUSH).TrySend(core.NewMsgString("x")), syscall.EAGAIN)
	_, err := mk(core.PUSH).TryRecv()
	check("recv on PUSH", err, syscall.ENOTSUP)
	req := mk(core.REQ)
	req.Connect("inproc://errno-req")
	check("REQ first send", req.TrySend(core.NewMsgString("x")), 0)
	check("REQ second send", req.TrySend(core.NewMsgString("x")), core.EFSM)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err = mk(core.PULL).Recv(ctx)
	check("recv deadline", err, syscall.EAGAIN)
	r := mk(core.ROUTER)
	r.SetOption(core.WithRouterMandatory(true))
	check("unroutable", r.TrySend(core.NewMsgString("nobody", "x")), syscall.EHOSTUNREACH)
	p := mk(core.PEER)
	p.SetOption(core.WithImmediate(true))
	_, err = p.ConnectPeer("inproc://errno-peer")
	check("ConnectPeer with IMMEDIATE", err, syscall.EFAULT)
	c := mk(core.PAIR)
	c.Close()
	check("closed socket", c.Bind("inproc://x"), syscall.ENOTSOCK)
	zctx.Shutdown()
	_, err = b.TryRecv()
	check("after shutdown", err, core.ETERM)
	_, err = zctx.NewSocket(core.PAIR)
	check("socket after shutdown", err, core.ETERM)
}

// TestErrnoMonitorSameMapping checks that a monitor's *_FAILED value is
// Errno of the error the call returned.
func TestErrnoMonitorSameMapping(t *testing.T) {
	zctx := core.NewContext()
	defer zctx.Term()
	a, _ := zctx.NewSocket(core.PAIR, core.WithLinger(0))
	if err := a.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	b, _ := zctx.NewSocket(core.PAIR, core.WithLinger(0))
	events, err := b.WatchEvents(context.Background(), core.EventBindFailed)
	if err != nil {
		t.Fatal(err)
	}
	for _, ep := range []string{a.LastEndpoint(), "ipc:///tmp/" + strings.Repeat("y", 200), "tcp://no-such-iface-zz:*"} {
		bindErr := b.Bind(ep)
		if bindErr == nil {
			t.Fatalf("bind %s succeeded", ep)
		}
		select {
		case ev := <-events:
			if ev.Errno != core.Errno(bindErr) || ev.Value != uint64(core.Errno(bindErr)) {
				t.Errorf("bind %s: BIND_FAILED errno %v value %d, Errno(%v) = %v", ep, ev.Errno, ev.Value, bindErr, core.Errno(bindErr))
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("bind %s: no BIND_FAILED event", ep)
		}
	}
}
