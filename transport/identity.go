package transport

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strconv"
	"strings"

	"github.com/rondo-dev/rondo/core"
)

// NameSuffix ends every node's certificate name.
const NameSuffix = ".rondo"

// NodeName is the name node id's certificate carries as its common name and
// DNS SAN, e.g. node-3.rondo.
func NodeName(id core.NodeID) string {
	return "node-" + strconv.FormatUint(uint64(id), 10) + NameSuffix
}

// ParseNodeName is the inverse of NodeName.
func ParseNodeName(name string) (core.NodeID, bool) {
	s, ok := strings.CutPrefix(name, "node-")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, NameSuffix)
	if !ok || s == "" || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return 0, false
	}
	return core.NodeID(n), true
}

// CertNodeID reads the node id a certificate names. It requires exactly one
// node-N.rondo DNS SAN, so that one certificate cannot claim two identities.
func CertNodeID(cert *x509.Certificate) (core.NodeID, error) {
	var ids []core.NodeID
	for _, n := range cert.DNSNames {
		if id, ok := ParseNodeName(n); ok {
			ids = append(ids, id)
		}
	}
	switch len(ids) {
	case 1:
		return ids[0], nil
	case 0:
		return 0, fmt.Errorf("certificate %q names no node (want a DNS name like %s)", cert.Subject.CommonName, NodeName(3))
	}
	return 0, fmt.Errorf("certificate %q names %d nodes; it must name exactly one", cert.Subject.CommonName, len(ids))
}

// Identity is what a node proves itself with: its id, its certificate and
// the cluster CA every peer must chain to.
type Identity struct {
	ID    core.NodeID
	Cert  tls.Certificate
	Roots *x509.CertPool
}

// NewIdentity bundles a node certificate with its CA after checking that the
// certificate names node id and is signed by the CA.
func NewIdentity(id core.NodeID, cert tls.Certificate, ca *x509.Certificate) (*Identity, error) {
	if len(cert.Certificate) == 0 {
		return nil, fmt.Errorf("node %d: %w", id, errNoLeaf)
	}
	leaf := cert.Leaf
	if leaf == nil {
		var err error
		if leaf, err = x509.ParseCertificate(cert.Certificate[0]); err != nil {
			return nil, fmt.Errorf("node %d certificate: %w", id, err)
		}
		cert.Leaf = leaf
	}
	got, err := CertNodeID(leaf)
	if err != nil {
		return nil, fmt.Errorf("node %d: %w", id, err)
	}
	if got != id {
		return nil, fmt.Errorf("the certificate given to node %d names node %d (%s); use node %d's certificate", id, got, NodeName(got), id)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		return nil, fmt.Errorf("node %d certificate does not chain to the cluster CA %q: %w", id, ca.Subject.CommonName, err)
	}
	return &Identity{ID: id, Cert: cert, Roots: roots}, nil
}

// serverConfig accepts any client whose certificate chains to the CA and
// names a member (member reports membership); the caller learns the peer's
// id from the verified certificate.
func (idn *Identity) serverConfig(member func(core.NodeID) bool) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{idn.Cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    idn.Roots,
		VerifyConnection: func(cs tls.ConnectionState) error {
			return checkPeer(cs, member, nil)
		},
	}
}

// clientConfig dials node want: its certificate must chain to the CA and
// name exactly that node.
func (idn *Identity) clientConfig(want core.NodeID, member func(core.NodeID) bool) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS13,
		// Always present our certificate, even when the server asks for
		// another CA's: its refusal then names the real reason (unknown
		// authority) instead of a missing certificate.
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			return &idn.Cert, nil
		},
		RootCAs:    idn.Roots,
		ServerName: NodeName(want),
		VerifyConnection: func(cs tls.ConnectionState) error {
			return checkPeer(cs, member, &want)
		},
	}
}

// checkPeer runs after chain verification: the certificate must name a
// member of the cluster and, when dialing, the node that was dialed.
func checkPeer(cs tls.ConnectionState, member func(core.NodeID) bool, want *core.NodeID) error {
	if len(cs.PeerCertificates) == 0 {
		return errNoLeaf
	}
	id, err := CertNodeID(cs.PeerCertificates[0])
	if err != nil {
		return err
	}
	if !member(id) {
		return fmt.Errorf("peer certificate names node %d, which is not a member of this cluster", id)
	}
	if want != nil && id != *want {
		return fmt.Errorf("dialed node %d but the peer's certificate names node %d", *want, id)
	}
	return nil
}

// peerID reads the verified peer id after a successful handshake.
func peerID(c *tls.Conn) (core.NodeID, error) {
	cs := c.ConnectionState()
	if len(cs.PeerCertificates) == 0 {
		return 0, errNoLeaf
	}
	return CertNodeID(cs.PeerCertificates[0])
}
