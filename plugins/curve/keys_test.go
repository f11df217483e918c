package curve_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/zmqkit/zmqkit/plugins/curve"
)

func TestKeys(t *testing.T) {
	// libzmq's test key pairs (tests/testutil_security.cpp)
	for sec, pub := range map[string]string{
		"JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6": "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7",
		"D:)Q[IlAW!ahhC2ac:9*A}h:p?([4%wOTJ%JR%cs": "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID",
	} {
		got, err := curve.PublicKey(sec)
		if err != nil || got != pub {
			t.Fatalf("PublicKey(%q) = %q, %v", sec, got, err)
		}
	}
	kp := mustKP(t)
	for _, form := range [][]byte{kp.Public[:], []byte(kp.PublicZ85()), append([]byte(kp.PublicZ85()), 0)} {
		k, err := curve.ParseKey(form)
		if err != nil || k != kp.Public {
			t.Fatalf("ParseKey(%d bytes): %v", len(form), err)
		}
	}
	for _, bad := range [][]byte{nil, make([]byte, 31), []byte("0123456789012345678901234567890123456789x"), []byte("                                        ")} {
		if _, err := curve.ParseKey(bad); !errors.Is(err, curve.ErrBadKey) {
			t.Fatalf("ParseKey(%q): %v", bad, err)
		}
	}
	if _, err := curve.PublicKey("short"); !errors.Is(err, curve.ErrBadKey) {
		t.Fatal(err)
	}
}

func TestCertFiles(t *testing.T) {
	dir := t.TempDir()
	c, err := curve.NewCert()
	if err != nil {
		t.Fatal(err)
	}
	c.Metadata = map[string]string{"name": "alice", "email": "a@example.com"}
	if err := c.Save(filepath.Join(dir, "alice")); err != nil {
		t.Fatal(err)
	}
	got, err := curve.LoadCert(filepath.Join(dir, "alice"))
	if err != nil || got.Public != c.Public || got.Secret != c.Secret || !got.HasSecret || got.Metadata["email"] != "a@example.com" {
		t.Fatalf("LoadCert: %+v %v", got, err)
	}
	// a czmq-written file
	czmq := `#   ****  Generated on 2023-02-17 21:05:10 by CZMQ  ****
#   ZeroMQ CURVE **Secret** Certificate
#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.

metadata
    name = "flux-sample-cert-generator"
    userid = "0"
curve
    public-key = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
    secret-key = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
`
	pc, err := curve.ParseCert(bytes.NewReader([]byte(czmq)))
	if err != nil || !pc.HasSecret || pc.Metadata["name"] != "flux-sample-cert-generator" || curve.Z85(pc.Public[:]) != "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7" {
		t.Fatalf("czmq cert: %+v %v", pc, err)
	}
	os.WriteFile(filepath.Join(dir, "junk"), []byte("not a cert"), 0o644)
	certs, err := curve.LoadCertDir(dir)
	if err != nil || len(certs) != 1 || certs[0].Public != c.Public {
		t.Fatalf("LoadCertDir: %d %v", len(certs), err)
	}
}
