//go:build cgo

// Command curverecord records CurveZMQ handshakes between libzmq and a
// scripted zmqkit peer whose randomness is fixed, for the replay tests of
// plugins/curve (testdata/libzmq_*.json). Both long-term key pairs are
// fixed too, so the replay can regenerate the zmqkit side byte for byte
// and check libzmq's side by opening its boxes.
//
//	go run ./cmd/curverecord -out ../plugins/curve/testdata
package main

import (
	"bufio"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	zmq "github.com/pebbe/zmq4"

	"github.com/zmqkit/zmqkit/plugins/curve"
	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/zmtp"
)

// Recording is one captured connection.
type Recording struct {
	Comment      string `json:"comment"`
	Libzmq       string `json:"libzmq"`
	ServerSecret string `json:"server_secret"` // Z85
	ServerPublic string `json:"server_public"`
	ClientSecret string `json:"client_secret"`
	ClientPublic string `json:"client_public"`
	Seed         uint64 `json:"seed"` // ChaCha8 seed of the zmqkit side's randomness
	// ZmqkitIsServer tells which side zmqkit played.
	ZmqkitIsServer bool `json:"zmqkit_is_server"`
	// ClientToServer and ServerToClient are the raw byte streams, from the
	// greeting on, hex.
	ClientToServer string `json:"client_to_server"`
	ServerToClient string `json:"server_to_client"`
	// Messages are what each side sent after the handshake (frames).
	ClientSent []string `json:"client_sent"`
	ServerSent []string `json:"server_sent"`
}

// Fixed keys: the example key pairs of libzmq's test suite.
const (
	serverSecret = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
	clientSecret = "D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs"
)

// Metadata the zmqkit side announces.
var kitMeta = []mechanism.Property{{Name: "Socket-Type", Value: []byte("DEALER")}, {Name: "Identity", Value: nil}}

type seedReader struct{ c *rand.ChaCha8 }

func (r seedReader) Read(p []byte) (int, error) { return r.c.Read(p) }

func newRand(seed uint64) io.Reader {
	var s [32]byte
	binary.LittleEndian.PutUint64(s[:], seed)
	return seedReader{rand.NewChaCha8(s)}
}

// tee records a connection's two directions.
type tee struct {
	net.Conn
	in, out []byte
}

func (t *tee) Read(p []byte) (int, error) {
	n, err := t.Conn.Read(p)
	t.in = append(t.in, p[:n]...)
	return n, err
}
func (t *tee) Write(p []byte) (int, error) {
	t.out = append(t.out, p...)
	return t.Conn.Write(p)
}

func readFrame(r *bufio.Reader) (flags byte, body []byte, err error) {
	if flags, err = r.ReadByte(); err != nil {
		return
	}
	var size uint64
	if flags&0x02 != 0 {
		var b [8]byte
		if _, err = io.ReadFull(r, b[:]); err != nil {
			return
		}
		size = binary.BigEndian.Uint64(b[:])
	} else {
		var b byte
		if b, err = r.ReadByte(); err != nil {
			return
		}
		size = uint64(b)
	}
	body = make([]byte, size)
	_, err = io.ReadFull(r, body)
	return
}

// kitPeer runs the zmqkit side of one connection over c.
func kitPeer(c net.Conn, asServer bool, seed uint64, sent [][]byte, wantRecv int) ([][]byte, error) {
	r := bufio.NewReader(c)
	cfg := &mechanism.Config{AsServer: asServer, SocketType: "DEALER", Metadata: kitMeta,
		Options: map[string][]byte{}}
	if asServer {
		cfg.Options[curve.OptSecretKey] = []byte(serverSecret)
	} else {
		sp, _ := curve.PublicKey(serverSecret)
		cp, _ := curve.PublicKey(clientSecret)
		cfg.Options[curve.OptSecretKey] = []byte(clientSecret)
		cfg.Options[curve.OptPublicKey] = []byte(cp)
		cfg.Options[curve.OptServerKey] = []byte(sp)
	}
	sess, err := (&curve.Mechanism{Rand: newRand(seed)}).NewSession(cfg)
	if err != nil {
		return nil, err
	}
	if _, err := c.Write(zmtp.AppendGreeting(nil, "CURVE", asServer)); err != nil {
		return nil, err
	}
	g := make([]byte, 64)
	if _, err := io.ReadFull(r, g); err != nil {
		return nil, err
	}
	for sess.Status() == mechanism.Handshaking {
		for {
			cmd, err := sess.Next()
			if err != nil {
				return nil, err
			}
			if cmd == nil {
				break
			}
			c.Write(zmtp.AppendFrame(nil, cmd, zmtp.FlagCommand))
		}
		if sess.Status() != mechanism.Handshaking {
			break
		}
		_, body, err := readFrame(r)
		if err != nil {
			return nil, err
		}
		if err := sess.Process(body); err != nil {
			return nil, err
		}
	}
	for i, f := range sent {
		var fl byte
		if i < len(sent)-1 {
			fl = zmtp.FlagMore
		}
		w, wfl, _ := sess.Encode(nil, f, fl)
		c.Write(zmtp.AppendFrame(nil, w, wfl))
	}
	var got [][]byte
	for len(got) < wantRecv {
		fl, body, err := readFrame(r)
		if err != nil {
			return got, err
		}
		p, ifl, err := sess.Decode(nil, body, fl)
		if err != nil {
			return got, err
		}
		if ifl&zmtp.FlagCommand == 0 {
			got = append(got, p)
		}
	}
	return got, nil
}

func hexFrames(fs [][]byte) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = hex.EncodeToString(f)
	}
	return out
}

func record(kitServer bool, seed uint64) (*Recording, error) {
	sp, _ := curve.PublicKey(serverSecret)
	cp, _ := curve.PublicKey(clientSecret)
	maj, min, pat := zmq.Version()
	rec := &Recording{Libzmq: fmt.Sprintf("%d.%d.%d", maj, min, pat),
		ServerSecret: serverSecret, ServerPublic: sp, ClientSecret: clientSecret, ClientPublic: cp,
		Seed: seed, ZmqkitIsServer: kitServer}
	kitSends := [][]byte{[]byte("from zmqkit"), []byte("second frame")}
	libSends := [][]byte{[]byte("from libzmq"), make([]byte, 300)}
	for i := range libSends[1] {
		libSends[1][i] = byte(i)
	}
	lib, err := zmq.NewSocket(zmq.DEALER)
	if err != nil {
		return nil, err
	}
	defer lib.Close()
	lib.SetLinger(0)
	lib.SetRcvtimeo(5 * time.Second)
	var conn *tee
	var got [][]byte
	if kitServer {
		rec.Comment = "libzmq DEALER CURVE client connecting to a scripted zmqkit CURVE server"
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		lib.SetCurveServerkey(sp)
		lib.SetCurvePublickey(cp)
		lib.SetCurveSecretkey(clientSecret)
		if err := lib.Connect("tcp://" + ln.Addr().String()); err != nil {
			return nil, err
		}
		c, err := ln.Accept()
		if err != nil {
			return nil, err
		}
		defer c.Close()
		conn = &tee{Conn: c}
		if _, err := lib.SendMessage(libSends[0], libSends[1]); err != nil {
			return nil, err
		}
		if got, err = kitPeer(conn, true, seed, kitSends, 2); err != nil {
			return nil, err
		}
	} else {
		rec.Comment = "scripted zmqkit CURVE client connecting to a libzmq DEALER CURVE server"
		lib.SetCurveServer(1)
		lib.SetCurveSecretkey(serverSecret)
		if err := lib.Bind("tcp://127.0.0.1:*"); err != nil {
			return nil, err
		}
		ep, _ := lib.GetLastEndpoint()
		c, err := net.Dial("tcp", strings.TrimPrefix(ep, "tcp://"))
		if err != nil {
			return nil, err
		}
		defer c.Close()
		conn = &tee{Conn: c}
		done := make(chan error, 1)
		go func() {
			var err error
			got, err = kitPeer(conn, false, seed, kitSends, 2)
			done <- err
		}()
		m, err := lib.RecvMessageBytes(0)
		if err != nil || len(m) != 2 {
			return nil, fmt.Errorf("libzmq recv: %v %d", err, len(m))
		}
		if _, err := lib.SendMessage(libSends[0], libSends[1]); err != nil {
			return nil, err
		}
		if err := <-done; err != nil {
			return nil, err
		}
	}
	if kitServer {
		m, err := lib.RecvMessageBytes(0)
		if err != nil || len(m) != 2 {
			return nil, fmt.Errorf("libzmq recv: %v", err)
		}
		rec.ClientToServer, rec.ServerToClient = hex.EncodeToString(conn.in), hex.EncodeToString(conn.out)
		rec.ClientSent, rec.ServerSent = hexFrames(libSends), hexFrames(kitSends)
	} else {
		rec.ClientToServer, rec.ServerToClient = hex.EncodeToString(conn.out), hex.EncodeToString(conn.in)
		rec.ClientSent, rec.ServerSent = hexFrames(kitSends), hexFrames(libSends)
	}
	for i := range got {
		if string(got[i]) != string(libSends[i]) {
			return nil, fmt.Errorf("zmqkit side received %q", got[i])
		}
	}
	return rec, nil
}

func main() {
	out := flag.String("out", "../plugins/curve/testdata", "output directory")
	flag.Parse()
	for _, kitServer := range []bool{true, false} {
		rec, err := record(kitServer, 42)
		if err != nil {
			log.Fatal(err)
		}
		name := "libzmq_client.json"
		if !kitServer {
			name = "libzmq_server.json"
		}
		b, _ := json.MarshalIndent(rec, "", "  ")
		if err := os.WriteFile(filepath.Join(*out, name), append(b, '\n'), 0o644); err != nil {
			log.Fatal(err)
		}
		fmt.Println("wrote", name)
	}
}
