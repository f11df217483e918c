package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/zmqkit/zmqkit/plugins/curve"
)

var keygenCmd = &command{
	name:    "keygen",
	summary: "make CURVE key pairs and certificates, or the public key of a secret key",
	long: `Prints a new CURVE long-term key pair in Z85 (RFC 32), the encoding every
ZeroMQ library and zmqkit's --curve-* flags take. With --cert it also writes
the pair as czmq certificate files: NAME (public, for peers and for
--curve-allow DIR) and NAME_secret (mode 0600, for --curve-secret).
With --public it prints the public key belonging to a secret key (Z85, a
secret certificate file, or "-" to read either from stdin).

Examples:
  zmqkit keygen
  zmqkit keygen --cert server --meta name=broker1
  eval "$(zmqkit keygen --format env)"      # sets ZMQKIT_CURVE_{PUBLIC,SECRET}KEY
  zmqkit keygen --public server_secret
`,
	noGlobal: true,
	define: func(f *flagSet) func(*env, []string) error {
		var cert, public, format string
		var meta []string
		var force bool
		format = "text"
		f.String(&cert, "cert", "NAME", "also write the pair as certificate files NAME and NAME_secret", "file")
		f.List(&meta, "meta", "NAME=VALUE", "certificate metadata", "")
		f.Bool(&force, "force", "overwrite existing certificate files")
		f.String(&public, "public", "SECRET", "print the public key of this secret key (Z85, certificate file, or - for stdin) and exit", "file")
		f.Enum(&format, "format", "FORMAT", "output: text, env (shell assignments) or json", "text", "env", "json")
		return func(e *env, pos []string) error {
			if len(pos) > 0 {
				return usagef("unexpected argument %q", pos[0])
			}
			if public != "" {
				if cert != "" || len(meta) > 0 {
					return usagef("--public does not go with --cert or --meta")
				}
				return keygenPublic(e, public, format)
			}
			md := map[string]string{}
			for _, m := range meta {
				k, v, ok := strings.Cut(m, "=")
				if !ok || k == "" {
					return usagef("--meta wants NAME=VALUE, got %q", m)
				}
				md[k] = v
			}
			c, err := curve.NewCert()
			if err != nil {
				return err
			}
			c.Metadata = md
			if cert != "" {
				if !force {
					for _, p := range []string{cert, cert + "_secret"} {
						if _, err := os.Stat(p); err == nil {
							return fmt.Errorf("%s exists (use --force to overwrite)", p)
						}
					}
				}
				if err := c.Save(cert); err != nil {
					return err
				}
			}
			printKeys(e, format, curve.Z85(c.Public[:]), curve.Z85(c.Secret[:]))
			if cert != "" && format == "text" {
				fmt.Fprintf(e.stdout, "wrote %s and %s_secret\n", cert, cert)
			}
			return nil
		}
	},
}

func printKeys(e *env, format, public, secret string) {
	switch format {
	case "env":
		fmt.Fprintf(e.stdout, "ZMQKIT_CURVE_PUBLICKEY='%s'\n", public)
		if secret != "" {
			fmt.Fprintf(e.stdout, "ZMQKIT_CURVE_SECRETKEY='%s'\n", secret)
		}
	case "json":
		v := map[string]string{"public": public}
		if secret != "" {
			v["secret"] = secret
		}
		b, _ := json.Marshal(v)
		fmt.Fprintf(e.stdout, "%s\n", b)
	default:
		fmt.Fprintf(e.stdout, "public: %s\n", public)
		if secret != "" {
			fmt.Fprintf(e.stdout, "secret: %s\n", secret)
		}
	}
}

func keygenPublic(e *env, arg, format string) error {
	if arg == "-" {
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("reading the secret key from stdin: %v", err)
		}
		arg = strings.TrimSpace(line)
	}
	kp, err := loadSecretKey(arg)
	if err != nil {
		return err
	}
	printKeys(e, format, kp.PublicZ85(), "")
	return nil
}

// loadSecretKey reads a secret key given as Z85 text, a czmq secret
// certificate file, or a file holding just the Z85 secret key.
func loadSecretKey(arg string) (curve.KeyPair, error) {
	cert, bare, err := readKeyArg(arg)
	if err != nil {
		return curve.KeyPair{}, err
	}
	if bare != nil {
		return curve.KeyPairFromSecret(bare[:])
	}
	if !cert.HasSecret {
		return curve.KeyPair{}, fmt.Errorf("%s holds no secret key (a public certificate? give the NAME_secret file)", arg)
	}
	return cert.KeyPair(), nil
}

// loadPublicKey reads a public key given as Z85 text, a certificate file
// (public or secret), or a file holding just the Z85 public key.
func loadPublicKey(arg string) ([curve.KeySize]byte, error) {
	cert, bare, err := readKeyArg(arg)
	if err != nil {
		return [curve.KeySize]byte{}, err
	}
	if bare != nil {
		return *bare, nil
	}
	return cert.Public, nil
}

// readKeyArg reads a key argument: 40 characters of Z85, or the path of a
// czmq certificate or of a file holding one Z85 key. It returns the
// certificate, or the bare key.
func readKeyArg(arg string) (*curve.Cert, *[curve.KeySize]byte, error) {
	// An existing file wins: a 40-character path can be valid Z85.
	if _, err := os.Stat(arg); err != nil && len(arg) == 40 {
		if k, err := curve.ParseKeyString(arg); err == nil {
			return nil, &k, nil
		}
	}
	b, err := os.ReadFile(arg)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("key %q: not a 40-character Z85 key, and no such file", arg)
		}
		return nil, nil, fmt.Errorf("key: %w", err)
	}
	if s := strings.TrimSpace(string(b)); len(s) == 40 && !strings.ContainsAny(s, " \t\n") {
		k, err := curve.ParseKeyString(s)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", arg, err)
		}
		return nil, &k, nil
	}
	c, err := curve.LoadCert(arg)
	if err != nil {
		return nil, nil, err
	}
	return c, nil, nil
}
