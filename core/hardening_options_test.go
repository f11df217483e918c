package core_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/curve"
	"github.com/zmqkit/zmqkit/plugins/tcp"
	"github.com/zmqkit/zmqkit/registry"
)

// Settings that can never work fail at NewSocket and SetOption with
// ErrInvalid, not at each connection's handshake later.
func TestImpossibleSecuritySettingsFailEarly(t *testing.T) {
	zc := core.NewContext()
	defer zc.Term()
	kp, _ := curve.NewKeyPair()
	good := curve.Z85(kp.Secret[:])
	bad := "0123456789012345678901234567890123456789"[:39] + "\x00" // 40 bytes, not Z85
	for _, tc := range []struct {
		name string
		opt  core.Option
		text string
	}{
		{"GSSAPI", core.WithMechanism("GSSAPI", true, nil), `unknown mechanism "GSSAPI"`},
		{"CURVE server without secret key", core.WithMechanism("CURVE", true, map[string][]byte{"CURVE_SERVER": {1}}), "ZMQ_CURVE_SECRETKEY is not set"},
		{"malformed secret key", core.WithMechanism(curve.Server([]byte(bad))), "ZMQ_CURVE_SECRETKEY"},
		{"short secret key", core.WithMechanism(curve.Server([]byte("abc"))), "ZMQ_CURVE_SECRETKEY"},
		{"client without server key", core.WithMechanism("CURVE", false, map[string][]byte{"CURVE_SECRETKEY": []byte(good), "CURVE_PUBLICKEY": kp.Public[:]}), "ZMQ_CURVE_SERVERKEY is not set"},
		{"malformed server key", core.WithMechanism(curve.Client([]byte("not a key"), kp.Public[:], kp.Secret[:])), "ZMQ_CURVE_SERVERKEY"},
	} {
		_, err := zc.NewSocket(core.DEALER, tc.opt)
		if !errors.Is(err, core.ErrInvalid) || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: NewSocket: %v, want ErrInvalid saying %q", tc.name, err, tc.text)
		}
		s, err := zc.NewSocket(core.DEALER, core.WithLinger(0))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetOption(tc.opt); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("%s: SetOption: %v, want ErrInvalid", tc.name, err)
		}
		if s.Options().Mechanism != "NULL" {
			t.Errorf("%s: a refused SetOption changed the mechanism to %s", tc.name, s.Options().Mechanism)
		}
		s.Close()
	}
	// good keys pass
	if _, err := zc.NewSocket(core.DEALER, core.WithLinger(0), core.WithMechanism(curve.Server([]byte(good)))); err != nil {
		t.Fatal(err)
	}

	// a registry without the CURVE plugin: the error names the package
	r := registry.New()
	r.RegisterTransport(tcp.New())
	zc2 := core.NewContext(core.WithRegistry(r))
	defer zc2.Term()
	_, err := zc2.NewSocket(core.DEALER, core.WithMechanism(curve.Server([]byte(good))))
	if !errors.Is(err, core.ErrInvalid) || !errors.Is(err, registry.ErrUnknownMechanism) ||
		!strings.Contains(err.Error(), `import _ "github.com/zmqkit/zmqkit/plugins/curve"`) {
		t.Fatalf("CURVE without its plugin: %v", err)
	}
}
