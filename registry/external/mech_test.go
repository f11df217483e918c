package external_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/zmqkit/zmqkit/plugins/curve"
	"github.com/zmqkit/zmqkit/plugins/plain"
	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/external"
	"github.com/zmqkit/zmqkit/registry/mechanism"
)

// The mechanism contract across the boundary, session against session
// with no sockets: PLAIN and CURVE sessions served by a plugin (data
// phase there, or handed off) complete handshakes with compiled-in
// sessions in either role and with each other, see the same peer
// properties (ZAP's User-Id included, called back in the host), and
// transform frames the other side reads back, one at a time and in
// batches; refusals and malformed commands fail with the same errors.
func TestMechanismSessions(t *testing.T) {
	fdReg, _ := shared(t, sharedFD)
	handOff := registry.Default.Clone()
	load2(t, handOff, "curve", external.Options{Replace: true, HandOff: true})
	skp, _ := curve.NewKeyPair()
	ckp, _ := curve.NewKeyPair()
	type side struct {
		name string
		reg  *registry.Registry
	}
	sides := []side{{"in", registry.Default}, {"out", fdReg}}
	for _, mech := range []string{"PLAIN", "CURVE"} {
		opts := func(server bool) map[string][]byte {
			switch {
			case mech == "PLAIN" && server:
				return map[string][]byte{plain.OptServer: {1}}
			case mech == "PLAIN":
				return map[string][]byte{plain.OptUsername: []byte("admin"), plain.OptPassword: []byte("secret")}
			case server:
				return map[string][]byte{curve.OptServer: {1}, curve.OptSecretKey: skp.Secret[:], curve.OptPublicKey: skp.Public[:]}
			}
			return map[string][]byte{curve.OptServerKey: skp.Public[:], curve.OptSecretKey: ckp.Secret[:], curve.OptPublicKey: ckp.Public[:]}
		}
		all := sides
		if mech == "CURVE" {
			all = append(all, side{"handoff", handOff})
		}
		for _, srv := range all {
			for _, cli := range all {
				t.Run(fmt.Sprintf("%s/server-%s/client-%s", mech, srv.name, cli.name), func(t *testing.T) {
					s := newSession(t, srv.reg, mech, &mechanism.Config{AsServer: true, SocketType: "PULL",
						Metadata: []mechanism.Property{{Name: "Socket-Type", Value: []byte("PULL")}},
						Options:  opts(true), ZAP: &fakeZAP{user: "u-" + mech}, PeerAddress: "127.0.0.1"})
					c := newSession(t, cli.reg, mech, &mechanism.Config{SocketType: "PUSH",
						Metadata: []mechanism.Property{{Name: "Socket-Type", Value: []byte("PUSH")}, {Name: "X-Color", Value: []byte("blue")}},
						Options:  opts(false)})
					handshake(t, c, s)
					props := map[string]string{}
					for _, p := range s.PeerProperties() {
						props[p.Name] = string(p.Value)
					}
					if props["Socket-Type"] != "PUSH" || props["X-Color"] != "blue" || props["User-Id"] != "u-"+mech {
						t.Errorf("server's peer properties %v", props)
					}
					if c.Transforms() != (mech == "CURVE") || s.Transforms() != c.Transforms() {
						t.Errorf("Transforms %v %v", c.Transforms(), s.Transforms())
					}
					if c.Transforms() {
						traffic(t, c, s)
						traffic(t, s, c)
					}
				})
			}
		}
	}
	t.Run("CURVE/refused-by-ZAP", func(t *testing.T) {
		for _, sd := range sides {
			s := newSession(t, sd.reg, "CURVE", &mechanism.Config{AsServer: true, SocketType: "PULL",
				Options: map[string][]byte{curve.OptServer: {1}, curve.OptSecretKey: skp.Secret[:], curve.OptPublicKey: skp.Public[:]},
				ZAP:     &fakeZAP{deny: true}})
			c := newSession(t, registry.Default, "CURVE", &mechanism.Config{SocketType: "PUSH",
				Options: map[string][]byte{curve.OptServerKey: skp.Public[:], curve.OptSecretKey: ckp.Secret[:], curve.OptPublicKey: ckp.Public[:]}})
			err := handshakeErr(c, s)
			var ae *mechanism.AuthError
			if !errors.As(err, &ae) || ae.Status != 400 {
				t.Errorf("%s: refused by ZAP: %v, want an AuthError 400", sd.name, err)
			}
		}
	})
	t.Run("CURVE/malformed-HELLO", func(t *testing.T) {
		var codes []uint32
		for _, sd := range sides {
			s := newSession(t, sd.reg, "CURVE", &mechanism.Config{AsServer: true, SocketType: "PULL",
				Options: map[string][]byte{curve.OptServer: {1}, curve.OptSecretKey: skp.Secret[:], curve.OptPublicKey: skp.Public[:]}})
			err := s.Process([]byte("\x05HELLO short"))
			var pe *mechanism.ProtocolError
			if !errors.As(err, &pe) {
				t.Fatalf("%s: malformed HELLO: %v, want a ProtocolError", sd.name, err)
			}
			codes = append(codes, pe.Code)
		}
		if codes[0] != codes[1] {
			t.Errorf("protocol error codes in %#x, out %#x", codes[0], codes[1])
		}
	})
}

func newSession(t *testing.T, reg *registry.Registry, name string, cfg *mechanism.Config) mechanism.Session {
	t.Helper()
	m, err := reg.Mechanism(name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.NewSession(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c, ok := s.(interface{ Close() error }); ok {
			c.Close()
		}
	})
	return s
}

// handshakeErr relays commands between client c and server s until both
// are Ready or one fails.
func handshakeErr(c, s mechanism.Session) error {
	for i := 0; i < 20; i++ {
		moved := false
		for _, p := range [][2]mechanism.Session{{c, s}, {s, c}} {
			// what the sender has to send, then its error (an ERROR
			// command goes out before the failure)
			var cmds [][]byte
			var sendErr error
			for {
				cmd, err := p[0].Next()
				if err != nil {
					sendErr = err
					break
				}
				if cmd == nil {
					break
				}
				cmds = append(cmds, cmd)
			}
			for _, cmd := range cmds {
				moved = true
				if err := p[1].Process(cmd); err != nil && sendErr == nil {
					return err
				}
			}
			if sendErr != nil {
				return sendErr
			}
		}
		if c.Status() == mechanism.Ready && s.Status() == mechanism.Ready {
			return nil
		}
		if c.Status() == mechanism.Failed || s.Status() == mechanism.Failed {
			return errors.New("handshake failed")
		}
		if !moved {
			return errors.New("handshake stalled")
		}
	}
	return errors.New("handshake did not end")
}

func handshake(t *testing.T, c, s mechanism.Session) {
	t.Helper()
	if err := handshakeErr(c, s); err != nil {
		t.Fatal(err)
	}
}

// traffic sends frames from a to b: one at a time, then as a batch where
// the sessions take batches.
func traffic(t *testing.T, a, b mechanism.Session) {
	t.Helper()
	frames := []mechanism.Frame{{Body: []byte("one"), Flags: 1}, {Body: bytes.Repeat([]byte{7}, 100<<10)}, {Body: nil}}
	for _, f := range frames {
		wire, wf, err := a.Encode(nil, f.Body, f.Flags)
		if err != nil {
			t.Fatal(err)
		}
		body, fl, err := b.Decode(nil, wire, wf)
		if err != nil || !bytes.Equal(body, f.Body) || fl != f.Flags {
			t.Fatalf("frame of %d octets, flags %d: got %d octets, flags %d, %v", len(f.Body), f.Flags, len(body), fl, err)
		}
	}
	ab, ok1 := a.(mechanism.BatchSession)
	bb, ok2 := b.(mechanism.BatchSession)
	if !ok1 || !ok2 {
		return
	}
	wire := make([]mechanism.Frame, len(frames))
	buf, err := ab.EncodeBatch(nil, frames, wire)
	if err != nil {
		t.Fatal(err)
	}
	_ = buf
	out := make([]mechanism.Frame, len(frames))
	_, n, err := bb.DecodeBatch(nil, wire, out)
	if err != nil || n != len(frames) {
		t.Fatalf("DecodeBatch: %d frames, %v", n, err)
	}
	for i := range frames {
		if !bytes.Equal(out[i].Body, frames[i].Body) || out[i].Flags != frames[i].Flags {
			t.Fatalf("batch frame %d differs", i)
		}
	}
}

// fakeZAP is a ZAP handler that allows everyone as user, or denies.
type fakeZAP struct {
	user string
	deny bool
}

func (z *fakeZAP) Available() bool { return true }

func (z *fakeZAP) Authenticate(_ context.Context, req mechanism.ZAPRequest) (mechanism.ZAPReply, error) {
	if z.deny {
		return mechanism.ZAPReply{StatusCode: "400", StatusText: "denied"}, nil
	}
	return mechanism.ZAPReply{StatusCode: "200", StatusText: "OK", UserID: z.user}, nil
}
