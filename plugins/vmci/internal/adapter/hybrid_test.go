package adapter

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// fakeDevice answers each CONNECT line on uds with answer (nothing and a
// close when answer is "").
func fakeDevice(t *testing.T, answer string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "hy")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	uds := filepath.Join(dir, "v.sock")
	l, err := net.Listen("unix", uds)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 64)
				if _, err := c.Read(buf); err != nil {
					return
				}
				if answer == "" {
					return // no guest listens: the device closes
				}
				if answer == "hang" {
					_, _ = io.Copy(io.Discard, c)
					return
				}
				_, _ = io.WriteString(c, answer)
				_, _ = io.Copy(io.Discard, c)
			}()
		}
	}()
	return uds
}

func TestHybridAnswers(t *testing.T) {
	for _, tc := range []struct {
		answer string
		want   error
	}{
		{"OK 1073741824\n", nil},
		{"", syscall.ECONNRESET},
		{"NO\n", syscall.ECONNRESET},
		{"OK x\n", syscall.EPROTO},
		{"OK 1 2\n", syscall.ECONNRESET},
		{"OK 1234567890123456789012345678901234567890123456789012345678901234567890", syscall.EPROTO},
	} {
		h := Hybrid(fakeDevice(t, tc.answer))
		c, err := h.Dial(context.Background(), 3, 5000, nil, func(int) {})
		if tc.want == nil {
			if err != nil {
				t.Fatalf("%q: %v", tc.answer, err)
			}
			if FormatAddr("vsock", c.LocalAddr()) != "vsock://2:1073741824" || FormatAddr("vsock", c.RemoteAddr()) != "vsock://3:5000" {
				t.Errorf("addresses %v %v", c.LocalAddr(), c.RemoteAddr())
			}
			c.Close()
			continue
		}
		if !errors.Is(err, tc.want) {
			t.Errorf("answer %q: %v, want %v", tc.answer, err, tc.want)
		}
	}
	// a device that never answers: the dial's context ends it
	h := Hybrid(fakeDevice(t, "hang"))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := h.Dial(ctx, 3, 5000, nil, func(int) {}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("silent device: %v", err)
	}
	// CONNECT_TIMEOUT (Config.ConnectTimeout) bounds a connect too
	start := time.Now()
	_, err := New(nil).Dial(context.Background(), "vsock", "3:5000", &transport.Config{
		ConnectTimeout: 50 * time.Millisecond,
		Extra:          map[string]any{OptHybridUDS: fakeDevice(t, "hang")},
	})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Errorf("CONNECT_TIMEOUT: %v after %v", err, time.Since(start))
	}
	// no device at all
	if _, err := Hybrid("/nonexistent/v.sock").Dial(context.Background(), 3, 1, nil, func(int) {}); err == nil {
		t.Error("dial without a device succeeded")
	}
	if cid, err := Hybrid("x").LocalCID(); cid != CIDHost || err != nil {
		t.Errorf("LocalCID = %d, %v", cid, err)
	}
	// "@" on vmci:// with hybrid vsock is the host
	tr := New(nil)
	dir := t.TempDir()
	l, err := tr.Listen(context.Background(), "vmci", "@:7000",
		&transport.Config{Extra: map[string]any{OptHybridUDS: filepath.Join(dir, "v")}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Endpoint() != "vmci://2:7000" {
		t.Errorf("endpoint %q", l.Endpoint())
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel2()
	if _, err := l.Accept(ctx2); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Accept: %v", err)
	}
	if _, err := ParseOptions(map[string]any{OptHybridUDS: 3}); !errors.Is(err, transport.ErrInvalidEndpoint) {
		t.Errorf("a non-string path: %v", err)
	}
}
