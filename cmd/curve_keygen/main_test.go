package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/zmqkit/zmqkit/plugins/curve"
)

func TestCertAndPublic(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "server")
	devnull, _ := os.Open(os.DevNull)
	old := os.Stdout
	os.Stdout, _ = os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	defer func() { os.Stdout = old; devnull.Close() }()
	if code := run([]string{"-cert", name, "-meta", "name=test"}); code != 0 {
		t.Fatalf("exit %d", code)
	}
	c, err := curve.LoadCert(name)
	if err != nil {
		t.Fatal(err)
	}
	if !c.HasSecret || c.Metadata["name"] != "test" {
		t.Fatalf("cert %+v", c)
	}
	kp, err := curve.KeyPairFromSecret(c.Secret[:])
	if err != nil || kp.Public != c.Public {
		t.Fatal("public key does not match secret")
	}
	if st, _ := os.Stat(name + "_secret"); st.Mode().Perm() != 0o600 {
		t.Fatalf("secret mode %v", st.Mode())
	}
	if code := run([]string{"-public", "xx"}); code != 1 {
		t.Fatalf("bad secret: exit %d", code)
	}
}
