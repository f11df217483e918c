//go:build linux

package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/zmqkit/zmqkit/plugins/pgm/pgmtest"
)

// The demo in two namespaces (pgmtest skips without root, and fails under
// CI=true): each subscriber gets every message of its topic, in order, and
// none of the other topic.
func TestDemo(t *testing.T) {
	rig := pgmtest.NewRig(t)
	var out bytes.Buffer
	const n = 10
	if err := demo(context.Background(), rig, &out, n); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	t.Logf("\n%s", out.String())
	for i, name := range []string{"alice", "bob"} {
		var got []string
		for _, line := range strings.Split(out.String(), "\n") {
			if text, ok := strings.CutPrefix(line, name+": "); ok && !strings.HasPrefix(text, "listening") {
				got = append(got, text)
			}
		}
		if len(got) != n {
			t.Fatalf("%s: %d lines: %q", name, len(got), got)
		}
		for j, text := range got {
			if want := fmt.Sprintf("%s update %d", strings.TrimSuffix(topics[i], "."), j); text != want {
				t.Errorf("%s: %q, want %q", name, text, want)
			}
		}
	}
}
