package curve_test

import (
	"bytes"
	"testing"

	"github.com/zmqkit/zmqkit/plugins/curve"
	"github.com/zmqkit/zmqkit/registry/mechanism"
)

// A session's data phase continues in an imported session: messages
// sealed by the importer open at the peer and the other way round, the
// nonces go on, and the exporter is retired.
func TestHandoff(t *testing.T) {
	p := newPair(t)
	p.run(t)
	// some traffic before the hand-over
	for i := 0; i < 3; i++ {
		w, _, err := p.cli.Encode(nil, []byte("before"), 0)
		must(t, err)
		if _, _, err := p.srv.Decode(nil, w, 0); err != nil {
			t.Fatal(err)
		}
	}
	state, err := p.cli.(mechanism.StateExporter).ExportState()
	must(t, err)
	if _, _, err := p.cli.Encode(nil, []byte("x"), 0); err == nil {
		t.Fatal("the exported session still encodes")
	}
	if _, err := p.cli.(mechanism.StateExporter).ExportState(); err == nil {
		t.Fatal("a second export succeeded")
	}
	props := []mechanism.Property{{Name: "Socket-Type", Value: []byte("PULL")}}
	imp, err := (&curve.Mechanism{}).ImportSession(state, &mechanism.Config{}, props)
	must(t, err)
	if imp.Status() != mechanism.Ready || !imp.Transforms() || len(imp.PeerProperties()) != 1 {
		t.Fatalf("imported session: status %v, props %v", imp.Status(), imp.PeerProperties())
	}
	for i := 0; i < 3; i++ {
		w, fl, err := imp.Encode(nil, []byte("after"), 0x01)
		must(t, err)
		body, rfl, err := p.srv.Decode(nil, w, fl)
		if err != nil || !bytes.Equal(body, []byte("after")) || rfl != 0x01 {
			t.Fatalf("server decoded %q %x %v", body, rfl, err)
		}
		w, fl, err = p.srv.Encode(nil, []byte("reply"), 0)
		must(t, err)
		body, _, err = imp.Decode(nil, w, fl)
		if err != nil || !bytes.Equal(body, []byte("reply")) {
			t.Fatalf("importer decoded %q %v", body, err)
		}
	}
	for _, bad := range [][]byte{nil, state[:10], append([]byte{9}, state[1:]...)} {
		if _, err := (&curve.Mechanism{}).ImportSession(bad, &mechanism.Config{}, nil); err == nil {
			t.Errorf("ImportSession(%x) succeeded", bad)
		}
	}
	srv2 := newPair(t)
	if _, err := srv2.srv.(mechanism.StateExporter).ExportState(); err == nil {
		t.Error("export before the handshake succeeded")
	}
}
