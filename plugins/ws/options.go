package ws

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// Option names, as core.WithTransportOption takes them. The wss ones are
// libzmq's ZMQ_WSS_* options without the ZMQ_ prefix; the others have no
// libzmq counterpart.
const (
	OptCertPEM     = "WSS_CERT_PEM"     // server certificate chain, PEM (ZMQ_WSS_CERT_PEM)
	OptKeyPEM      = "WSS_KEY_PEM"      // server private key, PEM (ZMQ_WSS_KEY_PEM)
	OptTrustPEM    = "WSS_TRUST_PEM"    // client: CA certificates to trust, PEM (ZMQ_WSS_TRUST_PEM)
	OptHostname    = "WSS_HOSTNAME"     // client: server name to send and verify (ZMQ_WSS_HOSTNAME)
	OptTrustSystem = "WSS_TRUST_SYSTEM" // client: trust the system's CAs (ZMQ_WSS_TRUST_SYSTEM)
	OptTLSConfig   = "WSS_TLS_CONFIG"   // a *tls.Config, for either side
	OptBareFirst   = "WS_BARE_FIRST"    // client: offer bare "ZWS2.0" first
	OptOrigins     = "WS_ORIGINS"       // server: Origin patterns browsers may connect from
)

// CertPEM sets the server's certificate chain (ZMQ_WSS_CERT_PEM), PEM
// encoded, for wss binds; KeyPEM gives its key.
//
//	core.WithTransportOption(ws.CertPEM(certPEM))
func CertPEM(pem []byte) (string, any) { return OptCertPEM, pem }

// KeyPEM sets the server's private key (ZMQ_WSS_KEY_PEM), PEM encoded.
func KeyPEM(pem []byte) (string, any) { return OptKeyPEM, pem }

// TrustPEM sets the certificates of the authorities a wss client trusts
// (ZMQ_WSS_TRUST_PEM), PEM encoded.
func TrustPEM(pem []byte) (string, any) { return OptTrustPEM, pem }

// Hostname sets the name a wss client sends (SNI) and checks the server's
// certificate against (ZMQ_WSS_HOSTNAME). Without it, as in libzmq, only
// the certificate chain is verified.
func Hostname(name string) (string, any) { return OptHostname, name }

// TrustSystem makes a wss client trust the system's certificate
// authorities too (ZMQ_WSS_TRUST_SYSTEM; default false, as in libzmq).
func TrustSystem(on bool) (string, any) { return OptTrustSystem, on }

// TLSConfig gives the TLS configuration of a wss bind or connect
// directly; it replaces the WSS_* options above. A client's config with
// no ServerName gets the endpoint's host, as crypto/tls's Dial does.
func TLSConfig(cfg *tls.Config) (string, any) { return OptTLSConfig, cfg }

// BareFirst makes a ws client offer the bare "ZWS2.0" subprotocol before
// "ZWS2.0/NULL" (a NULL socket only). Servers that take the first
// protocol offered whatever it is, such as jszmq's, then speak what they
// chose; libzmq's order ("ZWS2.0/NULL", "ZWS2.0") is the default.
func BareFirst(on bool) (string, any) { return OptBareFirst, on }

// Origins restricts the browsers that may connect to a ws bind by their
// Origin header: patterns as path.Match takes them, matched against the
// origin's host (or "scheme://host" when the pattern has "://"). By
// default, as in libzmq, any origin may connect; requests without an
// Origin (non-browser clients) always may.
func Origins(patterns ...string) (string, any) { return OptOrigins, patterns }

// settings are the options of one bind or connect.
type settings struct {
	tls       *tls.Config // wss only
	bareFirst bool
	origins   []string
}

func optBytes(extra map[string]any, name string) ([]byte, bool, error) {
	v, ok := extra[name]
	if !ok || v == nil {
		return nil, false, nil
	}
	switch x := v.(type) {
	case []byte:
		return x, true, nil
	case string:
		return []byte(x), true, nil
	}
	return nil, false, fmt.Errorf("option %s: want []byte or string, got %T", name, v)
}

func optBool(extra map[string]any, name string) (bool, error) {
	v, ok := extra[name]
	if !ok || v == nil {
		return false, nil
	}
	switch x := v.(type) {
	case bool:
		return x, nil
	case int:
		return x != 0, nil
	}
	return false, fmt.Errorf("option %s: want bool, got %T", name, v)
}

func optString(extra map[string]any, name string) (string, error) {
	v, ok := extra[name]
	if !ok || v == nil {
		return "", nil
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	}
	return "", fmt.Errorf("option %s: want string, got %T", name, v)
}

// errNoCert is a wss bind without a certificate.
var errNoCert = errors.New("a wss bind needs WSS_CERT_PEM and WSS_KEY_PEM, or WSS_TLS_CONFIG")

// parseSettings reads cfg.Extra for a bind (server) or a connect to host.
// Errors wrap transport.ErrInvalidEndpoint (libzmq: EINVAL).
func parseSettings(scheme string, cfg *transport.Config, server bool, host string) (*settings, error) {
	st := &settings{}
	extra := cfg.Extra
	var err error
	if st.bareFirst, err = optBool(extra, OptBareFirst); err != nil {
		return nil, err
	}
	if v, ok := extra[OptOrigins]; ok && v != nil {
		switch x := v.(type) {
		case []string:
			st.origins = x
		case string:
			st.origins = []string{x}
		default:
			return nil, fmt.Errorf("option %s: want []string, got %T", OptOrigins, v)
		}
	}
	if scheme != "wss" {
		return st, nil
	}
	if v, ok := extra[OptTLSConfig]; ok && v != nil {
		c, ok := v.(*tls.Config)
		if !ok {
			return nil, fmt.Errorf("option %s: want *tls.Config, got %T", OptTLSConfig, v)
		}
		st.tls = c.Clone()
		if server {
			if len(st.tls.Certificates) == 0 && st.tls.GetCertificate == nil && st.tls.GetConfigForClient == nil {
				return nil, errNoCert
			}
		} else if st.tls.ServerName == "" && !st.tls.InsecureSkipVerify {
			st.tls.ServerName = host
		}
		return st, nil
	}
	if server {
		cert, okc, err := optBytes(extra, OptCertPEM)
		if err != nil {
			return nil, err
		}
		key, okk, err := optBytes(extra, OptKeyPEM)
		if err != nil {
			return nil, err
		}
		if !okc || !okk {
			return nil, errNoCert
		}
		pair, err := tls.X509KeyPair(cert, key)
		if err != nil {
			return nil, fmt.Errorf("WSS_CERT_PEM/WSS_KEY_PEM: %w", err)
		}
		st.tls = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12,
			NextProtos: []string{"http/1.1"}}
		return st, nil
	}
	var roots *x509.CertPool
	system, err := optBool(extra, OptTrustSystem)
	if err != nil {
		return nil, err
	}
	if system {
		if roots, err = x509.SystemCertPool(); err != nil {
			return nil, fmt.Errorf("WSS_TRUST_SYSTEM: %w", err)
		}
	} else {
		roots = x509.NewCertPool() // libzmq: no trusted CA unless told
	}
	if pem, ok, err := optBytes(extra, OptTrustPEM); err != nil {
		return nil, err
	} else if ok && !roots.AppendCertsFromPEM(pem) {
		return nil, errors.New("WSS_TRUST_PEM: no certificate found")
	}
	name, err := optString(extra, OptHostname)
	if err != nil {
		return nil, err
	}
	st.tls = &tls.Config{RootCAs: roots, ServerName: name, MinVersion: tls.VersionTLS12}
	if name == "" {
		// libzmq without WSS_HOSTNAME: the chain is verified, not the name
		st.tls.InsecureSkipVerify = true
		st.tls.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("tls: server sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
			return err
		}
	}
	return st, nil
}
