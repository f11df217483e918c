package perftool

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/internal/freeport"
)

// The perf tools take ws:// endpoints (plugins/all has ws), like
// libzmq's own perf tools built with ws: throughput and latency pairs
// over ws on a free loopback port, with a path.
func TestWSEndpoints(t *testing.T) {
	for _, pair := range []struct{ server, client Tool }{{LocalThr, RemoteThr}, {LocalLat, RemoteLat}} {
		ep := "ws://" + freeport.MustTCP(t) + "/perf"
		args := []string{ep, "100", "300"}
		done := make(chan int, 1)
		var sout bytes.Buffer
		go func() { done <- pair.server.Main(args, &sout, &sout) }()
		var cout bytes.Buffer
		if code := pair.client.Main(args, &cout, &cout); code != ExitOK {
			t.Fatalf("%s %s: exit %d: %s", pair.client.Name, ep, code, cout.String())
		}
		select {
		case code := <-done:
			if code != ExitOK {
				t.Fatalf("%s %s: exit %d: %s", pair.server.Name, ep, code, sout.String())
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("%s did not exit", pair.server.Name)
		}
		out := sout.String() + cout.String()
		for _, want := range []string{"message size: 100"} {
			if !strings.Contains(out, want) {
				t.Fatalf("%s/%s over ws printed %q", pair.server.Name, pair.client.Name, out)
			}
		}
		if pair.server.Name == "local_thr" && !strings.Contains(out, "message count: 300") {
			t.Fatalf("local_thr over ws printed %q", out)
		}
		if pair.client.Name == "remote_lat" && !strings.Contains(out, "roundtrip count: 300") {
			t.Fatalf("remote_lat over ws printed %q", out)
		}
	}
}
