package ipc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/registry/transport/transporttest"
)

// tempPath returns a fresh socket path in a short temporary directory.
func tempPath(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "zi")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "s")
}

var abstractN atomic.Int64

func abstractName(testing.TB) string {
	return fmt.Sprintf("@zmqkit-test-%d-%d", os.Getpid(), abstractN.Add(1))
}

func TestConformance(t *testing.T) {
	transporttest.Run(t, transporttest.Factory{
		Transport:     New(),
		Kind:          transport.KindStream,
		Addr:          tempPath,
		InvalidListen: []string{"@"},
		InvalidDial:   []string{"@"},
	})
}

func TestConformanceAbstract(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("abstract namespace is Linux only")
	}
	transporttest.Run(t, transporttest.Factory{
		Transport:     New(),
		Kind:          transport.KindStream,
		Addr:          abstractName,
		ExclusiveBind: true,
	})
}

func TestRegistered(t *testing.T) {
	if _, err := registry.Default.Transport("ipc"); err != nil {
		t.Fatal(err)
	}
}

type recorder []transport.Event

func (r *recorder) TransportEvent(e transport.Event) { *r = append(*r, e) }

func (r *recorder) kinds() []transport.EventKind {
	var out []transport.EventKind
	for _, e := range *r {
		out = append(out, e.Kind)
	}
	return out
}

func TestAddresses(t *testing.T) {
	long := "/tmp/" + strings.Repeat("x", maxPathLen-5)
	tests := []struct {
		name string
		addr string
		bind bool
		err  error
	}{
		{"empty", "", true, transport.ErrInvalidEndpoint},
		{"bare @", "@", true, transport.ErrInvalidEndpoint},
		{"bare @ dial", "@", false, transport.ErrInvalidEndpoint},
		{"NUL", "a\x00b", true, transport.ErrInvalidEndpoint},
		{"too long", long + "y", true, transport.ErrNameTooLong},
		{"too long dial", long + "y", false, transport.ErrNameTooLong},
		{"too long abstract", "@" + strings.Repeat("x", maxPathLen), true, transport.ErrNameTooLong},
		{"max length", long, true, nil},
		{"relative", "rel/sock", true, nil},
		{"wildcard", "*", true, nil},
		{"wildcard dial is a path", "*", false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := parseAddress(tc.addr, tc.bind)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("parseAddress(%q) = %+v, %v; want %v", tc.addr, a, err, tc.err)
				}
				if !strings.Contains(err.Error(), "ipc://") {
					t.Errorf("error %q does not name the endpoint", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseAddress(%q): %v", tc.addr, err)
			}
		})
	}
}

func TestNameTooLongListen(t *testing.T) {
	var rec recorder
	_, err := New().Listen(context.Background(), "ipc", "/tmp/"+strings.Repeat("x", 200), &transport.Config{Hook: &rec})
	if !errors.Is(err, transport.ErrNameTooLong) {
		t.Fatalf("err = %v", err)
	}
	if len(rec) != 1 || rec[0].Kind != transport.EventBindFailed || rec[0].Errno != int(syscall.ENAMETOOLONG) {
		t.Errorf("events %+v, want BIND_FAILED ENAMETOOLONG", rec)
	}
}

func TestRelativePath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	l, err := New().Listen(context.Background(), "ipc", "rel.sock", nil)
	if err != nil {
		t.Fatal(err)
	}
	if l.Endpoint() != "ipc://rel.sock" {
		t.Errorf("Endpoint() = %q", l.Endpoint())
	}
	c, err := New().Dial(context.Background(), "ipc", "rel.sock", nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Join(dir, "rel.sock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file left behind: %v", err)
	}
}

func TestWildcard(t *testing.T) {
	base := t.TempDir()
	t.Setenv("TMPDIR", base)
	var rec recorder
	l, err := New().Listen(context.Background(), "ipc", "*", &transport.Config{Hook: &rec})
	if err != nil {
		t.Fatal(err)
	}
	ep := l.Endpoint()
	path := strings.TrimPrefix(ep, "ipc://")
	if filepath.Dir(filepath.Dir(path)) != base || filepath.Base(path) != "socket" {
		t.Fatalf("Endpoint() = %q, want ipc://%s/tmpXXX/socket", ep, base)
	}
	c, err := New().Dial(context.Background(), "ipc", path, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(filepath.Dir(path)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("wildcard directory left behind: %v", err)
	}
	if got := rec.kinds(); len(got) != 2 || got[0] != transport.EventListening || got[1] != transport.EventClosed {
		t.Errorf("events %v, want LISTENING CLOSED", got)
	}
}

func TestStaleSocketFile(t *testing.T) {
	path := tempPath(t)
	// Leave a socket file behind, as a crashed process would.
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ul.SetUnlinkOnClose(false)
	ul.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Fatal(err)
	}
	l, err := New().Listen(context.Background(), "ipc", path, nil)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	defer l.Close()
	c, err := New().Dial(context.Background(), "ipc", path, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

func TestSecondBindStealsPath(t *testing.T) {
	path := tempPath(t)
	var rec1, rec2 recorder
	l1, err := New().Listen(context.Background(), "ipc", path, &transport.Config{Hook: &rec1})
	if err != nil {
		t.Fatal(err)
	}
	l2, err := New().Listen(context.Background(), "ipc", path, &transport.Config{Hook: &rec2})
	if err != nil {
		t.Fatalf("second bind: %v", err)
	}
	// Closing the first listener leaves the second one's socket alone.
	if err := l1.Close(); err != nil {
		t.Fatal(err)
	}
	c, err := New().Dial(context.Background(), "ipc", path, nil)
	if err != nil {
		t.Fatalf("dial after the first listener closed: %v", err)
	}
	a, err := l2.Accept(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	c.Close()
	if err := l2.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file left behind: %v", err)
	}
	want := [][]transport.EventKind{
		{transport.EventListening, transport.EventClosed},
		{transport.EventListening, transport.EventAccepted, transport.EventClosed},
	}
	for i, r := range []recorder{rec1, rec2} {
		if got := r.kinds(); fmt.Sprint(got) != fmt.Sprint(want[i]) {
			t.Errorf("listener %d events %v, want %v", i+1, got, want[i])
		}
	}
}

func TestNonSocketNotRemoved(t *testing.T) {
	path := tempPath(t)
	if err := os.WriteFile(path, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := New().Listen(context.Background(), "ipc", path, nil)
	if !errors.Is(err, transport.ErrAddrInUse) {
		t.Errorf("Listen over a regular file = %v, want ErrAddrInUse", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "data" {
		t.Errorf("regular file damaged: %q, %v", b, err)
	}
}

func TestCloseFailed(t *testing.T) {
	path := tempPath(t)
	var rec recorder
	l, err := New().Listen(context.Background(), "ipc", path, &transport.Config{Hook: &rec})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err == nil {
		t.Error("Close succeeded although the socket file was gone")
	}
	got := rec.kinds()
	if len(got) != 2 || got[1] != transport.EventCloseFailed || rec[1].Errno != int(syscall.ENOENT) {
		t.Errorf("events %+v, want LISTENING CLOSE_FAILED(ENOENT)", rec)
	}
}

func TestAbstract(t *testing.T) {
	if runtime.GOOS != "linux" {
		if _, err := New().Listen(context.Background(), "ipc", "@x", nil); !errors.Is(err, transport.ErrNotSupported) {
			t.Errorf("abstract Listen = %v, want ErrNotSupported", err)
		}
		return
	}
	name := abstractName(t)
	l, err := New().Listen(context.Background(), "ipc", name, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Endpoint() != "ipc://"+name {
		t.Errorf("Endpoint() = %q", l.Endpoint())
	}
	_, err = New().Listen(context.Background(), "ipc", name, nil)
	if !errors.Is(err, transport.ErrAddrInUse) || !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("second abstract bind = %v, want ErrAddrInUse", err)
	}
	c, err := New().Dial(context.Background(), "ipc", name, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a, err := l.Accept(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if c.RemoteAddress() != "ipc://"+name || a.LocalAddress() != "ipc://"+name {
		t.Errorf("addresses: remote %q local %q", c.RemoteAddress(), a.LocalAddress())
	}
	if c.LocalAddress() != "" || a.RemoteAddress() != "" || a.PeerAddress() != "" {
		t.Errorf("unnamed ends: %q %q %q", c.LocalAddress(), a.RemoteAddress(), a.PeerAddress())
	}
	// The abstract name differs from a file of the same name.
	if _, err := os.Lstat(strings.TrimPrefix(name, "@")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("abstract bind created a file: %v", err)
	}
}

func TestDialRefusedEvents(t *testing.T) {
	path := tempPath(t)
	var rec recorder
	_, err := New().Dial(context.Background(), "ipc", path, &transport.Config{Hook: &rec, Endpoint: "ipc://" + path})
	if err == nil {
		t.Fatal("Dial to a missing socket succeeded")
	}
	if len(rec) != 1 || rec[0].Kind != transport.EventClosed || rec[0].Endpoint != "ipc://"+path {
		t.Errorf("events %+v, want only CLOSED", rec)
	}
}

func TestCheckDial(t *testing.T) {
	dc := New().(transport.DialChecker)
	for _, tc := range []struct {
		addr string
		ok   bool
	}{
		{"/tmp/x", true}, {"rel", true}, {"@abs", runtime.GOOS == "linux"},
		{"", false}, {"@", false}, {strings.Repeat("x", 200), false},
	} {
		if err := dc.CheckDial("ipc", tc.addr); (err == nil) != tc.ok {
			t.Errorf("CheckDial(%q) = %v, want ok=%v", tc.addr, err, tc.ok)
		}
	}
}
