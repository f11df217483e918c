package curve_test

import (
	"bytes"
	"testing"

	"github.com/zmqkit/zmqkit/plugins/curve"
	"github.com/zmqkit/zmqkit/registry/mechanism"
)

// Each Fuzz target feeds one command parser arbitrary bytes in the state
// where it runs; none may panic, and failures must be protocol errors.

func seedCommands(f *testing.F) {
	p := newPair(f)
	h, w, i, r := p.run(f)
	m, _, _ := p.cli.Encode(nil, []byte("payload"), 0)
	for _, b := range [][]byte{h, w, i, r, m, {}, {0}, {5, 'H'}} {
		f.Add(b)
	}
}

func checkErr(t *testing.T, err error) {
	if err == nil {
		return
	}
	if _, ok := err.(*mechanism.ProtocolError); !ok {
		t.Fatalf("non-protocol error %T: %v", err, err)
	}
}

func FuzzServerHello(f *testing.F) {
	seedCommands(f)
	kp := mustKP(f)
	f.Fuzz(func(t *testing.T, cmd []byte) {
		s, _ := (&curve.Mechanism{}).NewSession(&mechanism.Config{AsServer: true,
			Options: map[string][]byte{curve.OptSecretKey: kp.Secret[:]}})
		checkErr(t, s.Process(cmd))
	})
}

func FuzzServerInitiate(f *testing.F) {
	seedCommands(f)
	f.Fuzz(func(t *testing.T, cmd []byte) {
		p := newPair(t)
		must(t, p.srv.Process(next(t, p.cli)))
		next(t, p.srv)
		checkErr(t, p.srv.Process(cmd))
	})
}

func FuzzClientWelcome(f *testing.F) {
	seedCommands(f)
	f.Fuzz(func(t *testing.T, cmd []byte) {
		p := newPair(t)
		next(t, p.cli)
		checkErr(t, p.cli.Process(cmd))
	})
}

func FuzzClientReady(f *testing.F) {
	seedCommands(f)
	f.Fuzz(func(t *testing.T, cmd []byte) {
		p := newPair(t)
		must(t, p.srv.Process(next(t, p.cli)))
		must(t, p.cli.Process(next(t, p.srv)))
		next(t, p.cli)
		checkErr(t, p.cli.Process(cmd))
	})
}

func FuzzMessage(f *testing.F) {
	seedCommands(f)
	p := newPair(f)
	p.run(f)
	f.Fuzz(func(t *testing.T, cmd []byte) {
		_, _, err := p.srv.Decode(nil, cmd, 0)
		checkErr(t, err)
	})
}

func FuzzCert(f *testing.F) {
	c, _ := curve.NewCert()
	c.Metadata = map[string]string{"name": "x"}
	f.Add(c.SecretText())
	f.Add(c.PublicText())
	f.Add([]byte("curve\n    public-key = \"\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := curve.ParseCert(bytes.NewReader(b))
		if err == nil && c == nil {
			t.Fatal("nil cert")
		}
	})
}
