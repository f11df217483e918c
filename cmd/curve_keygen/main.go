// Command curve_keygen generates a CURVE key pair, as libzmq's
// tools/curve_keygen does, and optionally writes it as czmq certificate
// files.
//
//	curve_keygen                 print a new key pair in Z85
//	curve_keygen -cert NAME      write NAME (public) and NAME_secret, then print the keys
//	curve_keygen -meta k=v ...   add metadata to the certificate
//	curve_keygen -public SECRET  print the public key of a Z85 secret key
//
// -h prints the usage and exits 0; bad flags or arguments print it on
// stderr and exit 2; a failure (an unwritable -cert path, a malformed
// secret key) exits 1 without printing keys.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/curve"
)

type metaFlag map[string]string

func (m metaFlag) String() string { return fmt.Sprint(map[string]string(m)) }
func (m metaFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want name=value, got %q", v)
	}
	m[k] = val
	return nil
}

const about = `curve_keygen makes a CurveZMQ key pair (RFC 26) and prints both keys as
40-character Z85 strings (RFC 32). The secret key stays with the socket
that owns it; the public key goes to its peers:

	srv: core.WithMechanism(curve.Server([]byte(secret)))
	cli: core.WithMechanism(curve.Client([]byte(serverPublic), []byte(public), []byte(secret)))

(package github.com/zmqkit/zmqkit/plugins/curve; libzmq takes the same
strings as ZMQ_CURVE_SECRETKEY, ZMQ_CURVE_PUBLICKEY, ZMQ_CURVE_SERVERKEY).
With -cert NAME the pair is also written as czmq certificate files, NAME
(public key and metadata) and NAME_secret (mode 0600), which
curve.LoadCert, curve.LoadCertDir and auth's certificate directories read.`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("curve_keygen", flag.ContinueOnError)
	cert := fs.String("cert", "", "write the certificate to `NAME` and NAME_secret")
	public := fs.String("public", "", "print the public key of this Z85 `SECRET` key and exit")
	version := fs.Bool("version", false, "print zmqkit's version and exit")
	meta := metaFlag{}
	fs.Var(meta, "meta", "certificate metadata `name=value` (repeatable; with -cert)")
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "usage: curve_keygen [-cert NAME [-meta name=value]...] | -public SECRET")
		fmt.Fprintln(w)
		fmt.Fprintln(w, about)
		fmt.Fprintln(w)
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
	fs.SetOutput(io.Discard)
	fail := func(code int, format string, a ...any) int {
		fmt.Fprintf(stderr, "curve_keygen: "+format+"\n", a...)
		if code == 2 {
			usage(stderr)
		}
		return code
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			usage(stdout)
			return 0
		}
		return fail(2, "%v", err)
	}
	if *version {
		fmt.Fprintln(stdout, core.VersionString())
		return 0
	}
	if fs.NArg() > 0 {
		return fail(2, "unexpected argument %q", fs.Arg(0))
	}
	if *public != "" {
		if *cert != "" || len(meta) > 0 {
			return fail(2, "-public goes alone")
		}
		pub, err := curve.PublicKey(*public)
		if err != nil {
			return fail(1, "%v", err)
		}
		fmt.Fprintln(stdout, pub)
		return 0
	}
	if len(meta) > 0 && *cert == "" {
		return fail(2, "-meta needs -cert")
	}
	c, err := curve.NewCert()
	if err != nil {
		return fail(1, "%v", err)
	}
	c.Metadata = meta
	if *cert != "" {
		// write first: a path that can not be written fails before any
		// key is shown
		if st, err := os.Stat(filepath.Dir(*cert)); err != nil || !st.IsDir() {
			return fail(1, "-cert %s: directory %s does not exist", *cert, filepath.Dir(*cert))
		}
		if err := c.Save(*cert); err != nil {
			return fail(1, "-cert: %v", err)
		}
	}
	fmt.Fprintln(stdout, "A CurveZMQ key pair, in Z85. Keep the secret key with the socket that")
	fmt.Fprintln(stdout, "owns it and give the public key to its peers (curve_keygen -h tells how).")
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, "== CURVE PUBLIC KEY ==")
	fmt.Fprintln(stdout, curve.Z85(c.Public[:]))
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, "== CURVE SECRET KEY ==")
	fmt.Fprintln(stdout, curve.Z85(c.Secret[:]))
	if *cert != "" {
		fmt.Fprintln(stdout)
		fmt.Fprintf(stdout, "Certificate written to %s and %s_secret\n", *cert, *cert)
	}
	return 0
}
