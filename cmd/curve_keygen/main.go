// Command curve_keygen generates a CURVE key pair, as libzmq's
// tools/curve_keygen does, and optionally writes it as czmq certificate
// files.
//
//	curve_keygen                 print a new key pair in Z85
//	curve_keygen -cert NAME      also write NAME (public) and NAME_secret
//	curve_keygen -meta k=v ...   add metadata to the certificate
//	curve_keygen -public SECRET  print the public key of a Z85 secret key
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

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

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("curve_keygen", flag.ContinueOnError)
	cert := fs.String("cert", "", "write the certificate to `NAME` and NAME_secret")
	public := fs.String("public", "", "print the public key of this Z85 `SECRET` key and exit")
	meta := metaFlag{}
	fs.Var(meta, "meta", "certificate metadata `name=value` (repeatable)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *public != "" {
		pub, err := curve.PublicKey(*public)
		if err != nil {
			fmt.Fprintln(os.Stderr, "curve_keygen:", err)
			return 1
		}
		fmt.Println(pub)
		return 0
	}
	c, err := curve.NewCert()
	if err != nil {
		fmt.Fprintln(os.Stderr, "curve_keygen:", err)
		return 1
	}
	c.Metadata = meta
	fmt.Println("This tool generates a CurveZMQ keypair, as two printable strings you can")
	fmt.Println("use in configuration files or source code. The encoding uses Z85, which")
	fmt.Println("is a base-85 format that is described in 0MQ RFC 32, and which has an")
	fmt.Println("implementation in the z85_codec.h source used by this tool. The keypair")
	fmt.Println("always works with the secret key held by one party and the public key")
	fmt.Println("distributed (securely!) to peers wishing to connect to it.")
	fmt.Println()
	fmt.Println("== CURVE PUBLIC KEY ==")
	fmt.Println(curve.Z85(c.Public[:]))
	fmt.Println()
	fmt.Println("== CURVE SECRET KEY ==")
	fmt.Println(curve.Z85(c.Secret[:]))
	if *cert != "" {
		if err := c.Save(*cert); err != nil {
			fmt.Fprintln(os.Stderr, "curve_keygen:", err)
			return 1
		}
		fmt.Println()
		fmt.Printf("Certificate written to %s and %s_secret\n", *cert, *cert)
	}
	return 0
}
