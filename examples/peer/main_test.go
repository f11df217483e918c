package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestRun runs the zmq_connect_peer manual's example over tcp, ipc and
// inproc.
func TestRun(t *testing.T) {
	for _, ep := range []string{"tcp://127.0.0.1:*", "ipc://" + t.TempDir() + "/peer", "inproc://server001"} {
		t.Run(strings.SplitN(ep, ":", 2)[0], func(t *testing.T) {
			var out bytes.Buffer
			if err := run(&out, ep); err != nil {
				t.Fatalf("run: %v\noutput so far:\n%s", err, out.String())
			}
			got := out.String()
			for _, want := range []string{
				"routing id assigned\n",
				`server001 got "HELLO"` + "\n",
				`peer got "WORLD" from routing id returned by ConnectPeer` + "\n",
				"send to an unknown routing id: host unreachable = true\n",
			} {
				if !strings.Contains(got, want) {
					t.Errorf("output lacks %q; output:\n%s", want, got)
				}
			}
		})
	}
}
