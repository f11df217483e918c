package main

import (
	"os"
	"testing"

	"github.com/zmqkit/zmqkit/examples/customtransport/loopback"
	"github.com/zmqkit/zmqkit/registry/external/serve"
	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/registry/transport/transporttest"
)

// The test binary serves the plugin when the example loads it (it runs
// os.Args[0] with "serve-plugin").
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "serve-plugin" {
		serve.Main(loopback.New())
	}
	os.Exit(m.Run())
}

func TestExample(t *testing.T) {
	if err := run(); err != nil {
		t.Fatal(err)
	}
}

func TestConformance(t *testing.T) {
	transporttest.Run(t, transporttest.Factory{
		Transport:     loopback.New(),
		Kind:          transport.KindStream,
		Addr:          func(testing.TB) string { return "0" },
		InvalidListen: []string{"x", "70000"},
		InvalidDial:   []string{"x", "0"},
		ExclusiveBind: true,
	})
}
