package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// pki is the cluster's own certificate authority and the credentials signed by it, kept in one
// folder so that a restart keeps every client's trust.
type pki struct {
	dir    string
	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey
}

func (p *pki) path(name string) string { return filepath.Join(p.dir, name) }

// ensurePKI loads the CA from dir, or makes one, and every credential the components need.
func ensurePKI(dir string, hosts []string) (*pki, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	p := &pki{dir: dir}
	if err := p.ensureCA(); err != nil {
		return nil, err
	}
	sans := append([]string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
		"kubernetes.default.svc.cluster.local", "127.0.0.1", "::1", serviceIP}, hosts...)
	if err := p.ensureLeaf("apiserver", "kube-apiserver", nil, sans, true); err != nil {
		return nil, err
	}
	for _, c := range []struct{ name, cn, org string }{
		{"admin", "kubernetes-admin", "system:masters"},
		{"controller-manager", "system:kube-controller-manager", ""},
		{"scheduler", "system:kube-scheduler", ""},
		{"kwok", "kwok-controller", "system:masters"},
	} {
		var orgs []string
		if c.org != "" {
			orgs = []string{c.org}
		}
		if err := p.ensureLeaf(c.name, c.cn, orgs, nil, false); err != nil {
			return nil, err
		}
	}
	if err := p.ensureServiceAccountKey(); err != nil {
		return nil, err
	}
	return p, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func writePEM(path, kind string, der []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func readPEM(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM block", path)
	}
	return block.Bytes, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}

func (p *pki) ensureCA() error {
	certPath, keyPath := p.path("ca.crt"), p.path("ca.key")
	if exists(certPath) && exists(keyPath) {
		der, err := readPEM(certPath)
		if err != nil {
			return err
		}
		if p.caCert, err = x509.ParseCertificate(der); err != nil {
			return err
		}
		kder, err := readPEM(keyPath)
		if err != nil {
			return err
		}
		p.caKey, err = x509.ParseECPrivateKey(kder)
		return err
	}
	var err error
	p.caCert, p.caKey, err = issue(certPath, keyPath, &x509.Certificate{
		Subject:               pkix.Name{CommonName: "sandbox-ca"},
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}, nil, nil)
	return err
}

// ensureLeaf makes <name>.crt and <name>.key signed by the CA unless both exist and the
// certificate still names every host asked for.
func (p *pki) ensureLeaf(name, cn string, orgs, hosts []string, server bool) error {
	certPath, keyPath := p.path(name+".crt"), p.path(name+".key")
	if exists(certPath) && exists(keyPath) && coversHosts(certPath, hosts) {
		return nil
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: cn, Organization: orgs},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		for _, h := range hosts {
			if ip := net.ParseIP(h); ip != nil {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			} else {
				tmpl.DNSNames = append(tmpl.DNSNames, h)
			}
		}
	}
	_, _, err := issue(certPath, keyPath, tmpl, p.caCert, p.caKey)
	return err
}

// issue makes a new key and a certificate from tmpl, valid for ten years, signed by parent's
// key (self-signed when parent is nil), and writes both.
func issue(certPath, keyPath string, tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl.SerialNumber = serial()
	tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.AddDate(10, 0, 0)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	if err := writePEM(keyPath, "EC PRIVATE KEY", kder, 0o600); err != nil {
		return nil, nil, err
	}
	if err := writePEM(certPath, "CERTIFICATE", der, 0o644); err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

func coversHosts(certPath string, hosts []string) bool {
	der, err := readPEM(certPath)
	if err != nil {
		return false
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return false
	}
	for _, h := range hosts {
		if cert.VerifyHostname(h) != nil {
			return false
		}
	}
	return true
}

// ensureServiceAccountKey makes the RSA key pair that signs and verifies service-account tokens.
func (p *pki) ensureServiceAccountKey() error {
	keyPath, pubPath := p.path("sa.key"), p.path("sa.pub")
	if exists(keyPath) && exists(pubPath) {
		return nil
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return err
	}
	if err := writePEM(keyPath, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(key), 0o600); err != nil {
		return err
	}
	return writePEM(pubPath, "PUBLIC KEY", pub, 0o644)
}

// kubeconfig writes a kubeconfig for the client credential `name` with the certificates inline,
// so that the file alone is enough (kubectl, kubernetes-asyncio, the console).
func (p *pki) kubeconfig(path, name, server, context string) error {
	read := func(f string) (string, error) {
		data, err := os.ReadFile(p.path(f))
		if err != nil {
			return "", err
		}
		return b64(data), nil
	}
	ca, err := read("ca.crt")
	if err != nil {
		return err
	}
	crt, err := read(name + ".crt")
	if err != nil {
		return err
	}
	key, err := read(name + ".key")
	if err != nil {
		return err
	}
	if context == "" {
		return errors.New("kubeconfig: no context name")
	}
	text := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: %[1]s
  cluster:
    server: %[2]s
    certificate-authority-data: %[3]s
users:
- name: %[1]s
  user:
    client-certificate-data: %[4]s
    client-key-data: %[5]s
contexts:
- name: %[1]s
  context:
    cluster: %[1]s
    user: %[1]s
current-context: %[1]s
`, context, server, ca, crt, key)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
