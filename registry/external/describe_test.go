package external_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/zmqkit/zmqkit/internal/release"
	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/external"
	"github.com/zmqkit/zmqkit/registry/transport"
)

// Info reports what a plugin serves, with kinds and semantic versions:
// the one the binary declares, else its plugins' (zmqkit's release for
// zmqkit's own).
func TestInfo(t *testing.T) {
	_, p := load(t, "declared", external.Options{})
	in := p.Info()
	if in.Version != "v1.2.3" || p.Version() != "v1.2.3" || in.Name != "declared" || in.Path != osArgs0() || in.GoVersion == "" {
		t.Errorf("Info %+v", in)
	}
	wantT := []external.ServedTransport{{Schemes: []string{"tcp"}, Kind: transport.KindStream, KindName: "stream", Version: release.Version}}
	wantM := []external.ServedMechanism{{Name: "CURVE", Version: release.Version}}
	if !reflect.DeepEqual(in.Transports, wantT) || !reflect.DeepEqual(in.Mechanisms, wantM) {
		t.Errorf("served %+v %+v, want %+v %+v", in.Transports, in.Mechanisms, wantT, wantM)
	}

	_, p = shared(t, sharedFD)
	in = p.Info()
	kinds := map[string]string{}
	for _, tr := range in.Transports {
		kinds[tr.Schemes[0]] = tr.KindName
		if tr.Version != release.Version {
			t.Errorf("%v version %q", tr.Schemes, tr.Version)
		}
	}
	if in.Version != release.Version || kinds["tcp"] != "stream" || kinds["udp"] != "datagram" || kinds["mfmech"] != "frame" ||
		len(in.Mechanisms) != 2 {
		t.Errorf("Info %+v", in)
	}

	_, err := external.Load(registry.New(), osArgs0(), external.Options{Env: []string{helperEnv + "=badversion"}})
	if !errors.Is(err, external.ErrNotPlugin) || !strings.Contains(err.Error(), "not a semantic version") {
		t.Errorf("a plugin declaring version 1.2: %v", err)
	}
}
