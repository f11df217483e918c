package curve

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Cert is a CURVE certificate as czmq's zcert keeps it: a key pair (the
// secret may be absent) and metadata, stored in ZPL text files — a public
// file, and a secret file named like it with "_secret" appended.
type Cert struct {
	Public    [KeySize]byte
	Secret    [KeySize]byte
	HasSecret bool
	// Metadata are the "metadata" section's name = value pairs.
	Metadata map[string]string
}

// NewCert generates a certificate with a fresh key pair.
func NewCert() (*Cert, error) {
	kp, err := NewKeyPair()
	if err != nil {
		return nil, err
	}
	return &Cert{Public: kp.Public, Secret: kp.Secret, HasSecret: true}, nil
}

// KeyPair returns the certificate's keys.
func (c *Cert) KeyPair() KeyPair { return KeyPair{Public: c.Public, Secret: c.Secret} }

// ErrBadCert is wrapped by certificate parse errors.
var ErrBadCert = errors.New("curve: bad certificate")

// ParseCert reads a certificate in czmq's ZPL format.
func ParseCert(r io.Reader) (*Cert, error) {
	c := &Cert{Metadata: map[string]string{}}
	sc := bufio.NewScanner(r)
	section := ""
	havePublic := false
	line := 0
	for sc.Scan() {
		line++
		raw := strings.TrimRight(sc.Text(), " \t\r")
		trimmed := strings.TrimLeft(raw, " \t")
		if trimmed == "" || trimmed[0] == '#' {
			continue
		}
		if trimmed == raw { // no indentation: a section name
			section = trimmed
			if i := strings.IndexAny(section, " =#"); i >= 0 {
				section = section[:i]
			}
			continue
		}
		name, value, ok := strings.Cut(trimmed, "=")
		if !ok {
			return nil, fmt.Errorf("%w: line %d: %q", ErrBadCert, line, trimmed)
		}
		name = strings.TrimSpace(name)
		value = strings.TrimSpace(value)
		if i := strings.Index(value, " #"); i >= 0 && !strings.HasPrefix(value, "\"") {
			value = strings.TrimSpace(value[:i])
		}
		if len(value) >= 2 && (value[0] == '"' || value[0] == '\'') && value[len(value)-1] == value[0] {
			value = value[1 : len(value)-1]
		}
		switch section {
		case "metadata":
			c.Metadata[name] = value
		case "curve":
			switch name {
			case "public-key":
				k, err := ParseKeyString(value)
				if err != nil {
					return nil, fmt.Errorf("%w: line %d: public-key: %w", ErrBadCert, line, err)
				}
				c.Public, havePublic = k, true
			case "secret-key":
				k, err := ParseKeyString(value)
				if err != nil {
					return nil, fmt.Errorf("%w: line %d: secret-key: %w", ErrBadCert, line, err)
				}
				c.Secret, c.HasSecret = k, true
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if !havePublic {
		return nil, fmt.Errorf("%w: no curve/public-key", ErrBadCert)
	}
	return c, nil
}

// LoadCert reads a certificate file. Given a public file, it also reads
// the secret from path+"_secret" when that exists.
func LoadCert(path string) (*Cert, error) {
	c, err := loadCertFile(path)
	if err != nil {
		return nil, err
	}
	if !c.HasSecret {
		if s, err := loadCertFile(path + "_secret"); err == nil && s.HasSecret && s.Public == c.Public {
			c.Secret, c.HasSecret = s.Secret, true
		}
	}
	return c, nil
}

func loadCertFile(path string) (*Cert, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := ParseCert(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// LoadCertDir reads every public certificate in dir (files whose names do
// not end in "_secret"), as czmq's zcertstore does; files that are not
// certificates are skipped.
func LoadCertDir(dir string) ([]*Cert, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []*Cert
	for _, e := range ents {
		if e.IsDir() || strings.HasSuffix(e.Name(), "_secret") || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		c, err := loadCertFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

const publicBanner = `#   ****  Generated on %s by zmqkit  ****
#   ZeroMQ CURVE Public Certificate
#   Exchange securely, or use a secure mechanism to verify the contents
#   of this file after exchange. Store public certificates in your home
#   directory, in the .curve subdirectory.

`

const secretBanner = `#   ****  Generated on %s by zmqkit  ****
#   ZeroMQ CURVE **Secret** Certificate
#   DO NOT PROVIDE THIS FILE TO OTHER USERS nor change its permissions.

`

func (c *Cert) encode(secret bool) []byte {
	var b bytes.Buffer
	banner := publicBanner
	if secret {
		banner = secretBanner
	}
	fmt.Fprintf(&b, banner, time.Now().Format("2006-01-02 15:04:05"))
	b.WriteString("metadata\n")
	names := make([]string, 0, len(c.Metadata))
	for k := range c.Metadata {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(&b, "    %s = %q\n", k, c.Metadata[k])
	}
	b.WriteString("curve\n")
	fmt.Fprintf(&b, "    public-key = \"%s\"\n", Z85(c.Public[:]))
	if secret {
		fmt.Fprintf(&b, "    secret-key = \"%s\"\n", Z85(c.Secret[:]))
	}
	return b.Bytes()
}

// PublicText is the public certificate file's content.
func (c *Cert) PublicText() []byte { return c.encode(false) }

// SecretText is the secret certificate file's content.
func (c *Cert) SecretText() []byte { return c.encode(true) }

// Save writes the public certificate to path and, when the certificate
// has a secret key, the secret one to path+"_secret" (mode 0600).
func (c *Cert) Save(path string) error {
	if err := c.SavePublic(path); err != nil {
		return err
	}
	if c.HasSecret {
		return c.SaveSecret(path + "_secret")
	}
	return nil
}

// SavePublic writes the public certificate file.
func (c *Cert) SavePublic(path string) error { return os.WriteFile(path, c.PublicText(), 0o644) }

// SaveSecret writes the secret certificate file, readable by its owner only.
func (c *Cert) SaveSecret(path string) error {
	if !c.HasSecret {
		return fmt.Errorf("%w: no secret key to save", ErrBadCert)
	}
	return os.WriteFile(path, c.SecretText(), 0o600)
}
