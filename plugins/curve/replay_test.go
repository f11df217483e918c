package curve_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/zmqkit/zmqkit/plugins/curve"
	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/zmtp"
)

// Recordings made by interop/cmd/curverecord: libzmq (with libsodium)
// against a scripted zmqkit peer whose randomness is a fixed ChaCha8
// stream, with fixed long-term keys. Replaying them regenerates the
// zmqkit side byte for byte and proves that libzmq's HELLO, WELCOME,
// INITIATE, READY and MESSAGE boxes open here.
type recording struct {
	Libzmq         string   `json:"libzmq"`
	ServerSecret   string   `json:"server_secret"`
	ServerPublic   string   `json:"server_public"`
	ClientSecret   string   `json:"client_secret"`
	ClientPublic   string   `json:"client_public"`
	Seed           uint64   `json:"seed"`
	ZmqkitIsServer bool     `json:"zmqkit_is_server"`
	ClientToServer string   `json:"client_to_server"`
	ServerToClient string   `json:"server_to_client"`
	ClientSent     []string `json:"client_sent"`
	ServerSent     []string `json:"server_sent"`
}

type frame struct {
	flags byte
	body  []byte
}

func loadRecording(t *testing.T, name string) (*recording, []frame, []frame) {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var r recording
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r, frames(t, r.ClientToServer), frames(t, r.ServerToClient)
}

func frames(t *testing.T, h string) []frame {
	b, err := hex.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 64 || b[0] != 0xFF || string(b[12:17]) != "CURVE" {
		t.Fatal("recording does not start with a CURVE greeting")
	}
	b = b[64:]
	var out []frame
	for len(b) > 0 {
		fl := b[0]
		var n int
		if fl&0x02 != 0 {
			n = int(binary.BigEndian.Uint64(b[1:9]))
			b = b[9:]
		} else {
			n = int(b[1])
			b = b[2:]
		}
		out = append(out, frame{fl, b[:n]})
		b = b[n:]
	}
	return out
}

type chachaReader struct{ c *rand.ChaCha8 }

func (r chachaReader) Read(p []byte) (int, error) { return r.c.Read(p) }

func seeded(seed uint64) io.Reader {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	return chachaReader{rand.NewChaCha8(s)}
}

var kitMeta = []mechanism.Property{{Name: "Socket-Type", Value: []byte("DEALER")}, {Name: "Identity", Value: nil}}

func replayConfig(r *recording, asServer bool) *mechanism.Config {
	cfg := &mechanism.Config{AsServer: asServer, SocketType: "DEALER", Metadata: kitMeta, Options: map[string][]byte{}}
	if asServer {
		cfg.Options[curve.OptSecretKey] = []byte(r.ServerSecret)
	} else {
		cfg.Options[curve.OptSecretKey] = []byte(r.ClientSecret)
		cfg.Options[curve.OptPublicKey] = []byte(r.ClientPublic)
		cfg.Options[curve.OptServerKey] = []byte(r.ServerPublic)
	}
	return cfg
}

func decodeAll(t *testing.T, s mechanism.Session, fs []frame) [][]byte {
	var out [][]byte
	for _, f := range fs {
		if f.flags&zmtp.FlagCommand != 0 {
			t.Fatalf("MESSAGE sent with the COMMAND flag: %#x", f.flags)
		}
		p, fl, err := s.Decode(nil, f.body, f.flags)
		if err != nil {
			t.Fatalf("decode libzmq MESSAGE: %v", err)
		}
		if fl&zmtp.FlagCommand == 0 {
			out = append(out, p)
		}
	}
	return out
}

func encodeAll(t *testing.T, s mechanism.Session, hexFrames []string) []frame {
	var out []frame
	for i, h := range hexFrames {
		b, _ := hex.DecodeString(h)
		var fl byte
		if i < len(hexFrames)-1 {
			fl = zmtp.FlagMore
		}
		w, wfl, err := s.Encode(nil, b, fl)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, frame{wfl, w})
	}
	return out
}

func checkFrames(t *testing.T, what string, got []frame, want []frame) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d frames, recorded %d", what, len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i].body, want[i].body) {
			t.Fatalf("%s frame %d differs from the recording", what, i)
		}
		// libzmq sends MESSAGE as a data frame with no MORE/COMMAND flags
		if got[i].flags&^0x02 != want[i].flags&^0x02 {
			t.Fatalf("%s frame %d flags %#x, recorded %#x", what, i, got[i].flags, want[i].flags)
		}
	}
}

func hexList(t *testing.T, hs []string) [][]byte {
	var out [][]byte
	for _, h := range hs {
		b, _ := hex.DecodeString(h)
		out = append(out, b)
	}
	return out
}

func TestReplayLibzmqClient(t *testing.T) {
	r, c2s, s2c := loadRecording(t, "libzmq_client.json")
	if r.ServerPublic != "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7" || r.ClientPublic != "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID" {
		t.Fatal("unexpected recorded keys")
	}
	if pub, _ := curve.PublicKey(r.ServerSecret); pub != r.ServerPublic {
		t.Fatalf("PublicKey = %q", pub)
	}
	s, err := (&curve.Mechanism{Rand: seeded(r.Seed)}).NewSession(replayConfig(r, true))
	if err != nil {
		t.Fatal(err)
	}
	// c2s: HELLO, INITIATE, then MESSAGEs; s2c: WELCOME, READY, MESSAGEs
	if len(c2s) < 2 || len(s2c) < 2 {
		t.Fatal("short recording")
	}
	if len(c2s[0].body) != 200 || !zmtp.IsCommand(c2s[0].body, "HELLO") || c2s[0].flags&zmtp.FlagCommand == 0 {
		t.Fatal("recorded HELLO is not a 200-byte command")
	}
	var out []frame
	for _, cmd := range c2s[:2] {
		if err := s.Process(cmd.body); err != nil {
			t.Fatalf("libzmq %s: %v", cmd.body[1:1+cmd.body[0]], err)
		}
		for {
			b, err := s.Next()
			if err != nil {
				t.Fatal(err)
			}
			if b == nil {
				break
			}
			out = append(out, frame{zmtp.FlagCommand | sizeFlag(b), b})
		}
	}
	if s.Status() != mechanism.Ready {
		t.Fatal("handshake not complete")
	}
	checkFrames(t, "WELCOME/READY", out, s2c[:2])
	if got := decodeAll(t, s, c2s[2:]); !equal(got, hexList(t, r.ClientSent)) {
		t.Fatalf("decoded libzmq messages %q", got)
	}
	checkFrames(t, "server MESSAGEs", encodeAll(t, s, r.ServerSent), s2c[2:])
	checkPeerType(t, s)
}

func TestReplayLibzmqServer(t *testing.T) {
	r, c2s, s2c := loadRecording(t, "libzmq_server.json")
	s, err := (&curve.Mechanism{Rand: seeded(r.Seed)}).NewSession(replayConfig(r, false))
	if err != nil {
		t.Fatal(err)
	}
	var out []frame
	next := func() {
		for {
			b, err := s.Next()
			if err != nil {
				t.Fatal(err)
			}
			if b == nil {
				return
			}
			out = append(out, frame{zmtp.FlagCommand | sizeFlag(b), b})
		}
	}
	next()
	for _, cmd := range s2c[:2] {
		if err := s.Process(cmd.body); err != nil {
			t.Fatalf("libzmq %s: %v", cmd.body[1:1+cmd.body[0]], err)
		}
		next()
	}
	if s.Status() != mechanism.Ready {
		t.Fatal("handshake not complete")
	}
	checkFrames(t, "HELLO/INITIATE", out, c2s[:2])
	checkFrames(t, "client MESSAGEs", encodeAll(t, s, r.ClientSent), c2s[2:])
	if got := decodeAll(t, s, s2c[2:]); !equal(got, hexList(t, r.ServerSent)) {
		t.Fatalf("decoded libzmq messages %q", got)
	}
	checkPeerType(t, s)
}

// Replaying a recorded MESSAGE again must fail: nonces only go up.
func TestReplayNonceRejected(t *testing.T) {
	r, c2s, _ := loadRecording(t, "libzmq_client.json")
	s, _ := (&curve.Mechanism{Rand: seeded(r.Seed)}).NewSession(replayConfig(r, true))
	s.Process(c2s[0].body)
	s.Next()
	s.Process(c2s[1].body)
	s.Next()
	if _, _, err := s.Decode(nil, c2s[2].body, 0); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.Decode(nil, c2s[2].body, 0)
	if code(err) != mechanism.ErrZMTPInvalidSequence {
		t.Fatalf("replayed MESSAGE: %v", err)
	}
}

func sizeFlag(b []byte) byte {
	if len(b) > 255 {
		return 0x02
	}
	return 0
}

func equal(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func checkPeerType(t *testing.T, s mechanism.Session) {
	for _, p := range s.PeerProperties() {
		if p.Name == "Socket-Type" && string(p.Value) == "DEALER" {
			return
		}
	}
	t.Fatalf("peer properties %v", s.PeerProperties())
}

func code(err error) uint32 {
	if pe, ok := err.(*mechanism.ProtocolError); ok {
		return pe.Code
	}
	return 0
}
