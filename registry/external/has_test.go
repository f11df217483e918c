package external_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/internal/release"
	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/external"
)

// zmq_has answers for transports and mechanisms served by plugin
// binaries: Context.Has says yes once the binary is loaded into the
// context's registry, and no again once it is unloaded.
func TestHasAfterLoadingAPlugin(t *testing.T) {
	reg := registry.New()
	zctx := core.NewContext(core.WithRegistry(reg))
	defer zctx.Term()
	for _, name := range []string{"tcp", "ipc", "ws", "WSS", "curve", "plain"} {
		if zctx.Has(name) {
			t.Errorf("empty registry: Has(%q) = true", name)
		}
	}
	p := load2(t, reg, "tcp+curve", external.Options{})
	for name, want := range map[string]bool{"tcp": true, "curve": true, "CURVE": true, "ipc": false, "ws": false, "plain": false} {
		if got := zctx.Has(name); got != want {
			t.Errorf("tcp+curve plugin loaded: Has(%q) = %v, want %v", name, got, want)
		}
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if zctx.Has("curve") || zctx.Has("tcp") {
		t.Error(`Has("curve") or Has("tcp") = true after their plugin was unloaded`)
	}
	load2(t, reg, "all", external.Options{})
	for _, name := range []string{"tcp", "ipc", "udp", "ws", "wss", "WS", "WSS", "curve", "plain", "draft"} {
		if !zctx.Has(name) {
			t.Errorf("all plugin loaded: Has(%q) = false", name)
		}
	}
	for _, name := range []string{"tipc", "norm", "gssapi", "vmci"} {
		if zctx.Has(name) {
			t.Errorf("Has(%q) = true; no plugin serves it", name)
		}
	}
}

// Every plugin binary of cmd/ prints its version for --version (and the
// helper with a declared version prints that one), exit status 0.
func TestPluginBinariesVersion(t *testing.T) {
	cmds, err := filepath.Glob("../../cmd/zmqkit-plugin-*")
	if err != nil || len(cmds) < 5 {
		t.Fatalf("plugin commands: %v %v", cmds, err)
	}
	dir := t.TempDir()
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, c := range cmds {
		args = append(args, "github.com/zmqkit/zmqkit/cmd/"+filepath.Base(c))
	}
	build := exec.Command("go", args...)
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, c := range cmds {
		name := filepath.Base(c)
		out, err := exec.Command(filepath.Join(dir, name), "--version").Output()
		if err != nil {
			t.Errorf("%s --version: %v", name, err)
			continue
		}
		want := name + " " + release.Version + " (zmqkit plugin: " + strings.TrimPrefix(name, "zmqkit-plugin-")
		if !strings.HasPrefix(strings.ToLower(string(out)), want) {
			t.Errorf("%s --version printed %q, want a line starting %q", name, out, want)
		}
	}
	cmd := exec.Command(os.Args[0], "--version")
	cmd.Env = append(os.Environ(), helperEnv+"=declared")
	out, err := cmd.Output()
	if err != nil || !strings.Contains(string(out), " v1.2.3 (zmqkit plugin: tcp, CURVE)") {
		t.Errorf("helper with serve.Version(v1.2.3) --version: %q, %v", out, err)
	}
}
