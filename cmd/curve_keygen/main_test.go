package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/curve"
)

func TestCertAndPublic(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "server")
	var out, errOut bytes.Buffer
	if code := run([]string{"-cert", name, "-meta", "name=test"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	c, err := curve.LoadCert(name)
	if err != nil {
		t.Fatal(err)
	}
	if !c.HasSecret || c.Metadata["name"] != "test" {
		t.Fatalf("cert %+v", c)
	}
	if !strings.Contains(out.String(), curve.Z85(c.Public[:])) || !strings.Contains(out.String(), curve.Z85(c.Secret[:])) {
		t.Fatalf("printed keys are not the certificate's: %s", out.String())
	}
	kp, err := curve.KeyPairFromSecret(c.Secret[:])
	if err != nil || kp.Public != c.Public {
		t.Fatal("public key does not match secret")
	}
	if st, _ := os.Stat(name + "_secret"); st.Mode().Perm() != 0o600 {
		t.Fatalf("secret mode %v", st.Mode())
	}
	out.Reset()
	if code := run([]string{"-public", curve.Z85(c.Secret[:])}, &out, &errOut); code != 0 || strings.TrimSpace(out.String()) != curve.Z85(c.Public[:]) {
		t.Fatalf("-public: exit %d, %q", code, out.String())
	}
	if code := run([]string{"-public", "xx"}, &bytes.Buffer{}, &bytes.Buffer{}); code != 1 {
		t.Fatalf("bad secret: exit %d", code)
	}
}

// -h prints a usage in Go terms on stdout and exits 0; bad flags print it
// on stderr and exit 2.
func TestUsage(t *testing.T) {
	for _, arg := range []string{"-h", "--help", "-help"} {
		var out, errOut bytes.Buffer
		if code := run([]string{arg}, &out, &errOut); code != 0 {
			t.Fatalf("%s: exit %d", arg, code)
		}
		u := out.String()
		if !strings.HasPrefix(u, "usage: curve_keygen") || !strings.Contains(u, "curve.Server") || strings.Contains(u, ".h ") || strings.Contains(u, "z85_codec") {
			t.Fatalf("%s: usage %q", arg, u)
		}
		if errOut.Len() != 0 {
			t.Fatalf("%s: stderr %q", arg, errOut.String())
		}
	}
	var v bytes.Buffer
	if code := run([]string{"--version"}, &v, &bytes.Buffer{}); code != 0 || strings.TrimSpace(v.String()) != core.VersionString() {
		t.Fatalf("--version: exit %d, %q", code, v.String())
	}
	for _, args := range [][]string{{"-x"}, {"extra"}, {"-cert"}, {"-meta", "novalue"}, {"-meta", "a=b"}, {"-public", "k", "-cert", "x"}} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
		if out.Len() != 0 || !strings.Contains(errOut.String(), "usage: curve_keygen") {
			t.Errorf("%q: stdout %q stderr %q", args, out.String(), errOut.String())
		}
	}
}

// -cert into a directory that does not exist fails before any key is
// printed (the keys would otherwise be shown and lost).
func TestCertMissingDirectory(t *testing.T) {
	var out, errOut bytes.Buffer
	name := filepath.Join(t.TempDir(), "nosuch", "server")
	if code := run([]string{"-cert", name}, &out, &errOut); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if out.Len() != 0 {
		t.Fatalf("printed %q before failing", out.String())
	}
	if !strings.Contains(errOut.String(), "nosuch") {
		t.Fatalf("stderr %q does not say which directory", errOut.String())
	}
}
