package perftool

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// -plugin PATH is repeatable and comes before libzmq's arguments; a path
// that is no plugin fails the tool with an error naming it, before any
// socket is made.
func TestPluginFlag(t *testing.T) {
	args := []string{"-plugin", "/a/zmqkit-plugin-tcp", "-plugin", "/b/zmqkit-plugin-curve", "tcp://127.0.0.1:5555", "8", "3"}
	for _, tool := range []Tool{LocalThr, RemoteThr, LocalLat, RemoteLat} {
		p, code, ok := tool.Parse(args, &bytes.Buffer{}, &bytes.Buffer{})
		if !ok || code != ExitOK || !slices.Equal(p.Plugins, []string{"/a/zmqkit-plugin-tcp", "/b/zmqkit-plugin-curve"}) {
			t.Errorf("%s: %+v code %d ok %v", tool.Name, p, code, ok)
		}
	}
	var out, errOut bytes.Buffer
	code := LocalThr.Main([]string{"-plugin", "/nonexistent/zmqkit-plugin-tcp", "tcp://127.0.0.1:0", "8", "3"}, &out, &errOut)
	if code != ExitFail || !strings.Contains(out.String(), "/nonexistent/zmqkit-plugin-tcp") {
		t.Errorf("a missing plugin: exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
}
