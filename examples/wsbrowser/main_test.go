package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/ws"
)

// wait bounds each wait: generous, for a loaded machine (Chromium's
// start-up alone can take seconds).
const wait = 90 * time.Second

// chromium finds Debian's chromium ($ZMQKIT_CHROMIUM overrides), or
// skips; with CI=true a missing browser fails (scripts/prereq/26-chromium.sh
// installs it).
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("ZMQKIT_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no chromium on PATH (apt-get install chromium; scripts/prereq/26-chromium.sh)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// TestBrowser opens the page in headless Chromium and checks what the
// page reports it received: the first ticks of the PUB (and nothing of
// the other topic), and the REP's replies to its requests, in order.
func TestBrowser(t *testing.T) {
	bin := chromium(t)
	const count = 3
	s, err := Start("127.0.0.1:0", "127.0.0.1", count)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	profile := t.TempDir()
	var out bytes.Buffer
	cmd := exec.Command(bin, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--no-default-browser-check", "--disable-extensions", "--disable-dev-shm-usage", "--disable-breakpad",
		"--user-data-dir="+profile, s.URL)
	cmd.Stdout = &out
	cmd.Stderr = &out
	// its own process group: the browser's helper processes go with it
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}()

	var r Report
	select {
	case r = <-s.Reports:
	case <-exited:
		t.Fatalf("chromium exited before the page reported:\n%s", out.String())
	case <-time.After(wait):
		t.Fatalf("the page reported nothing within %v; chromium said:\n%s", wait, out.String())
	}
	t.Logf("the page received ticks %q, replies %q, errors %q", r.Ticks, r.Replies, r.Errors)
	if len(r.Errors) > 0 {
		t.Fatalf("the page failed: %q", r.Errors)
	}
	if len(r.Ticks) != count {
		t.Fatalf("the page got %d ticks, want %d: %q", len(r.Ticks), count, r.Ticks)
	}
	prev := 0
	for _, tick := range r.Ticks {
		var n int
		if _, err := fmt.Sscanf(tick, topic+" %d", &n); err != nil || !strings.HasPrefix(tick, topic+" ") {
			t.Fatalf("the page got %q, which is not a %q message (the subscription did not filter)", tick, topic)
		}
		if n <= prev {
			t.Fatalf("ticks out of order: %q", r.Ticks)
		}
		prev = n
	}
	for i, reply := range r.Replies {
		if want := fmt.Sprintf("pong to ping %d", i+1); reply != want {
			t.Fatalf("reply %d is %q, want %q", i+1, reply, want)
		}
	}
	if len(r.Replies) != count {
		t.Fatalf("the page got %d replies, want %d: %q", len(r.Replies), count, r.Replies)
	}
}

// TestPageProtocol plays the page's part with a zmqkit client speaking
// bare ZWS 2.0 (as the page's JavaScript does), so the server side is
// checked even where there is no browser.
func TestPageProtocol(t *testing.T) {
	s, err := Start("127.0.0.1:0", "127.0.0.1", 3)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := core.NewContext()
	defer c.Term()
	bare := core.WithTransportOption(ws.BareFirst(true))
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()

	sub, err := c.NewSocket(core.SUB, core.WithLinger(0), bare, core.WithSubscribe(topic))
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if err := sub.Connect(fmt.Sprintf("ws://127.0.0.1:%d/pub", s.port)); err != nil {
		t.Fatal(err)
	}
	m, err := sub.Recv(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(m.Frames[0]); !strings.HasPrefix(got, topic+" ") {
		t.Fatalf("SUB got %q", got)
	}

	req, err := c.NewSocket(core.REQ, core.WithLinger(0), bare)
	if err != nil {
		t.Fatal(err)
	}
	defer req.Close()
	if err := req.Connect(fmt.Sprintf("ws://127.0.0.1:%d/rep", s.port)); err != nil {
		t.Fatal(err)
	}
	if err := req.Send(ctx, core.NewMsgString("ping 1")); err != nil {
		t.Fatal(err)
	}
	if m, err = req.Recv(ctx); err != nil {
		t.Fatal(err)
	}
	if got := string(m.Frames[0]); got != "pong to ping 1" {
		t.Fatalf("REQ got %q", got)
	}
}
