package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"strings"
	"time"
)

// wss runs need a certificate that both peer processes know: the parent
// makes a CA and a server certificate for 127.0.0.1 once and hands them
// to its peers in the environment.
const (
	envWSSCA   = "ZMQKIT_COMPARE_WSS_CA"
	envWSSCert = "ZMQKIT_COMPARE_WSS_CERT"
	envWSSKey  = "ZMQKIT_COMPARE_WSS_KEY"
)

// setupWSS puts a fresh test PKI in the environment (when not there yet).
func setupWSS() error {
	if os.Getenv(envWSSCert) != "" {
		return nil
	}
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "zmqkit compare CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(7 * 24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(7 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	os.Setenv(envWSSCA, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})))
	os.Setenv(envWSSCert, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER})))
	os.Setenv(envWSSKey, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})))
	return nil
}

// wssPEM returns what the bind side (cert, key) or the connect side (the
// CA to trust) of a wss endpoint needs; nothing for other endpoints.
func wssPEM(ep string) (ca, cert, key string) {
	if !strings.HasPrefix(ep, "wss://") {
		return "", "", ""
	}
	return os.Getenv(envWSSCA), os.Getenv(envWSSCert), os.Getenv(envWSSKey)
}
