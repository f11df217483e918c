package serve

import (
	"runtime/debug"
	"strings"
	"testing"

	"github.com/zmqkit/zmqkit/internal/release"
	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/registry/transport/transporttest"
)

type localPlugin struct{}

func TestPluginVersion(t *testing.T) {
	saved := buildInfo
	defer func() { buildInfo = saved }()
	mem := transporttest.NewMemFrame(transporttest.MemFrameOptions{})
	for _, tc := range []struct {
		name string
		bi   *debug.BuildInfo
		p    any
		want string
	}{
		{"zmqkit's own, devel", &debug.BuildInfo{Main: debug.Module{Path: zmqkitModule, Version: "(devel)"}}, mem, release.Version},
		{"zmqkit's own, as a dependency", &debug.BuildInfo{Main: debug.Module{Path: "example.com/bin", Version: "v2.0.0"},
			Deps: []*debug.Module{{Path: zmqkitModule, Version: "v0.9.0"}}}, mem, release.Version},
		{"third party, tagged", &debug.BuildInfo{Main: debug.Module{Path: "github.com/zmqkit/zmqkit/registry/external", Version: "v1.4.2"},
			Deps: []*debug.Module{{Path: zmqkitModule, Version: "v0.1.0"}}}, localPlugin{}, "v1.4.2"},
		{"third party, pseudo-version", &debug.BuildInfo{Main: debug.Module{Path: "github.com/zmqkit/zmqkit/registry/external",
			Version: "v0.0.0-20261206035000-e84985d3b1c2+dirty"}}, &localPlugin{}, "v0.0.0-20261206035000-e84985d3b1c2+dirty"},
		{"third party, replaced", &debug.BuildInfo{Main: debug.Module{Path: "example.com/bin"},
			Deps: []*debug.Module{{Path: "github.com/zmqkit/zmqkit/registry/external", Version: "v1.0.0",
				Replace: &debug.Module{Path: "../fork", Version: "v1.0.1"}}}}, localPlugin{}, "v1.0.1"},
		{"third party, devel", &debug.BuildInfo{Main: debug.Module{Path: "github.com/zmqkit/zmqkit/registry/external", Version: "(devel)"}},
			localPlugin{}, unknownVersion},
		{"no build information", nil, localPlugin{}, unknownVersion},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buildInfo = tc.bi
			if got := pluginVersion(tc.p); got != tc.want {
				t.Errorf("pluginVersion = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestValidVersion(t *testing.T) {
	for v, ok := range map[string]bool{
		"v1.2.3": true, "v0.0.0-20261206035000-e84985d3b1c2+dirty": true, "v1.0.0-rc.1": true,
		"1.2.3": false, "v1.2": false, "(devel)": false, "": false, "v01.2.3": false,
	} {
		if validVersion(v) != ok {
			t.Errorf("validVersion(%q) = %v", v, !ok)
		}
	}
}

func TestVersionLine(t *testing.T) {
	tcp := transporttest.NewMemFrame(transporttest.MemFrameOptions{})
	cfg := Config{Transports: []transport.Transport{tcp}}
	want := "zmqkit-plugin-x " + release.Version + " (zmqkit plugin: " + strings.Join(tcp.Schemes(), ", ") + ")"
	if got := versionLine("zmqkit-plugin-x", cfg); got != want {
		t.Errorf("versionLine = %q, want %q", got, want)
	}
	cfg.Version = "v1.2.3"
	if got := versionLine("p", cfg); !strings.HasPrefix(got, "p v1.2.3 (zmqkit plugin: ") {
		t.Errorf("versionLine with Config.Version = %q", got)
	}
}
